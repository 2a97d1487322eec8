//! Multihomed peers at the socket level: opening an association with all of a
//! peer's addresses in one non-blocking sendmsg, and asking the kernel which
//! association an address belongs to. (An association's peer addresses are
//! read by `assoc_status::peer_addrs`.)
//!
//! Why sendmsg with SCTP_DSTADDRV4/V6 rather than sctp_connectx: on a
//! one-to-many socket that the core opened blocking, connectx waits for the
//! handshake (seconds when a path is down) in a SIP worker; sendmsg with
//! MSG_DONTWAIT creates the association with every address (Linux 4.17 and
//! later), queues the message and returns at once. The kernel retransmits the
//! INIT to the peer's other addresses when the first one does not answer, and
//! refuses (EISCONN / EALREADY) when one of the addresses already belongs to
//! another association of the socket.

use super::cmsg::{cmsg_len, cmsg_space, SendCmsgBuf, SndRcvInfo};
use super::socket::{SctpSocket, Wait};
use super::sys;
use crate::pod::write_field;
use crate::sockaddr::RawAddr;
use std::io;
use std::mem::size_of;
use std::net::SocketAddr;

/// The most extra addresses one send carries.
pub const MAX_EXTRA: usize = 16;

const SNDRCV_SPACE: usize = cmsg_space(size_of::<sys::sctp_sndrcvinfo>());
const ADDR_SPACE: usize = cmsg_space(16);
const HDR: usize = size_of::<libc::cmsghdr>();

/// Control data: SCTP_SNDRCV, then one SCTP_DSTADDRV4/V6 per extra address.
#[repr(C, align(8))]
struct MultiCmsgBuf([u8; SNDRCV_SPACE + MAX_EXTRA * ADDR_SPACE]);

impl MultiCmsgBuf {
    /// Encodes `info` and `extra` (at most MAX_EXTRA, the rest left out);
    /// returns the length of the control data.
    fn encode(&mut self, info: &SndRcvInfo, extra: &[SocketAddr]) -> usize {
        let mut first = SendCmsgBuf::default();
        let first_len = first.encode(info);
        let b = &mut self.0;
        b.fill(0);
        b[..first.0.len()].copy_from_slice(&first.0);
        if extra.is_empty() {
            return first_len;
        }
        let mut off = SNDRCV_SPACE;
        let mut end = first_len;
        for a in extra.iter().take(MAX_EXTRA) {
            let mut ip = [0u8; 16];
            let (ty, n) = match a {
                SocketAddr::V4(v4) => {
                    ip[..4].copy_from_slice(&v4.ip().octets());
                    (sys::SCTP_DSTADDRV4, 4)
                }
                SocketAddr::V6(v6) => {
                    ip = v6.ip().octets();
                    (sys::SCTP_DSTADDRV6, 16)
                }
            };
            let c = &mut b[off..];
            write_field!(c, libc::cmsghdr, cmsg_len, cmsg_len(n) as _);
            write_field!(c, libc::cmsghdr, cmsg_level, libc::IPPROTO_SCTP);
            write_field!(c, libc::cmsghdr, cmsg_type, ty as i32);
            let data = cmsg_space(0);
            c[data..data + n].copy_from_slice(&ip[..n]);
            end = off + cmsg_len(n);
            off += cmsg_space(n);
        }
        // every message but the last padded to its space, the last exact
        debug_assert!(end <= b.len() && HDR <= cmsg_space(0));
        end
    }
}

/// Sends `buf` to `to` without blocking; when this opens a new association,
/// it is opened with `extra` as further peer addresses (all of `to`'s port).
/// An existing association to `to` is used as it is.
pub fn send_with_addrs(
    sock: SctpSocket<'_>,
    buf: &[u8],
    to: &SocketAddr,
    extra: &[SocketAddr],
    info: &SndRcvInfo,
) -> io::Result<usize> {
    let mut ctrl = MultiCmsgBuf([0; SNDRCV_SPACE + MAX_EXTRA * ADDR_SPACE]);
    let ctrl_len = ctrl.encode(info, extra);
    let raw = RawAddr::from_socket_addr(to);
    sock.send_with_ctrl(buf, Some(&raw), &ctrl.0[..ctrl_len], Wait::No)
}

/// `struct sctp_paddrinfo` is packed in the kernel (the address at offset 4),
/// which bindgen cannot express: handled as bytes.
const PADDRINFO_LEN: usize = 152;
const PADDRINFO_ADDR: usize = 4;

/// The association of `sock` that has `addr` among its peer addresses, as
/// the kernel knows it (None when there is none).
pub fn assoc_of_addr(sock: SctpSocket<'_>, addr: &SocketAddr) -> Option<i32> {
    let raw = RawAddr::from_socket_addr(addr);
    let mut buf = [0u8; PADDRINFO_LEN];
    let a = raw.storage_bytes();
    buf[PADDRINFO_ADDR..PADDRINFO_ADDR + a.len()].copy_from_slice(a);
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: buf is writable for len bytes, the kernel writes at most that.
    let r = unsafe {
        libc::getsockopt(
            sock.fd(),
            libc::IPPROTO_SCTP,
            sys::SCTP_GET_PEER_ADDR_INFO as i32,
            buf.as_mut_ptr() as *mut libc::c_void,
            &mut len,
        )
    };
    (r == 0).then(|| i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dstaddr_messages_follow_sndrcv() {
        let mut b = MultiCmsgBuf([0; SNDRCV_SPACE + MAX_EXTRA * ADDR_SPACE]);
        let info = SndRcvInfo { assoc_id: 3, ..Default::default() };
        let only = b.encode(&info, &[]);
        assert_eq!(only, cmsg_len(size_of::<sys::sctp_sndrcvinfo>()));
        let extra: [SocketAddr; 2] = ["198.18.2.2:5060".parse().unwrap(), "[2001:db8::2]:5060".parse().unwrap()];
        let len = b.encode(&info, &extra);
        assert_eq!(len, SNDRCV_SPACE + cmsg_space(4) + cmsg_len(16));
        let h1: libc::cmsghdr = crate::pod::from_prefix(&b.0[SNDRCV_SPACE..]);
        assert_eq!((h1.cmsg_level, h1.cmsg_type as u32), (libc::IPPROTO_SCTP, sys::SCTP_DSTADDRV4));
        #[allow(clippy::unnecessary_cast)] // usize on glibc, u32 elsewhere
        let h1_len = h1.cmsg_len as usize;
        assert_eq!(h1_len, cmsg_len(4));
        let d = SNDRCV_SPACE + cmsg_space(0);
        assert_eq!(&b.0[d..d + 4], &[198, 18, 2, 2]);
        let h2: libc::cmsghdr = crate::pod::from_prefix(&b.0[SNDRCV_SPACE + cmsg_space(4)..]);
        assert_eq!(h2.cmsg_type as u32, sys::SCTP_DSTADDRV6);
        let many = vec![extra[0]; 40];
        assert_eq!(b.encode(&info, &many), SNDRCV_SPACE + (MAX_EXTRA - 1) * cmsg_space(4) + cmsg_len(4));
    }

    #[test]
    #[cfg_attr(miri, ignore = "needs a real socket")]
    fn a_socket_that_is_not_sctp_fails_cleanly() {
        use std::os::fd::AsFd;
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let s = SctpSocket::new(udp.as_fd());
        assert_eq!(assoc_of_addr(s, &"127.0.0.1:5060".parse().unwrap()), None);
    }
}
