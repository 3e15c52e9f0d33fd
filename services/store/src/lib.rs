#![doc = include_str!("../README.md")]

pub mod analyses;
pub mod audit;
pub mod documents;
mod entity;
pub mod error;
pub mod grants;
pub mod keys;
pub mod members;
pub mod model;
pub mod orgs;
pub mod provision;
pub mod read_cache;
mod scope;
pub mod sessions;
mod store;
pub mod tenancy;
pub mod users;

pub use error::{Result, StoreError};
pub use model::*;
pub use store::{Backend, Mode, Store, StoreOptions, Tx, migrate, pending_migrations, sqlite_url};
pub use tenancy::{Actor, Principal, TenantScope, scope_for};

/// Re-exported so the worker and app crates use the same sea-orm as the store.
pub use sea_orm;
pub use taisho_migration::Migrator;
