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
    pub fn ksr_shim_log_level() -> core::ffi::c_int;
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
    //! Sizes and offsets measured on the real Kamailio 5.6.3 headers (x86_64, with
    //! USE_MCAST and without USE_COMP, as Debian builds it). A change in
    //! kamailio_abi.h that breaks the ABI fails here.
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn sizes_match_the_core() {
        assert_eq!(size_of::<str_>(), 16);
        assert_eq!(size_of::<ip_addr>(), 24);
        assert_eq!(size_of::<sockaddr_union>(), 128);
        assert_eq!(size_of::<addr_info>(), 208);
        assert_eq!(size_of::<socket_info>(), 400);
        assert_eq!(size_of::<receive_info>(), 208);
        assert_eq!(size_of::<dest_info>(), 152);
        assert_eq!(size_of::<module_exports>(), 80);
        assert_eq!(size_of::<param_export>(), 24);
        assert_eq!(size_of::<cmd_export>(), 48);
        assert_eq!(size_of::<sctp_srapi>(), 48);
        assert_eq!(size_of::<advertise_info>(), 96);
        assert_eq!(size_of::<cfg_def_t>(), 48);
        assert_eq!(size_of::<cfg_mapping_t>(), 24);
        assert_eq!(size_of::<cfg_group_t>(), 73);
        assert_eq!(size_of::<cfg_block_t>(), 9);
        assert_eq!(size_of::<cfg_child_cb_t>(), 64);
        assert_eq!(size_of::<counter_def_t>(), 48);
        assert_eq!(size_of::<rpc_t>(), 96);
        assert_eq!(size_of::<rpc_export_t>(), 32);
        assert_eq!(size_of::<sr_shm_api_t>(), 168);
        assert_eq!(size_of::<gen_lock_t>(), 4);
    }

    #[test]
    fn framework_offsets_match_the_core() {
        assert_eq!(offset_of!(cfg_mapping_t, offset), 16);
        assert_eq!(offset_of!(cfg_group_t, var_offset), 36);
        assert_eq!(offset_of!(cfg_group_t, handle), 40);
        assert_eq!(offset_of!(cfg_group_t, next), 56);
        assert_eq!(offset_of!(cfg_group_t, name), 72);
        assert_eq!(offset_of!(cfg_block_t, vars), 8);
        assert_eq!(offset_of!(cfg_child_cb_t, cb), 40);
        assert_eq!(offset_of!(cfg_child_cb_t, next), 56);
        assert_eq!(offset_of!(rpc_t, scan), 24);
        assert_eq!(offset_of!(rpc_t, struct_add), 40);
        assert_eq!(offset_of!(sr_shm_api_t, xmalloc), 24);
        assert_eq!(offset_of!(sr_shm_api_t, xmallocxz), 32);
        assert_eq!(offset_of!(sr_shm_api_t, xfree), 72);
        assert_eq!(offset_of!(counter_def_t, get_cbk), 24);
        assert_eq!(offset_of!(counter_def_t, descr), 40);
    }

    #[test]
    fn offsets_match_the_core() {
        assert_eq!(offset_of!(socket_info, socket), 0);
        assert_eq!(offset_of!(socket_info, name), 8);
        assert_eq!(offset_of!(socket_info, address), 24);
        assert_eq!(offset_of!(socket_info, address_str), 48);
        assert_eq!(offset_of!(socket_info, su), 88);
        assert_eq!(offset_of!(socket_info, next), 216);
        assert_eq!(offset_of!(socket_info, port_no), 232);
        assert_eq!(offset_of!(socket_info, proto), 234);
        assert_eq!(offset_of!(socket_info, addr_info_lst), 256);
        assert_eq!(offset_of!(addr_info, address), 16);
        assert_eq!(offset_of!(addr_info, address_str), 40);
        assert_eq!(offset_of!(addr_info, su), 64);
        assert_eq!(offset_of!(addr_info, next), 192);
        assert_eq!(offset_of!(receive_info, src_ip), 0);
        assert_eq!(offset_of!(receive_info, dst_ip), 24);
        assert_eq!(offset_of!(receive_info, src_port), 48);
        assert_eq!(offset_of!(receive_info, dst_port), 50);
        assert_eq!(offset_of!(receive_info, proto_reserved1), 52);
        assert_eq!(offset_of!(receive_info, src_su), 64);
        assert_eq!(offset_of!(receive_info, bind_address), 192);
        assert_eq!(offset_of!(receive_info, rflags), 200);
        assert_eq!(offset_of!(receive_info, proto), 204);
        assert_eq!(offset_of!(dest_info, send_sock), 0);
        assert_eq!(offset_of!(dest_info, to), 8);
        assert_eq!(offset_of!(dest_info, id), 136);
        assert_eq!(offset_of!(dest_info, send_flags), 140);
        assert_eq!(offset_of!(dest_info, proto), 144);
        assert_eq!(offset_of!(module_exports, params), 24);
        assert_eq!(offset_of!(module_exports, init_mod_f), 56);
        assert_eq!(offset_of!(module_exports, destroy_mod_f), 72);
        assert_eq!(offset_of!(sctp_srapi, msg_send), 40);
    }
}
