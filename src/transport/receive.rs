//! The receive loop of one SCTP receiver process: every message read from the
//! process's socket goes whole to the core, or is dropped with a log line.
//!
//! The receivers of one socket wait for input each on their own, with no lock
//! held (a stopped or busy receiver holds up nobody), then read one message
//! without blocking inside the socket's receive gate, a short critical
//! section in shared memory. Inside it they also judge whether the read was a
//! piece of a cut message (the next piece may go to any receiver) and update
//! the association table, so both follow the kernel's queue order.

use super::events::{self, Accounted, FromAddr};
use super::{assoc, gates, runtime};
use crate::kam::core::{bind_address, cfg_child_init, receive_msg};
use crate::kam::guard::guard;
use crate::kam::net::{ReceiveInfo, SocketInfo};
use crate::sctp::cmsg::RecvCmsgBuf;
use crate::sctp::notification::{parse, Notification, ParseError};
use crate::sctp::readiness::ReadWaiter;
use crate::sctp::socket::Received;
use crate::shared::assoc_table::AssocKey;
use crate::shared::receive_gate::Piece;
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
/// A waiting receiver looks at the socket at least this often, even when it
/// was not woken: the wake-up for a message may have gone to a receiver that
/// stopped before it read it.
const RESCAN_MS: u32 = 1000;

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
    let Some(gate) = gates::get(sock.fd()) else {
        log::error!("{sock}: no receive gate for socket {} (was it initialised?)", sock.fd());
        return -1;
    };
    let Some(s) = sock.sctp_socket() else {
        log::error!("{sock}: the socket has no descriptor (was it initialised?)");
        return -1;
    };
    let waiter = match ReadWaiter::new(s, RESCAN_MS) {
        Ok(w) => w,
        Err(e) => {
            log::error!("{sock}: cannot wait for input on socket {}: {e}", s.fd());
            return -1;
        }
    };
    gate.join();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    // one buffer for the life of the process, plus the 0 the core wants
    let mut buf = vec![0u8; READ_LEN + 1];
    let mut ctrl = RecvCmsgBuf::new();
    let mut from = RawAddr::empty();
    let mut ri = ReceiveInfo::for_socket(sock);

    // Wait only when the last read saw nothing queued behind it (SCTP_NXTINFO):
    // under load the next read finds data without a wait, and when idle no
    // read comes back empty.
    let mut more_queued = false;
    loop {
        if !more_queued {
            if let Err(e) = waiter.wait() {
                log::error!("{sock}: waiting for input on socket {} failed, receiver stops: {e}", s.fd());
                return -1;
            }
        }
        more_queued = false;
        // see runtime config changes, run per-process config callbacks; one
        // snapshot of the values serves the read and the handling after it
        runtime::refresh(&cfg);
        let rt = runtime::current();
        // Often two receivers wake for one arrival: the one that gets the gate
        // second skips its read when a read after its wake-up found nothing
        // queued behind (one recvmsg and maybe two futex calls saved).
        let woke = gate.stamp();
        let read = {
            let Some(passage) = gate.enter_unless_drained(woke, gate.spin_rounds(cpus)) else { continue };
            let got = s.try_recv(&mut buf[..READ_LEN], &mut from, &mut ctrl);
            if let Ok(r) = &got {
                // a cut message's rest is at the head of the queue, whatever
                // SCTP_NXTINFO said
                more_queued = r.next_queued || !r.end_of_record;
                passage.record_read(more_queued);
            }
            got.map(|got| {
                let piece = passage.classify(got.end_of_record);
                let src = from.to_socket_addr();
                let early = account_in_order(sock, &got, piece, src, &buf[..got.len], &rt);
                (got, piece, src, early)
            })
        };
        let (got, piece, src, early) = match read {
            Ok(r) => r,
            Err(e) => match e.raw_os_error() {
                // another receiver took it, or a timeout with nothing queued
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
        match (piece, early) {
            (Piece::CutRest, _) => {
                log::debug!("{sock}: dropping {} more bytes of a cut message from {}", got.len, FromAddr(src));
            }
            (_, Early::Nothing) => {
                log::error!(
                    "{sock}: message from {} does not fit in {READ_LEN} bytes (or arrived in parts): dropped, \
                     the largest SIP message is {MAX_SIP_MSG} bytes",
                    FromAddr(src)
                );
            }
            (_, Early::Notification(parsed, done)) => {
                if piece == Piece::CutStart {
                    log::warn!("{sock}: sctp notification from {} bigger than {READ_LEN} bytes, only its start is read", FromAddr(src));
                }
                guard("sctp notification", (), || match parsed {
                    Some(Ok(n)) => events::handle(sock, src, &n, done, &rt),
                    Some(Err(e)) => log::debug!("bad sctp notification from {} on {sock}: {e}", FromAddr(src)),
                    None => {}
                });
            }
            (_, Early::Data { conn_id }) => {
                if let (Some(i), true) = (got.info, log::log_enabled!(log::Level::Debug)) {
                    log::debug!(
                        "{sock}: message from {} stream {} ppid {:x} flags {:x} tsn {} assoc_id {}",
                        FromAddr(src),
                        i.stream,
                        i.ppid,
                        i.flags,
                        i.tsn,
                        i.assoc_id
                    );
                }
                // a failure on one message must not end the receiver
                guard("sctp receive", (), || deliver(sock, &mut buf, got.len, &from, src, conn_id, &mut ri));
            }
        }
    }
}

/// What was settled about a read while the gate was held. A notification is
/// parsed there once (`None`: the parser panicked, already logged).
enum Early<'a> {
    Notification(Option<Result<Notification<'a>, ParseError>>, Accounted),
    Data { conn_id: i32 },
    Nothing,
}

/// The part of handling a read that must follow the kernel's queue order (runs
/// with the gate held, so keep it short): association accounting for a
/// notification, the connection id for a data message.
fn account_in_order<'a>(
    sock: SocketInfo,
    got: &Received,
    piece: Piece,
    src: Option<SocketAddr>,
    bytes: &'a [u8],
    rt: &runtime::Runtime,
) -> Early<'a> {
    match (piece, got.notification) {
        (Piece::CutRest, _) | (Piece::CutStart, false) => Early::Nothing,
        (_, true) => {
            let parsed = guard("sctp notification", None, || Some(parse(bytes)));
            let done = match parsed {
                Some(Ok(ref n @ Notification::AssocChange { .. })) => {
                    guard("sctp notification", Accounted::default(), || events::account(sock, src, n, rt))
                }
                _ => Accounted::default(),
            };
            Early::Notification(parsed, done)
        }
        (Piece::Whole, false) => {
            let conn_id = match (rt.tracking, got.info, src) {
                (true, Some(i), Some(src)) if src.port() != 0 => {
                    guard("sctp tracking", 0, || assoc::conn_id_for(AssocKey { sock: sock.fd(), assoc_id: i.assoc_id }, &src))
                }
                _ => 0,
            };
            Early::Data { conn_id }
        }
    }
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
