//! Multihomed peers as one destination: the peers declared with
//! `modparam("sctp", "sctp_peer", ...)`, the addresses learnt from the
//! associations themselves, and the send to such a peer.
//!
//! A send to any address of a peer goes on the peer's association when there
//! is one (the association table maps every address of an association to it);
//! otherwise the association is opened with all the declared addresses at
//! once, so that the INIT reaches the peer even when the address the core
//! routed to is down.

use super::declared::find as declared;
use super::{encap, tracking};
use crate::kam::log::debug_enabled;
use crate::sctp::cmsg::SndRcvInfo;
use crate::sctp::socket::{association_gone, SctpSocket};
use crate::sctp::{assoc_status, assoc_tuning, multihome};
use crate::shared::assoc_table::{AssocKey, MAX_PEER_ADDRS};
use crate::transport::ratelimit::Every;
use std::io;
use std::net::SocketAddr;

static TUNE_FAILED_LOG: Every = Every::new(10);

/// An association came up: the settings of its declared peer, if it has
/// any, on it (whether tracking is on or not).
pub fn tune(sock: SctpSocket<'_>, family: i32, assoc_id: i32, from: &SocketAddr) {
    let Some(d) = declared(from) else { return };
    if !d.peer.tuning.has_live_settings() {
        return;
    }
    let refused = assoc_tuning::apply(sock, family, assoc_id, &d.peer.tuning);
    if refused.is_empty() {
        log::debug!("sctp: association {assoc_id} with {from}: the sctp_peer settings applied");
    } else if let Some(left_out) = TUNE_FAILED_LOG.due() {
        let list = refused.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        log::error!(
            "sctp: association {assoc_id} with {from}: the kernel refused sctp_peer settings: {list} \
             ({left_out} more such associations since the last line)"
        );
    }
}

/// An association came up (tracking on): every peer
/// address the kernel knows for it, and every declared address of its peer,
/// now lead to it.
pub fn learn(sock: SctpSocket<'_>, key: AssocKey, from: Option<&SocketAddr>) {
    let mut addrs = match assoc_status::peer_addrs(sock, key.assoc_id) {
        Ok(a) => a,
        Err(e) => {
            log::debug!("sctp: peer addresses of association {}: {e}", key.assoc_id);
            Vec::new()
        }
    };
    if let Some(d) = from.and_then(declared).or_else(|| addrs.iter().find_map(declared)) {
        addrs.extend(d.peer.addrs.iter().copied());
    }
    // the table indexes at most MAX_PEER_ADDRS of them: no more work than that
    // here, whatever the peer announced
    addrs.truncate(MAX_PEER_ADDRS as usize);
    for a in &addrs {
        tracking::add_peer_addr(key, a);
    }
    if addrs.len() > 1 {
        log::debug!("sctp: association {} reached at {addrs:?}", key.assoc_id);
    }
}

/// The encapsulation port of the declared peer `to` is an address of, if
/// it has one of its own.
pub fn encap_port_of(to: &SocketAddr) -> Option<u16> {
    declared(to)?.peer.tuning.encap_port
}

/// The peer added an address to an association.
pub fn addr_added(key: AssocKey, a: &SocketAddr) {
    tracking::add_peer_addr(key, a);
}

/// The peer removed an address from an association.
pub fn addr_removed(key: AssocKey, a: &SocketAddr) {
    tracking::remove_peer_addr(key, a);
}

/// Sends to `to` when it is an address of a declared peer: on the peer's
/// association if it has one (through `on_assoc`, given the association id),
/// else on a new one opened with all its addresses. `None` when `to` belongs
/// to no declared peer.
pub fn send(
    s: SctpSocket<'_>,
    to: &SocketAddr,
    msg: &[u8],
    info: &SndRcvInfo,
    tracking: bool,
    mut on_assoc: impl FnMut(i32) -> io::Result<usize>,
) -> Option<io::Result<usize>> {
    let d = declared(to)?;
    let peer = &d.peer;
    if tracking {
        for a in std::iter::once(to).chain(peer.others_like(to)) {
            let Some(assoc_id) = tracking::assoc_of_peer(s.fd(), a) else { continue };
            if debug_enabled() {
                log::debug!("sctp: sending to {to} on association {assoc_id} of its multihomed peer");
            }
            match on_assoc(assoc_id) {
                // gone meanwhile: open a new one below
                Err(e) if association_gone(&e) || e.raw_os_error() == Some(libc::EINVAL) => break,
                r => return Some(r),
            }
        }
    }
    let extra: Vec<SocketAddr> = peer.others_like(to).copied().collect();
    match encap::opening(s, || peer.tuning.encap_port, || multihome::send_with_addrs(s, msg, to, &extra, info)) {
        // another association of this socket has one of the other addresses
        // (opened to it alone, e.g. by the peer): send on that one
        Err(e) if matches!(e.raw_os_error(), Some(libc::EISCONN | libc::EALREADY)) => {
            Some(extra.iter().find_map(|a| multihome::assoc_of_addr(s, a)).map_or(Err(e), &mut on_assoc))
        }
        r => Some(r),
    }
}
