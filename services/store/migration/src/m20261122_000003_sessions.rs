//! Browser sessions: one row per sign-in, found by the SHA-256 of the cookie's token (the token
//! itself is never stored). Sessions are looked up before a scope exists, like API keys: reading
//! goes through the auth scope, writing (create, extend, revoke) through the system scope; a
//! signed-in user also sees and revokes its own sessions.
//!
//! Also lets a scope read the users who are members of organisations it reads (names and emails
//! of an organisation's members, as its membership list already shows their ids).

use sea_orm_migration::prelude::*;

use crate::pg::{self, AUTH, Policy, SYSTEM, orgs};
use crate::sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = r"
CREATE TABLE sessions (
    id {uuid} PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    user_id {uuid} NOT NULL REFERENCES users (id),
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    revoked_at {ts} NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::exec(manager, TABLES).await?;
        let select = format!("{SYSTEM} OR {AUTH} OR user_id = taisho_actor()");
        let update = format!("{SYSTEM} OR user_id = taisho_actor()");
        pg::secure_table(
            manager,
            "sessions",
            "SELECT, INSERT, UPDATE, DELETE",
            &[
                Policy {
                    name: "sessions_select",
                    command: "SELECT",
                    using: Some(&select),
                    check: None,
                },
                Policy {
                    name: "sessions_insert",
                    command: "INSERT",
                    using: None,
                    check: Some(SYSTEM),
                },
                Policy {
                    name: "sessions_update",
                    command: "UPDATE",
                    using: Some(&update),
                    check: Some(&update),
                },
                Policy {
                    name: "sessions_delete",
                    command: "DELETE",
                    using: Some(SYSTEM),
                    check: None,
                },
            ],
        )
        .await?;
        // Permissive policies add up: users stay visible to themselves, the system and the auth
        // scope, and now also to scopes reading an organisation they are a member of (the
        // memberships policy applies inside the sub-query).
        pg::exec(
            manager,
            &format!(
                "CREATE POLICY users_select_members ON users FOR SELECT USING (EXISTS (
                   SELECT 1 FROM memberships m
                   WHERE m.user_id = users.id AND m.org_id = ANY ({})))",
                orgs("taisho.read")
            ),
        )
        .await?;
        Ok(())
    }
}
