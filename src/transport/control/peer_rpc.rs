//! The RPC commands that change the declared peers while Kamailio runs:
//! `sctp.peer_list`, `sctp.peer_set "ADDRS:PORT;name=value;..."`,
//! `sctp.peer_remove ADDRS:PORT`. A change goes to the shared table (every
//! process sees it from its next look-up: new associations get it as they
//! come up), and at once to the live associations with the peer, every
//! path: the settings the change adds, and the socket's values for those it
//! takes away. The encapsulation port only ever applies to new associations.

use crate::kam::core::{ip_tos, sctp_disabled, sctp_listen};
use crate::kam::log::NOTICE;
use crate::kam::rpc::Call;
use crate::sctp::assoc_status as st;
use crate::sctp::assoc_tuning;
use crate::sctp::options::{self, AssocTuning};
use crate::transport::associations::declared::{self, Declared};
use std::ffi::CStr;
use std::net::SocketAddr;

pub const LIST_DOC: &CStr = c"Lists the declared SCTP peers (sctp_peer lines and sctp.peer_set): addresses, settings \
(as sctp_peer writes them) and source (config or rpc).";
pub const SET_DOC: &CStr = c"Adds a peer, or replaces the settings (and addresses) of the one peer it shares an \
address with: \"ADDRS:PORT;name=value;...\" as in modparam sctp_peer. Applies to the peer's live associations at once \
and to every later one, in every process; lost on restart.";
pub const REMOVE_DOC: &CStr =
    c"Removes the declared peer with an address of ADDRS:PORT: its live associations go back \
to the global settings.";

/// `sctp.peer_list`.
pub fn list(call: &Call) {
    if sctp_disabled() {
        return call.fault(500, "sctp support disabled");
    }
    for d in declared::all() {
        let Some(s) = call.add_struct() else { return };
        s.str(c"addresses", &addresses(&d));
        s.str(c"settings", &crate::config::profile::format(&d.peer.tuning));
        s.str(c"source", d.source.name());
    }
}

/// `sctp.peer_set LINE`.
pub fn set(call: &Call) {
    if sctp_disabled() {
        return call.fault(500, "sctp support disabled");
    }
    let Some(line) = call.string_param() else { return };
    match declared::set(&line) {
        Ok((old, new)) => {
            let from = old.as_ref().map_or(AssocTuning::NONE, |o| o.peer.tuning);
            let (live, refused) = retune(&[old.as_ref(), Some(&new)], &from, &new.peer.tuning);
            log::info!(
                target: NOTICE,
                "sctp.peer_set: peer {} {} ({}), {live} live association(s) changed",
                addresses(&new),
                if old.is_some() { "replaced" } else { "added" },
                line.trim()
            );
            answer(call, &new, live, &refused);
        }
        Err(e) => call.fault(400, &e.to_string()),
    }
}

/// `sctp.peer_remove ADDRS:PORT`.
pub fn remove(call: &Call) {
    if sctp_disabled() {
        return call.fault(500, "sctp support disabled");
    }
    let Some(value) = call.string_param() else { return };
    match declared::remove(&value) {
        Ok(gone) => {
            let (live, refused) = retune(&[Some(&gone)], &gone.peer.tuning, &AssocTuning::NONE);
            log::info!(
                target: NOTICE,
                "sctp.peer_remove: peer {} removed, {live} live association(s) back to the global settings",
                addresses(&gone)
            );
            answer(call, &gone, live, &refused);
        }
        Err(e) => call.fault(404, &e.to_string()),
    }
}

fn answer(call: &Call, d: &Declared, live: usize, refused: &[String]) {
    let Some(s) = call.add_struct() else { return };
    s.str(c"addresses", &addresses(d));
    s.str(c"settings", &crate::config::profile::format(&d.peer.tuning));
    s.int(c"live_associations", live.min(i32::MAX as usize) as i32);
    s.str(c"refused", &refused.join("; "));
}

fn addresses(d: &Declared) -> String {
    d.peer.addrs.iter().map(SocketAddr::to_string).collect::<Vec<_>>().join(",")
}

/// Puts `to` in place of `from` on every live association with a peer of
/// `peers` (the one before and the one after a change), on every socket.
/// Returns how many associations, and the options the kernel refused.
fn retune(peers: &[Option<&Declared>], from: &AssocTuning, to: &AssocTuning) -> (usize, Vec<String>) {
    let mut live = 0;
    let mut refused = Vec::new();
    let dscp = Some((ip_tos() >> 2) as u8);
    for sock in sctp_listen() {
        let Some(fd) = sock.sctp_socket() else { continue };
        let global = AssocTuning::from_socket(&options::read(fd, sock.family()), dscp);
        let change = from.change_to(to, &global);
        for assoc_id in st::assoc_ids(fd).unwrap_or_default() {
            let addrs = st::peer_addrs(fd, assoc_id).unwrap_or_default();
            if !peers.iter().flatten().any(|d| addrs.iter().any(|a| d.peer.has(a))) {
                continue;
            }
            live += 1;
            for e in assoc_tuning::apply(fd, sock.family(), assoc_id, &change) {
                refused.push(format!("association {assoc_id}: {e}"));
            }
        }
    }
    (live, refused)
}
