//! Waiting for room in a full send buffer, bounded per message and per peer.
//!
//! Per message: the blocking send waits at most sctp_send_wait (the socket's
//! SO_SNDTIMEO). Per peer: a peer that took nothing during a whole wait (it
//! stopped reading, or every path to it is dead) is marked stalled for a
//! while, and until then its messages fail at once, so that it cannot hold
//! every worker for a wait per message.
//!
//! With the kernel's default net.sctp.sndbuf_policy 0, all associations of a
//! socket share its send buffer, and a full buffer says nothing about the
//! peer being sent to. There, a wait in vain aborts the associations whose
//! peer stopped reading (they hold the buffer), and a stalled peer's messages
//! are not sent at all while it is marked (each would open an association
//! that fills the buffer again).

use super::ratelimit::Every;
use super::stats;
use crate::kam::shm::new_stall_table;
use crate::sctp::assoc_status::{self, AssocStatus};
use crate::sctp::cmsg::{SendCmsgBuf, SndRcvInfo, FLAG_ABORT, FLAG_UNORDERED};
use crate::sctp::socket::{SctpSocket, Wait};
use crate::sctp::sysctl;
use crate::shared::clock::monotonic_ms;
use crate::shared::send_stall::StallTable;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::OnceLock;

/// In shared memory, allocated before the core forks: peers whose messages
/// get no wait (TABLE), and, with a shared send buffer, peers found holding
/// it, whose messages are not sent at all (HOLDERS).
static TABLE: OnceLock<&'static StallTable> = OnceLock::new();
static HOLDERS: OnceLock<&'static StallTable> = OnceLock::new();
/// net.sctp.sndbuf_policy was 0 at startup (read before the core forks).
static SHARED_BUFFER: AtomicBool = AtomicBool::new(false);
static STALLED_LOG: Every = Every::new(10);
static NO_HOLDER_LOG: Every = Every::new(10);

/// "id state rwnd unacked" of each association, for a log line.
struct Statuses<'a>(&'a [AssocStatus]);

impl std::fmt::Display for Statuses<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for st in self.0 {
            write!(
                f,
                "[id {} {} rwnd {} unacked {} pending {}] ",
                st.assoc_id,
                assoc_status::assoc_state_name(st.state),
                st.rwnd,
                st.unacked,
                st.pending
            )?;
        }
        Ok(())
    }
}

/// The shortest time a peer stays marked stalled. Long against a wait: each
/// time a mark runs out, a peer that is still stalled may hold the workers
/// that send to it for one more wait. A peer that recovered loses nothing to
/// its mark unless its buffer fills again while marked (with a shared buffer:
/// its messages are dropped while marked).
const MIN_HOLD_MS: u32 = 10_000;

/// Allocates the table and reads the kernel's buffer policy (main process,
/// before fork).
pub fn init() -> bool {
    SHARED_BUFFER.store(sysctl::sndbuf_policy() == Some(0), Relaxed);
    match (new_stall_table(), new_stall_table()) {
        (Some(t), Some(h)) => {
            let _ = TABLE.set(t);
            let _ = HOLDERS.set(h);
            true
        }
        _ => {
            log::error!("sctp: no shared memory for the tables of stalled peers");
            false
        }
    }
}

/// How long a peer that let a whole wait of `wait_ms` pass stays marked.
pub fn hold_ms(wait_ms: u32) -> u32 {
    wait_ms.saturating_mul(4).max(MIN_HOLD_MS)
}

fn is_stalled(table: &StallTable, peer: &SocketAddr) -> bool {
    // the clock (a syscall in some VMs) only for a peer that has a mark
    table.has_mark(peer) && table.is_stalled(peer, monotonic_ms())
}

/// Whether a message to `peer` must not be sent at all: it was found holding
/// the shared send buffer not long ago (every send path asks this first).
pub fn skip(peer: &SocketAddr) -> bool {
    SHARED_BUFFER.load(Relaxed) && HOLDERS.get().is_some_and(|t| is_stalled(t, peer))
}

fn mark(table: &StallTable, peer: &SocketAddr, wait_ms: u32) {
    let hold = hold_ms(wait_ms);
    table.mark(peer, monotonic_ms().wrapping_add(hold));
    if let Some(left_out) = STALLED_LOG.due() {
        log::warn!(
            "sctp: {peer} took no data for sctp_send_wait ({wait_ms} ms): marked stalled for {hold} ms, its \
             messages fail without waiting until then ({left_out} more such marks since the last line)"
        );
    }
}

/// Runs `send_blocking` (a send on `sock` that waits up to the socket's send
/// timeout, `wait_ms`) for a message to `peer` whose first, non-blocking send
/// found the buffer full; fails with EAGAIN at once when `peer` is marked
/// stalled. When the wait runs out: with a buffer per association, `peer` is
/// marked; with a shared one, the associations whose peer stopped reading
/// are aborted, `peer` is marked if it was one of them, else the message is
/// tried once more if any was.
pub fn send_waiting(
    sock: SctpSocket<'_>,
    peer: &SocketAddr,
    wait_ms: u32,
    mut send_blocking: impl FnMut() -> io::Result<usize>,
) -> io::Result<usize> {
    let Some(table) = TABLE.get() else { return send_blocking() };
    if is_stalled(table, peer) {
        return Err(io::Error::from_raw_os_error(libc::EAGAIN));
    }
    stats::SENDQ_WAIT.inc();
    let r = send_blocking();
    if !matches!(&r, Err(e) if e.raw_os_error() == Some(libc::EAGAIN)) {
        return r;
    }
    if !SHARED_BUFFER.load(Relaxed) {
        mark(table, peer, wait_ms);
        return r;
    }
    let freed = abort_blocking_peers(sock, peer);
    if freed.peer_was_blocking {
        if let Some(holders) = HOLDERS.get() {
            holders.mark(peer, monotonic_ms().wrapping_add(hold_ms(wait_ms)));
        }
        mark(table, peer, wait_ms);
        r
    } else if freed.aborted > 0 {
        send_blocking()
    } else {
        // nobody to blame: still, no more waits for this peer for a while
        mark(table, peer, wait_ms);
        r
    }
}

/// The reason sent with the ABORT of an association whose peer stopped reading.
pub const ABORT_REASON_STALLED: &[u8] = b"Peer stopped reading: its unsent data filled the shared send buffer";

/// What aborting the associations that block a shared buffer did.
#[derive(Debug, Default)]
struct Freed {
    aborted: usize,
    /// One of them was with the peer being sent to.
    peer_was_blocking: bool,
}

/// Aborts the associations of `sock` that hold its shared send buffer: those
/// whose peer window is closed while data sent to it waits for
/// acknowledgement; failing any, the one with the most data unacknowledged
/// (a peer whose receive buffer is full of unread data drops what arrives
/// while its window still looks open, e.g. on a new association).
fn abort_blocking_peers(sock: SctpSocket<'_>, peer: &SocketAddr) -> Freed {
    let mut freed = Freed::default();
    let ids = match assoc_status::assoc_ids(sock) {
        Ok(ids) => ids,
        Err(e) => {
            log::debug!("sctp: cannot list the associations of socket {}: {e}", sock.fd());
            return freed;
        }
    };
    let statuses: Vec<AssocStatus> = ids.into_iter().filter_map(|id| assoc_status::status(sock, id).ok()).collect();
    let found = holders(statuses.iter().copied());
    if found.is_empty() && NO_HOLDER_LOG.due().is_some() {
        log::info!(
            "sctp: a send to {peer} waited sctp_send_wait in vain on a shared send buffer, and no association \
             looks like its holder: {}",
            Statuses(&statuses)
        );
    }
    for st in found {
        let with = st.primary.map_or_else(|| "?".to_string(), |p| p.to_string());
        match abort(sock, st.assoc_id) {
            Ok(()) => {
                freed.aborted += 1;
                freed.peer_was_blocking |= st.primary.is_some_and(|p| p == *peer);
                stats::STALLED_ABORT.inc();
                log::warn!(
                    "sctp: association {} with {with} aborted: its peer takes no data ({} chunks \
                     unacknowledged, its window {} bytes) and holds the socket's send buffer, which all \
                     associations share (net.sctp.sndbuf_policy 0); a send to {peer} waited sctp_send_wait in vain",
                    st.assoc_id,
                    st.unacked,
                    st.rwnd
                );
            }
            Err(e) => log::warn!("sctp: cannot abort stalled association {} with {with}: {e}", st.assoc_id),
        }
    }
    freed
}

/// Fewer unacknowledged chunks than this do not make an association the
/// holder of a full buffer.
const HOLDER_MIN_UNACKED: u16 = 8;

/// The associations to abort, among all of a socket (see abort_blocking_peers).
pub fn holders(all: impl Iterator<Item = AssocStatus>) -> Vec<AssocStatus> {
    let mut closed = Vec::new();
    let mut most: Option<AssocStatus> = None;
    for st in all {
        if blocks_the_buffer(&st) {
            closed.push(st);
        } else if st.unacked >= HOLDER_MIN_UNACKED && most.is_none_or(|m| st.unacked > m.unacked) {
            most = Some(st);
        }
    }
    if closed.is_empty() {
        closed.extend(most);
    }
    closed
}

/// A peer that takes nothing: the window it left us (its advertised window
/// less what we have in flight to it) cannot hold one more packet, or it has
/// not completed the handshake (what we queued for it waits, unsent). An
/// idle peer that reads leaves its whole window open.
pub fn blocks_the_buffer(st: &AssocStatus) -> bool {
    const ONE_PACKET: u32 = 1500;
    let handshaking = matches!(assoc_status::assoc_state_name(st.state), "COOKIE_WAIT" | "COOKIE_ECHOED");
    st.rwnd < ONE_PACKET || handshaking
}

fn abort(sock: SctpSocket<'_>, assoc_id: i32) -> io::Result<()> {
    let info = SndRcvInfo { flags: FLAG_UNORDERED | FLAG_ABORT, assoc_id, ..Default::default() };
    let mut ctrl = SendCmsgBuf::default();
    sock.send(ABORT_REASON_STALLED, None, &info, &mut ctrl, Wait::No).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(unacked: u16, rwnd: u32) -> AssocStatus {
        AssocStatus { unacked, rwnd, state: crate::sctp::sys::SCTP_ESTABLISHED as i32, ..Default::default() }
    }

    #[test]
    fn closed_windows_are_the_holders_else_the_most_unacknowledged() {
        let st = |id, unacked, rwnd| AssocStatus {
            assoc_id: id,
            unacked,
            rwnd,
            state: crate::sctp::sys::SCTP_ESTABLISHED as i32,
            ..Default::default()
        };
        let ids = |v: Vec<AssocStatus>| v.iter().map(|s| s.assoc_id).collect::<Vec<_>>();
        assert_eq!(ids(holders([st(1, 3, 0), st(2, 500, 90000), st(3, 1, 0)].into_iter())), [1, 3]);
        assert_eq!(ids(holders([st(1, 20, 90000), st(2, 500, 90000), st(3, 0, 60000)].into_iter())), [2]);
        assert_eq!(ids(holders([st(1, 7, 90000), st(2, 2, 5000)].into_iter())), Vec::<i32>::new(), "nobody holds much");
    }

    #[test]
    fn only_a_closed_window_blocks_the_buffer() {
        assert!(blocks_the_buffer(&status(3, 0)));
        assert!(blocks_the_buffer(&status(0, 1499)));
        assert!(!blocks_the_buffer(&status(0, 65536)), "idle");
        assert!(!blocks_the_buffer(&status(50, 65536)), "busy but reading");
        let handshaking = AssocStatus { state: crate::sctp::sys::SCTP_COOKIE_ECHOED as i32, rwnd: 65536, ..Default::default() };
        assert!(blocks_the_buffer(&handshaking));
    }
}
