//! Kamailio shared memory: visible to every process forked after allocation.

use super::sys;
use std::ptr::NonNull;

/// Allocates `size` zeroed bytes of shared memory (8-aligned, as the core's
/// allocators are). `None` when the pool is exhausted.
pub fn alloc_zeroed(size: usize) -> Option<NonNull<u8>> {
    // SAFETY: the core's allocator, initialised before modules load.
    NonNull::new(unsafe { sys::ksr_shim_shm_malloc0(size as libc::c_ulong) } as *mut u8)
}

/// A new, empty association table in shared memory, for `wanted` entries.
pub fn new_assoc_table(wanted: usize) -> Option<crate::shared::assoc_table::AssocTable> {
    use crate::shared::assoc_table::AssocTable;
    let cap = AssocTable::capacity_for(wanted);
    let mem = alloc_zeroed(AssocTable::size_for(cap))?;
    // SAFETY: fresh zeroed shm of the size the table needs, 8-aligned by the
    // core's allocator, shared with every process forked later, never freed
    // while the module runs.
    Some(unsafe { AssocTable::init(mem.as_ptr(), cap) })
}

/// A new receive gate in shared memory (one per SCTP socket, before fork).
pub fn new_receive_gate() -> Option<&'static crate::shared::receive_gate::ReceiveGate> {
    use crate::shared::receive_gate::ReceiveGate;
    let mem = alloc_zeroed(std::mem::size_of::<ReceiveGate>())?;
    // SAFETY: zeroed shm is a valid, open gate (an unlocked futex word and no
    // cut in progress); suitably aligned; never freed while the module runs.
    Some(unsafe { &*(mem.as_ptr() as *const ReceiveGate) })
}
