//! The argument of `sctp.options [default|first|ADDRESS[:PORT]]`, as an RPC client
//! sends it. Checks, besides the absence of panics:
//! - on any text, an accepted host is a piece of the text, and a port is what
//!   follows the last colon;
//! - any IPv4/IPv6 address with or without a port, in every accepted spelling
//!   (with an `sctp:` prefix in any case, IPv6 bracketed or bare), comes back as
//!   the address's text and the port (0 without one);
//! - a host name with a port comes back as written;
//! - another transport's prefix is refused.
#![no_main]

use kamailio_sctp::fuzzing::parse_sock_param;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

const PROTOS: [&str; 6] = ["sctp", "udp", "tcp", "tls", "ws", "wss"];

fn any_case(u: &mut Unstructured, s: &str) -> Result<String> {
    s.chars().map(|c| Ok(if u.arbitrary()? { c.to_ascii_uppercase() } else { c })).collect()
}

fn spellings(u: &mut Unstructured) -> Result<()> {
    let ip: IpAddr = u.arbitrary()?;
    let port: Option<u16> = u.arbitrary()?;
    let prefix = if u.arbitrary()? { any_case(u, "sctp:")? } else { String::new() };
    let host = match (ip, port, u.arbitrary::<bool>()?) {
        (IpAddr::V6(_), Some(_), _) | (IpAddr::V6(_), None, true) => format!("[{ip}]"),
        _ => ip.to_string(),
    };
    let text = match port {
        Some(p) => format!("{prefix}{host}:{p}"),
        None => format!("{prefix}{host}"),
    };
    assert_eq!(parse_sock_param(&text), Ok((ip.to_string(), port.unwrap_or(0))), "{text}");

    // a DNS name: letters, digits, dots and dashes
    let n = u.int_in_range(1..=20)?;
    let name: String =
        (0..n).map(|_| Ok(*u.choose(b"abcdefghijklmnopqrstuvwxyz0123456789.-")? as char)).collect::<Result<_>>()?;
    let p: u16 = u.arbitrary()?;
    let is_proto = PROTOS.iter().any(|x| x.eq_ignore_ascii_case(&name));
    if !is_proto {
        assert_eq!(parse_sock_param(&format!("{prefix}{name}:{p}")), Ok((name.clone(), p)));
    }

    let proto = *u.choose(&PROTOS[1..])?;
    let other = any_case(u, proto)?;
    assert!(parse_sock_param(&format!("{other}:{text}")).is_err());
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((host, port)) = parse_sock_param(text) {
            assert!(text.contains(host.as_str()), "{text:?} -> {host:?}");
            if port != 0 {
                let (_, digits) = text.rsplit_once(':').expect("a port follows a colon");
                assert_eq!(digits.parse(), Ok(port), "{text:?}");
            }
        }
    }
    let _ = spellings(&mut Unstructured::new(data));
});
