//! The SCTP_SNDRCV control message: found in what recvmsg returns, built for sendmsg.
//!
//! Control messages are walked by hand over the bytes (same rules as the libc
//! CMSG_* macros: a `cmsghdr` header, data aligned to `size_of::<usize>()`), so the
//! parser works on any byte slice and is unit-tested without a socket.

use super::sys;
use crate::pod::{self, write_field};
use std::mem::size_of;

/// Per-message SCTP information (`struct sctp_sndrcvinfo`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SndRcvInfo {
    pub stream: u16,
    pub ssn: u16,
    pub flags: u16,
    pub ppid: u32,
    pub context: u32,
    pub timetolive: u32,
    pub tsn: u32,
    pub cumtsn: u32,
    pub assoc_id: i32,
}

/// `sinfo_flags` bits used here.
pub const FLAG_UNORDERED: u16 = sys::SCTP_UNORDERED as u16;
pub const FLAG_ABORT: u16 = sys::SCTP_ABORT as u16;
/// Ends the association gracefully (SHUTDOWN), after what is queued.
pub const FLAG_EOF: u16 = sys::SCTP_EOF as u16;

impl From<&sys::sctp_sndrcvinfo> for SndRcvInfo {
    fn from(s: &sys::sctp_sndrcvinfo) -> Self {
        SndRcvInfo {
            stream: s.sinfo_stream,
            ssn: s.sinfo_ssn,
            flags: s.sinfo_flags,
            ppid: s.sinfo_ppid,
            context: s.sinfo_context,
            timetolive: s.sinfo_timetolive,
            tsn: s.sinfo_tsn,
            cumtsn: s.sinfo_cumtsn,
            assoc_id: s.sinfo_assoc_id,
        }
    }
}

const HDR: usize = size_of::<libc::cmsghdr>();

const fn align(n: usize) -> usize {
    (n + size_of::<usize>() - 1) & !(size_of::<usize>() - 1)
}

/// CMSG_LEN: header plus `n` data bytes.
pub const fn cmsg_len(n: usize) -> usize {
    align(HDR) + n
}

/// CMSG_SPACE: what one control message with `n` data bytes occupies.
pub const fn cmsg_space(n: usize) -> usize {
    align(HDR) + align(n)
}

const SNDRCV_LEN: usize = size_of::<sys::sctp_sndrcvinfo>();

/// An aligned buffer for the control data of one recvmsg: room for SCTP_SNDRCV and,
/// like the C module, slack for other ancillary data the kernel may add.
#[repr(C, align(8))]
pub struct RecvCmsgBuf(pub [u8; cmsg_space(SNDRCV_LEN) + cmsg_space(1024)]);

impl RecvCmsgBuf {
    pub fn new() -> Self {
        RecvCmsgBuf([0; cmsg_space(SNDRCV_LEN) + cmsg_space(1024)])
    }
}

/// An aligned buffer holding exactly one SCTP_SNDRCV control message, for sendmsg.
#[repr(C, align(8))]
pub struct SendCmsgBuf(pub [u8; cmsg_space(SNDRCV_LEN)]);

impl SendCmsgBuf {
    /// Encodes `info` as an IPPROTO_SCTP/SCTP_SNDRCV control message. Returns the
    /// length to pass as msg_controllen (CMSG_LEN, as some stacks want it exact).
    pub fn encode(&mut self, info: &SndRcvInfo) -> usize {
        // field by field, so that the padding of the structs is 0, not copied
        let b = &mut self.0;
        b.fill(0);
        write_field!(b, libc::cmsghdr, cmsg_len, cmsg_len(SNDRCV_LEN) as _);
        write_field!(b, libc::cmsghdr, cmsg_level, libc::IPPROTO_SCTP);
        write_field!(b, libc::cmsghdr, cmsg_type, sys::SCTP_SNDRCV as i32);
        let d = &mut b[align(HDR)..];
        write_field!(d, sys::sctp_sndrcvinfo, sinfo_stream, info.stream);
        write_field!(d, sys::sctp_sndrcvinfo, sinfo_ssn, info.ssn);
        write_field!(d, sys::sctp_sndrcvinfo, sinfo_flags, info.flags);
        write_field!(d, sys::sctp_sndrcvinfo, sinfo_ppid, info.ppid);
        write_field!(d, sys::sctp_sndrcvinfo, sinfo_context, info.context);
        write_field!(d, sys::sctp_sndrcvinfo, sinfo_timetolive, info.timetolive);
        write_field!(d, sys::sctp_sndrcvinfo, sinfo_tsn, info.tsn);
        write_field!(d, sys::sctp_sndrcvinfo, sinfo_cumtsn, info.cumtsn);
        write_field!(d, sys::sctp_sndrcvinfo, sinfo_assoc_id, info.assoc_id);
        cmsg_len(SNDRCV_LEN)
    }
}

impl Default for SendCmsgBuf {
    fn default() -> Self {
        SendCmsgBuf([0; cmsg_space(SNDRCV_LEN)])
    }
}

/// What the control data of one recvmsg says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecvCtrl {
    /// SCTP_SNDRCV: the message's stream, association, ...
    pub info: Option<SndRcvInfo>,
}

/// Walks the control messages in `ctrl` (the first msg_controllen bytes of a
/// recvmsg control buffer). Stops at a malformed or truncated one (MSG_CTRUNC),
/// keeping what it found before.
pub fn parse_recv_ctrl(ctrl: &[u8]) -> RecvCtrl {
    let mut found = RecvCtrl::default();
    let mut off = 0;
    while off + HDR <= ctrl.len() {
        let hdr: libc::cmsghdr = pod::from_prefix(&ctrl[off..]);
        #[allow(clippy::unnecessary_cast)] // usize on glibc, u32 elsewhere
        let len = hdr.cmsg_len as usize;
        // not `off + len`: a huge cmsg_len would wrap it (off + HDR <= ctrl.len())
        if len < HDR || len > ctrl.len() - off {
            break;
        }
        if hdr.cmsg_level == libc::IPPROTO_SCTP
            && hdr.cmsg_type == sys::SCTP_SNDRCV as i32
            && len >= cmsg_len(SNDRCV_LEN)
            && found.info.is_none()
        {
            let raw: sys::sctp_sndrcvinfo = pod::from_prefix(&ctrl[off + align(HDR)..off + len]);
            found.info = Some(SndRcvInfo::from(&raw));
        }
        off += align(len);
    }
    found
}

/// The SCTP_SNDRCV information among the control messages in `ctrl`.
pub fn find_sndrcv(ctrl: &[u8]) -> Option<SndRcvInfo> {
    parse_recv_ctrl(ctrl).info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SndRcvInfo {
        SndRcvInfo {
            stream: 3,
            ssn: 7,
            flags: FLAG_UNORDERED,
            ppid: 0x1234,
            context: 2,
            timetolive: 32000,
            tsn: 99,
            cumtsn: 98,
            assoc_id: 42,
        }
    }

    #[test]
    fn encode_then_find_round_trips() {
        let mut buf = SendCmsgBuf::default();
        let len = buf.encode(&sample());
        assert_eq!(len, 16 + 32);
        assert_eq!(find_sndrcv(&buf.0[..len]), Some(sample()));
    }

    #[test]
    fn skips_other_control_messages() {
        let mut bytes = vec![0u8; cmsg_space(4) + cmsg_space(SNDRCV_LEN)];
        write_field!(bytes, libc::cmsghdr, cmsg_len, cmsg_len(4) as _);
        write_field!(bytes, libc::cmsghdr, cmsg_level, libc::SOL_IP);
        write_field!(bytes, libc::cmsghdr, cmsg_type, 8);
        let mut one = SendCmsgBuf::default();
        let l = one.encode(&sample());
        bytes[cmsg_space(4)..cmsg_space(4) + l].copy_from_slice(&one.0[..l]);
        assert_eq!(find_sndrcv(&bytes), Some(sample()));
    }

    #[test]
    fn truncated_or_absent_is_none() {
        let mut buf = SendCmsgBuf::default();
        let len = buf.encode(&sample());
        assert_eq!(find_sndrcv(&buf.0[..len - 1]), None);
        assert_eq!(find_sndrcv(&[]), None);
        // a header claiming a length shorter than itself must not loop forever
        assert_eq!(find_sndrcv(&[0u8; 32]), None);
    }

    #[test]
    fn huge_length_after_a_message_is_malformed() {
        // found by fuzzing: off + cmsg_len overflowed and wrapped below the slice's
        // length, passing the bounds check (then: a read beyond the slice, later a
        // slice index panic)
        let mut b = [0u8; 2 * HDR];
        write_field!(b, libc::cmsghdr, cmsg_len, HDR as _);
        let second = &mut b[HDR..];
        write_field!(second, libc::cmsghdr, cmsg_len, (usize::MAX - HDR + 1) as _);
        write_field!(second, libc::cmsghdr, cmsg_level, libc::IPPROTO_SCTP);
        write_field!(second, libc::cmsghdr, cmsg_type, sys::SCTP_SNDRCV as i32);
        assert_eq!(find_sndrcv(&b), None);
    }

    #[test]
    fn wrong_level_is_ignored() {
        let mut buf = SendCmsgBuf::default();
        let len = buf.encode(&sample());
        buf.0[8] = 0; // cmsg_level low byte: IPPROTO_SCTP (132) -> 0
        assert_eq!(find_sndrcv(&buf.0[..len]), None);
    }
}
