//! Raw declarations of the Kamailio core ABI: the bindgen output of the hand-written
//! `kamailio-headers/kamailio_abi.h`, plus the C helpers of `include/ksr_shim.h`.
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code, unused_imports)]
#![allow(clippy::all, clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]

include!(concat!(env!("OUT_DIR"), "/kamailio_sys.rs"));

// glibc's sockaddr_storage: a u16 family, 118 chars and an unsigned long, 128
// bytes without padding.
crate::pod::unsafe_impl_pod!(as_bytes: sockaddr_storage);
const _: () = assert!(core::mem::size_of::<sockaddr_storage>() == 2 + 118 + 8);

extern "C" {
    /// See include/ksr_shim.h.
    pub fn ksr_shim_log(level: core::ffi::c_int, text: *const core::ffi::c_char, text_len: core::ffi::c_int);
    /// See include/ksr_shim.h.
    pub fn ksr_shim_shm_malloc0(size: core::ffi::c_ulong) -> *mut core::ffi::c_void;
    /// See include/ksr_shim.h.
    pub fn ksr_shim_shm_free(p: *mut core::ffi::c_void);
    /// See include/ksr_shim.h.
    pub fn ksr_shim_cfg_update();
    /// See include/ksr_shim.h.
    pub fn ksr_shim_blocklist_sctp(err_flags: u8, su: *mut sockaddr_union) -> core::ffi::c_int;
}

#[cfg(test)]
mod layout {
    //! Sizes, alignments and offsets measured on the real headers of the series of
    //! the core this build targets (kamailio-headers/abi-layouts.txt, turned into
    //! tests by build.rs). A change in kamailio_abi.h that breaks the ABI fails here.
    use super::*;
    include!(concat!(env!("OUT_DIR"), "/abi_pins.rs"));
}
