//! Per-analysis item-status summary for the coordinator matrix: one row per successful analysis
//! with every item's status as one letter, so a matrix request reads one row per body instead of
//! every finding row.
//!
//! `statuses` holds one letter per finding in the analysis' own (model) order: `C` covered, `W`
//! weakened, `O` omitted, `S` out of scope, `?` anything else. `items` is a fingerprint of that
//! order (FNV-1a 64 of the item ids joined by `\n`, 16 hex digits), so a reader can check that the
//! letters line up with the catalog it holds before using them by position. The same functions
//! live in `taisho_store::analyses` (which writes summaries from then on); keep them identical.
//!
//! Like analyses, summaries are immutable: SELECT and INSERT for the runtime role, no UPDATE or
//! DELETE. Existing analyses are summarised here, from their stored Analysis JSON.
//!
//! `analysis_latest` holds a copy of the summary of each document's latest analysed version per
//! edition (upserted with a `seq` guard, so concurrent recordings keep the highest): a matrix
//! request reads one row per document from one table, by organisation, without looking for the
//! maximum `seq` or joining.
//!
//! Also restates the SELECT policies of the tables a matrix request reads (organisations,
//! documents, versions, analyses, summaries) so their org-list setting is parsed once per
//! statement, not once per row (same conditions).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, JsonValue, Statement, Value};

use crate::pg::{self, Policy, SYSTEM, orgs};
use crate::sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = r"
CREATE TABLE analysis_summaries (
    analysis_id {uuid} PRIMARY KEY REFERENCES analyses (id),
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    document_id {uuid} NOT NULL REFERENCES documents (id),
    version_id {uuid} NOT NULL REFERENCES document_versions (id),
    seq integer NOT NULL,
    edition text NOT NULL,
    items text NOT NULL,
    statuses text NOT NULL
);
CREATE INDEX analysis_summaries_document ON analysis_summaries (edition, document_id, seq);
CREATE INDEX analysis_summaries_org ON analysis_summaries (org_id, edition);
CREATE TABLE analysis_latest (
    document_id {uuid} NOT NULL REFERENCES documents (id),
    edition text NOT NULL,
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    seq integer NOT NULL,
    analysis_id {uuid} NOT NULL REFERENCES analysis_summaries (analysis_id),
    version_id {uuid} NOT NULL REFERENCES document_versions (id),
    items text NOT NULL,
    statuses text NOT NULL,
    PRIMARY KEY (document_id, edition)
);
CREATE INDEX analysis_latest_org ON analysis_latest (org_id, edition);
";

/// The fingerprint of an item order (see the module documentation).
fn fingerprint<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, id) in ids.into_iter().enumerate() {
        let sep: &[u8] = if i > 0 { b"\n" } else { b"" };
        for b in sep.iter().chain(id.as_bytes()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The letter of a stored finding status.
fn letter(status: &str) -> char {
    match status {
        "covered" => 'C',
        "weakened" => 'W',
        "omitted" => 'O',
        "out_of_scope" => 'S',
        _ => '?',
    }
}

/// `(fingerprint, letters)` of an engine Analysis JSON's findings, in their order.
fn summarise(result: &JsonValue) -> (String, String) {
    let findings: Vec<(&str, &str)> = result
        .get("findings")
        .and_then(|f| f.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|f| Some((f.get("item")?.as_str()?, f.get("status")?.as_str()?)))
                .collect()
        })
        .unwrap_or_default();
    (
        fingerprint(findings.iter().map(|f| f.0)),
        findings.iter().map(|f| letter(f.1)).collect(),
    )
}

/// `taisho_orgs(setting)` as an InitPlan: evaluated once per statement instead of once per row.
/// The settings are constant within a statement, so the policy means the same; a matrix read of
/// 60 summaries went from ~8 ms to ~0.3 ms on PostgreSQL 15.
fn once(setting: &str) -> String {
    format!("(SELECT {})::uuid[]", orgs(setting))
}

const SYSTEM_ONCE: &str = "(SELECT taisho_flag('taisho.system'))";
const AUTH_ONCE: &str = "(SELECT taisho_flag('taisho.auth'))";

/// The SELECT policies the matrix and its loaders read, restated in the InitPlan form (same
/// conditions as migration 1).
fn faster_select_policies() -> Vec<String> {
    let read = once("taisho.read");
    let mut out = vec![format!(
        "ALTER POLICY organisations_select ON organisations USING \
         ({SYSTEM_ONCE} OR {AUTH_ONCE} OR id = ANY ({read}))"
    )];
    for table in ["documents", "document_versions", "analyses"] {
        out.push(format!(
            "ALTER POLICY {table}_select ON {table} USING ({SYSTEM_ONCE} OR org_id = ANY ({read}))"
        ));
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::exec(manager, TABLES).await?;
        let read = format!("{SYSTEM_ONCE} OR org_id = ANY ({})", once("taisho.read"));
        let write = format!("{SYSTEM} OR org_id = ANY ({})", orgs("taisho.write"));
        pg::secure_table(
            manager,
            "analysis_summaries",
            "SELECT, INSERT",
            &[
                Policy {
                    name: "analysis_summaries_select",
                    command: "SELECT",
                    using: Some(&read),
                    check: None,
                },
                Policy {
                    name: "analysis_summaries_insert",
                    command: "INSERT",
                    using: None,
                    check: Some(&write),
                },
            ],
        )
        .await?;
        pg::secure_table(
            manager,
            "analysis_latest",
            "SELECT, INSERT, UPDATE",
            &[
                Policy {
                    name: "analysis_latest_select",
                    command: "SELECT",
                    using: Some(&read),
                    check: None,
                },
                Policy {
                    name: "analysis_latest_insert",
                    command: "INSERT",
                    using: None,
                    check: Some(&write),
                },
                Policy {
                    name: "analysis_latest_update",
                    command: "UPDATE",
                    using: Some(&write),
                    check: Some(&write),
                },
            ],
        )
        .await?;
        for policy in faster_select_policies() {
            pg::exec(manager, &policy).await?;
        }
        backfill(manager).await
    }
}

/// Summarises the analyses recorded before this migration. On PostgreSQL the migration runs in
/// one transaction as the owner, whom row-level security binds too: the system flag is switched on
/// for this transaction only.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    pg::exec(manager, "SELECT set_config('taisho.system', 'on', true)").await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT a.id, a.org_id, a.version_id, v.document_id, v.seq, a.edition, a.result \
             FROM analyses a JOIN document_versions v ON v.id = a.version_id \
             WHERE a.status = 'done'",
        ))
        .await?;
    let insert = match backend {
        DbBackend::Postgres => {
            "INSERT INTO analysis_summaries (analysis_id, org_id, document_id, version_id, seq, \
             edition, items, statuses) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        }
        _ => {
            "INSERT INTO analysis_summaries (analysis_id, org_id, document_id, version_id, seq, \
             edition, items, statuses) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        }
    };
    for row in rows {
        let result: JsonValue = if backend == DbBackend::Postgres {
            row.try_get("", "result")?
        } else {
            // SQLite keeps JSON as text.
            let text: String = row.try_get("", "result")?;
            text.parse::<JsonValue>().unwrap_or(JsonValue::Null)
        };
        let (items, statuses) = summarise(&result);
        let values: Vec<Value> = vec![
            row.try_get::<Uuid>("", "id")?.into(),
            row.try_get::<Uuid>("", "org_id")?.into(),
            row.try_get::<Uuid>("", "document_id")?.into(),
            row.try_get::<Uuid>("", "version_id")?.into(),
            row.try_get::<i32>("", "seq")?.into(),
            row.try_get::<String>("", "edition")?.into(),
            items.into(),
            statuses.into(),
        ];
        db.execute_raw(Statement::from_sql_and_values(backend, insert, values))
            .await?;
    }
    db.execute_unprepared(
        "INSERT INTO analysis_latest (document_id, edition, org_id, seq, analysis_id, version_id, \
         items, statuses) \
         SELECT s.document_id, s.edition, s.org_id, s.seq, s.analysis_id, s.version_id, s.items, \
         s.statuses FROM analysis_summaries s \
         WHERE s.seq = (SELECT max(s2.seq) FROM analysis_summaries s2 \
                        WHERE s2.document_id = s.document_id AND s2.edition = s.edition)",
    )
    .await?;
    pg::exec(manager, "SELECT set_config('taisho.system', 'off', true)").await?;
    Ok(())
}
