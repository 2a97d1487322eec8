//! The core's config framework (`cfg/cfg.h`): a group of integer variables that
//! `kamcmd cfg.set_now_int GROUP NAME VALUE` changes at runtime, each process
//! seeing the change at its next `update()`.

use super::sys;
use std::ffi::{c_int, c_void, CStr};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, Ordering};

pub const ATOMIC: u32 = sys::CFG_ATOMIC;
pub const READONLY: u32 = sys::CFG_READONLY;
pub const CB_ONLY_ONCE: u32 = sys::CFG_CB_ONLY_ONCE;

/// Called when a variable is about to change (in the process changing it):
/// may adjust or refuse the value.
pub type OnChange = unsafe extern "C" fn(*mut c_void, *mut sys::str_, *mut sys::str_, *mut *mut c_void) -> c_int;
/// Called after a change, in one or every process (see CB_ONLY_ONCE).
pub type OnSet = unsafe extern "C" fn(*mut sys::str_, *mut sys::str_);

/// One integer variable of a group.
pub struct VarDef {
    pub name: &'static CStr,
    /// ATOMIC / READONLY / CB_ONLY_ONCE
    pub flags: u32,
    pub min: i32,
    pub max: i32,
    pub on_change: Option<OnChange>,
    pub on_set: Option<OnSet>,
    pub doc: &'static CStr,
}

/// A group of N integer variables; the core keeps each process's pointer to
/// its current values in `handle`.
pub struct IntGroup<const N: usize> {
    handle: AtomicPtr<c_void>,
}

impl<const N: usize> IntGroup<N> {
    pub const fn new() -> Self {
        IntGroup { handle: AtomicPtr::new(std::ptr::null_mut()) }
    }

    /// Declares the group with its default values (before the core forks).
    pub fn declare(&'static self, name: &'static CStr, defs: &[VarDef; N], defaults: [i32; N]) -> bool {
        let mut table: Vec<sys::cfg_def_t> = defs
            .iter()
            .map(|d| sys::cfg_def_t {
                name: d.name.as_ptr() as *mut _,
                type_: sys::CFG_VAR_INT | sys::CFG_INPUT_INT | d.flags,
                min: d.min,
                max: d.max,
                on_change_cb: d.on_change,
                on_set_child_cb: d.on_set,
                descr: d.doc.as_ptr() as *mut _,
            })
            .collect();
        // SAFETY: all-zero is the terminator entry.
        table.push(unsafe { std::mem::zeroed() });
        // the core keeps pointers to the definitions and, until it copies them
        // to shared memory, to the defaults
        let table = Box::leak(table.into_boxed_slice());
        let values: &'static mut [i32; N] = Box::leak(Box::new(defaults));
        // SAFETY: a terminated definition table, a values block of N ints laid
        // out as the framework lays out N int variables, and a 'static handle
        // slot the core writes a pointer into (AtomicPtr is pointer-sized).
        unsafe {
            sys::cfg_declare(
                name.as_ptr() as *mut _,
                table.as_mut_ptr(),
                values.as_mut_ptr() as *mut c_void,
                std::mem::size_of::<[i32; N]>() as c_int,
                self.handle.as_ptr(),
            ) == 0
        }
    }

    /// One current value of this process; `None` before the group is
    /// declared, or when it has no variable `i`.
    pub fn get(&self, i: usize) -> Option<i32> {
        let p = self.handle.load(Ordering::Relaxed) as *const i32;
        // SAFETY: the core points the handle at N ints of this group in its
        // current config block, which stays alive while referenced; i < N; the
        // block is packed, so no alignment is assumed.
        (!p.is_null() && i < N).then(|| unsafe { std::ptr::read_unaligned(p.add(i)) })
    }

    /// Several current values of this process, from one look at the handle
    /// (the paths read eight on every message); `None` before the group is
    /// declared, or when it has no variable of one of `ids`.
    pub fn get_many<const K: usize>(&self, ids: [usize; K]) -> Option<[i32; K]> {
        let p = self.handle.load(Ordering::Relaxed) as *const i32;
        if p.is_null() || ids.iter().any(|&i| i >= N) {
            return None;
        }
        // SAFETY: as in `get`: every i < N, in the block the handle points at.
        Some(ids.map(|i| unsafe { std::ptr::read_unaligned(p.add(i)) }))
    }
}

/// A proposed change, as an OnChange callback sees it.
pub struct Change<'a> {
    pub var: &'a str,
    pub value: i32,
    /// The group's ints in the configuration being changed, `vars` of them.
    group: *const i32,
    vars: usize,
}

impl Change<'_> {
    /// Variable `i` of the group, in the configuration being changed. Panics
    /// when the group has no variable `i`.
    pub fn other(&self, i: usize) -> i32 {
        assert!(i < self.vars, "variable {i} of a group of {}", self.vars);
        // SAFETY: change_args' contract: `group` points to `vars` ints, valid for
        // the callback; i < vars. The block is packed: no alignment assumed.
        unsafe { std::ptr::read_unaligned(self.group.add(i)) }
    }
}

/// The text of a `str` argument of the core ("" when null, empty or not UTF-8).
///
/// # Safety
/// `s` is null or points to a `str` whose `s` is null or points to `len`
/// readable bytes, all unchanged for `'a`.
unsafe fn str_arg<'a>(s: *const sys::str_) -> &'a str {
    // SAFETY: the caller's promise.
    let Some(s) = (unsafe { s.as_ref() }) else { return "" };
    if s.s.is_null() || s.len <= 0 {
        return "";
    }
    // SAFETY: the caller's promise: s.s is valid for s.len (> 0) bytes.
    let b = unsafe { std::slice::from_raw_parts(s.s as *const u8, s.len as usize) };
    std::str::from_utf8(b).unwrap_or("")
}

/// # Safety
/// The arguments of an OnChange callback of a group of `N` int variables, used
/// only for the callback's duration (`'a`); `val` is not null.
pub unsafe fn change_args<'a, const N: usize>(
    group: *mut c_void,
    name: *mut sys::str_,
    val: *mut *mut c_void,
) -> Change<'a> {
    // SAFETY: the core passes the variable's name (a valid str) and a valid
    // pointer to the value (ints are passed in the pointer itself).
    let (var, value) = unsafe { (str_arg(name), (*val) as isize as i32) };
    Change { var, value, group: group as *const i32, vars: N }
}

/// # Safety
/// `val` is the value argument of an OnChange callback.
pub unsafe fn set_change_value(val: *mut *mut c_void, v: i32) {
    // SAFETY: the caller's promise: a valid, writable pointer slot.
    unsafe { *val = v as isize as *mut c_void };
}

/// # Safety
/// The name argument of an OnSet callback, used only for the callback's
/// duration (`'a`).
pub unsafe fn set_args<'a>(name: *mut sys::str_) -> &'a str {
    // SAFETY: the core passes the variable's name, a valid str.
    unsafe { str_arg(name) }
}

/// Proof that this process is attached to the config framework
/// (`core::cfg_child_init` succeeded). Not `Send`: it stays in its process.
pub struct Attached(PhantomData<*const ()>);

impl Attached {
    /// # Safety
    /// The core's cfg_child_init() succeeded in this process.
    pub(super) unsafe fn new() -> Self {
        Attached(PhantomData)
    }

    /// Brings this process's view of the configuration up to date and runs the
    /// pending per-process callbacks (the core's cfg_update()).
    pub fn update(&self) {
        // SAFETY: plain reads of the core's config globals, written only by
        // this process (cfg_local, cfg_ginst_count) or swapped as one pointer
        // under the core's lock (*cfg_global); a stale read only delays the
        // update to the next call, as with the core's own macro.
        let current =
            unsafe { sys::cfg_ginst_count == 0 && (sys::cfg_global.is_null() || sys::cfg_local == *sys::cfg_global) };
        // the common case, with no call: every message read asks
        if !current {
            // SAFETY: the process is attached (the token exists): the core's
            // per-process callback list it walks is set up.
            unsafe { sys::ksr_shim_cfg_update() }
        }
    }
}
