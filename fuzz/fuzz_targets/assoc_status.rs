//! What getsockopt returns about associations: SCTP_GET_ASSOC_ID_LIST,
//! SCTP_STATUS, SCTP_GET_PEER_ADDRS, SCTP_GET_PEER_ADDR_INFO and
//! SCTP_GET_ASSOC_STATS, and the `sctp.set_primary` address argument.
//! Checks, besides the absence of panics and out-of-bounds reads:
//! - on any bytes, the id list and the peer address list agree with plain
//!   walks written here from the Linux x86_64 layout;
//! - any list of addresses, packed as the kernel packs them, parses back;
//! - the status and path parsers accept exactly the structs' lengths and up,
//!   and read the integer fields at the kernel's offsets;
//! - the address picked for set_primary is always one of the peer's.
#![no_main]

use kamailio_sctp::fuzzing::{
    from_sockaddr_bytes, parse_assoc_ids, parse_path, parse_peer_addrs, parse_stats, parse_status, pick_peer,
};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;

const STATUS_LEN: usize = 176;
const PADDRINFO_LEN: usize = 152;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(b[at..at + 8].try_into().unwrap())
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

fn ref_ids(b: &[u8]) -> Vec<i32> {
    if b.len() < 4 {
        return vec![];
    }
    let n = (u32_at(b, 0) as usize).min((b.len() - 4) / 4);
    (0..n).map(|i| u32_at(b, 4 + 4 * i) as i32).collect()
}

fn ref_peers(b: &[u8]) -> Vec<SocketAddr> {
    if b.len() < 8 {
        return vec![];
    }
    let count = u32_at(b, 4) as usize;
    let (mut at, mut out) = (8, vec![]);
    while out.len() < count && at + 2 <= b.len() {
        let len = match u16::from_ne_bytes([b[at], b[at + 1]]) {
            AF_INET => 16,
            AF_INET6 => 28,
            _ => break,
        };
        if at + len > b.len() {
            break;
        }
        out.push(from_sockaddr_bytes(&b[at..at + len]).expect("a whole sockaddr of a known family"));
        at += len;
    }
    out
}

fn packed(a: &SocketAddr) -> Vec<u8> {
    match a {
        SocketAddr::V4(v) => {
            let mut b = AF_INET.to_ne_bytes().to_vec();
            b.extend_from_slice(&v.port().to_be_bytes());
            b.extend_from_slice(&v.ip().octets());
            b.extend_from_slice(&[0; 8]);
            b
        }
        SocketAddr::V6(v) => {
            let mut b = AF_INET6.to_ne_bytes().to_vec();
            b.extend_from_slice(&v.port().to_be_bytes());
            b.extend_from_slice(&v.flowinfo().to_be_bytes());
            b.extend_from_slice(&v.ip().octets());
            b.extend_from_slice(&v.scope_id().to_ne_bytes());
            b
        }
    }
}

fn run(u: &mut Unstructured) -> Result<()> {
    let n = u.int_in_range(0..=400)?;
    let raw = u.bytes(n)?.to_vec();
    assert_eq!(parse_assoc_ids(&raw), ref_ids(&raw));
    assert_eq!(parse_peer_addrs(&raw), ref_peers(&raw));

    let st = parse_status(&raw);
    assert_eq!(st.is_some(), raw.len() >= STATUS_LEN);
    if let Some(s) = st {
        assert_eq!(s.assoc_id as u32, u32_at(&raw, 0));
        assert_eq!(s.state as u32, u32_at(&raw, 4));
        assert_eq!(s.rwnd, u32_at(&raw, 8));
        assert_eq!(s.primary, parse_path(&raw[24..]).unwrap().addr);
    }
    let p = parse_path(&raw);
    assert_eq!(p.is_some(), raw.len() >= PADDRINFO_LEN);
    if let Some(p) = p {
        assert_eq!(
            (p.state as u32, p.cwnd, p.srtt, p.rto, p.mtu),
            (u32_at(&raw, 132), u32_at(&raw, 136), u32_at(&raw, 140), u32_at(&raw, 144), u32_at(&raw, 148))
        );
    }
    let stats = parse_stats(&raw);
    assert_eq!(stats.is_some(), raw.len() >= 256);
    if let Some(s) = stats {
        assert_eq!(s.retransmitted, u64_at(&raw, 176));
    }

    // any address list, packed as the kernel does, reads back whole
    let addrs: Vec<SocketAddr> = u.arbitrary()?;
    let mut b = 7i32.to_ne_bytes().to_vec();
    b.extend_from_slice(&(addrs.len() as u32).to_ne_bytes());
    for a in &addrs {
        b.extend_from_slice(&packed(a));
    }
    assert_eq!(parse_peer_addrs(&b), addrs);

    let arg: String = u.arbitrary()?;
    if let Ok(a) = pick_peer(&arg, &addrs) {
        assert!(addrs.contains(&a));
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
