//! The send path: one SIP message to `dst->to`, on the association the request
//! came in on when sctp_assoc_reuse allows, within sctp_max_assocs, with an
//! SCTP_SNDRCV control message carrying the time to live and the re-sends left.

use super::stall;
use crate::kam::core::sctp_socket_by_fd;
use crate::kam::log::debug_enabled;
use crate::kam::net::{Dest, SocketInfo};
use crate::sctp::cmsg::{SendCmsgBuf, SndRcvInfo, FLAG_ABORT, FLAG_EOF, FLAG_UNORDERED};
use crate::sctp::socket::{association_gone, died_while_waiting, SctpSocket, Wait};
use crate::sockaddr::RawAddr;
use crate::transport::associations::{encap, peers, tracking};
use crate::transport::counters;
use crate::transport::ratelimit::Every;
use crate::transport::settings::runtime;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// What a message carries in `sinfo_context`, handed back with it in
/// SCTP_SEND_FAILED: the re-sends it has left (sctp_send_retries, at most 9)
/// and its length, which tells a whole message from one DATA chunk of a
/// message the kernel split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryContext {
    pub retries_left: u32,
    pub message_len: usize,
}

impl RetryContext {
    const RETRY_BITS: u32 = 4;
    /// Longer messages (none the core sends) are recorded as length 0, so they
    /// are never taken for whole on return.
    const MAX_LEN: usize = (1 << (32 - Self::RETRY_BITS)) - 1;

    pub fn encode(self) -> u32 {
        let len = if self.message_len > Self::MAX_LEN { 0 } else { self.message_len as u32 };
        self.retries_left.min((1 << Self::RETRY_BITS) - 1) | (len << Self::RETRY_BITS)
    }

    pub fn decode(context: u32) -> Self {
        RetryContext {
            retries_left: context & ((1 << Self::RETRY_BITS) - 1),
            message_len: (context >> Self::RETRY_BITS) as usize,
        }
    }
}

/// Sends `msg`; returns the bytes sent, or -1 (the core's failure code) after
/// logging why.
pub fn send(dst: &Dest<'_>, msg: &[u8]) -> i32 {
    let rt = runtime::current();
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
        timetolive: rt.send_ttl_ms,
        // re-sends left and length, handed back to us in SCTP_SEND_FAILED
        context: RetryContext { retries_left: rt.send_retries, message_len: msg.len() }.encode(),
        ..Default::default()
    };

    // the association's socket: mostly the one the core picked (a reply goes
    // out where its request came in), else found by descriptor
    let socket_of = |fd| match sock.sctp_socket() {
        Some(s) if s.fd() == fd => Some(s),
        _ => sctp_socket_by_fd(fd),
    };
    let on_tracked = |id| tracking::lookup(id).and_then(|t| Some((t, socket_of(t.key.sock)?)));
    match route(dst.conn_id(), &rt, on_tracked, tracking::tracked, || tracking::has_peer(sock.fd(), &to)) {
        Route::Association((t, s)) => {
            let on_assoc = SndRcvInfo { assoc_id: t.key.assoc_id, ..info };
            if debug_enabled() {
                log::debug!("sctp: sending to {to} on association {} (id {})", t.key.assoc_id, dst.conn_id());
            }
            return match send_core_message(s, None, &to, msg, &on_assoc, rt.send_wait_ms) {
                Ok(n) => n as i32,
                Err(e) if association_gone(&e) => {
                    // the association closed meanwhile, or while the send
                    // waited for room: send to the address
                    log::debug!("sctp: association {} gone ({e}), sending to {to}", t.key.assoc_id);
                    finish(send_to_address(s, &to, msg, &info, rt.send_wait_ms), &to, sock, msg.len(), &rt)
                }
                Err(e) => finish(Err(e), &to, sock, msg.len(), &rt),
            };
        }
        Route::OverLimit(max) => {
            log::error!("sctp send to {to}: maximum number of sctp associations exceeded (sctp_max_assocs {max})");
            return -1;
        }
        Route::Address => {}
    }
    // a declared multihomed peer: its association, or a new one to all its addresses
    let sent = sctp_of(sock).and_then(|s| {
        let on_assoc =
            |assoc_id| send_core_message(s, None, &to, msg, &SndRcvInfo { assoc_id, ..info }, rt.send_wait_ms);
        match peers::send(s, &to, msg, &info, rt.tracking, on_assoc) {
            Some(r) => r,
            None => send_to_address(s, &to, msg, &info, rt.send_wait_ms),
        }
    });
    finish(sent, &to, sock, msg.len(), &rt)
}

/// Where a message goes, decided before any socket is touched.
#[derive(Debug, PartialEq, Eq)]
enum Route<T> {
    /// On the tracked association the request came on (sctp_assoc_reuse).
    Association(T),
    /// Nowhere: a new association would pass sctp_max_assocs.
    OverLimit(u32),
    /// To the address: a declared peer's association, an open one, or a new one.
    Address,
}

/// The decision of `send` for a message whose request came on connection
/// `conn_id` (0: none); `tracked_assoc` finds that association (and its
/// socket), `tracked` counts the associations tracked, `known_peer` tells
/// whether the destination already has one. Each is asked only when needed.
fn route<T>(
    conn_id: i32,
    rt: &runtime::Runtime,
    tracked_assoc: impl FnOnce(i32) -> Option<T>,
    tracked: impl FnOnce() -> u32,
    known_peer: impl FnOnce() -> bool,
) -> Route<T> {
    if conn_id != 0 && rt.reuse && rt.tracking {
        if let Some(t) = tracked_assoc(conn_id) {
            return Route::Association(t);
        }
    }
    match (rt.tracking, rt.max_assocs) {
        (true, Some(max)) if tracked() >= max && !known_peer() => Route::OverLimit(max),
        _ => Route::Address,
    }
}

/// The SCTP socket of a core socket.
fn sctp_of(sock: SocketInfo<'_>) -> io::Result<SctpSocket<'_>> {
    sock.sctp_socket().ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "the socket has no descriptor"))
}

fn send_to(s: SctpSocket<'_>, to: Option<&SocketAddr>, msg: &[u8], info: &SndRcvInfo) -> io::Result<usize> {
    let mut ctrl = SendCmsgBuf::default();
    let raw = to.map(RawAddr::from_socket_addr);
    s.send(msg, raw.as_ref(), info, &mut ctrl, Wait::No)
}

/// Sends a message the core gave us to address `to`; when its association
/// was aborted while the send waited for room, once more, on a new one.
fn send_to_address(
    s: SctpSocket<'_>,
    to: &SocketAddr,
    msg: &[u8],
    info: &SndRcvInfo,
    wait_ms: u32,
) -> io::Result<usize> {
    match send_core_message(s, Some(to), to, msg, info, wait_ms) {
        Err(e) if died_while_waiting(&e) => {
            log::debug!("sctp: the association to {to} was aborted while the send waited ({e}), sending again");
            send_core_message(s, Some(to), to, msg, info, wait_ms)
        }
        r => r,
    }
}

/// Sends a message the core gave us: without blocking first; when the
/// association's send buffer is full, waits for room (sctp_send_wait, as this
/// process sees it) unless `peer` is marked stalled.
#[inline(always)]
fn send_core_message(
    s: SctpSocket<'_>,
    to: Option<&SocketAddr>,
    peer: &SocketAddr,
    msg: &[u8],
    info: &SndRcvInfo,
    wait_ms: u32,
) -> io::Result<usize> {
    let mut ctrl = SendCmsgBuf::default();
    let raw = to.map(RawAddr::from_socket_addr);
    let first = match raw {
        // to an address: this may open an association
        Some(_) => {
            encap::opening(s, || peers::encap_port_of(peer), || s.send(msg, raw.as_ref(), info, &mut ctrl, Wait::No))
        }
        None => s.send(msg, raw.as_ref(), info, &mut ctrl, Wait::No),
    };
    match first {
        Err(e) if e.raw_os_error() == Some(libc::EAGAIN) && wait_ms > 0 => {
            let wait = Wait::UpTo(Duration::from_millis(u64::from(wait_ms)));
            stall::send_waiting(peer, wait_ms, || s.send(msg, raw.as_ref(), info, &mut ctrl, wait))
        }
        Ok(n) => {
            stall::sent(peer);
            Ok(n)
        }
        r => r,
    }
}

/// Under overload the same failure repeats for every message: one line per
/// interval (per process), with the number left out.
static SEND_FAILED_LOG: Every = Every::new(10);
static SENDQ_FULL_LOG: Every = Every::new(10);

/// Logs (summarised) and counts a failed send; turns the outcome into the
/// core's code.
fn finish(r: io::Result<usize>, to: &SocketAddr, sock: SocketInfo<'_>, len: usize, rt: &runtime::Runtime) -> i32 {
    let e = match r {
        Ok(n) => return n as i32,
        Err(e) => e,
    };
    let errno = e.raw_os_error().unwrap_or(0);
    if errno == libc::EAGAIN {
        counters::SENDQ_FULL.inc();
        if let Some(left_out) = SENDQ_FULL_LOG.due() {
            let waited = match rt.send_wait_ms {
                0 => "sctp_send_wait is 0".to_string(),
                ms => format!("no room within sctp_send_wait {ms} ms, or the peer was found stalled before"),
            };
            log::error!(
                "sctp send of {len} bytes to {to} from {sock}: send buffer full ({waited}): message dropped{}",
                LeftOut(left_out)
            );
        }
        return -1;
    }
    if let Some(left_out) = SEND_FAILED_LOG.due() {
        let hint = if errno == libc::EINVAL {
            " (one possible reason is a socket bound to localhost sending to the network)"
        } else {
            ""
        };
        log::error!(
            "sctp send of {len} bytes to {to} from {sock} failed: {e} (errno {errno}){hint}{}",
            LeftOut(left_out)
        );
    }
    -1
}

/// ", and N more like it in the last seconds" when some were left out.
struct LeftOut(u32);

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            0 => Ok(()),
            n => write!(f, "; {n} more failed sends like it were not logged since the last such line"),
        }
    }
}

/// Sends again what the stack gave up, to the address (a new association if
/// the old one is gone, with the peer's encapsulation port).
pub fn resend(sock: SocketInfo<'_>, to: &SocketAddr, data: &[u8], info: &SndRcvInfo) -> io::Result<usize> {
    let s = sctp_of(sock)?;
    encap::opening(s, || peers::encap_port_of(to), || send_to(s, Some(to), data, info))
}

/// Ends association `assoc_id` gracefully: SHUTDOWN once what is queued is
/// delivered.
pub fn send_shutdown(sock: SocketInfo<'_>, assoc_id: i32) -> io::Result<()> {
    let info = SndRcvInfo { flags: FLAG_EOF, assoc_id, ..Default::default() };
    send_to(sctp_of(sock)?, None, &[], &info).map(drop)
}

/// Aborts association `assoc_id`, telling the peer `reason`.
pub fn send_abort(sock: SocketInfo<'_>, to: Option<&SocketAddr>, assoc_id: i32, reason: &[u8]) -> io::Result<()> {
    let info = SndRcvInfo { flags: FLAG_UNORDERED | FLAG_ABORT, assoc_id, ..Default::default() };
    send_to(sctp_of(sock)?, to, reason, &info).map(drop)
}

#[cfg(test)]
mod tests {
    use super::{route, runtime::Runtime, RetryContext, Route};

    fn rt(tracking: bool, reuse: bool, max_assocs: Option<u32>) -> Runtime {
        Runtime {
            send_ttl_ms: 0,
            send_retries: 0,
            tracking,
            reuse,
            max_assocs,
            send_wait_ms: 100,
            stall_timeout_ms: 0,
            stall_abort: false,
        }
    }

    fn never<R>() -> R {
        panic!("asked although not needed")
    }

    #[test]
    fn a_reply_goes_on_its_requests_association_when_reuse_allows() {
        let on = rt(true, true, None);
        assert_eq!(route(7, &on, |id| Some(id * 10), never, never), Route::Association(70));
        assert_eq!(route(0, &on, |_| never(), never, never), Route::<i32>::Address, "no connection");
        assert_eq!(route(7, &on, |_| None, never, never), Route::<i32>::Address, "gone meanwhile");
        assert_eq!(route(7, &rt(true, false, None), |_| never(), never, never), Route::<i32>::Address);
        assert_eq!(route(7, &rt(false, true, Some(0)), |_| never(), never, never), Route::<i32>::Address);
    }

    #[test]
    fn the_association_limit_refuses_only_a_new_association() {
        let limited = rt(true, true, Some(2));
        assert_eq!(route(0, &limited, |_| never(), || 2, || false), Route::<i32>::OverLimit(2));
        assert_eq!(route(0, &limited, |_| never(), || 2, || true), Route::<i32>::Address, "the peer has one");
        assert_eq!(route(0, &limited, |_| never(), || 1, never), Route::<i32>::Address, "room for one more");
        assert_eq!(route(5, &limited, |_| Some(1), never, never), Route::Association(1), "reuse needs none");
        assert_eq!(route(5, &limited, |_| None, || 3, || false), Route::<i32>::OverLimit(2));
    }

    #[test]
    fn retry_context_round_trips_and_refuses_oversize_lengths() {
        for (r, len) in [(0, 0), (9, 65535), (1, 1 << 27), (15, (1 << 28) - 1)] {
            let c = RetryContext { retries_left: r, message_len: len };
            assert_eq!(RetryContext::decode(c.encode()), c);
        }
        let big = RetryContext::decode(RetryContext { retries_left: 3, message_len: 1 << 28 }.encode());
        assert_eq!(big, RetryContext { retries_left: 3, message_len: 0 });
    }
}
