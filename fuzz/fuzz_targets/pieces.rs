//! Messages the kernel cut, put back together: the SIP framing the receive
//! path judges reads by, and the store of pieces. Checks, besides the absence
//! of panics:
//! - on any bytes, `starts_with_start_line` and `extent` answer (and an
//!   extent is never shorter than the bytes before the body);
//! - a SIP message built from the input (with or without Content-Length),
//!   cut at chunk-like boundaries (each piece longer than its start line), is
//!   read piece by piece in the kernel's order by up to 6 receivers, each of
//!   which says it holds its piece (`begin`) and adds it later, in an order
//!   the input picks, with sweeps (`settle`) in between: it comes out whole
//!   exactly once, byte for byte, only after every piece was added, and
//!   leaves nothing in the store.
#![no_main]

use kamailio_sctp::fuzzing::{extent, starts_with_start_line, Added, Extent, HeapStore, Piece, RawAddr, Reassembled};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fn reassemble(u: &mut Unstructured) -> Result<()> {
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
    let pieces: Vec<(u32, bool, &[u8])> = cuts
        .windows(2)
        .enumerate()
        .map(|(i, w)| ((i as u32).wrapping_mul(2).wrapping_add(u32::MAX - 8), w[1] == msg.len(), &msg[w[0]..w[1]]))
        .collect();
    let store = HeapStore::new();
    let from = RawAddr::empty();
    let mut out = Reassembled::new();
    let mut free: Vec<_> = (0..6).map(|_| store.join()).collect();
    let mut held = Vec::new(); // (reader, piece)
    let (mut read, mut added, mut done) = (0, 0, 0);
    let mut check = |got: Added, added: usize, out: &Reassembled| match got {
        Added::Kept => {}
        Added::Complete(n) => {
            assert_eq!(added, pieces.len(), "complete before every piece was added");
            assert_eq!(&out.bytes[..n], &msg[..]);
            done += 1;
        }
        other => panic!("{other:?}"),
    };
    while added < pieces.len() {
        let can_read = read < pieces.len() && !free.is_empty();
        if can_read && (held.is_empty() || u.arbitrary()?) {
            let r = free.pop().unwrap();
            store.begin(r, 0, 9, pieces[read].0);
            held.push((r, read));
            read += 1;
        } else {
            let k = u.int_in_range(0..=held.len() - 1)?;
            let (r, i) = held.swap_remove(k);
            let (tsn, eor, bytes) = pieces[i];
            added += 1;
            let got = store.add(r, Piece { assoc_id: 9, tsn, eor, bytes, from: &from }, 0, &mut out);
            check(got, added, &out);
            free.push(r);
        }
        if u.arbitrary()? {
            let got = store.settle(0, &mut out);
            check(got, added, &out);
        }
    }
    assert_eq!(done, 1, "the message came out {done} times");
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
