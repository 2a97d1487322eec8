//! Keeps panics from crossing into the C core: every exported function runs its
//! body through `guard`, and a panic becomes a logged error and a failure code.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; if it panics, logs it and returns `on_panic`.
pub fn guard<R>(what: &str, on_panic: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => {
            log::error!("internal error in {what}: the operation failed (see the panic message above)");
            on_panic
        }
    }
}

/// Routes panic messages to Kamailio's log instead of a bare stderr print.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let loc = info.location().map(|l| (l.file(), l.line())).unwrap_or(("?", 0));
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        log::error!("panic at {}:{}: {msg}", loc.0, loc.1);
    }));
}
