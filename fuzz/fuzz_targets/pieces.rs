//! Messages the kernel cut, put back together: the SIP framing the receive
//! path judges reads by, and the store of pieces. Checks, besides the absence
//! of panics:
//! - on any bytes, `starts_with_start_line` and `extent` answer (and an
//!   extent is never shorter than the bytes before the body);
//! - the SIP messages of one to three associations built from the input
//!   (with or without Content-Length), each cut at chunk-like boundaries
//!   (each piece longer than its start line), their pieces mixed in the
//!   kernel's queue as with fragment interleave 1 (each association's in
//!   order), are read piece by piece by up to 6 receivers, each of which
//!   says it holds its piece (`begin`) and adds it later, in an order the
//!   input picks, with sweeps (`settle`) in between: each comes out whole
//!   exactly once, byte for byte, only after every piece of it was added,
//!   and nothing is left in the store, nor a buffer out.
#![no_main]

use kamailio_sctp::fuzzing::{extent, starts_with_start_line, Added, Extent, HeapStore, Piece, RawAddr, Reassembled};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// A SIP message of association `assoc_id` built from the input, cut at
/// chunk-like boundaries: (association, TSN, end of record, bytes) per piece.
struct Cut {
    msg: Vec<u8>,
    pieces: Vec<(i32, u32, bool, std::ops::Range<usize>)>,
}

fn cut(u: &mut Unstructured, assoc_id: i32) -> Result<Cut> {
    let body_len = u.int_in_range(0..=4000)?;
    let body: Vec<u8> = (0..body_len).map(|i| b'a' + (i % 26) as u8).collect();
    let length = if u.arbitrary()? { format!("Content-Length: {body_len}\r\n") } else { String::new() };
    let mut msg =
        format!("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/SCTP 10.0.0.1\r\n{length}\r\n").into_bytes();
    let first_line = msg.iter().position(|&b| b == b'\n').unwrap() + 1;
    msg.extend_from_slice(&body);
    // cut points: the first after the start line, then anywhere
    let mut cuts = vec![0];
    let mut at = u.int_in_range(first_line..=msg.len())?;
    while at < msg.len() && cuts.len() < 20 {
        cuts.push(at);
        at += u.int_in_range(1..=msg.len() - at)?;
    }
    cuts.push(msg.len());
    let base = (1000 * assoc_id as u32).wrapping_sub(9000 + 8); // across the TSN wrap
    let pieces = cuts
        .windows(2)
        .enumerate()
        .map(|(i, w)| (assoc_id, (i as u32).wrapping_mul(2).wrapping_add(base), w[1] == msg.len(), w[0]..w[1]))
        .collect();
    Ok(Cut { msg, pieces })
}

fn reassemble(u: &mut Unstructured) -> Result<()> {
    // one to three associations' messages, cut at once
    let n = u.int_in_range(1..=3)?;
    let cuts: Vec<Cut> = (0..n).map(|k| cut(u, 9 + k as i32)).collect::<Result<_>>()?;
    // the kernel's queue: each association's pieces in order, the
    // associations mixed as the input picks (fragment interleave 1)
    let mut next = vec![0; n];
    let mut queue = Vec::new();
    while let Some(k) = (0..n).find(|&k| next[k] < cuts[k].pieces.len()) {
        let k = if u.arbitrary()? { k } else { (k + u.int_in_range(0..=n - 1)?) % n };
        if next[k] < cuts[k].pieces.len() {
            queue.push((k, next[k]));
            next[k] += 1;
        }
    }
    let store = HeapStore::new();
    let from = RawAddr::empty();
    let mut out = Reassembled::new();
    let mut free: Vec<_> = (0..6).map(|_| store.join()).collect();
    let mut held = Vec::new(); // (reader, index in queue)
    let mut read = 0;
    let mut added = vec![0; n];
    let mut done = vec![0; n];
    let mut check = |got: Added, added: &[usize], out: &Reassembled| match got {
        Added::Kept => {}
        Added::Complete(len) => {
            let k = (out.assoc_id - 9) as usize;
            assert_eq!(added[k], cuts[k].pieces.len(), "complete before every piece was added");
            assert_eq!(&out.bytes[..len], &cuts[k].msg[..]);
            done[k] += 1;
        }
        other => panic!("{other:?}"),
    };
    while added.iter().sum::<usize>() < queue.len() {
        let can_read = read < queue.len() && !free.is_empty();
        if can_read && (held.is_empty() || u.arbitrary()?) {
            let r = free.pop().unwrap();
            let (k, i) = queue[read];
            let (assoc_id, tsn, _, _) = cuts[k].pieces[i];
            store.begin(r, 0, assoc_id, tsn);
            held.push((r, read));
            read += 1;
        } else {
            let h = u.int_in_range(0..=held.len() - 1)?;
            let (r, q) = held.swap_remove(h);
            let (k, i) = queue[q];
            let (assoc_id, tsn, eor, ref range) = cuts[k].pieces[i];
            added[k] += 1;
            let bytes = &cuts[k].msg[range.clone()];
            let got = store.add(r, Piece { assoc_id, tsn, eor, bytes, from: &from }, 0, &mut out);
            check(got, &added, &out);
            free.push(r);
        }
        if u.arbitrary()? {
            let got = store.settle(0, &mut out);
            check(got, &added, &out);
        }
    }
    // one add may complete several: the rest come out on the next settles
    for _ in 0..n {
        let got = store.settle(0, &mut out);
        check(got, &added, &out);
    }
    assert!(done.iter().all(|&d| d == 1), "each message exactly once: {done:?}");
    assert_eq!(store.open(), 0);
    assert_eq!(store.buffers_in_use(), 0, "every buffer given back");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = starts_with_start_line(data);
    if let Extent::Length(n) = extent(data) {
        assert!(n >= 4, "a message with headers is at least their empty line");
    }
    let _ = reassemble(&mut Unstructured::new(data));
});
