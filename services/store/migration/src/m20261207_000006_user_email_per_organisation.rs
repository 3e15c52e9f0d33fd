//! An e-mail address is no longer unique across the service: each organisation that creates a user
//! with an address gets an account of its own. Organisations cannot see each other's users, so an
//! admin must not learn that an address is registered elsewhere (the refusal "already registered"
//! told them); only their own organisations' addresses are checked (`users::email_taken_in`).
//! Sign-in finds every account of the address (`users::credentials`).
//!
//! PostgreSQL drops the unique constraint. SQLite cannot drop a column constraint, so the table is
//! rebuilt as its documentation prescribes (foreign keys off on the connection, then a transaction:
//! new table, copy, drop, rename), in one script so every statement runs on the same connection
//! (sea-orm-migration runs SQLite migrations outside a transaction).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = "PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_new (
    id blob PRIMARY KEY,
    email text NOT NULL,
    display_name text NOT NULL,
    password_hash text NULL,
    created_at text NOT NULL,
    disabled_at text NULL
);
INSERT INTO users_new (id, email, display_name, password_hash, created_at, disabled_at)
    SELECT id, email, display_name, password_hash, created_at, disabled_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_email ON users (email);
COMMIT;
PRAGMA foreign_keys = ON;";

const POSTGRES: &str = "ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key;
CREATE INDEX users_email ON users (email);";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                for stmt in POSTGRES.split(";\n") {
                    db.execute_unprepared(stmt).await?;
                }
            }
            _ => {
                db.execute_unprepared(SQLITE).await?;
            }
        }
        Ok(())
    }
}
