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

use super::ratelimit::Every;
use super::stats;
use crate::kam::shm::new_stall_table;
use crate::shared::clock::monotonic_ms64;
use crate::shared::send_stall::StallTable;
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
    match new_stall_table() {
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

fn is_stalled(table: &StallTable, peer: &SocketAddr) -> bool {
    // the clock (a syscall in some VMs) only for a peer that has a mark
    table.has_mark(peer) && table.is_stalled(peer, monotonic_ms64())
}

/// Runs `send_blocking` (a send that waits up to `wait_ms`) for a message to `peer` whose first, non-blocking send found the
/// buffer full; fails with EAGAIN at once when `peer` is marked stalled, and
/// marks it when the wait runs out.
pub fn send_waiting(peer: &SocketAddr, wait_ms: u32, send_blocking: impl FnOnce() -> io::Result<usize>) -> io::Result<usize> {
    let Some(table) = TABLE.get() else { return send_blocking() };
    if is_stalled(table, peer) {
        return Err(io::Error::from_raw_os_error(libc::EAGAIN));
    }
    stats::SENDQ_WAIT.inc();
    let r = send_blocking();
    if r.is_ok() {
        sent(peer);
    } else if matches!(&r, Err(e) if e.raw_os_error() == Some(libc::EAGAIN)) {
        let hold = table.mark(peer, monotonic_ms64(), wait_ms, ceiling_ms(wait_ms));
        if let Some(left_out) = STALLED_LOG.due() {
            log::warn!(
                "sctp: {peer} took no data for sctp_send_wait ({wait_ms} ms): marked stalled for {hold} ms, its \
                 messages fail without waiting until then ({left_out} more such marks since the last line)"
            );
        }
    }
    r
}
