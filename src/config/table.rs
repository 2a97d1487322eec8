//! Every integer parameter of the module, once: its modparam name, its
//! config-framework variable, default, the values accepted at startup and at
//! runtime, the socket option that carries it, the kernel's value of it, and
//! its row in the README. Everything else (modparam export, validation, the
//! cfg group, RPC views, the README check) is derived from `PARAMS`.

use crate::sctp::options::{Current, Heartbeat, SockOpt};
use std::ffi::CStr;
use ParamId::*;

pub const PARAM_COUNT: usize = 27;

/// One module parameter, in the C module's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamId {
    SocketRcvbuf,
    SocketSndbuf,
    Autoclose,
    SendTtl,
    SendRetries,
    AssocTracking,
    AssocReuse,
    MaxAssocs,
    SrtoInitial,
    SrtoMax,
    SrtoMin,
    Asocmaxrxt,
    InitMaxAttempts,
    InitMaxTimeo,
    Hbinterval,
    Pathmaxrxt,
    SackDelay,
    SackFreq,
    MaxBurst,
    // ours
    SendWait,
    /// Retransmissions on a path before it is "potentially failed" and left
    /// for another (SCTP_PEER_ADDR_THLDS); not in the C module.
    Pathpfthld,
    /// Path MTU probing (RFC 8899) interval of new associations.
    PlpmtudInterval,
    /// How long an association may make no progress before it counts as
    /// stalled (the watchdog); 0: no watchdog.
    StallTimeout,
    /// Whether a stalled association is aborted.
    StallAbort,
    /// How long a message the kernel cut may take to complete before its
    /// association is aborted.
    CutTimeout,
    /// The local UDP port of SCTP over UDP (RFC 6951): net.sctp.udp_port of
    /// Kamailio's network namespace; 0: off.
    UdpPort,
    /// The remote UDP port new associations are encapsulated to by default;
    /// 0: plain SCTP.
    EncapPort,
}

/// Parameter names as the config file spells them, indexed by `ParamId as usize`.
pub const PARAM_NAMES: [&CStr; PARAM_COUNT] = {
    let mut names = [c""; PARAM_COUNT];
    let mut k = 0;
    while k < PARAM_COUNT {
        names[k] = PARAMS[k].name;
        k += 1;
    }
    names
};

impl ParamId {
    /// Every parameter, in order (`ALL[id as usize] == id`).
    pub const ALL: [ParamId; PARAM_COUNT] = {
        let mut all = [ParamId::SocketRcvbuf; PARAM_COUNT];
        let mut k = 0;
        while k < PARAM_COUNT {
            all[k] = PARAMS[k].id;
            k += 1;
        }
        all
    };

    pub fn name(self) -> &'static str {
        self.param().name.to_str().unwrap_or("?")
    }
}

/// Where a parameter's default comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    Fixed(i32),
    /// The value a fresh SCTP socket of this kernel has.
    Os,
}

/// How a runtime change of the variable takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    ReadOnly,
    /// Read by the next send or association of each process.
    Atomic,
    /// Set on every SCTP socket once (new associations inherit it).
    SocketOption,
}

/// One integer parameter.
pub struct Param {
    pub id: ParamId,
    /// `modparam("sctp", NAME, ...)`.
    pub name: &'static CStr,
    /// The variable of the cfg group `sctp`: the name without `sctp_`.
    pub var: &'static CStr,
    pub default: Default,
    /// Accepted at startup (larger values may be clamped, with a warning).
    pub startup: (i32, i32),
    /// What a refused value is told it should be.
    pub expected: &'static str,
    pub change: Effect,
    /// Accepted by `cfg.set_now_int`.
    pub runtime: (i32, i32),
    /// 0 at runtime keeps the value in force (the C module's rule).
    pub zero_keeps: bool,
    /// Changes go through a check (the C module's; a variable with one
    /// cannot be read with cfg.get).
    pub checked: bool,
    /// The socket option that carries a runtime value.
    pub option: Option<fn(i32) -> SockOpt>,
    /// The kernel's value, read from a socket.
    pub kernel: Option<fn(&Current) -> Option<i64>>,
    /// The help of the cfg variable.
    pub doc: &'static CStr,
    /// The README's parameter table: default and meaning columns.
    pub readme: (&'static str, &'static str),
}

const BIG: i32 = 1 << 30;
const SMALL: i32 = 1 << 10;
const MAX: i32 = i32::MAX;
const OS_VALUE: &str = "expected a positive number, or 0 / -1 for the OS default";

fn ms(v: i32) -> Option<u32> {
    Some(v.max(0) as u32)
}
fn u16v(v: i32) -> Option<u16> {
    Some(v.clamp(0, u16::MAX as i32) as u16)
}
fn i<T: Into<i64>>(v: Option<T>) -> Option<i64> {
    v.map(Into::into)
}

/// In `ParamId` order: the C module's 19, then ours.
pub const PARAMS: [Param; PARAM_COUNT] = [
    Param {
        id: SocketRcvbuf,
        name: c"sctp_socket_rcvbuf",
        var: c"socket_rcvbuf",
        default: Default::Os,
        startup: (-1, MAX),
        expected: "expected a buffer size in bytes, or -1 for the OS default",
        change: Effect::ReadOnly,
        runtime: (512, 102400),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: Some(|c| i(c.rcvbuf)),
        doc: c"receive buffer size of the SCTP sockets (read-only)",
        readme: ("OS default", "receive buffer of each SCTP socket, bytes; 0 or -1: leave the OS default"),
    },
    Param {
        id: SocketSndbuf,
        name: c"sctp_socket_sndbuf",
        var: c"socket_sndbuf",
        default: Default::Os,
        startup: (-1, MAX),
        expected: "expected a buffer size in bytes, or -1 for the OS default",
        change: Effect::ReadOnly,
        runtime: (512, 102400),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: Some(|c| i(c.sndbuf)),
        doc: c"send buffer size of the SCTP sockets (read-only)",
        readme: ("OS default", "send buffer of each SCTP socket, bytes; 0 or -1: leave the OS default"),
    },
    Param {
        id: Autoclose,
        name: c"sctp_autoclose",
        var: c"autoclose",
        default: Default::Fixed(180),
        startup: (-1, MAX),
        expected: "expected seconds (> 0), or -1 for the kernel's maximum",
        change: Effect::SocketOption,
        runtime: (-1, BIG),
        zero_keeps: false,
        checked: true,
        option: Some(|v| SockOpt::Autoclose(if v == -1 { u32::MAX } else { v.max(0) as u32 })),
        kernel: Some(|c| i(c.autoclose_s)),
        doc: c"seconds of idleness after which an association is closed (new associations; -1: the kernel's maximum, 0: never)",
        readme: (
            "180",
            "seconds before an idle association is closed; -1: as long as the kernel allows (`net.sctp.max_autoclose`); 0: never (warned)",
        ),
    },
    Param {
        id: SendTtl,
        name: c"sctp_send_ttl",
        var: c"send_ttl",
        default: Default::Fixed(32000),
        startup: (0, MAX),
        expected: "expected milliseconds (>= 0, 0 for no time limit)",
        change: Effect::Atomic,
        runtime: (0, BIG),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: None,
        doc: c"milliseconds an unsent message may wait before the stack drops it",
        readme: ("32000", "milliseconds before an unsent message is dropped by the stack; 0: no limit"),
    },
    Param {
        id: SendRetries,
        name: c"sctp_send_retries",
        var: c"send_retries",
        default: Default::Fixed(0),
        startup: (0, MAX),
        expected: "expected a count from 0 to 9",
        change: Effect::Atomic,
        runtime: (0, 9),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: None,
        doc: c"re-sends on a re-opened association after the stack gave a message up",
        readme: ("0", "re-sends on a re-opened association after the stack gave up a message; above 9 clamped to 9 (warned)"),
    },
    Param {
        id: AssocTracking,
        name: c"sctp_assoc_tracking",
        var: c"assoc_tracking",
        default: Default::Fixed(1),
        startup: (0, 1),
        expected: "expected 0 (off) or 1 (on)",
        change: Effect::Atomic,
        runtime: (0, 1),
        zero_keeps: false,
        checked: true,
        option: None,
        kernel: None,
        doc: c"track associations (needed by assoc_reuse)",
        readme: ("1", "track associations inside Kamailio (0/1)"),
    },
    Param {
        id: AssocReuse,
        name: c"sctp_assoc_reuse",
        var: c"assoc_reuse",
        default: Default::Fixed(1),
        startup: (0, 1),
        expected: "expected 0 (off) or 1 (on)",
        change: Effect::Atomic,
        runtime: (0, 1),
        zero_keeps: false,
        checked: true,
        option: None,
        kernel: None,
        doc: c"send replies on the request's association (needs assoc_tracking)",
        readme: ("1", "send replies on the association the request came on (0/1; needs tracking, warned otherwise)"),
    },
    Param {
        id: MaxAssocs,
        name: c"sctp_max_assocs",
        var: c"max_assocs",
        default: Default::Fixed(-1),
        startup: (-1, MAX),
        expected: "expected a count (>= 0), or -1 for no limit",
        change: Effect::Atomic,
        runtime: (-1, MAX),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: None,
        doc: c"maximum open associations (-1: no limit)",
        readme: ("-1", "maximum open associations; -1: as many as the OS allows"),
    },
    Param {
        id: SrtoInitial,
        name: c"sctp_srto_initial",
        var: c"srto_initial",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, BIG),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::Rto { initial_ms: ms(v), max_ms: None, min_ms: None }),
        kernel: Some(|c| i(c.rto_initial_ms)),
        doc: c"initial retransmission timeout in ms (new associations)",
        readme: ("OS default", "initial retransmission timeout, ms (0 or -1: OS default)"),
    },
    Param {
        id: SrtoMax,
        name: c"sctp_srto_max",
        var: c"srto_max",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, BIG),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::Rto { initial_ms: None, max_ms: ms(v), min_ms: None }),
        kernel: Some(|c| i(c.rto_max_ms)),
        doc: c"maximum retransmission timeout in ms (new associations)",
        readme: ("OS default", "maximum retransmission timeout, ms (0 or -1: OS default)"),
    },
    Param {
        id: SrtoMin,
        name: c"sctp_srto_min",
        var: c"srto_min",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, BIG),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::Rto { initial_ms: None, max_ms: None, min_ms: ms(v) }),
        kernel: Some(|c| i(c.rto_min_ms)),
        doc: c"minimum retransmission timeout in ms (new associations)",
        readme: ("OS default", "minimum retransmission timeout, ms (0 or -1: OS default)"),
    },
    Param {
        id: Asocmaxrxt,
        name: c"sctp_asocmaxrxt",
        var: c"asocmaxrxt",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, SMALL),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::AsocMaxRxt(u16v(v))),
        kernel: Some(|c| i(c.asocmaxrxt)),
        doc: c"maximum retransmissions per association (new associations)",
        readme: ("OS default", "maximum retransmissions per association (0 or -1: OS default; above 65535 clamped)"),
    },
    Param {
        id: InitMaxAttempts,
        name: c"sctp_init_max_attempts",
        var: c"init_max_attempts",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, SMALL),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::Init { max_attempts: u16v(v), max_timeo_ms: None }),
        kernel: Some(|c| i(c.init_max_attempts)),
        doc: c"maximum INIT retransmissions",
        readme: ("OS default", "maximum INIT retransmissions (0 or -1: OS default; above 65535 clamped)"),
    },
    Param {
        id: InitMaxTimeo,
        name: c"sctp_init_max_timeo",
        var: c"init_max_timeo",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, BIG),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::Init { max_attempts: None, max_timeo_ms: u16v(v) }),
        kernel: Some(|c| i(c.init_max_timeo_ms)),
        doc: c"maximum INIT retransmission timeout in ms",
        readme: ("OS default", "maximum INIT retransmission timeout, ms (0 or -1: OS default; above 65535 clamped)"),
    },
    Param {
        id: Hbinterval,
        name: c"sctp_hbinterval",
        var: c"hbinterval",
        default: Default::Os,
        startup: (-1, MAX),
        expected: "expected milliseconds (> 0), 0 for the OS default, or -1 to disable heartbeats",
        change: Effect::SocketOption,
        runtime: (-1, BIG),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::PeerAddr {
            heartbeat: if v == -1 { Heartbeat::Disabled } else { Heartbeat::IntervalMs(v.max(0) as u32) },
            pathmaxrxt: None,
            dscp: None,
            path_mtu: None,
        }),
        kernel: Some(|c| i(c.hbinterval_ms)),
        doc: c"heartbeat interval in ms (new associations; -1: no heartbeats)",
        readme: ("OS default", "heartbeat interval, ms; -1: no heartbeats; 0: OS default"),
    },
    Param {
        id: Pathmaxrxt,
        name: c"sctp_pathmaxrxt",
        var: c"pathmaxrxt",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, SMALL),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::PeerAddr { heartbeat: Heartbeat::OsDefault, pathmaxrxt: u16v(v), dscp: None, path_mtu: None }),
        kernel: Some(|c| i(c.pathmaxrxt)),
        doc: c"maximum retransmissions per path (new associations)",
        readme: ("OS default", "maximum retransmissions per path (0 or -1: OS default; above 65535 clamped)"),
    },
    Param {
        id: SackDelay,
        name: c"sctp_sack_delay",
        var: c"sack_delay",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, BIG),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::DelayedSack { delay_ms: ms(v), freq: None }),
        kernel: Some(|c| i(c.sack_delay_ms)),
        doc: c"ms after a received packet before a SACK is sent (new associations)",
        readme: ("OS default", "delay before a SACK is sent, ms (0 or -1: OS default)"),
    },
    Param {
        id: SackFreq,
        name: c"sctp_sack_freq",
        var: c"sack_freq",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, SMALL),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::DelayedSack { delay_ms: None, freq: ms(v) }),
        kernel: Some(|c| i(c.sack_freq)),
        doc: c"received packets that trigger a SACK (new associations)",
        readme: ("OS default", "packets that trigger a SACK (0 or -1: OS default)"),
    },
    Param {
        id: MaxBurst,
        name: c"sctp_max_burst",
        var: c"max_burst",
        default: Default::Os,
        startup: (-1, MAX),
        expected: OS_VALUE,
        change: Effect::SocketOption,
        runtime: (0, SMALL),
        zero_keeps: true,
        checked: true,
        option: Some(|v| SockOpt::MaxBurst(ms(v))),
        kernel: Some(|c| i(c.max_burst)),
        doc: c"maximum burst of packets per association (new associations)",
        readme: ("OS default", "maximum burst of packets per association (0 or -1: OS default)"),
    },
    Param {
        id: SendWait,
        name: c"sctp_send_wait",
        var: c"send_wait",
        default: Default::Fixed(100),
        startup: (0, 30000),
        expected: "expected milliseconds from 0 (no waiting) to 30000",
        change: Effect::Atomic,
        runtime: (0, 30000),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: None,
        doc: c"ms a send waits for room in a full send buffer before the message is dropped (0: no waiting)",
        readme: (
            "100",
            "**ours**: milliseconds a send waits for room when the association's send buffer is full, before the message is dropped (counted in `sendq_full`); 0: no waiting (the C module's behaviour); at most 30000. See Send below",
        ),
    },
    Param {
        id: Pathpfthld,
        name: c"sctp_pathpfthld",
        var: c"pathpfthld",
        default: Default::Os,
        startup: (-1, MAX),
        expected: "expected a count (>= 0; 0: at the first timeout), or -1 for the OS default",
        change: Effect::SocketOption,
        runtime: (0, 65535),
        zero_keeps: false,
        checked: false,
        option: Some(|v| SockOpt::Thresholds { pathpfthld: u16v(v), pathmaxrxt: None }),
        kernel: Some(|c| i(c.pathpfthld)),
        doc: c"retransmissions before a path is potentially failed and left (new associations)",
        readme: (
            "OS default",
            "**ours**: retransmission timeouts on a path before it is \"potentially failed\" and new data goes on another path of the association (SCTP_PEER_ADDR_THLDS); 0: after the first timeout; -1: OS default (`net.sctp.pf_retrans`, 0 on Linux 6.1); above 65535 clamped. See [Path failover](#path-failover)",
        ),
    },
    Param {
        id: PlpmtudInterval,
        name: c"sctp_plpmtud_interval",
        var: c"plpmtud_interval",
        default: Default::Os,
        startup: (-1, MAX),
        expected: "expected 0 (off), milliseconds from 5000 (the kernel's shortest), or -1 for the OS default",
        change: Effect::SocketOption,
        runtime: (0, MAX),
        zero_keeps: false,
        checked: false,
        option: Some(|v| SockOpt::ProbeInterval(ms(v))),
        kernel: Some(|c| i(c.plpmtud_interval_ms)),
        doc: c"path MTU probing (RFC 8899) interval in ms, 0 off (new associations)",
        readme: (
            "OS default",
            "**ours**: new associations probe each path's MTU (RFC 8899 PLPMTUD, SCTP_PLPMTUD_PROBE_INTERVAL) every so many ms; 0: off (the OS default); at least 5000; Linux 5.14 or later. See [Path MTU](#path-mtu)",
        ),
    },
    Param {
        id: StallTimeout,
        name: c"sctp_stall_timeout",
        var: c"stall_timeout",
        default: Default::Fixed(0),
        startup: (0, 3_600_000),
        expected: "expected milliseconds from 0 (off) to 3600000",
        change: Effect::Atomic,
        runtime: (0, 3_600_000),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: None,
        doc: c"ms an association may have data outstanding and no progress before it counts as stalled (0: off)",
        readme: (
            "0",
            "**ours**: milliseconds an association may have data waiting while its peer takes none (window 0, or no SACK) before it counts as stalled: `event_route[sctp:assoc-stalled]` runs and `assoc_stalled` counts it; 0: no watchdog. See [Stalled associations](#stalled-associations)",
        ),
    },
    Param {
        id: StallAbort,
        name: c"sctp_stall_abort",
        var: c"stall_abort",
        default: Default::Fixed(0),
        startup: (0, 1),
        expected: "expected 0 or 1",
        change: Effect::Atomic,
        runtime: (0, 1),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: None,
        doc: c"1: abort an association once it counts as stalled",
        readme: ("0", "**ours**: 1: abort a stalled association, so that the next message to the peer opens a new one"),
    },
    Param {
        id: CutTimeout,
        name: c"sctp_cut_timeout",
        var: c"cut_timeout",
        default: Default::Fixed(5000),
        startup: (100, 600_000),
        expected: "expected milliseconds from 100 to 600000",
        change: Effect::Atomic,
        runtime: (100, 600_000),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: None,
        doc: c"ms a message the kernel hands over in pieces may take to end before its association is aborted",
        readme: (
            "5000",
            "**ours**: milliseconds (100 to 600000) a message the kernel hands over in pieces (partial delivery) may take from its first piece to its end; past it the pieces are dropped and the association is aborted (`cut_aborted`). See [Cut messages](#cut-messages)",
        ),
    },
    Param {
        id: UdpPort,
        name: c"sctp_udp_port",
        var: c"udp_port",
        default: Default::Fixed(0),
        startup: (0, 65535),
        expected: "expected a UDP port from 1 to 65535, or 0 (off)",
        change: Effect::ReadOnly,
        runtime: (0, 65535),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: None,
        doc: c"local UDP port of SCTP over UDP (RFC 6951), net.sctp.udp_port; 0: off (read-only)",
        readme: (
            "0",
            "**ours**: the local UDP port of SCTP over UDP (RFC 6951, IANA's port is 9899): at startup the module sets `net.sctp.udp_port` of Kamailio's network namespace to it (or finds it set), so that the kernel takes encapsulated packets on it and sends from it; 0: off. Linux 5.11 or later. See [SCTP over UDP](#sctp-over-udp)",
        ),
    },
    Param {
        id: EncapPort,
        name: c"sctp_encap_port",
        var: c"encap_port",
        default: Default::Fixed(0),
        startup: (0, 65535),
        expected: "expected a UDP port from 1 to 65535, or 0 (plain SCTP)",
        change: Effect::ReadOnly,
        runtime: (0, 65535),
        zero_keeps: false,
        checked: false,
        option: None,
        kernel: Some(|c| i(c.encap_port)),
        doc: c"remote UDP port new associations are encapsulated to (RFC 6951); 0: plain SCTP (read-only)",
        readme: (
            "0",
            "**ours**: the remote UDP port that associations Kamailio opens are encapsulated to (SCTP over UDP) from their first INIT; 0: plain SCTP. Needs `sctp_udp_port`; per peer `;encap=N` on `sctp_peer`. See [SCTP over UDP](#sctp-over-udp)",
        ),
    },
];

impl ParamId {
    pub fn param(self) -> &'static Param {
        &PARAMS[self as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's row of a parameter.
    fn readme_row(p: &Param) -> String {
        format!("| `{}` | {} | {} |", p.name.to_str().unwrap_or("?"), p.readme.0, p.readme.1)
    }

    #[test]
    fn rows_are_in_id_order_and_names_agree() {
        for (k, p) in PARAMS.iter().enumerate() {
            assert_eq!(p.id as usize, k, "{:?}", p.name);
            let (name, var) = (p.name.to_str().unwrap(), p.var.to_str().unwrap());
            assert_eq!(name, format!("sctp_{var}"));
            assert!(p.startup.0 <= p.startup.1 && p.runtime.0 <= p.runtime.1, "{name}");
            assert_eq!(p.option.is_some(), p.change == Effect::SocketOption, "{name}: an option iff set on sockets");
            assert!(!p.zero_keeps || p.checked, "{name}: keeping on 0 is a check");
        }
    }

    #[test]
    fn a_default_is_accepted_at_startup_and_at_runtime() {
        for p in &PARAMS {
            if let Default::Fixed(v) = p.default {
                assert!((p.startup.0..=p.startup.1).contains(&v), "{:?}", p.name);
                assert!(p.change == Effect::ReadOnly || (p.runtime.0..=p.runtime.1).contains(&v), "{:?}", p.name);
            }
        }
    }

    #[test]
    fn the_readme_table_is_the_tables() {
        let readme = include_str!("../../README.md");
        let section = readme.split("## Parameters").nth(1).expect("a Parameters section");
        let rows: Vec<&str> = section
            .lines()
            .skip_while(|l| !l.starts_with("| parameter |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        let want: Vec<String> = PARAMS.iter().map(readme_row).collect();
        assert_eq!(rows, want, "README.md's parameter table differs from src/config/table.rs");
    }
}
