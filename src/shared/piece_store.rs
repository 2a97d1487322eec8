//! Messages the kernel cut, put back together across the receiver processes
//! of one socket (in shared memory, one store per socket).
//!
//! With partial delivery the kernel hands a message over in pieces, one per
//! read, each to whichever receiver reads next; with SCTP_FRAGMENT_INTERLEAVE
//! 1 the pieces of several associations' messages come mixed, each
//! association's in order. Each receiver adds what it read to its
//! association's entry; pieces are kept in TSN order (the kernel gives each
//! piece the TSN of its first chunk), so the order in which the receivers add
//! them does not matter. The receiver whose piece completes a message gets it
//! whole, once. A message is complete when its first piece starts it, a piece
//! ends it (MSG_EOR), no piece between starts another, no other receiver
//! holds a piece of it (same association, TSN between its first and last)
//! that it read and has not added yet, and, with a Content-Length, the bytes
//! are as many as it says. The kernel hands pieces out in order, so once the
//! piece that ends a message was read, every piece before it was read too:
//! added, or held by a receiver that said so (`begin`) right after its read.
//! A receiver preempted between its read and `begin` is the one gap left;
//! Content-Length catches it in the body.
//!
//! An entry's bytes live in a buffer of their own, taken from the shared pool
//! when the association's first piece comes and given back when its messages
//! are out: the store costs `ENTRIES` small headers until messages are cut,
//! and at most `ENTRIES` buffers while they are.
//!
//! The lock is taken only on this rare path, and never waited on for long: a
//! receiver that cannot get it in time drops its piece (counted) rather than
//! stall behind a stopped holder.

use super::assoc_table::SharedAlloc;
use super::futex::FutexLock;
use super::test_alloc::{self, Heap};
use crate::sip_frame::{extent, starts_with_start_line, Extent};
use crate::sockaddr::RawAddr;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Associations whose messages can be put together at the same time, per
/// socket: one entry each, whatever the number of its messages.
pub const ENTRIES: usize = 64;
/// Pieces of one entry: a message of the largest size cut into pieces of 128
/// bytes on average. A peer that cuts finer is not served.
pub const MAX_PIECES: usize = 512;
/// Bytes of one entry: the largest SIP message the core takes.
pub const MAX_BYTES: usize = 65535;
/// The shared memory one entry's buffer takes while its association has a
/// message being put together.
pub const BUFFER_BYTES: usize = std::mem::size_of::<Buffer>();
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
    /// Cut into more pieces than an entry keeps.
    TooManyPieces,
    /// The pieces do not make one message (more bytes than the headers say).
    Inconsistent,
    /// The message did not complete in time.
    Expired,
    /// The association's delivery was aborted (SCTP_PARTIAL_DELIVERY_ABORTED).
    Aborted,
    /// The rest of a message whose drop began earlier.
    Rest,
    /// No entry was free, or no shared memory for its buffer.
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
    /// added one too). The association's later pieces of the message are
    /// dropped as they come.
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
/// source address of its pieces (also of a message dropped: whose it was).
pub struct Reassembled {
    pub bytes: Box<[u8]>,
    pub assoc_id: i32,
    pub from: RawAddr,
}

impl Reassembled {
    /// With room for the largest message, and a byte more (the core writes
    /// a 0 after a message).
    pub fn new() -> Self {
        Reassembled { bytes: vec![0; MAX_BYTES + 1].into_boxed_slice(), assoc_id: 0, from: RawAddr::empty() }
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

/// The associations whose messages expired, to be told so (aborted).
pub struct Expired {
    /// Pieces dropped of messages that were being dropped already.
    pub rest: u32,
    n: usize,
    assocs: [Expiry; ENTRIES],
}

/// An association whose message expired.
#[derive(Clone)]
pub struct Expiry {
    pub assoc_id: i32,
    /// Where its pieces came from.
    pub from: RawAddr,
    /// Its pieces dropped.
    pub pieces: u32,
}

impl Expired {
    fn new() -> Self {
        Expired {
            rest: 0,
            n: 0,
            assocs: std::array::from_fn(|_| Expiry { assoc_id: 0, from: RawAddr::empty(), pieces: 0 }),
        }
    }

    /// Each association whose message expired.
    pub fn assocs(&self) -> &[Expiry] {
        &self.assocs[..self.n]
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
struct PieceMeta {
    tsn: u32,
    len: u32,
    eor: u32,
}

/// An entry's pieces: sorted by TSN, `data[..bytes]` holding them in the same
/// order.
#[repr(C)]
pub struct Buffer {
    meta: [PieceMeta; MAX_PIECES],
    data: [u8; MAX_BYTES],
}

/// An entry's buffer, owned by the entry (and so by the holder of the lock).
#[repr(transparent)]
struct BufferPtr(Option<NonNull<Buffer>>);

// SAFETY: the buffer is shared memory every process sees at the same
// address; it is reached only through its entry, under the store's lock.
unsafe impl Send for BufferPtr {}

#[repr(C)]
struct Entry {
    used: u32,
    /// The association's message is being dropped (too big, too many pieces,
    /// ...): its later pieces go until one ends it. No buffer then.
    discarding: u32,
    assoc_id: i32,
    started_ms: u32,
    n: u32,
    bytes: u32,
    from: RawAddr,
    buf: BufferPtr,
}

impl Entry {
    /// The pieces, while the entry has a buffer.
    fn buffer(&mut self) -> Option<&mut Buffer> {
        // SAFETY: the pointer came from the store's allocator for a Buffer
        // (zeroed: valid for these plain integer arrays), is owned by this
        // entry until `free_buffer`, and `&mut self` (under the store's lock)
        // makes this the only reference to it.
        self.buf.0.map(|mut p| unsafe { p.as_mut() })
    }
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

/// An entry's association, as `open_assocs` shows it without the lock.
fn open_key(assoc_id: i32) -> u64 {
    (1 << 32) | u64::from(assoc_id as u32)
}

#[repr(C)]
pub struct PieceStore<A: SharedAlloc> {
    /// The messages being put together; the lock is taken only for pieces.
    entries: FutexLock<[Entry; ENTRIES]>,
    /// Entries in use: read without the lock, so that the common path costs
    /// one load.
    open: AtomicU32,
    /// The association of each entry in use (`open_key`), 0 for a free one.
    open_assocs: [AtomicU64; ENTRIES],
    /// Receivers that hold a piece now (the record below), for the same
    /// one-load test.
    holding: AtomicU32,
    readers: AtomicU32,
    /// The piece each receiver read and has not added yet.
    held: [Hold; MAX_READERS],
    /// Whether a receiver of the socket took the stall watchdog.
    watch_taken: AtomicBool,
    alloc: A,
}

/// TSN order (RFC 4960 serial number arithmetic).
fn tsn_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl<A: SharedAlloc> PieceStore<A> {
    /// A new, empty store in memory from `alloc` (Kamailio's shm: before the
    /// core forks, so that every receiver sees it); never freed.
    pub fn new_in(alloc: A) -> Option<&'static Self> {
        // SAFETY: the block is a valid store (`alloc_in`) that is never given
        // back, so a shared reference to it may live as long as the process.
        Some(unsafe { Self::alloc_in(alloc)?.as_ref() })
    }

    /// A new, empty store in a block from `alloc`, which the caller owns.
    fn alloc_in(alloc: A) -> Option<NonNull<Self>> {
        const { assert!(std::mem::align_of::<Self>() <= 8) };
        let mem = alloc.alloc(std::mem::size_of::<Self>())?.cast::<Self>();
        // SAFETY: the block is zeroed, 8-aligned (SharedAlloc's contract, and
        // the assertion above) and as big as a store. All-zero bytes are an
        // empty store (a free lock, no entry in use, no buffer, no hold) but
        // for `alloc`, written here before the store is shared.
        unsafe { std::ptr::addr_of_mut!((*mem.as_ptr()).alloc).write(alloc) };
        Some(mem)
    }

    /// Messages being put together now (no lock).
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
        if h.since_ms.swap(now_ms | 1, Ordering::SeqCst) == 0 {
            self.holding.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn release(&self, r: Reader) {
        if self.held[r.0].since_ms.swap(0, Ordering::SeqCst) != 0 {
            self.holding.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Whether association `assoc_id` has a message being put together, or a
    /// piece a receiver read and has not added yet: its next read is then a
    /// piece too, whatever it looks like (the kernel hands one association's
    /// pieces over in a row). Two loads while no message is cut, and the
    /// clock read only when one is.
    pub fn cut_open(&self, assoc_id: i32, now_ms: impl FnOnce() -> u32) -> bool {
        if self.open() == 0 && self.holding.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let now_ms = now_ms();
        let key = open_key(assoc_id);
        self.open_assocs.iter().any(|a| a.load(Ordering::Relaxed) == key)
            || self.held.iter().any(|h| {
                let since = h.since_ms.load(Ordering::SeqCst);
                since != 0
                    && (now_ms.wrapping_sub(since) as i32) < HOLD_LIMIT_MS as i32
                    && (h.key.load(Ordering::SeqCst) >> 32) as u32 == assoc_id as u32
            })
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

    fn locked<R>(&self, f: impl FnOnce(&mut [Entry; ENTRIES], A) -> R) -> Option<R> {
        let mut entries = self.entries.lock_within(LOCK_PATIENCE)?;
        let r = f(&mut entries, self.alloc);
        let mut open = 0;
        for (e, shown) in entries.iter().zip(&self.open_assocs) {
            open += e.used;
            shown.store(if e.used != 0 { open_key(e.assoc_id) } else { 0 }, Ordering::Relaxed);
        }
        self.open.store(open, Ordering::Relaxed);
        Some(r)
    }

    /// Adds a piece `r` read (after `begin`). A message now complete (this
    /// one's, or one that waited for the pieces others held) is copied to
    /// `out` and taken out of the store. Whatever the outcome but `Kept`,
    /// `out` names the association it is of (not always the piece's).
    pub fn add(&self, r: Reader, piece: Piece<'_>, now_ms: u32, out: &mut Reassembled) -> Added {
        // whether the outcome is the piece's own (dropped with its message),
        // else `take_any_complete` names the association in `out` itself
        let mut own = true;
        let added = self.locked(|entries, alloc| {
            let added = add_locked(entries, alloc, piece, now_ms);
            self.release(r);
            if added != Added::Kept {
                return added;
            }
            own = false;
            let held = |a, after, before| self.held_between(a, after, before, now_ms);
            take_any_complete(entries, alloc, piece.assoc_id, &held, now_ms, out)
        });
        let added = added.unwrap_or_else(|| {
            self.release(r);
            Added::Dropped { reason: DropReason::Busy, pieces: 1 }
        });
        if own {
            (out.assoc_id, out.from) = (piece.assoc_id, piece.from.clone());
        }
        added
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
        self.locked(|entries, alloc| take_any_complete(entries, alloc, 0, &held, now_ms, out)).unwrap_or(Added::Kept)
    }

    /// Drops the messages whose first piece came `bound_ms` or more before
    /// `now_ms`. The associations returned had a message expire (not those
    /// whose message was being dropped already: they were told then).
    pub fn expire(&self, now_ms: u32, bound_ms: u32) -> Expired {
        self.locked(|entries, alloc| {
            let mut expired = Expired::new();
            for e in entries.iter_mut().filter(|e| e.used != 0) {
                // signed: another receiver may have begun an entry after the
                // caller read its clock
                if (now_ms.wrapping_sub(e.started_ms) as i32) >= bound_ms as i32 {
                    if e.discarding == 0 {
                        expired.assocs[expired.n] = Expiry { assoc_id: e.assoc_id, from: e.from.clone(), pieces: e.n };
                        expired.n += 1;
                    } else {
                        expired.rest += 1;
                    }
                    free_entry(e, alloc);
                }
            }
            expired
        })
        .unwrap_or_else(Expired::new)
    }

    /// Drops what association `assoc_id` has kept, and the pieces of it still
    /// to come until one ends a message (the association is being aborted:
    /// what the kernel handed over before goes, without a buffer, counted as
    /// `Rest`). Returns the pieces dropped.
    pub fn discard_assoc(&self, assoc_id: i32) -> u32 {
        if self.open() == 0 {
            return 0;
        }
        self.locked(|entries, alloc| {
            let mut dropped = 0;
            for e in entries.iter_mut().filter(|e| e.used != 0 && e.assoc_id == assoc_id) {
                dropped += e.n;
                free_buffer(e, alloc);
                (e.n, e.bytes, e.discarding) = (0, 0, 1);
            }
            dropped
        })
        .unwrap_or(0)
    }

    /// Drops every piece of association `assoc_id` (its partial delivery was
    /// aborted: nothing more of it comes). Returns the pieces dropped.
    pub fn drop_assoc(&self, assoc_id: i32) -> u32 {
        if self.open() == 0 {
            return 0;
        }
        self.locked(|entries, alloc| {
            let mut dropped = 0;
            for e in entries.iter_mut().filter(|e| e.used != 0 && e.assoc_id == assoc_id) {
                dropped += e.n.max(1);
                free_entry(e, alloc);
            }
            dropped
        })
        .unwrap_or(0)
    }
}

/// A store on the heap (tests and fuzzing; Kamailio's live in shm), with its
/// own count of the heap it takes; freed, buffers and count and all, when
/// dropped.
pub struct HeapStore(NonNull<PieceStore<Heap>>);

impl HeapStore {
    pub fn new() -> Self {
        HeapStore(PieceStore::alloc_in(test_alloc::heap()).expect("heap"))
    }

    /// Bytes of buffers out now.
    pub fn buffers_in_use(&self) -> usize {
        self.alloc.in_use() - std::mem::size_of::<PieceStore<Heap>>()
    }
}

impl Default for HeapStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::ops::Deref for HeapStore {
    type Target = PieceStore<Heap>;
    fn deref(&self) -> &Self::Target {
        // SAFETY: allocated by `new` and freed only by `drop`.
        unsafe { self.0.as_ref() }
    }
}

impl Drop for HeapStore {
    fn drop(&mut self) {
        let alloc = self.alloc;
        if let Some(mut entries) = self.entries.lock_within(LOCK_PATIENCE) {
            entries.iter_mut().for_each(|e| free_entry(e, alloc));
        }
        // SAFETY: the block came from `alloc` with the store's size
        // (`alloc_in`); `&mut self` means no reference into it is left.
        unsafe { alloc.free(self.0.cast(), std::mem::size_of::<PieceStore<Heap>>()) };
        // SAFETY: the count came from `test_alloc::heap` and was used only
        // by the store, now gone.
        unsafe { test_alloc::free_heap(alloc) };
    }
}

/// Frees an entry and its buffer.
fn free_entry<A: SharedAlloc>(e: &mut Entry, alloc: A) {
    free_buffer(e, alloc);
    (e.used, e.discarding, e.n, e.bytes) = (0, 0, 0, 0);
}

fn free_buffer<A: SharedAlloc>(e: &mut Entry, alloc: A) {
    if let Some(p) = e.buf.0.take() {
        // SAFETY: from `alloc` with this size (add_locked), owned by the
        // entry, which no longer points to it.
        unsafe { alloc.free(p.cast(), BUFFER_BYTES) };
    }
}

/// Stops keeping the entry's message: its pieces so far go, and its later
/// pieces until one ends it (`eor`: this one did).
fn discard<A: SharedAlloc>(e: &mut Entry, alloc: A, eor: bool, reason: DropReason) -> Added {
    let pieces = e.n + 1;
    free_buffer(e, alloc);
    (e.n, e.bytes, e.discarding, e.used) = (0, 0, u32::from(!eor), u32::from(!eor));
    Added::Dropped { reason, pieces }
}

fn add_locked<A: SharedAlloc>(entries: &mut [Entry; ENTRIES], alloc: A, p: Piece<'_>, now_ms: u32) -> Added {
    let Piece { assoc_id, tsn, eor, bytes: piece, from } = p;
    let i = match entries.iter().position(|e| e.used != 0 && e.assoc_id == assoc_id) {
        Some(i) => i,
        None => {
            let Some(i) = entries.iter().position(|e| e.used == 0) else {
                return Added::Dropped { reason: DropReason::Full, pieces: 1 };
            };
            let e = &mut entries[i];
            (e.used, e.discarding, e.assoc_id, e.started_ms, e.n, e.bytes) = (1, 0, assoc_id, now_ms, 0, 0);
            e.from = from.clone();
            e.buf = BufferPtr(alloc.alloc(BUFFER_BYTES).map(NonNull::cast));
            if e.buf.0.is_none() {
                return discard(e, alloc, eor, DropReason::Full);
            }
            i
        }
    };
    let e = &mut entries[i];
    if e.discarding != 0 {
        if eor {
            free_entry(e, alloc);
        }
        return Added::Dropped { reason: DropReason::Rest, pieces: 1 };
    }
    if e.bytes as usize + piece.len() > MAX_BYTES {
        return discard(e, alloc, eor, DropReason::TooBig);
    }
    if e.n as usize == MAX_PIECES {
        return discard(e, alloc, eor, DropReason::TooManyPieces);
    }
    insert(e, tsn, eor, piece);
    Added::Kept
}

/// Whether a receiver holds a piece of an association with a TSN between
/// two others.
type HeldBetween<'a> = dyn Fn(i32, u32, u32) -> bool + 'a;

/// Takes out a complete message, the association `first`'s first.
fn take_any_complete<A: SharedAlloc>(
    entries: &mut [Entry; ENTRIES],
    alloc: A,
    first: i32,
    held: &HeldBetween,
    now_ms: u32,
    out: &mut Reassembled,
) -> Added {
    let order = entries.iter().position(|e| e.used != 0 && e.assoc_id == first).into_iter().chain(0..ENTRIES);
    for i in order {
        let e = &mut entries[i];
        if e.used == 0 || e.discarding != 0 {
            continue;
        }
        let (assoc_id, from) = (e.assoc_id, e.from.clone());
        match take_complete(e, alloc, held, now_ms, &mut out.bytes) {
            Added::Kept => continue,
            done => {
                (out.assoc_id, out.from) = (assoc_id, from);
                return done;
            }
        }
    }
    Added::Kept
}

/// Puts a piece in TSN order, its bytes at the matching place.
fn insert(e: &mut Entry, tsn: u32, eor: bool, piece: &[u8]) {
    let (n, bytes) = (e.n as usize, e.bytes as usize);
    let Some(b) = e.buffer() else { return };
    let at = b.meta[..n].iter().rposition(|m| !tsn_lt(tsn, m.tsn)).map_or(0, |k| k + 1);
    let offset: usize = b.meta[..at].iter().map(|m| m.len as usize).sum();
    b.data.copy_within(offset..bytes, offset + piece.len());
    b.data[offset..offset + piece.len()].copy_from_slice(piece);
    b.meta.copy_within(at..n, at + 1);
    b.meta[at] = PieceMeta { tsn, len: piece.len() as u32, eor: u32::from(eor) };
    e.n += 1;
    e.bytes += piece.len() as u32;
}

/// Takes out the first message of the entry when it is complete.
fn take_complete<A: SharedAlloc>(e: &mut Entry, alloc: A, held: &HeldBetween, now_ms: u32, out: &mut [u8]) -> Added {
    let (n, assoc_id) = (e.n as usize, e.assoc_id);
    let Some(b) = e.buffer() else { return Added::Kept };
    // the first message ends with the first piece that has MSG_EOR
    let Some(last) = b.meta[..n].iter().position(|m| m.eor != 0) else { return Added::Kept };
    if held(assoc_id, b.meta[0].tsn, b.meta[last].tsn) {
        return Added::Kept;
    }
    let len: usize = b.meta[..=last].iter().map(|m| m.len as usize).sum();
    let msg = &b.data[..len];
    // its first piece still with a receiver, or one between that starts a
    // message of its own: a piece of this one is still out
    if !starts_with_start_line(msg) || starts_later_message(b, last) {
        return Added::Kept;
    }
    match extent(msg) {
        Extent::Length(want) if want == len => {}
        Extent::NoContentLength => {}
        Extent::Length(want) if want < len => {
            remove_first(e, alloc, last, len, now_ms);
            return Added::Dropped { reason: DropReason::Inconsistent, pieces: last as u32 + 1 };
        }
        // a piece still on its way (its reader preempted before `begin`): it
        // may yet come; else the message expires
        Extent::Length(_) | Extent::HeadersIncomplete => return Added::Kept,
    }
    out[..len].copy_from_slice(msg);
    remove_first(e, alloc, last, len, now_ms);
    Added::Complete(len)
}

/// Whether one of pieces `1..=last` begins with a start line.
fn starts_later_message(b: &Buffer, last: usize) -> bool {
    let mut offset = b.meta[0].len as usize;
    b.meta[1..=last].iter().any(|m| {
        let piece = &b.data[offset..offset + m.len as usize];
        offset += m.len as usize;
        starts_with_start_line(piece)
    })
}

/// Removes pieces `0..=last` (`len` bytes); frees the entry when none is left,
/// else the next message's time runs from `now_ms`.
fn remove_first<A: SharedAlloc>(e: &mut Entry, alloc: A, last: usize, len: usize, now_ms: u32) {
    let (n, bytes) = (e.n as usize, e.bytes as usize);
    if let Some(b) = e.buffer() {
        b.data.copy_within(len..bytes, 0);
        b.meta.copy_within(last + 1..n, 0);
    }
    e.n -= last as u32 + 1;
    e.bytes -= len as u32;
    e.started_ms = now_ms;
    if e.n == 0 {
        free_entry(e, alloc);
    }
}

#[cfg(test)]
#[path = "piece_store_tests.rs"]
mod tests;
