//! What the kernel knows about the associations of a one-to-many socket: their
//! ids, status, peer addresses (paths) with their figures, retransmission
//! counts; and choosing an association's primary path.
//!
//! Every answer is read from the kernel as bytes and parsed by the functions
//! `parse_*` here, which take any bytes (they are what the fuzz target feeds).
//! None of these calls blocks: getsockopt/setsockopt on SCTP sockets only look
//! at the kernel's association state.

use super::socket::SctpSocket;
use super::sys;
use crate::pod::{self, Pod};
use crate::sockaddr::{from_sockaddr_bytes, RawAddr};
use std::io;
use std::mem::{offset_of, size_of};
use std::net::SocketAddr;

/// An association id, as the kernel numbers them within one socket.
pub type AssocId = sys::sctp_assoc_t;

/// An association as SCTP_STATUS reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssocStatus {
    pub assoc_id: AssocId,
    /// `SCTP_ESTABLISHED` etc. (see [`assoc_state_name`]).
    pub state: i32,
    /// The peer's receive window, bytes.
    pub rwnd: u32,
    /// DATA chunks sent and not yet acknowledged.
    pub unacked: u16,
    /// DATA chunks waiting to be sent.
    pub pending: u16,
    pub instreams: u16,
    pub outstreams: u16,
    /// The peer address data goes to first.
    pub primary: Option<SocketAddr>,
}

/// One peer address of an association (a path), as SCTP_GET_PEER_ADDR_INFO
/// reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathStatus {
    pub addr: Option<SocketAddr>,
    /// `SCTP_ACTIVE` etc. (see [`path_state_name`]).
    pub state: i32,
    /// Congestion window, bytes.
    pub cwnd: u32,
    /// Smoothed round-trip time, ms.
    pub srtt: u32,
    /// Retransmission timeout, ms.
    pub rto: u32,
    /// Path MTU, bytes.
    pub mtu: u32,
}

/// The name of an association state (`sstat_state`), as the kernel headers
/// spell it without the `SCTP_` prefix.
pub fn assoc_state_name(state: i32) -> &'static str {
    match state as u32 {
        sys::SCTP_EMPTY => "EMPTY",
        sys::SCTP_CLOSED => "CLOSED",
        sys::SCTP_COOKIE_WAIT => "COOKIE_WAIT",
        sys::SCTP_COOKIE_ECHOED => "COOKIE_ECHOED",
        sys::SCTP_ESTABLISHED => "ESTABLISHED",
        sys::SCTP_SHUTDOWN_PENDING => "SHUTDOWN_PENDING",
        sys::SCTP_SHUTDOWN_SENT => "SHUTDOWN_SENT",
        sys::SCTP_SHUTDOWN_RECEIVED => "SHUTDOWN_RECEIVED",
        sys::SCTP_SHUTDOWN_ACK_SENT => "SHUTDOWN_ACK_SENT",
        _ => "UNKNOWN",
    }
}

/// The name of a path state (`spinfo_state`): ACTIVE, PF (potentially
/// failed), INACTIVE, UNCONFIRMED.
pub fn path_state_name(state: i32) -> &'static str {
    match state as u32 {
        sys::SCTP_INACTIVE => "INACTIVE",
        sys::SCTP_PF => "PF",
        sys::SCTP_ACTIVE => "ACTIVE",
        sys::SCTP_UNCONFIRMED => "UNCONFIRMED",
        _ => "UNKNOWN",
    }
}

const SCTP: i32 = libc::IPPROTO_SCTP;

/// getsockopt into `buf` (which carries the request in, for the options that
/// take one); the number of bytes the kernel wrote.
fn get_bytes(sock: SctpSocket<'_>, name: u32, buf: &mut [u8]) -> io::Result<usize> {
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: buf is writable for len bytes for the whole call; the kernel
    // writes at most len bytes and reports how many in len.
    let r = unsafe { libc::getsockopt(sock.fd(), SCTP, name as i32, buf.as_mut_ptr().cast(), &mut len) };
    if r == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok((len as usize).min(buf.len()))
}

fn set_bytes(sock: SctpSocket<'_>, name: u32, buf: &[u8]) -> io::Result<()> {
    // SAFETY: buf is readable for its length for the whole call; the kernel
    // only reads it.
    let r =
        unsafe { libc::setsockopt(sock.fd(), SCTP, name as i32, buf.as_ptr().cast(), buf.len() as libc::socklen_t) };
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// An all-zero buffer for a `T`, with `assoc_id` in its first field (every
/// per-association request starts with the id).
fn request<T>(assoc_id: AssocId) -> Vec<u8> {
    let mut b = vec![0u8; size_of::<T>()];
    b[..size_of::<AssocId>()].copy_from_slice(&assoc_id.to_ne_bytes());
    b
}

/// The ids of all associations of a one-to-many socket.
pub fn assoc_ids(sock: SctpSocket<'_>) -> io::Result<Vec<AssocId>> {
    // The kernel refuses (EINVAL) a buffer too short for all ids; the list may
    // grow between two calls, so grow the buffer until it fits.
    let mut room = 256usize;
    loop {
        let mut buf = vec![0u8; size_of::<sys::sctp_assoc_ids>() + room * size_of::<AssocId>()];
        match get_bytes(sock, sys::SCTP_GET_ASSOC_ID_LIST, &mut buf) {
            Ok(n) => return Ok(parse_assoc_ids(&buf[..n])),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) && room < 1 << 22 => room *= 4,
            Err(e) => return Err(e),
        }
    }
}

/// Parses `struct sctp_assoc_ids`: a count, then that many ids (as many as
/// the bytes hold).
pub fn parse_assoc_ids(b: &[u8]) -> Vec<AssocId> {
    let head = size_of::<sys::sctp_assoc_ids>();
    if b.len() < head {
        return Vec::new();
    }
    let count = pod::from_prefix::<u32>(b) as usize;
    b[head..].chunks_exact(size_of::<AssocId>()).take(count).map(pod::from_prefix::<AssocId>).collect()
}

/// SCTP_STATUS of one association.
pub fn status(sock: SctpSocket<'_>, assoc_id: AssocId) -> io::Result<AssocStatus> {
    let mut buf = request::<sys::sctp_status>(assoc_id);
    let n = get_bytes(sock, sys::SCTP_STATUS, &mut buf)?;
    parse_status(&buf[..n]).ok_or_else(|| io::Error::from_raw_os_error(libc::EPROTO))
}

/// Parses `struct sctp_status`; `None` when the bytes are too few.
pub fn parse_status(b: &[u8]) -> Option<AssocStatus> {
    if b.len() < size_of::<sys::sctp_status>() {
        return None;
    }
    let s: sys::sctp_status = pod::from_prefix(b);
    let primary_at = offset_of!(sys::sctp_status, sstat_primary);
    Some(AssocStatus {
        assoc_id: s.sstat_assoc_id,
        state: s.sstat_state,
        rwnd: s.sstat_rwnd,
        unacked: s.sstat_unackdata,
        pending: s.sstat_penddata,
        instreams: s.sstat_instrms,
        outstreams: s.sstat_outstrms,
        primary: parse_path(&b[primary_at..])?.addr,
    })
}

/// The peer addresses of one association, with their ports.
pub fn peer_addrs(sock: SctpSocket<'_>, assoc_id: AssocId) -> io::Result<Vec<SocketAddr>> {
    // Room for this many IPv6 addresses; the kernel says ENOMEM when they do not fit.
    let mut room = 16usize;
    loop {
        let mut buf = request::<sys::sctp_getaddrs>(assoc_id);
        buf.resize(size_of::<sys::sctp_getaddrs>() + room * size_of::<libc::sockaddr_in6>(), 0);
        match get_bytes(sock, sys::SCTP_GET_PEER_ADDRS, &mut buf) {
            Ok(n) => return Ok(parse_peer_addrs(&buf[..n])),
            Err(e) if e.raw_os_error() == Some(libc::ENOMEM) && room < 1 << 16 => room *= 4,
            Err(e) => return Err(e),
        }
    }
}

/// Parses `struct sctp_getaddrs`: a count, then packed sockaddr_in /
/// sockaddr_in6, each as long as its family's. Stops at the count, at the
/// end of the bytes or at a family it does not know.
pub fn parse_peer_addrs(b: &[u8]) -> Vec<SocketAddr> {
    let head = size_of::<sys::sctp_getaddrs>();
    if b.len() < head {
        return Vec::new();
    }
    let count = pod::from_prefix::<sys::sctp_getaddrs>(b).addr_num as usize;
    let mut rest = &b[head..];
    let mut out = Vec::new();
    while out.len() < count && rest.len() >= size_of::<libc::sa_family_t>() {
        let len = match pod::from_prefix::<libc::sa_family_t>(rest) as i32 {
            libc::AF_INET => size_of::<libc::sockaddr_in>(),
            libc::AF_INET6 => size_of::<libc::sockaddr_in6>(),
            _ => break,
        };
        let Some(a) = rest.get(..len).and_then(from_sockaddr_bytes) else { break };
        out.push(a);
        rest = &rest[len..];
    }
    out
}

/// SCTP_GET_PEER_ADDR_INFO: the figures of one path of an association.
pub fn path_status(sock: SctpSocket<'_>, assoc_id: AssocId, addr: &SocketAddr) -> io::Result<PathStatus> {
    let mut buf = request::<sys::sctp_paddrinfo>(assoc_id);
    put_address(&mut buf, offset_of!(sys::sctp_paddrinfo, spinfo_address), addr);
    let n = get_bytes(sock, sys::SCTP_GET_PEER_ADDR_INFO, &mut buf)?;
    parse_path(&buf[..n]).ok_or_else(|| io::Error::from_raw_os_error(libc::EPROTO))
}

/// Parses `struct sctp_paddrinfo`; `None` when the bytes are too few.
pub fn parse_path(b: &[u8]) -> Option<PathStatus> {
    if b.len() < size_of::<sys::sctp_paddrinfo>() {
        return None;
    }
    let p: sys::sctp_paddrinfo = pod::from_prefix(b);
    let at = offset_of!(sys::sctp_paddrinfo, spinfo_address);
    Some(PathStatus {
        addr: from_sockaddr_bytes(&b[at..at + size_of::<sys::sockaddr_storage>()]),
        state: p.spinfo_state,
        cwnd: p.spinfo_cwnd,
        srtt: p.spinfo_srtt,
        rto: p.spinfo_rto,
        mtu: p.spinfo_mtu,
    })
}

/// An association's counters (SCTP_GET_ASSOC_STATS), since it began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssocStats {
    /// DATA chunks retransmitted.
    pub retransmitted: u64,
    /// The largest retransmission timeout seen, ms, since the last read of
    /// these counters (the kernel resets it on every read).
    pub max_rto_ms: u64,
    pub sacks_in: u64,
    pub sacks_out: u64,
    pub packets_in: u64,
    pub packets_out: u64,
    /// SACKs received that reported a gap (chunks lost or reordered).
    pub gap_acks: u64,
    /// DATA chunks sent and received, ordered and unordered.
    pub data_out: u64,
    pub data_in: u64,
    /// DATA chunks received twice.
    pub duplicates_in: u64,
}

/// The counters of one association, or `None` where the kernel does not
/// keep them.
pub fn stats(sock: SctpSocket<'_>, assoc_id: AssocId) -> io::Result<Option<AssocStats>> {
    let mut buf = request::<sys::sctp_assoc_stats>(assoc_id);
    match get_bytes(sock, sys::SCTP_GET_ASSOC_STATS, &mut buf) {
        Ok(n) => Ok(parse_stats(&buf[..n])),
        // kernels before 3.11 (or built without it) do not know the option
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOPROTOOPT | libc::EOPNOTSUPP)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Parses `struct sctp_assoc_stats`; `None` when the bytes are too few (a
/// kernel writes all of it or fails).
pub fn parse_stats(b: &[u8]) -> Option<AssocStats> {
    if b.len() < size_of::<sys::sctp_assoc_stats>() {
        return None;
    }
    let s: sys::sctp_assoc_stats = pod::from_prefix(b);
    Some(AssocStats {
        retransmitted: s.sas_rtxchunks,
        max_rto_ms: s.sas_maxrto,
        sacks_in: s.sas_isacks,
        sacks_out: s.sas_osacks,
        packets_in: s.sas_ipackets,
        packets_out: s.sas_opackets,
        gap_acks: s.sas_gapcnt,
        data_out: s.sas_ouodchunks.saturating_add(s.sas_oodchunks),
        data_in: s.sas_iuodchunks.saturating_add(s.sas_iodchunks),
        duplicates_in: s.sas_idupchunks,
    })
}

/// The path MTU probe interval of one path (SCTP_PLPMTUD_PROBE_INTERVAL), ms;
/// 0: not probed; `None` where the kernel cannot probe (before 5.14).
pub fn probe_interval(sock: SctpSocket<'_>, assoc_id: AssocId, addr: &SocketAddr) -> io::Result<Option<u32>> {
    let at = offset_of!(sys::sctp_probeinterval, spi_address);
    let p = path_option::<sys::sctp_probeinterval>(sock, sys::SCTP_PLPMTUD_PROBE_INTERVAL, assoc_id, addr, at)?;
    Ok(p.map(|p| p.spi_interval))
}

/// The remote UDP port one path is encapsulated to (SCTP over UDP,
/// SCTP_REMOTE_UDP_ENCAPS_PORT): 0 for plain SCTP; `None` where the kernel
/// cannot encapsulate (before 5.11). The kernel keeps the port the peer's
/// last packet on the path came from.
pub fn encap_port(sock: SctpSocket<'_>, assoc_id: AssocId, addr: &SocketAddr) -> io::Result<Option<u16>> {
    let at = offset_of!(sys::sctp_udpencaps, sue_address);
    let u = path_option::<sys::sctp_udpencaps>(sock, sys::SCTP_REMOTE_UDP_ENCAPS_PORT, assoc_id, addr, at)?;
    // the port in network byte order, as on the wire
    Ok(u.map(|u| u16::from_be(u.sue_port)))
}

/// Option `name` of one path (association `assoc_id`, peer address `addr`,
/// put at `addr_at` in the request `T`); `None` where the kernel does not
/// know the option.
fn path_option<T: Pod>(
    sock: SctpSocket<'_>,
    name: u32,
    assoc_id: AssocId,
    addr: &SocketAddr,
    addr_at: usize,
) -> io::Result<Option<T>> {
    let mut buf = request::<T>(assoc_id);
    put_address(&mut buf, addr_at, addr);
    match get_bytes(sock, name, &mut buf) {
        Ok(n) if n >= size_of::<T>() => Ok(Some(pod::from_prefix::<T>(&buf))),
        Ok(_) => Err(io::Error::from_raw_os_error(libc::EPROTO)),
        Err(e) if e.raw_os_error() == Some(libc::ENOPROTOOPT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Makes `addr` the primary path of an association (SCTP_PRIMARY_ADDR). The
/// kernel refuses (EINVAL) an address that is not one of the association's.
pub fn set_primary(sock: SctpSocket<'_>, assoc_id: AssocId, addr: &SocketAddr) -> io::Result<()> {
    let mut buf = request::<sys::sctp_prim>(assoc_id);
    put_address(&mut buf, offset_of!(sys::sctp_prim, ssp_addr), addr);
    set_bytes(sock, sys::SCTP_PRIMARY_ADDR, &buf)
}

/// Writes `addr` as a sockaddr at `at` in a request buffer.
fn put_address(buf: &mut [u8], at: usize, addr: &SocketAddr) {
    let raw = RawAddr::from_socket_addr(addr);
    buf[at..at + raw.bytes().len()].copy_from_slice(raw.bytes());
}

#[cfg(test)]
#[path = "assoc_status_tests.rs"]
mod tests;
