use super::*;
use std::sync::atomic::AtomicUsize;

use crate::shared::test_alloc::{heap, Heap};

/// Miri interprets every bucket's lock on a flush or a table walk: a small
/// table keeps its run short; the logic is the same for any valid size.
const BUCKETS: usize = if cfg!(miri) { PARTITIONS * 4 } else { DEFAULT_BUCKETS };

fn table(buckets: usize) -> (AssocTable<Heap>, Heap) {
    let h = heap();
    (AssocTable::new(h, buckets).unwrap(), h)
}

fn peer(n: u16) -> PeerAddr {
    PeerAddr::from(&SocketAddr::new("127.0.0.1".parse().unwrap(), 10000 + n))
}

fn key(sock: i32, assoc_id: i32) -> AssocKey {
    AssocKey { sock, assoc_id }
}

#[test]
fn insert_and_look_up_every_way() {
    let (t, _) = table(BUCKETS);
    let id = t.upsert(key(5, 7), &peer(1)).unwrap();
    assert_ne!(id, 0);
    assert_eq!(t.tracked(), 1);
    assert_eq!(t.upsert(key(5, 7), &peer(1)), Ok(id), "same association, same id");
    assert_eq!(t.id_of(key(5, 7)), Some(id));
    assert_eq!(t.by_id(id), Some(Tracked { key: key(5, 7), peer: peer(1) }));
    assert_eq!(t.by_peer(5, &peer(1)), Some((id, 7)));
    assert_eq!(t.by_peer(6, &peer(1)), None, "other socket");
    assert_eq!(t.by_peer(5, &peer(2)), None, "other peer");
    assert_eq!(t.by_id(id + 1), None);
    assert_eq!(t.by_id(0), None);
    assert_eq!(t.by_id(u32::MAX), None);
    assert_eq!(peer(1).to_socket_addr(), Some("127.0.0.1:10001".parse().unwrap()));
}

#[test]
fn opened_count_is_independent_of_tracking() {
    let (t, _) = table(BUCKETS);
    assert_eq!(t.opened_inc(), 1);
    assert_eq!(t.opened_inc(), 2);
    t.opened_dec();
    assert_eq!(t.opened(), 1);
    assert_eq!(t.tracked(), 0);
}

#[test]
fn removal_forgets_every_way_and_frees_the_entry() {
    let (t, h) = table(BUCKETS);
    let empty = h.in_use();
    let id = t.upsert(key(5, 7), &peer(1)).unwrap();
    assert!(h.in_use() > empty);
    assert_eq!(t.remove(key(5, 7)), Some(id));
    assert_eq!(h.in_use(), empty, "memory back to where it was");
    assert_eq!(t.tracked(), 0);
    assert_eq!(t.by_id(id), None);
    assert_eq!(t.id_of(key(5, 7)), None);
    assert_eq!(t.by_peer(5, &peer(1)), None);
    assert_eq!(t.remove(key(5, 7)), None);
    // the kernel hands association ids out cyclically: the next is another
    let id2 = t.upsert(key(5, 8), &peer(1)).unwrap();
    assert_ne!(id2, id, "a new association gets a new id");
    assert_eq!(t.total_ids(), 2);
}

#[test]
fn a_message_from_another_address_of_the_association_keeps_its_id() {
    // a multihomed peer whose first path went down goes on over the second
    let (t, _) = table(BUCKETS);
    let id = t.upsert(key(5, 7), &peer(1)).unwrap();
    assert_eq!(t.upsert(key(5, 7), &peer(2)), Ok(id));
    assert_eq!(t.tracked(), 1);
    assert_eq!(t.by_id(id).map(|e| e.key), Some(key(5, 7)));
    assert_eq!(t.by_peer(5, &peer(1)), Some((id, 7)));
    assert_eq!(t.by_peer(5, &peer(2)), Some((id, 7)), "found by the new address too");
    assert_eq!(t.upsert(key(5, 7), &peer(2)), Ok(id));
    assert_eq!(t.peer_addrs(key(5, 7)).len(), 2, "not linked twice");
}

#[test]
fn an_association_that_went_down_is_not_tracked_again() {
    let (t, h) = table(BUCKETS);
    let empty = h.in_use();
    let id = t.upsert(key(5, 7), &peer(1)).unwrap();
    assert_eq!(t.remove(key(5, 7)), Some(id));
    // a message read before its end, accounted after it
    assert_eq!(t.upsert(key(5, 7), &peer(1)), Err(TrackError::Gone));
    // its end accounted before its start
    assert_eq!(t.remove(key(5, 8)), None);
    assert_eq!(t.upsert(key(5, 8), &peer(2)), Err(TrackError::Gone));
    assert_eq!((t.tracked(), h.in_use()), (0, empty));
    assert!(t.upsert(key(6, 7), &peer(1)).is_ok(), "the same id on another socket is another association");
    // the memory of what went down is bounded: the oldest are forgotten
    for a in 100..100 + GONE as i32 {
        t.remove(key(5, a));
    }
    assert!(t.upsert(key(5, 7), &peer(1)).is_ok());
}

#[test]
fn flush_forgets_everything() {
    let (t, h) = table(BUCKETS);
    let empty = h.in_use();
    let n = if cfg!(miri) { 60 } else { 3000 };
    let ids: Vec<_> = (0..n).map(|i| t.upsert(key(3, i), &peer(i as u16)).unwrap()).collect();
    assert_eq!(t.tracked(), n as u32);
    assert_eq!(t.flush(), n as usize);
    assert_eq!(t.tracked(), 0);
    assert_eq!(h.in_use(), empty);
    assert!(ids.iter().all(|id| t.by_id(*id).is_none()));
    assert!((0..n).all(|i| t.by_peer(3, &peer(i as u16)).is_none()));
    assert!((0..n).all(|i| t.upsert(key(3, n + i), &peer(i as u16)).is_ok()), "usable again");
}

#[test]
fn far_more_associations_than_buckets() {
    // no capacity of its own: 16 entries per bucket on average still work
    let (t, _) = table(PARTITIONS);
    let n = if cfg!(miri) { 200 } else { 1024 };
    let ids: Vec<_> = (0..n).map(|i| (i, t.upsert(key(i % 7, i), &peer(i as u16)).unwrap())).collect();
    for (i, id) in &ids {
        assert_eq!(t.by_id(*id).unwrap().key, key(i % 7, *i));
        assert_eq!(t.by_peer(i % 7, &peer(*i as u16)), Some((*id, *i)));
        assert!(*id > 0 && *id <= ID_MASK);
    }
    for (i, _) in ids.iter().filter(|(i, _)| i % 2 == 0) {
        t.remove(key(i % 7, *i)).unwrap();
    }
    assert_eq!(t.tracked(), n as u32 / 2);
    for (i, id) in &ids {
        assert_eq!(t.by_id(*id).is_some(), i % 2 == 1);
        assert_eq!(t.by_peer(i % 7, &peer(*i as u16)).is_some(), i % 2 == 1);
    }
}

#[test]
fn ids_stay_unique_when_the_sequence_wraps() {
    let (t, _) = table(BUCKETS);
    let first = t.upsert(key(1, 1), &peer(1)).unwrap();
    // jump the sequence to just before it wraps onto the first id
    t.header().seq.store((ID_MASK >> PART_BITS).wrapping_sub(PARTITIONS as u32 * 2), Relaxed);
    let mut seen = std::collections::HashSet::from([first]);
    for i in 2..(PARTITIONS as i32 * 8) {
        let id = t.upsert(key(1, i), &peer(1)).unwrap();
        assert!(id != 0 && id <= ID_MASK);
        assert!(seen.insert(id), "id {id} handed out twice");
    }
}

#[test]
fn after_the_sequence_wraps_id_0_and_ids_in_use_are_skipped() {
    let (t, _) = table(BUCKETS);
    // keys of partition 0, whose ids are multiples of PARTITIONS
    let mut in_part0 = (1..).map(|a| key(3, a)).filter(|&k| t.key_bucket(k) % PARTITIONS == 0);
    let (a, b) = (in_part0.next().unwrap(), in_part0.next().unwrap());
    let first = t.upsert(a, &peer(1)).unwrap();
    assert_eq!(first, PARTITIONS as u32, "sequence 1, partition 0");
    // the next sequence number wraps to 0: id 0, then `first` again (in use)
    t.header().seq.store(ID_MASK >> PART_BITS, Relaxed);
    let id = t.upsert(b, &peer(2)).unwrap();
    assert_eq!(id, 2 * PARTITIONS as u32, "both skipped");
    assert_eq!(t.by_id(first).map(|x| x.key), Some(a));
    assert_eq!(t.by_id(id).map(|x| x.key), Some(b));
}

#[test]
fn out_of_memory_is_an_error_not_an_id() {
    #[derive(Clone, Copy)]
    struct Stingy(Heap, &'static AtomicUsize);
    // SAFETY: forwards to Heap, or refuses.
    unsafe impl SharedAlloc for Stingy {
        fn alloc(self, size: usize) -> Option<NonNull<u8>> {
            (self.1.fetch_sub(1, Relaxed) > 0).then(|| self.0.alloc(size)).flatten()
        }
        unsafe fn free(self, block: NonNull<u8>, size: usize) {
            // SAFETY: caller's contract, passed on.
            unsafe { self.0.free(block, size) }
        }
    }
    // the table, then an entry and its first peer link per association; the
    // second association gets its entry but not its link
    let budget: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(4)));
    let h = heap();
    let t = AssocTable::new(Stingy(h, budget), DEFAULT_BUCKETS).unwrap();
    let id = t.upsert(key(1, 1), &peer(1)).unwrap();
    let one = h.in_use();
    assert_eq!(t.upsert(key(1, 2), &peer(2)), Err(TrackError::NoMemory));
    assert_eq!(h.in_use(), one, "the half-made entry is given back");
    assert_eq!(t.by_peer(1, &peer(2)), None);
    assert_eq!(t.tracked(), 1);
    assert_eq!(t.by_id(id).map(|x| x.key), Some(key(1, 1)));
}

#[test]
fn concurrent_use_from_several_threads() {
    let (t, h) = table(BUCKETS);
    let empty = h.in_use();
    let per: i32 = if cfg!(miri) { 20 } else { 3000 };
    std::thread::scope(|s| {
        for p in 0..4 {
            s.spawn(move || {
                for round in 0..3 {
                    // each round new associations (ids are not reused)
                    // and the odd ones of the rounds before
                    for i in 0..per {
                        let a = if i % 2 == 0 { round * per + i } else { i };
                        let id = t.upsert(key(p, a), &peer(i as u16)).unwrap();
                        assert_eq!(t.by_id(id).map(|x| x.key), Some(key(p, a)), "round {round}");
                    }
                    for i in (0..per).filter(|i| i % 2 == 0) {
                        assert!(t.remove(key(p, round * per + i)).is_some());
                    }
                }
            });
        }
    });
    assert_eq!(t.tracked(), 4 * per as u32 / 2);
    for p in 0..4 {
        for i in 0..per {
            let id = t.id_of(key(p, i));
            assert_eq!(id.is_some(), i % 2 == 1);
            if let Some(id) = id {
                assert_eq!(t.by_peer(p, &peer(i as u16)), Some((id, i)));
            }
        }
    }
    assert_eq!(t.flush(), 4 * per as usize / 2);
    assert_eq!(h.in_use(), empty);
}

#[test]
fn every_address_of_an_association_leads_to_it() {
    let (t, h) = table(BUCKETS);
    let empty = h.in_use();
    let id = t.upsert(key(5, 7), &peer(1)).unwrap();
    assert_eq!(t.add_peer_addr(key(5, 7), &peer(2)), AddrAdded::Added);
    assert_eq!(t.add_peer_addr(key(5, 7), &peer(2)), AddrAdded::AlreadyKnown);
    assert_eq!(t.add_peer_addr(key(5, 7), &peer(1)), AddrAdded::AlreadyKnown, "the first address is one of them");
    assert_eq!(t.add_peer_addr(key(5, 8), &peer(3)), AddrAdded::NoAssociation);
    assert_eq!(t.by_peer(5, &peer(1)), Some((id, 7)));
    assert_eq!(t.by_peer(5, &peer(2)), Some((id, 7)));
    assert_eq!(t.by_peer(6, &peer(2)), None, "other socket");
    let mut addrs = t.peer_addrs(key(5, 7));
    addrs.sort_by_key(|p| p.to_socket_addr().map(|a| a.port()));
    assert_eq!(addrs, [peer(1), peer(2)]);
    assert_eq!(t.tracked(), 1, "still one association");
    // the peer removes an address
    assert!(t.remove_peer_addr(key(5, 7), &peer(2)));
    assert!(!t.remove_peer_addr(key(5, 7), &peer(2)));
    assert_eq!(t.by_peer(5, &peer(2)), None);
    assert_eq!(t.by_peer(5, &peer(1)), Some((id, 7)));
    // going down frees every address with the association
    t.add_peer_addr(key(5, 7), &peer(3));
    assert_eq!(t.remove(key(5, 7)), Some(id));
    assert_eq!(t.by_peer(5, &peer(3)), None);
    assert_eq!(t.by_peer(5, &peer(1)), None);
    assert_eq!(h.in_use(), empty, "links freed too");
}

#[test]
fn addresses_per_association_are_bounded() {
    let (t, _) = table(BUCKETS);
    t.upsert(key(1, 1), &peer(0)).unwrap();
    for n in 1..MAX_PEER_ADDRS as u16 {
        assert_eq!(t.add_peer_addr(key(1, 1), &peer(n)), AddrAdded::Added);
    }
    assert_eq!(t.add_peer_addr(key(1, 1), &peer(100)), AddrAdded::Full);
    assert_eq!(t.by_peer(1, &peer(100)), None);
    assert_eq!(t.by_peer(1, &peer(MAX_PEER_ADDRS as u16 - 1)), Some((t.id_of(key(1, 1)).unwrap(), 1)));
}

#[test]
fn flush_and_reuse_free_the_extra_addresses() {
    let (t, h) = table(BUCKETS);
    let empty = h.in_use();
    t.upsert(key(2, 9), &peer(1)).unwrap();
    t.add_peer_addr(key(2, 9), &peer(2));
    // a message from yet another address of the peer
    t.upsert(key(2, 9), &peer(5)).unwrap();
    assert!(t.by_peer(2, &peer(5)).is_some());
    t.add_peer_addr(key(2, 9), &peer(6));
    assert_eq!(t.flush(), 1);
    assert_eq!(t.by_peer(2, &peer(6)), None);
    assert_eq!(h.in_use(), empty);
}

#[test]
fn a_table_of_a_size_it_cannot_index_is_refused() {
    let h = heap();
    for bad in [0, 1, PARTITIONS / 2, DEFAULT_BUCKETS + 1, MAX_BUCKETS * 2, usize::MAX / 2 + 1] {
        assert!(AssocTable::new(h, bad).is_none(), "{bad} buckets");
    }
    assert!(AssocTable::new(h, PARTITIONS).is_some());
    assert!(AssocTable::new(h, AssocTable::<Heap>::buckets_for(usize::MAX)).is_some());
}
