//! Socket addresses: kernel sockaddr bytes to Rust addresses, and Rust addresses
//! through the kernel's and Kamailio's forms (sockaddr_storage, ip_addr; the
//! core's sockaddr_union is read only through `unsafe`, so not from here).
//! Checks, besides the absence of panics and out-of-bounds reads:
//! - on any bytes, `from_sockaddr_bytes` agrees with a decoding written here
//!   from the Linux layout (sockaddr_in, sockaddr_in6), at any alignment;
//! - a `RawAddr` (the kernel's form) with any length the kernel may report reads back its address
//!   only when the length covers it;
//! - the core's ip_addr with any family, length and bytes reads as its family says;
//! - any address survives every round trip unchanged (port, flow info, scope).
#![no_main]

use kamailio_sctp::fuzzing::{
    from_sockaddr_bytes, ip_from_core_parts, ip_through_core, raw_addr_with_len, STORAGE_LEN,
};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const SOCKADDR_IN_LEN: usize = 16;
const SOCKADDR_IN6_LEN: usize = 28;

fn reference(b: &[u8]) -> Option<SocketAddr> {
    let avail = b.len();
    if avail < 2 {
        return None;
    }
    // both families put the port right after the family
    let port = || u16::from_be_bytes([b[2], b[3]]);
    match u16::from_ne_bytes([b[0], b[1]]) {
        AF_INET if avail >= SOCKADDR_IN_LEN => {
            Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(b[4], b[5], b[6], b[7]), port())))
        }
        AF_INET6 if avail >= SOCKADDR_IN6_LEN => {
            let ip: [u8; 16] = b[8..24].try_into().unwrap();
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                port(),
                u32::from_be_bytes(b[4..8].try_into().unwrap()),
                u32::from_ne_bytes(b[24..28].try_into().unwrap()),
            )))
        }
        _ => None,
    }
}

fn check_round_trips(a: SocketAddr) {
    assert_eq!(raw_addr_with_len(&a, STORAGE_LEN as u32).1, Some(a));
    assert_eq!(ip_through_core(&a.ip()), Some(a.ip()));
}

fn run(u: &mut Unstructured) -> Result<()> {
    let n = u.int_in_range(0..=40)?;
    let mut raw = u.bytes(n)?.to_vec();
    if raw.len() >= 2 && u.arbitrary()? {
        // steer towards the two families read
        let fam = if u.arbitrary()? { AF_INET } else { AF_INET6 };
        raw[..2].copy_from_slice(&fam.to_ne_bytes());
    }
    // at any address: the bytes of a packed struct, a network buffer, ...
    let shift = u.int_in_range(0..=7)?;
    let mut shifted = vec![0u8; shift];
    shifted.extend_from_slice(&raw);
    let got = from_sockaddr_bytes(&shifted[shift..]);
    assert_eq!(got, reference(&raw));
    if let Some(a) = got {
        check_round_trips(a);
    }

    // the length recvmsg reports may be anything, even more than the storage
    // (an address cut short): the address reads back only when it is whole
    let a: SocketAddr = u.arbitrary()?;
    check_round_trips(a);
    let len: u32 = if u.arbitrary()? { u.int_in_range(0..=40)? } else { u.arbitrary()? };
    let (valid, back) = raw_addr_with_len(&a, len);
    assert!(valid <= STORAGE_LEN && valid as u64 <= len as u64);
    let whole = if a.is_ipv4() { SOCKADDR_IN_LEN } else { SOCKADDR_IN6_LEN };
    assert_eq!(back, (len as usize >= whole).then_some(a));

    let (af, iplen, bytes): (u32, u32, [u8; 16]) = (u.arbitrary()?, u.arbitrary()?, u.arbitrary()?);
    let af = match u.int_in_range(0..=2)? {
        0 => AF_INET as u32,
        1 => AF_INET6 as u32,
        _ => af,
    };
    let expected = match af {
        2 => Some(IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))),
        10 => Some(IpAddr::V6(Ipv6Addr::from(bytes))),
        _ => None,
    };
    assert_eq!(ip_from_core_parts(af, iplen, bytes), expected);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
