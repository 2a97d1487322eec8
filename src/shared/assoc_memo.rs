//! One process's memo of what the shared association table answered lately,
//! so that the receive and send paths of a steady association take no lock:
//! an answer is reused while the table's count of removals (`changes`) is
//! what it was before the answer was got. Adding entries or addresses never
//! makes an answer wrong; removing them bumps the count and empties the memo.
//!
//! Process-local by design (each Kamailio process keeps its own): nothing
//! in it is shared, and a miss costs only the locked lookup it replaces.

use super::assoc_table::{AssocKey, AssocTable, PeerAddr, SharedAlloc, TrackError, Tracked};

/// Slots per kind of answer: enough for the busy associations a process
/// serves at once; a direct-mapped miss costs one locked lookup.
const SLOTS: usize = 16;

#[derive(Clone, Copy)]
struct ConnSlot {
    table: usize,
    key: AssocKey,
    peer: PeerAddr,
    id: u32,
    changes: u64,
}

#[derive(Clone, Copy)]
struct ByIdSlot {
    table: usize,
    tracked: Tracked,
    id: u32,
    changes: u64,
}

/// Recent answers of `upsert` (by association and source) and `by_id`.
pub struct AssocMemo {
    conn: [Option<ConnSlot>; SLOTS],
    by_id: [Option<ByIdSlot>; SLOTS],
    hits: u64,
}

impl Default for AssocMemo {
    fn default() -> Self {
        Self::new()
    }
}

impl AssocMemo {
    pub const fn new() -> Self {
        AssocMemo { conn: [None; SLOTS], by_id: [None; SLOTS], hits: 0 }
    }

    /// Answers reused so far.
    #[cfg(test)]
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// `t.upsert(key, peer)`, from the memo when the same association and
    /// source were answered since the last removal.
    #[inline(always)]
    pub fn upsert<A: SharedAlloc>(
        &mut self,
        t: &AssocTable<A>,
        key: AssocKey,
        peer: &PeerAddr,
    ) -> Result<u32, TrackError> {
        // read before the lookup: a removal after it shows at the next call
        let changes = t.changes();
        let slot = &mut self.conn[slot_of(key.sock as u32 ^ (key.assoc_id as u32).rotate_left(7))];
        if let Some(s) = slot {
            if s.changes == changes && s.table == t.identity() && s.key == key && s.peer == *peer {
                self.hits += 1;
                return Ok(s.id);
            }
        }
        let r = t.upsert(key, peer);
        // only ids: a refusal (gone, no memory) is asked again next time
        *slot = r.as_ref().ok().map(|&id| ConnSlot { table: t.identity(), key, peer: *peer, id, changes });
        r
    }

    /// `t.by_id(id)`, from the memo when answered since the last removal.
    pub fn by_id<A: SharedAlloc>(&mut self, t: &AssocTable<A>, id: u32) -> Option<Tracked> {
        let changes = t.changes();
        let slot = &mut self.by_id[slot_of(id)];
        if let Some(s) = slot {
            if s.changes == changes && s.table == t.identity() && s.id == id {
                self.hits += 1;
                return Some(s.tracked);
            }
        }
        let r = t.by_id(id);
        *slot = r.map(|tracked| ByIdSlot { table: t.identity(), tracked, id, changes });
        r
    }
}

fn slot_of(x: u32) -> usize {
    // ids and association ids are sequential: their low bits spread well
    (x ^ (x >> 16)) as usize % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::assoc_table::PARTITIONS;
    use crate::shared::test_alloc::heap;
    use std::net::SocketAddr;

    fn table() -> AssocTable<crate::shared::test_alloc::Heap> {
        AssocTable::new(heap(), PARTITIONS).unwrap()
    }

    fn peer(n: u16) -> PeerAddr {
        PeerAddr::from(&SocketAddr::new("127.0.0.1".parse().unwrap(), 10000 + n))
    }

    fn key(assoc_id: i32) -> AssocKey {
        AssocKey { sock: 3, assoc_id }
    }

    #[test]
    fn a_steady_association_is_answered_from_the_memo() {
        let t = table();
        let mut m = AssocMemo::new();
        let id = m.upsert(&t, key(1), &peer(1)).unwrap();
        assert_eq!(m.hits(), 0);
        for _ in 0..5 {
            assert_eq!(m.upsert(&t, key(1), &peer(1)), Ok(id));
            assert_eq!(m.by_id(&t, id).map(|x| x.key), Some(key(1)));
        }
        assert_eq!(m.hits(), 5 + 4, "all but the first by_id");
        // new associations elsewhere change nothing it knows
        let other = t.upsert(key(2), &peer(2)).unwrap();
        assert_eq!(m.upsert(&t, key(1), &peer(1)), Ok(id));
        assert_eq!(m.by_id(&t, other).map(|x| x.key), Some(key(2)));
        assert_eq!(m.hits(), 10);
    }

    #[test]
    fn an_association_removed_elsewhere_is_not_answered() {
        let t = table();
        let mut m = AssocMemo::new();
        let id = m.upsert(&t, key(1), &peer(1)).unwrap();
        assert!(m.by_id(&t, id).is_some());
        // another process sees it go down
        assert_eq!(t.remove(key(1)), Some(id));
        assert_eq!(m.by_id(&t, id), None);
        assert_eq!(m.upsert(&t, key(1), &peer(1)), Err(TrackError::Gone), "not tracked again");
    }

    #[test]
    fn a_flush_empties_the_memo() {
        let t = table();
        let mut m = AssocMemo::new();
        let id = m.upsert(&t, key(1), &peer(1)).unwrap();
        assert!(m.by_id(&t, id).is_some());
        assert_eq!(t.flush(), 1);
        assert_eq!(m.by_id(&t, id), None);
        let again = m.upsert(&t, key(1), &peer(1)).unwrap();
        assert_ne!(again, id, "tracked anew, with a new id");
        assert_eq!(t.by_id(again).map(|x| x.key), Some(key(1)));
    }

    #[test]
    fn an_address_removed_elsewhere_is_indexed_again_by_its_next_message() {
        let t = table();
        let mut m = AssocMemo::new();
        let id = m.upsert(&t, key(1), &peer(1)).unwrap();
        // a message over the peer's second path: that address leads to it too
        assert_eq!(m.upsert(&t, key(1), &peer(2)), Ok(id));
        assert_eq!(t.by_peer(3, &peer(2)), Some((id, 1)));
        // the peer removed the address, then used it again
        assert!(t.remove_peer_addr(key(1), &peer(2)));
        assert_eq!(m.upsert(&t, key(1), &peer(2)), Ok(id));
        assert_eq!(t.by_peer(3, &peer(2)), Some((id, 1)), "indexed again");
    }

    #[test]
    fn another_tables_answers_are_not_taken() {
        let (t1, t2) = (table(), table());
        let mut m = AssocMemo::new();
        let id = m.upsert(&t1, key(1), &peer(1)).unwrap();
        assert!(m.by_id(&t1, id).is_some());
        // the same key, the same count of removals (0), another table
        assert_eq!(m.by_id(&t2, id), None);
        assert_eq!(m.upsert(&t2, key(1), &peer(1)), Ok(t2.by_peer(3, &peer(1)).unwrap().0));
        assert_eq!(t2.tracked(), 1, "tracked in the table asked");
        assert_eq!(m.hits(), 0);
    }

    #[test]
    fn a_refusal_is_not_kept() {
        let t = table();
        let mut m = AssocMemo::new();
        t.remove(key(1));
        assert_eq!(m.upsert(&t, key(1), &peer(1)), Err(TrackError::Gone));
        assert_eq!(m.by_id(&t, 42), None);
        assert_eq!(m.hits(), 0);
    }

    #[test]
    fn associations_sharing_a_slot_each_get_their_own_answer() {
        let t = table();
        let mut m = AssocMemo::new();
        let ids: Vec<u32> = (1..=3 * SLOTS as i32).map(|a| m.upsert(&t, key(a), &peer(a as u16)).unwrap()).collect();
        for (a, id) in (1..).zip(&ids) {
            assert_eq!(m.upsert(&t, key(a), &peer(a as u16)), Ok(*id));
            assert_eq!(m.by_id(&t, *id).map(|x| x.key), Some(key(a)));
        }
    }
}
