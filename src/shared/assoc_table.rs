//! The association table: which SCTP associations are open, seen by every
//! process. Maps a connection id (what the core carries in
//! `receive_info.proto_reserved1` and `dest_info.id`) to the association (socket
//! and kernel association id) and its peer address, and back.
//!
//! Entries are allocated one per association from memory every process sees at
//! the same address (Kamailio's shm), like the C module does, so the table has
//! no capacity of its own: it holds what shared memory can hold. Three hash
//! indexes lead to an entry: by (socket, association id), by connection id and
//! by (socket, peer address). A multihomed peer has several addresses, each of
//! which leads to its one association: every address of an entry is a small
//! `PeerLink` of its own in the peer index (at most `MAX_PEER_ADDRS` per
//! association). The bucket arrays are split into partitions, each with its
//! own lock, so processes working on different associations rarely meet:
//! - the key and id chains of an entry, and its list of peer links, live in
//!   the partition its key hashes to (the connection id carries that partition
//!   in its low bits), under the partition's `lock`;
//! - each peer link's peer chain lives in the partition its address hashes to,
//!   under that partition's `peer_lock`.
//!
//! Lock order: `lock` before `peer_lock`, never the other way round; lookups by
//! peer take only a `peer_lock`. Every operation takes at most one `lock` and
//! one `peer_lock` at a time, and walks one chain per index (plus, on add and
//! remove, the entry's own links, at most `MAX_PEER_ADDRS`), so the work per
//! call is bounded by the chain length (the bucket count is sized for the
//! expected associations).

use super::futex::FutexMutex;
use std::mem::{align_of, size_of};
use std::net::{IpAddr, SocketAddr};
use std::ptr::{self, NonNull};
use std::sync::atomic::{
    AtomicI32, AtomicPtr, AtomicU32, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};

/// Partitions (locks) per index; a power of two.
pub const PARTITIONS: usize = 64;
const PART_BITS: u32 = PARTITIONS.trailing_zeros();
/// Buckets per index when nothing asks for more.
pub const DEFAULT_BUCKETS: usize = 16384;
/// The most buckets per index (8 MiB of bucket heads per index).
const MAX_BUCKETS: usize = 1 << 20;
/// Connection ids are positive `int`s in the core.
const ID_MASK: u32 = 0x7fff_ffff;
/// The most peer addresses one association is found by; a peer announcing
/// more is reached on the others by the kernel, not looked up here.
pub const MAX_PEER_ADDRS: u32 = 16;

/// Memory every process using the table sees at the same address.
///
/// # Safety
/// `alloc` must return `None` or a zeroed block of at least `size` bytes,
/// aligned to 8, that stays valid (and at the same address in every process
/// using the table) until it is given to `free`.
pub unsafe trait SharedAlloc: Copy + Send + Sync {
    fn alloc(self, size: usize) -> Option<NonNull<u8>>;
    /// Gives a block back.
    ///
    /// # Safety
    /// `block` came from `alloc` of this allocator with this `size` and is not
    /// used afterwards.
    unsafe fn free(self, block: NonNull<u8>, size: usize);
}

/// A peer address in a fixed, comparable form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct PeerAddr {
    family: u16,
    port: u16,
    addr: [u8; 16],
}

impl From<&SocketAddr> for PeerAddr {
    fn from(a: &SocketAddr) -> Self {
        let mut addr = [0u8; 16];
        let family = match a.ip() {
            IpAddr::V4(ip) => {
                addr[..4].copy_from_slice(&ip.octets());
                4
            }
            IpAddr::V6(ip) => {
                addr = ip.octets();
                6
            }
        };
        PeerAddr { family, port: a.port(), addr }
    }
}

impl PeerAddr {
    /// No address (family 0).
    pub const NONE: PeerAddr = PeerAddr { family: 0, port: 0, addr: [0; 16] };

    pub fn to_socket_addr(self) -> Option<SocketAddr> {
        use std::net::{Ipv4Addr, Ipv6Addr};
        let ip = match self.family {
            4 => IpAddr::V4(Ipv4Addr::new(self.addr[0], self.addr[1], self.addr[2], self.addr[3])),
            6 => IpAddr::V6(Ipv6Addr::from(self.addr)),
            _ => return None,
        };
        Some(SocketAddr::new(ip, self.port))
    }
}

/// An association: the socket it belongs to and the kernel's id for it there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssocKey {
    pub sock: i32,
    pub assoc_id: i32,
}

/// What a lookup by connection id finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tracked {
    pub key: AssocKey,
    pub peer: PeerAddr,
}

/// What adding an address to a tracked association came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrAdded {
    Added,
    AlreadyKnown,
    /// The association is not tracked.
    NoAssociation,
    /// It already has `MAX_PEER_ADDRS` addresses.
    Full,
    NoMemory,
}

/// Why an association is not tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrackError {
    #[error("shared memory is exhausted")]
    NoMemory,
    /// Another receiver already accounted for its end.
    #[error("the association went down")]
    Gone,
}

/// Associations that went down lately: receivers account for what they read
/// in any order, and a message or COMM_UP of an association accounted after
/// its COMM_LOST or SHUTDOWN_COMP must not track it again. Association ids
/// are handed out cyclically by the kernel, so a key is not met again soon.
/// (Smaller under Miri, whose borrow tracking walks the whole header on
/// every access; the ring works the same at any size.)
const GONE: usize = if cfg!(miri) { 16 } else { 256 };

/// One tracked association. `id`, `key` and `peer` (the address it was
/// tracked with) are written before the entry is linked and never change; the
/// links change under the locks.
#[repr(C)]
struct Entry {
    id: u32,
    key: AssocKey,
    peer: PeerAddr,
    next_key: AtomicPtr<Entry>,
    next_id: AtomicPtr<Entry>,
    /// The entry's peer links (under its partition's `lock`).
    links: AtomicPtr<PeerLink>,
    n_links: AtomicU32,
}

/// One address of a tracked association in the peer index. All but the links
/// is written before it is linked and never changes.
#[repr(C)]
struct PeerLink {
    sock: i32,
    assoc_id: i32,
    id: u32,
    peer: PeerAddr,
    /// The peer chain of its bucket (under that partition's `peer_lock`).
    next_peer: AtomicPtr<PeerLink>,
    /// The entry's list (under the entry's partition `lock`).
    next_link: AtomicPtr<PeerLink>,
}

#[repr(C)]
struct Partition {
    /// Guards the key and id chains of this partition's buckets.
    lock: FutexMutex,
    /// Guards the peer chains of this partition's buckets.
    peer_lock: FutexMutex,
}

#[repr(C)]
struct Header {
    /// Buckets per index (a power of two, a multiple of PARTITIONS).
    buckets: u32,
    seq: AtomicU32,
    tracked: AtomicU32,
    /// Open associations (up minus down), tracked or not.
    opened: AtomicI32,
    /// Bumped after every removal of an entry or of one of its addresses:
    /// an answer a process keeps (`AssocMemo`) holds while this is unchanged
    /// (64 bits: it never wraps back to a value a memo holds).
    changes: AtomicU64,
    parts: [Partition; PARTITIONS],
    /// The next slot of `gone` to write.
    gone_next: AtomicU32,
    /// Keys of associations that went down (`gone_key`; 0: empty).
    gone: [AtomicU64; GONE],
}

fn gone_key(k: AssocKey) -> u64 {
    // descriptors are below 2^31: the top bit is free to keep 0 for "empty"
    (1 << 63) | ((k.sock as u32 as u64) << 32) | k.assoc_id as u32 as u64
}

/// Chain heads of the three indexes, one array after the other, `n` each
/// (the peer index's heads point to `PeerLink`s, the same size).
struct Buckets<'a> {
    first: NonNull<AtomicPtr<Entry>>,
    n: usize,
    _table: std::marker::PhantomData<&'a Header>,
}

impl Buckets<'_> {
    fn head(&self, index: usize, i: usize) -> &AtomicPtr<Entry> {
        assert!(i < self.n);
        // SAFETY: the block holds 3 * n bucket heads right after the header
        // (block_size), zeroed (null) at allocation, aligned, alive as long as
        // the table; index < 3 and i < n keep us inside. A reference to one
        // head, not to the array, keeps each access small (and Miri fast).
        unsafe { self.first.add(index * self.n + i).as_ref() }
    }
    fn key(&self, i: usize) -> &AtomicPtr<Entry> {
        self.head(0, i)
    }
    fn id(&self, i: usize) -> &AtomicPtr<Entry> {
        self.head(1, i)
    }
    fn peer(&self, i: usize) -> &AtomicPtr<PeerLink> {
        let head = self.head(2, i);
        // SAFETY: AtomicPtr<Entry> and AtomicPtr<PeerLink> have the same layout
        // (one pointer); the peer index only ever holds PeerLink pointers.
        unsafe { &*(head as *const AtomicPtr<Entry>).cast::<AtomicPtr<PeerLink>>() }
    }
}

fn mix(mut h: u64) -> u64 {
    // splitmix64 finaliser
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d049bb133111eb);
    h ^ (h >> 31)
}

fn key_hash(k: AssocKey) -> u64 {
    mix(((k.sock as u32 as u64) << 32) | k.assoc_id as u32 as u64)
}

fn peer_hash(sock: i32, p: &PeerAddr) -> u64 {
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    a.copy_from_slice(&p.addr[..8]);
    b.copy_from_slice(&p.addr[8..]);
    let tail = ((sock as u32 as u64) << 32) | ((p.port as u64) << 16) | p.family as u64;
    mix(u64::from_ne_bytes(a) ^ mix(u64::from_ne_bytes(b) ^ mix(tail)))
}

/// A handle to a table in shared memory; cheap to copy into every process.
#[derive(Clone, Copy)]
pub struct AssocTable<A: SharedAlloc> {
    header: NonNull<Header>,
    alloc: A,
}

// SAFETY: the table is built for sharing: every field behind `header` is an
// atomic or a lock, or is written before it is published and read-only after.
unsafe impl<A: SharedAlloc> Send for AssocTable<A> {}
// SAFETY: as for Send.
unsafe impl<A: SharedAlloc> Sync for AssocTable<A> {}

impl<A: SharedAlloc> AssocTable<A> {
    /// Bucket count per index for about `expected` associations.
    pub fn buckets_for(expected: usize) -> usize {
        expected.clamp(DEFAULT_BUCKETS, MAX_BUCKETS).next_power_of_two()
    }

    fn block_size(buckets: usize) -> Option<usize> {
        buckets.checked_mul(3 * size_of::<AtomicPtr<Entry>>())?.checked_add(size_of::<Header>())
    }

    /// A new, empty table with `buckets` (from `buckets_for`) buckets per
    /// index, in memory from `alloc`. `None` when that memory is exhausted,
    /// or `buckets` is not a power of two from `PARTITIONS` to the largest
    /// `buckets_for` gives.
    pub fn new(alloc: A, buckets: usize) -> Option<Self> {
        if !buckets.is_power_of_two() || !(PARTITIONS..=MAX_BUCKETS).contains(&buckets) {
            return None;
        }
        let block = alloc.alloc(Self::block_size(buckets)?)?;
        const { assert!(align_of::<Header>() <= 8 && size_of::<Header>() % align_of::<AtomicPtr<Entry>>() == 0) };
        let header = block.cast::<Header>();
        // SAFETY: a fresh, zeroed, 8-aligned block big enough for the header
        // (alloc's contract), not yet shared. All-zero is a valid Header (free
        // locks, zero counters, null bucket heads); only `buckets` needs a value
        // (at most MAX_BUCKETS, so it fits).
        unsafe { ptr::addr_of_mut!((*header.as_ptr()).buckets).write(buckets as u32) };
        Some(AssocTable { header, alloc })
    }

    fn header(&self) -> &Header {
        // SAFETY: `new` initialised the header; the block lives as long as any
        // process uses the table (alloc's contract; the table is never freed).
        unsafe { self.header.as_ref() }
    }

    fn buckets(&self) -> Buckets<'_> {
        // SAFETY: the bucket heads start right after the header, inside the
        // block (block_size); the header's size is a multiple of a pointer's.
        let first = unsafe { NonNull::new_unchecked(self.header.as_ptr().add(1).cast::<AtomicPtr<Entry>>()) };
        Buckets { first, n: self.header().buckets as usize, _table: std::marker::PhantomData }
    }

    fn mask(&self) -> u64 {
        self.header().buckets as u64 - 1
    }

    /// The bucket of a key; its partition is `bucket % PARTITIONS`.
    fn key_bucket(&self, k: AssocKey) -> usize {
        (key_hash(k) & self.mask()) as usize
    }

    /// The bucket of a connection id: in the partition the id names.
    fn id_bucket(&self, id: u32) -> usize {
        let part = (id as usize) % PARTITIONS;
        let rows = self.header().buckets as usize / PARTITIONS;
        ((mix(id as u64 >> PART_BITS) as usize) % rows) * PARTITIONS + part
    }

    fn peer_bucket(&self, sock: i32, peer: &PeerAddr) -> usize {
        (peer_hash(sock, peer) & self.mask()) as usize
    }

    fn part(&self, bucket: usize) -> &Partition {
        &self.header().parts[bucket % PARTITIONS]
    }

    /// Associations currently tracked.
    pub fn tracked(&self) -> u32 {
        self.header().tracked.load(Relaxed)
    }

    /// Counts an association that came up; returns the new number open.
    pub fn opened_inc(&self) -> i32 {
        self.header().opened.fetch_add(1, Relaxed) + 1
    }

    /// Counts an association that went down.
    pub fn opened_dec(&self) {
        self.header().opened.fetch_sub(1, Relaxed);
    }

    /// Associations open now.
    pub fn opened(&self) -> i32 {
        self.header().opened.load(Relaxed)
    }

    /// Connection ids handed out since start.
    pub fn total_ids(&self) -> u32 {
        self.header().seq.load(Relaxed)
    }

    /// What tells this table from any other in the process (tables are never
    /// freed, so no other ever has the same).
    pub fn identity(&self) -> usize {
        self.header.as_ptr() as usize
    }

    /// The count of removals so far (entries, or addresses of entries): an
    /// answer got after reading it stays true while it is the same.
    pub fn changes(&self) -> u64 {
        self.header().changes.load(Acquire)
    }

    /// Tracks an association seen up or carrying data: returns its connection
    /// id, new or existing.
    pub fn upsert(&self, key: AssocKey, peer: &PeerAddr) -> Result<u32, TrackError> {
        let b = self.buckets();
        let kb = self.key_bucket(key);
        let _g = self.part(kb).lock.lock();
        // SAFETY: this chain's lock is held (taken above).
        if let Some(found) = unsafe { find(b.key(kb), |e| e.key == key, |e| &e.next_key) } {
            // SAFETY: linked entries are alive while the partition lock is held.
            let e = unsafe { found.as_ref() };
            // another address of a multihomed peer: the same association,
            // found by that address too from now on (when there is room)
            if e.peer != *peer
                && e.n_links.load(Relaxed) < MAX_PEER_ADDRS
                // SAFETY: e's links are guarded by its partition's lock, which we hold.
                && unsafe { find(&e.links, |l| l.peer == *peer, |l| &l.next_link) }.is_none()
            {
                // SAFETY: e is linked in this partition, whose lock we hold.
                let _ = unsafe { self.link_peer(&b, e, peer) };
            }
            return Ok(e.id);
        }
        if self.went_down(key) {
            return Err(TrackError::Gone);
        }
        let block = self.alloc.alloc(size_of::<Entry>()).ok_or(TrackError::NoMemory)?;
        // SAFETY: kb's partition lock is held (taken above).
        let id = unsafe { self.new_id(&b, kb % PARTITIONS) };
        let e = block.cast::<Entry>();
        let ib = self.id_bucket(id);
        let entry = Entry {
            id,
            key,
            peer: *peer,
            next_key: AtomicPtr::new(b.key(kb).load(Relaxed)),
            next_id: AtomicPtr::new(b.id(ib).load(Relaxed)),
            links: AtomicPtr::new(ptr::null_mut()),
            n_links: AtomicU32::new(0),
        };
        // SAFETY: a fresh block of Entry's size and alignment (8), unshared.
        unsafe { e.as_ptr().write(entry) };
        // SAFETY: e is ours and alive, not yet reachable by anyone else.
        if unsafe { self.link_peer(&b, e.as_ref(), peer) }.is_none() {
            // SAFETY: from alloc, of Entry's size, never published.
            unsafe { self.alloc.free(block, size_of::<Entry>()) };
            return Err(TrackError::NoMemory);
        }
        b.key(kb).store(e.as_ptr(), Relaxed);
        b.id(ib).store(e.as_ptr(), Relaxed);
        self.header().tracked.fetch_add(1, Relaxed);
        Ok(id)
    }

    /// Adds one more address by which a tracked association is found (a peer
    /// address learnt from the kernel or declared for the peer).
    pub fn add_peer_addr(&self, key: AssocKey, peer: &PeerAddr) -> AddrAdded {
        let b = self.buckets();
        let kb = self.key_bucket(key);
        let _g = self.part(kb).lock.lock();
        // SAFETY: this chain's lock is held (taken above).
        let Some(found) = (unsafe { find(b.key(kb), |e| e.key == key, |e| &e.next_key) }) else {
            return AddrAdded::NoAssociation;
        };
        // SAFETY: linked entries are alive while the partition lock is held.
        let e = unsafe { found.as_ref() };
        // SAFETY: e's links are guarded by its partition's lock, which we hold.
        if unsafe { find(&e.links, |l| l.peer == *peer, |l| &l.next_link) }.is_some() {
            return AddrAdded::AlreadyKnown;
        }
        if e.n_links.load(Relaxed) >= MAX_PEER_ADDRS {
            return AddrAdded::Full;
        }
        // SAFETY: e is linked in this partition, whose lock we hold.
        match unsafe { self.link_peer(&b, e, peer) } {
            Some(()) => AddrAdded::Added,
            None => AddrAdded::NoMemory,
        }
    }

    /// Forgets one address of a tracked association (the peer removed it).
    /// Returns whether it was known.
    pub fn remove_peer_addr(&self, key: AssocKey, peer: &PeerAddr) -> bool {
        let b = self.buckets();
        let kb = self.key_bucket(key);
        let _g = self.part(kb).lock.lock();
        // SAFETY: this chain's lock is held (taken above).
        let Some(found) = (unsafe { find(b.key(kb), |e| e.key == key, |e| &e.next_key) }) else { return false };
        // SAFETY: linked entries are alive while the partition lock is held.
        let e = unsafe { found.as_ref() };
        // SAFETY: e's links are guarded by its partition's lock, which we hold.
        let Some(link) = (unsafe { find(&e.links, |l| l.peer == *peer, |l| &l.next_link) }) else { return false };
        // SAFETY: e's links are guarded by its partition's lock, which we hold.
        unsafe { unlink(&e.links, link, |l| &l.next_link) };
        e.n_links.fetch_sub(1, Relaxed);
        // SAFETY: link was in e's list (now out of it), under our lock.
        unsafe { self.unlink_peer_and_free(&b, link) };
        self.header().changes.fetch_add(1, Release);
        true
    }

    /// The addresses a tracked association is found by (at most
    /// `MAX_PEER_ADDRS`).
    #[cfg(test)]
    pub fn peer_addrs(&self, key: AssocKey) -> Vec<PeerAddr> {
        let b = self.buckets();
        let kb = self.key_bucket(key);
        let _g = self.part(kb).lock.lock();
        let mut out = Vec::new();
        // SAFETY: this chain's lock is held (taken above).
        if let Some(found) = unsafe { find(b.key(kb), |e| e.key == key, |e| &e.next_key) } {
            // SAFETY: linked entries are alive while the partition lock is held.
            let e = unsafe { found.as_ref() };
            let mut cur = e.links.load(Relaxed);
            while let Some(l) = NonNull::new(cur) {
                // SAFETY: links in an entry's list are alive under its lock.
                let l = unsafe { l.as_ref() };
                out.push(l.peer);
                cur = l.next_link.load(Relaxed);
            }
        }
        out
    }

    /// Allocates a peer link of `e` for `peer` and puts it in the peer index
    /// and in `e`'s list. `None` when shm is exhausted.
    ///
    /// # Safety
    /// The caller holds the lock of `e`'s partition, or `e` is not yet
    /// reachable by anyone else.
    unsafe fn link_peer(&self, b: &Buckets, e: &Entry, peer: &PeerAddr) -> Option<()> {
        let block = self.alloc.alloc(size_of::<PeerLink>())?.cast::<PeerLink>();
        let pb = self.peer_bucket(e.key.sock, peer);
        let link = PeerLink {
            sock: e.key.sock,
            assoc_id: e.key.assoc_id,
            id: e.id,
            peer: *peer,
            next_peer: AtomicPtr::new(ptr::null_mut()),
            next_link: AtomicPtr::new(e.links.load(Relaxed)),
        };
        // SAFETY: a fresh block of PeerLink's size and alignment (8), unshared.
        unsafe { block.as_ptr().write(link) };
        e.links.store(block.as_ptr(), Relaxed);
        e.n_links.fetch_add(1, Relaxed);
        let _pg = self.part(pb).peer_lock.lock();
        // SAFETY: ours and alive; its peer link is set before it is reachable
        // through the peer chain.
        unsafe { block.as_ref() }.next_peer.store(b.peer(pb).load(Relaxed), Relaxed);
        b.peer(pb).store(block.as_ptr(), Relaxed);
        Some(())
    }

    /// Takes a link (already out of its entry's list) out of the peer index
    /// and frees it.
    ///
    /// # Safety
    /// `link` is alive, in the peer index, in no entry's list, and the caller
    /// holds the lock of its entry's partition.
    unsafe fn unlink_peer_and_free(&self, b: &Buckets, link: NonNull<PeerLink>) {
        // SAFETY: alive (caller's contract).
        let l = unsafe { link.as_ref() };
        let pb = self.peer_bucket(l.sock, &l.peer);
        {
            let _pg = self.part(pb).peer_lock.lock();
            // SAFETY: this chain's lock is held (taken above).
            unsafe { unlink(b.peer(pb), link, |x| &x.next_peer) };
        }
        // SAFETY: no chain or list leads to it any more, every reader of a
        // chain holds its lock; it came from alloc with this size.
        unsafe { self.alloc.free(link.cast(), size_of::<PeerLink>()) };
    }

    /// Whether the association went down lately (partition lock held, the
    /// one `remove` recorded it under).
    fn went_down(&self, key: AssocKey) -> bool {
        let k = gone_key(key);
        self.header().gone.iter().any(|g| g.load(Relaxed) == k)
    }

    /// Forgets an association (it went down), and keeps it from being tracked
    /// again. Returns its connection id, if it was tracked.
    pub fn remove(&self, key: AssocKey) -> Option<u32> {
        let b = self.buckets();
        let kb = self.key_bucket(key);
        let _g = self.part(kb).lock.lock();
        let h = self.header();
        let slot = h.gone_next.fetch_add(1, Relaxed) as usize % GONE;
        h.gone[slot].store(gone_key(key), Relaxed);
        // SAFETY: this chain's lock is held (taken above).
        let e = unsafe { find(b.key(kb), |e| e.key == key, |e| &e.next_key) }?;
        // SAFETY: linked entries are alive while the partition lock is held.
        let id = unsafe { e.as_ref() }.id;
        // SAFETY: e is linked in this partition, whose lock we hold.
        unsafe { self.unlink_and_free(&b, kb, e) };
        Some(id)
    }

    /// The connection id of an association.
    pub fn id_of(&self, key: AssocKey) -> Option<u32> {
        let b = self.buckets();
        let kb = self.key_bucket(key);
        let _g = self.part(kb).lock.lock();
        // SAFETY: this chain's lock is held (taken above).
        let e = unsafe { find(b.key(kb), |e| e.key == key, |e| &e.next_key) }?;
        // SAFETY: linked entries are alive while the partition lock is held.
        Some(unsafe { e.as_ref() }.id)
    }

    /// The association behind a connection id.
    pub fn by_id(&self, id: u32) -> Option<Tracked> {
        if id == 0 || id > ID_MASK {
            return None;
        }
        let b = self.buckets();
        let ib = self.id_bucket(id);
        let _g = self.part(ib).lock.lock();
        // SAFETY: this chain's lock is held (taken above).
        let e = unsafe { find(b.id(ib), |e| e.id == id, |e| &e.next_id) }?;
        // SAFETY: linked entries are alive while the partition lock is held.
        let e = unsafe { e.as_ref() };
        Some(Tracked { key: e.key, peer: e.peer })
    }

    /// The connection id and association id of a tracked association to
    /// `peer` on socket `sock`, if any.
    pub fn by_peer(&self, sock: i32, peer: &PeerAddr) -> Option<(u32, i32)> {
        let b = self.buckets();
        let pb = self.peer_bucket(sock, peer);
        let _g = self.part(pb).peer_lock.lock();
        // SAFETY: this chain's lock is held (taken above).
        let l = unsafe { find(b.peer(pb), |l| l.sock == sock && l.peer == *peer, |l| &l.next_peer) }?;
        // SAFETY: a link is taken out of its peer chain (under this lock)
        // before it is freed, so a linked one is alive here.
        let l = unsafe { l.as_ref() };
        Some((l.id, l.assoc_id))
    }

    /// Forgets everything (tracking turned off). Returns how many were dropped.
    pub fn flush(&self) -> usize {
        let b = self.buckets();
        let mut n = 0;
        for p in 0..PARTITIONS {
            let _g = self.header().parts[p].lock.lock();
            for kb in (p..b.n).step_by(PARTITIONS) {
                while let Some(e) = NonNull::new(b.key(kb).load(Relaxed)) {
                    // SAFETY: e is linked in partition p, whose lock we hold.
                    unsafe { self.unlink_and_free(&b, kb, e) };
                    n += 1;
                }
            }
        }
        n
    }

    /// A connection id for a new entry of partition `part`: positive, not in
    /// use, carrying the partition in its low bits.
    ///
    /// # Safety
    /// The caller holds partition `part`'s lock.
    unsafe fn new_id(&self, b: &Buckets, part: usize) -> u32 {
        loop {
            let seq = self.header().seq.fetch_add(1, Relaxed).wrapping_add(1);
            let id = ((seq << PART_BITS) | part as u32) & ID_MASK;
            if id == 0 {
                continue;
            }
            // after 2^25 ids the sequence wraps: skip ids still in use
            // SAFETY: the id's bucket is in partition `part` (its low bits),
            // whose lock the caller holds.
            if unsafe { find(b.id(self.id_bucket(id)), |e| e.id == id, |e| &e.next_id) }.is_none() {
                return id;
            }
        }
    }

    /// Unlinks `e` from its chains, frees its peer links and it.
    ///
    /// # Safety
    /// `e` is linked in key bucket `kb`, whose partition lock the caller holds.
    unsafe fn unlink_and_free(&self, b: &Buckets, kb: usize, e: NonNull<Entry>) {
        // SAFETY: linked, so alive (caller's contract).
        let entry = unsafe { e.as_ref() };
        let ib = self.id_bucket(entry.id);
        // SAFETY: the caller holds kb's partition lock, which guards both
        // chains: an entry's id carries its key bucket's partition (new_id).
        unsafe { unlink(b.key(kb), e, |x| &x.next_key) };
        // SAFETY: as above.
        unsafe { unlink(b.id(ib), e, |x| &x.next_id) };
        while let Some(link) = NonNull::new(entry.links.load(Relaxed)) {
            // SAFETY: in e's list, so alive under our lock.
            entry.links.store(unsafe { link.as_ref() }.next_link.load(Relaxed), Relaxed);
            // SAFETY: just taken out of e's list, still in the peer index.
            unsafe { self.unlink_peer_and_free(b, link) };
        }
        self.header().tracked.fetch_sub(1, Relaxed);
        self.header().changes.fetch_add(1, Release);
        // SAFETY: no chain leads to e any more and every reader of a chain
        // holds its lock, so nobody else can reach it; it came from alloc.
        unsafe { self.alloc.free(e.cast(), size_of::<Entry>()) };
    }
}

/// The first node of a chain for which `hit` holds.
///
/// # Safety
/// The caller holds the lock that guards the chain at `head` (its partition's):
/// every node reachable from it is alive, and nobody else changes the chain.
unsafe fn find<T>(
    head: &AtomicPtr<T>,
    hit: impl Fn(&T) -> bool,
    next: impl Fn(&T) -> &AtomicPtr<T>,
) -> Option<NonNull<T>> {
    let mut cur = head.load(Relaxed);
    while let Some(e) = NonNull::new(cur) {
        // SAFETY: entries reachable from a chain are alive while its lock is
        // held (the caller's contract; they are unlinked under it before being
        // freed).
        let r = unsafe { e.as_ref() };
        if hit(r) {
            return Some(e);
        }
        cur = next(r).load(Relaxed);
    }
    None
}

/// Takes `e` out of the chain at `head`.
///
/// # Safety
/// As for [`find`]: the caller holds the chain's lock.
unsafe fn unlink<T>(head: &AtomicPtr<T>, e: NonNull<T>, next: impl Fn(&T) -> &AtomicPtr<T>) {
    let mut link = head;
    loop {
        let cur = link.load(Relaxed);
        let Some(c) = NonNull::new(cur) else { return };
        // SAFETY: reachable from the chain, so alive (see find).
        let r = unsafe { c.as_ref() };
        if c == e {
            link.store(next(r).load(Relaxed), Relaxed);
            return;
        }
        link = next(r);
    }
}

#[cfg(test)]
#[path = "assoc_table_tests.rs"]
mod tests;
