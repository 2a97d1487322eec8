//! Which peers are stalled: a peer whose send buffer stayed full for a whole
//! send wait (it does not read, or the path to it is dead) is marked for a
//! while, and sends to it fail at once instead of making every worker wait.
//!
//! A fixed array of slots in shared memory, one 64-bit word each: the peer's
//! tag (a hash of its address) in the high half, the time the mark ends in the
//! low half. Lock-free: a mark is one store, a look-up one load. Two peers that
//! share a slot take turns in it; a lost mark only means one more wait.

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub const SLOTS: usize = 1024;

#[repr(C)]
pub struct StallTable {
    slots: [AtomicU64; SLOTS],
}

/// FNV-1a over what `Hash` feeds it: the same in every process (unlike the
/// std hasher's random keys).
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

fn slot_and_tag(peer: &SocketAddr) -> (usize, u32) {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    peer.hash(&mut h);
    let v = h.finish();
    // tag 0 would read as an empty slot
    ((v as usize) % SLOTS, ((v >> 32) as u32).max(1))
}

impl StallTable {
    /// An empty table outside shared memory, for tests.
    #[cfg(test)]
    pub fn new_for_test() -> Box<Self> {
        Box::new(StallTable { slots: std::array::from_fn(|_| AtomicU64::new(0)) })
    }

    /// Whether the slot of `peer` holds a mark of it (current or run out).
    pub fn has_mark(&self, peer: &SocketAddr) -> bool {
        let (i, tag) = slot_and_tag(peer);
        (self.slots[i].load(Relaxed) >> 32) as u32 == tag
    }

    /// Whether `peer` is marked stalled at `now_ms` (a clock every process
    /// shares, in milliseconds, wrapping).
    pub fn is_stalled(&self, peer: &SocketAddr, now_ms: u32) -> bool {
        let (i, tag) = slot_and_tag(peer);
        let v = self.slots[i].load(Relaxed);
        (v >> 32) as u32 == tag && (v as u32).wrapping_sub(now_ms) as i32 > 0
    }

    /// Marks `peer` stalled until `until_ms`.
    pub fn mark(&self, peer: &SocketAddr, until_ms: u32) {
        let (i, tag) = slot_and_tag(peer);
        self.slots[i].store((u64::from(tag) << 32) | u64::from(until_ms), Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_mark_holds_until_its_end_and_only_for_that_peer() {
        let t = StallTable::new_for_test();
        let p = a("198.18.0.1:5060");
        assert!(!t.is_stalled(&p, 1000));
        assert!(!t.has_mark(&p));
        t.mark(&p, 2000);
        assert!(t.has_mark(&p));
        assert!(t.is_stalled(&p, 1000));
        assert!(t.is_stalled(&p, 1999));
        assert!(!t.is_stalled(&p, 2000));
        assert!(!t.is_stalled(&a("198.18.0.1:5061"), 1000));
        assert!(!t.is_stalled(&a("198.18.0.2:5060"), 1000));
    }

    #[test]
    fn marks_survive_the_clock_wrapping() {
        let t = StallTable::new_for_test();
        let p = a("[2001:db8::1]:5060");
        t.mark(&p, 100);
        assert!(t.is_stalled(&p, u32::MAX - 50));
        assert!(!t.is_stalled(&p, 101));
    }
}
