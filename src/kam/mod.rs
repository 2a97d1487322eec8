//! The thin safe layer over the Kamailio core: its ABI (`sys`), logging, panic
//! containment, the module's exported symbols, shared memory, the config
//! framework, counters, RPC, event routes, pseudo-variables, and views of core structs.
pub mod cfg;
pub mod core;
pub mod counters;
pub mod export;
pub mod guard;
pub mod log;
pub mod net;
pub mod pv;
pub mod route;
pub mod rpc;
pub mod shm;
pub mod sys;
