//! Kamailio shared memory: visible to every process forked after allocation,
//! at the same address in each (the core maps its pool before forking).

use super::sys;
use crate::shared::assoc_table::SharedAlloc;
use std::ptr::NonNull;

/// The alignment every block from `alloc_zeroed` has.
pub const ALIGN: usize = 8;

/// Allocates `size` zeroed bytes of shared memory, aligned to `ALIGN`. `None`
/// when the pool is exhausted (or, never seen, the core's allocator gave a
/// block less aligned than its allocators are built to give).
pub fn alloc_zeroed(size: usize) -> Option<NonNull<u8>> {
    // SAFETY: the core's allocator, initialised before modules load; it takes
    // its own lock, so any process may call it.
    let p = NonNull::new(unsafe { sys::ksr_shim_shm_malloc0(size as libc::c_ulong) } as *mut u8)?;
    if p.as_ptr() as usize % ALIGN != 0 {
        log::error!("shared memory block at {p:p} is not {ALIGN}-byte aligned: not used");
        // SAFETY: just allocated by shm_malloc0 and not used.
        unsafe { sys::ksr_shim_shm_free(p.as_ptr().cast()) };
        return None;
    }
    Some(p)
}

/// Moves `value` into shared memory for the rest of the run (main process,
/// before fork: every process then sees the same one). `T` is meant to be
/// plain data and atomics: a pointer in it would lead each process to its
/// own memory.
pub fn leak_in_shm<T: Sync>(value: T) -> Option<&'static T> {
    const { assert!(std::mem::align_of::<T>() <= ALIGN) };
    let mem = alloc_zeroed(std::mem::size_of::<T>())?;
    let p = mem.as_ptr() as *mut T;
    // SAFETY: a fresh block of T's size, aligned enough (checked above and by
    // alloc_zeroed), which nothing else references; written before the first
    // read, never freed while the module runs.
    unsafe {
        p.write(value);
        Some(&*p)
    }
}

/// The core's shm pool, for the association table's entries.
#[derive(Clone, Copy)]
pub struct Shm;

// SAFETY: alloc_zeroed returns zeroed blocks, 8-aligned (it checks), that
// stay valid until shm_free, mapped at the same address in every Kamailio
// process.
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
pub fn new_piece_store() -> Option<&'static crate::shared::piece_store::PieceStore<Shm>> {
    crate::shared::piece_store::PieceStore::new_in(Shm)
}
