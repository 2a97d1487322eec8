//! A process-shared mutex on one 32-bit word: 0 free, 1 taken, 2 taken with
//! waiters (the classic futex protocol, the same the Kamailio core uses).

use std::sync::atomic::{AtomicU32, Ordering};

#[repr(C)]
pub struct FutexMutex {
    state: AtomicU32,
}

fn futex(word: &AtomicU32, op: libc::c_int, val: u32) {
    // SAFETY: `word` is a valid, aligned u32 for the duration of the call;
    // FUTEX_WAIT/WAKE (not the PRIVATE variants) work across processes sharing
    // the page. No timeout, no second address.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            op,
            val,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}

impl FutexMutex {
    /// A free lock (all-zero, as in freshly zeroed shared memory).
    #[cfg(test)]
    pub const fn new() -> Self {
        FutexMutex { state: AtomicU32::new(0) }
    }

    /// Takes the lock if it is free, without waiting.
    pub fn try_lock(&self) -> Option<FutexGuard<'_>> {
        // not `then_some(FutexGuard(self))`: that builds the guard, and drops
        // it (unlocking someone else's lock) when the lock was taken
        match self.state.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => Some(FutexGuard(self)),
            Err(_) => None,
        }
    }

    /// Takes the lock, spinning briefly before sleeping: the critical sections
    /// it guards are a few memory accesses.
    pub fn lock(&self) -> FutexGuard<'_> {
        self.lock_spinning(100)
    }

    /// Takes the lock, spinning up to `spins` rounds before sleeping on the
    /// futex: for critical sections that hold one short syscall, where two
    /// context switches cost more than the wait.
    pub fn lock_spinning(&self, spins: u32) -> FutexGuard<'_> {
        if self.state.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_err() {
            for _ in 0..spins {
                std::hint::spin_loop();
                if self.state.load(Ordering::Relaxed) == 0
                    && self.state.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok()
                {
                    return FutexGuard(self);
                }
            }
            while self.state.swap(2, Ordering::Acquire) != 0 {
                futex(&self.state, libc::FUTEX_WAIT, 2);
            }
        }
        FutexGuard(self)
    }

    fn unlock(&self) {
        if self.state.swap(0, Ordering::Release) == 2 {
            futex(&self.state, libc::FUTEX_WAKE, 1);
        }
    }
}

/// Holds the lock until dropped.
pub struct FutexGuard<'a>(&'a FutexMutex);

impl Drop for FutexGuard<'_> {
    fn drop(&mut self) {
        self.0.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::UnsafeCell;

    #[test]
    fn a_failed_try_lock_leaves_the_holder_holding() {
        let m = FutexMutex::new();
        let held = m.lock();
        assert!(m.try_lock().is_none());
        assert!(m.try_lock().is_none(), "the failed attempt must not have unlocked it");
        drop(held);
        assert!(m.try_lock().is_some());
    }

    #[test]
    fn excludes_threads() {
        // Miri runs the same interleavings far slower
        const ROUNDS: u64 = if cfg!(miri) { 200 } else { 20000 };
        struct Shared(FutexMutex, UnsafeCell<u64>);
        // SAFETY: the counter is only touched under the lock.
        unsafe impl Sync for Shared {}
        let s = std::sync::Arc::new(Shared(FutexMutex::new(), UnsafeCell::new(0)));
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        let _g = s.0.lock();
                        // SAFETY: under the lock.
                        unsafe { *s.1.get() += 1 };
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        // SAFETY: every thread has ended.
        assert_eq!(unsafe { *s.1.get() }, 4 * ROUNDS);
    }
}
