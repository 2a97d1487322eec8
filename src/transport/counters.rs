//! The counter group `sctp`, with the C module's eleven counters and ours
//! (sendq_wait, cut_reassembled, cut_dropped, cut_aborted, cut_pending,
//! assoc_stalled).

use crate::kam::counters::{register_group, Counter, CounterDef, Source};
use crate::kam::MODULE_NAME;

pub static ESTABLISHED: Counter = Counter::new();
pub static CONNECT_FAILED: Counter = Counter::new();
pub static LOCAL_REJECT: Counter = Counter::new();
pub static REMOTE_SHUTDOWN: Counter = Counter::new();
pub static ASSOC_SHUTDOWN: Counter = Counter::new();
pub static COMM_LOST: Counter = Counter::new();
pub static SENDQ_FULL: Counter = Counter::new();
pub static SENDQ_WAIT: Counter = Counter::new();
pub static SEND_FAILED: Counter = Counter::new();
pub static SEND_FORCE_RETRY: Counter = Counter::new();
pub static CUT_REASSEMBLED: Counter = Counter::new();
pub static CUT_DROPPED: Counter = Counter::new();
pub static ASSOC_STALLED: Counter = Counter::new();
pub static CUT_ABORTED: Counter = Counter::new();

/// The counters that are read when asked for, from the state that holds them.
pub struct Gauges {
    pub opened: fn() -> i64,
    pub tracked: fn() -> i64,
    pub cut_pending: fn() -> i64,
}

/// Registers the group (before the core forks).
pub fn register(gauges: &Gauges) -> bool {
    use Source::*;
    let defs = [
        CounterDef { name: c"established", doc: c"incremented each time a new association is established.", source: Handle(&ESTABLISHED) },
        CounterDef { name: c"connect_failed", doc: c"incremented each time a new outgoing connection fails.", source: Handle(&CONNECT_FAILED) },
        CounterDef { name: c"local_reject", doc: c"number of rejected incoming connections.", source: Handle(&LOCAL_REJECT) },
        CounterDef { name: c"remote_shutdown", doc: c"incremented each time an association is closed by the peer.", source: Handle(&REMOTE_SHUTDOWN) },
        CounterDef { name: c"assoc_shutdown", doc: c"incremented each time an association is shutdown.", source: Handle(&ASSOC_SHUTDOWN) },
        CounterDef { name: c"comm_lost", doc: c"incremented each time an established connection is closed due to some error.", source: Handle(&COMM_LOST) },
        CounterDef { name: c"sendq_full", doc: c"number of failed send attempts due to exceeded buffering capacity (full kernel buffers).", source: Handle(&SENDQ_FULL) },
        CounterDef { name: c"sendq_wait", doc: c"number of sends that found the send buffer full and waited for room (sctp_send_wait).", source: Handle(&SENDQ_WAIT) },
        CounterDef { name: c"send_failed", doc: c"number of failed send attempts for any reason except full buffers.", source: Handle(&SEND_FAILED) },
        CounterDef { name: c"send_force_retry", doc: c"incremented each time a failed send is force-retried (possible only if sctp_send_retries != 0).", source: Handle(&SEND_FORCE_RETRY) },
        CounterDef { name: c"cut_reassembled", doc: c"number of messages the kernel handed over in pieces (partial delivery) that were put back together.", source: Handle(&CUT_REASSEMBLED) },
        CounterDef { name: c"cut_dropped", doc: c"number of pieces of cut messages dropped: too big, never completed, or aborted.", source: Handle(&CUT_DROPPED) },
        CounterDef { name: c"cut_aborted", doc: c"number of associations aborted because a message they sent in pieces could not be put together (too big, not ended within sctp_cut_timeout, ...).", source: Handle(&CUT_ABORTED) },
        CounterDef { name: c"cut_pending", doc: c"number of cut messages being put together now (at most 64 per socket).", source: Read(gauges.cut_pending) },
        CounterDef { name: c"assoc_stalled", doc: c"number of associations found stalled: data waited and the peer took none for sctp_stall_timeout.", source: Handle(&ASSOC_STALLED) },
        CounterDef { name: c"current_opened_connections", doc: c"number of currently opened associations.", source: Read(gauges.opened) },
        CounterDef { name: c"current_tracked_connections", doc: c"number of currently tracked associations.", source: Read(gauges.tracked) },
    ];
    register_group(MODULE_NAME, &defs)
}
