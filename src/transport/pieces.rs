//! Pieces of messages the kernel cut, on their way through the socket's store
//! (shared::piece_store): counted, and logged at most once per interval.

use super::ratelimit::Every;
use super::stats;
use crate::shared::clock::monotonic_ms;
use crate::shared::piece_store::{Added, DropReason, Piece, PieceStore, Reader, Reassembled};
use std::fmt;

/// How long the pieces of a message may wait for the rest of it. The kernel
/// delivers what it has as it arrives; a piece is late only when a chunk
/// had to be retransmitted a few times or the peer went away.
pub const BOUND_MS: u32 = 5000;
/// How often a receiver looks for pieces past the bound, at most, while any
/// are kept.
const SWEEP_EVERY_MS: u32 = 100;

static DROPPED_LOG: Every = Every::new(10);

/// Adds a piece `r` read (and said it holds: `PieceStore::begin`);
/// `Some(len)` when a message is now complete, in `whole`.
pub fn add(store: &PieceStore, r: Reader, piece: Piece<'_>, whole: &mut Reassembled, from: &dyn fmt::Display) -> Option<usize> {
    let added = store.add(r, piece, monotonic_ms(), whole);
    if added == Added::Kept {
        log::debug!(
            "sctp: kept a {}-byte piece of a message from {from} (association {}, tsn {})",
            piece.bytes.len(),
            piece.assoc_id,
            piece.tsn
        );
    }
    outcome(added, from)
}

fn outcome(added: Added, from: &dyn fmt::Display) -> Option<usize> {
    match added {
        Added::Kept => None,
        Added::Complete(len) => {
            stats::CUT_REASSEMBLED.inc();
            log::debug!("sctp: a {len}-byte message from {from} put back together");
            Some(len)
        }
        Added::Dropped { reason, pieces } => {
            dropped(pieces, reason, from);
            None
        }
    }
}

/// Drops what the peer or the stack gave up (SCTP_PARTIAL_DELIVERY_ABORTED).
pub fn aborted(store: &PieceStore, assoc_id: i32, from: &dyn fmt::Display) {
    let n = store.expire(monotonic_ms(), BOUND_MS, Some(assoc_id));
    if n > 0 {
        dropped(n, DropReason::Expired, from);
    }
}

/// Per-process state of the sweep for pieces past the bound.
#[derive(Default)]
pub struct Sweeper {
    next_ms: Option<u32>,
}

impl Sweeper {
    /// Hands over a message that became complete after its last piece was
    /// added (`Some(len)`, in `whole`), else drops pieces kept past the
    /// bound; costs one load while no piece is kept.
    pub fn sweep(&mut self, store: &PieceStore, whole: &mut Reassembled) -> Option<usize> {
        if store.open() == 0 {
            return None;
        }
        let now = monotonic_ms();
        if self.next_ms.is_some_and(|next| (now.wrapping_sub(next) as i32) < 0) {
            return None;
        }
        self.next_ms = Some(now.wrapping_add(SWEEP_EVERY_MS));
        if let Some(len) = next_complete(store, whole) {
            return Some(len);
        }
        let n = store.expire(now, BOUND_MS, None);
        if n > 0 {
            dropped(n, DropReason::Expired, &"a peer");
        }
        None
    }
}

/// Another message that is complete, if any: one piece may complete
/// several (the messages that waited for it).
pub fn next_complete(store: &PieceStore, whole: &mut Reassembled) -> Option<usize> {
    outcome(store.settle(monotonic_ms(), whole), &"a peer")
}

fn dropped(pieces: u32, reason: DropReason, from: &dyn fmt::Display) {
    stats::CUT_DROPPED.add(u64::from(pieces));
    if let Some(left_out) = DROPPED_LOG.due() {
        let why = match reason {
            DropReason::TooBig => "the message is bigger than the largest SIP message (65535 bytes)",
            DropReason::Inconsistent => "the pieces hold more bytes than the message's Content-Length",
            DropReason::Expired => "the rest of the message did not arrive within 5 s, or its delivery was aborted",
            DropReason::Full => "too many cut messages or pieces at once",
            DropReason::Busy => "the store of cut messages stayed locked (a receiver stopped inside it?)",
        };
        log::error!(
            "sctp: dropped {pieces} piece(s) of a cut message from {from}: {why} ({left_out} more such drops since the last line)"
        );
    }
}
