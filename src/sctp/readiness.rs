//! Waiting for a socket to become readable without reading from it, so that the
//! read itself can be a short, non-blocking step.
//!
//! Several processes wait on the same socket; EPOLLEXCLUSIVE wakes one of them
//! per arrival rather than all (the kernel's blocking recvmsg does the same),
//! and skips processes that are not waiting (stopped, busy).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub struct ReadWaiter {
    epoll: OwnedFd,
}

impl ReadWaiter {
    /// A waiter for `fd` in this process. Registering a descriptor with epoll
    /// touches no memory of ours, whatever `fd` is; a bad one is an error.
    pub fn new(fd: RawFd) -> io::Result<Self> {
        // SAFETY: plain syscall; the result is checked before use.
        let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if ep < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: ep is a new descriptor that nothing else owns.
        let epoll = unsafe { OwnedFd::from_raw_fd(ep) };
        let mut ev = libc::epoll_event { events: (libc::EPOLLIN | libc::EPOLLEXCLUSIVE) as u32, u64: fd as u64 };
        // SAFETY: ev is a valid epoll_event for the duration of the call.
        if unsafe { libc::epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(ReadWaiter { epoll })
    }

    /// Blocks until the socket is readable (`true`) or `timeout_ms` passed
    /// (`false`). EINTR counts as a timeout.
    pub fn wait(&self, timeout_ms: i32) -> io::Result<bool> {
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: room for exactly one event, as maxevents says.
        let n = unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), &mut ev, 1, timeout_ms) };
        match n {
            0 => Ok(false),
            n if n > 0 => Ok(true),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}
