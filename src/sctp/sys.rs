//! Raw declarations of the Linux SCTP socket API and libsctp (bindgen output of
//! `<netinet/sctp.h>`).
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code, unused_imports)]
#![allow(clippy::all, clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]

include!(concat!(env!("OUT_DIR"), "/sctp_sys.rs"));

// Notifications and socket options read from (or filled by) the kernel's bytes.
// Checked against the bindgen output: every field is a __u8/__u16/__u32/__u64/int/
// sctp_assoc_t, an array of those, a sockaddr_storage (integers only), an
// sctp_sndrcvinfo (integers only), a packed(4) sctp_paddrinfo (integers and a
// sockaddr_storage) or a zero-length __IncompleteArrayField of __u8 / sctp_assoc_t.
crate::pod::unsafe_impl_pod!(
    sctp_assoc_change,
    sctp_paddr_change,
    sctp_send_failed,
    sctp_remote_error,
    sctp_shutdown_event,
    sctp_pdapi_event,
    sctp_adaptation_event,
    sctp_sender_dry_event,
    sctp_sndrcvinfo,
    sctp_rtoinfo,
    sctp_initmsg,
    sctp_sack_info,
    sctp_assocparams,
    sctp_assoc_value,
    sctp_event_subscribe,
    sctp_status,
    sctp_paddrinfo,
    sctp_assoc_ids,
    sctp_getaddrs,
    sctp_assoc_stats,
    sctp_prim,
    sctp_paddrthlds,
    sctp_probeinterval,
    sctp_udpencaps,
);
