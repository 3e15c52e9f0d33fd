//! PostgreSQL-only parts of migrations: roles, row-level security, privileges. Each helper is a no-op
//! on SQLite, so migrations call them unconditionally.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Owns every table and runs migrations. Row-level security is forced, so owning a table gives it no
/// way around the policies either.
pub const OWNER: &str = "taisho_owner";
/// The runtime role: LOGIN, NOSUPERUSER, NOBYPASSRLS, owns nothing; privileges come from grants.
pub const APP: &str = "taisho_app";

fn is_pg(manager: &SchemaManager<'_>) -> bool {
    manager.get_connection().get_database_backend() == DbBackend::Postgres
}

/// Runs one PostgreSQL statement as is (may contain `;` inside `$$` bodies). No-op on SQLite.
pub async fn exec(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    if is_pg(manager) {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Creates `role` if missing. Roles are cluster-wide and test binaries migrate databases
/// concurrently, so a concurrent creation by someone else counts as success; the existence check
/// first lets a migration run by `taisho_owner` (no CREATEROLE) pass once the roles exist.
pub async fn ensure_role(
    manager: &SchemaManager<'_>,
    role: &str,
    attributes: &str,
) -> Result<(), DbErr> {
    exec(
        manager,
        &format!(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                 BEGIN
                   CREATE ROLE {role} {attributes};
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                 END;
               END IF;
             END $$"
        ),
    )
    .await
}

/// One row-level security policy: `FOR <command>` with optional `USING` and `WITH CHECK` expressions.
pub struct Policy<'a> {
    pub name: &'a str,
    pub command: &'a str,
    pub using: Option<&'a str>,
    pub check: Option<&'a str>,
}

/// Secures a tenant table: owned by [`OWNER`], ENABLE + FORCE row-level security, no privileges for
/// PUBLIC, `privileges` (e.g. `"SELECT, INSERT"`) for [`APP`], and the given policies. Without a
/// policy for a command, RLS denies that command to everyone.
pub async fn secure_table(
    manager: &SchemaManager<'_>,
    table: &str,
    privileges: &str,
    policies: &[Policy<'_>],
) -> Result<(), DbErr> {
    if !is_pg(manager) {
        return Ok(());
    }
    exec(manager, &format!("ALTER TABLE {table} OWNER TO {OWNER}")).await?;
    exec(
        manager,
        &format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"),
    )
    .await?;
    exec(
        manager,
        &format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"),
    )
    .await?;
    exec(manager, &format!("REVOKE ALL ON {table} FROM PUBLIC")).await?;
    exec(manager, &format!("GRANT {privileges} ON {table} TO {APP}")).await?;
    for p in policies {
        let mut sql = format!("CREATE POLICY {} ON {table} FOR {}", p.name, p.command);
        if let Some(using) = p.using {
            sql.push_str(&format!(" USING ({using})"));
        }
        if let Some(check) = p.check {
            sql.push_str(&format!(" WITH CHECK ({check})"));
        }
        exec(manager, &sql).await?;
    }
    Ok(())
}

/// SQL expression: the transaction-local org list `setting` (e.g. `taisho.read`) as `uuid[]`.
pub fn orgs(setting: &str) -> String {
    format!("taisho_orgs('{setting}')")
}

/// SQL expression: the worker's system scope is on in this transaction.
pub const SYSTEM: &str = "taisho_flag('taisho.system')";
/// SQL expression: the store is resolving a principal's scope (read-only look-ups of memberships,
/// grants, keys and organisations) in this transaction.
pub const AUTH: &str = "taisho_flag('taisho.auth')";
