//! Conversion between Rust socket addresses and the kernel's sockaddr forms.

use std::mem::{size_of, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// A sockaddr big enough for IPv4 and IPv6, as the kernel reads and writes it.
#[derive(Clone, Copy)]
pub struct RawAddr {
    pub storage: libc::sockaddr_storage,
    pub len: libc::socklen_t,
}

impl RawAddr {
    /// An empty address for the kernel to fill (recvmsg).
    pub fn empty() -> Self {
        // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
        let storage = unsafe { MaybeUninit::<libc::sockaddr_storage>::zeroed().assume_init() };
        RawAddr { storage, len: size_of::<libc::sockaddr_storage>() as libc::socklen_t }
    }

    pub fn from_socket_addr(addr: &SocketAddr) -> Self {
        let mut raw = Self::empty();
        match addr {
            SocketAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_storage is larger than and suitably aligned for
                // sockaddr_in; we write exactly one sockaddr_in at its start.
                unsafe { std::ptr::write(&mut raw.storage as *mut _ as *mut libc::sockaddr_in, sin) };
                raw.len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(a) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo().to_be(),
                    sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                    sin6_scope_id: a.scope_id(),
                };
                // SAFETY: as above, for sockaddr_in6.
                unsafe { std::ptr::write(&mut raw.storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
                raw.len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        raw
    }

    pub fn as_ptr(&self) -> *const libc::sockaddr {
        &self.storage as *const _ as *const libc::sockaddr
    }

    pub fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        &mut self.storage as *mut _ as *mut libc::sockaddr
    }

    /// The address, if it is an IPv4 or IPv6 one of a plausible length.
    pub fn to_socket_addr(&self) -> Option<SocketAddr> {
        from_sockaddr_bytes(&self.storage, self.len as usize)
    }
}

/// Reads an IPv4 or IPv6 socket address from the start of any sockaddr-shaped
/// value (sockaddr_storage, Kamailio's sockaddr_union, ...). `len` is how many
/// bytes of it are valid.
pub fn from_sockaddr_bytes<T>(sa: &T, len: usize) -> Option<SocketAddr> {
    let avail = len.min(size_of::<T>());
    if avail < size_of::<libc::sa_family_t>() {
        return None;
    }
    let p = sa as *const T as *const u8;
    // SAFETY: at least a sa_family_t's worth of bytes of *sa are readable.
    let family = unsafe { std::ptr::read_unaligned(p as *const libc::sa_family_t) };
    match family as i32 {
        libc::AF_INET if avail >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: `avail` bytes cover a whole sockaddr_in.
            let sin = unsafe { std::ptr::read_unaligned(p as *const libc::sockaddr_in) };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes()),
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if avail >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: `avail` bytes cover a whole sockaddr_in6.
            let sin6 = unsafe { std::ptr::read_unaligned(p as *const libc::sockaddr_in6) };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                u32::from_be(sin6.sin6_flowinfo),
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_round_trip() {
        let a: SocketAddr = "127.0.0.2:5060".parse().unwrap();
        let raw = RawAddr::from_socket_addr(&a);
        assert_eq!(raw.len as usize, size_of::<libc::sockaddr_in>());
        assert_eq!(raw.storage.ss_family as i32, libc::AF_INET);
        assert_eq!(raw.to_socket_addr(), Some(a));
    }

    #[test]
    fn ipv6_round_trip_keeps_scope() {
        let a = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 5061, 0, 3));
        let raw = RawAddr::from_socket_addr(&a);
        assert_eq!(raw.len as usize, size_of::<libc::sockaddr_in6>());
        assert_eq!(raw.to_socket_addr(), Some(a));
    }

    #[test]
    fn network_byte_order_on_the_wire() {
        let a: SocketAddr = "10.1.2.3:258".parse().unwrap();
        let raw = RawAddr::from_socket_addr(&a);
        let bytes: &[u8; 8] = unsafe { &*(&raw.storage as *const _ as *const [u8; 8]) };
        assert_eq!(&bytes[2..8], &[1, 2, 10, 1, 2, 3]);
    }

    #[test]
    fn short_or_unknown_is_none() {
        let mut raw = RawAddr::from_socket_addr(&"127.0.0.1:1".parse().unwrap());
        raw.len = 4;
        assert_eq!(raw.to_socket_addr(), None);
        let mut raw = RawAddr::empty();
        raw.storage.ss_family = libc::AF_UNIX as libc::sa_family_t;
        assert_eq!(raw.to_socket_addr(), None);
    }
}
