//! The stall watchdog (sctp_stall_timeout): one receiver of each socket looks
//! at the socket's associations every so often and reports those whose peer
//! takes no data while data waits for it. The association still looks
//! healthy to the kernel (heartbeats are answered), so without this only full
//! send buffers would show it, after messages were lost.
//!
//! No lock is held: the looks are getsockopt calls on the socket, and what
//! the watchdog remembers between looks is the owning process's own.

use super::notifications::{FromAddr, ABORT_REASON_STALLED};
use crate::kam::net::SocketInfo;
use crate::sctp::assoc_status::{self as st, AssocId};
use crate::sctp::socket::SctpSocket;
use crate::shared::assoc_table::AssocKey;
use crate::shared::clock::monotonic_ms64;
use crate::transport::associations::{event_routes, tracking};
use crate::transport::counters;
use crate::transport::ratelimit::Every;
use crate::transport::send;
use crate::transport::settings::runtime::{self, Runtime};
use std::net::SocketAddr;

/// What one look at an association found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Data sent and not acknowledged, or waiting to be sent.
    pub outstanding: bool,
    /// The peer's receive window as the kernel sees it.
    pub rwnd: u32,
    /// SACKs received so far (`None`: not counted, or not read because
    /// nothing was outstanding).
    pub sacks_in: Option<u64>,
}

/// What the watchdog remembers of an association between looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Watch {
    assoc_id: AssocId,
    sacks_in: Option<u64>,
    /// The first look of the current run of looks that found it stuck.
    stuck_since: Option<u64>,
    /// This stall was reported.
    reported: bool,
}

/// One look: an association is stuck when data waits and the peer takes
/// none (its window is 0, or no SACK came since the last look); stalled once
/// stuck on every look for `timeout_ms`, reported once per stall. Returns
/// what to remember and whether to report now.
fn step(prev: Option<&Watch>, assoc_id: AssocId, s: Sample, now: u64, timeout_ms: u64) -> (Watch, bool) {
    let no_sack = s.sacks_in.is_some() && prev.is_some_and(|p| p.sacks_in == s.sacks_in);
    let stuck = s.outstanding && (s.rwnd == 0 || no_sack);
    let stuck_since = stuck.then(|| prev.and_then(|p| p.stuck_since).unwrap_or(now));
    let was_reported = prev.is_some_and(|p| p.reported);
    let report = stuck_since.is_some_and(|t| now.saturating_sub(t) >= timeout_ms) && !was_reported;
    let reported = stuck && (was_reported || report);
    (Watch { assoc_id, sacks_in: s.sacks_in, stuck_since, reported }, report)
}

/// How often the associations are looked at: eight looks per timeout (a
/// stall is reported within about an eighth of the timeout after it is
/// due), at most every 100 ms and at least every second (an idle receiver
/// wakes every IDLE_WAKE_MS, which bounds it from below while no message
/// comes).
fn interval_ms(timeout_ms: u64) -> u64 {
    (timeout_ms / 8).clamp(100, 1000)
}

static STALLED_LOG: Every = Every::new(10);

/// The watchdog of one socket, in the receiver that took it.
#[derive(Default)]
pub struct Watchdog {
    next_ms: u64,
    /// By association id.
    watched: Vec<Watch>,
}

impl Watchdog {
    /// Whether it keeps associations from earlier looks (a tick with the
    /// watchdog off forgets them).
    pub fn watches(&self) -> bool {
        !self.watched.is_empty()
    }

    /// Looks at the socket's associations when due; costs one comparison
    /// while the watchdog is off. Out of line: its buffers stay off the
    /// receive loop's stack.
    #[inline(never)]
    pub fn tick(&mut self, sock: SocketInfo<'_>, s: SctpSocket<'_>, stall_timeout_ms: u32) {
        if stall_timeout_ms == 0 {
            self.watched.clear();
            return;
        }
        let now = monotonic_ms64();
        if now < self.next_ms {
            return;
        }
        let timeout = u64::from(stall_timeout_ms);
        self.next_ms = now + interval_ms(timeout);
        let Ok(ids) = st::assoc_ids(s) else { return };
        let mut next = Vec::with_capacity(ids.len());
        for id in ids {
            // gone meanwhile: forgotten
            let Ok(status) = st::status(s, id) else { continue };
            let outstanding = status.unacked > 0 || status.pending > 0;
            // the counters only where data waits: an idle association costs one look
            let sacks_in = if outstanding { st::stats(s, id).ok().flatten().map(|c| c.sacks_in) } else { None };
            let prev = self.watched.binary_search_by_key(&id, |w| w.assoc_id).ok().map(|k| &self.watched[k]);
            let (w, report) = step(prev, id, Sample { outstanding, rwnd: status.rwnd, sacks_in }, now, timeout);
            if report {
                stalled(sock, &runtime::current(), id, status.primary);
            }
            next.push(w);
        }
        next.sort_unstable_by_key(|w| w.assoc_id);
        self.watched = next;
    }
}

/// Reports a stalled association: counted, logged, the script's route run
/// (while the association is still tracked), then aborted if so configured.
fn stalled(sock: SocketInfo<'_>, rt: &Runtime, assoc_id: AssocId, peer: Option<SocketAddr>) {
    counters::ASSOC_STALLED.inc();
    let conn_id = match rt.tracking {
        true => tracking::conn_id_of(AssocKey { sock: sock.fd(), assoc_id }).map_or(0, |id| id as i32),
        false => 0,
    };
    if let Some(left_out) = STALLED_LOG.due() {
        log::warn!(
            "{sock}: association {assoc_id} to {} (id {conn_id}) stalled: data waits and the peer took none for {} ms{} ({left_out} more stalls since the last line)",
            FromAddr(peer),
            rt.stall_timeout_ms,
            if rt.stall_abort { ", aborting it" } else { "" }
        );
    }
    if let Some(peer) = peer {
        event_routes::on_stall(sock, &peer, assoc_id, conn_id);
    }
    if rt.stall_abort {
        if let Err(e) = send::send_abort(sock, None, assoc_id, ABORT_REASON_STALLED) {
            log::warn!("{sock}: failed to abort stalled association {assoc_id} ({}): {e}", FromAddr(peer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 2000;

    /// Runs looks every 500 ms from time 0; the times of the reports.
    fn reports(samples: &[Sample]) -> Vec<u64> {
        let mut prev: Option<Watch> = None;
        let mut out = Vec::new();
        for (k, s) in samples.iter().enumerate() {
            let now = k as u64 * 500;
            let (w, report) = step(prev.as_ref(), 1, *s, now, T);
            if report {
                out.push(now);
            }
            prev = Some(w);
        }
        out
    }

    fn zero_window(sacks: u64) -> Sample {
        Sample { outstanding: true, rwnd: 0, sacks_in: Some(sacks) }
    }
    fn flowing(sacks: u64) -> Sample {
        Sample { outstanding: true, rwnd: 30000, sacks_in: Some(sacks) }
    }
    const IDLE: Sample = Sample { outstanding: false, rwnd: 0, sacks_in: None };

    #[test]
    fn a_peer_that_takes_nothing_is_reported_once_after_the_timeout() {
        // window 0 from the first look; window probes are still answered
        let s: Vec<Sample> = (0..12).map(zero_window).collect();
        assert_eq!(reports(&s), vec![2000], "stuck at 0, reported once at 0 + timeout");
    }

    #[test]
    fn a_peer_that_acknowledges_nothing_is_reported() {
        let mut s = vec![flowing(5)];
        s.extend(std::iter::repeat_n(flowing(9), 8));
        assert_eq!(reports(&s), vec![3000], "the same count at 500 and 1000: stuck from 1000");
    }

    #[test]
    fn progress_before_the_timeout_resets_the_clock() {
        let mut s: Vec<Sample> = (0..4).map(zero_window).collect();
        s.push(flowing(100));
        s.extend((0..4).map(zero_window));
        assert_eq!(reports(&s), vec![], "never stuck for 2000 ms in a row");
    }

    #[test]
    fn a_slow_peer_that_keeps_taking_data_is_never_reported() {
        // its window touches 0 now and then; SACKs keep coming
        let s: Vec<Sample> = (0..40).map(|k| if k % 3 == 0 { zero_window(k) } else { flowing(k) }).collect();
        assert_eq!(reports(&s), vec![]);
    }

    #[test]
    fn an_idle_association_is_never_stuck() {
        assert_eq!(reports(&[IDLE; 20]), vec![], "window 0 but nothing to send");
        let s = [(0..6).map(flowing).collect(), vec![IDLE; 6]].concat();
        assert_eq!(reports(&s), vec![], "no more SACKs, but nothing outstanding either");
    }

    #[test]
    fn a_second_stall_is_reported_again() {
        let mut s: Vec<Sample> = (0..6).map(zero_window).collect();
        s.push(flowing(50));
        s.extend((0..6).map(zero_window));
        assert_eq!(reports(&s), vec![2000, 5500]);
    }

    #[test]
    fn without_sack_counts_only_the_window_counts() {
        let s = [Sample { outstanding: true, rwnd: 100, sacks_in: None }; 10];
        assert_eq!(reports(&s), vec![], "an old kernel: no SACK count to compare");
    }

    #[test]
    fn eight_looks_per_timeout_within_bounds() {
        assert_eq!(interval_ms(2000), 250);
        assert_eq!(interval_ms(100), 100);
        assert_eq!(interval_ms(60_000), 1000);
    }
}
