//! Pieces of messages the kernel cut, on their way through the socket's store
//! (shared::piece_store): counted, and a peer whose cut message cannot become
//! a SIP message (too big, never ended, ...) is cut off: its association is
//! aborted, so that it holds neither the store nor the kernel's receive
//! buffer, and the peer learns that its message was lost.

use super::notifications::FromAddr;
use super::piece_stores::Store;
use crate::kam::net::SocketInfo;
use crate::shared::clock::monotonic_ms;
use crate::shared::piece_store::{Added, DropReason, Piece, Reader, Reassembled};
use crate::transport::counters;
use crate::transport::ratelimit::Every;
use crate::transport::send;
use crate::transport::settings::runtime;
use std::fmt;

/// How often a receiver looks for pieces past the bound, at most, while any
/// are kept.
const SWEEP_EVERY_MS: u32 = 100;
/// The reason sent with the ABORT of an association whose cut message could
/// not be put together.
pub const ABORT_REASON_CUT: &[u8] = b"SIP message cut by partial delivery could not be reassembled";

/// Lines about dropped pieces and aborted associations: each one unless they
/// come faster than one a second (per process).
static DROPPED_LOG: Every = Every::new(1);

/// Adds a piece `r` read (and said it holds: `PieceStore::begin`);
/// `Some(len)` when a message is now complete, in `whole`. Out of line: rare,
/// and its locals stay off the receive loop's stack frame.
#[inline(never)]
pub fn add(sock: SocketInfo, store: &Store, r: Reader, piece: Piece<'_>, whole: &mut Reassembled) -> Option<usize> {
    let added = store.add(r, piece, monotonic_ms(), whole);
    let from = piece.from.to_socket_addr();
    if added == Added::Kept {
        log::debug!(
            "sctp: kept a {}-byte piece of a message from {} (association {}, tsn {})",
            piece.bytes.len(),
            FromAddr(from),
            piece.assoc_id,
            piece.tsn
        );
    }
    // the outcome may be another association's (a message that waited for
    // this piece's reader): `whole` says whose
    outcome(sock, store, added, whole.assoc_id, &FromAddr(whole.from.to_socket_addr()))
}

fn outcome(sock: SocketInfo, store: &Store, added: Added, assoc_id: i32, from: &dyn fmt::Display) -> Option<usize> {
    match added {
        Added::Kept => None,
        Added::Complete(len) => {
            counters::CUT_REASSEMBLED.inc();
            log::debug!("sctp: a {len}-byte message from {from} put back together");
            Some(len)
        }
        // later pieces of a message already being dropped: its association
        // was aborted when the drop began
        Added::Dropped { reason: DropReason::Rest, pieces } => {
            counters::CUT_DROPPED.add(u64::from(pieces));
            None
        }
        Added::Dropped { reason, pieces } => {
            cut_off(sock, store, assoc_id, pieces, reason, from);
            None
        }
    }
}

/// Drops what the peer or the stack gave up (SCTP_PARTIAL_DELIVERY_ABORTED):
/// the association is ending already.
pub fn aborted(store: &Store, assoc_id: i32, from: &dyn fmt::Display) {
    let n = store.drop_assoc(assoc_id);
    if n > 0 {
        counters::CUT_DROPPED.add(u64::from(n));
        if let Some(left_out) = DROPPED_LOG.due() {
            log::warn!(
                "sctp: dropped {n} piece(s) of a cut message from {from} (association {assoc_id}): {}{}",
                why(DropReason::Aborted),
                LeftOut(left_out)
            );
        }
    }
}

/// Per-process state of the sweep for pieces past the bound.
#[derive(Default)]
pub struct Sweeper {
    next_ms: Option<u32>,
}

impl Sweeper {
    /// Hands over a message that became complete after its last piece was
    /// added (`Some(len)`, in `whole`), else cuts off the peers whose message
    /// did not end within `sctp_cut_timeout`; costs one load while no piece
    /// is kept.
    #[inline]
    pub fn sweep(&mut self, sock: SocketInfo, store: &Store, whole: &mut Reassembled) -> Option<usize> {
        if store.open() == 0 {
            return None;
        }
        self.sweep_open(sock, store, whole)
    }

    /// `sweep` while cut messages are kept: out of line, so that its
    /// buffers stay off the receive loop's stack.
    #[inline(never)]
    fn sweep_open(&mut self, sock: SocketInfo, store: &Store, whole: &mut Reassembled) -> Option<usize> {
        let now = monotonic_ms();
        if self.next_ms.is_some_and(|next| (now.wrapping_sub(next) as i32) < 0) {
            return None;
        }
        self.next_ms = Some(now.wrapping_add(SWEEP_EVERY_MS));
        if let Some(len) = next_complete(sock, store, whole) {
            return Some(len);
        }
        let expired = store.expire(now, runtime::cut_timeout_ms());
        counters::CUT_DROPPED.add(u64::from(expired.rest));
        for e in expired.assocs() {
            cut_off(sock, store, e.assoc_id, e.pieces, DropReason::Expired, &FromAddr(e.from.to_socket_addr()));
        }
        None
    }
}

/// Another message that is complete, if any: one piece may complete
/// several (the messages that waited for it).
pub fn next_complete(sock: SocketInfo, store: &Store, whole: &mut Reassembled) -> Option<usize> {
    let added = store.settle(monotonic_ms(), whole);
    let assoc_id = whole.assoc_id;
    outcome(sock, store, added, assoc_id, &FromAddr(whole.from.to_socket_addr()))
}

/// Drops `pieces` of association `assoc_id`'s cut message and aborts the
/// association: counted, logged (at most one line a second).
fn cut_off(sock: SocketInfo, store: &Store, assoc_id: i32, pieces: u32, reason: DropReason, from: &dyn fmt::Display) {
    counters::CUT_DROPPED.add(u64::from(pieces));
    // a non-blocking send of one chunk: no lock of ours is held
    let aborted = send::send_abort(sock, None, assoc_id, ABORT_REASON_CUT);
    // what the association still had in the store cannot complete either,
    // nor the pieces of it the kernel handed over before the abort
    let rest = store.discard_assoc(assoc_id);
    counters::CUT_DROPPED.add(u64::from(rest));
    match aborted {
        Ok(()) => {
            counters::CUT_ABORTED.inc();
            if let Some(left_out) = DROPPED_LOG.due() {
                log::error!(
                    "{sock}: aborted the association of {from} (association {assoc_id}): its cut message {}; {} piece(s) dropped{}",
                    why(reason),
                    pieces + rest,
                    LeftOut(left_out)
                );
            }
        }
        // gone already (aborted by another receiver, or by the peer)
        Err(e) => log::debug!("{sock}: association {assoc_id} of {from} not aborted ({e}): {}", why(reason)),
    }
}

fn why(reason: DropReason) -> &'static str {
    match reason {
        DropReason::TooBig => "grew past the largest SIP message (65535 bytes)",
        DropReason::TooManyPieces => "came in too many small pieces",
        DropReason::Inconsistent => "holds more bytes than its Content-Length says",
        DropReason::Expired => "did not end within sctp_cut_timeout",
        DropReason::Aborted => "its delivery was aborted",
        DropReason::Rest => "was being dropped already",
        DropReason::Full => "found no room: too many cut messages at once, or no shared memory",
        DropReason::Busy => "found the store of cut messages locked (a receiver stopped inside it?)",
    }
}

/// "; N more such lines left out" when N > 0.
struct LeftOut(u32);

impl fmt::Display for LeftOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            n => write!(f, " ({n} more such lines left out since the last)"),
        }
    }
}
