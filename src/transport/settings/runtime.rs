//! The config-framework group `sctp`: the C module's runtime variables, their
//! ranges and consistency rules, and applying socket-level changes to every
//! SCTP socket at once.

use super::startup;
use crate::config::params::RawValues;
use crate::config::table::{Effect, PARAMS};
use crate::config::table::{ParamId, PARAM_COUNT};
use crate::kam::cfg::{self, Change, IntGroup, OnChange, OnSet, VarDef, ATOMIC, CB_ONLY_ONCE, READONLY};
use crate::kam::core::sctp_listen;
use crate::kam::MODULE_NAME;
use crate::sctp::options::{set_one, SockOpt};
use crate::transport::associations::tracking;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// The group's values in this process (kept current by the core's cfg_update).
pub static CFG: IntGroup<PARAM_COUNT> = IntGroup::new();

/// The cfg flags of a variable.
fn flags(change: Effect) -> u32 {
    match change {
        Effect::ReadOnly => READONLY,
        Effect::Atomic => ATOMIC,
        Effect::SocketOption => CB_ONLY_ONCE,
    }
}

/// Declares the group, with the startup values as defaults (mod_init).
pub fn declare(values: &RawValues, on_change: OnChange, on_set: OnSet) -> bool {
    let defs: [VarDef; PARAM_COUNT] = std::array::from_fn(|i| {
        let p = &PARAMS[i];
        VarDef {
            name: p.var,
            flags: flags(p.change),
            min: p.runtime.0,
            max: p.runtime.1,
            // like the C module, only where a rule applies: the framework will
            // not read a variable with a change callback over RPC (cfg.get)
            on_change: p.checked.then_some(on_change),
            on_set: (p.change == Effect::SocketOption).then_some(on_set),
            doc: p.doc,
        }
    });
    CFG.declare(MODULE_NAME, &defs, *values)
}

fn id_of(var: &str) -> Option<ParamId> {
    PARAMS.iter().find(|p| p.var.to_bytes() == var.as_bytes()).map(|p| p.id)
}

/// The values in force in this process.
pub fn values() -> RawValues {
    std::array::from_fn(|i| value(ParamId::ALL[i]))
}

/// What the send and receive paths need, as currently configured.
#[derive(Clone, Copy, Debug)]
pub struct Runtime {
    pub send_ttl_ms: u32,
    pub send_retries: u32,
    pub tracking: bool,
    pub reuse: bool,
    pub max_assocs: Option<u32>,
    pub send_wait_ms: u32,
    /// 0: no stall watchdog.
    pub stall_timeout_ms: u32,
    pub stall_abort: bool,
}

#[inline(always)]
pub fn current() -> Runtime {
    use ParamId::*;
    // this runs for every message sent (a read needs only `tracking`), and
    // the send path needs 8 of the group's values: those, with one look at
    // the group
    const IDS: [ParamId; 8] =
        [AssocTracking, SendTtl, SendRetries, AssocReuse, MaxAssocs, SendWait, StallTimeout, StallAbort];
    let ids = IDS.map(|id| id as usize);
    let [tracking, ttl, retries, reuse, max_assocs, wait, stall_timeout, stall_abort] =
        CFG.get_many(ids).unwrap_or_else(|| IDS.map(startup_value));
    let tracking = tracking_seen(tracking != 0);
    Runtime {
        send_ttl_ms: ttl.max(0) as u32,
        send_retries: retries.clamp(0, 9) as u32,
        tracking,
        reuse: reuse != 0,
        max_assocs: u32::try_from(max_assocs).ok(),
        send_wait_ms: wait.max(0) as u32,
        stall_timeout_ms: stall_timeout.max(0) as u32,
        stall_abort: stall_abort != 0,
    }
}

/// Whether association tracking is on in this process: all the receive
/// path needs of the configuration for every message (one value, not the
/// eight of `current`).
pub fn tracking() -> bool {
    tracking_seen(value(ParamId::AssocTracking) != 0)
}

/// `tracking` as this process reads it now, after flushing what it tracked
/// when it finds tracking turned off.
fn tracking_seen(tracking: bool) -> bool {
    if went_off(&TRACKING_SEEN, tracking) {
        // what this process tracked after the flush of the process that
        // turned tracking off, and before it saw the change itself
        tracking::flush();
    }
    tracking
}

/// `sctp_stall_timeout` in force in this process (0: no watchdog), all the
/// watchdog's receiver needs for every read.
pub fn stall_timeout_ms() -> u32 {
    value(ParamId::StallTimeout).max(0) as u32
}

/// `sctp_cut_timeout` in force in this process (read only while cut
/// messages are kept, not for every message).
pub fn cut_timeout_ms() -> u32 {
    value(ParamId::CutTimeout).max(1) as u32
}

/// One value in force in this process: the config framework's, or before
/// the group is declared the startup value.
fn value(id: ParamId) -> i32 {
    CFG.get(id as usize).unwrap_or_else(|| startup_value(id))
}

/// The startup value of `id` (0 before mod_init).
fn startup_value(id: ParamId) -> i32 {
    startup::startup_values().map_or(0, |v| v[id as usize])
}

/// Whether this process last saw tracking on: its own view, which each
/// process updates when it reads the configuration.
static TRACKING_SEEN: AtomicBool = AtomicBool::new(false);

/// Whether tracking went off since this process last looked (once per change).
fn went_off(seen: &AtomicBool, tracking: bool) -> bool {
    seen.load(Relaxed) != tracking && seen.swap(tracking, Relaxed) && !tracking
}

/// The verdict on a proposed change.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// Accept, but with this value instead.
    Replace(i32),
    Refuse(&'static str),
}

/// The C module's rules: 0 keeps the old value of socket-level options, and
/// assoc_reuse needs assoc_tracking. `other` reads the group as being changed.
pub fn judge(id: ParamId, value: i32, other: impl Fn(ParamId) -> i32) -> Verdict {
    use ParamId::*;
    match id {
        AssocTracking if value == 0 && other(AssocReuse) != 0 => Verdict::Refuse(
            "cannot turn sctp assoc_tracking off while assoc_reuse is still on, please turn assoc_reuse off first",
        ),
        AssocReuse if value == 1 && other(AssocTracking) == 0 => Verdict::Refuse(
            "cannot turn sctp assoc_reuse on while assoc_tracking is off, please turn assoc_tracking on first",
        ),
        _ if value == 0 && id.param().zero_keeps => Verdict::Replace(other(id)),
        _ => Verdict::Accept,
    }
}

/// A change is about to happen (in the process making it). Returns the core's
/// code: 0 accept (with `new_value` possibly adjusted), -1 refuse.
pub fn on_change(change: &Change, new_value: &mut i32) -> i32 {
    let Some(id) = id_of(change.var) else { return 0 };
    match judge(id, change.value, |o| change.other(o as usize)) {
        Verdict::Refuse(why) => {
            log::error!("{why}");
            -1
        }
        Verdict::Replace(v) => {
            *new_value = v;
            0
        }
        Verdict::Accept => {
            // turning tracking off drops what is tracked; turning it on starts
            // clean, in case the flush when off raced with a new association
            if id == ParamId::AssocTracking && (change.value == 0 || change.other(ParamId::AssocReuse as usize) == 0) {
                tracking::flush();
            }
            0
        }
    }
}

/// The socket option that carries a variable's new value, if it has one.
fn sock_opt(id: ParamId, v: i32) -> Option<SockOpt> {
    id.param().option.map(|f| f(v))
}

/// A change took effect: apply socket-level ones to every SCTP socket (they
/// are shared by all processes, so once is enough).
pub fn on_set(var: &str) {
    let Some(id) = id_of(var) else { return };
    let Some(v) = CFG.get(id as usize) else { return };
    let Some(opt) = sock_opt(id, v) else { return };
    for sock in sctp_listen() {
        let Some(s) = sock.sctp_socket() else { continue };
        if let Err(e) = set_one(s, sock.family(), &opt) {
            log::error!("cfg: setting {var} to {v} on {sock}: {e}");
        }
    }
}

/// Keeps this process's view of the configuration current (SCTP receivers).
pub fn refresh(attached: &cfg::Attached) {
    attached.update();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sctp::options::Heartbeat;
    use ParamId::*;

    fn group(tracking: i32, reuse: i32) -> impl Fn(ParamId) -> i32 {
        move |id| match id {
            AssocTracking => tracking,
            AssocReuse => reuse,
            SrtoMin => 400,
            Hbinterval => 7000,
            _ => 0,
        }
    }

    #[test]
    fn tracking_cannot_go_off_while_reuse_is_on() {
        assert!(matches!(judge(AssocTracking, 0, group(1, 1)), Verdict::Refuse(_)));
        assert_eq!(judge(AssocTracking, 0, group(1, 0)), Verdict::Accept);
        assert_eq!(judge(AssocTracking, 1, group(0, 0)), Verdict::Accept);
    }

    #[test]
    fn reuse_cannot_go_on_while_tracking_is_off() {
        assert!(matches!(judge(AssocReuse, 1, group(0, 0)), Verdict::Refuse(_)));
        assert_eq!(judge(AssocReuse, 1, group(1, 0)), Verdict::Accept);
        assert_eq!(judge(AssocReuse, 0, group(0, 1)), Verdict::Accept);
    }

    #[test]
    fn zero_keeps_socket_options() {
        assert_eq!(judge(SrtoMin, 0, group(1, 1)), Verdict::Replace(400));
        assert_eq!(judge(Hbinterval, 0, group(1, 1)), Verdict::Replace(7000));
        assert_eq!(judge(Hbinterval, 5000, group(1, 1)), Verdict::Accept);
        assert_eq!(judge(SendTtl, 0, group(1, 1)), Verdict::Accept);
    }

    #[test]
    fn a_process_sees_tracking_go_off_once_per_change() {
        let seen = AtomicBool::new(false);
        assert!(!went_off(&seen, false), "off from the start: nothing to drop");
        assert!(!went_off(&seen, true));
        assert!(!went_off(&seen, true));
        assert!(went_off(&seen, false), "on -> off");
        assert!(!went_off(&seen, false), "only once");
        assert!(!went_off(&seen, true));
        assert!(went_off(&seen, false), "again after it came back on");
    }

    #[test]
    fn variables_are_found_by_name() {
        for id in ParamId::ALL {
            assert_eq!(id_of(id.param().var.to_str().unwrap()), Some(id));
        }
        assert_eq!(id_of("sctp_autoclose"), None);
    }

    #[test]
    fn socket_level_variables_map_to_options() {
        assert_eq!(sock_opt(Autoclose, 120), Some(SockOpt::Autoclose(120)));
        assert_eq!(
            sock_opt(Hbinterval, -1),
            Some(SockOpt::PeerAddr { heartbeat: Heartbeat::Disabled, pathmaxrxt: None, dscp: None, path_mtu: None })
        );
        assert_eq!(
            sock_opt(Pathpfthld, 0),
            Some(SockOpt::Thresholds { pathpfthld: Some(0), pathmaxrxt: None }),
            "0 is a threshold, not 'keep'"
        );
        assert_eq!(judge(Pathpfthld, 0, group(1, 1)), Verdict::Accept);
        assert!(!Pathpfthld.param().checked, "readable with cfg.get");
        assert_eq!(sock_opt(SendTtl, 5), None);
        assert_eq!(sock_opt(MaxAssocs, 5), None);
    }
}
