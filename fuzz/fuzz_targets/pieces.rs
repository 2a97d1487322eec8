//! Messages the kernel cut, put back together: the SIP framing the receive
//! path judges reads by, and the store of pieces. Checks, besides the absence
//! of panics:
//! - on any bytes, `starts_with_start_line` and `extent` answer (and an
//!   extent is never shorter than the bytes before the body);
//! - a SIP message built from the input, cut at chunk-like boundaries (each
//!   piece longer than its start line) and added in an order the input
//!   picks, comes out whole exactly once, byte for byte, from the last piece
//!   added, and leaves nothing in the store.
#![no_main]

use kamailio_sctp::fuzzing::{extent, starts_with_start_line, Added, Extent, PieceStore, SLOT_BYTES};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fn reassemble(u: &mut Unstructured) -> Result<()> {
    let body_len = u.int_in_range(0..=4000)?;
    let body: Vec<u8> = (0..body_len).map(|i| b'a' + (i % 26) as u8).collect();
    let mut msg = format!(
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/SCTP 10.0.0.1\r\nContent-Length: {body_len}\r\n\r\n"
    )
    .into_bytes();
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
    let mut pieces: Vec<(u32, bool, &[u8])> = cuts
        .windows(2)
        .enumerate()
        .map(|(i, w)| ((i as u32).wrapping_mul(2).wrapping_add(u32::MAX - 8), w[1] == msg.len(), &msg[w[0]..w[1]]))
        .collect();
    // an order of arrival
    for i in (1..pieces.len()).rev() {
        let j = u.int_in_range(0..=i)?;
        pieces.swap(i, j);
    }
    let store = PieceStore::boxed();
    let mut out = vec![0u8; SLOT_BYTES];
    for (k, &(tsn, eor, bytes)) in pieces.iter().enumerate() {
        match store.add(9, tsn, eor, bytes, 0, &mut out) {
            Added::Kept => assert!(k + 1 < pieces.len(), "the last piece did not complete it"),
            Added::Complete(n) => {
                assert_eq!(k + 1, pieces.len(), "complete before its last piece");
                assert_eq!(&out[..n], &msg[..]);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(store.open(), 0);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = starts_with_start_line(data);
    if let Extent::Length(n) = extent(data) {
        assert!(n >= 4, "a message with headers is at least their empty line");
    }
    let _ = reassemble(&mut Unstructured::new(data));
});
