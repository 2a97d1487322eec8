//! Socket addresses: kernel sockaddr bytes to Rust addresses, and Rust addresses
//! through the kernel's and Kamailio's forms (sockaddr_storage, sockaddr_union,
//! ip_addr). Checks, besides the absence of panics and out-of-bounds reads:
//! - on any bytes and any claimed length, `from_sockaddr_bytes` agrees with a
//!   decoding written here from the Linux layout (sockaddr_in, sockaddr_in6);
//! - the core's ip_addr with any family, length and bytes reads as its family says;
//! - any address survives every round trip unchanged (port, flow info, scope).
#![no_main]

use kamailio_sctp::fuzzing::{
    from_sockaddr_bytes, ip_from_core_parts, ip_through_core, sockaddr_through_core, RawAddr,
};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const SOCKADDR_IN_LEN: usize = 16;
const SOCKADDR_IN6_LEN: usize = 28;

fn reference(b: &[u8; 128], len: usize) -> Option<SocketAddr> {
    let avail = len.min(b.len());
    if avail < 2 {
        return None;
    }
    let port = u16::from_be_bytes([b[2], b[3]]);
    match u16::from_ne_bytes([b[0], b[1]]) {
        AF_INET if avail >= SOCKADDR_IN_LEN => {
            Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(b[4], b[5], b[6], b[7]), port)))
        }
        AF_INET6 if avail >= SOCKADDR_IN6_LEN => {
            let ip: [u8; 16] = b[8..24].try_into().unwrap();
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                port,
                u32::from_be_bytes(b[4..8].try_into().unwrap()),
                u32::from_ne_bytes(b[24..28].try_into().unwrap()),
            )))
        }
        _ => None,
    }
}

fn check_round_trips(a: SocketAddr) {
    assert_eq!(RawAddr::from_socket_addr(&a).to_socket_addr(), Some(a));
    assert_eq!(sockaddr_through_core(&a), Some(a));
    assert_eq!(ip_through_core(&a.ip()), Some(a.ip()));
}

fn run(u: &mut Unstructured) -> Result<()> {
    // short inputs: mostly the family and the length matter
    let len = if u.arbitrary()? { u.int_in_range(0..=40)? } else { u.arbitrary::<usize>()? };
    let mut raw = [0u8; 128];
    let n = u.int_in_range(0..=40)?;
    raw[..n].copy_from_slice(u.bytes(n)?);
    if u.arbitrary()? {
        // steer towards the two families read
        let fam = if u.arbitrary()? { AF_INET } else { AF_INET6 };
        raw[..2].copy_from_slice(&fam.to_ne_bytes());
    }
    let got = from_sockaddr_bytes(&raw, len);
    assert_eq!(got, reference(&raw, len));
    if let Some(a) = got {
        check_round_trips(a);
    }

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

    check_round_trips(u.arbitrary()?);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
