//! The send path: one SIP message to `dst->to` from `dst->send_sock`, with an
//! SCTP_SNDRCV control message carrying the time to live.

use super::settings;
use crate::kam::net::Dest;
use crate::sctp::cmsg::{SendCmsgBuf, SndRcvInfo, FLAG_UNORDERED};
use crate::sctp::socket::SctpSocket;
use crate::sockaddr::RawAddr;

/// Sends `msg`; returns the bytes sent, or -1 (the core's failure code) after
/// logging why.
pub fn send(dst: &Dest, msg: &[u8]) -> i32 {
    let Some(settings) = settings::get() else {
        log::error!("sctp send before the module was initialised");
        return -1;
    };
    let Some(to) = dst.to() else {
        log::error!("sctp send: destination address is neither IPv4 nor IPv6");
        return -1;
    };
    let Some(sock) = dst.send_sock() else {
        log::error!("sctp send to {to}: no SCTP socket to send from");
        return -1;
    };
    let info = SndRcvInfo {
        // SIP needs no ordering between messages: no head-of-line blocking
        flags: FLAG_UNORDERED,
        timetolive: settings.send_ttl_ms,
        // retries left, handed back to us in SCTP_SEND_FAILED
        context: settings.send_retries,
        ..Default::default()
    };
    let mut ctrl = SendCmsgBuf::default();
    let raw = RawAddr::from_socket_addr(&to);
    match SctpSocket::from_raw(sock.fd()).send(msg, Some(&raw), &info, &mut ctrl) {
        Ok(n) => n as i32,
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(0);
            log::error!("sctp send of {} bytes to {to} from {sock} failed: {e} (errno {errno})", msg.len());
            match errno {
                libc::EINVAL => log::error!(
                    "invalid sendmsg parameters: one possible reason is a socket bound to localhost \
                     sending to the network"
                ),
                libc::EAGAIN => log::error!("sctp send to {to}: send buffers full"),
                _ => {}
            }
            -1
        }
    }
}
