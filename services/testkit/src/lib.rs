#![doc = include_str!("../README.md")]

mod data;
#[cfg(feature = "engine")]
mod engine;
#[cfg(feature = "db")]
mod tenants;
#[cfg(feature = "db")]
pub mod testdb;

pub use data::{SEEDS, seed, seed_bytes, seed_name, seed_path, seed_text, testdata};
#[cfg(feature = "engine")]
pub use engine::{Analyser, analyser, char_class_engine, engine};
/// The store's system-level functions that tests build rows with (tests above the app reach the
/// store only through this crate).
#[cfg(feature = "db")]
pub use taisho_store::{Mode, NewVersion, Store, Tx, analyses, audit, documents, provision, users};
#[cfg(feature = "db")]
pub use tenants::{Member, Tenants, tag, user_scope, worker_scope};
#[cfg(feature = "db")]
pub use testdb::TestDb;
