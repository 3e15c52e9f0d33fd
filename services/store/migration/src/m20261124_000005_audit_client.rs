//! The audit log gains the client's network address (`client_addr`, text: an IPv4 or IPv6
//! address as the HTTP layer saw it; null for the command line and the workers) and a `detail`
//! (a stable code: the error code of a refused upload, `unchanged`, the channel a text was read
//! through; never document text, emails or secrets), plus an index for the admins' log reads.
//!
//! On SQLite the log becomes append-only like on PostgreSQL (where the runtime role has only
//! INSERT and SELECT): triggers make every UPDATE and DELETE of a row fail.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = r"
ALTER TABLE audit_log ADD COLUMN client_addr text NULL;
ALTER TABLE audit_log ADD COLUMN detail text NULL;
CREATE INDEX audit_log_target_id ON audit_log (target_org_id, id);
CREATE INDEX audit_log_acting_id ON audit_log (acting_org_id, id);
";

/// One statement each (their bodies hold `;` mid-line, which [`sql::exec`] would not split).
const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::exec(manager, COLUMNS).await?;
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Sqlite {
            for trigger in SQLITE_TRIGGERS {
                db.execute_unprepared(trigger).await?;
            }
        }
        Ok(())
    }
}
