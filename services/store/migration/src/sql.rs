//! Column types per backend, so one `CREATE TABLE` text serves SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Replaces the type placeholders `{uuid}`, `{ts}`, `{bytes}`, `{json}` in `sql` for the backend.
///
/// SQLite stores UUIDs as 16-byte blobs because that is how the driver binds `Uuid` values, and
/// timestamps as RFC 3339 text (sortable, and what the driver writes for `DateTime<Utc>`).
pub fn typed(backend: DbBackend, sql: &str) -> String {
    let (uuid, ts, bytes, json) = match backend {
        DbBackend::Postgres => ("uuid", "timestamptz", "bytea", "jsonb"),
        _ => ("blob", "text", "blob", "text"),
    };
    sql.replace("{uuid}", uuid)
        .replace("{ts}", ts)
        .replace("{bytes}", bytes)
        .replace("{json}", json)
}

/// Runs each statement of `sql` (separated by `;` at line ends) after [`typed`].
pub async fn exec(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let sql = typed(db.get_database_backend(), sql);
    for stmt in split(&sql) {
        db.execute_unprepared(stmt).await?;
    }
    Ok(())
}

/// Splits on `;` that end a line; PL/pgSQL bodies keep their inner `;` mid-line or use [`pg::exec`].
fn split(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n").map(str::trim).filter(|s| !s.is_empty())
}
