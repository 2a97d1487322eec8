//! Messages the kernel cut, put back together across the receiver processes
//! of one socket (in shared memory, one store per socket).
//!
//! With partial delivery the kernel hands a message over in pieces, one per
//! read, each to whichever receiver reads next. Each receiver adds what it
//! read; pieces are kept in TSN order (the kernel gives each piece the TSN of
//! its first chunk), so the order in which the receivers add them does not
//! matter. The receiver whose piece completes a message gets it whole, once.
//! A message is complete when its first piece starts it, a piece ends it
//! (MSG_EOR), no piece between starts another, no other receiver holds a
//! piece of it (same association, TSN between its first and last) that it
//! read and has not added yet, and, with a Content-Length, the bytes are as
//! many as it says. The kernel hands pieces out in order, so once the piece
//! that ends a message was read, every piece before it was read too: added,
//! or held by a receiver that said so (`begin`) right after its read. A
//! receiver preempted between its read and `begin` is the one gap left;
//! Content-Length catches it in the body.
//!
//! The lock is taken only on this rare path, and never waited on for long: a
//! receiver that cannot get it in time drops its piece (counted) rather than
//! stall behind a stopped holder.

use super::futex::FutexLock;
use crate::sip_frame::{extent, starts_with_start_line, Extent};
use crate::sockaddr::RawAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Messages that can be put together at the same time, per socket (with the
/// kernel's default SCTP_FRAGMENT_INTERLEAVE 0, one is cut at a time).
pub const SLOTS: usize = 4;
/// Pieces of one slot.
pub const MAX_PIECES: usize = 64;
/// Bytes of one slot: the largest SIP message the core takes.
pub const SLOT_BYTES: usize = 65535;
/// How long a receiver waits for the store's lock before it drops its piece.
pub const LOCK_PATIENCE: Duration = Duration::from_millis(200);
/// Receivers told apart in the record of pieces held (more share entries).
pub const MAX_READERS: usize = 64;
/// A piece held longer than this by its reader is no longer waited for (the
/// reader died): the message expires instead.
pub const HOLD_LIMIT_MS: u32 = 5000;

/// Why pieces were dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Bigger than the largest SIP message.
    TooBig,
    /// The pieces do not make one message (more bytes than the headers say).
    Inconsistent,
    /// The message did not complete in time, or its association ended.
    Expired,
    /// No slot or piece entry was free.
    Full,
    /// The store's lock stayed taken (a holder stopped or preempted).
    Busy,
}

/// What became of an added piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// Kept until the rest arrives.
    Kept,
    /// It completed a message, now whole in `out[..len]`.
    Complete(usize),
    /// Dropped, with this many other pieces kept before (`pieces` counts the
    /// added one too).
    Dropped { reason: DropReason, pieces: u32 },
}

/// One piece as read.
#[derive(Clone, Copy)]
pub struct Piece<'a> {
    pub assoc_id: i32,
    pub tsn: u32,
    /// It ends a message (MSG_EOR).
    pub eor: bool,
    pub bytes: &'a [u8],
    pub from: &'a RawAddr,
}

/// Where a completed message goes: its bytes, and the association and
/// source address of its pieces.
pub struct Reassembled {
    pub bytes: Box<[u8]>,
    pub assoc_id: i32,
    pub from: RawAddr,
}

impl Reassembled {
    /// With room for the largest message, and a byte more (the core writes
    /// a 0 after a message).
    pub fn new() -> Self {
        Reassembled { bytes: vec![0; SLOT_BYTES + 1].into_boxed_slice(), assoc_id: 0, from: RawAddr::empty() }
    }
}

impl Default for Reassembled {
    fn default() -> Self {
        Self::new()
    }
}

/// A receiver's entry in the record of pieces held.
#[derive(Clone, Copy, Debug)]
pub struct Reader(usize);

#[repr(C)]
#[derive(Clone, Copy)]
struct PieceMeta {
    tsn: u32,
    len: u32,
    eor: u32,
}

#[repr(C)]
struct Slot {
    used: u32,
    /// Pieces of a message too big are dropped until one ends it.
    discarding: u32,
    assoc_id: i32,
    started_ms: u32,
    n: u32,
    bytes: u32,
    from: RawAddr,
    /// Sorted by TSN; `data[..bytes]` holds them in the same order.
    meta: [PieceMeta; MAX_PIECES],
    data: [u8; SLOT_BYTES],
}

/// A piece a receiver read and has not added yet: when it read it
/// (monotonic ms, low bit set; 0: none) and which it is.
#[repr(C)]
struct Hold {
    since_ms: AtomicU32,
    /// The association id (high half) and TSN (low half).
    key: AtomicU64,
}

fn hold_key(assoc_id: i32, tsn: u32) -> u64 {
    (u64::from(assoc_id as u32) << 32) | u64::from(tsn)
}

#[repr(C)]
pub struct PieceStore {
    /// The messages being put together; the lock is taken only for pieces.
    slots: FutexLock<[Slot; SLOTS]>,
    /// Slots in use: read without the lock, so that the common path costs
    /// one load.
    open: AtomicU32,
    readers: AtomicU32,
    /// The piece each receiver read and has not added yet.
    held: [Hold; MAX_READERS],
    /// Whether a receiver of the socket took the stall watchdog.
    watch_taken: AtomicBool,
}

/// TSN order (RFC 4960 serial number arithmetic).
fn tsn_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl PieceStore {
    /// An empty store on the heap (tests and fuzzing; Kamailio's live in shm).
    pub fn boxed() -> Box<Self> {
        let layout = std::alloc::Layout::new::<PieceStore>();
        // SAFETY: the layout is PieceStore's (not zero-sized); all-zero bytes
        // are an empty store (a free lock, no slot in use), so the block is a
        // valid PieceStore that Box may own and free with the same layout.
        unsafe {
            let p = std::alloc::alloc_zeroed(layout).cast::<PieceStore>();
            if p.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            Box::from_raw(p)
        }
    }

    /// Whether any message is being put together (no lock).
    pub fn open(&self) -> u32 {
        self.open.load(Ordering::Relaxed)
    }

    /// Whether the calling receiver is the one of the socket that watches its
    /// associations for stalls: true for the first to ask, once.
    pub fn take_watch(&self) -> bool {
        !self.watch_taken.swap(true, Ordering::Relaxed)
    }

    /// A receiver process starts reading: its entry in the record of pieces
    /// held.
    pub fn join(&self) -> Reader {
        Reader(self.readers.fetch_add(1, Ordering::Relaxed) as usize % MAX_READERS)
    }

    /// Right after a read that is a piece, before anything else: the reader
    /// holds a piece (of association `assoc_id`, TSN `tsn`) that its message
    /// may not complete without.
    pub fn begin(&self, r: Reader, now_ms: u32, assoc_id: i32, tsn: u32) {
        let h = &self.held[r.0];
        h.key.store(hold_key(assoc_id, tsn), Ordering::SeqCst);
        h.since_ms.store(now_ms | 1, Ordering::SeqCst);
    }

    fn release(&self, r: Reader) {
        self.held[r.0].since_ms.store(0, Ordering::SeqCst);
    }

    /// Whether a receiver holds a piece of association `assoc_id` whose TSN
    /// lies strictly between `after` and `before`, read within the hold
    /// limit. A hold begun while this runs is of a later message: the one
    /// asked about was read to its end already.
    fn held_between(&self, assoc_id: i32, after: u32, before: u32, now_ms: u32) -> bool {
        self.held.iter().any(|h| {
            let since = h.since_ms.load(Ordering::SeqCst);
            // signed: the stamp's low bit may put it a millisecond ahead
            if since == 0 || (now_ms.wrapping_sub(since) as i32) >= HOLD_LIMIT_MS as i32 {
                return false;
            }
            let key = h.key.load(Ordering::SeqCst);
            let tsn = key as u32;
            (key >> 32) as u32 == assoc_id as u32 && tsn_lt(after, tsn) && tsn_lt(tsn, before)
        })
    }

    fn locked<R>(&self, f: impl FnOnce(&mut [Slot; SLOTS]) -> R) -> Option<R> {
        let mut slots = self.slots.lock_within(LOCK_PATIENCE)?;
        let r = f(&mut slots);
        self.open.store(slots.iter().filter(|s| s.used != 0).count() as u32, Ordering::Relaxed);
        Some(r)
    }

    /// Adds a piece `r` read (after `begin`). A message now complete (this
    /// one's, or one that waited for the pieces others held) is copied to
    /// `out` and taken out of the store.
    pub fn add(&self, r: Reader, piece: Piece<'_>, now_ms: u32, out: &mut Reassembled) -> Added {
        let added = self.locked(|slots| {
            let added = add_locked(slots, piece, now_ms);
            self.release(r);
            if added != Added::Kept {
                return added;
            }
            let held = |a, after, before| self.held_between(a, after, before, now_ms);
            take_any_complete(slots, piece.assoc_id, &held, out)
        });
        added.unwrap_or_else(|| {
            self.release(r);
            Added::Dropped { reason: DropReason::Busy, pieces: 1 }
        })
    }

    /// `r` read a piece it will not add (it could not tell where it belongs).
    pub fn add_nothing(&self, r: Reader) {
        self.release(r);
    }

    /// A message that is complete and no longer waits for pieces others
    /// held, if any (the sweep, and after each message handed over: one add
    /// may complete several).
    pub fn settle(&self, now_ms: u32, out: &mut Reassembled) -> Added {
        if self.open() == 0 {
            return Added::Kept;
        }
        let held = |a, after, before| self.held_between(a, after, before, now_ms);
        self.locked(|slots| take_any_complete(slots, 0, &held, out)).unwrap_or(Added::Kept)
    }

    /// Drops the messages whose first piece came `bound_ms` or more before
    /// `now_ms` (or every message of `assoc_id`, when given: its partial
    /// delivery was aborted). Returns the pieces dropped.
    pub fn expire(&self, now_ms: u32, bound_ms: u32, assoc_id: Option<i32>) -> u32 {
        self.locked(|slots| {
            let mut dropped = 0;
            for s in slots.iter_mut().filter(|s| s.used != 0) {
                if Some(s.assoc_id) == assoc_id || now_ms.wrapping_sub(s.started_ms) >= bound_ms {
                    dropped += s.n.max(1);
                    s.used = 0;
                }
            }
            dropped
        })
        .unwrap_or(0)
    }
}

fn add_locked(slots: &mut [Slot; SLOTS], p: Piece<'_>, now_ms: u32) -> Added {
    let Piece { assoc_id, tsn, eor, bytes: piece, from } = p;
    let i = match slots.iter().position(|s| s.used != 0 && s.assoc_id == assoc_id) {
        Some(i) => i,
        None => {
            let Some(i) = slots.iter().position(|s| s.used == 0) else {
                return Added::Dropped { reason: DropReason::Full, pieces: 1 };
            };
            let s = &mut slots[i];
            (s.used, s.discarding, s.assoc_id, s.started_ms, s.n, s.bytes) = (1, 0, assoc_id, now_ms, 0, 0);
            s.from = from.clone();
            i
        }
    };
    let s = &mut slots[i];
    if s.discarding != 0 {
        if eor {
            s.used = 0;
        }
        return Added::Dropped { reason: DropReason::TooBig, pieces: 1 };
    }
    let fits = s.bytes as usize + piece.len() <= SLOT_BYTES;
    if !fits || s.n as usize == MAX_PIECES {
        let pieces = s.n + 1;
        // drop what is kept; the rest of the message until its end goes too
        (s.n, s.bytes, s.discarding) = (0, 0, u32::from(!eor));
        s.used = u32::from(!eor);
        let reason = if fits { DropReason::Full } else { DropReason::TooBig };
        return Added::Dropped { reason, pieces };
    }
    insert(s, tsn, eor, piece);
    Added::Kept
}

/// Whether a receiver holds a piece of an association with a TSN between
/// two others.
type HeldBetween<'a> = dyn Fn(i32, u32, u32) -> bool + 'a;

/// Takes out a complete message, the association `first`'s first.
fn take_any_complete(slots: &mut [Slot; SLOTS], first: i32, held: &HeldBetween, out: &mut Reassembled) -> Added {
    let order = slots.iter().position(|s| s.used != 0 && s.assoc_id == first).into_iter().chain(0..SLOTS);
    for i in order {
        let s = &mut slots[i];
        if s.used == 0 || s.discarding != 0 {
            continue;
        }
        match take_complete(s, held, &mut out.bytes) {
            Added::Kept => continue,
            done => {
                out.assoc_id = s.assoc_id;
                out.from = s.from.clone();
                return done;
            }
        }
    }
    Added::Kept
}

/// Puts a piece in TSN order, its bytes at the matching place.
fn insert(s: &mut Slot, tsn: u32, eor: bool, piece: &[u8]) {
    let n = s.n as usize;
    let at = s.meta[..n].iter().position(|m| tsn_lt(tsn, m.tsn)).unwrap_or(n);
    let offset: usize = s.meta[..at].iter().map(|m| m.len as usize).sum();
    let bytes = s.bytes as usize;
    s.data.copy_within(offset..bytes, offset + piece.len());
    s.data[offset..offset + piece.len()].copy_from_slice(piece);
    s.meta.copy_within(at..n, at + 1);
    s.meta[at] = PieceMeta { tsn, len: piece.len() as u32, eor: u32::from(eor) };
    s.n += 1;
    s.bytes += piece.len() as u32;
}

/// Takes out the first message of the slot when it is complete.
fn take_complete(s: &mut Slot, held: &HeldBetween, out: &mut [u8]) -> Added {
    let n = s.n as usize;
    // the first message ends with the first piece that has MSG_EOR
    let Some(last) = s.meta[..n].iter().position(|m| m.eor != 0) else { return Added::Kept };
    if held(s.assoc_id, s.meta[0].tsn, s.meta[last].tsn) {
        return Added::Kept;
    }
    let len: usize = s.meta[..=last].iter().map(|m| m.len as usize).sum();
    let msg = &s.data[..len];
    // its first piece still with a receiver, or one between that starts a
    // message of its own: a piece of this one is still out
    if !starts_with_start_line(msg) || starts_later_message(s, last) {
        return Added::Kept;
    }
    match extent(msg) {
        Extent::Length(want) if want == len => {}
        Extent::NoContentLength => {}
        Extent::Length(want) if want < len => return drop_first(s, last, DropReason::Inconsistent),
        // a piece still on its way (its reader preempted before `begin`): it
        // may yet come; else the message expires
        Extent::Length(_) | Extent::HeadersIncomplete => return Added::Kept,
    }
    out[..len].copy_from_slice(msg);
    remove_first(s, last, len);
    Added::Complete(len)
}

/// Whether one of pieces `1..=last` begins with a start line.
fn starts_later_message(s: &Slot, last: usize) -> bool {
    let mut offset = s.meta[0].len as usize;
    s.meta[1..=last].iter().any(|m| {
        let piece = &s.data[offset..offset + m.len as usize];
        offset += m.len as usize;
        starts_with_start_line(piece)
    })
}

fn drop_first(s: &mut Slot, last: usize, reason: DropReason) -> Added {
    let len: usize = s.meta[..=last].iter().map(|m| m.len as usize).sum();
    remove_first(s, last, len);
    Added::Dropped { reason, pieces: last as u32 + 1 }
}

/// Removes pieces `0..=last` (`len` bytes); frees the slot when none is left.
fn remove_first(s: &mut Slot, last: usize, len: usize) {
    let n = s.n as usize;
    s.data.copy_within(len..s.bytes as usize, 0);
    s.meta.copy_within(last + 1..n, 0);
    s.n -= last as u32 + 1;
    s.bytes -= len as u32;
    if s.n == 0 {
        s.used = 0;
    }
}

#[cfg(test)]
#[path = "piece_store_tests.rs"]
mod tests;
