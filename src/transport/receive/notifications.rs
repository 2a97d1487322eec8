//! What the transport does on SCTP notifications: account for associations
//! coming and going, enforce sctp_max_assocs, re-send what the stack gave up
//! (sctp_send_retries), tell the core's blocklist, count, log (debug level,
//! like the C module), and run the script's event routes (event_routes).
//!
//! Two steps: `account` keeps the association table and the open count (the
//! table takes events in any order, see assoc); `handle` does the rest
//! (sends, logs, event routes).

use crate::kam::core::{blocklist, BlocklistReason};
use crate::kam::net::SocketInfo;
use crate::sctp::cmsg::{SndRcvInfo, FLAG_UNORDERED};
use crate::sctp::notification::{AssocState, Notification, PeerAddrState};
use crate::shared::assoc_table::AssocKey;
use crate::transport::associations::{event_routes, peers, tracking};
use crate::transport::counters;
use crate::transport::ratelimit::Every;
use crate::transport::send::{resend, send_abort, RetryContext};
use crate::transport::settings::runtime;
use std::net::SocketAddr;

/// The reason sent with the ABORT of an association over the limit.
pub const ABORT_REASON_MAX_ASSOCS: &[u8] = b"Maximum configured number of open associations exceeded";
pub const ABORT_REASON_STALLED: &[u8] = b"Peer took no data for sctp_stall_timeout";

static FRAGMENT_LOG: Every = Every::new(10);

/// What `account` found out, for `handle`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Accounted {
    /// Associations open right after this one came up (COMM_UP only).
    pub open_after_up: Option<i32>,
    /// The connection id the association got (COMM_UP) or had (COMM_LOST,
    /// SHUTDOWN_COMP); 0: not tracked.
    pub conn_id: i32,
}

/// Accounts for an association event: the open count and the association
/// table.
pub fn account(sock: SocketInfo, from: Option<SocketAddr>, n: &Notification, rt: &runtime::Runtime) -> Accounted {
    if let Notification::PeerAddrChange { addr: Some(addr), state, assoc_id, .. } = *n {
        // a multihomed peer's addresses, as they come and go
        let key = AssocKey { sock: sock.fd(), assoc_id };
        match (rt.tracking, state) {
            (true, PeerAddrState::Added) => peers::addr_added(key, &addr),
            (true, PeerAddrState::Removed) => peers::addr_removed(key, &addr),
            _ => {}
        }
        return Accounted::default();
    }
    let Notification::AssocChange { state, assoc_id, .. } = *n else { return Accounted::default() };
    let key = AssocKey { sock: sock.fd(), assoc_id };
    match state {
        AssocState::CommUp => {
            let s = sock.sctp_socket();
            if let (Some(s), Some(from)) = (s, from.as_ref()) {
                peers::tune(s, sock.family(), assoc_id, from);
            }
            let (open, conn_id) = tracking::came_up(key, from.as_ref(), rt.tracking);
            if let (true, Some(s)) = (rt.tracking, s) {
                peers::learn(s, key, from.as_ref());
            }
            Accounted { open_after_up: Some(open), conn_id }
        }
        AssocState::CommLost | AssocState::ShutdownComplete => {
            Accounted { conn_id: tracking::went_down(key, rt.tracking), ..Default::default() }
        }
        _ => Accounted::default(),
    }
}

/// Acts on a notification after `account`.
pub fn handle(sock: SocketInfo, from: Option<SocketAddr>, n: &Notification, done: Accounted, rt: &runtime::Runtime) {
    let src = FromAddr(from);
    // an aborted partial delivery is logged where its pieces are dropped
    // (pieces::aborted, pieces::cut_off), once, not here for every one
    log::debug!("sctp notification from {src} on {sock}: {n}");
    match *n {
        Notification::AssocChange { state, assoc_id, .. } => assoc_change(sock, from, state, assoc_id, done, rt),
        Notification::SendFailed { error, ref info, data, .. } => send_failed(sock, from, error, info, data, rt),
        Notification::Shutdown { .. } => counters::REMOTE_SHUTDOWN.inc(),
        _ => {}
    }
    event_routes::on_notification(sock, from, n, done.conn_id, rt.tracking);
}

fn assoc_change(
    sock: SocketInfo,
    from: Option<SocketAddr>,
    state: AssocState,
    assoc_id: i32,
    done: Accounted,
    rt: &runtime::Runtime,
) {
    match state {
        AssocState::CommUp => {
            counters::ESTABLISHED.inc();
            if let (Some(max), Some(open)) = (rt.max_assocs, done.open_after_up) {
                if open > 0 && open as u32 > max {
                    reject(sock, from, assoc_id, max);
                }
            }
        }
        AssocState::CommLost => {
            counters::COMM_LOST.inc();
            // with retries on, SEND_FAILED decides (we cannot tell here whether
            // this was the first error)
            if let (0, Some(to)) = (rt.send_retries, from) {
                blocklist(BlocklistReason::Send, &to);
            }
        }
        AssocState::ShutdownComplete => counters::ASSOC_SHUTDOWN.inc(),
        AssocState::CantStartAssoc => {
            counters::CONNECT_FAILED.inc();
            if let (0, Some(to)) = (rt.send_retries, from) {
                blocklist(BlocklistReason::Connect, &to);
            }
        }
        AssocState::Restart | AssocState::Unknown(_) => {}
    }
}

/// Aborts a new association that exceeds sctp_max_assocs.
fn reject(sock: SocketInfo, from: Option<SocketAddr>, assoc_id: i32, max: u32) {
    match send_abort(sock, from.as_ref(), assoc_id, ABORT_REASON_MAX_ASSOCS) {
        Ok(()) => {
            counters::LOCAL_REJECT.inc();
            log::info!(
                "{sock}: association {assoc_id} from {} aborted: more than sctp_max_assocs ({max}) open",
                FromAddr(from)
            );
        }
        Err(e) => log::warn!("{sock}: failed to abort new sctp association {assoc_id} ({}): {e}", FromAddr(from)),
    }
}

/// The stack gave up a message, or one DATA chunk of it. `info.context`
/// carries the re-sends left and the length of the whole message.
fn send_failed(
    sock: SocketInfo,
    from: Option<SocketAddr>,
    error: u32,
    info: &SndRcvInfo,
    data: &[u8],
    rt: &runtime::Runtime,
) {
    counters::SEND_FAILED.inc();
    let ctx = RetryContext::decode(info.context);
    let Some(to) = from else { return };
    match retry_verdict(error, &ctx, data.len()) {
        RetryVerdict::Piece => {
            // The kernel split the message into several DATA chunks and hands
            // each back on its own: a chunk is not a SIP message, and the
            // pieces cannot be put together here. Give the message up.
            if let Some(more) = FRAGMENT_LOG.due() {
                log::error!(
                    "{sock}: a {}-byte message to {to} failed in pieces (this one {} bytes): not re-sent, \
                     only whole messages are ({more} more such pieces since the last line)",
                    ctx.message_len,
                    data.len()
                );
            }
            blocklist(BlocklistReason::Send, &to);
        }
        RetryVerdict::Resend => {
            counters::SEND_FORCE_RETRY.inc();
            log::debug!("{sock}: re-sending {} bytes to {to} ({} retries left)", data.len(), ctx.retries_left);
            let again = SndRcvInfo {
                flags: FLAG_UNORDERED,
                timetolive: rt.send_ttl_ms,
                context: RetryContext { retries_left: ctx.retries_left - 1, message_len: data.len() }.encode(),
                ..Default::default()
            };
            if let Err(e) = resend(sock, &to, data, &again) {
                log::error!("{sock}: re-send of {} bytes to {to} failed: {e}", data.len());
            }
        }
        // retries on: blocklist here rather than on COMM_LOST
        RetryVerdict::GiveUp if rt.send_retries != 0 => blocklist(BlocklistReason::Send, &to),
        RetryVerdict::GiveUp => {}
    }
}

/// What to do with what SCTP_SEND_FAILED handed back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RetryVerdict {
    /// A whole message with re-sends left, unsent without an error: send again.
    Resend,
    /// One DATA chunk of a message the kernel split: never sent as a message.
    Piece,
    /// No re-sends left, an error, or nothing handed back.
    GiveUp,
}

fn retry_verdict(error: u32, ctx: &RetryContext, returned_len: usize) -> RetryVerdict {
    match (ctx.retries_left > 0 && error == 0 && returned_len > 0, returned_len == ctx.message_len) {
        (false, _) => RetryVerdict::GiveUp,
        (true, true) => RetryVerdict::Resend,
        (true, false) => RetryVerdict::Piece,
    }
}

/// Displays an optional peer address.
pub struct FromAddr(pub Option<SocketAddr>);

impl std::fmt::Display for FromAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(a) => write!(f, "{a}"),
            None => write!(f, "(unknown address)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{retry_verdict, RetryContext, RetryVerdict::*};

    #[test]
    fn only_whole_messages_are_sent_again() {
        let ctx = |retries_left, message_len| RetryContext { retries_left, message_len };
        assert_eq!(retry_verdict(0, &ctx(1, 900), 900), Resend);
        // a 3000-byte message split into chunks comes back chunk by chunk
        assert_eq!(retry_verdict(0, &ctx(1, 3000), 1452), Piece);
        assert_eq!(retry_verdict(0, &ctx(1, 3000), 96), Piece);
        assert_eq!(retry_verdict(0, &ctx(0, 900), 900), GiveUp, "no re-sends left");
        assert_eq!(retry_verdict(5, &ctx(1, 900), 900), GiveUp, "the stack reported an error");
        assert_eq!(retry_verdict(0, &ctx(1, 900), 0), GiveUp, "nothing handed back");
    }
}
