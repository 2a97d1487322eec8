//! The validated module settings of this Kamailio instance.
//!
//! Fixed in the main process by mod_init, before the core forks its workers;
//! every process then holds the same read-only copy. (Runtime changes through
//! the config framework will live in the core's shared config instead.)

use crate::config::params::{validate, ParamError, RawValues, Settings};
use std::sync::OnceLock;

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Validates the raw parameter values, logs what was adjusted, and fixes the
/// settings for the rest of the process.
pub fn configure(raw: &RawValues) -> Result<&'static Settings, ParamError> {
    let (settings, warnings) = validate(raw)?;
    for w in warnings {
        log::warn!("{}", w.0);
    }
    Ok(SETTINGS.get_or_init(|| settings))
}

/// The settings; `None` before mod_init ran.
pub fn get() -> Option<&'static Settings> {
    SETTINGS.get()
}
