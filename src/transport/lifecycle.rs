//! What the module does when the core loads it, initialises it and checks for
//! SCTP support.

use super::settings;
use crate::config::params::{defaults, RawValues};
use crate::kam::core::{register_sctp_api, SctpCallbacks};
use crate::sctp::{options, socket};

/// At load time (`mod_register`): set the parameter defaults, which modparam
/// lines then override, and register the transport with the core.
pub fn register(store_defaults: impl FnOnce(&RawValues), callbacks: &SctpCallbacks) -> i32 {
    let os = match options::os_defaults() {
        Ok(c) => Some(c),
        Err(e) => {
            log::debug!("cannot read the kernel's SCTP defaults ({e}); leaving them to the OS");
            None
        }
    };
    store_defaults(&defaults(os.as_ref()));
    if !register_sctp_api(callbacks) {
        log::error!("cannot register the SCTP transport with the core (is another SCTP module loaded?)");
        return -1;
    }
    0
}

/// At mod_init: refuse the configuration when a parameter cannot be right.
pub fn init_module(raw: &RawValues) -> i32 {
    match settings::configure(raw) {
        Ok(_) => 0,
        Err(e) => {
            log::error!("{e}");
            -1
        }
    }
}

/// The core asks whether this OS supports SCTP.
pub fn check_support() -> i32 {
    if socket::kernel_supports_sctp() {
        0
    } else {
        -1
    }
}
