//! The values in force: the settings fixed at startup (`startup`) and those
//! the config framework can change at run time (`runtime`).
pub mod runtime;
pub mod startup;
