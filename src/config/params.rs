//! The 19 `modparam("sctp", ...)` parameters of the C module and those this
//! module adds (after them), as described in `table`: their defaults, and the
//! check that turns the raw integers into settings or refuses them with an
//! error naming the parameter.

use super::table::{self, ParamId, PARAMS, PARAM_COUNT};
use crate::sctp::options::{Current, Heartbeat, Tuning};

/// The shortest path MTU probe interval the kernel takes (but 0, off).
pub const MIN_PROBE_INTERVAL_MS: i32 = 5000;

/// Why an encapsulation port is refused without `sctp_udp_port`.
pub const NEEDS_UDP_PORT: &str =
    "encapsulation needs sctp_udp_port (the local UDP port, e.g. 9899): without it the kernel sends plain SCTP";

/// The C module clamps sctp_send_retries to this.
pub const MAX_SEND_RETRIES: u32 = 9;

/// The raw integer of every parameter, as modparam leaves them.
pub type RawValues = [i32; PARAM_COUNT];

/// The values of the options a kernel holds, read from a socket, as parameter
/// values; 0 for the options the kernel does not hold or would not report.
pub fn kernel_values(c: &Current) -> RawValues {
    std::array::from_fn(|k| {
        PARAMS[k].kernel.and_then(|f| f(c)).map_or(0, |v| v.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
    })
}

/// The defaults: the C module's fixed ones, and for the socket-level options the
/// values a fresh socket of this kernel has (0, "leave the OS default", where the
/// kernel cannot tell, e.g. without SCTP).
pub fn defaults(os: Option<&Current>) -> RawValues {
    let kernel = kernel_values(&os.copied().unwrap_or_default());
    std::array::from_fn(|k| match PARAMS[k].default {
        table::Default::Fixed(v) => v,
        table::Default::Os => kernel[k],
    })
}

/// Validated settings of the module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Applied to every SCTP socket at init (tos/freebind come from the core).
    pub tuning: Tuning,
    pub send_ttl_ms: u32,
    pub send_retries: u32,
    pub assoc_tracking: bool,
    pub assoc_reuse: bool,
    /// None: as many as the OS allows.
    pub max_assocs: Option<u32>,
    /// 0: no waiting for room in a full send buffer.
    pub send_wait_ms: u32,
    /// The local UDP port of SCTP over UDP; 0: off.
    pub udp_port: u16,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid value {value} for modparam(\"sctp\", \"{name}\"): {expected}")]
pub struct ParamError {
    pub name: &'static str,
    pub value: i32,
    pub expected: &'static str,
}

/// A value accepted but changed or of note, to be logged as a warning.
#[derive(Debug, PartialEq, Eq)]
pub struct ParamWarning(pub String);

struct Checker<'a> {
    raw: &'a RawValues,
    warnings: Vec<ParamWarning>,
    /// The raw values with the clamps applied.
    adjusted: RawValues,
}

impl Checker<'_> {
    fn val(&self, id: ParamId) -> i32 {
        self.raw[id as usize]
    }

    fn err(&self, id: ParamId) -> ParamError {
        ParamError { name: id.name(), value: self.val(id), expected: id.param().expected }
    }

    /// A socket option where 0 and -1 both mean "keep the OS default".
    fn os_opt(&self, id: ParamId) -> Result<Option<u32>, ParamError> {
        match self.val(id) {
            -1 | 0 => Ok(None),
            v => Ok(Some(v as u32)),
        }
    }

    /// As `os_opt`, for options the kernel holds in 16 bits: larger values are
    /// clamped (the C module truncated them silently).
    fn os_opt_u16(&mut self, id: ParamId) -> Result<Option<u16>, ParamError> {
        Ok(self.os_opt(id)?.map(|v| {
            if v > u16::MAX as u32 {
                self.warnings.push(ParamWarning(format!(
                    "{} {} is more than the kernel can hold, using {}",
                    id.name(),
                    v,
                    u16::MAX
                )));
                self.adjusted[id as usize] = u16::MAX as i32;
                u16::MAX
            } else {
                v as u16
            }
        }))
    }

    fn buffer(&self, id: ParamId) -> Result<Option<i32>, ParamError> {
        match self.val(id) {
            -1 | 0 => Ok(None),
            v => Ok(Some(v)),
        }
    }

    fn flag(&self, id: ParamId) -> Result<bool, ParamError> {
        Ok(self.val(id) == 1)
    }
}

/// The outcome of a successful check.
#[derive(Debug)]
pub struct Validated {
    pub settings: Settings,
    pub warnings: Vec<ParamWarning>,
    /// The parameter values in force: the raw ones with the clamps applied.
    pub values: RawValues,
}

/// Checks every parameter. Refuses values that cannot be right; accepts every
/// value the C module works with, clamping where it clamps (with a warning).
pub fn validate(raw: &RawValues) -> Result<Validated, ParamError> {
    use ParamId::*;
    let mut c = Checker { raw, warnings: Vec::new(), adjusted: *raw };
    // the range of each, from the table; what follows only converts
    if let Some(p) = PARAMS.iter().find(|p| !(p.startup.0..=p.startup.1).contains(&raw[p.id as usize])) {
        return Err(c.err(p.id));
    }

    let autoclose_s = match c.val(Autoclose) {
        // -1: as long as the kernel allows (it caps at net.sctp.max_autoclose)
        -1 => u32::MAX,
        0 => {
            c.warnings.push(ParamWarning("sctp_autoclose 0: idle associations will never be closed".into()));
            0
        }
        v => v as u32,
    };
    let send_ttl_ms = c.val(SendTtl) as u32;
    let send_retries = match c.val(SendRetries) {
        v if v as u32 > MAX_SEND_RETRIES => {
            c.warnings
                .push(ParamWarning(format!("sctp_send_retries too high ({v}), setting it to {MAX_SEND_RETRIES}")));
            c.adjusted[SendRetries as usize] = MAX_SEND_RETRIES as i32;
            MAX_SEND_RETRIES
        }
        v => v as u32,
    };
    let assoc_tracking = c.flag(AssocTracking)?;
    let assoc_reuse = c.flag(AssocReuse)?;
    if assoc_reuse && !assoc_tracking {
        c.warnings.push(ParamWarning(
            "sctp_assoc_reuse needs sctp_assoc_tracking: replies will not reuse associations".into(),
        ));
    }
    let max_assocs = u32::try_from(c.val(MaxAssocs)).ok();
    let send_wait_ms = c.val(SendWait) as u32;
    let heartbeat = match c.val(Hbinterval) {
        -1 => Heartbeat::Disabled,
        0 => Heartbeat::OsDefault,
        v => Heartbeat::IntervalMs(v as u32),
    };

    // unlike the other socket options, 0 is a threshold here (leave a path at
    // its first timeout), not "OS default"
    let pathpfthld = match c.val(Pathpfthld) {
        -1 => None,
        v if v > u16::MAX as i32 => {
            c.warnings.push(ParamWarning(format!(
                "sctp_pathpfthld {v} is more than the kernel can hold, using {}",
                u16::MAX
            )));
            c.adjusted[Pathpfthld as usize] = u16::MAX as i32;
            Some(u16::MAX)
        }
        v => Some(v as u16),
    };
    // the kernel refuses probe intervals under 5 s (SCTP_PROBE_TIMER_MIN)
    let plpmtud_interval_ms = match c.val(PlpmtudInterval) {
        -1 => None,
        v if v == 0 || v >= MIN_PROBE_INTERVAL_MS => Some(v as u32),
        _ => return Err(c.err(PlpmtudInterval)),
    };

    // the kernel sends plain SCTP, silently, from a socket made while
    // net.sctp.udp_port was 0: encapsulation needs the local port
    let udp_port = c.val(UdpPort) as u16;
    let encap_port = c.val(EncapPort) as u16;
    if encap_port != 0 && udp_port == 0 {
        return Err(ParamError { name: EncapPort.name(), value: encap_port.into(), expected: NEEDS_UDP_PORT });
    }

    let tuning = Tuning {
        rcvbuf: c.buffer(SocketRcvbuf)?,
        sndbuf: c.buffer(SocketSndbuf)?,
        autoclose_s,
        rto_initial_ms: c.os_opt(SrtoInitial)?,
        rto_max_ms: c.os_opt(SrtoMax)?,
        rto_min_ms: c.os_opt(SrtoMin)?,
        asocmaxrxt: c.os_opt_u16(Asocmaxrxt)?,
        init_max_attempts: c.os_opt_u16(InitMaxAttempts)?,
        init_max_timeo_ms: c.os_opt_u16(InitMaxTimeo)?,
        heartbeat,
        pathmaxrxt: c.os_opt_u16(Pathmaxrxt)?,
        pathpfthld,
        sack_delay_ms: c.os_opt(SackDelay)?,
        sack_freq: c.os_opt(SackFreq)?,
        max_burst: c.os_opt(MaxBurst)?,
        plpmtud_interval_ms,
        encap_port: (udp_port != 0).then_some(encap_port),
        tos: None,
        freebind: false,
    };
    Ok(Validated {
        settings: Settings {
            tuning,
            send_ttl_ms,
            send_retries,
            assoc_tracking,
            assoc_reuse,
            max_assocs,
            send_wait_ms,
            udp_port,
        },
        warnings: c.warnings,
        values: c.adjusted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::table::PARAM_NAMES;
    use ParamId::*;

    fn with(changes: &[(ParamId, i32)]) -> RawValues {
        let mut v = defaults(None);
        for (id, val) in changes {
            v[*id as usize] = *val;
        }
        v
    }

    fn ok(changes: &[(ParamId, i32)]) -> (Settings, Vec<ParamWarning>) {
        let v = validate(&with(changes)).expect("valid");
        (v.settings, v.warnings)
    }

    fn refused(id: ParamId, val: i32) -> ParamError {
        refused_with(&[(id, val)])
    }

    fn refused_with(changes: &[(ParamId, i32)]) -> ParamError {
        validate(&with(changes)).expect_err("must be refused")
    }

    #[test]
    fn all_is_in_index_order() {
        for (i, id) in ParamId::ALL.iter().enumerate() {
            assert_eq!(*id as usize, i);
        }
    }

    #[test]
    fn names_are_the_c_modules() {
        // the C module's 19 first, in its order, then ours
        assert_eq!(PARAM_NAMES[18].to_str().unwrap(), "sctp_max_burst");
        assert_eq!(SendWait.name(), "sctp_send_wait");
        assert_eq!(Pathpfthld.name(), "sctp_pathpfthld");
        assert_eq!(SocketRcvbuf.name(), "sctp_socket_rcvbuf");
        assert_eq!(MaxBurst.name(), "sctp_max_burst");
        assert_eq!(InitMaxTimeo.name(), "sctp_init_max_timeo");
    }

    #[test]
    fn defaults_are_the_c_modules() {
        let (s, w) = ok(&[]);
        assert!(w.is_empty());
        assert_eq!(s.tuning.autoclose_s, 180);
        assert_eq!(s.send_ttl_ms, 32000);
        assert_eq!(s.send_retries, 0);
        assert!(s.assoc_tracking && s.assoc_reuse);
        assert_eq!(s.max_assocs, None);
    }

    #[test]
    fn os_defaults_flow_into_the_defaults() {
        let os = Current {
            rcvbuf: Some(106496),
            rto_initial_ms: Some(3000),
            hbinterval_ms: Some(30000),
            asocmaxrxt: Some(10),
            ..Default::default()
        };
        let s = validate(&defaults(Some(&os))).unwrap().settings;
        assert_eq!(s.tuning.rcvbuf, Some(106496));
        assert_eq!(s.tuning.rto_initial_ms, Some(3000));
        assert_eq!(s.tuning.heartbeat, Heartbeat::IntervalMs(30000));
        assert_eq!(s.tuning.asocmaxrxt, Some(10));
        assert_eq!(s.tuning.sndbuf, None);
    }

    #[test]
    fn kernel_values_hold_only_kernel_options() {
        let c =
            Current { autoclose_s: Some(60), hbinterval_ms: Some(u32::MAX), pathmaxrxt: Some(5), ..Default::default() };
        let v = kernel_values(&c);
        assert_eq!(v[Autoclose as usize], 60);
        assert_eq!(v[Hbinterval as usize], i32::MAX);
        assert_eq!(v[Pathmaxrxt as usize], 5);
        assert_eq!(v[SendTtl as usize], 0);
        assert_eq!(v[MaxAssocs as usize], 0);
        assert_eq!(v[SrtoMin as usize], 0);
    }

    #[test]
    fn negative_values_are_refused_with_the_name() {
        for id in [
            SocketRcvbuf,
            SocketSndbuf,
            Autoclose,
            SendTtl,
            SendRetries,
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
            Pathpfthld,
        ] {
            let e = refused(id, -5);
            assert_eq!(e.name, id.name());
            assert!(e.to_string().contains(id.name()), "{e}");
            assert!(e.to_string().contains("-5"), "{e}");
        }
        assert_eq!(refused(SendTtl, -1).name, "sctp_send_ttl");
    }

    #[test]
    fn encapsulation_needs_the_local_udp_port() {
        let e = refused_with(&[(EncapPort, 9899)]);
        assert_eq!((e.name, e.value, e.expected), ("sctp_encap_port", 9899, NEEDS_UDP_PORT));
        let (s, _) = ok(&[(UdpPort, 9899), (EncapPort, 9899)]);
        assert_eq!((s.udp_port, s.tuning.encap_port), (9899, Some(9899)));
        let (s, _) = ok(&[(UdpPort, 9899)]);
        assert_eq!(s.tuning.encap_port, Some(0), "incoming only: the socket's default stays plain, but is set");
        assert_eq!(ok(&[]).0.tuning.encap_port, None, "off: nothing set");
        for (id, bad) in [(UdpPort, 65536), (UdpPort, -1), (EncapPort, 70000)] {
            assert_eq!(refused(id, bad).name, id.name());
        }
    }

    #[test]
    fn flags_must_be_zero_or_one() {
        for id in [AssocTracking, AssocReuse] {
            assert_eq!(refused(id, 2).name, id.name());
            assert_eq!(refused(id, -1).name, id.name());
        }
        let (s, w) = ok(&[(AssocTracking, 0), (AssocReuse, 0)]);
        assert!(!s.assoc_tracking && !s.assoc_reuse && w.is_empty());
    }

    #[test]
    fn reuse_without_tracking_is_accepted_with_a_warning() {
        let (s, w) = ok(&[(AssocTracking, 0), (AssocReuse, 1)]);
        assert!(s.assoc_reuse && !s.assoc_tracking);
        assert_eq!(w.len(), 1);
        assert!(w[0].0.contains("sctp_assoc_tracking"));
    }

    #[test]
    fn send_retries_above_nine_is_clamped() {
        let (s, w) = ok(&[(SendRetries, 20)]);
        assert_eq!(s.send_retries, 9);
        assert_eq!(validate(&with(&[(SendRetries, 20)])).unwrap().values[SendRetries as usize], 9);
        assert!(w[0].0.contains("sctp_send_retries too high (20)"));
        assert_eq!(ok(&[(SendRetries, 9)]).0.send_retries, 9);
    }

    #[test]
    fn minus_one_means_os_default_or_unlimited() {
        let (s, w) = ok(&[
            (SocketRcvbuf, -1),
            (SrtoInitial, -1),
            (Asocmaxrxt, -1),
            (SackFreq, -1),
            (MaxAssocs, -1),
            (Autoclose, -1),
        ]);
        assert!(w.is_empty());
        assert_eq!(s.tuning.rcvbuf, None);
        assert_eq!(s.tuning.rto_initial_ms, None);
        assert_eq!(s.tuning.asocmaxrxt, None);
        assert_eq!(s.tuning.sack_freq, None);
        assert_eq!(s.max_assocs, None);
        assert_eq!(s.tuning.autoclose_s, u32::MAX);
    }

    #[test]
    fn hbinterval_minus_one_disables_heartbeats() {
        assert_eq!(ok(&[(Hbinterval, -1)]).0.tuning.heartbeat, Heartbeat::Disabled);
        assert_eq!(ok(&[(Hbinterval, 0)]).0.tuning.heartbeat, Heartbeat::OsDefault);
        assert_eq!(ok(&[(Hbinterval, 2000)]).0.tuning.heartbeat, Heartbeat::IntervalMs(2000));
    }

    #[test]
    fn sixteen_bit_options_are_clamped_with_a_warning() {
        let (s, w) = ok(&[(InitMaxTimeo, 70000)]);
        assert_eq!(s.tuning.init_max_timeo_ms, Some(65535));
        assert_eq!(validate(&with(&[(InitMaxTimeo, 70000)])).unwrap().values[InitMaxTimeo as usize], 65535);
        assert!(w[0].0.contains("sctp_init_max_timeo 70000"));
    }

    #[test]
    fn probe_intervals_the_kernel_would_refuse_are_refused() {
        assert_eq!(ok(&[(PlpmtudInterval, 30000)]).0.tuning.plpmtud_interval_ms, Some(30000));
        assert_eq!(ok(&[(PlpmtudInterval, 5000)]).0.tuning.plpmtud_interval_ms, Some(5000));
        assert_eq!(ok(&[(PlpmtudInterval, 0)]).0.tuning.plpmtud_interval_ms, Some(0), "0 is off, not the default");
        assert_eq!(ok(&[(PlpmtudInterval, -1)]).0.tuning.plpmtud_interval_ms, None);
        let e = refused(PlpmtudInterval, 4999);
        assert_eq!(e.name, "sctp_plpmtud_interval");
        assert!(e.expected.contains("5000"));
        assert_eq!(refused(StallTimeout, -1).name, "sctp_stall_timeout");
        assert_eq!(refused(StallAbort, 2).name, "sctp_stall_abort");
    }

    #[test]
    fn pf_threshold_zero_is_a_value_minus_one_the_os_default() {
        assert_eq!(ok(&[(Pathpfthld, 0)]).0.tuning.pathpfthld, Some(0));
        assert_eq!(ok(&[(Pathpfthld, 2)]).0.tuning.pathpfthld, Some(2));
        assert_eq!(ok(&[(Pathpfthld, -1)]).0.tuning.pathpfthld, None);
        let (s, w) = ok(&[(Pathpfthld, 70000)]);
        assert_eq!(s.tuning.pathpfthld, Some(65535));
        assert!(w[0].0.contains("sctp_pathpfthld 70000"));
        let e = refused(Pathpfthld, -2);
        assert_eq!(e.name, "sctp_pathpfthld");
        assert!(e.to_string().contains("-2"));
        let os = Current { pathpfthld: Some(0), ..Default::default() };
        assert_eq!(kernel_values(&os)[Pathpfthld as usize], 0);
    }

    #[test]
    fn zero_autoclose_and_zero_ttl_are_accepted() {
        let (s, w) = ok(&[(Autoclose, 0), (SendTtl, 0), (MaxAssocs, 0)]);
        assert_eq!(s.tuning.autoclose_s, 0);
        assert_eq!(s.send_ttl_ms, 0);
        assert_eq!(s.max_assocs, Some(0));
        assert_eq!(w.len(), 1);
    }
}
