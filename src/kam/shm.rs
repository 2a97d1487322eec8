//! Kamailio shared memory: visible to every process forked after allocation,
//! at the same address in each (the core maps its pool before forking).

use super::sys;
use crate::shared::assoc_table::SharedAlloc;
use std::ptr::NonNull;

/// Allocates `size` zeroed bytes of shared memory (8-aligned, as the core's
/// allocators are). `None` when the pool is exhausted.
pub fn alloc_zeroed(size: usize) -> Option<NonNull<u8>> {
    // SAFETY: the core's allocator, initialised before modules load; it takes
    // its own lock, so any process may call it.
    NonNull::new(unsafe { sys::ksr_shim_shm_malloc0(size as libc::c_ulong) } as *mut u8)
}

/// A new, empty table of stalled peers in shared memory (before fork).
pub fn new_stall_table() -> Option<&'static crate::shared::send_stall::StallTable> {
    use crate::shared::send_stall::StallTable;
    let mem = alloc_zeroed(std::mem::size_of::<StallTable>())?;
    // SAFETY: zeroed shm is a valid, empty table (atomics, all 0: no marks);
    // 8-aligned as AtomicU64 needs; never freed while the module runs.
    Some(unsafe { &*(mem.as_ptr() as *const StallTable) })
}

/// The core's shm pool, for the association table's entries.
#[derive(Clone, Copy)]
pub struct Shm;

// SAFETY: shm_malloc0 returns zeroed, 8-aligned blocks that stay valid until
// shm_free, mapped at the same address in every Kamailio process.
unsafe impl SharedAlloc for Shm {
    fn alloc(self, size: usize) -> Option<NonNull<u8>> {
        alloc_zeroed(size)
    }

    unsafe fn free(self, block: NonNull<u8>, _size: usize) {
        // SAFETY: the block came from shm_malloc0 and is not used again
        // (caller's contract).
        unsafe { sys::ksr_shim_shm_free(block.as_ptr().cast()) }
    }
}

/// A new store of cut messages in shared memory (one per SCTP socket, before
/// fork).
pub fn new_piece_store() -> Option<&'static crate::shared::piece_store::PieceStore> {
    use crate::shared::piece_store::PieceStore;
    let mem = alloc_zeroed(std::mem::size_of::<PieceStore>())?;
    const { assert!(std::mem::align_of::<PieceStore>() <= 8) };
    // SAFETY: zeroed shm is a valid, empty store (an unlocked futex word, no
    // slot in use); 8-aligned (the allocator's promise), which covers the
    // store's alignment (checked above); never freed while the module runs.
    Some(unsafe { &*(mem.as_ptr() as *const PieceStore) })
}
