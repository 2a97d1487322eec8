//! Reading `kamailio -v`: the core's version, series and the strings it compares a
//! module's `module_version` and `module_flags` with. Shared by build.rs and
//! tests/core_version.rs.

/// Core series that `kamailio-headers/` declares, oldest to newest (major, minor).
pub const SUPPORTED_SERIES: &[(u32, u32)] = &[(5, 6), (5, 7), (5, 8), (6, 0), (6, 1), (6, 2)];

/// Items of the `flags:` line of `kamailio -v` that, from 6.1 on, are not in the
/// string the core compares `module_flags` with. From 6.1 the core's ver.c
/// includes mem/memcore.h before ver_defs.h, and the allocator headers it pulls
/// in define these whenever DBG_SR_MEMORY is set; sr_module.c, which holds the
/// comparison, expands ver_defs.h without them. No build defines them otherwise.
pub const FLAGS_ONLY_IN_VERSION_OUTPUT: &[&str] = &["DBG_QM_MALLOC", "DBG_F_MALLOC", "DBG_TLSF_MALLOC"];

/// The core's full version (what it compares `module_version` with) and series,
/// from the text after `version:`: `kamailio 5.6.3 (x86_64/linux)` (make builds)
/// or `kamailio 6.1.5 (x86_64/Linux)` (CMake builds), possibly followed by the
/// repository's version, which is not part of the compared string.
pub fn parse_version_line(line: &str) -> Option<(String, (u32, u32))> {
    let rest = line.strip_prefix("kamailio ")?;
    let full = &line[..line.find(')')? + 1];
    let version = rest.split_whitespace().next()?;
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((full.to_string(), (major, minor)))
}

pub fn flag_items(flags: &str) -> impl Iterator<Item = &str> {
    flags.split(',').map(str::trim).filter(|f| !f.is_empty())
}

/// The string the core compares `module_flags` with, from the `flags:` line (its
/// text after `flags: `). Each item but the first (USE_TCP) is printed as
/// ", NAME", and the DBG_*_MALLOC ones are never first: removing ", NAME" keeps
/// the rest byte for byte.
pub fn compared_flags(flags_line: &str, series: (u32, u32)) -> String {
    let mut flags = flags_line.to_string();
    if series >= (6, 1) {
        for item in FLAGS_ONLY_IN_VERSION_OUTPUT {
            flags = flags.replace(&format!(", {item}"), "");
        }
    }
    flags
}

/// The series as kamailio_abi.h takes it (KSR_ABI_VERSION).
pub fn abi_version(major: u32, minor: u32) -> u32 {
    major * 10000 + minor * 100
}
