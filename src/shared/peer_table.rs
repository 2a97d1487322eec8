//! The declared peers (from the config, and set or removed at run time), in
//! shared memory: a fixed array of entries behind a lock, and a generation
//! that every change bumps. A process keeps its own copy and takes the lock
//! only when the generation moved, so that reading a steady table costs one
//! load. The entry type is the caller's (plain data, `Copy`).

use super::futex::{FutexLock, FutexLockGuard};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The most peers the table holds (stated in the README).
pub const MAX_PEERS: usize = 64;

/// How long a reader or writer waits for the lock before it gives up: the
/// holders only copy entries, so only a stopped process holds it longer.
const PATIENCE: Duration = Duration::from_millis(200);

#[repr(C)]
pub struct PeerTable<E: Copy> {
    generation: AtomicU64,
    entries: FutexLock<Entries<E>>,
}

/// The entries in use, first `len` of `list`.
#[repr(C)]
pub struct Entries<E: Copy> {
    len: usize,
    list: [E; MAX_PEERS],
}

/// Why a change was not made.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the peer table is full ({MAX_PEERS} peers)")]
    Full,
    #[error("the peer table is busy (locked by a process that does not let go)")]
    Busy,
}

impl<E: Copy> Entries<E> {
    pub fn as_slice(&self) -> &[E] {
        &self.list[..self.len]
    }

    /// Adds `e` at the end.
    pub fn push(&mut self, e: E) -> Result<(), TableError> {
        let slot = self.list.get_mut(self.len).ok_or(TableError::Full)?;
        *slot = e;
        self.len += 1;
        Ok(())
    }

    /// Puts `e` in place of entry `i` (in use).
    pub fn replace(&mut self, i: usize, e: E) {
        if i < self.len {
            self.list[i] = e;
        }
    }

    /// Takes entry `i` out; the later ones move up, in order.
    pub fn remove(&mut self, i: usize) -> Option<E> {
        if i >= self.len {
            return None;
        }
        let e = self.list[i];
        self.list.copy_within(i + 1..self.len, i);
        self.len -= 1;
        Some(e)
    }
}

impl<E: Copy> PeerTable<E> {
    /// An empty table (every unused entry `filler`).
    pub fn new(filler: E) -> Self {
        PeerTable {
            generation: AtomicU64::new(1),
            entries: FutexLock::new(Entries { len: 0, list: [filler; MAX_PEERS] }),
        }
    }

    /// Moves on every change: a copy made at another generation is stale.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The entries and the generation they are of.
    pub fn snapshot(&self, out: &mut Vec<E>) -> Result<u64, TableError> {
        let entries = self.lock()?;
        out.clear();
        out.extend_from_slice(entries.as_slice());
        Ok(self.generation.load(Ordering::Acquire))
    }

    /// Changes the entries with `f`, under the lock; the generation moves
    /// when `f` returns `Ok`.
    pub fn update<R, X: From<TableError>>(&self, f: impl FnOnce(&mut Entries<E>) -> Result<R, X>) -> Result<R, X> {
        let mut entries = self.lock()?;
        let r = f(&mut entries)?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(r)
    }

    fn lock(&self) -> Result<FutexLockGuard<'_, Entries<E>>, TableError> {
        self.entries.lock_within(PATIENCE).ok_or(TableError::Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_move_the_generation_and_snapshots_see_them() {
        let t = PeerTable::new(0u32);
        let g0 = t.generation();
        t.update(|e| e.push(7)).unwrap();
        t.update(|e| e.push(8)).unwrap();
        let mut v = Vec::new();
        let g = t.snapshot(&mut v).unwrap();
        assert_eq!((v.as_slice(), g > g0, g), (&[7, 8][..], true, t.generation()));
        t.update(|e| {
            e.replace(0, 9);
            Ok::<_, TableError>(())
        })
        .unwrap();
        assert_eq!(t.update(|e| Ok::<_, TableError>(e.remove(0))).unwrap(), Some(9));
        t.snapshot(&mut v).unwrap();
        assert_eq!(v, [8]);
        assert_eq!(t.update(|e| Ok::<_, TableError>(e.remove(5))).unwrap(), None);
    }

    #[test]
    fn a_full_table_refuses_and_keeps_its_generation() {
        let t = PeerTable::new(0u32);
        for k in 0..MAX_PEERS as u32 {
            t.update(|e| e.push(k)).unwrap();
        }
        let g = t.generation();
        assert_eq!(t.update(|e| e.push(99)), Err(TableError::Full));
        assert_eq!(t.update(|_| Err::<(), _>(TableError::Busy)), Err(TableError::Busy));
        assert_eq!(t.generation(), g, "nothing changed");
        let mut v = Vec::new();
        t.snapshot(&mut v).unwrap();
        assert_eq!((v.len(), v[MAX_PEERS - 1]), (MAX_PEERS, MAX_PEERS as u32 - 1));
    }

    #[test]
    fn removal_keeps_the_order_of_the_rest() {
        let t = PeerTable::new(0u32);
        for k in 1..=4 {
            t.update(|e| e.push(k)).unwrap();
        }
        t.update(|e| Ok::<_, TableError>(e.remove(1))).unwrap();
        let mut v = Vec::new();
        t.snapshot(&mut v).unwrap();
        assert_eq!(v, [1, 3, 4]);
    }
}
