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

/// Defines the functions the core calls, each body run through `guard`
/// (pgrx's `#[pg_guard]`), so that no panic crosses into C:
/// - `fn NAME(ARG: TYPE, ...) -> RET = [LABEL, FAILURE] BODY`: an
///   `unsafe extern "C" fn` returning FAILURE when BODY panics (`-> ()`
///   with FAILURE `()` for callbacks without a result);
/// - `rpc NAME = [METHOD, HANDLER]`: an RPC method's callback, which hands
///   `HANDLER` the safe `Call`.
macro_rules! guarded {
    () => {};
    ($(#[$m:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty = [$label:expr, $fail:expr] $body:block $($rest:tt)*) => {
        $(#[$m])*
        unsafe extern "C" fn $name($($arg: $ty),*) -> $ret {
            $crate::kam::guard::guard($label, $fail, || $body)
        }
        $crate::kam::guard::guarded! { $($rest)* }
    };
    ($(#[$m:meta])* rpc $name:ident = [$method:expr, $handler:path]; $($rest:tt)*) => {
        $(#[$m])*
        unsafe extern "C" fn $name(rpc: *mut $crate::kam::sys::rpc_t, ctx: *mut ::std::ffi::c_void) {
            // SAFETY: the core calls an RPC method with its RPC API and the
            // call's context, both valid for this call.
            if let Some(call) = unsafe { $crate::kam::rpc::Call::from_raw(rpc, ctx) } {
                $crate::kam::guard::guard($method, (), || $handler(&call))
            }
        }
        $crate::kam::guard::guarded! { $($rest)* }
    };
}
pub(crate) use guarded;
