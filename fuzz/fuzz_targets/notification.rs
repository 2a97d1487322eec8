//! SCTP notifications as recvmsg returns them (MSG_NOTIFICATION): any bytes.
//! Checks, besides the absence of panics and out-of-bounds reads:
//! - errors only for input shorter than the header or than the event needs, and
//!   padding the input to the length an error names makes it parse;
//! - bytes after the fields read change nothing (but SEND_FAILED's data);
//! - SEND_FAILED's data lies inside the input, after the fixed part;
//! - the Display form (logged for every event) never panics.
#![no_main]

use kamailio_sctp::fuzzing::{parse_notification, Notification, ParseError};
use libfuzzer_sys::fuzz_target;

/// type, flags, length: every notification starts with them.
const HEADER_LEN: usize = 8;

fuzz_target!(|data: &[u8]| {
    let n = match parse_notification(data) {
        Ok(n) => n,
        Err(ParseError::NoHeader { len }) => {
            assert_eq!(len, data.len());
            assert!(len < HEADER_LEN);
            return;
        }
        Err(ParseError::TooShort { len, need, .. }) => {
            assert_eq!(len, data.len());
            assert!(len >= HEADER_LEN && len < need, "{len} {need}");
            let mut padded = data.to_vec();
            padded.resize(need, 0);
            assert!(parse_notification(&padded).is_ok(), "{need} bytes should be enough");
            return;
        }
    };
    assert!(data.len() >= HEADER_LEN);
    let _ = n.to_string();
    let kind = u16::from_ne_bytes([data[0], data[1]]);
    match n {
        Notification::Other { kind: k } => assert_eq!(k, kind),
        Notification::SendFailed { data: undelivered, .. } => {
            let start = undelivered.as_ptr() as usize - data.as_ptr() as usize;
            assert!(start <= data.len() && start + undelivered.len() <= data.len());
            // undelivered data follows the fixed part, whose length is where it starts
            // for any input: check it against a longer input of the same prefix
            let mut longer = data.to_vec();
            longer.extend_from_slice(&[0xa5; 16]);
            match parse_notification(&longer) {
                Ok(Notification::SendFailed { data: d, .. }) => {
                    assert_eq!(d.as_ptr() as usize - longer.as_ptr() as usize, start)
                }
                other => panic!("{other:?}"),
            }
        }
        _ => {
            let mut longer = data.to_vec();
            longer.extend_from_slice(&[0xa5; 160]);
            assert_eq!(parse_notification(&longer), Ok(n));
        }
    }
});
