//! The association table: which SCTP associations are open, seen by every
//! process. Maps a connection id (what the core carries in
//! `receive_info.proto_reserved1` and `dest_info.id`) to the association (socket
//! and kernel association id) and its peer address, and back.
//!
//! Layout: a header, two bucket arrays and an entry array, in one block of shared
//! memory, linked by indices. The table is split into partitions, each with its
//! own lock, its own slice of buckets and entries: an entry lives in the
//! partition its (socket, association id) hashes to, and its connection id
//! encodes its index, so lookups by key or by id take one partition lock and
//! processes working on different associations rarely meet. Lookups by peer
//! address (only needed when the association limit is reached) visit every
//! partition.

use super::futex::FutexMutex;
use std::mem::size_of;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

const NIL: u32 = u32::MAX;
pub const PARTITIONS: usize = 16;

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
    #[cfg(test)]
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

#[repr(C)]
struct Entry {
    id: u32, // 0: free
    sock: i32,
    assoc_id: i32,
    peer: PeerAddr,
    last_seen: u32,
    next_key: u32, // next in the key bucket, or in the free list
    next_peer: u32,
}

#[repr(C)]
struct Partition {
    lock: FutexMutex,
    free: u32,
    /// Whether the free list was built (zeroed memory starts with none).
    ready: u32,
}

#[repr(C)]
struct Header {
    capacity: u32,
    per_part: u32,
    shift: u32,
    seq: AtomicU32,
    tracked: AtomicU32,
    /// Open associations (up minus down), tracked or not.
    opened: AtomicI32,
    parts: [Partition; PARTITIONS],
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
    let a = u64::from_ne_bytes(p.addr[..8].try_into().unwrap());
    let b = u64::from_ne_bytes(p.addr[8..].try_into().unwrap());
    mix(a ^ mix(b ^ mix(((sock as u32 as u64) << 32) | ((p.port as u64) << 16) | p.family as u64)))
}

/// A handle to a table in shared memory; cheap to copy into every process.
#[derive(Clone, Copy)]
pub struct AssocTable {
    base: *mut u8,
}

// SAFETY: all shared state behind `base` is reached through the partition locks
// or atomics.
unsafe impl Send for AssocTable {}
unsafe impl Sync for AssocTable {}

impl AssocTable {
    /// Rounds a wanted capacity to what the table holds (a power of two, at
    /// least one entry per partition bucket).
    pub fn capacity_for(wanted: usize) -> usize {
        wanted.max(PARTITIONS * 4).next_power_of_two()
    }

    /// Bytes needed for a table of `capacity` (from `capacity_for`) entries.
    pub fn size_for(capacity: usize) -> usize {
        size_of::<Header>() + 2 * capacity * size_of::<u32>() + capacity * size_of::<Entry>()
    }

    /// Sets up a table in `mem`.
    ///
    /// # Safety
    /// `mem` must be zeroed, 8-aligned, `size_for(capacity)` bytes, shared by
    /// every process that will use the table and alive as long as they do;
    /// `capacity` must come from `capacity_for`.
    pub unsafe fn init(mem: *mut u8, capacity: usize) -> Self {
        let h = &mut *(mem as *mut Header);
        h.capacity = capacity as u32;
        h.per_part = (capacity / PARTITIONS) as u32;
        h.shift = capacity.trailing_zeros();
        let t = AssocTable { base: mem };
        let key_b = t.key_buckets();
        let peer_b = t.peer_buckets();
        for i in 0..capacity {
            *key_b.add(i) = NIL;
            *peer_b.add(i) = NIL;
        }
        for p in 0..PARTITIONS {
            let part = &mut h.parts[p];
            let first = p as u32 * h.per_part;
            part.free = first;
            for i in first..first + h.per_part {
                let e = &mut *t.entries().add(i as usize);
                e.id = 0;
                e.next_key = if i + 1 < first + h.per_part { i + 1 } else { NIL };
            }
            part.ready = 1;
        }
        t
    }

    fn header(&self) -> &Header {
        // SAFETY: init's contract: base points to an initialised header.
        unsafe { &*(self.base as *const Header) }
    }

    fn key_buckets(&self) -> *mut u32 {
        // SAFETY: within the block (size_for).
        unsafe { self.base.add(size_of::<Header>()) as *mut u32 }
    }

    fn peer_buckets(&self) -> *mut u32 {
        let cap = self.capacity();
        // SAFETY: within the block (size_for).
        unsafe { self.key_buckets().add(cap) }
    }

    fn entries(&self) -> *mut Entry {
        let cap = self.capacity();
        // SAFETY: within the block; Header and the u32 arrays keep 4-alignment,
        // and Entry needs 4.
        unsafe { self.peer_buckets().add(cap) as *mut Entry }
    }

    pub fn capacity(&self) -> usize {
        self.header().capacity as usize
    }

    /// Associations currently tracked.
    pub fn tracked(&self) -> u32 {
        self.header().tracked.load(Ordering::Relaxed)
    }

    /// Counts an association that came up; returns the new number open.
    pub fn opened_inc(&self) -> i32 {
        self.header().opened.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Counts an association that went down.
    pub fn opened_dec(&self) {
        self.header().opened.fetch_sub(1, Ordering::Relaxed);
    }

    /// Associations open now.
    pub fn opened(&self) -> i32 {
        self.header().opened.load(Ordering::Relaxed)
    }

    /// Connection ids handed out since start.
    pub fn total_ids(&self) -> u32 {
        self.header().seq.load(Ordering::Relaxed)
    }

    fn partition_of_key(&self, k: AssocKey) -> (usize, u32) {
        let h = key_hash(k);
        let per = self.header().per_part as u64;
        let p = (h % PARTITIONS as u64) as usize;
        (p, p as u32 * per as u32 + ((h / PARTITIONS as u64) % per) as u32)
    }

    fn peer_bucket(&self, p: usize, sock: i32, peer: &PeerAddr) -> u32 {
        let per = self.header().per_part;
        p as u32 * per + (peer_hash(sock, peer) % per as u64) as u32
    }

    /// Runs `f` with partition `p` locked; gives it the partition's state.
    fn with_partition<R>(&self, p: usize, f: impl FnOnce(&mut Locked) -> R) -> R {
        let part = &self.header().parts[p];
        let _g = part.lock.lock();
        let mut l = Locked { t: self, p };
        f(&mut l)
    }

    /// Tracks an association seen up or carrying data: returns its connection
    /// id, new or existing. `None` when the table is full even after dropping
    /// entries idle for more than `idle_limit_s`.
    pub fn upsert(&self, key: AssocKey, peer: &PeerAddr, now: u32, idle_limit_s: Option<u32>) -> Option<u32> {
        let (p, bucket) = self.partition_of_key(key);
        self.with_partition(p, |l| {
            if let Some(i) = l.find_key(bucket, key) {
                let e = l.entry(i);
                if e.peer == *peer {
                    e.last_seen = now;
                    return Some(e.id);
                }
                // the kernel reused the association id for another peer
                l.remove_at(bucket, i);
            }
            let i = match l.pop_free() {
                Some(i) => i,
                None => {
                    let limit = idle_limit_s?;
                    l.expire(now, limit);
                    l.pop_free()?
                }
            };
            let id = l.t.new_id(i);
            let pb = l.t.peer_bucket(p, key.sock, peer);
            // SAFETY: bucket indices are within the partition's slice.
            let (kb, pbp) = unsafe { (&mut *l.t.key_buckets().add(bucket as usize), &mut *l.t.peer_buckets().add(pb as usize)) };
            let e = l.entry(i);
            *e = Entry { id, sock: key.sock, assoc_id: key.assoc_id, peer: *peer, last_seen: now, next_key: *kb, next_peer: *pbp };
            *kb = i;
            *pbp = i;
            l.t.header().tracked.fetch_add(1, Ordering::Relaxed);
            Some(id)
        })
    }

    /// Forgets an association (it went down). Returns its connection id.
    pub fn remove(&self, key: AssocKey) -> Option<u32> {
        let (p, bucket) = self.partition_of_key(key);
        self.with_partition(p, |l| {
            let i = l.find_key(bucket, key)?;
            Some(l.remove_at(bucket, i))
        })
    }

    /// The connection id of an association, refreshing its last use.
    #[cfg(test)]
    pub fn id_of(&self, key: AssocKey, now: u32) -> Option<u32> {
        let (p, bucket) = self.partition_of_key(key);
        self.with_partition(p, |l| {
            let i = l.find_key(bucket, key)?;
            let e = l.entry(i);
            e.last_seen = now;
            Some(e.id)
        })
    }

    /// The association behind a connection id, refreshing its last use.
    pub fn by_id(&self, id: u32, now: u32) -> Option<Tracked> {
        if id == 0 {
            return None;
        }
        let i = id & (self.header().capacity - 1);
        let p = (i / self.header().per_part) as usize;
        self.with_partition(p, |l| {
            let e = l.entry(i);
            if e.id != id {
                return None;
            }
            e.last_seen = now;
            Some(Tracked { key: AssocKey { sock: e.sock, assoc_id: e.assoc_id }, peer: e.peer })
        })
    }

    /// The connection id and association id of an open association to `peer`
    /// on socket `sock`, if any.
    pub fn by_peer(&self, sock: i32, peer: &PeerAddr) -> Option<(u32, i32)> {
        (0..PARTITIONS).find_map(|p| {
            let b = self.peer_bucket(p, sock, peer);
            self.with_partition(p, |l| {
                // SAFETY: b is within the partition's slice.
                let mut i = unsafe { *l.t.peer_buckets().add(b as usize) };
                while i != NIL {
                    let e = l.entry(i);
                    if e.sock == sock && e.peer == *peer {
                        return Some((e.id, e.assoc_id));
                    }
                    i = e.next_peer;
                }
                None
            })
        })
    }

    /// Forgets everything (tracking turned off). Returns how many were dropped.
    pub fn flush(&self) -> usize {
        (0..PARTITIONS)
            .map(|p| {
                self.with_partition(p, |l| {
                    let per = l.t.header().per_part;
                    let first = p as u32 * per;
                    let mut n = 0;
                    for i in first..first + per {
                        if l.entry(i).id != 0 {
                            let bucket = l.t.partition_of_key(l.key_at(i)).1;
                            l.remove_at(bucket, i);
                            n += 1;
                        }
                    }
                    n
                })
            })
            .sum()
    }

    /// Drops entries not used for more than `idle_limit_s` (associations whose
    /// end the module missed). Returns how many.
    #[cfg(test)]
    pub fn expire_idle(&self, now: u32, idle_limit_s: u32) -> usize {
        (0..PARTITIONS).map(|p| self.with_partition(p, |l| l.expire(now, idle_limit_s))).sum()
    }

    fn new_id(&self, index: u32) -> u32 {
        let h = self.header();
        loop {
            let seq = h.seq.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
            let id = ((seq << h.shift) | index) & 0x7fff_ffff;
            if id != 0 {
                return id;
            }
        }
    }
}

/// A partition while its lock is held.
struct Locked<'a> {
    t: &'a AssocTable,
    p: usize,
}

impl Locked<'_> {
    fn entry(&mut self, i: u32) -> &mut Entry {
        debug_assert!(i / self.t.header().per_part == self.p as u32);
        // SAFETY: i is an index of this partition, whose lock we hold.
        unsafe { &mut *self.t.entries().add(i as usize) }
    }

    fn part(&mut self) -> &mut Partition {
        let h = self.t.base as *mut Header;
        // SAFETY: we hold this partition's lock; only its non-lock fields are
        // written, by lock holders.
        unsafe { &mut (*h).parts[self.p] }
    }

    fn key_at(&mut self, i: u32) -> AssocKey {
        let e = self.entry(i);
        AssocKey { sock: e.sock, assoc_id: e.assoc_id }
    }

    fn find_key(&mut self, bucket: u32, key: AssocKey) -> Option<u32> {
        // SAFETY: bucket is within this partition's slice.
        let mut i = unsafe { *self.t.key_buckets().add(bucket as usize) };
        while i != NIL {
            let e = self.entry(i);
            if e.sock == key.sock && e.assoc_id == key.assoc_id {
                return Some(i);
            }
            i = e.next_key;
        }
        None
    }

    fn pop_free(&mut self) -> Option<u32> {
        let i = self.part().free;
        if i == NIL {
            return None;
        }
        self.part().free = self.entry(i).next_key;
        Some(i)
    }

    /// Unlinks entry `i` (in key bucket `bucket`) from both chains and frees it.
    fn remove_at(&mut self, bucket: u32, i: u32) -> u32 {
        let (sock, peer, next_key, next_peer, id) = {
            let e = self.entry(i);
            (e.sock, e.peer, e.next_key, e.next_peer, e.id)
        };
        // SAFETY: both bucket slots are within this partition's slices.
        unsafe {
            unlink(self.t.key_buckets().add(bucket as usize), i, next_key, |j| &mut (*self.t.entries().add(j as usize)).next_key);
            let pb = self.t.peer_bucket(self.p, sock, &peer);
            unlink(self.t.peer_buckets().add(pb as usize), i, next_peer, |j| &mut (*self.t.entries().add(j as usize)).next_peer);
        }
        let free = self.part().free;
        let e = self.entry(i);
        e.id = 0;
        e.next_key = free;
        self.part().free = i;
        self.t.header().tracked.fetch_sub(1, Ordering::Relaxed);
        id
    }

    fn expire(&mut self, now: u32, idle_limit_s: u32) -> usize {
        let per = self.t.header().per_part;
        let first = self.p as u32 * per;
        let mut n = 0;
        for i in first..first + per {
            let e = self.entry(i);
            if e.id != 0 && now.wrapping_sub(e.last_seen) > idle_limit_s {
                let bucket = self.t.partition_of_key(self.key_at(i)).1;
                self.remove_at(bucket, i);
                n += 1;
            }
        }
        n
    }
}

/// Removes `i` from the singly linked chain starting at `*head`, whose links are
/// reached through `link`.
///
/// # Safety
/// `head` and every index on the chain must be valid; the caller holds the lock.
unsafe fn unlink(head: *mut u32, i: u32, next_of_i: u32, link: impl Fn(u32) -> *mut u32) {
    if *head == i {
        *head = next_of_i;
        return;
    }
    let mut j = *head;
    while j != NIL {
        let l = link(j);
        if *l == i {
            *l = next_of_i;
            return;
        }
        j = *l;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table in a MAP_SHARED anonymous mapping, as processes would share it.
    struct SharedMem {
        ptr: *mut u8,
        len: usize,
    }

    impl SharedMem {
        fn new(len: usize) -> Self {
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            assert_ne!(ptr, libc::MAP_FAILED);
            SharedMem { ptr: ptr as *mut u8, len }
        }
    }

    impl Drop for SharedMem {
        fn drop(&mut self) {
            unsafe { libc::munmap(self.ptr as *mut _, self.len) };
        }
    }

    fn table(wanted: usize) -> (SharedMem, AssocTable) {
        let cap = AssocTable::capacity_for(wanted);
        let mem = SharedMem::new(AssocTable::size_for(cap));
        let t = unsafe { AssocTable::init(mem.ptr, cap) };
        (mem, t)
    }

    fn peer(n: u16) -> PeerAddr {
        PeerAddr::from(&SocketAddr::new("127.0.0.1".parse().unwrap(), 10000 + n))
    }

    fn key(sock: i32, assoc_id: i32) -> AssocKey {
        AssocKey { sock, assoc_id }
    }

    #[test]
    fn insert_and_look_up_both_ways() {
        let (_m, t) = table(1024);
        let id = t.upsert(key(5, 7), &peer(1), 100, None).unwrap();
        assert_ne!(id, 0);
        assert_eq!(t.tracked(), 1);
        assert_eq!(t.upsert(key(5, 7), &peer(1), 101, None), Some(id), "same association, same id");
        assert_eq!(t.id_of(key(5, 7), 102), Some(id));
        assert_eq!(t.by_id(id, 103), Some(Tracked { key: key(5, 7), peer: peer(1) }));
        assert_eq!(t.by_peer(5, &peer(1)), Some((id, 7)));
        assert_eq!(t.by_peer(6, &peer(1)), None, "other socket");
        assert_eq!(t.by_peer(5, &peer(2)), None, "other peer");
        assert_eq!(peer(1).to_socket_addr(), Some("127.0.0.1:10001".parse().unwrap()));
    }

    #[test]
    fn opened_count_is_independent_of_tracking() {
        let (_m, t) = table(64);
        assert_eq!(t.opened_inc(), 1);
        assert_eq!(t.opened_inc(), 2);
        t.opened_dec();
        assert_eq!(t.opened(), 1);
        assert_eq!(t.tracked(), 0);
    }

    #[test]
    fn expiry_by_removal() {
        let (_m, t) = table(1024);
        let id = t.upsert(key(5, 7), &peer(1), 0, None).unwrap();
        assert_eq!(t.remove(key(5, 7)), Some(id));
        assert_eq!(t.tracked(), 0);
        assert_eq!(t.by_id(id, 1), None);
        assert_eq!(t.id_of(key(5, 7), 1), None);
        assert_eq!(t.by_peer(5, &peer(1)), None);
        assert_eq!(t.remove(key(5, 7)), None);
        let id2 = t.upsert(key(5, 7), &peer(1), 2, None).unwrap();
        assert_ne!(id2, id, "a new association gets a new id");
    }

    #[test]
    fn reused_assoc_id_with_another_peer_is_a_new_association() {
        let (_m, t) = table(1024);
        let id = t.upsert(key(5, 7), &peer(1), 0, None).unwrap();
        let id2 = t.upsert(key(5, 7), &peer(2), 0, None).unwrap();
        assert_ne!(id, id2);
        assert_eq!(t.tracked(), 1);
        assert_eq!(t.by_id(id, 0), None);
        assert_eq!(t.by_peer(5, &peer(1)), None);
        assert_eq!(t.by_peer(5, &peer(2)), Some((id2, 7)));
    }

    #[test]
    fn flush_forgets_everything() {
        let (_m, t) = table(1024);
        let ids: Vec<_> = (0..300).map(|i| t.upsert(key(3, i), &peer(i as u16), 0, None).unwrap()).collect();
        assert_eq!(t.tracked(), 300);
        assert_eq!(t.flush(), 300);
        assert_eq!(t.tracked(), 0);
        assert!(ids.iter().all(|id| t.by_id(*id, 0).is_none()));
        // and the space is usable again
        assert!((0..300).all(|i| t.upsert(key(3, i), &peer(i as u16), 0, None).is_some()));
    }

    #[test]
    fn full_partition_reclaims_idle_entries_only() {
        let (_m, t) = table(64); // 4 entries per partition
        let mut inserted = 0;
        let mut first_fail = None;
        for i in 0..1000 {
            match t.upsert(key(1, i), &peer(1), 10, None) {
                Some(_) => inserted += 1,
                None => {
                    first_fail.get_or_insert(i);
                }
            }
        }
        assert_eq!(inserted, 64, "capacity is a hard limit without idle expiry");
        let i = first_fail.unwrap();
        assert_eq!(t.upsert(key(1, i), &peer(1), 15, Some(10)), None, "nothing idle long enough yet");
        assert!(t.upsert(key(1, i), &peer(1), 100, Some(10)).is_some(), "idle entries give way");
        assert!(t.tracked() <= 64);
    }

    #[test]
    fn expire_idle_drops_only_old_entries() {
        let (_m, t) = table(1024);
        t.upsert(key(1, 1), &peer(1), 0, None).unwrap();
        let fresh = t.upsert(key(1, 2), &peer(2), 50, None).unwrap();
        assert_eq!(t.expire_idle(60, 30), 1);
        assert_eq!(t.tracked(), 1);
        assert!(t.by_id(fresh, 60).is_some());
    }

    #[test]
    fn ids_map_to_their_entries_across_many_associations() {
        let (_m, t) = table(4096);
        let ids: Vec<_> = (0..3000).map(|i| (i, t.upsert(key(i % 7, i), &peer(i as u16), 0, None).unwrap())).collect();
        for (i, id) in &ids {
            assert_eq!(t.by_id(*id, 0).unwrap().key, key(i % 7, *i));
            assert!(*id > 0 && *id <= 0x7fff_ffff);
        }
        for (i, _) in ids.iter().filter(|(i, _)| i % 2 == 0) {
            t.remove(key(i % 7, *i)).unwrap();
        }
        assert_eq!(t.tracked(), 1500);
        for (i, id) in &ids {
            assert_eq!(t.by_id(*id, 0).is_some(), i % 2 == 1);
        }
    }

    #[test]
    fn concurrent_use_from_several_processes() {
        let (_m, t) = table(8192);
        const PROCS: i32 = 4;
        const PER: i32 = 2000;
        let mut pids = vec![];
        for p in 0..PROCS {
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0);
            if pid == 0 {
                // child: churn associations of its own socket, keep the odd ones
                let mut ok = true;
                for round in 0..3 {
                    for i in 0..PER {
                        let id = t.upsert(key(p, i), &peer(i as u16), round, None);
                        ok &= id.is_some() && t.by_id(id.unwrap(), round).map(|x| x.key) == Some(key(p, i));
                    }
                    for i in (0..PER).filter(|i| i % 2 == 0) {
                        ok &= t.remove(key(p, i)).is_some();
                    }
                }
                unsafe { libc::_exit(if ok { 0 } else { 1 }) };
            }
            pids.push(pid);
        }
        for pid in pids {
            let mut status = 0;
            unsafe { libc::waitpid(pid, &mut status, 0) };
            assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child failed");
        }
        assert_eq!(t.tracked(), (PROCS * PER / 2) as u32);
        for p in 0..PROCS {
            for i in 0..PER {
                let id = t.id_of(key(p, i), 0);
                assert_eq!(id.is_some(), i % 2 == 1);
                if let Some(id) = id {
                    assert_eq!(t.by_id(id, 0).unwrap().key, key(p, i));
                    assert_eq!(t.by_peer(p, &peer(i as u16)), Some((id, i)));
                }
            }
        }
        assert_eq!(t.flush(), (PROCS * PER / 2) as usize);
    }
}
