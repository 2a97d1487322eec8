//! What the transport does with SCTP notifications. For now: log them (debug
//! level, like the C module; partial delivery, which the transport never wants,
//! as an error).

use crate::kam::net::SocketInfo;
use crate::sctp::notification::{parse, Notification};
use std::net::SocketAddr;

pub fn handle(sock: SocketInfo, from: Option<SocketAddr>, bytes: &[u8]) {
    let from = FromAddr(from);
    match parse(bytes) {
        Ok(n @ Notification::PartialDelivery { .. }) => {
            log::error!("sctp notification from {from} on {sock}: {n}: partial delivery is not supported")
        }
        Ok(n) => log::debug!("sctp notification from {from} on {sock}: {n}"),
        Err(e) => log::debug!("bad sctp notification from {from} on {sock}: {e}"),
    }
}

/// Displays an optional peer address.
pub struct FromAddr(pub Option<SocketAddr>);

impl std::fmt::Display for FromAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(a) => write!(f, "{a}"),
            None => write!(f, "(unknown address)"),
        }
    }
}
