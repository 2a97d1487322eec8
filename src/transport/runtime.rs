//! The config-framework group `sctp`: the C module's runtime variables, their
//! ranges and consistency rules, and applying socket-level changes to every
//! SCTP socket at once.

use super::{assoc, settings};
use crate::config::params::{ParamId, RawValues, PARAM_COUNT};
use crate::kam::cfg::{self, Change, IntGroup, OnChange, OnSet, VarDef, ATOMIC, CB_ONLY_ONCE, READONLY};
use crate::kam::core::sctp_listen;
use crate::sctp::options::{set_one, Heartbeat, SockOpt};
use std::ffi::CStr;

/// The group's values in this process (kept current by the core's cfg_update).
pub static CFG: IntGroup<PARAM_COUNT> = IntGroup::new();

/// Variable names of the group, in parameter order (`ParamId as usize`).
const NAMES: [&CStr; PARAM_COUNT] = [
    c"socket_rcvbuf",
    c"socket_sndbuf",
    c"autoclose",
    c"send_ttl",
    c"send_retries",
    c"assoc_tracking",
    c"assoc_reuse",
    c"max_assocs",
    c"srto_initial",
    c"srto_max",
    c"srto_min",
    c"asocmaxrxt",
    c"init_max_attempts",
    c"init_max_timeo",
    c"hbinterval",
    c"pathmaxrxt",
    c"sack_delay",
    c"sack_freq",
    c"max_burst",
    c"send_wait",
    c"pathpfthld",
];

/// Flags, range and help of each variable (the C module's ranges).
fn shape(id: ParamId) -> (u32, i32, i32, &'static CStr) {
    use ParamId::*;
    const BIG: i32 = 1 << 30;
    const SMALL: i32 = 1 << 10;
    match id {
        SocketRcvbuf => (READONLY, 512, 102400, c"receive buffer size of the SCTP sockets (read-only)"),
        SocketSndbuf => (READONLY, 512, 102400, c"send buffer size of the SCTP sockets (read-only)"),
        Autoclose => (CB_ONLY_ONCE, 1, BIG, c"seconds of idleness after which an association is closed (new associations)"),
        SendTtl => (ATOMIC, 0, BIG, c"milliseconds an unsent message may wait before the stack drops it"),
        SendRetries => (ATOMIC, 0, 9, c"re-sends on a re-opened association after the stack gave a message up"),
        AssocTracking => (ATOMIC, 0, 1, c"track associations (needed by assoc_reuse)"),
        AssocReuse => (ATOMIC, 0, 1, c"send replies on the request's association (needs assoc_tracking)"),
        MaxAssocs => (ATOMIC, 0, 0, c"maximum open associations (-1: no limit)"),
        SrtoInitial => (CB_ONLY_ONCE, 0, BIG, c"initial retransmission timeout in ms (new associations)"),
        SrtoMax => (CB_ONLY_ONCE, 0, BIG, c"maximum retransmission timeout in ms (new associations)"),
        SrtoMin => (CB_ONLY_ONCE, 0, BIG, c"minimum retransmission timeout in ms (new associations)"),
        Asocmaxrxt => (CB_ONLY_ONCE, 0, SMALL, c"maximum retransmissions per association (new associations)"),
        InitMaxAttempts => (CB_ONLY_ONCE, 0, SMALL, c"maximum INIT retransmissions"),
        InitMaxTimeo => (CB_ONLY_ONCE, 0, BIG, c"maximum INIT retransmission timeout in ms"),
        Hbinterval => (CB_ONLY_ONCE, 0, BIG, c"heartbeat interval in ms (new associations)"),
        Pathmaxrxt => (CB_ONLY_ONCE, 0, SMALL, c"maximum retransmissions per path (new associations)"),
        SackDelay => (CB_ONLY_ONCE, 0, BIG, c"ms after a received packet before a SACK is sent (new associations)"),
        SackFreq => (CB_ONLY_ONCE, 0, SMALL, c"received packets that trigger a SACK (new associations)"),
        MaxBurst => (CB_ONLY_ONCE, 0, SMALL, c"maximum burst of packets per association (new associations)"),
        SendWait => (ATOMIC, 0, crate::config::params::MAX_SEND_WAIT_MS, c"ms a send waits for room in a full send buffer before the message is dropped (0: no waiting)"),
        Pathpfthld => (CB_ONLY_ONCE, 0, 65535, c"retransmissions before a path is potentially failed and left (new associations)"),
    }
}

/// Declares the group, with the startup values as defaults (mod_init).
pub fn declare(values: &RawValues, on_change: OnChange, on_set: OnSet) -> bool {
    let defs: [VarDef; PARAM_COUNT] = std::array::from_fn(|i| {
        let (flags, min, max, doc) = shape(ParamId::ALL[i]);
        VarDef {
            name: NAMES[i],
            flags,
            min,
            max,
            // like the C module, only where a rule applies: the framework will
            // not read a variable with a change callback over RPC (cfg.get)
            on_change: has_rule(ParamId::ALL[i]).then_some(on_change),
            on_set: (flags & CB_ONLY_ONCE != 0).then_some(on_set),
            doc,
        }
    });
    CFG.declare(c"sctp", &defs, *values)
}

/// Whether changes of a variable go through `judge` (all but the read-only ones
/// and those the C module lets through unchecked).
fn has_rule(id: ParamId) -> bool {
    use ParamId::*;
    !matches!(id, SocketRcvbuf | SocketSndbuf | SendTtl | SendRetries | MaxAssocs | SendWait | Pathpfthld)
}

fn id_of(var: &str) -> Option<ParamId> {
    NAMES.iter().position(|n| n.to_bytes() == var.as_bytes()).map(|i| ParamId::ALL[i])
}

/// The values in force in this process.
pub fn values() -> RawValues {
    CFG.values().or_else(|| settings::startup_values().copied()).unwrap_or([0; PARAM_COUNT])
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
}

pub fn current() -> Runtime {
    let v = values();
    let get = |id: ParamId| v[id as usize];
    Runtime {
        send_ttl_ms: get(ParamId::SendTtl).max(0) as u32,
        send_retries: get(ParamId::SendRetries).clamp(0, 9) as u32,
        tracking: get(ParamId::AssocTracking) != 0,
        reuse: get(ParamId::AssocReuse) != 0,
        max_assocs: u32::try_from(get(ParamId::MaxAssocs)).ok(),
        send_wait_ms: get(ParamId::SendWait).max(0) as u32,
    }
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
        SrtoInitial | SrtoMax | SrtoMin | Asocmaxrxt | InitMaxAttempts | InitMaxTimeo | Hbinterval | Pathmaxrxt
        | SackDelay | SackFreq | MaxBurst
            if value == 0 =>
        {
            Verdict::Replace(other(id))
        }
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
            if id == ParamId::AssocTracking
                && (change.value == 0 || change.other(ParamId::AssocReuse as usize) == 0)
            {
                assoc::flush();
            }
            0
        }
    }
}

/// The socket option that carries a variable's new value, if it has one.
fn sock_opt(id: ParamId, v: i32) -> Option<SockOpt> {
    use ParamId::*;
    let u = || Some(v.max(0) as u32);
    let u16v = || Some(v.clamp(0, u16::MAX as i32) as u16);
    Some(match id {
        Autoclose => SockOpt::Autoclose(v.max(0) as u32),
        SrtoInitial => SockOpt::Rto { initial_ms: u(), max_ms: None, min_ms: None },
        SrtoMax => SockOpt::Rto { initial_ms: None, max_ms: u(), min_ms: None },
        SrtoMin => SockOpt::Rto { initial_ms: None, max_ms: None, min_ms: u() },
        Asocmaxrxt => SockOpt::AsocMaxRxt(u16v()),
        InitMaxAttempts => SockOpt::Init { max_attempts: u16v(), max_timeo_ms: None },
        InitMaxTimeo => SockOpt::Init { max_attempts: None, max_timeo_ms: u16v() },
        Hbinterval => SockOpt::PeerAddr {
            heartbeat: if v == -1 { Heartbeat::Disabled } else { Heartbeat::IntervalMs(v.max(0) as u32) },
            pathmaxrxt: None,
        },
        Pathmaxrxt => SockOpt::PeerAddr { heartbeat: Heartbeat::OsDefault, pathmaxrxt: u16v() },
        SackDelay => SockOpt::DelayedSack { delay_ms: u(), freq: None },
        SackFreq => SockOpt::DelayedSack { delay_ms: None, freq: u() },
        MaxBurst => SockOpt::MaxBurst(u()),
        Pathpfthld => SockOpt::Thresholds { pathpfthld: Some(v.clamp(0, u16::MAX as i32) as u16), pathmaxrxt: None },
        _ => return None,
    })
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
    fn names_match_parameters_without_prefix() {
        for id in ParamId::ALL {
            assert_eq!(format!("sctp_{}", NAMES[id as usize].to_str().unwrap()), id.name());
            assert_eq!(id_of(NAMES[id as usize].to_str().unwrap()), Some(id));
        }
    }

    #[test]
    fn socket_level_variables_map_to_options() {
        assert_eq!(sock_opt(Autoclose, 120), Some(SockOpt::Autoclose(120)));
        assert_eq!(
            sock_opt(Hbinterval, -1),
            Some(SockOpt::PeerAddr { heartbeat: Heartbeat::Disabled, pathmaxrxt: None })
        );
        assert_eq!(
            sock_opt(Pathpfthld, 0),
            Some(SockOpt::Thresholds { pathpfthld: Some(0), pathmaxrxt: None }),
            "0 is a threshold, not 'keep'"
        );
        assert_eq!(judge(Pathpfthld, 0, group(1, 1)), Verdict::Accept);
        assert!(!has_rule(Pathpfthld), "readable with cfg.get");
        assert_eq!(sock_opt(SendTtl, 5), None);
        assert_eq!(sock_opt(MaxAssocs, 5), None);
    }
}
