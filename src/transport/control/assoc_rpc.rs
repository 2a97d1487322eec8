//! The RPC commands that show and steer single associations:
//! `sctp.assoc_list`, `sctp.assoc_info CONN_ID`, `sctp.set_primary CONN_ID
//! ADDRESS`, `sctp.assoc_reset CONN_ID [shutdown|abort]`.
//!
//! The figures come from the kernel (getsockopt on the shared listen sockets,
//! which never blocks); the association table is only asked for the
//! connection id <-> association mapping, each lookup holding one partition
//! lock for a moment and none across a system call, so the receivers are
//! never held up.

use crate::kam::core::{sctp_disabled, sctp_listen};
use crate::kam::log::NOTICE;
use crate::kam::net::SocketInfo;
use crate::kam::rpc::{Call, ReplyStruct};
use crate::sctp::assoc_status::{self as st, AssocId, AssocStats, AssocStatus, PathStatus};
use crate::sctp::socket::SctpSocket;
use crate::shared::assoc_table::AssocKey;
use crate::transport::associations::tracking;
use crate::transport::send;
use crate::transport::settings::runtime;
use std::ffi::CStr;
use std::net::{IpAddr, SocketAddr};

pub const LIST_DOC: &CStr =
    c"Lists every SCTP association: conn_id (0 when not tracked), assoc_id, socket, state, rwnd, \
unacked, pending, instreams, outstreams, the kernel's counters (retransmissions, max_rto, sacks_in, sacks_out, \
packets_in, packets_out, gap_acks, data_in, data_out, duplicates_in; -1: not counted by this kernel) and its paths \
(peer addresses) with state, primary, srtt, rto, cwnd, mtu, plpmtud (probe interval in ms, 0: not probed) and encap \
(the peer's UDP port of SCTP over UDP, 0: plain SCTP).";
pub const INFO_DOC: &CStr = c"Shows one SCTP association by its connection id, as sctp.assoc_list does.";
pub const RESET_DOC: &CStr = c"Ends the association with connection id CONN_ID: gracefully (SHUTDOWN, after what \
is queued; the default) or with abort (ABORT, at once). event_route[sctp:assoc-down] runs as for any other end; the \
next message to the peer opens a new association.";
pub const SET_PRIMARY_DOC: &CStr =
    c"Makes ADDRESS (one of the peer's addresses, with or without :port) the primary path \
of the association with connection id CONN_ID.";

/// One association as the commands show it.
struct View {
    conn_id: u32,
    socket: String,
    status: AssocStatus,
    stats: Option<AssocStats>,
    paths: Vec<(PathStatus, PathExtras)>,
}

/// What else a path shows, from options of their own (`None`: this kernel
/// cannot say).
struct PathExtras {
    /// The path MTU probe interval, ms.
    probe: Option<u32>,
    /// The remote UDP port of SCTP over UDP (0: plain).
    encap: Option<u16>,
}

/// Reads what the kernel knows of association `assoc_id` of `sock`; `None`
/// when it is gone (it may end at any moment).
fn view(sock: SocketInfo<'_>, fd: SctpSocket<'_>, assoc_id: AssocId, conn_id: u32) -> Option<View> {
    let status = st::status(fd, assoc_id).ok()?;
    let stats = st::stats(fd, assoc_id).unwrap_or(None);
    let paths = st::peer_addrs(fd, assoc_id)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            let extras = PathExtras {
                probe: st::probe_interval(fd, assoc_id, a).unwrap_or(None),
                encap: st::encap_port(fd, assoc_id, a).unwrap_or(None),
            };
            Some((st::path_status(fd, assoc_id, a).ok()?, extras))
        })
        .collect();
    Some(View { conn_id, socket: sock.to_string(), status, stats, paths })
}

fn show(call: &Call, v: &View) {
    let Some(s) = call.add_struct() else { return };
    let clamp = |n: u64| n.min(i32::MAX as u64) as i32;
    s.int(c"conn_id", clamp(v.conn_id as u64));
    s.int(c"assoc_id", v.status.assoc_id);
    s.str(c"socket", &v.socket);
    s.str(c"state", st::assoc_state_name(v.status.state));
    s.int(c"rwnd", clamp(v.status.rwnd as u64));
    s.int(c"unacked", v.status.unacked as i32);
    s.int(c"pending", v.status.pending as i32);
    s.int(c"instreams", v.status.instreams as i32);
    s.int(c"outstreams", v.status.outstreams as i32);
    let counter = |f: fn(&AssocStats) -> u64| v.stats.as_ref().map_or(-1, |c| clamp(f(c)));
    s.int(c"retransmissions", counter(|c| c.retransmitted));
    s.int(c"max_rto", counter(|c| c.max_rto_ms));
    s.int(c"sacks_in", counter(|c| c.sacks_in));
    s.int(c"sacks_out", counter(|c| c.sacks_out));
    s.int(c"packets_in", counter(|c| c.packets_in));
    s.int(c"packets_out", counter(|c| c.packets_out));
    s.int(c"gap_acks", counter(|c| c.gap_acks));
    s.int(c"data_in", counter(|c| c.data_in));
    s.int(c"data_out", counter(|c| c.data_out));
    s.int(c"duplicates_in", counter(|c| c.duplicates_in));
    let Some(list) = s.member_list(c"paths") else { return };
    for (p, extras) in &v.paths {
        let Some(ps) = list.member_struct(c"path") else { return };
        show_path(&ps, p, extras, v.status.primary);
    }
}

fn show_path(ps: &ReplyStruct<'_>, p: &PathStatus, extras: &PathExtras, primary: Option<SocketAddr>) {
    let clamp = |n: u32| n.min(i32::MAX as u32) as i32;
    ps.str(c"address", &p.addr.map_or_else(|| "?".into(), |a| a.to_string()));
    ps.str(c"state", st::path_state_name(p.state));
    ps.int(c"primary", (p.addr.is_some() && p.addr == primary) as i32);
    ps.int(c"srtt", clamp(p.srtt));
    ps.int(c"rto", clamp(p.rto));
    ps.int(c"cwnd", clamp(p.cwnd));
    ps.int(c"mtu", clamp(p.mtu));
    ps.int(c"plpmtud", extras.probe.map_or(-1, clamp));
    ps.int(c"encap", extras.encap.map_or(-1, i32::from));
}

/// `sctp.assoc_list`.
pub fn list(call: &Call) {
    if sctp_disabled() {
        return call.fault(500, "sctp support disabled");
    }
    let tracking = runtime::current().tracking;
    for sock in sctp_listen() {
        let Some(fd) = sock.sctp_socket() else { continue };
        let ids = match st::assoc_ids(fd) {
            Ok(ids) => ids,
            Err(e) => {
                log::warn!("sctp.assoc_list: cannot list the associations of {sock}: {e}");
                continue;
            }
        };
        for assoc_id in ids {
            let conn_id =
                if tracking { tracking::conn_id_of(AssocKey { sock: fd.fd(), assoc_id }).unwrap_or(0) } else { 0 };
            if let Some(v) = view(sock, fd, assoc_id, conn_id) {
                show(call, &v);
            }
        }
    }
}

/// The open association behind a connection id: its socket and id there, or
/// the fault to answer with.
fn find(conn_id: i32) -> Result<(SocketInfo<'static>, SctpSocket<'static>, AssocId), String> {
    let unknown = || {
        let why = if runtime::current().tracking { "" } else { " (association tracking is off: no connection ids)" };
        format!("unknown connection id {conn_id}{why}")
    };
    let t = tracking::lookup(conn_id).ok_or_else(unknown)?;
    let sock = sctp_listen().find(|s| s.fd() == t.key.sock).ok_or_else(unknown)?;
    let fd = sock.sctp_socket().ok_or_else(unknown)?;
    Ok((sock, fd, t.key.assoc_id))
}

/// `sctp.assoc_info CONN_ID`.
pub fn info(call: &Call) {
    if sctp_disabled() {
        return call.fault(500, "sctp support disabled");
    }
    let Some(conn_id) = call.int_param() else { return };
    match find(conn_id) {
        Ok((sock, fd, assoc_id)) => match view(sock, fd, assoc_id, conn_id as u32) {
            Some(v) => show(call, &v),
            None => call.fault(404, &format!("unknown connection id {conn_id} (the association has just ended)")),
        },
        Err(msg) => call.fault(404, &msg),
    }
}

/// `sctp.set_primary CONN_ID ADDRESS`.
pub fn set_primary(call: &Call) {
    if sctp_disabled() {
        return call.fault(500, "sctp support disabled");
    }
    let Some(conn_id) = call.int_param() else { return };
    let Some(address) = call.string_param() else { return };
    let (_, fd, assoc_id) = match find(conn_id) {
        Ok(found) => found,
        Err(msg) => return call.fault(404, &msg),
    };
    let peers = match st::peer_addrs(fd, assoc_id) {
        Ok(p) => p,
        Err(e) => return call.fault(404, &format!("unknown connection id {conn_id} ({e})")),
    };
    let target = match pick_peer(&address, &peers) {
        Ok(a) => a,
        Err(msg) => return call.fault(400, &format!("{msg} of connection {conn_id}")),
    };
    match st::set_primary(fd, assoc_id, &target) {
        Ok(()) => {
            log::info!("sctp.set_primary: connection {conn_id} (association {assoc_id}) now sends to {target} first");
            if let Some(s) = call.add_struct() {
                s.int(c"conn_id", conn_id);
                s.str(c"primary", &target.to_string());
            }
        }
        Err(e) => call.fault(500, &format!("cannot make {target} the primary path of connection {conn_id}: {e}")),
    }
}

/// The abort reason the peer gets.
const RESET_REASON: &[u8] = b"association reset by the operator (sctp.assoc_reset)";

/// `sctp.assoc_reset CONN_ID [shutdown|abort]`.
pub fn reset(call: &Call) {
    if sctp_disabled() {
        return call.fault(500, "sctp support disabled");
    }
    let Some(conn_id) = call.int_param() else { return };
    let how = call.optional_string().unwrap_or_else(|| "shutdown".into());
    let abort = match how.trim() {
        h if h.eq_ignore_ascii_case("shutdown") => false,
        h if h.eq_ignore_ascii_case("abort") => true,
        h => return call.fault(400, &format!("'{h}': expected shutdown (the default) or abort")),
    };
    let (sock, fd, assoc_id) = match find(conn_id) {
        Ok(found) => found,
        Err(msg) => return call.fault(404, &msg),
    };
    let peer = st::status(fd, assoc_id).ok().and_then(|s| s.primary);
    let how = if abort { "abort" } else { "shutdown" };
    let sent =
        if abort { send::send_abort(sock, None, assoc_id, RESET_REASON) } else { send::send_shutdown(sock, assoc_id) };
    match sent {
        Ok(()) => {
            let peer = peer.map_or_else(|| "?".into(), |p| p.to_string());
            log::info!(target: NOTICE, "sctp.assoc_reset: connection {conn_id} (association {assoc_id} with {peer} on {sock}) ended by {how}");
            if let Some(s) = call.add_struct() {
                s.int(c"conn_id", conn_id);
                s.int(c"assoc_id", assoc_id);
                s.str(c"peer", &peer);
                s.str(c"how", how);
            }
        }
        Err(e) => call.fault(500, &format!("cannot end connection {conn_id} (association {assoc_id}) by {how}: {e}")),
    }
}

/// The peer address ADDRESS names: `IP`, `IP:PORT` or `[IPv6]:PORT`, which
/// must be one of `peers`; else why not (completed by the caller with the
/// association it means).
pub fn pick_peer(address: &str, peers: &[SocketAddr]) -> Result<SocketAddr, String> {
    let address = address.trim();
    let wanted: Box<dyn Fn(&SocketAddr) -> bool> = if let Ok(a) = address.parse::<SocketAddr>() {
        Box::new(move |p| same(p, &a))
    } else if let Ok(ip) = address.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Box::new(move |p| same_ip(p.ip(), ip))
    } else {
        return Err(format!("'{address}' is not an IP address (use IP or IP:PORT)"));
    };
    match peers.iter().find(|p| wanted(p)) {
        Some(p) => Ok(*p),
        None => {
            let list: Vec<String> = peers.iter().map(|p| p.to_string()).collect();
            Err(format!("{address} is not a peer address (the peer's addresses are {})", list.join(", ")))
        }
    }
}

/// Equal ignoring IPv6 flow info and scope (the kernel may report either).
fn same(p: &SocketAddr, a: &SocketAddr) -> bool {
    p.port() == a.port() && same_ip(p.ip(), a.ip())
}

/// Equal, an IPv4 address also matching its IPv4-mapped IPv6 form (an IPv6
/// socket reports IPv4 peers so).
fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

#[cfg(test)]
mod tests {
    use super::pick_peer;
    use std::net::SocketAddr;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn picks_a_peer_address_by_ip_or_ip_and_port() {
        let peers = [a("127.0.0.1:5070"), a("127.0.0.2:5070"), a("[::1]:5070")];
        assert_eq!(pick_peer("127.0.0.2", &peers), Ok(peers[1]));
        assert_eq!(pick_peer(" 127.0.0.2:5070 ", &peers), Ok(peers[1]));
        assert_eq!(pick_peer("[::1]:5070", &peers), Ok(peers[2]));
        assert_eq!(pick_peer("::1", &peers), Ok(peers[2]));
        assert_eq!(pick_peer("[::1]", &peers), Ok(peers[2]));
        let mapped = [a("[::ffff:127.0.0.3]:5070")];
        assert_eq!(pick_peer("127.0.0.3", &mapped), Ok(mapped[0]));
    }

    #[test]
    fn says_which_address_is_wrong_and_what_the_peers_are() {
        let peers = [a("127.0.0.1:5070"), a("127.0.0.2:5070")];
        let e = pick_peer("127.0.0.3", &peers).unwrap_err();
        assert_eq!(e, "127.0.0.3 is not a peer address (the peer's addresses are 127.0.0.1:5070, 127.0.0.2:5070)");
        assert!(pick_peer("127.0.0.2:5071", &peers).unwrap_err().starts_with("127.0.0.2:5071 is not a peer address"));
        assert!(pick_peer("peer.example", &peers).unwrap_err().contains("not an IP address"));
        assert!(pick_peer("", &peers).is_err());
    }
}
