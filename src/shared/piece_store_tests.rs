use super::*;
use crate::shared::test_alloc::Heap;

type Store = PieceStore<Heap>;

fn store() -> HeapStore {
    HeapStore::new()
}

/// One receiver's read of a piece and its add, back to back.
trait AddPiece {
    fn add_piece(&self, assoc_id: i32, tsn: u32, eor: bool, bytes: &[u8], now_ms: u32, out: &mut Reassembled) -> Added;
}

impl AddPiece for Store {
    fn add_piece(&self, assoc_id: i32, tsn: u32, eor: bool, bytes: &[u8], now_ms: u32, out: &mut Reassembled) -> Added {
        let r = self.join();
        self.begin(r, now_ms, assoc_id, tsn);
        let from = RawAddr::from_socket_addr(&"10.0.0.1:5060".parse().unwrap());
        self.add(r, Piece { assoc_id, tsn, eor, bytes, from: &from }, now_ms, out)
    }
}

fn message(body_len: usize) -> Vec<u8> {
    let body = "b".repeat(body_len);
    format!(
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/SCTP 10.0.0.1\r\nContent-Length: {body_len}\r\n\r\n{body}"
    )
    .into_bytes()
}

/// `msg` cut at `cuts`, as (tsn, eor, bytes), TSNs from `first_tsn` on (one
/// TSN per piece; the gaps the chunk counts make do not matter).
fn pieces(msg: &[u8], cuts: &[usize], first_tsn: u32) -> Vec<(u32, bool, Vec<u8>)> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(msg.len());
    bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| (first_tsn.wrapping_add(3 * i as u32), w[1] == msg.len(), msg[w[0]..w[1]].to_vec()))
        .collect()
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut all = Vec::new();
    for p in permutations(n - 1) {
        for at in 0..=p.len() {
            let mut q = p.clone();
            q.insert(at, n - 1);
            all.push(q);
        }
    }
    all
}

#[test]
fn a_cut_message_comes_out_whole_once_in_every_order_of_its_pieces() {
    let msg = message(300);
    // pieces are whole chunks, each longer than a start line
    let cases: &[&[usize]] = if cfg!(miri) { &[&[50], &[60, 200]] } else { &[&[50], &[60, 200], &[45, 90, 91, 250]] };
    for cuts in cases {
        let ps = pieces(&msg, cuts, u32::MAX - 4); // across the TSN wrap
        for order in permutations(ps.len()) {
            let st = store();
            let mut out = Reassembled::new();
            let mut done = Vec::new();
            for (k, &i) in order.iter().enumerate() {
                let (tsn, eor, ref bytes) = ps[i];
                match st.add_piece(7, tsn, eor, bytes, 0, &mut out) {
                    Added::Kept => assert!(k + 1 < ps.len(), "the last piece must complete it"),
                    Added::Complete(n) => done.push(out.bytes[..n].to_vec()),
                    other => panic!("order {order:?}: {other:?}"),
                }
            }
            assert_eq!(done, vec![msg.clone()], "order {order:?}");
            assert_eq!(st.open(), 0, "nothing left behind");
        }
    }
}

#[test]
fn the_next_message_of_the_association_may_arrive_before_the_last_piece() {
    let (a, b) = (message(100), message(40));
    let pa = pieces(&a, &[50], 100);
    let pb = pieces(&b, &[40], 200);
    let st = store();
    let mut out = Reassembled::new();
    assert_eq!(st.add_piece(1, pa[0].0, pa[0].1, &pa[0].2, 0, &mut out), Added::Kept);
    assert_eq!(st.add_piece(1, pb[0].0, pb[0].1, &pb[0].2, 0, &mut out), Added::Kept);
    assert_eq!(st.add_piece(1, pb[1].0, pb[1].1, &pb[1].2, 0, &mut out), Added::Kept, "a's tail is still out");
    assert_eq!(st.add_piece(1, pa[1].0, pa[1].1, &pa[1].2, 0, &mut out), Added::Complete(a.len()));
    assert_eq!(&out.bytes[..a.len()], &a[..]);
    // b was complete behind a: the next piece of any message hands it over
    let c = message(10);
    let pc = pieces(&c, &[40], 300);
    assert_eq!(st.add_piece(1, pc[0].0, pc[0].1, &pc[0].2, 0, &mut out), Added::Complete(b.len()));
    assert_eq!(&out.bytes[..b.len()], &b[..]);
    assert_eq!(st.add_piece(1, pc[1].0, pc[1].1, &pc[1].2, 0, &mut out), Added::Complete(c.len()));
    assert_eq!(st.open(), 0);
}

#[test]
fn associations_are_put_together_apart() {
    let (a, b) = (message(100), message(100));
    let (pa, pb) = (pieces(&a, &[50], 10), pieces(&b, &[60], 10));
    let st = store();
    let mut out = Reassembled::new();
    assert_eq!(st.add_piece(1, pa[0].0, false, &pa[0].2, 0, &mut out), Added::Kept);
    assert_eq!(st.add_piece(2, pb[0].0, false, &pb[0].2, 0, &mut out), Added::Kept);
    assert_eq!(st.add_piece(2, pb[1].0, true, &pb[1].2, 0, &mut out), Added::Complete(b.len()));
    assert_eq!(st.add_piece(1, pa[1].0, true, &pa[1].2, 0, &mut out), Added::Complete(a.len()));
    assert_eq!(&out.bytes[..a.len()], &a[..]);
}

#[test]
fn a_message_over_the_sip_maximum_is_dropped_to_its_end() {
    let st = store();
    let mut out = Reassembled::new();
    let big = message(70000);
    let ps = pieces(&big, &[40000], 1);
    assert_eq!(st.add_piece(3, ps[0].0, false, &ps[0].2, 0, &mut out), Added::Kept);
    assert_eq!(
        st.add_piece(3, ps[1].0, true, &ps[1].2, 0, &mut out),
        Added::Dropped { reason: DropReason::TooBig, pieces: 2 }
    );
    assert_eq!(st.open(), 0);
    assert_eq!(st.buffers_in_use(), 0);
    let ps = pieces(&big, &[30000, 50000, 69000], 1);
    assert_eq!(st.add_piece(3, ps[0].0, false, &ps[0].2, 0, &mut out), Added::Kept);
    assert_eq!(st.add_piece(3, ps[1].0, false, &ps[1].2, 0, &mut out), Added::Kept);
    assert_eq!(
        st.add_piece(3, ps[2].0, false, &ps[2].2, 0, &mut out),
        Added::Dropped { reason: DropReason::TooBig, pieces: 3 }
    );
    assert_eq!(st.open(), 1, "the rest of it is still to come");
    assert_eq!(st.buffers_in_use(), 0, "without a buffer");
    assert!(st.cut_open(3, || 0), "its next read is a piece");
    assert_eq!(
        st.add_piece(3, ps[3].0, true, &ps[3].2, 0, &mut out),
        Added::Dropped { reason: DropReason::Rest, pieces: 1 }
    );
    assert_eq!(st.open(), 0);
    let small = message(10);
    let ps = pieces(&small, &[40], 9);
    assert_eq!(st.add_piece(3, ps[0].0, false, &ps[0].2, 0, &mut out), Added::Kept);
    assert_eq!(st.add_piece(3, ps[1].0, true, &ps[1].2, 0, &mut out), Added::Complete(small.len()));
}

#[test]
fn a_message_without_content_length_completes_and_one_with_too_many_bytes_is_dropped() {
    let st = store();
    let mut out = Reassembled::new();
    let no_cl = b"SIP/2.0 200 OK\r\nTo: <sip:a@b>\r\n\r\n".to_vec();
    assert_eq!(st.add_piece(4, 1, false, &no_cl[..10], 0, &mut out), Added::Kept);
    assert_eq!(
        st.add_piece(4, 2, true, &no_cl[10..], 0, &mut out),
        Added::Complete(no_cl.len()),
        "no receiver holds a piece: complete without a length"
    );
    let m = message(5);
    assert_eq!(st.add_piece(4, 5, false, &m[..20], 0, &mut out), Added::Kept);
    let mut tail = m[20..].to_vec();
    tail.extend_from_slice(b"xx");
    assert_eq!(
        st.add_piece(4, 6, true, &tail, 0, &mut out),
        Added::Dropped { reason: DropReason::Inconsistent, pieces: 2 }
    );
    assert_eq!(st.open(), 0);
}

#[test]
fn pieces_that_never_complete_expire_and_an_aborted_delivery_is_dropped() {
    let st = store();
    let mut out = Reassembled::new();
    let m = message(100);
    let assocs = |e: Expired| e.assocs().iter().map(|x| (x.assoc_id, x.pieces)).collect::<Vec<_>>();
    assert_eq!(st.add_piece(1, 10, false, &m[..50], 1000, &mut out), Added::Kept);
    assert_eq!(st.add_piece(1, 11, false, &m[50..60], 1000, &mut out), Added::Kept);
    assert_eq!(st.add_piece(2, 10, true, &m[50..], 3000, &mut out), Added::Kept, "a tail without its head");
    assert_eq!(assocs(st.expire(5999, 5000)), vec![]);
    assert_eq!(assocs(st.expire(6000, 5000)), vec![(1, 2)], "association 1's message expired");
    assert_eq!(st.open(), 1);
    assert_eq!(st.drop_assoc(2), 1, "association 2's delivery aborted");
    assert_eq!(st.open(), 0);
    assert_eq!(st.buffers_in_use(), 0);
    // the clock wraps
    assert_eq!(st.add_piece(1, 10, false, &m[..50], u32::MAX - 10, &mut out), Added::Kept);
    assert_eq!(assocs(st.expire(100, 5000)), vec![]);
    assert_eq!(assocs(st.expire(5000, 5000)), vec![(1, 1)]);
    // a message being dropped already expires without being told again
    let big = message(70000);
    assert_eq!(st.add_piece(4, 1, false, &big[..40000], 0, &mut out), Added::Kept);
    assert!(matches!(
        st.add_piece(4, 2, false, &big[40000..], 0, &mut out),
        Added::Dropped { reason: DropReason::TooBig, .. }
    ));
    let e = st.expire(5000, 5000);
    assert_eq!((e.assocs().len(), e.rest), (0, 1));
    assert_eq!(st.open(), 0);
}

#[test]
fn when_every_entry_is_taken_a_new_message_is_dropped() {
    let st = store();
    let mut out = Reassembled::new();
    let m = message(100);
    for assoc in 0..ENTRIES as i32 {
        assert_eq!(st.add_piece(assoc, 1, false, &m[..50], 0, &mut out), Added::Kept);
    }
    assert_eq!(
        st.add_piece(99, 1, false, &m[..50], 0, &mut out),
        Added::Dropped { reason: DropReason::Full, pieces: 1 }
    );
    assert_eq!(st.add_piece(0, 2, true, &m[50..], 0, &mut out), Added::Complete(m.len()), "the others carry on");
}

#[test]
fn a_piece_is_dropped_rather_than_wait_long_for_a_held_lock() {
    let st = store();
    let mut out = Reassembled::new();
    let held = st.entries.lock();
    assert_eq!(
        st.add_piece(1, 1, false, b"INVITE", 0, &mut out),
        Added::Dropped { reason: DropReason::Busy, pieces: 1 }
    );
    drop(held);
    assert_eq!(st.add_piece(1, 1, false, b"INVITE", 0, &mut out), Added::Kept);
}

/// Each of `pieces` (association, TSN) read by its own receiver, in this
/// order, each saying so at once; returns the readers.
fn read_all(st: &Store, pieces: &[(i32, u32)], now_ms: u32) -> Vec<Reader> {
    pieces
        .iter()
        .map(|&(assoc_id, tsn)| {
            let r = st.join();
            st.begin(r, now_ms, assoc_id, tsn);
            r
        })
        .collect()
}

#[test]
fn a_message_waits_for_a_piece_another_receiver_holds() {
    // the fuzzer's case: the piece held lies in the headers, where
    // Content-Length cannot tell it is missing
    let m = message(0);
    let ps = pieces(&m, &[36, 37, 82], 10);
    let st = store();
    let mut out = Reassembled::new();
    let from = RawAddr::from_socket_addr(&"10.0.0.2:5060".parse().unwrap());
    let readers = read_all(&st, &ps.iter().map(|p| (1, p.0)).collect::<Vec<_>>(), 0);
    let add = |i: usize, out: &mut Reassembled| {
        st.add(readers[i], Piece { assoc_id: 1, tsn: ps[i].0, eor: ps[i].1, bytes: &ps[i].2, from: &from }, 0, out)
    };
    assert_eq!(add(3, &mut out), Added::Kept);
    assert_eq!(add(0, &mut out), Added::Kept);
    assert_eq!(add(2, &mut out), Added::Kept, "piece 1 is still held");
    assert_eq!(add(1, &mut out), Added::Complete(m.len()));
    assert_eq!(&out.bytes[..m.len()], &m[..]);
    assert_eq!(out.assoc_id, 1);
    assert_eq!(out.from.to_socket_addr(), from.to_socket_addr());
}

#[test]
fn pieces_held_of_another_message_hold_up_nothing() {
    // pieces of association 2, and the next message of association 1 (a
    // later TSN), each held by a receiver while association 1's completes
    let (a, b, c) = (message(100), message(100), message(100));
    let (pa, pb, pc) = (pieces(&a, &[50], 10), pieces(&b, &[50], 20), pieces(&c, &[50], 16));
    let st = store();
    let mut out = Reassembled::new();
    let from = RawAddr::empty();
    let r = read_all(&st, &[(1, pa[0].0), (1, pa[1].0), (2, pb[0].0), (1, pc[0].0)], 0);
    let add = |r: Reader, assoc_id, p: &(u32, bool, Vec<u8>), out: &mut Reassembled| {
        st.add(r, Piece { assoc_id, tsn: p.0, eor: p.1, bytes: &p.2, from: &from }, 0, out)
    };
    assert_eq!(add(r[0], 1, &pa[0], &mut out), Added::Kept);
    assert_eq!(add(r[1], 1, &pa[1], &mut out), Added::Complete(a.len()), "no piece of it is held");
    assert_eq!((out.assoc_id, &out.bytes[..a.len()]), (1, &a[..]));
    assert_eq!(add(r[2], 2, &pb[0], &mut out), Added::Kept);
    let r4 = read_all(&st, &[(2, pb[1].0)], 0)[0];
    assert_eq!(add(r4, 2, &pb[1], &mut out), Added::Complete(b.len()));
    assert_eq!(add(r[3], 1, &pc[0], &mut out), Added::Kept);
}

#[test]
fn one_piece_can_complete_several_messages_and_each_comes_out() {
    // two associations' messages, each waiting for a piece held by a
    // receiver whose add is late; a third receiver's piece inside both
    // (the same TSN range on each association) stands for either
    let (a, b) = (message(100), message(100));
    let (pa, pb) = (pieces(&a, &[30, 60], 10), pieces(&b, &[30, 60], 10));
    let st = store();
    let mut out = Reassembled::new();
    let from = RawAddr::empty();
    let r = read_all(&st, &[(1, pa[0].0), (1, pa[1].0), (1, pa[2].0), (2, pb[0].0), (2, pb[1].0), (2, pb[2].0)], 0);
    let add = |r: Reader, assoc_id, p: &(u32, bool, Vec<u8>), out: &mut Reassembled| {
        st.add(r, Piece { assoc_id, tsn: p.0, eor: p.1, bytes: &p.2, from: &from }, 0, out)
    };
    for (i, p) in [(0, &pa[0]), (2, &pa[2])] {
        assert_eq!(add(r[i], 1, p, &mut out), Added::Kept);
    }
    for (i, p) in [(3, &pb[0]), (5, &pb[2])] {
        assert_eq!(add(r[i], 2, p, &mut out), Added::Kept);
    }
    assert_eq!(add(r[4], 2, &pb[1], &mut out), Added::Complete(b.len()));
    assert_eq!(st.settle(0, &mut out), Added::Kept, "association 1's still waits");
    // the piece that completes association 1's: then nothing else is left
    assert_eq!(add(r[1], 1, &pa[1], &mut out), Added::Complete(a.len()));
    assert_eq!((out.assoc_id, &out.bytes[..a.len()]), (1, &a[..]));
    assert_eq!(st.settle(0, &mut out), Added::Kept);
    assert_eq!(st.open(), 0);
}

#[test]
fn the_sweep_hands_over_a_message_whose_last_holder_went_away() {
    let m = message(100);
    let ps = pieces(&m, &[50], 10);
    let st = store();
    let mut out = Reassembled::new();
    let from = RawAddr::empty();
    // the third receiver holds a piece between the two (a TSN in between)
    let r = read_all(&st, &[(1, ps[0].0), (1, ps[0].0 + 1), (1, ps[1].0)], 1000);
    for (i, p) in [(0, &ps[0]), (2, &ps[1])] {
        assert_eq!(
            st.add(r[i], Piece { assoc_id: 1, tsn: p.0, eor: p.1, bytes: &p.2, from: &from }, 1000, &mut out),
            Added::Kept
        );
    }
    assert_eq!(st.settle(1000 + HOLD_LIMIT_MS - 1, &mut out), Added::Kept, "r[1] may still add a piece");
    assert_eq!(st.settle(1001 + HOLD_LIMIT_MS, &mut out), Added::Complete(m.len()), "r[1] held it too long");
    st.add_nothing(r[1]);
    assert_eq!(st.settle(0, &mut out), Added::Kept, "nothing left");
}

#[test]
fn every_association_cut_at_once_is_put_together_and_its_buffer_given_back() {
    // pieces of all the associations an entry each, mixed as the kernel
    // hands them over with fragment interleave 1
    let st = store();
    let mut out = Reassembled::new();
    // every entry (a few under Miri, which takes minutes over all of them)
    let entries = if cfg!(miri) { 4 } else { ENTRIES };
    let msgs: Vec<Vec<u8>> = (0..entries).map(|k| message(200 + k)).collect();
    let cut: Vec<_> = msgs.iter().enumerate().map(|(k, m)| pieces(m, &[50, 120], 1000 * k as u32)).collect();
    let mut done = vec![None; entries];
    for i in 0..3 {
        for (k, ps) in cut.iter().enumerate() {
            let (tsn, eor, ref bytes) = ps[i];
            match st.add_piece(k as i32, tsn, eor, bytes, 0, &mut out) {
                Added::Kept => assert!(i < 2),
                Added::Complete(n) => {
                    assert_eq!(out.assoc_id, k as i32);
                    done[k] = Some(out.bytes[..n].to_vec());
                }
                other => panic!("association {k}: {other:?}"),
            }
        }
        if i == 0 {
            assert_eq!(st.open(), entries as u32);
            assert_eq!(st.buffers_in_use(), entries * BUFFER_BYTES, "a buffer per message");
        }
    }
    assert_eq!(done, msgs.into_iter().map(Some).collect::<Vec<_>>());
    assert_eq!((st.open(), st.buffers_in_use()), (0, 0));
}

#[test]
fn a_message_of_the_largest_size_comes_in_small_pieces() {
    let st = store();
    let mut out = Reassembled::new();
    let m = message(if cfg!(miri) { 6000 } else { MAX_BYTES - 100 });
    let cuts: Vec<usize> = (1..m.len().div_ceil(500)).map(|k| k * 500).collect();
    let ps = pieces(&m, &cuts, 7);
    for (i, (tsn, eor, bytes)) in ps.iter().enumerate() {
        let got = st.add_piece(9, *tsn, *eor, bytes, 0, &mut out);
        assert_eq!(got, if i + 1 < ps.len() { Added::Kept } else { Added::Complete(m.len()) }, "piece {i}");
    }
    assert_eq!(&out.bytes[..m.len()], &m[..]);
    if cfg!(miri) {
        return; // minutes under Miri; the same code as above
    }
    // finer than an entry keeps: dropped, and so is the rest until its end
    let m = message(MAX_PIECES * 20);
    let cuts: Vec<usize> = (1..=MAX_PIECES).map(|k| k * 20).collect();
    let ps = pieces(&m, &cuts, 7);
    let got: Vec<Added> = ps.iter().map(|(tsn, eor, b)| st.add_piece(9, *tsn, *eor, b, 0, &mut out)).collect();
    assert!(got[..MAX_PIECES].iter().all(|a| *a == Added::Kept));
    assert_eq!(got[MAX_PIECES], Added::Dropped { reason: DropReason::TooManyPieces, pieces: MAX_PIECES as u32 + 1 });
    assert!(got[MAX_PIECES + 1..].iter().all(|a| *a == Added::Dropped { reason: DropReason::Rest, pieces: 1 }));
    assert_eq!((st.open(), st.buffers_in_use()), (0, 0));
}

#[test]
fn an_association_with_a_cut_message_open_reads_pieces_only() {
    let st = store();
    let mut out = Reassembled::new();
    assert!(!st.cut_open(1, || 0), "nothing cut");
    let r = st.join();
    st.begin(r, 0, 1, 10);
    assert!(st.cut_open(1, || 0), "a receiver holds its piece");
    assert!(!st.cut_open(2, || 0));
    assert!(!st.cut_open(1, || HOLD_LIMIT_MS + 1), "a hold too old is not waited for");
    let m = message(100);
    let from = RawAddr::empty();
    assert_eq!(
        st.add(r, Piece { assoc_id: 1, tsn: 10, eor: false, bytes: &m[..50], from: &from }, 0, &mut out),
        Added::Kept
    );
    assert!(st.cut_open(1, || 0), "its message is being put together");
    assert!(!st.cut_open(2, || 0));
    assert_eq!(st.add_piece(1, 11, true, &m[50..], 0, &mut out), Added::Complete(m.len()));
    assert!(!st.cut_open(1, || 0), "done");
}

#[test]
fn a_message_expires_by_its_own_age_not_its_entrys() {
    let st = store();
    let mut out = Reassembled::new();
    let (a, b) = (message(100), message(100));
    let ids = |e: Expired| e.assocs().iter().map(|x| x.assoc_id).collect::<Vec<_>>();
    // begun by another receiver after this one read its clock
    assert_eq!(st.add_piece(1, 10, false, &a[..50], 1000, &mut out), Added::Kept);
    assert_eq!(ids(st.expire(999, 5000)), Vec::<i32>::new(), "not expired: younger than the clock read");
    // the next message's first piece came before the first message completed
    assert_eq!(st.add_piece(1, 20, false, &b[..50], 1000, &mut out), Added::Kept);
    assert_eq!(st.add_piece(1, 11, true, &a[50..], 4000, &mut out), Added::Complete(a.len()));
    assert_eq!(ids(st.expire(8999, 5000)), Vec::<i32>::new(), "b's time runs from a's completion");
    assert_eq!(ids(st.expire(9000, 5000)), vec![1]);
}

#[test]
fn a_drop_names_the_association_it_is_of() {
    let st = store();
    let mut out = Reassembled::new();
    let from = RawAddr::from_socket_addr(&"10.0.0.7:5060".parse().unwrap());
    // association 1's message waits for a piece that r holds; its bytes are
    // more than its Content-Length says
    let m = message(10);
    let mut tail = m[40..].to_vec();
    tail.extend_from_slice(b"xx");
    let r = st.join();
    st.begin(r, 0, 1, 11);
    assert_eq!(st.add_piece(1, 10, false, &m[..40], 0, &mut out), Added::Kept);
    assert_eq!(st.add_piece(1, 12, true, &tail, 0, &mut out), Added::Kept, "a piece between is held");
    // r adds a piece of association 2 instead: association 1's is now due
    let got = st.add(r, Piece { assoc_id: 2, tsn: 5, eor: false, bytes: &m[..40], from: &from }, 0, &mut out);
    assert_eq!(got, Added::Dropped { reason: DropReason::Inconsistent, pieces: 2 });
    assert_eq!(out.assoc_id, 1, "association 1's, not the piece's");
    // a drop of the piece's own message names the piece's
    let big = message(70000);
    let got = st.add(st.join(), Piece { assoc_id: 3, tsn: 1, eor: true, bytes: &big, from: &from }, 0, &mut out);
    assert_eq!(got, Added::Dropped { reason: DropReason::TooBig, pieces: 1 });
    assert_eq!((out.assoc_id, out.from.to_socket_addr()), (3, from.to_socket_addr()));
}

#[test]
fn an_aborted_association_s_later_pieces_go_without_a_buffer() {
    let st = store();
    let mut out = Reassembled::new();
    let (a, b) = (message(100), message(100));
    assert_eq!(st.add_piece(3, 10, false, &a[..50], 0, &mut out), Added::Kept);
    assert_eq!(st.add_piece(3, 11, true, &a[50..], 0, &mut out), Added::Complete(a.len()));
    assert_eq!(st.add_piece(3, 20, false, &b[..50], 0, &mut out), Added::Kept);
    assert_eq!(st.discard_assoc(3), 1);
    assert_eq!(st.buffers_in_use(), 0);
    assert!(st.cut_open(3, || 0), "its later pieces are pieces still");
    assert_eq!(
        st.add_piece(3, 21, false, &b[50..60], 0, &mut out),
        Added::Dropped { reason: DropReason::Rest, pieces: 1 }
    );
    let e = st.expire(5000, 5000);
    assert_eq!((e.assocs().len(), e.rest), (0, 1), "not told again when it expires");
    assert_eq!(st.open(), 0);
    assert_eq!(st.discard_assoc(3), 0, "nothing kept: nothing to do");
}

#[test]
fn the_memory_is_what_the_readme_says() {
    // README, "Cut messages": a table of about 12 kB per socket, a buffer
    // of 71 kB per association with a message being put together
    let table = std::mem::size_of::<Store>();
    assert!((10_000..14_000).contains(&table), "{table} bytes");
    assert_eq!(BUFFER_BYTES, 71_680);
    assert_eq!(ENTRIES * BUFFER_BYTES, 4_587_520, "at most 4.6 MB per socket");
}
