//! The integer parameters (`modparam`) and runtime changes of the `sctp`
//! config group. Checks, besides the absence of panics:
//! - `validate` refuses only with the name and value of a parameter that has it,
//!   and only for values below -1 (below 0 for the send TTL and retries;
//!   outside 0..=30000 for the send wait, 0..=3600000 for the stall timeout;
//!   1..5000 too for the probe interval; outside 0..=65535 for the UDP ports,
//!   and an encapsulation port without a local UDP port) or flags other
//!   than 0/1;
//! - accepted values in force differ from the raw ones only where they were
//!   clamped (lowered), each clamp with a warning; they are what the settings
//!   hold, and validate again to the same settings, with nothing clamped;
//! - `judge` (cfg.set) refuses only the tracking/reuse conflicts, and replaces
//!   only a 0 of a socket-level variable, by the current value.
#![no_main]

use kamailio_sctp::fuzzing::{judge, validate, ParamId, RawValues, Verdict, PARAM_COUNT};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// The longest send wait, as the README states it (an oracle of its own,
/// not the module's table).
const MAX_SEND_WAIT_MS: i32 = 30000;
/// The longest stall timeout, and the shortest probe interval but 0 (the
/// kernel's SCTP_PROBE_TIMER_MIN), as the README states them.
const MAX_STALL_TIMEOUT_MS: i32 = 3_600_000;
const MIN_PROBE_INTERVAL_MS: i32 = 5000;
/// The largest UDP port (sctp_udp_port, sctp_encap_port).
const MAX_UDP_PORT: i32 = 65535;
/// The range of sctp_cut_timeout, as the README states it.
const MIN_CUT_TIMEOUT_MS: i32 = 100;
const MAX_CUT_TIMEOUT_MS: i32 = 600_000;

/// Mostly values around the interesting edges, sometimes any i32.
fn value(u: &mut Unstructured) -> Result<i32> {
    Ok(match u.int_in_range(0..=3)? {
        0 => u.int_in_range(-3..=3)?,
        1 => *u.choose(&[9, 10, 4999, 5000, 65535, 65536, 1 << 30, i32::MAX, i32::MIN])?,
        _ => u.arbitrary()?,
    })
}

fn check_validate(raw: &RawValues) {
    match validate(raw) {
        Err(e) => {
            let id = ParamId::ALL.into_iter().find(|id| id.name() == e.name).expect("a parameter's name");
            assert_eq!(e.value, raw[id as usize]);
            let lowest = match id {
                ParamId::AssocTracking | ParamId::AssocReuse | ParamId::StallAbort => {
                    assert!(e.value != 0 && e.value != 1, "{e}");
                    return;
                }
                ParamId::SendWait => {
                    assert!(!(0..=MAX_SEND_WAIT_MS).contains(&e.value), "{e}");
                    return;
                }
                ParamId::StallTimeout => {
                    assert!(!(0..=MAX_STALL_TIMEOUT_MS).contains(&e.value), "{e}");
                    return;
                }
                ParamId::CutTimeout => {
                    assert!(!(MIN_CUT_TIMEOUT_MS..=MAX_CUT_TIMEOUT_MS).contains(&e.value), "{e}");
                    return;
                }
                ParamId::PlpmtudInterval => {
                    assert!(e.value < -1 || (1..MIN_PROBE_INTERVAL_MS).contains(&e.value), "{e}");
                    return;
                }
                ParamId::UdpPort => {
                    assert!(!(0..=MAX_UDP_PORT).contains(&e.value), "{e}");
                    return;
                }
                // a port, but no local port to send it from
                ParamId::EncapPort => {
                    let without_udp_port = e.value != 0 && raw[ParamId::UdpPort as usize] == 0;
                    assert!(!(0..=MAX_UDP_PORT).contains(&e.value) || without_udp_port, "{e}");
                    return;
                }
                ParamId::SendTtl | ParamId::SendRetries => 0,
                _ => -1,
            };
            assert!(e.value < lowest, "{e}");
            let _ = e.to_string();
        }
        Ok(v) => {
            let clamped = (0..PARAM_COUNT).filter(|&i| v.values[i] != raw[i]).count();
            for (id, (&now, &was)) in ParamId::ALL.iter().zip(v.values.iter().zip(raw)) {
                assert!(now <= was, "{id:?} {was} -> {now}");
            }
            // the values in force are those the settings hold
            let t = &v.settings.tuning;
            let in_force = |id: ParamId| Some(v.values[id as usize] as i64).filter(|&x| x > 0);
            use ParamId::*;
            for (id, held) in [
                (SocketRcvbuf, t.rcvbuf.map(i64::from)),
                (SocketSndbuf, t.sndbuf.map(i64::from)),
                (SrtoInitial, t.rto_initial_ms.map(i64::from)),
                (SrtoMax, t.rto_max_ms.map(i64::from)),
                (SrtoMin, t.rto_min_ms.map(i64::from)),
                (Asocmaxrxt, t.asocmaxrxt.map(i64::from)),
                (InitMaxAttempts, t.init_max_attempts.map(i64::from)),
                (InitMaxTimeo, t.init_max_timeo_ms.map(i64::from)),
                (Pathmaxrxt, t.pathmaxrxt.map(i64::from)),
                (SackDelay, t.sack_delay_ms.map(i64::from)),
                (SackFreq, t.sack_freq.map(i64::from)),
                (MaxBurst, t.max_burst.map(i64::from)),
            ] {
                assert_eq!(held, in_force(id), "{id:?}");
            }
            // a potentially-failed threshold of 0 is a value, not the OS default
            let pf = v.values[Pathpfthld as usize];
            assert_eq!(t.pathpfthld.map(i64::from), Some(pf as i64).filter(|&x| x >= 0), "Pathpfthld");
            // so is a probe interval of 0 (off)
            let pi = v.values[PlpmtudInterval as usize];
            assert_eq!(t.plpmtud_interval_ms.map(i64::from), Some(pi as i64).filter(|&x| x >= 0), "PlpmtudInterval");
            assert_eq!(v.settings.send_retries as i32, v.values[SendRetries as usize]);
            // validated again: same settings, nothing left to clamp
            let again = validate(&v.values).expect("values in force are valid");
            assert_eq!(again.settings, v.settings);
            assert_eq!(again.values, v.values);
            assert_eq!(again.warnings.len() + clamped, v.warnings.len());
        }
    }
}

fn run(u: &mut Unstructured) -> Result<()> {
    let mut raw = [0; PARAM_COUNT];
    for r in raw.iter_mut() {
        *r = value(u)?;
    }
    check_validate(&raw);

    let id = *u.choose(&ParamId::ALL)?;
    let v = value(u)?;
    match judge(id, v, |o| raw[o as usize]) {
        Verdict::Accept => {}
        Verdict::Replace(x) => {
            assert_eq!(v, 0);
            assert_eq!(x, raw[id as usize]);
        }
        Verdict::Refuse(_) => match id {
            ParamId::AssocTracking => assert!(v == 0 && raw[ParamId::AssocReuse as usize] != 0),
            ParamId::AssocReuse => assert!(v == 1 && raw[ParamId::AssocTracking as usize] == 0),
            _ => panic!("{id:?} {v} refused"),
        },
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
