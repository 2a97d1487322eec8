//! Control messages as recvmsg returns them, and SCTP_SNDRCV built for sendmsg.
//! Checks, besides the absence of panics and out-of-bounds reads:
//! - on any bytes, at any alignment, `find_sndrcv` agrees with a plain walk
//!   written here from the Linux x86_64 layout (cmsghdr: 8-byte length, level,
//!   type; data 8-aligned; sctp_sndrcvinfo: 32 bytes);
//! - round trip: SCTP_SNDRCV encoded by `SendCmsgBuf`, placed after other
//!   well-formed control messages, is found again, field for field;
//! - cut anywhere, that control data yields nothing.
#![no_main]

use kamailio_sctp::fuzzing::{cmsg_len, cmsg_space, find_sndrcv, SendCmsgBuf, SndRcvInfo};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const HDR: usize = 16;
const IPPROTO_SCTP: i32 = 132;
const SCTP_SNDRCV: i32 = 1;
const SNDRCV_LEN: usize = 32;

fn align8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_ne_bytes(b[o..o + 2].try_into().unwrap())
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

/// The walk of the CMSG_* macros, stopping at the first malformed header.
fn reference(ctrl: &[u8]) -> Option<SndRcvInfo> {
    let mut off = 0;
    while off + HDR <= ctrl.len() {
        let len = u64::from_ne_bytes(ctrl[off..off + 8].try_into().unwrap());
        let level = u32_at(ctrl, off + 8) as i32;
        let kind = u32_at(ctrl, off + 12) as i32;
        if len < HDR as u64 || len > (ctrl.len() - off) as u64 {
            return None;
        }
        let len = len as usize;
        if level == IPPROTO_SCTP && kind == SCTP_SNDRCV && len >= HDR + SNDRCV_LEN {
            let d = off + HDR;
            return Some(SndRcvInfo {
                stream: u16_at(ctrl, d),
                ssn: u16_at(ctrl, d + 2),
                flags: u16_at(ctrl, d + 4),
                ppid: u32_at(ctrl, d + 8),
                context: u32_at(ctrl, d + 12),
                timetolive: u32_at(ctrl, d + 16),
                tsn: u32_at(ctrl, d + 20),
                cumtsn: u32_at(ctrl, d + 24),
                assoc_id: u32_at(ctrl, d + 28) as i32,
            });
        }
        off += align8(len);
    }
    None
}

fn push_other(buf: &mut Vec<u8>, level: i32, kind: i32, data: &[u8]) {
    buf.extend_from_slice(&((HDR + data.len()) as u64).to_ne_bytes());
    buf.extend_from_slice(&level.to_ne_bytes());
    buf.extend_from_slice(&kind.to_ne_bytes());
    buf.extend_from_slice(data);
    buf.resize(align8(buf.len()), 0);
}

fn round_trip(u: &mut Unstructured) -> Result<()> {
    let info = SndRcvInfo {
        stream: u.arbitrary()?,
        ssn: u.arbitrary()?,
        flags: u.arbitrary()?,
        ppid: u.arbitrary()?,
        context: u.arbitrary()?,
        timetolive: u.arbitrary()?,
        tsn: u.arbitrary()?,
        cumtsn: u.arbitrary()?,
        assoc_id: u.arbitrary()?,
    };
    let mut ctrl = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let (level, kind): (i32, i32) = (u.arbitrary()?, u.arbitrary()?);
        // an SCTP_SNDRCV too short to hold the info is skipped, a long enough one is found
        let max = if level == IPPROTO_SCTP && kind == SCTP_SNDRCV { SNDRCV_LEN - 1 } else { 64 };
        let n = u.int_in_range(0..=max)?;
        push_other(&mut ctrl, level, kind, u.bytes(n)?);
    }
    let mut one = SendCmsgBuf::default();
    let len = one.encode(&info);
    assert_eq!(len, cmsg_len(SNDRCV_LEN));
    assert_eq!(one.0.len(), cmsg_space(SNDRCV_LEN));
    ctrl.extend_from_slice(&one.0[..len]);
    assert_eq!(find_sndrcv(&ctrl), Some(info));
    let cut = u.int_in_range(0..=ctrl.len() - 1)?;
    assert_eq!(find_sndrcv(&ctrl[..cut]), None, "cut at {cut} of {}", ctrl.len());
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    // the caller's buffer may sit at any address: shift the input by 0..7 bytes
    let shift = data.first().map_or(0, |b| (b % 8) as usize);
    let mut shifted = vec![0u8; shift];
    shifted.extend_from_slice(data);
    assert_eq!(find_sndrcv(&shifted[shift..]), reference(data));
    let _ = round_trip(&mut Unstructured::new(data));
});
