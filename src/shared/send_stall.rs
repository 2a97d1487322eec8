//! Which peers are stalled: a peer whose send buffer stayed full for a whole
//! send wait (it does not read, or the path to it is dead) is marked for a
//! while, and sends to it that find the buffer full fail at once instead of
//! making every worker wait.
//!
//! The hold doubles with each mark in a row, from one wait up to a ceiling: a
//! peer that stopped reading costs a few waits and is then held off for long,
//! while a busy peer that only fell behind for a moment (a send to it went
//! through since) starts again from the shortest hold.
//!
//! A fixed array of slots in shared memory, one 64-bit word each: the peer's
//! tag (a hash of its address, 16 bits), the marks in a row (8 bits), the time
//! the mark ends (40 bits of milliseconds since boot: 34 years, so a mark
//! that ran out never comes back by the clock wrapping). Lock-free: a look-up is one load, a mark or a
//! release one compare-and-swap. Two peers that share a slot take turns in it;
//! a lost mark only means one more wait.

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};

pub const SLOTS: usize = 1024;
/// Doubling stops here (2^16 waits is past any ceiling).
const MAX_LEVEL: u64 = 16;

#[repr(C)]
pub struct StallTable {
    slots: [AtomicU64; SLOTS],
    /// Whether any peer was ever marked: until then a release (every send
    /// that goes through) is one load, not a hash.
    ever_marked: AtomicBool,
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

const UNTIL_BITS: u32 = 40;
const UNTIL_MASK: u64 = (1 << UNTIL_BITS) - 1;

fn slot_and_tag(peer: &SocketAddr) -> (usize, u64) {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    peer.hash(&mut h);
    let v = h.finish();
    // tag 0 would read as an empty slot
    ((v as usize) % SLOTS, ((v >> 48) & 0xffff).max(1))
}

fn tag_of(v: u64) -> u64 {
    v >> 48
}

fn level_of(v: u64) -> u64 {
    (v >> UNTIL_BITS) & 0xff
}

fn until_of(v: u64) -> u64 {
    v & UNTIL_MASK
}

impl StallTable {
    /// An empty table (no marks).
    pub const fn new() -> Self {
        StallTable { slots: [const { AtomicU64::new(0) }; SLOTS], ever_marked: AtomicBool::new(false) }
    }

    /// An empty table outside shared memory, for tests.
    #[cfg(test)]
    pub fn new_for_test() -> Box<Self> {
        Box::new(Self::new())
    }

    /// Whether the slot of `peer` holds a mark of it (current or run out).
    pub fn has_mark(&self, peer: &SocketAddr) -> bool {
        let (i, tag) = slot_and_tag(peer);
        tag_of(self.slots[i].load(Relaxed)) == tag
    }

    /// Whether `peer` is marked stalled at `now_ms` (milliseconds since
    /// boot, a clock every process shares).
    pub fn is_stalled(&self, peer: &SocketAddr, now_ms: u64) -> bool {
        let (i, tag) = slot_and_tag(peer);
        let v = self.slots[i].load(Relaxed);
        tag_of(v) == tag && until_of(v) > now_ms & UNTIL_MASK
    }

    /// Marks `peer` stalled from `now_ms`, for `base_ms` doubled once per mark
    /// of it in a row before, at most `max_ms`; returns the hold. While a mark
    /// holds, more marks (other workers, or other messages, that found the
    /// same stall) leave it as it is: one stall raises the hold once.
    pub fn mark(&self, peer: &SocketAddr, now_ms: u64, base_ms: u32, max_ms: u32) -> u32 {
        self.ever_marked.store(true, Release);
        let (i, tag) = slot_and_tag(peer);
        let slot = &self.slots[i];
        let now = now_ms & UNTIL_MASK;
        let mut old = slot.load(Relaxed);
        loop {
            if tag_of(old) == tag && until_of(old) > now {
                return (until_of(old) - now).min(u64::from(u32::MAX)) as u32;
            }
            let level = if tag_of(old) == tag { (level_of(old) + 1).min(MAX_LEVEL) } else { 0 };
            let hold = (u64::from(base_ms.max(1)) << level).min(u64::from(max_ms)) as u32;
            let until = (now + u64::from(hold)).min(UNTIL_MASK);
            let new = (tag << 48) | (level << UNTIL_BITS) | until;
            match slot.compare_exchange_weak(old, new, Relaxed, Relaxed) {
                Ok(_) => return hold,
                Err(v) => old = v,
            }
        }
    }

    /// Forgets the marks of `peer` (a send to it went through): its next mark
    /// starts from the shortest hold again.
    pub fn release(&self, peer: &SocketAddr) {
        if !self.ever_marked.load(Acquire) {
            return;
        }
        let (i, tag) = slot_and_tag(peer);
        let slot = &self.slots[i];
        let old = slot.load(Relaxed);
        if tag_of(old) == tag {
            // lost to a concurrent mark: that mark stands, which is safe
            let _ = slot.compare_exchange(old, 0, Relaxed, Relaxed);
        }
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
        assert_eq!(t.mark(&p, 1000, 1000, 10_000), 1000);
        assert!(t.has_mark(&p));
        assert!(t.is_stalled(&p, 1000));
        assert!(t.is_stalled(&p, 1999));
        assert!(!t.is_stalled(&p, 2000));
        assert!(!t.is_stalled(&a("198.18.0.1:5061"), 1000));
        assert!(!t.is_stalled(&a("198.18.0.2:5060"), 1000));
    }

    #[test]
    fn a_mark_that_ran_out_stays_out() {
        // a 32-bit millisecond clock wraps after 49.7 days, and a signed
        // difference made a mark that ran out hold again 24.8 days later
        let t = StallTable::new_for_test();
        let p = a("[2001:db8::1]:5060");
        let now = u64::from(u32::MAX) - 100;
        t.mark(&p, now, 200, 10_000);
        assert!(t.is_stalled(&p, now + 150));
        assert!(!t.is_stalled(&p, now + 201));
        for later in [1u64 << 31, (1 << 31) + 150, 1 << 32, (1 << 32) + 150, 1 << 39] {
            assert!(!t.is_stalled(&p, now + later), "{later} ms later");
        }
    }

    #[test]
    fn the_hold_doubles_per_mark_in_a_row_up_to_the_ceiling_and_a_release_resets_it() {
        let t = StallTable::new_for_test();
        let p = a("198.18.0.7:5060");
        // each mark made when the one before has run out
        let mut now = 0u64;
        let mut holds = vec![];
        for _ in 0..9 {
            let hold = t.mark(&p, now, 100, 10_000);
            holds.push(hold);
            now += u64::from(hold);
        }
        assert_eq!(holds, [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
        for _ in 0..40 {
            now += u64::from(t.mark(&p, now, 100, 10_000));
        }
        assert_eq!(t.mark(&p, now, 100, 10_000), 10_000, "the level stays capped");
        assert!(t.is_stalled(&p, now + 9_999));
        t.release(&p);
        assert!(!t.has_mark(&p));
        assert!(!t.is_stalled(&p, now + 1));
        assert_eq!(t.mark(&p, now, 100, 10_000), 100, "a release starts again from one wait");
    }

    #[test]
    fn marks_of_one_stall_raise_the_hold_once() {
        let t = StallTable::new_for_test();
        let p = a("198.18.0.7:5060");
        assert_eq!(t.mark(&p, 0, 100, 10_000), 100);
        // other workers and other kept messages find the same stall
        assert_eq!(t.mark(&p, 10, 100, 10_000), 90, "the running mark stands");
        assert_eq!(t.mark(&p, 99, 100, 10_000), 1);
        assert!(!t.is_stalled(&p, 100));
        assert_eq!(t.mark(&p, 100, 100, 10_000), 200, "the next stall doubles it");
    }

    #[test]
    fn a_release_leaves_another_peers_mark_alone() {
        let t = StallTable::new_for_test();
        let p = a("198.18.0.7:5060");
        t.mark(&p, 0, 100, 10_000);
        // a peer in the same slot with another tag
        let (slot, tag) = slot_and_tag(&p);
        let other = (1..u16::MAX)
            .map(|port| SocketAddr::new(p.ip(), port))
            .find(|q| slot_and_tag(q).0 == slot && slot_and_tag(q).1 != tag)
            .unwrap();
        t.release(&other);
        assert!(t.is_stalled(&p, 50));
    }
}
