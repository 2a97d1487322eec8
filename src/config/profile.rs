//! The per-peer SCTP settings of an `sctp_peer` value: `;name=value` pairs
//! after the addresses, e.g. `"198.18.1.2,198.18.2.2:5060;srto_min=50;dscp=46"`.
//! Pure: parsing and the checks between settings.

use crate::sctp::options::{AssocTuning, Heartbeat};

/// One setting: its name, what it accepts, and where it goes.
struct Setting {
    name: &'static str,
    /// Accepted values (inclusive).
    range: (i64, i64),
    expected: &'static str,
    put: fn(&mut AssocTuning, i64),
    /// The value `put` set, to write the setting back out.
    get: fn(&AssocTuning) -> Option<i64>,
}

const SETTINGS: &[Setting] = &[
    Setting {
        name: "srto_initial",
        range: (1, u32::MAX as i64),
        expected: "milliseconds (> 0)",
        put: |t, v| t.rto_initial_ms = Some(v as u32),
        get: |t| t.rto_initial_ms.map(i64::from),
    },
    Setting {
        name: "srto_min",
        range: (1, u32::MAX as i64),
        expected: "milliseconds (> 0)",
        put: |t, v| t.rto_min_ms = Some(v as u32),
        get: |t| t.rto_min_ms.map(i64::from),
    },
    Setting {
        name: "srto_max",
        range: (1, u32::MAX as i64),
        expected: "milliseconds (> 0)",
        put: |t, v| t.rto_max_ms = Some(v as u32),
        get: |t| t.rto_max_ms.map(i64::from),
    },
    Setting {
        name: "asocmaxrxt",
        range: (1, u16::MAX as i64),
        expected: "a count from 1 to 65535",
        put: |t, v| t.asocmaxrxt = Some(v as u16),
        get: |t| t.asocmaxrxt.map(i64::from),
    },
    Setting {
        name: "hbinterval",
        range: (-1, u32::MAX as i64),
        expected: "milliseconds (> 0), or -1 for no heartbeats",
        put: |t, v| t.heartbeat = Some(if v <= 0 { Heartbeat::Disabled } else { Heartbeat::IntervalMs(v as u32) }),
        get: |t| {
            t.heartbeat.map(|h| match h {
                Heartbeat::IntervalMs(ms) => i64::from(ms),
                _ => -1,
            })
        },
    },
    Setting {
        name: "pathmaxrxt",
        range: (1, u16::MAX as i64),
        expected: "a count from 1 to 65535",
        put: |t, v| t.pathmaxrxt = Some(v as u16),
        get: |t| t.pathmaxrxt.map(i64::from),
    },
    Setting {
        name: "pathpfthld",
        range: (0, u16::MAX as i64),
        expected: "a count from 0 (at the first timeout) to 65535",
        put: |t, v| t.pathpfthld = Some(v as u16),
        get: |t| t.pathpfthld.map(i64::from),
    },
    Setting {
        name: "dscp",
        range: (0, 63),
        expected: "a DSCP from 0 to 63",
        put: |t, v| t.dscp = Some(v as u8),
        get: |t| t.dscp.map(i64::from),
    },
    Setting {
        name: "mtu",
        range: (512, u16::MAX as i64),
        expected: "a path MTU in bytes from 512 to 65535 (path MTU discovery off)",
        put: |t, v| t.path_mtu = Some(v as u32),
        get: |t| t.path_mtu.map(i64::from),
    },
    Setting {
        name: "plpmtud",
        range: (0, u32::MAX as i64),
        expected: "a probe interval in ms: 0 (off), or 5000 (the kernel's shortest) or more",
        put: |t, v| t.plpmtud_interval_ms = Some(v as u32),
        get: |t| t.plpmtud_interval_ms.map(i64::from),
    },
    Setting {
        name: "encap",
        range: (0, u16::MAX as i64),
        expected: "a remote UDP port from 1 to 65535 (SCTP over UDP), or 0 (plain SCTP)",
        put: |t, v| t.encap_port = Some(v as u16),
        get: |t| t.encap_port.map(i64::from),
    },
];

/// The settings of `t` as an `sctp_peer` line writes them (`name=value`,
/// joined by `;`), in the table's order; empty when none is set.
pub fn format(t: &AssocTuning) -> String {
    SETTINGS.iter().filter_map(|s| (s.get)(t).map(|v| format!("{}={v}", s.name))).collect::<Vec<_>>().join(";")
}

/// The names of every setting, for error messages.
pub fn names() -> String {
    SETTINGS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// Parses the settings part of an `sctp_peer` value (after its first `;`):
/// the error says which setting and why.
pub fn parse(settings: &str) -> Result<AssocTuning, String> {
    let mut t = AssocTuning::default();
    let mut seen: Vec<&str> = Vec::new();
    for pair in settings.split(';').map(str::trim) {
        if pair.is_empty() {
            continue;
        }
        let Some((name, value)) = pair.split_once('=').map(|(n, v)| (n.trim(), v.trim())) else {
            return Err(format!("setting \"{pair}\": expected NAME=VALUE"));
        };
        let Some(s) = SETTINGS.iter().find(|s| s.name == name) else {
            return Err(format!("unknown setting \"{name}\" (the settings are {})", names()));
        };
        if seen.contains(&name) {
            return Err(format!("setting \"{name}\" given twice"));
        }
        seen.push(s.name);
        match value.parse::<i64>() {
            Ok(v) if (s.range.0..=s.range.1).contains(&v) => (s.put)(&mut t, v),
            _ => return Err(format!("setting \"{name}={value}\": expected {}", s.expected)),
        }
    }
    check(&t)?;
    Ok(t)
}

/// The shortest path MTU probe interval the kernel takes (but 0, off).
const MIN_PROBE_INTERVAL: u32 = crate::config::params::MIN_PROBE_INTERVAL_MS as u32;

/// The checks between settings the kernel would refuse less clearly.
fn check(t: &AssocTuning) -> Result<(), String> {
    let (lo, init, hi) = (t.rto_min_ms, t.rto_initial_ms, t.rto_max_ms);
    if let (Some(lo), Some(hi)) = (lo, hi) {
        if lo > hi {
            return Err(format!("srto_min {lo} is above srto_max {hi}"));
        }
    }
    if let Some(init) = init {
        if lo.is_some_and(|lo| init < lo) || hi.is_some_and(|hi| init > hi) {
            return Err(format!("srto_initial {init} is outside srto_min..srto_max"));
        }
    }
    if let Some(i @ 1..MIN_PROBE_INTERVAL) = t.plpmtud_interval_ms {
        return Err(format!("setting \"plpmtud={i}\": expected 0 (off), or 5000 (the kernel's shortest) or more"));
    }
    if t.path_mtu.is_some() && t.plpmtud_interval_ms.is_some_and(|i| i > 0) {
        return Err("mtu fixes the path MTU, plpmtud probes for it: give one of them".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issues_example_parses() {
        let t = parse("srto_min=50;srto_max=200;srto_initial=100;hbinterval=1000;pathmaxrxt=2;pathpfthld=0;dscp=46")
            .unwrap();
        assert_eq!((t.rto_min_ms, t.rto_max_ms, t.rto_initial_ms), (Some(50), Some(200), Some(100)));
        assert_eq!(t.heartbeat, Some(Heartbeat::IntervalMs(1000)));
        assert_eq!((t.pathmaxrxt, t.pathpfthld, t.dscp), (Some(2), Some(0), Some(46)));
        assert_eq!((t.path_mtu, t.plpmtud_interval_ms, t.asocmaxrxt), (None, None, None));
        assert!(!t.is_empty());
        assert!(parse("").unwrap().is_empty());
        assert_eq!(parse(" mtu = 1200 ; ").unwrap().path_mtu, Some(1200));
        assert_eq!(parse("plpmtud=30000").unwrap().plpmtud_interval_ms, Some(30000));
        assert_eq!(parse("hbinterval=-1").unwrap().heartbeat, Some(Heartbeat::Disabled));
    }

    #[test]
    fn settings_written_out_read_back_the_same() {
        let line = "srto_initial=100;srto_min=50;srto_max=200;asocmaxrxt=4;hbinterval=-1;pathmaxrxt=2;pathpfthld=0;\
                    dscp=46;plpmtud=0;encap=9899";
        let t = parse(line).unwrap();
        assert_eq!(format(&t), line);
        assert_eq!(parse(&format(&t)).unwrap(), t);
        assert_eq!(format(&parse("mtu=1200;hbinterval=1000").unwrap()), "hbinterval=1000;mtu=1200");
        assert_eq!(format(&AssocTuning::default()), "");
        for s in SETTINGS {
            let mut t = AssocTuning::default();
            (s.put)(&mut t, s.range.0.max(0).max(if s.name == "mtu" { 512 } else { 0 }));
            assert!((s.get)(&t).is_some(), "{}: get reads what put wrote", s.name);
        }
    }

    #[test]
    fn errors_name_the_setting_and_the_value() {
        let e = parse("srto_min=abc").unwrap_err();
        assert!(e.contains("srto_min=abc") && e.contains("milliseconds"), "{e}");
        let e = parse("dscp=64").unwrap_err();
        assert!(e.contains("dscp=64") && e.contains("0 to 63"), "{e}");
        let e = parse("rto=5").unwrap_err();
        assert!(e.contains("unknown setting \"rto\"") && e.contains("srto_min"), "{e}");
        assert!(parse("dscp").unwrap_err().contains("NAME=VALUE"));
        assert!(parse("dscp=1;dscp=2").unwrap_err().contains("twice"));
        assert!(parse("mtu=100").unwrap_err().contains("mtu=100"));
        assert!(parse("pathmaxrxt=0").unwrap_err().contains("pathmaxrxt=0"));
        assert!(parse("srto_min=300;srto_max=200").unwrap_err().contains("above"));
        assert!(parse("srto_min=100;srto_initial=50").unwrap_err().contains("outside"));
        assert!(parse("mtu=1200;plpmtud=30000").unwrap_err().contains("one of them"));
        assert!(parse("mtu=1200;plpmtud=0").is_ok());
        assert!(parse("plpmtud=4999").unwrap_err().contains("plpmtud=4999"), "the kernel would refuse it");
        assert_eq!(parse("encap=9899").unwrap().encap_port, Some(9899));
        assert_eq!(parse("encap=0").unwrap().encap_port, Some(0), "this peer plain, whatever the default");
        for bad in ["encap=65536", "encap=-1", "encap=x"] {
            assert!(parse(bad).unwrap_err().contains(bad), "{bad}");
        }
    }
}
