//! Plain old data: the C structs the kernel and the core exchange with us as
//! bytes. Copying bytes into a value, or looking at a value as bytes, is only
//! sound for the types these marker traits are implemented for.

use std::mem::{size_of, MaybeUninit};

/// A type every bit pattern of which is a valid value: integers, arrays of them,
/// and `repr(C)` structs made only of those. Such a value may be filled from any
/// bytes. Padding may exist: what lands in it is never read.
///
/// # Safety
/// Implement only for types whose every field (recursively) is an integer or an
/// array of integers: no references, pointers, bools, chars, enums or unions with
/// members of different sizes, and no drop glue.
pub unsafe trait Pod: Sized {}

/// A [`Pod`] type without padding, so that every byte of every value is
/// initialised and the value may be looked at as bytes.
///
/// # Safety
/// As for [`Pod`], and the size of the type is the sum of the sizes of its fields.
pub unsafe trait AsBytes: Pod {}

/// Implements [`Pod`] (and, with `as_bytes:`, [`AsBytes`]) for types the caller
/// vouches for; checks at compile time that they have no drop glue.
macro_rules! unsafe_impl_pod {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: the invoking site vouches that `$t` is made of integers only.
        unsafe impl $crate::pod::Pod for $t {}
        const _: () = assert!(!::std::mem::needs_drop::<$t>());
    )*};
    (as_bytes: $($t:ty),* $(,)?) => {$(
        $crate::pod::unsafe_impl_pod!($t);
        // SAFETY: the invoking site vouches that `$t` has no padding.
        unsafe impl $crate::pod::AsBytes for $t {}
    )*};
}
pub(crate) use unsafe_impl_pod;

unsafe_impl_pod!(as_bytes: u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

// SAFETY: an array of Pod elements is Pod; it has no padding between elements
// (size is a multiple of alignment), so arrays of AsBytes are AsBytes too.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}
// SAFETY: as above.
unsafe impl<T: AsBytes, const N: usize> AsBytes for [T; N] {}

// The libc structs this crate reads from bytes. Each is integers (and arrays of
// them) only; see the libc crate's definitions for linux-gnu.
unsafe_impl_pod!(libc::sockaddr_in, libc::sockaddr_in6);
// libc's sockaddr_storage keeps its filler in MaybeUninit (libc's Padding):
// any bytes make a valid one (Pod), but its bytes may not be read (not
// AsBytes; the core's, kam::sys::sockaddr_storage, is plain integers).
unsafe_impl_pod!(libc::sockaddr_storage);
// cmsghdr: a usize length and two ints: 16 bytes, no padding.
unsafe_impl_pod!(as_bytes: libc::cmsghdr);
const _: () = assert!(size_of::<libc::cmsghdr>() == size_of::<usize>() + 2 * size_of::<libc::c_int>());

/// The all-zero value.
pub fn zeroed<T: Pod>() -> T {
    // SAFETY: T: Pod, so all-zero bytes are a valid T.
    unsafe { MaybeUninit::<T>::zeroed().assume_init() }
}

/// A `T` whose first bytes are `bytes` (as many as fit); the bytes of `T` beyond
/// `bytes.len()` are zero.
pub fn from_prefix<T: Pod>(bytes: &[u8]) -> T {
    let mut v = MaybeUninit::<T>::zeroed();
    let n = bytes.len().min(size_of::<T>());
    // SAFETY: n bytes are readable from `bytes` and writable in `v` (n <= both
    // sizes); the regions are distinct. Every byte of `v` is then initialised
    // (zeroed, then overwritten), and any bytes make a valid T (T: Pod).
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr().cast::<u8>(), n);
        v.assume_init()
    }
}

/// The bytes of `v`.
pub fn bytes_of<T: AsBytes>(v: &T) -> &[u8] {
    // SAFETY: T: AsBytes has no padding, so all size_of::<T>() bytes of *v are
    // initialised; the slice borrows `v` and so cannot outlive it; u8 has
    // alignment 1.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

/// Integers written in native byte order into a byte image of a struct.
pub trait NeBytes: Copy {
    fn write_ne(self, out: &mut [u8]);
}

macro_rules! ne_bytes {
    ($($t:ty),*) => {$(
        impl NeBytes for $t {
            fn write_ne(self, out: &mut [u8]) {
                out[..size_of::<$t>()].copy_from_slice(&self.to_ne_bytes());
            }
        }
    )*};
}
ne_bytes!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// Lets the compiler check that a value has the type of a field.
pub const fn same_type<S, F>(_field: fn(&S) -> &F, value: F) -> F {
    value
}

/// Writes `value`, which must have the type of field `$field` of `$t`, in native
/// byte order at that field's offset in `$buf`, a byte image of a `$t`
/// (panics if `$buf` is too short). Builds a struct's bytes field by field, so
/// that no padding is copied (it keeps whatever `$buf` held: zeros, usually).
macro_rules! write_field {
    ($buf:expr, $t:ty, $field:ident, $value:expr) => {{
        let v = $crate::pod::same_type(|s: &$t| &s.$field, $value);
        let off = ::std::mem::offset_of!($t, $field);
        $crate::pod::NeBytes::write_ne(v, &mut $buf[off..]);
    }};
}
pub(crate) use write_field;

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    struct Padded {
        a: u8,
        b: u32,
    }
    unsafe_impl_pod!(Padded);

    #[test]
    fn prefix_fills_the_start_and_zeroes_the_rest() {
        let v: [u16; 3] = from_prefix(&[1, 0, 2]);
        assert_eq!(v, [u16::from_ne_bytes([1, 0]), u16::from_ne_bytes([2, 0]), 0]);
        let p: Padded = from_prefix(&[7, 0xff, 0xff, 0xff, 1, 0]);
        assert_eq!((p.a, p.b), (7, u32::from_ne_bytes([1, 0, 0, 0])));
        let z: Padded = zeroed();
        assert_eq!((z.a, z.b), (0, 0));
    }

    #[test]
    fn long_input_is_cut_to_the_type() {
        let v: u32 = from_prefix(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(v, u32::from_ne_bytes([1, 2, 3, 4]));
    }

    #[test]
    fn fields_land_at_their_offsets() {
        let mut b = [0u8; size_of::<Padded>()];
        write_field!(b, Padded, b, 0x0102_0304);
        write_field!(b, Padded, a, 9);
        assert_eq!(b[0], 9);
        assert_eq!(&b[4..8], &0x0102_0304u32.to_ne_bytes());
        assert_eq!(bytes_of(&0x0102u16), &0x0102u16.to_ne_bytes());
    }
}
