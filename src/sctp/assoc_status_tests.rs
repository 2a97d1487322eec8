use super::*;
use crate::pod::write_field;

fn v4(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The bytes of a sockaddr for `a`, as the kernel packs them.
fn sockaddr(a: &SocketAddr) -> Vec<u8> {
    RawAddr::from_socket_addr(a).bytes().to_vec()
}

#[test]
fn structs_have_the_kernel_sizes() {
    // include/uapi/linux/sctp.h on x86_64 (sctp_paddrinfo and sctp_prim are
    // packed, aligned(4))
    assert_eq!(size_of::<sys::sctp_assoc_ids>(), 4);
    assert_eq!(size_of::<sys::sctp_status>(), 176);
    assert_eq!(size_of::<sys::sctp_paddrinfo>(), 152);
    assert_eq!(size_of::<sys::sctp_getaddrs>(), 8);
    assert_eq!(size_of::<sys::sctp_assoc_stats>(), 256);
    assert_eq!(size_of::<sys::sctp_prim>(), 132);
    assert_eq!(offset_of!(sys::sctp_status, sstat_primary), 24);
    assert_eq!(offset_of!(sys::sctp_paddrinfo, spinfo_state), 132);
    assert_eq!(offset_of!(sys::sctp_assoc_stats, sas_rtxchunks), 176);
}

#[test]
fn assoc_ids_take_the_count_and_no_more_than_the_bytes() {
    let mut b = 3u32.to_ne_bytes().to_vec();
    for id in [7i32, 9, 12, 99] {
        b.extend_from_slice(&id.to_ne_bytes());
    }
    assert_eq!(parse_assoc_ids(&b), vec![7, 9, 12], "the count rules, not the buffer");
    b[..4].copy_from_slice(&10u32.to_ne_bytes());
    assert_eq!(parse_assoc_ids(&b[..13]), vec![7, 9], "a partial id is not read");
    assert_eq!(parse_assoc_ids(&[1, 0]), Vec::<AssocId>::new());
}

fn paddrinfo(addr: &SocketAddr, state: u32, cwnd: u32, srtt: u32, rto: u32, mtu: u32) -> Vec<u8> {
    let mut b = vec![0u8; size_of::<sys::sctp_paddrinfo>()];
    let at = offset_of!(sys::sctp_paddrinfo, spinfo_address);
    let a = sockaddr(addr);
    b[at..at + a.len()].copy_from_slice(&a);
    write_field!(b, sys::sctp_paddrinfo, spinfo_state, state as i32);
    write_field!(b, sys::sctp_paddrinfo, spinfo_cwnd, cwnd);
    write_field!(b, sys::sctp_paddrinfo, spinfo_srtt, srtt);
    write_field!(b, sys::sctp_paddrinfo, spinfo_rto, rto);
    write_field!(b, sys::sctp_paddrinfo, spinfo_mtu, mtu);
    b
}

#[test]
fn status_fields_and_primary_path() {
    let mut b = vec![0u8; size_of::<sys::sctp_status>()];
    write_field!(b, sys::sctp_status, sstat_assoc_id, 5);
    write_field!(b, sys::sctp_status, sstat_state, sys::SCTP_ESTABLISHED as i32);
    write_field!(b, sys::sctp_status, sstat_rwnd, 106_496);
    write_field!(b, sys::sctp_status, sstat_unackdata, 2);
    write_field!(b, sys::sctp_status, sstat_penddata, 1);
    write_field!(b, sys::sctp_status, sstat_instrms, 10);
    write_field!(b, sys::sctp_status, sstat_outstrms, 12);
    let at = offset_of!(sys::sctp_status, sstat_primary);
    let p = paddrinfo(&v4("127.0.0.2:5070"), sys::SCTP_ACTIVE, 1, 2, 3, 4);
    b[at..at + p.len()].copy_from_slice(&p);
    let s = parse_status(&b).unwrap();
    assert_eq!(
        s,
        AssocStatus {
            assoc_id: 5,
            state: sys::SCTP_ESTABLISHED as i32,
            rwnd: 106_496,
            unacked: 2,
            pending: 1,
            instreams: 10,
            outstreams: 12,
            primary: Some(v4("127.0.0.2:5070")),
        }
    );
    assert_eq!(assoc_state_name(s.state), "ESTABLISHED");
    assert_eq!(parse_status(&b[..b.len() - 1]), None, "a short struct is refused");
}

#[test]
fn path_figures() {
    let a = SocketAddr::V6("[::1]:5061".parse().unwrap());
    let p = parse_path(&paddrinfo(&a, sys::SCTP_PF, 4380, 12, 300, 65_483)).unwrap();
    assert_eq!(
        p,
        PathStatus { addr: Some(a), state: sys::SCTP_PF as i32, cwnd: 4380, srtt: 12, rto: 300, mtu: 65_483 }
    );
    assert_eq!(path_state_name(p.state), "PF");
    assert_eq!(path_state_name(sys::SCTP_ACTIVE as i32), "ACTIVE");
    assert_eq!(path_state_name(-7), "UNKNOWN");
    assert_eq!(assoc_state_name(1000), "UNKNOWN");
    assert_eq!(parse_path(&[0; 100]), None);
}

#[test]
fn peer_addrs_of_mixed_families_packed_back_to_back() {
    let addrs = [v4("127.0.0.1:5070"), "[::1]:5070".parse().unwrap(), v4("127.0.0.2:5070")];
    let mut b = request::<sys::sctp_getaddrs>(3);
    write_field!(b, sys::sctp_getaddrs, addr_num, 3);
    for a in &addrs {
        b.extend_from_slice(&sockaddr(a));
    }
    assert_eq!(parse_peer_addrs(&b), addrs.to_vec());
    // the count rules; a cut address and an unknown family end the list
    write_field!(b, sys::sctp_getaddrs, addr_num, 2);
    assert_eq!(parse_peer_addrs(&b), addrs[..2].to_vec());
    write_field!(b, sys::sctp_getaddrs, addr_num, 3);
    assert_eq!(parse_peer_addrs(&b[..b.len() - 1]), addrs[..2].to_vec());
    b[8..10].copy_from_slice(&(libc::AF_UNIX as u16).to_ne_bytes());
    assert_eq!(parse_peer_addrs(&b), vec![]);
    assert_eq!(parse_peer_addrs(&[0; 7]), vec![]);
}

#[test]
fn stats_only_when_the_kernel_wrote_them_all() {
    let mut b = vec![0u8; size_of::<sys::sctp_assoc_stats>()];
    write_field!(b, sys::sctp_assoc_stats, sas_rtxchunks, 42u64);
    write_field!(b, sys::sctp_assoc_stats, sas_isacks, 7u64);
    write_field!(b, sys::sctp_assoc_stats, sas_maxrto, 3000u64);
    write_field!(b, sys::sctp_assoc_stats, sas_ouodchunks, 5u64);
    write_field!(b, sys::sctp_assoc_stats, sas_oodchunks, 1u64);
    write_field!(b, sys::sctp_assoc_stats, sas_ictrlchunks, 9u64);
    let s = parse_stats(&b).unwrap();
    assert_eq!((s.retransmitted, s.sacks_in, s.max_rto_ms, s.data_out, s.data_in), (42, 7, 3000, 6, 0));
    assert_eq!(parse_stats(&b[..b.len() - 1]), None);
}

#[test]
fn requests_carry_the_assoc_id_and_address() {
    let mut b = request::<sys::sctp_prim>(-3i32);
    put_address(&mut b, offset_of!(sys::sctp_prim, ssp_addr), &v4("10.1.2.3:258"));
    assert_eq!(b.len(), 132);
    assert_eq!(&b[..4], &(-3i32).to_ne_bytes());
    assert_eq!(&b[6..12], &[1, 2, 10, 1, 2, 3]);
}

#[test]
#[cfg_attr(miri, ignore = "needs a real socket")]
fn a_socket_that_is_not_sctp_gives_errors_not_figures() {
    use std::os::fd::AsFd;
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let s = SctpSocket::new(udp.as_fd());
    assert!(assoc_ids(s).is_err());
    assert!(status(s, 1).is_err());
    assert!(peer_addrs(s, 1).is_err());
    assert!(path_status(s, 1, &v4("127.0.0.1:1")).is_err());
    assert!(set_primary(s, 1, &v4("127.0.0.1:1")).is_err());
    // ENOPROTOOPT from a socket without SCTP options reads as "not counted"
    assert_eq!(stats(s, 1).unwrap(), None);
}
