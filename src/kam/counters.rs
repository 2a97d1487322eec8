//! Kamailio counters (`counters.h`): a group of named counters, incremented per
//! process, summed by the core when read (`kamcmd cnt.*`).

use super::sys;
use std::ffi::{c_void, CStr};
use std::sync::atomic::AtomicU16;
#[cfg(not(test))]
use std::sync::atomic::Ordering;

/// A counter handle; the core fills in the id at registration.
pub struct Counter(AtomicU16);

impl Counter {
    pub const fn new() -> Self {
        Counter(AtomicU16::new(0))
    }

    /// Adds one, in this process's row of counter values.
    pub fn inc(&self) {
        self.add(1)
    }

    /// This counter's place in a process's row of values, when the core's
    /// rows exist and have it.
    #[cfg(not(test))]
    fn row_index(&self) -> Option<u16> {
        let id = self.0.load(Ordering::Relaxed);
        // SAFETY: reads two core globals set before any module code runs.
        let rows = unsafe { !sys::_cnts_vals.is_null() && i32::from(id) < sys::_cnts_row_len };
        rows.then_some(id)
    }

    /// Unit tests run without the core (and its counter rows): nothing to add to.
    #[cfg(test)]
    pub fn add(&self, _n: u64) {}

    /// Adds `n`, in this process's row of counter values, through the core's
    /// own atomic add (6.2 and later: right whether or not the process runs
    /// threads).
    #[cfg(all(not(test), ksr_counter_add_atomic))]
    pub fn add(&self, n: u64) {
        let Some(id) = self.row_index() else { return };
        let handle = sys::counter_handle_t { id };
        // the core takes an int: a larger count goes in parts
        let mut rest = n;
        while rest > 0 {
            let part = rest.min(i32::MAX as u64);
            // SAFETY: the core's function for a registered handle (ids are
            // filled in at registration, before any add); it adds to this
            // process's row and checks nothing else.
            unsafe { sys::counter_add_atomic(handle, part as i32) };
            rest -= part;
        }
    }

    /// Adds `n`, in this process's row of counter values (before 6.2 the
    /// core's counter_add is inline code over the rows).
    #[cfg(all(not(test), not(ksr_counter_add_atomic)))]
    pub fn add(&self, n: u64) {
        let Some(id) = self.row_index() else { return };
        // SAFETY: the core allocates one row of _cnts_row_len values per process
        // before forking; process_no is this process's row and id a registered
        // counter (< _cnts_row_len, checked). Only this process writes its row.
        unsafe {
            let v = sys::_cnts_vals.offset(sys::process_no as isize * sys::_cnts_row_len as isize + id as isize);
            (*v).v = (*v).v.wrapping_add(n as _);
        }
    }
}

/// How a counter's value is produced.
pub enum Source {
    /// Incremented through the handle.
    Handle(&'static Counter),
    /// Computed when read.
    Read(fn() -> i64),
}

pub struct CounterDef {
    pub name: &'static CStr,
    pub doc: &'static CStr,
    pub source: Source,
}

unsafe extern "C" fn read_trampoline(_h: sys::counter_handle_t, param: *mut c_void) -> sys::counter_val_t {
    // SAFETY: `param` was made from a `fn() -> i64` in register_group.
    let f: fn() -> i64 = unsafe { std::mem::transmute::<*mut c_void, fn() -> i64>(param) };
    super::guard::guard("counter read", 0, f) as sys::counter_val_t
}

/// Registers the counters of `group` (before the core forks).
pub fn register_group(group: &'static CStr, defs: &[CounterDef]) -> bool {
    let mut table: Vec<sys::counter_def_t> = defs
        .iter()
        .map(|d| {
            let (handle, get_cbk, param) = match d.source {
                Source::Handle(c) => (c.0.as_ptr() as *mut sys::counter_handle_t, None, std::ptr::null_mut()),
                Source::Read(f) => {
                    (std::ptr::null_mut(), Some(read_trampoline as unsafe extern "C" fn(_, _) -> _), f as *mut c_void)
                }
            };
            sys::counter_def_t {
                handle,
                name: d.name.as_ptr(),
                flags: 0,
                get_cbk,
                get_cbk_param: param,
                descr: d.doc.as_ptr(),
            }
        })
        .collect();
    // SAFETY: all-zero is the terminator entry.
    table.push(unsafe { std::mem::zeroed() });
    // the core keeps pointers into the table: it lives as long as the process
    let table = Box::leak(table.into_boxed_slice());
    // SAFETY: a terminated array of valid definitions with 'static strings.
    unsafe { sys::counter_register_array(group.as_ptr(), table.as_mut_ptr()) == 0 }
}
