//! The module settings fixed at startup.
//!
//! Set in the main process by mod_init, before the core forks; every process
//! then holds the same read-only copy. What can change at runtime is read
//! through `runtime` instead.

use crate::config::params::{validate, ParamError, RawValues, Settings};
use std::sync::OnceLock;

struct Startup {
    settings: Settings,
    values: RawValues,
}

static STARTUP: OnceLock<Startup> = OnceLock::new();

/// Validates the raw parameter values, logs what was adjusted, and fixes the
/// settings for the rest of the process.
pub fn configure(raw: &RawValues) -> Result<&'static Settings, ParamError> {
    let v = validate(raw)?;
    for w in &v.warnings {
        log::warn!("{}", w.0);
    }
    Ok(&STARTUP.get_or_init(|| Startup { settings: v.settings, values: v.values }).settings)
}

/// The settings; `None` before mod_init ran.
pub fn get() -> Option<&'static Settings> {
    STARTUP.get().map(|s| &s.settings)
}

/// The parameter values in force at startup (clamps applied).
pub fn startup_values() -> Option<&'static RawValues> {
    STARTUP.get().map(|s| &s.values)
}
