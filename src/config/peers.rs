//! `modparam("sctp", "sctp_peer", "ADDR1,ADDR2[,...]:PORT[;NAME=VALUE...]")`:
//! a multihomed peer, one destination with several addresses, and the SCTP
//! settings of its associations (`profile`). Parsing and the checks across
//! all declared peers; pure.

use super::profile;
use crate::sctp::options::AssocTuning;
use std::net::{IpAddr, SocketAddr};

/// The SIP port, when the value names none.
pub const DEFAULT_PORT: u16 = 5060;
/// The most addresses of one peer (the association table indexes as many).
pub const MAX_ADDRS: usize = crate::shared::assoc_table::MAX_PEER_ADDRS as usize;

/// A declared peer: its addresses, in the order given (all with one port),
/// and the settings of its associations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub addrs: Vec<SocketAddr>,
    pub tuning: AssocTuning,
}

impl Peer {
    /// Whether `a` is one of the peer's addresses.
    pub fn has(&self, a: &SocketAddr) -> bool {
        self.addrs.iter().any(|p| same(p, a))
    }

    /// The peer's other addresses of `to`'s family (an IPv4 socket cannot
    /// reach IPv6 ones), `to` itself left out.
    pub fn others_like<'a>(&'a self, to: &'a SocketAddr) -> impl Iterator<Item = &'a SocketAddr> + 'a {
        self.addrs.iter().filter(move |a| a.is_ipv4() == to.is_ipv4() && !same(a, to))
    }
}

/// Address and port equal (IPv6 flow label and scope aside).
fn same(a: &SocketAddr, b: &SocketAddr) -> bool {
    a.ip() == b.ip() && a.port() == b.port()
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid value \"{value}\" for modparam(\"sctp\", \"sctp_peer\"): {why}")]
pub struct PeerError {
    pub value: String,
    pub why: String,
}

fn err(value: &str, why: String) -> PeerError {
    PeerError { value: value.to_string(), why }
}

/// Parses one `sctp_peer` value: addresses separated by commas (IPv6 ones in
/// brackets), then `:PORT` (5060 when left out), then `;NAME=VALUE` settings.
pub fn parse(value: &str) -> Result<Peer, PeerError> {
    let (v, settings) = value.split_once(';').unwrap_or((value, ""));
    let tuning = profile::parse(settings).map_err(|why| err(value, why))?;
    let v = v.trim();
    let (list, port) = split_port(v).map_err(|why| err(value, why))?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for part in list.split(',') {
        let part = part.trim();
        let ip = parse_ip(part).map_err(|why| err(value, why))?;
        let a = SocketAddr::new(ip, port);
        if addrs.iter().any(|b| same(b, &a)) {
            return Err(err(value, format!("address \"{part}\" is listed twice")));
        }
        addrs.push(a);
    }
    if addrs.len() > MAX_ADDRS {
        return Err(err(value, format!("{} addresses, at most {MAX_ADDRS}", addrs.len())));
    }
    Ok(Peer { addrs, tuning })
}

/// Splits off `:PORT` after the last address; the port is what follows the
/// last `:` that is outside brackets, when it is digits.
fn split_port(v: &str) -> Result<(&str, u16), String> {
    let tail_start = v.rfind(']').map_or(0, |i| i + 1);
    let tail = &v[tail_start..];
    let last = tail.rsplit(',').next().unwrap_or("");
    // after a ']' with no ',' following, only ":PORT" may come; otherwise the
    // last address is an IPv4 one, whose only ':' starts the port (a bare
    // IPv6 address has several, and is refused by parse_ip)
    let colon = if tail_start > 0 && !tail.contains(',') {
        tail.starts_with(':').then_some(0)
    } else if last.matches(':').count() == 1 {
        tail.rfind(':')
    } else {
        None
    };
    match colon {
        None => Ok((v, DEFAULT_PORT)),
        Some(i) => {
            let at = tail_start + i;
            let p = &v[at + 1..];
            match p.parse::<u16>() {
                Ok(port) if port > 0 => Ok((&v[..at], port)),
                _ => Err(format!("bad port \"{p}\" (1 to 65535)")),
            }
        }
    }
}

fn parse_ip(part: &str) -> Result<IpAddr, String> {
    if part.is_empty() {
        return Err("an empty address".into());
    }
    if let Some(inner) = part.strip_prefix('[') {
        return match inner.strip_suffix(']').map(str::parse::<std::net::Ipv6Addr>) {
            Some(Ok(ip)) => Ok(IpAddr::V6(ip)),
            _ => Err(format!("bad address \"{part}\" (an IPv6 address in brackets expected)")),
        };
    }
    match part.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => Ok(IpAddr::V4(ip)),
        Err(_) if part.parse::<std::net::Ipv6Addr>().is_ok() => {
            Err(format!("bad address \"{part}\" (write IPv6 addresses in brackets: [{part}])"))
        }
        Err(_) => Err(format!("bad address \"{part}\" (an IPv4 address or an IPv6 one in brackets expected)")),
    }
}

/// Checks a new peer against those declared before: an address may belong to
/// one peer only.
pub fn check_disjoint(declared: &[Peer], new: &Peer, value: &str) -> Result<(), PeerError> {
    for a in &new.addrs {
        if declared.iter().any(|p| p.has(a)) {
            return Err(err(value, format!("address {a} already belongs to another sctp_peer")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_list_with_port() {
        let p = parse("198.18.1.2,198.18.2.2:5070").unwrap();
        assert_eq!(p.addrs, [sa("198.18.1.2:5070"), sa("198.18.2.2:5070")]);
        let p = parse(" 10.0.0.1 , 10.0.0.2 , 10.0.0.3:5060 ").unwrap();
        assert_eq!(p.addrs.len(), 3);
    }

    #[test]
    fn port_defaults_to_5060() {
        assert_eq!(parse("10.0.0.1,10.0.0.2").unwrap().addrs[1], sa("10.0.0.2:5060"));
        assert_eq!(parse("[2001:db8::1],[2001:db8::2]").unwrap().addrs[0], sa("[2001:db8::1]:5060"));
    }

    #[test]
    fn ipv6_in_brackets_and_mixed() {
        let p = parse("[2001:db8::1],[2001:db8::2]:5062").unwrap();
        assert_eq!(p.addrs, [sa("[2001:db8::1]:5062"), sa("[2001:db8::2]:5062")]);
        let p = parse("[::1],127.0.0.1:5061").unwrap();
        assert_eq!(p.addrs, [sa("[::1]:5061"), sa("127.0.0.1:5061")]);
        let p = parse("127.0.0.1,[::1]:5061").unwrap();
        assert_eq!(p.addrs, [sa("127.0.0.1:5061"), sa("[::1]:5061")]);
    }

    #[test]
    fn errors_name_the_parameter_and_the_bad_address() {
        let e = parse("10.0.0.1,10.0.0.x:5060").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("sctp_peer") && msg.contains("\"10.0.0.x\""), "{msg}");
        let e = parse("2001:db8::1,10.0.0.1").unwrap_err().to_string();
        assert!(e.contains("[2001:db8::1]") || e.contains("in brackets"), "{e}");
        assert!(parse("10.0.0.1,,10.0.0.2").unwrap_err().to_string().contains("empty"));
        assert!(parse("10.0.0.1,10.0.0.2:99999").unwrap_err().to_string().contains("bad port"));
        assert!(parse("10.0.0.1,10.0.0.2:0").unwrap_err().to_string().contains("bad port"));
        assert!(parse("10.0.0.1,10.0.0.1:5060").unwrap_err().to_string().contains("twice"));
        assert!(parse("[2001:db8::1:5060").is_err());
        assert!(parse("").is_err());
        let many = (1..=17).map(|i| format!("10.0.0.{i}")).collect::<Vec<_>>().join(",");
        assert!(parse(&many).unwrap_err().to_string().contains("at most 16"));
    }

    #[test]
    fn settings_follow_the_addresses_and_errors_name_the_peer_and_the_setting() {
        let p = parse("198.18.1.2,198.18.2.2:5060;srto_min=50;srto_max=200;dscp=46").unwrap();
        assert_eq!(p.addrs, [sa("198.18.1.2:5060"), sa("198.18.2.2:5060")]);
        assert_eq!((p.tuning.rto_min_ms, p.tuning.rto_max_ms, p.tuning.dscp), (Some(50), Some(200), Some(46)));
        assert!(parse("10.0.0.1").unwrap().tuning.is_empty());
        assert_eq!(parse("[2001:db8::1];pathpfthld=0").unwrap().tuning.pathpfthld, Some(0));
        let e = parse("198.18.1.2:5060;srto_min=fast").unwrap_err().to_string();
        assert!(
            e.contains("sctp_peer") && e.contains("198.18.1.2:5060;srto_min=fast") && e.contains("srto_min=fast"),
            "{e}"
        );
    }

    #[test]
    fn an_address_belongs_to_one_peer() {
        let a = parse("10.0.0.1,10.0.0.2").unwrap();
        let b = parse("10.0.0.3,10.0.0.2").unwrap();
        let e = check_disjoint(std::slice::from_ref(&a), &b, "10.0.0.3,10.0.0.2").unwrap_err().to_string();
        assert!(e.contains("10.0.0.2:5060"), "{e}");
        let c = parse("10.0.0.1,10.0.0.2:5070").unwrap();
        assert!(check_disjoint(&[a], &c, "x").is_ok(), "other port, other peer");
    }

    #[test]
    fn others_keep_the_family_and_leave_out_the_destination() {
        let p = parse("[::1],10.0.0.1,10.0.0.2:5060").unwrap();
        let to = sa("10.0.0.2:5060");
        let o: Vec<_> = p.others_like(&to).collect();
        assert_eq!(o, [&sa("10.0.0.1:5060")]);
        assert!(p.has(&to) && !p.has(&sa("10.0.0.2:5061")));
    }
}
