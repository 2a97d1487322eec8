//! Association accounting and tracking for the whole instance: the shared table
//! (created before the core forks), and what the receive, event and send paths
//! ask of it.
//!
//! Receivers call `came_up`, `went_down` and `conn_id_for` after their reads,
//! in whatever order they get there: a message or COMM_UP accounted before
//! its association's COMM_UP is tracked all the same, one accounted after its
//! COMM_LOST or SHUTDOWN_COMP is not tracked again (the table remembers what
//! went down lately), and the open count is a plain sum.

use crate::kam::shm::Shm;
use crate::shared::assoc_memo::AssocMemo;
use crate::shared::assoc_table::{AddrAdded, AssocKey, AssocTable, PeerAddr, SharedAlloc, TrackError, Tracked};
use crate::transport::ratelimit::Every;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock, TryLockError};

type Table = AssocTable<Shm>;

static TABLE: OnceLock<Table> = OnceLock::new();
static UNTRACKED_LOG: Every = Every::new(10);

/// This process's recent answers of the table (the message paths' lookups
/// of a steady association take no lock on the table); see AssocMemo. A
/// process-wide static, not a thread-local: Kamailio's processes run one
/// thread, the lock is never contended, and a thread-local of a shared
/// object costs a call into the dynamic loader on every access.
static MEMO: Mutex<AssocMemo> = Mutex::new(AssocMemo::new());

/// `with` on this process's memo, or `without` it when it is already in use
/// (never: the paths that ask the table do not nest).
fn with_memo<R>(with: impl FnOnce(&mut AssocMemo) -> R, without: impl FnOnce() -> R) -> R {
    match MEMO.try_lock() {
        Ok(mut m) => with(&mut m),
        // a panic while it was held left nothing half-written that matters:
        // every slot is a whole answer or empty
        Err(TryLockError::Poisoned(p)) => with(&mut p.into_inner()),
        Err(TryLockError::WouldBlock) => without(),
    }
}

/// Creates the shared table (main process, before fork), with hash buckets for
/// about a quarter of sctp_max_assocs (chains of 4 at the limit), at least
/// the default.
pub fn init(max_assocs: Option<u32>) -> bool {
    if TABLE.get().is_some() {
        return true;
    }
    let buckets = Table::buckets_for(max_assocs.unwrap_or(0) as usize / 4);
    match Table::new(Shm, buckets) {
        Some(t) => {
            log::debug!("association table with {buckets} buckets per index");
            TABLE.set(t).is_ok()
        }
        None => {
            log::error!("cannot allocate the association table in shared memory (shm too small?)");
            false
        }
    }
}

fn table() -> Option<&'static Table> {
    TABLE.get()
}

/// Tracks (or finds) an association; its connection id, 0 when it cannot be
/// tracked (logged, at most once per interval).
fn track<A: SharedAlloc>(t: &AssocTable<A>, key: AssocKey, peer: &SocketAddr) -> u32 {
    let peer_addr = &PeerAddr::from(peer);
    logged(key, peer, with_memo(|m| m.upsert(t, key, peer_addr), || t.upsert(key, peer_addr)))
}

/// The connection id of an answer of the table, 0 when it refused (logged,
/// at most once per interval, when for want of memory).
#[inline]
fn logged(key: AssocKey, peer: &SocketAddr, r: Result<u32, TrackError>) -> u32 {
    match r {
        Ok(id) => id,
        Err(e) => refused(key, peer, e),
    }
}

#[cold]
fn refused(key: AssocKey, peer: &SocketAddr, e: TrackError) -> u32 {
    // Gone: another receiver accounted for its end, nothing to say
    if e == TrackError::NoMemory {
        if let Some(more) = UNTRACKED_LOG.due() {
            log::error!(
                "association {} with {peer} cannot be tracked: {e} ({more} more since the last such line); \
                 replies go by address, raise shm (-m)",
                key.assoc_id
            );
        }
    }
    0
}

/// Open associations now (0 before init).
pub fn opened() -> i32 {
    table().map_or(0, |t| t.opened())
}

/// Tracked associations, or -1 with tracking off (as the C module reports it).
pub fn tracked_for_display(tracking_on: bool) -> i32 {
    match (tracking_on, table()) {
        (true, Some(t)) => t.tracked() as i32,
        (true, None) => 0,
        (false, _) => -1,
    }
}

/// Connection ids handed out since start.
pub fn total_ids() -> u32 {
    table().map_or(0, |t| t.total_ids())
}

/// An association came up; returns how many are open now, and its connection
/// id (0: not tracked).
pub fn came_up(key: AssocKey, peer: Option<&SocketAddr>, tracking: bool) -> (i32, i32) {
    table().map_or((0, 0), |t| came_up_in(t, key, peer, tracking))
}

/// An association went down (closed, lost, or autoclosed); returns the
/// connection id it had (0: not tracked).
pub fn went_down(key: AssocKey, tracking: bool) -> i32 {
    table().map_or(0, |t| went_down_in(t, key, tracking))
}

/// The connection id for a message received on an association, tracking it if
/// it is not yet (tracking was turned on after it came up, or its COMM_UP
/// is still with another receiver); 0 after it went down. `memo`: the
/// receiver's own, so that a steady association costs no lock at all.
pub fn conn_id_for(memo: &mut AssocMemo, key: AssocKey, peer: &SocketAddr) -> i32 {
    table().map_or(0, |t| conn_id_for_in(t, memo, key, peer))
}

pub(crate) fn conn_id_for_in<A: SharedAlloc>(
    t: &AssocTable<A>,
    memo: &mut AssocMemo,
    key: AssocKey,
    peer: &SocketAddr,
) -> i32 {
    logged(key, peer, memo.upsert(t, key, &PeerAddr::from(peer))) as i32
}

pub(crate) fn came_up_in<A: SharedAlloc>(
    t: &AssocTable<A>,
    key: AssocKey,
    peer: Option<&SocketAddr>,
    tracking: bool,
) -> (i32, i32) {
    let open = t.opened_inc();
    let id = match (tracking, peer) {
        (true, Some(peer)) => track(t, key, peer) as i32,
        _ => 0,
    };
    (open, id)
}

pub(crate) fn went_down_in<A: SharedAlloc>(t: &AssocTable<A>, key: AssocKey, tracking: bool) -> i32 {
    t.opened_dec();
    match tracking {
        true => t.remove(key).map_or(0, |id| id as i32),
        false => 0,
    }
}

/// The open association behind a connection id.
#[inline(always)]
pub fn lookup(conn_id: i32) -> Option<Tracked> {
    (conn_id > 0).then_some(())?;
    let (t, id) = (table()?, conn_id as u32);
    with_memo(|m| m.by_id(t, id), || t.by_id(id))
}

/// The connection id of a tracked association (locks one partition briefly).
pub fn conn_id_of(key: AssocKey) -> Option<u32> {
    table()?.id_of(key)
}

/// Whether an association to `peer` from socket `sock` is tracked.
pub fn has_peer(sock: i32, peer: &SocketAddr) -> bool {
    table().is_some_and(|t| t.by_peer(sock, &PeerAddr::from(peer)).is_some())
}

/// The association id of a tracked association of socket `sock` that has
/// `peer` among its addresses.
pub fn assoc_of_peer(sock: i32, peer: &SocketAddr) -> Option<i32> {
    table()?.by_peer(sock, &PeerAddr::from(peer)).map(|(_, assoc_id)| assoc_id)
}

/// One more address leads to a tracked association (logged when it cannot).
pub fn add_peer_addr(key: AssocKey, peer: &SocketAddr) {
    let Some(t) = table() else { return };
    match t.add_peer_addr(key, &PeerAddr::from(peer)) {
        AddrAdded::Added | AddrAdded::AlreadyKnown | AddrAdded::NoAssociation => {}
        AddrAdded::Full => log::debug!("association {}: too many peer addresses, {peer} not indexed", key.assoc_id),
        AddrAdded::NoMemory => {
            if let Some(more) = UNTRACKED_LOG.due() {
                log::error!(
                    "association {}: peer address {peer} cannot be indexed: shared memory is exhausted \
                     ({more} more since the last such line)",
                    key.assoc_id
                );
            }
        }
    }
}

/// An address no longer leads to a tracked association.
pub fn remove_peer_addr(key: AssocKey, peer: &SocketAddr) {
    if let Some(t) = table() {
        t.remove_peer_addr(key, &PeerAddr::from(peer));
    }
}

/// Tracked associations now.
pub fn tracked() -> u32 {
    table().map_or(0, |t| t.tracked())
}

/// Forgets every tracked association (tracking turned off or back on).
pub fn flush() {
    if let Some(t) = table() {
        let n = t.flush();
        log::debug!("association tracking flushed ({n} entries)");
    }
}

#[cfg(test)]
#[path = "tracking_order_tests.rs"]
mod order_tests;
