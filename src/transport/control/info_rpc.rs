//! The RPC commands `sctp.info` and `sctp.options`, with the C module's field
//! names, order and value semantics.

use crate::config::params::kernel_values;
use crate::config::table::PARAM_NAMES;
use crate::kam::core::{default_sctp_send_socket, sctp_disabled, sctp_listen};
use crate::kam::net::SocketInfo;
use crate::kam::rpc::Call;
use crate::sctp::options;
use crate::transport::associations::tracking;
use crate::transport::settings::runtime;
use std::net::IpAddr;

pub const INFO_DOC: &std::ffi::CStr = c"Returns sctp related info.";
pub const OPTIONS_DOC: &std::ffi::CStr = c"Returns the active sctp options. With a parameter (default | first | \
address[:port]) returns the options set in the kernel for that socket, with 0 for the options the kernel does not hold.";

/// `sctp.info`: opened, tracked (-1 with tracking off) and total associations.
pub fn info(call: &Call) {
    if sctp_disabled() {
        call.fault(500, "sctp support disabled");
        return;
    }
    let Some(s) = call.add_struct() else { return };
    s.int(c"opened_connections", tracking::opened());
    s.int(c"tracked_connections", tracking::tracked_for_display(runtime::current().tracking));
    s.int(c"total_connections", tracking::total_ids() as i32);
}

/// `sctp.options [default|first|ADDRESS[:PORT]]`.
pub fn options(call: &Call) {
    if sctp_disabled() {
        call.fault(500, "sctp support disabled");
        return;
    }
    let values = match call.optional_string() {
        None => runtime::values(),
        Some(param) => match socket_for(&param).map(|sock| (sock.sctp_socket(), sock.family())) {
            Ok((Some(s), family)) => kernel_values(&options::read(s, family)),
            Ok((None, _)) => return call.fault(500, "could not find a sctp socket"),
            Err(msg) => return call.fault(500, &msg),
        },
    };
    let Some(s) = call.add_struct() else { return };
    for (name, v) in PARAM_NAMES.iter().zip(values) {
        s.int(name, v);
    }
}

fn socket_for(param: &str) -> Result<SocketInfo<'static>, String> {
    if param.eq_ignore_ascii_case("default") {
        return default_sctp_send_socket().ok_or_else(|| "could not find a sctp socket".into());
    }
    if param.eq_ignore_ascii_case("first") {
        return sctp_listen().next().ok_or_else(|| "could not find a sctp socket".into());
    }
    let (host, port) = parse_sock_param(param)?;
    let ip: Option<IpAddr> = host.parse().ok();
    sctp_listen()
        .find(|s| {
            let addr = s.primary_addr();
            let host_ok = match ip {
                Some(ip) => addr.is_some_and(|a| a.ip() == ip),
                None => s.to_string().strip_prefix("sctp:").is_some_and(|n| n.starts_with(&format!("{host}:"))),
            };
            host_ok && (port == 0 || port == s.port())
        })
        .ok_or_else(|| format!("not listening on sctp {param}"))
}

/// Splits `[proto:]host[:port]` (IPv6 hosts in brackets). Port 0: any.
pub fn parse_sock_param(p: &str) -> Result<(String, u16), String> {
    const BAD: &str = "bad param (use address, address:port, default or first)";
    let rest = match p.split_once(':') {
        Some((proto, rest)) if proto.eq_ignore_ascii_case("sctp") => rest,
        Some((proto, _)) if ["udp", "tcp", "tls", "ws", "wss"].iter().any(|x| proto.eq_ignore_ascii_case(x)) => {
            return Err("bad protocol in param (only SCTP allowed)".into())
        }
        _ => p,
    };
    if let Some(v6) = rest.strip_prefix('[') {
        let (host, tail) = v6.split_once(']').ok_or(BAD)?;
        let port = match tail.strip_prefix(':') {
            Some(pt) => pt.parse().map_err(|_| BAD)?,
            None if tail.is_empty() => 0,
            None => return Err(BAD.into()),
        };
        return Ok((host.to_string(), port));
    }
    if rest.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok((rest.to_string(), 0));
    }
    match rest.rsplit_once(':') {
        Some((host, pt)) if !host.is_empty() => Ok((host.to_string(), pt.parse().map_err(|_| BAD)?)),
        None if !rest.is_empty() => Ok((rest.to_string(), 0)),
        _ => Err(BAD.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_sock_param as p;

    #[test]
    fn socket_parameters() {
        assert_eq!(p("127.0.0.1"), Ok(("127.0.0.1".into(), 0)));
        assert_eq!(p("127.0.0.1:5060"), Ok(("127.0.0.1".into(), 5060)));
        assert_eq!(p("sctp:127.0.0.1:5060"), Ok(("127.0.0.1".into(), 5060)));
        assert_eq!(p("[::1]:5061"), Ok(("::1".into(), 5061)));
        assert_eq!(p("[::1]"), Ok(("::1".into(), 0)));
        assert_eq!(p("::1"), Ok(("::1".into(), 0)));
        assert_eq!(p("sip.example.net:5060"), Ok(("sip.example.net".into(), 5060)));
        assert!(p("udp:127.0.0.1:5060").unwrap_err().contains("only SCTP"));
        assert!(p("127.0.0.1:x").is_err());
        assert!(p("[::1").is_err());
        assert!(p("").is_err());
    }
}
