//! Association accounting and tracking for the whole instance: the shared table
//! (created before the core forks), and what the receive, event and send paths
//! ask of it.

use crate::kam::shm::new_assoc_table;
use crate::shared::assoc_table::{AssocKey, AssocTable, PeerAddr, Tracked};
use crate::shared::clock::monotonic_secs;
use std::net::SocketAddr;
use std::sync::OnceLock;

/// Entries when sctp_max_assocs does not ask for more (about 1 MiB of shm).
const DEFAULT_CAPACITY: usize = 16384;

static TABLE: OnceLock<AssocTable> = OnceLock::new();

/// Creates the shared table (main process, before fork).
pub fn init(max_assocs: Option<u32>) -> bool {
    if TABLE.get().is_some() {
        return true;
    }
    let wanted = DEFAULT_CAPACITY.max(max_assocs.unwrap_or(0) as usize * 2);
    match new_assoc_table(wanted) {
        Some(t) => {
            log::debug!("association table for {} entries", t.capacity());
            TABLE.set(t).is_ok()
        }
        None => {
            log::error!("cannot allocate the association table in shared memory (shm too small?)");
            false
        }
    }
}

fn table() -> Option<&'static AssocTable> {
    TABLE.get()
}

/// How long an entry may stay unused before it is assumed dead (its end missed),
/// given sctp_autoclose: associations idle longer are closed by the kernel.
fn idle_limit(autoclose_s: i32) -> Option<u32> {
    (autoclose_s > 0).then(|| (autoclose_s as u32).max(60).saturating_mul(2))
}

/// Tracks (or refreshes) an association; its connection id, `None` when the
/// table is full even after dropping idle entries.
fn track(t: &AssocTable, key: AssocKey, peer: &SocketAddr, autoclose_s: i32) -> Option<u32> {
    t.upsert(key, &PeerAddr::from(peer), monotonic_secs(), idle_limit(autoclose_s))
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

/// An association came up; returns how many are open now.
pub fn came_up(key: AssocKey, peer: Option<&SocketAddr>, tracking: bool, autoclose_s: i32) -> i32 {
    let Some(t) = table() else { return 0 };
    let open = t.opened_inc();
    if let (true, Some(peer)) = (tracking, peer) {
        if track(t, key, peer, autoclose_s).is_none() {
            log::warn!("association table full: association {} to {peer} is not tracked", key.assoc_id);
        }
    }
    open
}

/// An association went down (closed, lost, or autoclosed).
pub fn went_down(key: AssocKey, tracking: bool) {
    let Some(t) = table() else { return };
    t.opened_dec();
    if tracking {
        t.remove(key);
    }
}

/// The connection id for a message received on an association (tracking it if
/// it is not yet: its COMM_UP may be handled by another process right now).
pub fn conn_id_for(key: AssocKey, peer: &SocketAddr, autoclose_s: i32) -> i32 {
    let Some(t) = table() else { return 0 };
    track(t, key, peer, autoclose_s).map_or(0, |id| id as i32)
}

/// The open association behind a connection id.
pub fn lookup(conn_id: i32) -> Option<Tracked> {
    (conn_id > 0).then_some(())?;
    table()?.by_id(conn_id as u32, monotonic_secs())
}

/// Whether an association to `peer` from socket `sock` is tracked.
pub fn has_peer(sock: i32, peer: &SocketAddr) -> bool {
    table().is_some_and(|t| t.by_peer(sock, &PeerAddr::from(peer)).is_some())
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
