//! The thin safe layer over the Kamailio core: its ABI (`sys`), logging, panic
//! containment, the module's exported symbols, and views of core structs.
pub mod core;
pub mod export;
pub mod guard;
pub mod log;
pub mod net;
pub mod sys;
