//! A clock that every process reads alike: monotonic seconds since boot.

/// Seconds of CLOCK_MONOTONIC (the same in every process of the host).
pub fn monotonic_secs() -> u32 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u32
}

/// Milliseconds of CLOCK_MONOTONIC, wrapping (compare with wrapping_sub).
pub fn monotonic_ms() -> u32 {
    monotonic_ms64() as u32
}

/// Milliseconds of CLOCK_MONOTONIC, not wrapping (since boot).
pub fn monotonic_ms64() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64).saturating_mul(1000).saturating_add(ts.tv_nsec as u64 / 1_000_000)
}
