//! Conversion between Rust socket addresses and the kernel's sockaddr forms.
//!
//! Addresses are handled as bytes: built field by field, read back through
//! [`crate::pod`], never by reinterpreting a value that may have padding.

use crate::pod::{self, write_field};
use std::mem::{align_of, offset_of, size_of};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Bytes of a `sockaddr_storage`: room for any address family.
pub const STORAGE_LEN: usize = size_of::<libc::sockaddr_storage>();

/// A sockaddr big enough for IPv4 and IPv6, as the kernel reads and writes it:
/// `len` valid bytes (never more than [`STORAGE_LEN`]) at the start of `bytes`.
#[derive(Clone)]
#[repr(C, align(8))]
pub struct RawAddr {
    bytes: [u8; STORAGE_LEN],
    len: libc::socklen_t,
}
const _: () = assert!(align_of::<RawAddr>() >= align_of::<libc::sockaddr_storage>());

impl RawAddr {
    /// An empty address for the kernel to fill (recvmsg).
    pub fn empty() -> Self {
        RawAddr { bytes: [0; STORAGE_LEN], len: STORAGE_LEN as libc::socklen_t }
    }

    pub fn from_socket_addr(addr: &SocketAddr) -> Self {
        let mut raw = Self::empty();
        let b = &mut raw.bytes;
        match addr {
            SocketAddr::V4(a) => {
                write_field!(b, libc::sockaddr_in, sin_family, libc::AF_INET as libc::sa_family_t);
                write_field!(b, libc::sockaddr_in, sin_port, a.port().to_be());
                let at = offset_of!(libc::sockaddr_in, sin_addr);
                b[at..at + 4].copy_from_slice(&a.ip().octets());
                raw.len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(a) => {
                write_field!(b, libc::sockaddr_in6, sin6_family, libc::AF_INET6 as libc::sa_family_t);
                write_field!(b, libc::sockaddr_in6, sin6_port, a.port().to_be());
                write_field!(b, libc::sockaddr_in6, sin6_flowinfo, a.flowinfo().to_be());
                write_field!(b, libc::sockaddr_in6, sin6_scope_id, a.scope_id());
                let at = offset_of!(libc::sockaddr_in6, sin6_addr);
                b[at..at + 16].copy_from_slice(&a.ip().octets());
                raw.len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        raw
    }

    /// For the kernel to read `len()` bytes from.
    pub fn as_ptr(&self) -> *const libc::sockaddr {
        self.bytes.as_ptr().cast()
    }

    /// For the kernel to write up to [`STORAGE_LEN`] bytes into.
    pub fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        self.bytes.as_mut_ptr().cast()
    }

    /// How many bytes of the address are valid.
    pub fn len(&self) -> libc::socklen_t {
        self.len
    }

    /// Whether no byte of the address is valid (as the kernel left it).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets how many bytes are valid (as the kernel reports it), at most
    /// [`STORAGE_LEN`].
    pub fn set_len(&mut self, len: libc::socklen_t) {
        self.len = len.min(STORAGE_LEN as libc::socklen_t);
    }

    /// The valid bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// All the bytes of the storage, valid or not (zero where never written).
    pub fn storage_bytes(&self) -> &[u8; STORAGE_LEN] {
        &self.bytes
    }

    /// The address, if it is an IPv4 or IPv6 one of a plausible length.
    pub fn to_socket_addr(&self) -> Option<SocketAddr> {
        from_sockaddr_bytes(self.bytes())
    }
}

/// Reads an IPv4 or IPv6 socket address from the bytes of a sockaddr
/// (sockaddr_storage, Kamailio's sockaddr_union, ...): only as many as given.
pub fn from_sockaddr_bytes(b: &[u8]) -> Option<SocketAddr> {
    if b.len() < size_of::<libc::sa_family_t>() {
        return None;
    }
    let family: libc::sa_family_t = pod::from_prefix(b);
    match family as i32 {
        libc::AF_INET if b.len() >= size_of::<libc::sockaddr_in>() => {
            let sin: libc::sockaddr_in = pod::from_prefix(b);
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes()),
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if b.len() >= size_of::<libc::sockaddr_in6>() => {
            let sin6: libc::sockaddr_in6 = pod::from_prefix(b);
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
        assert_eq!(raw.len() as usize, size_of::<libc::sockaddr_in>());
        let family: libc::sa_family_t = pod::from_prefix(raw.bytes());
        assert_eq!(family as i32, libc::AF_INET);
        assert_eq!(raw.to_socket_addr(), Some(a));
    }

    #[test]
    fn ipv6_round_trip_keeps_scope_and_flow() {
        let a = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 5061, 0x12345, 3));
        let raw = RawAddr::from_socket_addr(&a);
        assert_eq!(raw.len() as usize, size_of::<libc::sockaddr_in6>());
        assert_eq!(raw.to_socket_addr(), Some(a));
        let sin6: libc::sockaddr_in6 = pod::from_prefix(raw.bytes());
        assert_eq!(sin6.sin6_flowinfo, 0x12345u32.to_be());
        assert_eq!(sin6.sin6_addr.s6_addr, "fe80::1".parse::<Ipv6Addr>().unwrap().octets());
    }

    #[test]
    fn network_byte_order_on_the_wire() {
        let a: SocketAddr = "10.1.2.3:258".parse().unwrap();
        let raw = RawAddr::from_socket_addr(&a);
        assert_eq!(&raw.bytes()[2..8], &[1, 2, 10, 1, 2, 3]);
    }

    #[test]
    fn short_or_unknown_is_none() {
        let mut raw = RawAddr::from_socket_addr(&"127.0.0.1:1".parse().unwrap());
        raw.set_len(4);
        assert_eq!(raw.to_socket_addr(), None);
        let mut raw = RawAddr::empty();
        raw.bytes[..2].copy_from_slice(&(libc::AF_UNIX as libc::sa_family_t).to_ne_bytes());
        assert_eq!(raw.to_socket_addr(), None);
        assert_eq!(from_sockaddr_bytes(&[]), None);
    }

    #[test]
    fn length_never_exceeds_the_storage() {
        let mut raw = RawAddr::empty();
        raw.set_len(10_000);
        assert_eq!(raw.len() as usize, STORAGE_LEN);
        assert_eq!(raw.bytes().len(), STORAGE_LEN);
    }
}
