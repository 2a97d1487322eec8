//! Stand-in for Kamailio's shm in tests and fuzzing: the process heap,
//! counting what is out.
//! Threads of one process share it, as Kamailio's processes share shm.

use super::assoc_table::SharedAlloc;
use std::alloc::Layout;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

#[derive(Clone, Copy)]
pub struct Heap(pub &'static AtomicUsize);

impl Heap {
    /// Bytes allocated and not yet freed.
    pub fn in_use(self) -> usize {
        self.0.load(Relaxed)
    }
}

// SAFETY: alloc_zeroed with an 8-aligned layout gives zeroed, aligned blocks
// that live until dealloc; threads of one process see the same addresses.
unsafe impl SharedAlloc for Heap {
    fn alloc(self, size: usize) -> Option<NonNull<u8>> {
        let layout = Layout::from_size_align(size.max(1), 8).ok()?;
        // SAFETY: the layout's size is not 0.
        let p = NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) })?;
        self.0.fetch_add(size, Relaxed);
        Some(p)
    }

    unsafe fn free(self, block: NonNull<u8>, size: usize) {
        self.0.fetch_sub(size, Relaxed);
        let layout = Layout::from_size_align(size.max(1), 8).expect("the layout alloc accepted");
        // SAFETY: from alloc with the same layout (caller's contract).
        unsafe { std::alloc::dealloc(block.as_ptr(), layout) };
    }
}

/// A fresh heap allocator with its own count.
pub fn heap() -> Heap {
    Heap(Box::leak(Box::new(AtomicUsize::new(0))))
}

/// Gives back the count of an allocator from `heap`.
///
/// # Safety
/// `h` came from `heap`, and neither it nor a copy of it is used afterwards.
pub unsafe fn free_heap(h: Heap) {
    // SAFETY: the count was leaked from a Box by `heap` (caller's contract)
    // and is not used again.
    drop(unsafe { Box::from_raw(h.0 as *const AtomicUsize as *mut AtomicUsize) });
}
