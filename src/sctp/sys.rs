//! Raw declarations of the Linux SCTP socket API and libsctp (bindgen output of
//! `<netinet/sctp.h>`).
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code, unused_imports)]
#![allow(clippy::all)]

include!(concat!(env!("OUT_DIR"), "/sctp_sys.rs"));
