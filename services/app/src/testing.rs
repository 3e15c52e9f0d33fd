//! Test support (feature `testing`, for dev-dependencies only) for the crates above the app: the
//! store's test databases ([`TestDb`], [`backend_test!`](crate::testing::backend_test)) and the
//! system-level fixture functions their tests build tenants and rows with. Through this module
//! those crates test against real databases without depending on `taisho-store`; a shared
//! test-support crate is to take it over.

pub use taisho_store::backend_test;
pub use taisho_store::testing::*;
pub use taisho_store::{Mode, NewVersion, Store, Tx, analyses, audit, documents, provision, users};
