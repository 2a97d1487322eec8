//! One-to-many SCTP sockets: create, bind (with sctp_bindx for extra addresses),
//! listen, and message I/O with the SCTP_SNDRCV control message.

use super::cmsg::{parse_recv_ctrl, RecvCmsgBuf, SendCmsgBuf, SndRcvInfo};
use super::sys;
use crate::sockaddr::{RawAddr, STORAGE_LEN};
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// Creates a one-to-many (SOCK_SEQPACKET) SCTP socket of `addr`'s family.
pub fn open_one_to_many(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let s = Socket::new(Domain::for_address(*addr), Type::SEQPACKET, Some(Protocol::from(libc::IPPROTO_SCTP)))?;
    Ok(s.into())
}

/// Whether this kernel can create SCTP sockets at all.
pub fn kernel_supports_sctp() -> bool {
    Socket::new(Domain::IPV4, Type::SEQPACKET, Some(Protocol::from(libc::IPPROTO_SCTP))).is_ok()
}

/// Whether a send failed because its association no longer exists, so that
/// the message can only go out on a new one, by address: EPIPE (shut down or
/// aborted before the send) or `died_while_waiting`.
pub fn association_gone(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EPIPE) || died_while_waiting(e)
}

/// Whether a blocking send failed because its association was aborted while
/// the send waited for room in the send buffer: ESRCH (Linux 6.1 returns that
/// where older kernels gave EPIPE). Sent again by address, the message opens
/// a new association.
pub fn died_while_waiting(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ESRCH)
}

/// A borrowed SCTP socket descriptor, open for `'fd`: never closed from here.
/// (The listen sockets are owned by the Kamailio core's socket_info, shared by
/// all processes after fork, open for the life of the process.) Calls on a
/// descriptor that is not an SCTP socket fail with an error.
#[derive(Clone, Copy, Debug)]
pub struct SctpSocket<'fd>(BorrowedFd<'fd>);

/// Whether a send may wait for room in a full send buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    No,
    /// Up to this long, measured by the calling process itself: the socket's
    /// SO_SNDTIMEO is shared by every process and is never relied on.
    UpTo(Duration),
}

/// How long a receive may wait for something to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvWait {
    /// Blocks until there is (no kernel timer armed).
    Forever,
    /// A poll of at most so many milliseconds, then a non-blocking read.
    Ms(u32),
}

/// What one recvmsg call returned.
#[derive(Clone, Copy, Debug)]
pub struct Received {
    pub len: usize,
    /// The bytes are an SCTP notification, not user data.
    pub notification: bool,
    /// The bytes end a message (MSG_EOR); without it the message was cut.
    pub end_of_record: bool,
    /// The SCTP_SNDRCV information, when the kernel sent it.
    pub info: Option<SndRcvInfo>,
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

impl<'fd> SctpSocket<'fd> {
    pub fn new(fd: BorrowedFd<'fd>) -> Self {
        SctpSocket(fd)
    }

    /// # Safety
    /// `fd` is an open descriptor (so not -1) that stays open for `'fd`, which
    /// the caller chooses: for `'static`, the rest of the process.
    pub unsafe fn from_raw(fd: RawFd) -> Self {
        // SAFETY: the caller's promise is BorrowedFd's contract.
        SctpSocket(unsafe { BorrowedFd::borrow_raw(fd) })
    }

    pub fn fd(self) -> RawFd {
        self.0.as_raw_fd()
    }

    pub fn bind(self, addr: &SocketAddr) -> io::Result<()> {
        let raw = RawAddr::from_socket_addr(addr);
        // SAFETY: raw holds a valid sockaddr of raw.len() bytes (within its
        // storage) for the whole call.
        cvt(unsafe { libc::bind(self.fd(), raw.as_ptr(), raw.len()) }).map(drop)
    }

    /// Adds one more local address to the bound socket (multi-homing).
    pub fn bindx_add(self, addr: &SocketAddr) -> io::Result<()> {
        let mut raw = RawAddr::from_socket_addr(addr);
        // SAFETY: libsctp reads exactly one sockaddr of the family's size from the
        // pointer (addrcnt 1); raw outlives the call.
        cvt(unsafe {
            sys::sctp_bindx(self.fd(), raw.as_mut_ptr() as *mut sys::sockaddr, 1, sys::SCTP_BINDX_ADD_ADDR as i32)
        })
        .map(drop)
    }

    pub fn listen(self, backlog: i32) -> io::Result<()> {
        // SAFETY: plain syscall on a descriptor.
        cvt(unsafe { libc::listen(self.fd(), backlog) }).map(drop)
    }

    /// Receives one message (or notification, or piece of either), waiting
    /// for one up to `wait`: `Forever` (or the socket's SO_RCVTIMEO), or at
    /// most so many milliseconds (then EAGAIN). The source address lands in
    /// `from`, the control data in `ctrl`.
    pub fn recv(
        self,
        buf: &mut [u8],
        from: &mut RawAddr,
        ctrl: &mut RecvCmsgBuf,
        wait: RecvWait,
    ) -> io::Result<Received> {
        let flags = match wait {
            RecvWait::Forever => 0,
            RecvWait::Ms(ms) => {
                if !self.readable_within(ms)? {
                    return Err(io::Error::from_raw_os_error(libc::EAGAIN));
                }
                // another reader of the socket may take what woke the poll
                libc::MSG_DONTWAIT
            }
        };
        let mut iov = libc::iovec { iov_base: buf.as_mut_ptr() as *mut libc::c_void, iov_len: buf.len() };
        // SAFETY: msghdr is plain data; all-zero is valid and we set every pointer.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = from.as_mut_ptr() as *mut libc::c_void;
        msg.msg_namelen = STORAGE_LEN as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctrl.0.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = ctrl.0.len();
        // SAFETY: every buffer msg points to is valid and writable for the lengths
        // given, and lives across the call.
        let n = unsafe { libc::recvmsg(self.fd(), &mut msg, flags) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        from.set_len(msg.msg_namelen);
        let ctrl_len = msg.msg_controllen.min(ctrl.0.len());
        let found = parse_recv_ctrl(&ctrl.0[..ctrl_len]);
        Ok(Received {
            len: n as usize,
            notification: msg.msg_flags & sys::MSG_NOTIFICATION as i32 != 0,
            end_of_record: msg.msg_flags & libc::MSG_EOR != 0,
            info: found.info,
        })
    }

    /// Whether something can be read within `ms` milliseconds (a signal
    /// counts as nothing).
    fn readable_within(self, ms: u32) -> io::Result<bool> {
        match poll_one(self.fd(), libc::POLLIN, ms.min(i32::MAX as u32) as i32) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(false),
            r => r,
        }
    }

    /// Sends `buf` as one message. With `to` the kernel picks or opens the
    /// association to that address; with `to == None` it uses `info.assoc_id`.
    /// Retries on EINTR. A full send buffer is EAGAIN, at once with
    /// `Wait::No`, after the wait with `Wait::UpTo`.
    pub fn send(
        self,
        buf: &[u8],
        to: Option<&RawAddr>,
        info: &SndRcvInfo,
        ctrl: &mut SendCmsgBuf,
        wait: Wait,
    ) -> io::Result<usize> {
        let ctrl_len = ctrl.encode(info);
        self.send_with_ctrl(buf, to, &ctrl.0[..ctrl_len], wait)
    }

    /// Sends `buf` as one message with the encoded control messages `ctrl`
    /// (whole control messages only); `to` and `wait` as for `send`.
    ///
    /// Every sendmsg is non-blocking. A wait polls for POLLOUT until this
    /// process's own deadline, so no runtime change of SO_SNDTIMEO by another
    /// process (0 is "for ever") can make it block without a bound.
    pub fn send_with_ctrl(self, buf: &[u8], to: Option<&RawAddr>, ctrl: &[u8], wait: Wait) -> io::Result<usize> {
        let mut iov = libc::iovec { iov_base: buf.as_ptr() as *mut libc::c_void, iov_len: buf.len() };
        // SAFETY: msghdr is plain data; all-zero is valid and we set every pointer.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        if let Some(to) = to {
            msg.msg_name = to.as_ptr() as *mut libc::c_void;
            msg.msg_namelen = to.len();
        }
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctrl.as_ptr() as *mut libc::c_void;
        msg.msg_controllen = ctrl.len();
        let mut room = match wait {
            Wait::No => None,
            Wait::UpTo(d) => Some(RoomWait::until(Instant::now() + d)),
        };
        loop {
            // SAFETY: the kernel only reads from the buffers msg points to
            // (iov_base and msg_control are cast to *mut as the C API wants,
            // never written); all outlive the call.
            let n = unsafe { libc::sendmsg(self.fd(), &msg, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            let again = match (e.raw_os_error(), room.as_mut()) {
                (Some(libc::EINTR), _) => true,
                (Some(libc::EAGAIN), Some(room)) => room.wait(self.fd())?,
                _ => false,
            };
            if !again {
                return Err(e);
            }
        }
    }
}

/// Polls `fd` for `events` up to `ms` milliseconds: whether it became ready
/// (a signal is the Interrupted error).
fn poll_one(fd: RawFd, events: libc::c_short, ms: i32) -> io::Result<bool> {
    let mut pfd = libc::pollfd { fd, events, revents: 0 };
    // SAFETY: one valid pollfd, living across the call.
    let r = unsafe { libc::poll(&mut pfd, 1, ms) };
    if r == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(r > 0)
}

/// One send's wait for room, to a deadline of its own.
struct RoomWait {
    deadline: Instant,
    /// Polls in a row that returned at once and yet left no room for this
    /// send: POLLOUT that does not mean room for it (the kernel's memory
    /// accounting said no). Polls that slept until room came, and lost it to
    /// another sender, are the normal race and do not count.
    spins: u32,
}

impl RoomWait {
    /// A poll that returns sooner than this did not sleep.
    const AT_ONCE: Duration = Duration::from_micros(200);
    /// Spins tolerated before each further round pauses first.
    const MAX_SPINS: u32 = 3;
    const PAUSE: Duration = Duration::from_millis(2);

    fn until(deadline: Instant) -> Self {
        RoomWait { deadline, spins: 0 }
    }

    /// Waits until the socket may take data again; `false` once the deadline
    /// has passed.
    fn wait(&mut self, fd: RawFd) -> io::Result<bool> {
        let mut now = Instant::now();
        if self.spins >= Self::MAX_SPINS {
            std::thread::sleep(Self::PAUSE.min(self.deadline.saturating_duration_since(now)));
            now = Instant::now();
        }
        let left = self.deadline.saturating_duration_since(now);
        if left.is_zero() {
            return Ok(false);
        }
        // rounded up: a poll that returns early would only poll again
        let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        let ready = match poll_one(fd, libc::POLLOUT, ms) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(true),
            r => r?,
        };
        self.spins = if ready && now.elapsed() < Self::AT_ONCE { self.spins + 1 } else { 0 };
        // room, or the deadline passed: one more try either way (it can only
        // help, and costs a syscall)
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::{association_gone, died_while_waiting, SctpSocket, Wait};
    use std::io;
    use std::os::fd::{AsFd, OwnedFd};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// A connected pair of unix SEQPACKET sockets whose first end cannot take
    /// one more 1000-byte message, and whose SO_SNDTIMEO is 0 ("wait for
    /// ever"), as another process may leave it.
    fn full_pair() -> (OwnedFd, OwnedFd) {
        let (a, b) = socket2::Socket::pair(socket2::Domain::UNIX, socket2::Type::SEQPACKET, None).unwrap();
        a.set_send_buffer_size(4096).unwrap();
        a.set_write_timeout(None).unwrap();
        let s = SctpSocket::new(a.as_fd());
        while s.send_with_ctrl(&[0; 1000], None, &[], Wait::No).is_ok() {}
        (a.into(), b.into())
    }

    /// Sends 1000 bytes from another thread; what it returned, and when.
    fn send_in_thread(fd: OwnedFd, wait: Wait) -> mpsc::Receiver<(io::Result<usize>, Duration)> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let t0 = Instant::now();
            let r = SctpSocket::new(fd.as_fd()).send_with_ctrl(&[0; 1000], None, &[], wait);
            let _ = tx.send((r, t0.elapsed()));
        });
        rx
    }

    #[test]
    #[cfg_attr(miri, ignore = "needs a real socket")]
    fn a_wait_for_room_ends_at_its_own_deadline_whatever_the_socket_timeout() {
        let (a, _b) = full_pair();
        let rx = send_in_thread(a, Wait::UpTo(Duration::from_millis(200)));
        let (r, took) = rx.recv_timeout(Duration::from_secs(10)).expect("the send blocked past its wait");
        assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EAGAIN));
        assert!(took >= Duration::from_millis(200), "gave up after {took:?}");
    }

    #[test]
    #[cfg_attr(miri, ignore = "needs a real socket")]
    fn a_waiting_send_goes_out_once_there_is_room() {
        let (a, b) = full_pair();
        let rx = send_in_thread(a, Wait::UpTo(Duration::from_secs(20)));
        std::thread::sleep(Duration::from_millis(100));
        // drain the peer (a unix socket is writable again only once most of
        // its buffer is free)
        let mut buf = [0u8; 2000];
        // SAFETY: buf is writable for its length.
        while unsafe {
            libc::recv(std::os::fd::AsRawFd::as_raw_fd(&b), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT)
        } == 1000
        {}
        let (r, took) = rx.recv_timeout(Duration::from_secs(10)).expect("the send did not see the room");
        assert_eq!(r.unwrap(), 1000);
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }

    #[test]
    #[cfg_attr(miri, ignore = "needs a real socket")]
    fn without_a_wait_a_full_buffer_fails_at_once() {
        let (a, _b) = full_pair();
        let r = SctpSocket::new(a.as_fd()).send_with_ctrl(&[0; 1000], None, &[], Wait::No);
        assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EAGAIN));
    }

    #[test]
    fn a_gone_association_is_epipe_or_esrch_only() {
        let e = io::Error::from_raw_os_error;
        assert!(association_gone(&e(libc::EPIPE)));
        assert!(association_gone(&e(libc::ESRCH)));
        assert!(died_while_waiting(&e(libc::ESRCH)));
        assert!(!died_while_waiting(&e(libc::EPIPE)));
        for errno in [libc::EAGAIN, libc::EINVAL, libc::ECONNRESET, libc::EINTR] {
            assert!(!association_gone(&e(errno)), "errno {errno}");
        }
    }
}
