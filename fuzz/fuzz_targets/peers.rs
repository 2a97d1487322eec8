//! `modparam("sctp", "sctp_peer", ...)` values. Checks, besides the absence of
//! panics:
//! - any list of 1 to 16 distinct IPv4/IPv6 addresses, written with IPv6 ones in
//!   brackets and with or without a port, parses back to those addresses and
//!   the port (5060 without one);
//!   and, with `;dscp=D;pathpfthld=P` settings after them, those settings;
//! - on any text, a parsed peer has 1 to 16 addresses, all with one port.
#![no_main]

use kamailio_sctp::fuzzing::parse_peer;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, SocketAddr};

fn round_trip(u: &mut Unstructured) -> Result<()> {
    let n = u.int_in_range(1..=16)?;
    let mut ips: Vec<IpAddr> = Vec::new();
    for _ in 0..n {
        let ip: IpAddr = u.arbitrary()?;
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    let port: Option<u16> = u.arbitrary()?;
    let port = port.filter(|p| *p != 0);
    let list: Vec<String> = ips
        .iter()
        .map(|ip| match ip {
            IpAddr::V4(_) => ip.to_string(),
            IpAddr::V6(_) => format!("[{ip}]"),
        })
        .collect();
    let mut text = match port {
        Some(p) => format!("{}:{p}", list.join(",")),
        None => list.join(","),
    };
    let settings: Option<(u8, u16)> =
        if u.arbitrary()? { Some((u.int_in_range(0..=63)?, u.arbitrary()?)) } else { None };
    if let Some((d, pf)) = settings {
        text.push_str(&format!(";dscp={d};pathpfthld={pf}"));
    }
    let want: Vec<SocketAddr> = ips.iter().map(|ip| SocketAddr::new(*ip, port.unwrap_or(5060))).collect();
    let got = parse_peer(&text);
    assert_eq!(got.as_ref().map(|p| p.addrs.clone()), Ok(want), "{text}");
    let tuning = got.map(|p| (p.tuning.dscp, p.tuning.pathpfthld)).unwrap();
    assert_eq!(tuning, settings.map_or((None, None), |(d, pf)| (Some(d), Some(pf))), "{text}");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = parse_peer(text) {
            assert!((1..=16).contains(&p.addrs.len()), "{text:?}");
            assert!(p.addrs.iter().all(|a| a.port() == p.addrs[0].port()), "{text:?}");
        }
    }
    let _ = round_trip(&mut Unstructured::new(data));
});
