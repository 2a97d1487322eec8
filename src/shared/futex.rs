//! A process-shared mutex on one 32-bit word: 0 free, 1 taken, 2 taken with
//! waiters (the classic futex protocol, the same the Kamailio core uses).

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

#[repr(C)]
pub struct FutexMutex {
    state: AtomicU32,
}

fn futex(word: &AtomicU32, op: libc::c_int, val: u32) {
    futex_for(word, op, val, None)
}

/// As `futex`, a FUTEX_WAIT for at most `timeout`.
fn futex_for(word: &AtomicU32, op: libc::c_int, val: u32, timeout: Option<Duration>) {
    let ts = timeout
        .map(|t| libc::timespec { tv_sec: t.as_secs() as libc::time_t, tv_nsec: t.subsec_nanos() as libc::c_long });
    let ts_ptr = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `word` is a valid, aligned u32 for the duration of the call;
    // FUTEX_WAIT/WAKE (not the PRIVATE variants) work across processes sharing
    // the page. The timeout, if any, is a valid timespec living across the
    // call; no second address.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), op, val, ts_ptr, std::ptr::null::<u32>(), 0u32);
    }
}

impl FutexMutex {
    /// A free lock (all-zero, as in freshly zeroed shared memory).
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

    /// Takes the lock unless it stays taken for `patience`: then `None`. For
    /// locks a stopped holder must not turn into a stall of every process.
    pub fn lock_within(&self, patience: Duration) -> Option<FutexGuard<'_>> {
        if let Some(g) = self.try_lock() {
            return Some(g);
        }
        let deadline = Instant::now() + patience;
        while self.state.swap(2, Ordering::Acquire) != 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // the word says "waiters": the holder's unlock wakes one for
                // nothing, which only costs that one a look
                return None;
            }
            futex_for(&self.state, libc::FUTEX_WAIT, 2, Some(left));
        }
        Some(FutexGuard(self))
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

/// Data that only the holder of its lock touches (pgrx's `PgLwLock<T>`): the
/// type, not a comment, says what the lock guards. `repr(C)`, for shared
/// memory: all-zero bytes are an unlocked lock around all-zero data.
#[repr(C)]
pub struct FutexLock<T> {
    mutex: FutexMutex,
    data: UnsafeCell<T>,
}

// SAFETY: `data` is only reached through a guard, which exists only while
// `mutex` is held, so one thread or process at a time has it; T: Send, as it
// moves between them.
unsafe impl<T: Send> Sync for FutexLock<T> {}

impl<T> FutexLock<T> {
    /// A free lock around `data`.
    pub const fn new(data: T) -> Self {
        FutexLock { mutex: FutexMutex::new(), data: UnsafeCell::new(data) }
    }

    /// The data, once the lock is held.
    #[cfg(test)]
    pub fn lock(&self) -> FutexLockGuard<'_, T> {
        FutexLockGuard { _held: self.mutex.lock(), data: &self.data }
    }

    /// As `FutexMutex::lock_within`.
    pub fn lock_within(&self, patience: Duration) -> Option<FutexLockGuard<'_, T>> {
        Some(FutexLockGuard { _held: self.mutex.lock_within(patience)?, data: &self.data })
    }
}

/// The data of a `FutexLock`, while its lock is held.
pub struct FutexLockGuard<'a, T> {
    _held: FutexGuard<'a>,
    data: &'a UnsafeCell<T>,
}

impl<T> Deref for FutexLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the lock is held for the guard's life (`_held`), so no
        // other guard exists.
        unsafe { &*self.data.get() }
    }
}

impl<T> DerefMut for FutexLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for deref; `&mut self` makes this the only reference.
        unsafe { &mut *self.data.get() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn lock_within_gives_up_on_a_holder_that_keeps_it() {
        let m = FutexMutex::new();
        let held = m.lock();
        let t0 = Instant::now();
        assert!(m.lock_within(Duration::from_millis(30)).is_none());
        assert!(t0.elapsed() >= Duration::from_millis(30));
        drop(held);
        assert!(m.lock_within(Duration::from_millis(30)).is_some(), "free again, and not left marked taken");
        assert!(m.try_lock().is_some());
    }

    /// The lock lives in memory shared across fork, as Kamailio's shm: each
    /// process adds to a counter beside it under the lock. A PRIVATE futex
    /// (keyed by the process's own mapping) would never wake a waiter in
    /// another process, and the children would hang: the parent gives up
    /// after 60 s and fails.
    #[test]
    #[cfg_attr(miri, ignore = "fork")]
    fn excludes_processes_sharing_it_across_fork() {
        const CHILDREN: usize = 3;
        const ROUNDS: u64 = 5000;
        #[repr(C)]
        struct Shared {
            lock: FutexMutex,
            go: AtomicU32,
            count: UnsafeCell<u64>,
        }
        let size = size_of::<Shared>();
        // SAFETY: a fresh anonymous shared mapping, zeroed by the kernel: a
        // free lock and a zero count; unmapped at the end, after every child.
        let mem = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(mem, libc::MAP_FAILED);
        // SAFETY: the mapping is big enough and page-aligned; all-zero is valid.
        let shared = unsafe { &*(mem as *const Shared) };
        let mut pids = vec![];
        for _ in 0..CHILDREN {
            // SAFETY: the child only touches the shared mapping and exits
            // with _exit, running no destructor of the parent's state.
            match unsafe { libc::fork() } {
                0 => {
                    while shared.go.load(Ordering::Acquire) == 0 {
                        std::hint::spin_loop();
                    }
                    for _ in 0..ROUNDS {
                        let _g = shared.lock.lock();
                        // SAFETY: under the lock.
                        unsafe { *shared.count.get() += 1 };
                        // held across a yield: the others give up spinning
                        // and sleep on the futex
                        std::thread::yield_now();
                    }
                    // SAFETY: ends the child at once.
                    unsafe { libc::_exit(0) };
                }
                pid => {
                    assert!(pid > 0, "fork failed");
                    pids.push(pid);
                }
            }
        }
        shared.go.store(1, Ordering::Release);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut left = pids.clone();
        while !left.is_empty() && Instant::now() < deadline {
            // SAFETY: plain waitpid on our own children, no status wanted.
            left.retain(|&p| unsafe { libc::waitpid(p, std::ptr::null_mut(), libc::WNOHANG) } == 0);
            std::thread::sleep(Duration::from_millis(10));
        }
        for &p in &left {
            // SAFETY: our own child, still running: ended and reaped.
            unsafe {
                libc::kill(p, libc::SIGKILL);
                libc::waitpid(p, std::ptr::null_mut(), 0);
            }
        }
        // SAFETY: every child has ended.
        let count = unsafe { *shared.count.get() };
        // SAFETY: the mapping made above, no longer used.
        unsafe { libc::munmap(mem, size) };
        assert!(left.is_empty(), "{} children hung: the lock does not wake across processes", left.len());
        assert_eq!(count, CHILDREN as u64 * ROUNDS);
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
