//! What the transport does on SCTP notifications: account for associations
//! coming and going, enforce sctp_max_assocs, re-send what the stack gave up
//! (sctp_send_retries), tell the core's blocklist, count, and log (debug level,
//! like the C module).

use super::send::{resend, send_abort};
use super::{assoc, runtime, stats};
use crate::kam::core::{blocklist, BlocklistReason};
use crate::kam::net::SocketInfo;
use crate::sctp::cmsg::{SndRcvInfo, FLAG_UNORDERED};
use crate::sctp::notification::{parse, AssocState, Notification};
use crate::shared::assoc_table::AssocKey;
use std::net::SocketAddr;

/// The reason sent with the ABORT of an association over the limit.
pub const ABORT_REASON_MAX_ASSOCS: &[u8] = b"Maximum configured number of open associations exceeded";

pub fn handle(sock: SocketInfo, from: Option<SocketAddr>, bytes: &[u8]) {
    let src = FromAddr(from);
    let n = match parse(bytes) {
        Ok(n) => n,
        Err(e) => {
            log::debug!("bad sctp notification from {src} on {sock}: {e}");
            return;
        }
    };
    match n {
        Notification::PartialDelivery { .. } => {
            log::error!("sctp notification from {src} on {sock}: {n}: partial delivery is not supported")
        }
        _ => log::debug!("sctp notification from {src} on {sock}: {n}"),
    }
    let rt = runtime::current();
    match n {
        Notification::AssocChange { state, assoc_id, .. } => {
            assoc_change(sock, from, state, AssocKey { sock: sock.fd(), assoc_id }, &rt)
        }
        Notification::SendFailed { error, info, data, .. } => send_failed(sock, from, error, &info, data, &rt),
        Notification::Shutdown { .. } => stats::REMOTE_SHUTDOWN.inc(),
        _ => {}
    }
}

fn assoc_change(sock: SocketInfo, from: Option<SocketAddr>, state: AssocState, key: AssocKey, rt: &runtime::Runtime) {
    match state {
        AssocState::CommUp => {
            stats::ESTABLISHED.inc();
            let open = assoc::came_up(key, from.as_ref(), rt.tracking, rt.autoclose_s);
            if let Some(max) = rt.max_assocs {
                if open > 0 && open as u32 > max {
                    reject(sock, from, key.assoc_id, max);
                }
            }
        }
        AssocState::CommLost => {
            stats::COMM_LOST.inc();
            // with retries on, SEND_FAILED decides (we cannot tell here whether
            // this was the first error)
            if let (0, Some(to)) = (rt.send_retries, from) {
                blocklist(BlocklistReason::Send, &to);
            }
            assoc::went_down(key, rt.tracking);
        }
        AssocState::ShutdownComplete => {
            stats::ASSOC_SHUTDOWN.inc();
            assoc::went_down(key, rt.tracking);
        }
        AssocState::CantStartAssoc => {
            stats::CONNECT_FAILED.inc();
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
            stats::LOCAL_REJECT.inc();
            log::info!(
                "{sock}: association {assoc_id} from {} aborted: more than sctp_max_assocs ({max}) open",
                FromAddr(from)
            );
        }
        Err(e) => log::warn!("{sock}: failed to abort new sctp association {assoc_id} ({}): {e}", FromAddr(from)),
    }
}

/// The stack gave up a message. `info.context` carries the re-sends left.
fn send_failed(sock: SocketInfo, from: Option<SocketAddr>, error: u32, info: &SndRcvInfo, data: &[u8], rt: &runtime::Runtime) {
    stats::SEND_FAILED.inc();
    let retries = info.context;
    let Some(to) = from else { return };
    if retries > 0 && error == 0 && !data.is_empty() {
        stats::SEND_FORCE_RETRY.inc();
        log::debug!("{sock}: re-sending {} bytes to {to} ({retries} retries left)", data.len());
        let again = SndRcvInfo {
            flags: FLAG_UNORDERED,
            timetolive: rt.send_ttl_ms,
            context: retries - 1,
            ..Default::default()
        };
        if let Err(e) = resend(sock, &to, data, &again) {
            log::error!("{sock}: re-send of {} bytes to {to} failed: {e}", data.len());
        }
    } else if rt.send_retries != 0 {
        // retries on: blocklist here rather than on COMM_LOST
        blocklist(BlocklistReason::Send, &to);
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
