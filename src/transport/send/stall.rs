//! Waiting for room in a full send buffer, bounded per message and per peer.
//!
//! Per message: the send waits at most sctp_send_wait (as the sending process
//! sees it, to a deadline of its own). Per peer: a peer that took nothing during a whole wait (it
//! stopped reading, or every path to it is dead) is marked stalled for a
//! while, and until then its messages that find the buffer full fail at once,
//! so that it cannot hold every worker for a wait per message. The hold
//! doubles with each mark in a row (one wait, two, four, ... up to the
//! ceiling); a send to the peer that goes through ends the row, so a busy but
//! live peer is held off briefly, a dead one for long.
//!
//! This bounds the waiting; it cannot make room. With the kernel's default
//! net.sctp.sndbuf_policy 0 all associations of a socket share its send
//! buffer, so a peer that stopped reading leaves no room for the others
//! either (lifecycle warns about it at startup; the README says to set 1).

use crate::kam::shm::leak_in_shm;
use crate::shared::clock::monotonic_ms64;
use crate::shared::send_stall::StallTable;
use crate::transport::counters;
use crate::transport::ratelimit::Every;
use std::io;
use std::net::SocketAddr;
use std::sync::OnceLock;

/// In shared memory, allocated before the core forks.
static TABLE: OnceLock<&'static StallTable> = OnceLock::new();
static STALLED_LOG: Every = Every::new(10);

/// The ceiling of the hold, at least. Long against a wait: each time a mark
/// runs out, a peer that is still stalled may hold the workers that send to it
/// for one more wait.
const MIN_CEILING_MS: u32 = 10_000;

/// Allocates the table (main process, before fork).
pub fn init() -> bool {
    match leak_in_shm(StallTable::new()) {
        Some(t) => {
            let _ = TABLE.set(t);
            true
        }
        None => {
            log::error!("sctp: no shared memory for the table of stalled peers");
            false
        }
    }
}

/// The longest a peer that let whole waits of `wait_ms` pass stays marked.
pub fn ceiling_ms(wait_ms: u32) -> u32 {
    wait_ms.saturating_mul(4).max(MIN_CEILING_MS)
}

/// A send to `peer` went through without waiting: it takes data again, so its
/// next mark starts from the shortest hold. Costs a hash and a load per send
/// (release writes only over a mark of this peer).
pub fn sent(peer: &SocketAddr) {
    if let Some(table) = TABLE.get() {
        table.release(peer);
    }
}

/// Runs `send_blocking` (a send that waits up to `wait_ms`) for a message to
/// `peer` whose first, non-blocking send found the buffer full; fails with
/// EAGAIN at once when `peer` is marked stalled, and marks it when the wait
/// runs out.
pub fn send_waiting(
    peer: &SocketAddr,
    wait_ms: u32,
    send_blocking: impl FnOnce() -> io::Result<usize>,
) -> io::Result<usize> {
    match TABLE.get() {
        Some(table) => waiting_on(table, monotonic_ms64, peer, wait_ms, send_blocking),
        None => send_blocking(),
    }
}

/// `send_waiting` on `table`, with the clock `now_ms`.
fn waiting_on(
    table: &StallTable,
    now_ms: impl Fn() -> u64,
    peer: &SocketAddr,
    wait_ms: u32,
    send_blocking: impl FnOnce() -> io::Result<usize>,
) -> io::Result<usize> {
    // the clock (a syscall in some VMs) only for a peer that has a mark
    if table.has_mark(peer) && table.is_stalled(peer, now_ms()) {
        return Err(io::Error::from_raw_os_error(libc::EAGAIN));
    }
    counters::SENDQ_WAIT.inc();
    let r = send_blocking();
    if r.is_ok() {
        table.release(peer);
    } else if matches!(&r, Err(e) if e.raw_os_error() == Some(libc::EAGAIN)) {
        let hold = table.mark(peer, now_ms(), wait_ms, ceiling_ms(wait_ms));
        if let Some(left_out) = STALLED_LOG.due() {
            log::warn!(
                "sctp: {peer} took no data for sctp_send_wait ({wait_ms} ms): marked stalled for {hold} ms, its \
                 messages fail without waiting until then ({left_out} more such marks since the last line)"
            );
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn full() -> io::Result<usize> {
        Err(io::Error::from_raw_os_error(libc::EAGAIN))
    }

    #[test]
    fn a_peer_whose_wait_ran_out_fails_at_once_until_its_hold_ends() {
        let t = StallTable::new_for_test();
        let (peer, other): (SocketAddr, SocketAddr) =
            ("10.0.0.1:5060".parse().unwrap(), "10.0.0.2:5060".parse().unwrap());
        let now = Cell::new(1_000_000u64);
        let clock = || now.get();
        let sent = Cell::new(0);
        let send = |r: io::Result<usize>| {
            sent.set(sent.get() + 1);
            r
        };
        // the wait ran out: marked for one wait
        assert!(waiting_on(&t, clock, &peer, 100, || send(full())).is_err());
        assert_eq!(sent.get(), 1);
        // marked: fails with EAGAIN without waiting (no send tried)
        let e = waiting_on(&t, clock, &peer, 100, || send(Ok(1))).unwrap_err();
        assert_eq!((e.raw_os_error(), sent.get()), (Some(libc::EAGAIN), 1));
        // another peer is not held
        assert_eq!(waiting_on(&t, clock, &other, 100, || send(Ok(7))).unwrap(), 7);
        // the hold over: waits again; a second full wait in a row holds twice as long
        now.set(now.get() + 100);
        assert!(waiting_on(&t, clock, &peer, 100, || send(full())).is_err());
        now.set(now.get() + 199);
        assert!(waiting_on(&t, clock, &peer, 100, || panic!("held")).is_err(), "held 200 ms");
        now.set(now.get() + 1);
        // a send that goes through ends the row: the next mark is one wait again
        assert_eq!(waiting_on(&t, clock, &peer, 100, || send(Ok(3))).unwrap(), 3);
        assert!(waiting_on(&t, clock, &peer, 100, || send(full())).is_err());
        now.set(now.get() + 100);
        assert_eq!(waiting_on(&t, clock, &peer, 100, || send(Ok(4))).unwrap(), 4, "held 100 ms only");
    }

    #[test]
    fn other_failures_do_not_mark_the_peer() {
        let t = StallTable::new_for_test();
        let peer: SocketAddr = "[2001:db8::1]:5060".parse().unwrap();
        let clock = || 5000;
        let gone = waiting_on(&t, clock, &peer, 100, || Err(io::Error::from_raw_os_error(libc::EPIPE)));
        assert_eq!(gone.unwrap_err().raw_os_error(), Some(libc::EPIPE));
        assert!(!t.has_mark(&peer));
        assert_eq!(waiting_on(&t, clock, &peer, 100, || Ok(2)).unwrap(), 2);
    }

    #[test]
    fn the_hold_has_a_ceiling_long_against_a_wait() {
        assert_eq!(ceiling_ms(100), MIN_CEILING_MS);
        assert_eq!(ceiling_ms(30_000), 120_000);
        assert_eq!(ceiling_ms(u32::MAX), u32::MAX);
    }
}
