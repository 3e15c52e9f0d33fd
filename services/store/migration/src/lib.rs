//! Taisho's schema migrations.
//!
//! Rules (see `services/store/README.md`):
//! - one file per change, named `mYYYYMMDD_NNNNNN_<what>.rs`, appended to [`Migrator::migrations`];
//!   a landed file is never edited (write a new migration instead);
//! - every migration supports SQLite and PostgreSQL; PostgreSQL-only statements (roles, row-level
//!   security, grants) go through the helpers in [`pg`];
//! - every tenant table is secured with [`pg::secure_table`] in the migration that creates it.

pub use sea_orm_migration::prelude::*;

pub mod pg;
pub mod sql;

mod m20261121_000001_tenancy;
mod m20261121_000002_jobs;
mod m20261122_000003_sessions;
mod m20261122_000004_analysis_summary;
mod m20261124_000005_audit_client;
mod m20261207_000006_user_email_per_organisation;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_tenancy::Migration),
            Box::new(m20261121_000002_jobs::Migration),
            Box::new(m20261122_000003_sessions::Migration),
            Box::new(m20261122_000004_analysis_summary::Migration),
            Box::new(m20261124_000005_audit_client::Migration),
            Box::new(m20261207_000006_user_email_per_organisation::Migration),
        ]
    }
}
