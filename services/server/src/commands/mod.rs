//! One module per command of `taisho`, named as on the command line. Each holds the command's
//! arguments (`Args`, flattened into [`crate::cli`]) and its `run`; what several commands share
//! is in [`crate::runtime`] (async runtime, store, engine wiring) and [`crate::input`] (reading
//! files).

pub mod analyze;
pub mod bench;
pub mod compare;
pub mod demo;
pub mod diff;
pub mod eval;
pub mod import;
pub mod keys;
pub mod migrate;
pub mod parse;
pub mod serve;
pub mod tokens;
pub mod work;
