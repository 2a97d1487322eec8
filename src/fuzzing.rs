//! The module's parsers of untrusted bytes and arguments, reachable from the fuzz
//! targets in `fuzz/` (which build these sources as an rlib: fuzz/lib). Not an
//! API: nothing in Kamailio uses it, and the cdylib exports no symbol of it.

use crate::kam::{net, sys};

use std::net::{IpAddr, SocketAddr};

pub use crate::config::params::{validate, RawValues};
pub use crate::config::peers::{parse as parse_peer, Peer, PeerError};
pub use crate::config::table::{ParamId, PARAM_COUNT};
pub use crate::sctp::assoc_status::{
    parse_assoc_ids, parse_path, parse_peer_addrs, parse_stats, parse_status, AssocStatus, PathStatus,
};
pub use crate::sctp::cmsg::{cmsg_len, cmsg_space, find_sndrcv, SendCmsgBuf, SndRcvInfo};
pub use crate::sctp::notification::{parse as parse_notification, Notification, ParseError};
pub use crate::shared::piece_store::{Added, HeapStore, Piece, Reassembled};
pub use crate::sip_frame::{extent, starts_with_start_line, Extent};
pub use crate::sockaddr::RawAddr;
pub use crate::sockaddr::{from_sockaddr_bytes, STORAGE_LEN};
pub use crate::transport::control::assoc_rpc::pick_peer;
pub use crate::transport::control::info_rpc::parse_sock_param;
pub use crate::transport::settings::runtime::{judge, Verdict};

/// The core's `struct ip_addr` with these fields, read back as a Rust address.
pub fn ip_from_core_parts(af: u32, len: u32, addr: [u8; 16]) -> Option<IpAddr> {
    net::ip_from_core(&sys::ip_addr { af, len, u: sys::ip_addr__bindgen_ty_1 { addr } })
}

/// An address through the core's `struct ip_addr` and back.
pub fn ip_through_core(ip: &IpAddr) -> Option<IpAddr> {
    net::ip_from_core(&net::ip_to_core(ip))
}

/// `a` in the kernel's form, with the length set to `len` as recvmsg reports it:
/// how many bytes are then valid, and the address read back.
pub fn raw_addr_with_len(a: &SocketAddr, len: u32) -> (usize, Option<SocketAddr>) {
    let mut raw = RawAddr::from_socket_addr(a);
    raw.set_len(len);
    (raw.bytes().len(), raw.to_socket_addr())
}
