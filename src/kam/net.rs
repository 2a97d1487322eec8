//! Safe views of the core's network structs: socket_info (a listen socket),
//! receive_info (where a message came from) and dest_info (where to send).

use super::sys;
use crate::pod;
use crate::sctp::socket::SctpSocket;
use crate::sockaddr::{from_sockaddr_bytes, RawAddr};
use std::fmt;
use std::marker::PhantomData;
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;

/// The core's `struct ip_addr` as a Rust address.
pub fn ip_from_core(ip: &sys::ip_addr) -> Option<IpAddr> {
    // SAFETY: every member of the union is integers spanning all of its 16
    // bytes, so whichever member was written, all 16 bytes are initialised and
    // any bytes are a valid `addr`.
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

/// The core's sockaddr_union holding the bytes of `raw` (as the core copies a
/// sockaddr into its `sas` member).
fn su_from_raw(raw: &RawAddr) -> sys::sockaddr_union {
    const _: () = assert!(size_of::<sys::sockaddr_union>() == size_of::<sys::sockaddr_storage>());
    let mut su = sys::sockaddr_union::default();
    su.sas = pod::from_prefix(raw.storage_bytes());
    su
}

/// A socket address in the core's sockaddr_union form.
pub fn su_from_socket_addr(a: &SocketAddr) -> sys::sockaddr_union {
    su_from_raw(&RawAddr::from_socket_addr(a))
}

/// # Safety
/// Every byte of `su` is initialised, as in any sockaddr_union the core filled in
/// (it copies whole sockaddrs into zeroed ones), one made by `Default`, or by
/// [`su_from_socket_addr`]. (One built in Rust from a smaller member, e.g.
/// `sockaddr_union { sin }`, is not.)
unsafe fn su_to_socket_addr(su: &sys::sockaddr_union) -> Option<SocketAddr> {
    // SAFETY: all bytes are initialised (the caller), and sockaddr_storage is
    // integers only, spanning the whole union.
    let sas = unsafe { su.sas };
    from_sockaddr_bytes(pod::bytes_of(&sas))
}

/// The bytes of a core `str`.
///
/// # Safety
/// `s.s` is null, or points to `s.len` readable bytes that nobody writes while
/// the returned slice is used.
unsafe fn str_bytes(s: &sys::str_) -> &[u8] {
    if s.s.is_null() || s.len <= 0 {
        return b"";
    }
    // SAFETY: the caller's promise; len > 0 was checked.
    unsafe { std::slice::from_raw_parts(s.s as *const u8, s.len as usize) }
}

/// A listen socket of the core (`struct socket_info`), to read, valid for `'a`.
/// The core allocates these before forking and keeps them, and their
/// descriptors, for the rest of the process. Not `Send`: the core is
/// single-threaded, and the struct is not ours.
#[derive(Clone, Copy)]
pub struct SocketInfo<'a> {
    ptr: NonNull<sys::socket_info>,
    _life: PhantomData<&'a sys::socket_info>,
}

impl<'a> SocketInfo<'a> {
    /// # Safety
    /// `p` is null, or points to a socket_info that, with the strings and the
    /// addr_info list it points to, stays valid for `'a`; that during `'a` is
    /// written only through an [`InitSocket`] for it (which never runs while a
    /// method of this handle does); and whose `socket` is -1 or a descriptor
    /// that stays open for `'a`.
    pub(super) unsafe fn from_ptr(p: *mut sys::socket_info) -> Option<Self> {
        NonNull::new(p).map(|ptr| SocketInfo { ptr, _life: PhantomData })
    }

    pub fn as_ptr(self) -> *mut sys::socket_info {
        self.ptr.as_ptr()
    }

    /// Reads the struct. The reference must not be kept: an InitSocket may
    /// write the struct afterwards.
    fn get(&self) -> &sys::socket_info {
        // SAFETY: from_ptr's contract: valid for 'a and not written while a
        // method of this handle runs.
        unsafe { self.ptr.as_ref() }
    }

    pub fn fd(&self) -> RawFd {
        self.get().socket
    }

    /// The SCTP socket behind this listen socket, once it has one. (Calls on it
    /// fail with an error if the core put another kind of socket there.)
    pub fn sctp_socket(&self) -> Option<SctpSocket<'a>> {
        let fd = self.fd();
        // SAFETY: from_ptr's contract: a descriptor other than -1 stays open
        // for 'a (the core owns it).
        (fd >= 0).then(|| unsafe { SctpSocket::from_raw(fd) })
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
    pub fn extra_addrs(&self) -> impl Iterator<Item = Option<SocketAddr>> + 'a {
        let port = self.port();
        let mut cur = self.get().addr_info_lst;
        std::iter::from_fn(move || {
            // SAFETY: from_ptr's contract: the addr_info list is valid for 'a;
            // each item is read and dropped before the next call.
            let ai = unsafe { cur.as_ref()? };
            cur = ai.next;
            Some(ip_from_core(&ai.address).map(|ip| SocketAddr::new(ip, port)))
        })
    }

    /// The next socket in the core's list.
    pub fn next(&self) -> Option<SocketInfo<'a>> {
        // SAFETY: from_ptr's contract covers the core's list: its links point to
        // socket_infos kept as long as this one, or are null.
        unsafe { SocketInfo::from_ptr(self.get().next) }
    }
}

impl fmt::Display for SocketInfo<'_> {
    /// "sctp:NAME:PORT", as the core names sockets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: from_ptr's contract: the name stays valid and unwritten for 'a.
        let name = String::from_utf8_lossy(unsafe { str_bytes(&self.get().name) });
        if self.family() == libc::AF_INET6 && !name.starts_with('[') {
            write!(f, "sctp:[{name}]:{}", self.port())
        } else {
            write!(f, "sctp:{name}:{}", self.port())
        }
    }
}

impl fmt::Debug for SocketInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A listen socket the core hands over for initialisation (the init_sock
/// callback): the one handle allowed to write it, for the duration of the call.
pub struct InitSocket<'a>(SocketInfo<'a>);

impl<'a> InitSocket<'a> {
    /// # Safety
    /// As [`SocketInfo::from_ptr`], and nothing but this handle writes the
    /// socket_info during `'a` (true of the core's init_sock argument: the core
    /// calls it once per socket, single-threaded, before it forks).
    pub(super) unsafe fn from_ptr(p: *mut sys::socket_info) -> Option<Self> {
        // SAFETY: the caller's promise, which includes from_ptr's.
        unsafe { SocketInfo::from_ptr(p) }.map(InitSocket)
    }

    /// A read handle (for addresses, display, ...).
    pub fn socket(&self) -> SocketInfo<'a> {
        self.0
    }

    fn get_mut(&mut self) -> &mut sys::socket_info {
        // SAFETY: from_ptr's contract: this is the only writer, and no read
        // handle runs a method while we hold the reference (single thread, and
        // the reference never leaves this module's methods).
        unsafe { self.0.ptr.as_mut() }
    }

    /// Marks the socket as SCTP and fills the sockaddr forms of its addresses,
    /// which the core reads later (e.g. for sending from this socket).
    pub fn prepare_sctp(&mut self) {
        let port = self.0.port();
        let si = self.get_mut();
        si.proto = sys::PROTO_SCTP as libc::c_char;
        if let Some(ip) = ip_from_core(&si.address) {
            si.su = su_from_socket_addr(&SocketAddr::new(ip, port));
        }
        let mut cur = si.addr_info_lst;
        // SAFETY: the addr_info list is valid for 'a (from_ptr's contract) and
        // written by nobody else; one item is borrowed at a time.
        while let Some(ai) = unsafe { cur.as_mut() } {
            if let Some(ip) = ip_from_core(&ai.address) {
                ai.su = su_from_socket_addr(&SocketAddr::new(ip, port));
            }
            cur = ai.next;
        }
    }

    /// Gives the socket its descriptor: the core owns it from then on (every
    /// process uses it; the core closes it on shutdown). Returns the socket.
    pub fn adopt_fd(&mut self, fd: OwnedFd) -> SctpSocket<'a> {
        let raw = fd.into_raw_fd();
        self.get_mut().socket = raw;
        // SAFETY: `raw` is open (it was owned until now) and, owned by the
        // core's socket_info from here, stays open for 'a.
        unsafe { SctpSocket::from_raw(raw) }
    }
}

/// The receive_info of one SCTP receiver process, reused for every message;
/// points to the socket `'a` is the life of.
pub struct ReceiveInfo<'a>(sys::receive_info, PhantomData<SocketInfo<'a>>);

impl<'a> ReceiveInfo<'a> {
    /// For messages arriving on `bind`.
    pub fn for_socket(bind: SocketInfo<'a>) -> Self {
        let si = bind.get();
        ReceiveInfo(
            sys::receive_info {
                dst_ip: si.address,
                dst_port: si.port_no,
                bind_address: bind.as_ptr(),
                proto: sys::PROTO_SCTP as libc::c_char,
                ..Default::default()
            },
            PhantomData,
        )
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

    pub fn raw(&self) -> &sys::receive_info {
        &self.0
    }
}

/// Where the core asks us to send (`struct dest_info`), borrowed for one call.
pub struct Dest<'a>(&'a sys::dest_info);

impl<'a> Dest<'a> {
    /// # Safety
    /// `p` is null or valid for reads for `'a`, fully initialised (as the
    /// core's are), and its `send_sock` is null or meets
    /// [`SocketInfo::from_ptr`]'s contract for `'a`.
    pub(super) unsafe fn from_ptr(p: *const sys::dest_info) -> Option<Self> {
        // SAFETY: the caller's promise.
        unsafe { p.as_ref() }.map(Dest)
    }

    /// The destination address.
    pub fn to(&self) -> Option<SocketAddr> {
        // SAFETY: from_ptr's contract: the struct is fully initialised.
        unsafe { su_to_socket_addr(&self.0.to) }
    }

    /// The connection id the core associates with the destination (0: none).
    pub fn conn_id(&self) -> i32 {
        self.0.id
    }

    /// The socket to send from.
    pub fn send_sock(&self) -> Option<SocketInfo<'a>> {
        // SAFETY: from_ptr's contract.
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
        let mut si = sys::socket_info {
            port_no: 5060,
            address: ip_to_core(&"127.0.0.1".parse().unwrap()),
            socket: -1,
            ..Default::default()
        };
        let si_ptr: *mut sys::socket_info = &mut si;
        // SAFETY: `si` outlives the handle, has no strings or list, no descriptor,
        // and is only read while the handle is used.
        let sock = unsafe { SocketInfo::from_ptr(si_ptr) }.unwrap();
        assert!(sock.sctp_socket().is_none(), "no descriptor yet");
        let mut ri = ReceiveInfo::for_socket(sock);
        let from: SocketAddr = "127.0.0.2:40000".parse().unwrap();
        ri.set_source(&RawAddr::from_socket_addr(&from), &from, 17);
        let r = ri.raw();
        assert_eq!(r.proto as u32, sys::PROTO_SCTP);
        assert_eq!(r.dst_port, 5060);
        assert_eq!(ip_from_core(&r.dst_ip), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(r.src_port, 40000);
        assert_eq!(ip_from_core(&r.src_ip), Some(from.ip()));
        // SAFETY: set_source filled the whole union.
        assert_eq!(unsafe { su_to_socket_addr(&r.src_su) }, Some(from));
        assert_eq!(r.proto_reserved1, 17);
        assert_eq!(r.bind_address, si_ptr);
    }

    #[test]
    fn init_socket_prepares_addresses_and_display() {
        let mut extra = sys::addr_info { address: ip_to_core(&"127.0.0.2".parse().unwrap()), ..Default::default() };
        let name = b"127.0.0.1";
        let mut si = sys::socket_info {
            port_no: 5060,
            addr_info_lst: &mut extra,
            name: sys::str_ { s: name.as_ptr() as *mut _, len: name.len() as i32 },
            address: ip_to_core(&"127.0.0.1".parse().unwrap()),
            socket: -1,
            ..Default::default()
        };
        // SAFETY: `si`, its name and its one extra address outlive the handles,
        // which are the only ones to touch them until dropped.
        let mut init = unsafe { InitSocket::from_ptr(&mut si) }.unwrap();
        let sock = init.socket();
        assert_eq!(sock.primary_addr(), Some("127.0.0.1:5060".parse().unwrap()));
        let extras: Vec<_> = sock.extra_addrs().collect();
        assert_eq!(extras, vec![Some("127.0.0.2:5060".parse().unwrap())]);
        init.prepare_sctp();
        assert_eq!(sock.to_string(), "sctp:127.0.0.1:5060");
        assert_eq!(si.proto as u32, sys::PROTO_SCTP);
        // SAFETY: prepare_sctp filled the whole unions.
        let (primary, second) = unsafe { (su_to_socket_addr(&si.su), su_to_socket_addr(&extra.su)) };
        assert_eq!(primary, Some("127.0.0.1:5060".parse().unwrap()));
        assert_eq!(second, Some("127.0.0.2:5060".parse().unwrap()));
    }

    #[test]
    #[cfg_attr(miri, ignore = "needs a real descriptor")]
    fn adopted_descriptor_belongs_to_the_socket_info() {
        use std::os::fd::{AsRawFd, FromRawFd};
        let mut si = sys::socket_info { socket: -1, ..Default::default() };
        let udp = OwnedFd::from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap());
        let raw = udp.as_raw_fd();
        // SAFETY: `si` outlives the handles, has no strings or list, and only
        // they touch it until dropped.
        let mut init = unsafe { InitSocket::from_ptr(&mut si) }.unwrap();
        let s = init.adopt_fd(udp);
        assert_eq!(s.fd(), raw);
        assert_eq!(init.socket().sctp_socket().map(|s| s.fd()), Some(raw));
        assert_eq!(si.socket, raw);
        // SAFETY: the descriptor is owned by `si`, which is going away.
        drop(unsafe { OwnedFd::from_raw_fd(si.socket) });
    }

    #[test]
    fn ipv6_names_get_brackets() {
        let name = b"::1";
        let mut si = sys::socket_info {
            port_no: 5061,
            name: sys::str_ { s: name.as_ptr() as *mut _, len: name.len() as i32 },
            address: ip_to_core(&"::1".parse().unwrap()),
            socket: -1,
            ..Default::default()
        };
        // SAFETY: `si` and its name outlive the handle and are only read.
        let sock = unsafe { SocketInfo::from_ptr(&mut si) }.unwrap();
        assert_eq!(sock.to_string(), "sctp:[::1]:5061");
        assert_eq!(sock.family(), libc::AF_INET6);
    }

    #[test]
    fn dest_reads_address_socket_and_id() {
        let to: SocketAddr = "[::1]:5080".parse().unwrap();
        let di = sys::dest_info { to: su_from_socket_addr(&to), id: 9, ..Default::default() };
        // SAFETY: `di` outlives the handle, is fully initialised, send_sock null.
        let d = unsafe { Dest::from_ptr(&di) }.unwrap();
        assert_eq!(d.to(), Some(to));
        assert_eq!(d.conn_id(), 9);
        assert!(d.send_sock().is_none());
    }
}
