//! The receive loop of one SCTP receiver process: every message read from the
//! process's socket goes whole to the core, or is dropped with a log line.

use super::events::{self, FromAddr};
use super::{assoc, gates, runtime};
use crate::kam::core::{bind_address, cfg_child_init, receive_msg};
use crate::kam::guard::guard;
use crate::kam::net::{ReceiveInfo, SocketInfo};
use crate::sctp::cmsg::RecvCmsgBuf;
use crate::shared::assoc_table::AssocKey;
use crate::shared::receive_gate::Piece;
use crate::sockaddr::RawAddr;

/// The largest SIP message the core handles (its BUF_SIZE).
pub const MAX_SIP_MSG: usize = 65535;
/// Smaller messages are keep-alive probes (the core's MIN_SCTP_PACKET).
pub const MIN_SCTP_PACKET: usize = 32;
/// Read size: room for the largest SIP message plus one byte, so that a bigger
/// one shows as too big rather than as a fit, and slack for notification
/// headers around a returned message (SCTP_SEND_FAILED).
const READ_LEN: usize = MAX_SIP_MSG + 1 + 1024;

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
    // one buffer for the life of the process, plus the 0 the core wants
    let mut buf = vec![0u8; READ_LEN + 1];
    let mut ctrl = RecvCmsgBuf::new();
    let mut from = RawAddr::empty();
    let mut ri = ReceiveInfo::for_socket(sock);

    loop {
        let (res, piece) = {
            // read under the socket's gate, so that the receivers of this
            // socket agree on which piece belongs to a cut message
            let passage = gate.enter();
            let res = s.recv(&mut buf[..READ_LEN], &mut from, &mut ctrl);
            let piece = res.as_ref().map_or(Piece::Whole, |g| passage.classify(g.end_of_record));
            (res, piece)
        };
        // see runtime config changes, run per-process config callbacks
        runtime::refresh(&cfg);
        let got = match res {
            Ok(r) => r,
            Err(e) => match e.raw_os_error() {
                Some(libc::EAGAIN) => {
                    log::debug!("{sock}: EAGAIN on sctp socket");
                    continue;
                }
                Some(libc::EINTR) | Some(libc::ECONNREFUSED) => {
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
        match (piece, got.notification) {
            (Piece::CutRest, _) => {
                log::debug!("{sock}: dropping {} more bytes of a cut message from {}", got.len, FromAddr(src));
            }
            (Piece::CutStart, true) => {
                log::warn!("{sock}: sctp notification from {} bigger than {READ_LEN} bytes, only its start is read", FromAddr(src));
                guard("sctp notification", (), || events::handle(sock, src, &buf[..got.len]));
            }
            (Piece::CutStart, false) => {
                log::error!(
                    "{sock}: message from {} does not fit in {READ_LEN} bytes (or arrived in parts): dropped, \
                     the largest SIP message is {MAX_SIP_MSG} bytes",
                    FromAddr(src)
                );
            }
            (Piece::Whole, true) => guard("sctp notification", (), || events::handle(sock, src, &buf[..got.len])),
            (Piece::Whole, false) => {
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
                guard("sctp receive", (), || {
                    deliver(sock, &mut buf, got.len, &from, src, got.info.map(|i| i.assoc_id), &mut ri)
                });
            }
        }
    }
}

/// Sanity checks and hand-over of one whole message.
fn deliver(
    sock: SocketInfo<'_>,
    buf: &mut [u8],
    len: usize,
    from: &RawAddr,
    src: Option<std::net::SocketAddr>,
    assoc_id: Option<i32>,
    ri: &mut ReceiveInfo<'_>,
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
    let rt = runtime::current();
    let conn_id = match (rt.tracking, assoc_id) {
        (true, Some(assoc_id)) => assoc::conn_id_for(AssocKey { sock: sock.fd(), assoc_id }, &src, rt.autoclose_s),
        _ => 0,
    };
    ri.set_source(from, &src, conn_id);
    receive_msg(buf, len, ri);
}

