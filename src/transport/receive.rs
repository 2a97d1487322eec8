//! The receive loop of one SCTP receiver process: every message read from the
//! process's socket goes whole to the core, or is dropped with a log line.
//!
//! As in the C module, the receivers of one socket each block in their own
//! `recvmsg`, with no lock and nothing shared written: a stopped or busy
//! receiver holds up nobody. A read that ends a message (MSG_EOR) and begins
//! with a SIP start line is a whole message. Anything else is a piece of a
//! message the kernel cut (partial delivery), whose other pieces may go to
//! any receiver: it goes to the socket's store of cut messages, which hands
//! the message over whole, once, to the receiver that completes it.
//! Association accounting happens after the read, in whatever order the
//! receivers get there (see assoc); SIP needs no order between messages
//! (RFC 4168: unordered delivery on stream 0), and none is kept.

use super::events::{self, FromAddr};
use super::{assoc, piece_stores, pieces, runtime};
use crate::kam::core::{bind_address, cfg_child_init, receive_msg};
use crate::kam::guard::guard;
use crate::kam::net::{ReceiveInfo, SocketInfo};
use crate::sctp::cmsg::RecvCmsgBuf;
use crate::sctp::notification::{parse, Notification};
use crate::sctp::options::set_receive_timeout;
use crate::sctp::socket::Received;
use crate::shared::assoc_table::AssocKey;
use crate::sip_frame::starts_with_start_line;
use crate::sockaddr::RawAddr;
use std::net::SocketAddr;

/// The largest SIP message the core handles (its BUF_SIZE).
pub const MAX_SIP_MSG: usize = 65535;
/// Smaller messages are keep-alive probes (the core's MIN_SCTP_PACKET).
pub const MIN_SCTP_PACKET: usize = 32;
/// Read size: room for the largest SIP message plus one byte, so that a bigger
/// one shows as too big rather than as a fit, and slack for notification
/// headers around a returned message (SCTP_SEND_FAILED).
const READ_LEN: usize = MAX_SIP_MSG + 1 + 1024;
/// An idle receiver wakes this often (SO_RCVTIMEO) to drop pieces of cut
/// messages that will never complete.
const IDLE_WAKE_MS: u32 = 1000;

/// Runs forever in a receiver process; returns only on a fatal socket error.
pub fn run() -> i32 {
    let Some(sock) = bind_address() else {
        log::error!("sctp receive loop started without a socket (bind_address is not set)");
        return -1;
    };
    let Some(cfg) = cfg_child_init() else {
        log::error!("{sock}: cannot attach the receiver to the config framework");
        return -1;
    };
    let Some(store) = piece_stores::get(sock.fd()) else {
        log::error!("{sock}: no store of cut messages for socket {} (was it initialised?)", sock.fd());
        return -1;
    };
    let Some(s) = sock.sctp_socket() else {
        log::error!("{sock}: the socket has no descriptor (was it initialised?)");
        return -1;
    };
    if let Err(e) = set_receive_timeout(s, IDLE_WAKE_MS) {
        log::warn!("{sock}: {e}: pieces of cut messages are dropped only when a message arrives");
    }
    // buffers for the life of the process, each with room for the 0 the core
    // writes after a message
    let mut buf = vec![0u8; READ_LEN + 1];
    let mut whole = vec![0u8; MAX_SIP_MSG + 1];
    let mut ctrl = RecvCmsgBuf::new();
    let mut from = RawAddr::empty();
    let mut ri = ReceiveInfo::for_socket(sock);
    let mut sweeper = pieces::Sweeper::default();

    loop {
        let got = s.recv(&mut buf[..READ_LEN], &mut from, &mut ctrl, true);
        // see runtime config changes, run per-process config callbacks; one
        // snapshot of the values serves the handling of this read
        runtime::refresh(&cfg);
        sweeper.sweep(store);
        let got = match got {
            Ok(got) => got,
            Err(e) => match e.raw_os_error() {
                // the idle wake-up, or a signal
                Some(libc::EAGAIN) | Some(libc::EINTR) => continue,
                Some(libc::ECONNREFUSED) => {
                    log::error!("{sock}: recvmsg on socket {}: {e}", s.fd());
                    continue;
                }
                _ => {
                    log::error!("{sock}: recvmsg on socket {} failed, receiver stops: {e}", s.fd());
                    return -1;
                }
            },
        };
        let rt = runtime::current();
        let src = from.to_socket_addr();
        let bytes = &buf[..got.len];
        if got.notification {
            notification(sock, store, &got, bytes, src, &rt);
            continue;
        }
        if let (Some(i), true) = (got.info, log::log_enabled!(log::Level::Debug)) {
            log::debug!(
                "{sock}: {} bytes from {} stream {} ppid {:x} flags {:x} tsn {} assoc_id {}{}",
                got.len,
                FromAddr(src),
                i.stream,
                i.ppid,
                i.flags,
                i.tsn,
                i.assoc_id,
                if got.end_of_record { "" } else { " (no end of record)" }
            );
        }
        // (a keep-alive probe, or CRLFs only, is whole too: the core drops it)
        let is_whole = got.end_of_record
            && (got.len < MIN_SCTP_PACKET || starts_with_start_line(bytes) || bytes.iter().all(|&b| b == b'\r' || b == b'\n'));
        let (msg, len) = if is_whole {
            (&mut buf, got.len)
        } else {
            let Some(info) = got.info else {
                log::error!("{sock}: a piece of a cut message from {} without SCTP_SNDRCV: dropped", FromAddr(src));
                continue;
            };
            match pieces::add(store, info.assoc_id, info.tsn, got.end_of_record, bytes, &mut whole, &FromAddr(src)) {
                Some(len) => (&mut whole, len),
                None => continue,
            }
        };
        let conn_id = match (rt.tracking, got.info, src) {
            (true, Some(i), Some(src)) if src.port() != 0 => {
                guard("sctp tracking", 0, || assoc::conn_id_for(AssocKey { sock: sock.fd(), assoc_id: i.assoc_id }, &src))
            }
            _ => 0,
        };
        // a failure on one message must not end the receiver
        guard("sctp receive", (), || deliver(sock, msg, len, &from, src, conn_id, &mut ri));
    }
}

/// Accounts for a notification and acts on it.
fn notification(
    sock: SocketInfo,
    store: &crate::shared::piece_store::PieceStore,
    got: &Received,
    bytes: &[u8],
    src: Option<SocketAddr>,
    rt: &runtime::Runtime,
) {
    if !got.end_of_record {
        // never seen: the read buffer holds the largest the kernel sends
        log::warn!("{sock}: sctp notification from {} bigger than {READ_LEN} bytes, only its start is read", FromAddr(src));
    }
    guard("sctp notification", (), || match parse(bytes) {
        Ok(n) => {
            if let Notification::PartialDelivery { aborted: true, assoc_id, .. } = n {
                pieces::aborted(store, assoc_id, &FromAddr(src));
            }
            let done = events::account(sock, src, &n, rt);
            events::handle(sock, src, &n, done, rt);
        }
        Err(e) => log::debug!("bad sctp notification from {} on {sock}: {e}", FromAddr(src)),
    });
}

/// Sanity checks and hand-over of one whole message.
fn deliver(
    sock: SocketInfo,
    buf: &mut [u8],
    len: usize,
    from: &RawAddr,
    src: Option<SocketAddr>,
    conn_id: i32,
    ri: &mut ReceiveInfo,
) {
    let Some(src) = src else {
        log::error!("{sock}: dropping a message from a source address that is neither IPv4 nor IPv6");
        return;
    };
    if len > MAX_SIP_MSG {
        log::error!("{sock}: dropping a {len}-byte message from {src}: the largest SIP message is {MAX_SIP_MSG} bytes");
        return;
    }
    if len < MIN_SCTP_PACKET {
        log::debug!("{sock}: probing packet received from {src}");
        return;
    }
    if src.port() == 0 {
        log::info!("{sock}: dropping 0 port packet from {src}");
        return;
    }
    ri.set_source(from, &src, conn_id);
    receive_msg(buf, len, ri);
}
