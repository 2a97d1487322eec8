//! Building blocks for the symbols the core looks up in a module: version
//! strings, the integer parameter table and `exports`.

use super::sys;
use std::ffi::{c_void, CStr};
use std::sync::atomic::{AtomicI32, Ordering};

/// A `char *` to a static string, as `module_version` / `module_flags` are.
#[repr(transparent)]
pub struct CStrPtr(*const libc::c_char);
// SAFETY: points to immutable 'static data.
unsafe impl Sync for CStrPtr {}

impl CStrPtr {
    pub const fn new(s: &'static CStr) -> Self {
        CStrPtr(s.as_ptr())
    }
}

/// Storage of integer module parameters. The core writes them through the
/// pointers of the parameter table while parsing the config (before any fork);
/// atomics make those writes sound next to Rust's reads.
pub struct IntParams<const N: usize>([AtomicI32; N]);

impl<const N: usize> IntParams<N> {
    pub const fn new() -> Self {
        IntParams([const { AtomicI32::new(0) }; N])
    }

    pub fn store_all(&self, values: &[i32; N]) {
        for (slot, v) in self.0.iter().zip(values) {
            slot.store(*v, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> [i32; N] {
        std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed))
    }
}

/// A NULL-terminated `param_export_t` array (M = number of parameters + 1).
#[repr(transparent)]
pub struct ParamTable<const M: usize>([sys::param_export_t; M]);
// SAFETY: the names are 'static strings and the pointers point into a 'static
// IntParams; the core only reads the table.
unsafe impl<const M: usize> Sync for ParamTable<M> {}

/// A parameter the core hands to a function, once per `modparam` line (so it
/// may be given several times): `(type, value)`, the value a NUL-terminated
/// `char *` for string parameters. Returns 0, or -1 to refuse the value.
pub type ParamFunc = unsafe extern "C" fn(sys::modparam_t, *mut c_void) -> libc::c_int;

impl<const M: usize> ParamTable<M> {
    /// One PARAM_INT entry per name, pointing at the matching slot of `store`.
    pub const fn ints<const N: usize>(names: &[&'static CStr; N], store: &'static IntParams<N>) -> Self {
        Self::with_string_funcs(names, store, &[])
    }

    /// As `ints`, followed by one string parameter per `funcs` entry, each
    /// handed to its function.
    pub const fn with_string_funcs<const N: usize, const F: usize>(
        names: &[&'static CStr; N],
        store: &'static IntParams<N>,
        funcs: &[(&'static CStr, ParamFunc); F],
    ) -> Self {
        assert!(M == N + F + 1, "the table needs one entry per parameter plus the terminator");
        // SAFETY: all-zero is the NULL terminator entry.
        let mut t: [sys::param_export_t; M] = unsafe { std::mem::zeroed() };
        let mut i = 0;
        while i < N {
            t[i] = sys::param_export_t {
                name: names[i].as_ptr() as *mut libc::c_char,
                type_: sys::PARAM_INT,
                param_pointer: store.0[i].as_ptr() as *mut c_void,
            };
            i += 1;
        }
        let mut j = 0;
        while j < F {
            t[N + j] = sys::param_export_t {
                name: funcs[j].0.as_ptr() as *mut libc::c_char,
                type_: sys::PARAM_STRING | sys::PARAM_USE_FUNC,
                param_pointer: funcs[j].1 as *mut c_void,
            };
            j += 1;
        }
        ParamTable(t)
    }
}

/// An empty, NULL-terminated `cmd_export_t` array (the module exports no config
/// functions, as the C module).
#[repr(transparent)]
pub struct NoCmds([sys::cmd_export_t; 1]);
// SAFETY: all-zero, read-only.
unsafe impl Sync for NoCmds {}

impl NoCmds {
    pub const fn new() -> Self {
        // SAFETY: all-zero is the terminator entry.
        NoCmds(unsafe { std::mem::zeroed() })
    }
}

/// The module's `exports` structure.
#[repr(transparent)]
pub struct ModuleExports(sys::module_exports);
// SAFETY: read-only after construction; every pointer is to 'static data/code.
unsafe impl Sync for ModuleExports {}

impl ModuleExports {
    pub const fn new<const M: usize>(
        name: &'static CStr,
        cmds: &'static NoCmds,
        params: &'static ParamTable<M>,
        init: unsafe extern "C" fn() -> libc::c_int,
        destroy: unsafe extern "C" fn(),
    ) -> Self {
        ModuleExports(sys::module_exports {
            name: name.as_ptr() as *mut libc::c_char,
            dlflags: sys::DEFAULT_DLFLAGS,
            cmds: cmds.0.as_ptr() as *mut sys::cmd_export_t,
            params: params.0.as_ptr() as *mut sys::param_export_t,
            rpc_methods: std::ptr::null_mut(),
            pv_items: std::ptr::null_mut(),
            response_f: None,
            init_mod_f: Some(init),
            init_child_f: None,
            destroy_mod_f: Some(destroy),
        })
    }

    /// The same, with the module's pseudo-variable class.
    pub const fn with_pvs(self, pvs: &'static super::pv::PvTable) -> Self {
        let mut e = self.0;
        e.pv_items = pvs.as_ptr();
        ModuleExports(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static STORE: IntParams<2> = IntParams::new();
    static TABLE: ParamTable<3> = ParamTable::ints(&[c"a", c"b"], &STORE);

    #[test]
    fn table_points_at_the_store() {
        let t = &TABLE.0;
        // SAFETY: names are 'static C strings.
        assert_eq!(unsafe { CStr::from_ptr(t[1].name) }, c"b");
        assert_eq!(t[0].type_, sys::PARAM_INT);
        assert!(t[2].name.is_null());
        // what the core does on modparam("...", "b", 42)
        // SAFETY: the pointer is to an AtomicI32 of the static STORE, which only
        // this test uses.
        unsafe { *(t[1].param_pointer as *mut i32) = 42 };
        assert_eq!(STORE.snapshot(), [0, 42]);
        STORE.store_all(&[7, 8]);
        // SAFETY: as above.
        assert_eq!(unsafe { *(t[0].param_pointer as *const i32) }, 7);
    }

    unsafe extern "C" fn take(_t: sys::modparam_t, _v: *mut c_void) -> libc::c_int {
        0
    }
    static STORE2: IntParams<1> = IntParams::new();
    static MIXED: ParamTable<3> = ParamTable::with_string_funcs(&[c"a"], &STORE2, &[(c"peer", take)]);

    #[test]
    fn string_functions_follow_the_ints() {
        let t = &MIXED.0;
        // SAFETY: names are 'static C strings.
        assert_eq!(unsafe { CStr::from_ptr(t[1].name) }, c"peer");
        assert_eq!(t[1].type_, sys::PARAM_STRING | sys::PARAM_USE_FUNC);
        assert_eq!(t[1].param_pointer, take as *mut c_void);
        assert!(t[2].name.is_null());
    }
}
