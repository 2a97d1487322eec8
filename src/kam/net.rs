//! Safe views of the core's network structs: socket_info (a listen socket),
//! receive_info (where a message came from) and dest_info (where to send).

use super::sys;
use crate::sockaddr::{from_sockaddr_bytes, RawAddr};
use std::fmt;
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::RawFd;
use std::ptr::NonNull;

/// The core's `struct ip_addr` as a Rust address.
pub fn ip_from_core(ip: &sys::ip_addr) -> Option<IpAddr> {
    // SAFETY: every member of the union is plain bytes; reading `addr` is valid
    // whichever member the core wrote.
    let bytes = unsafe { ip.u.addr };
    match ip.af as i32 {
        libc::AF_INET => Some(IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))),
        libc::AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(bytes))),
        _ => None,
    }
}

/// A Rust address as the core's `struct ip_addr`.
pub fn ip_to_core(ip: &IpAddr) -> sys::ip_addr {
    let mut out = sys::ip_addr::default();
    let mut bytes = [0u8; 16];
    match ip {
        IpAddr::V4(a) => {
            out.af = libc::AF_INET as u32;
            out.len = 4;
            bytes[..4].copy_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            out.af = libc::AF_INET6 as u32;
            out.len = 16;
            bytes = a.octets();
        }
    }
    out.u.addr = bytes;
    out
}

fn su_from_raw(raw: &RawAddr) -> sys::sockaddr_union {
    let mut su = sys::sockaddr_union::default();
    const _: () = assert!(size_of::<sys::sockaddr_union>() == size_of::<libc::sockaddr_storage>());
    // SAFETY: both are 128 bytes of plain data (asserted above); copying the
    // storage bytes into the union's `sas` member is exactly what the core does.
    unsafe {
        std::ptr::copy_nonoverlapping(
            &raw.storage as *const _ as *const u8,
            &mut su as *mut _ as *mut u8,
            size_of::<sys::sockaddr_union>(),
        )
    };
    su
}

/// A socket address in the core's sockaddr_union form.
pub fn su_from_socket_addr(a: &SocketAddr) -> sys::sockaddr_union {
    su_from_raw(&RawAddr::from_socket_addr(a))
}

fn su_to_socket_addr(su: &sys::sockaddr_union) -> Option<SocketAddr> {
    from_sockaddr_bytes(su, size_of::<sys::sockaddr_union>())
}

fn str_lossy(s: &sys::str_) -> &[u8] {
    if s.s.is_null() || s.len <= 0 {
        return b"";
    }
    // SAFETY: the core keeps `s` valid for `len` bytes for the socket's lifetime.
    unsafe { std::slice::from_raw_parts(s.s as *const u8, s.len as usize) }
}

/// A listen socket of the core (`struct socket_info`). The core allocates these
/// before forking and never frees them while the process runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SocketInfo(NonNull<sys::socket_info>);

impl SocketInfo {
    /// # Safety
    /// `p` must be null or point to a socket_info the core keeps alive for the
    /// rest of the process, not written concurrently by anyone else.
    pub(super) unsafe fn from_ptr(p: *mut sys::socket_info) -> Option<Self> {
        NonNull::new(p).map(SocketInfo)
    }

    pub fn as_ptr(self) -> *mut sys::socket_info {
        self.0.as_ptr()
    }

    fn get(&self) -> &sys::socket_info {
        // SAFETY: from_ptr's contract: valid for the process lifetime.
        unsafe { self.0.as_ref() }
    }

    fn get_mut(&mut self) -> &mut sys::socket_info {
        // SAFETY: as in get(); the core calls us single-threaded, before fork,
        // when it hands a socket over for initialisation.
        unsafe { self.0.as_mut() }
    }

    pub fn fd(&self) -> RawFd {
        self.get().socket
    }

    pub fn set_fd(&mut self, fd: RawFd) {
        self.get_mut().socket = fd;
    }

    pub fn port(&self) -> u16 {
        self.get().port_no
    }

    /// The primary address and port.
    pub fn primary_addr(&self) -> Option<SocketAddr> {
        ip_from_core(&self.get().address).map(|ip| SocketAddr::new(ip, self.port()))
    }

    /// The address family of the primary address (AF_INET / AF_INET6).
    pub fn family(&self) -> i32 {
        self.get().address.af as i32
    }

    /// The extra addresses of a multi-homed listen, with the port of the socket.
    /// `None` items are addresses the core gave in a form we cannot read.
    pub fn extra_addrs(&self) -> impl Iterator<Item = Option<SocketAddr>> + '_ {
        let port = self.port();
        let mut cur = self.get().addr_info_lst;
        std::iter::from_fn(move || {
            // SAFETY: the core's addr_info list is built before fork and lives
            // as long as the socket_info.
            let ai = unsafe { cur.as_ref()? };
            cur = ai.next;
            Some(ip_from_core(&ai.address).map(|ip| SocketAddr::new(ip, port)))
        })
    }

    /// The next socket in the core's list.
    pub fn next(&self) -> Option<SocketInfo> {
        // SAFETY: list links of the core point to live socket_infos or are null.
        unsafe { SocketInfo::from_ptr(self.get().next) }
    }

    /// Marks the socket as SCTP and fills the sockaddr forms of its addresses,
    /// which the core reads later (e.g. for sending from this socket).
    pub fn prepare_sctp(&mut self) {
        let port = self.port();
        let si = self.get_mut();
        si.proto = sys::PROTO_SCTP as libc::c_char;
        if let Some(ip) = ip_from_core(&si.address) {
            si.su = su_from_raw(&RawAddr::from_socket_addr(&SocketAddr::new(ip, port)));
        }
        let mut cur = si.addr_info_lst;
        // SAFETY: as in extra_addrs(); we are the only writer (before fork).
        while let Some(ai) = unsafe { cur.as_mut() } {
            if let Some(ip) = ip_from_core(&ai.address) {
                ai.su = su_from_raw(&RawAddr::from_socket_addr(&SocketAddr::new(ip, port)));
            }
            cur = ai.next;
        }
    }
}

impl fmt::Display for SocketInfo {
    /// "sctp:NAME:PORT", as the core names sockets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = String::from_utf8_lossy(str_lossy(&self.get().name));
        if self.family() == libc::AF_INET6 && !name.starts_with('[') {
            write!(f, "sctp:[{name}]:{}", self.port())
        } else {
            write!(f, "sctp:{name}:{}", self.port())
        }
    }
}

impl fmt::Debug for SocketInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The receive_info of one SCTP receiver process, reused for every message.
pub struct ReceiveInfo(sys::receive_info);

impl ReceiveInfo {
    /// For messages arriving on `bind`.
    pub fn for_socket(bind: SocketInfo) -> Self {
        let si = bind.get();
        ReceiveInfo(sys::receive_info {
            dst_ip: si.address,
            dst_port: si.port_no,
            bind_address: bind.as_ptr(),
            proto: sys::PROTO_SCTP as libc::c_char,
            ..Default::default()
        })
    }

    /// Sets the source of the next message: its address in both the core's
    /// forms, and the connection id (0: none).
    pub fn set_source(&mut self, from: &RawAddr, addr: &SocketAddr, conn_id: i32) {
        self.0.src_su = su_from_raw(from);
        self.0.src_ip = ip_to_core(&addr.ip());
        self.0.src_port = addr.port();
        self.0.proto_reserved1 = conn_id;
        self.0.proto_reserved2 = 0;
        self.0.rflags = 0;
    }

    pub(super) fn as_mut_ptr(&mut self) -> *mut sys::receive_info {
        &mut self.0
    }

    #[cfg(test)]
    pub fn raw(&self) -> &sys::receive_info {
        &self.0
    }
}

/// Where the core asks us to send (`struct dest_info`), borrowed for one call.
pub struct Dest<'a>(&'a sys::dest_info);

impl<'a> Dest<'a> {
    /// # Safety
    /// `p` must be null or valid for reads for the lifetime `'a`.
    pub(super) unsafe fn from_ptr(p: *const sys::dest_info) -> Option<Self> {
        p.as_ref().map(Dest)
    }

    /// The destination address.
    pub fn to(&self) -> Option<SocketAddr> {
        su_to_socket_addr(&self.0.to)
    }

    /// The connection id the core associates with the destination (0: none).
    pub fn conn_id(&self) -> i32 {
        self.0.id
    }

    /// The socket to send from.
    pub fn send_sock(&self) -> Option<SocketInfo> {
        // SAFETY: the core's send_sock points to one of its live socket_infos.
        unsafe { SocketInfo::from_ptr(self.0.send_sock) }
    }

}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_round_trip() {
        for s in ["127.0.0.1", "::1", "2001:db8::7"] {
            let ip: IpAddr = s.parse().unwrap();
            let core = ip_to_core(&ip);
            assert_eq!(ip_from_core(&core), Some(ip));
        }
        let v4 = ip_to_core(&"10.0.0.1".parse().unwrap());
        assert_eq!((v4.af, v4.len), (libc::AF_INET as u32, 4));
        assert_eq!(ip_from_core(&sys::ip_addr::default()), None);
    }

    #[test]
    fn receive_info_carries_source_and_socket() {
        let mut si = sys::socket_info { port_no: 5060, ..Default::default() };
        si.address = ip_to_core(&"127.0.0.1".parse().unwrap());
        let sock = unsafe { SocketInfo::from_ptr(&mut si) }.unwrap();
        let mut ri = ReceiveInfo::for_socket(sock);
        let from: SocketAddr = "127.0.0.2:40000".parse().unwrap();
        ri.set_source(&RawAddr::from_socket_addr(&from), &from, 17);
        let r = ri.raw();
        assert_eq!(r.proto as u32, sys::PROTO_SCTP);
        assert_eq!(r.dst_port, 5060);
        assert_eq!(ip_from_core(&r.dst_ip), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(r.src_port, 40000);
        assert_eq!(ip_from_core(&r.src_ip), Some(from.ip()));
        assert_eq!(su_to_socket_addr(&r.src_su), Some(from));
        assert_eq!(r.proto_reserved1, 17);
        assert_eq!(r.bind_address, &mut si as *mut _);
    }

    #[test]
    fn socket_info_addresses_and_display() {
        let mut extra = sys::addr_info::default();
        extra.address = ip_to_core(&"127.0.0.2".parse().unwrap());
        let name = b"127.0.0.1";
        let mut si = sys::socket_info {
            port_no: 5060,
            addr_info_lst: &mut extra,
            name: sys::str_ { s: name.as_ptr() as *mut _, len: name.len() as i32 },
            ..Default::default()
        };
        si.address = ip_to_core(&"127.0.0.1".parse().unwrap());
        let mut sock = unsafe { SocketInfo::from_ptr(&mut si) }.unwrap();
        assert_eq!(sock.primary_addr(), Some("127.0.0.1:5060".parse().unwrap()));
        let extras: Vec<_> = sock.extra_addrs().collect();
        assert_eq!(extras, vec![Some("127.0.0.2:5060".parse().unwrap())]);
        sock.prepare_sctp();
        assert_eq!(si.proto as u32, sys::PROTO_SCTP);
        assert_eq!(su_to_socket_addr(&si.su), Some("127.0.0.1:5060".parse().unwrap()));
        assert_eq!(su_to_socket_addr(&extra.su), Some("127.0.0.2:5060".parse().unwrap()));
        assert_eq!(sock.to_string(), "sctp:127.0.0.1:5060");
    }

    #[test]
    fn dest_reads_address_socket_and_id() {
        let to: SocketAddr = "[::1]:5080".parse().unwrap();
        let di = sys::dest_info { to: su_from_raw(&RawAddr::from_socket_addr(&to)), id: 9, ..Default::default() };
        let d = unsafe { Dest::from_ptr(&di) }.unwrap();
        assert_eq!(d.to(), Some(to));
        assert_eq!(d.conn_id(), 9);
        assert!(d.send_sock().is_none());
    }
}
