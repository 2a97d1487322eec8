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

use super::notifications::{self, FromAddr};
use super::{piece_stores, pieces, watchdog};
use crate::kam::core::{bind_address, cfg_child_init, receive_msg};
use crate::kam::guard::guard;
use crate::kam::log::debug_enabled;
use crate::kam::net::{ReceiveInfo, SocketInfo};
use crate::sctp::cmsg::RecvCmsgBuf;
use crate::sctp::notification::{parse, Notification};
use crate::sctp::socket::{Received, RecvWait};
use crate::shared::assoc_memo::AssocMemo;
use crate::shared::assoc_table::AssocKey;
use crate::shared::clock::monotonic_ms;
use crate::shared::piece_store::{Piece, Reassembled};
use crate::sip_frame::starts_with_start_line;
use crate::sockaddr::RawAddr;
use crate::transport::associations::tracking;
use crate::transport::settings::runtime;
use piece_stores::Store;
use std::net::SocketAddr;

/// The largest SIP message the core handles (its BUF_SIZE).
pub const MAX_SIP_MSG: usize = 65535;
/// Smaller messages are keep-alive probes (the core's MIN_SCTP_PACKET).
pub const MIN_SCTP_PACKET: usize = 32;
/// Read size: room for the largest SIP message plus one byte, so that a bigger
/// one shows as too big rather than as a fit, and slack for notification
/// headers around a returned message (SCTP_SEND_FAILED).
const READ_LEN: usize = MAX_SIP_MSG + 1 + 1024;
/// A receiver with timed work (a cut message open on its socket, or the
/// stall watchdog it holds) wakes this often when nothing arrives. Without
/// such work it blocks with no timeout, as the C module's receivers do: an
/// idle Kamailio wakes no receiver, and no read arms a kernel timer.
const IDLE_WAKE_MS: u32 = 250;

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
    // buffers for the life of the process, each with room for the 0 the core
    // writes after a message
    let mut buf = vec![0u8; READ_LEN + 1];
    let mut whole = Reassembled::new();
    let reader = store.join();
    let mut ctrl = RecvCmsgBuf::new();
    let mut from = RawAddr::empty();
    let mut ri = ReceiveInfo::for_socket(sock);
    let mut sweeper = pieces::Sweeper::default();
    let watching = store.take_watch();
    let mut watchdog = watchdog::Watchdog::default();
    // this receiver's answers of the association table, for its reads only
    let mut memo = AssocMemo::new();

    // sctp_stall_timeout as last read (by the watchdog's receiver only): the
    // watchdog runs on the previous read's view, at most one read (or an
    // idle wake-up) old
    let mut stall_ms = if watching { runtime::stall_timeout_ms() } else { 0 };
    loop {
        if watching && (stall_ms != 0 || watchdog.watches()) {
            // before the read, so that no piece read waits on it
            guard("sctp stall watchdog", (), || watchdog.tick(sock, s, stall_ms));
        }
        // the receiver that opened a cut message sees it open here: it, at
        // least, wakes to sweep while the others may block
        let timed = store.open() > 0 || stall_ms != 0;
        let wait = if timed { RecvWait::Ms(IDLE_WAKE_MS) } else { RecvWait::Forever };
        let got = s.recv(&mut buf[..READ_LEN], &mut from, &mut ctrl, wait);
        // a piece of a cut message: say so at once, before anything else, so
        // that no other receiver completes the message without it
        let is_piece = got.as_ref().is_ok_and(|g| is_piece(store, g, &buf[..g.len]));
        if let (true, Ok(Received { info: Some(i), .. })) = (is_piece, &got) {
            store.begin(reader, monotonic_ms(), i.assoc_id, i.tsn);
        }
        // see runtime config changes, run per-process config callbacks; a
        // message needs only whether tracking is on
        runtime::refresh(&cfg);
        let tracking = runtime::tracking();
        if watching {
            stall_ms = runtime::stall_timeout_ms();
        }
        if let swept @ Some(_) = sweeper.sweep(sock, store, &mut whole) {
            deliver_reassembled(sock, store, &mut whole, swept, &mut ri, tracking, &mut memo);
        }
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
        let src = from.to_socket_addr();
        let bytes = &buf[..got.len];
        if got.notification {
            notification(sock, store, &got, bytes, src, &runtime::current());
            continue;
        }
        if let (Some(i), true) = (got.info, debug_enabled()) {
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
        if is_piece {
            let Some(info) = got.info else {
                store.add_nothing(reader);
                log::error!("{sock}: a piece of a cut message from {} without SCTP_SNDRCV: dropped", FromAddr(src));
                continue;
            };
            let piece = Piece { assoc_id: info.assoc_id, tsn: info.tsn, eor: got.end_of_record, bytes, from: &from };
            let added = guard("sctp receive", None, || pieces::add(sock, store, reader, piece, &mut whole));
            deliver_reassembled(sock, store, &mut whole, added, &mut ri, tracking, &mut memo);
            continue;
        }
        let conn_id = conn_id(sock, got.info.map(|i| i.assoc_id), src, tracking, &mut memo);
        // a failure on one message must not end the receiver
        guard("sctp receive", (), || deliver(sock, &mut buf, got.len, &from, src, conn_id, &mut ri));
    }
}

/// Whether a read is a piece of a message the kernel cut: not whole, or of an
/// association whose cut message is still being put together (the kernel
/// hands one association's pieces over in a row, so a read that looks whole
/// then is the rest of that message, or a message behind it).
fn is_piece(store: &Store, got: &Received, bytes: &[u8]) -> bool {
    !got.notification && (!is_whole(got, bytes) || got.info.is_some_and(|i| store.cut_open(i.assoc_id, monotonic_ms)))
}

/// Whether a read is a whole message: it ends one and begins with a SIP
/// start line (a keep-alive probe, or CRLFs only, is whole too: the core
/// drops it). Anything else is a piece of a message the kernel cut.
fn is_whole(got: &Received, bytes: &[u8]) -> bool {
    got.end_of_record
        && (got.len < MIN_SCTP_PACKET
            || starts_with_start_line(bytes)
            || bytes.iter().all(|&b| b == b'\r' || b == b'\n'))
}

/// The connection id of a message received on association `assoc_id` (0
/// with tracking off or untracked).
#[inline(always)]
fn conn_id(
    sock: SocketInfo,
    assoc_id: Option<i32>,
    src: Option<SocketAddr>,
    tracking: bool,
    memo: &mut AssocMemo,
) -> i32 {
    match (tracking, assoc_id, src) {
        (true, Some(assoc_id), Some(src)) if src.port() != 0 => {
            guard("sctp tracking", 0, || tracking::conn_id_for(memo, AssocKey { sock: sock.fd(), assoc_id }, &src))
        }
        _ => 0,
    }
}

/// Hands a message put back together (`Some(len)` in `whole`) to the core,
/// then any other that completed with it. Out of line, as the other rare
/// paths of the loop: their locals stay off the loop's stack frame.
#[inline(never)]
fn deliver_reassembled(
    sock: SocketInfo,
    store: &Store,
    whole: &mut Reassembled,
    mut complete: Option<usize>,
    ri: &mut ReceiveInfo,
    tracking: bool,
    memo: &mut AssocMemo,
) {
    while let Some(len) = complete {
        let src = whole.from.to_socket_addr();
        let conn_id = conn_id(sock, Some(whole.assoc_id), src, tracking, memo);
        let Reassembled { bytes, from, .. } = &mut *whole;
        guard("sctp receive", (), || deliver(sock, bytes, len, from, src, conn_id, ri));
        complete = guard("sctp receive", None, || pieces::next_complete(sock, store, whole));
    }
}

/// Accounts for a notification and acts on it (out of line: rare).
#[inline(never)]
fn notification(
    sock: SocketInfo,
    store: &Store,
    got: &Received,
    bytes: &[u8],
    src: Option<SocketAddr>,
    rt: &runtime::Runtime,
) {
    if !got.end_of_record {
        // never seen: the read buffer holds the largest the kernel sends
        log::warn!(
            "{sock}: sctp notification from {} bigger than {READ_LEN} bytes, only its start is read",
            FromAddr(src)
        );
    }
    guard("sctp notification", (), || match parse(bytes) {
        Ok(n) => {
            if let Notification::PartialDelivery { aborted: true, assoc_id, .. } = n {
                pieces::aborted(store, assoc_id, &FromAddr(src));
            }
            let done = notifications::account(sock, src, &n, rt);
            notifications::handle(sock, src, &n, done, rt);
        }
        Err(e) => log::debug!("bad sctp notification from {} on {sock}: {e}", FromAddr(src)),
    });
}

/// Sanity checks and hand-over of one whole message.
#[inline(always)]
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
