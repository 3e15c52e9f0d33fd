//! Analysis results per version × model edition, their findings, and the coordinator matrix.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use serde::Serialize;
use taisho_domain::{AnalysisId, DocumentId, OrgId, VersionId};

use crate::documents::check_write;
use crate::entity::{analysis, finding, version};
use crate::error::{Result, StoreError, write_err};
use crate::model::{AnalysisStatus, OrgKind, Organisation};
use crate::read_cache::MatrixRead;
use crate::store::{Backend, Mode, Store, Tx};
use crate::tenancy::TenantScope;

/// One finding of an analysis: the status of a model item, with the reasons (and evidence) as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub item_id: String,
    pub status: String,
    pub reasons: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub id: AnalysisId,
    pub version_id: VersionId,
    pub org_id: OrgId,
    pub edition: String,
    pub status: AnalysisStatus,
    /// The engine's Analysis JSON.
    pub result: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

fn to_analysis(m: analysis::Model) -> Result<Analysis> {
    Ok(Analysis {
        id: AnalysisId::from_uuid(m.id),
        version_id: VersionId::from_uuid(m.version_id),
        org_id: OrgId::from_uuid(m.org_id),
        edition: m.edition,
        status: AnalysisStatus::parse(&m.status)?,
        result: m.result,
        created_at: m.created_at,
    })
}

async fn find_version(tx: &Tx, id: VersionId) -> Result<version::Model> {
    let v = version::Entity::find_by_id(id.as_uuid())
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
    if !tx.app_allows(tx.scope().can_read(OrgId::from_uuid(v.org_id))) {
        return Err(StoreError::NotFound);
    }
    Ok(v)
}

/// Stores the result of analysing `version` with model `edition`, once: if a result exists already
/// (a retried or duplicated job), nothing changes and the existing id is returned with `false`.
pub async fn record(
    tx: &Tx,
    version: VersionId,
    edition: &str,
    status: AnalysisStatus,
    result: serde_json::Value,
    findings: &[Finding],
) -> Result<(AnalysisId, bool)> {
    let v = find_version(tx, version).await?;
    check_write(tx, OrgId::from_uuid(v.org_id))?;
    let id = AnalysisId::new();
    let inserted = analysis::Entity::insert(analysis::ActiveModel {
        id: Set(id.as_uuid()),
        version_id: Set(v.id),
        org_id: Set(v.org_id),
        edition: Set(edition.to_owned()),
        status: Set(status.as_str().to_owned()),
        result: Set(result),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([analysis::Column::VersionId, analysis::Column::Edition])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(tx.conn())
    .await
    .map_err(write_err)?;
    if inserted == 0 {
        let existing = get(tx, version, edition).await?;
        return Ok((existing.id, false));
    }
    if status == AnalysisStatus::Done {
        insert_summary(tx, id, &v, edition, findings).await?;
    }
    if !findings.is_empty() {
        let rows = findings.iter().map(|f| finding::ActiveModel {
            analysis_id: Set(id.as_uuid()),
            item_id: Set(f.item_id.clone()),
            org_id: Set(v.org_id),
            status: Set(f.status.clone()),
            reasons: Set(f.reasons.clone()),
        });
        // Chunks keep each statement under SQLite's bound-parameter limit.
        let rows: Vec<_> = rows.collect();
        for chunk in rows.chunks(500) {
            finding::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(tx.conn())
                .await
                .map_err(write_err)?;
        }
    }
    Ok((id, true))
}

/// The analysis of `version` with `edition`.
pub async fn get(tx: &Tx, version: VersionId, edition: &str) -> Result<Analysis> {
    let v = find_version(tx, version).await?;
    let m = analysis::Entity::find()
        .filter(analysis::Column::VersionId.eq(v.id))
        .filter(analysis::Column::Edition.eq(edition))
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
    to_analysis(m)
}

/// Every analysis of a version (one per edition).
pub async fn list_for_version(tx: &Tx, version: VersionId) -> Result<Vec<Analysis>> {
    let v = find_version(tx, version).await?;
    analysis::Entity::find()
        .filter(analysis::Column::VersionId.eq(v.id))
        .order_by_asc(analysis::Column::Edition)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(to_analysis)
        .collect()
}

/// The findings of an analysis, by item id.
pub async fn findings(tx: &Tx, analysis: AnalysisId) -> Result<Vec<Finding>> {
    let a = analysis::Entity::find_by_id(analysis.as_uuid())
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
    if !tx.app_allows(tx.scope().can_read(OrgId::from_uuid(a.org_id))) {
        return Err(StoreError::NotFound);
    }
    Ok(finding::Entity::find()
        .filter(finding::Column::AnalysisId.eq(a.id))
        .order_by_asc(finding::Column::ItemId)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|f| Finding {
            item_id: f.item_id,
            status: f.status,
            reasons: f.reasons,
        })
        .collect())
}

/// One cell of the coordinator matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixCell {
    pub org_id: OrgId,
    pub document_id: DocumentId,
    pub version_id: VersionId,
    pub seq: i32,
    pub item_id: String,
    pub status: String,
}

/// For each document of `orgs` (those the scope reads), the findings of its latest version that has
/// a successful analysis with `edition`: one query, no recomputation. Ordered by organisation,
/// document, item.
pub async fn matrix(tx: &Tx, orgs: &[OrgId], edition: &str) -> Result<Vec<MatrixCell>> {
    let orgs = readable_of(tx, orgs);
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let backend = tx.backend();
    let p = |i: usize| match backend {
        Backend::Postgres => format!("${i}"),
        Backend::Sqlite => "?".to_owned(),
    };
    let placeholders: Vec<String> = (2..orgs.len() + 2).map(p).collect();
    let sql = format!(
        "SELECT v.org_id, v.document_id, v.id AS version_id, v.seq, f.item_id, f.status \
         FROM document_versions v \
         JOIN analyses a ON a.version_id = v.id AND a.edition = {e} AND a.status = 'done' \
         JOIN findings f ON f.analysis_id = a.id \
         WHERE v.org_id IN ({list}) \
           AND v.seq = (SELECT max(v2.seq) FROM document_versions v2 \
                        JOIN analyses a2 ON a2.version_id = v2.id \
                        WHERE v2.document_id = v.document_id AND a2.edition = {e} AND a2.status = 'done') \
         ORDER BY v.org_id, v.document_id, f.item_id",
        e = p(1),
        list = placeholders.join(", "),
    );
    // SQLite numbers `?` by position, so the edition is bound once per use.
    let mut values: Vec<sea_orm::Value> = vec![edition.into()];
    values.extend(orgs.iter().map(|o| sea_orm::Value::from(o.as_uuid())));
    if backend == Backend::Sqlite {
        values.push(edition.into());
    }
    let rows = tx
        .conn()
        .query_all_raw(Statement::from_sql_and_values(backend.db(), sql, values))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(MatrixCell {
                org_id: OrgId::from_uuid(r.try_get("", "org_id")?),
                document_id: DocumentId::from_uuid(r.try_get("", "document_id")?),
                version_id: VersionId::from_uuid(r.try_get("", "version_id")?),
                seq: r.try_get("", "seq")?,
                item_id: r.try_get("", "item_id")?,
                status: r.try_get("", "status")?,
            })
        })
        .collect()
}

/// The fingerprint of an item order: FNV-1a 64 of the item ids joined by `\n`, 16 hex digits.
/// Stored with each summary so a reader can check that the letters line up with its catalog.
/// (Migration 4 has the same function for its backfill.)
pub fn fingerprint<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
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

/// The one-letter form of a stored finding status: `C` covered, `W` weakened, `O` omitted, `S` out
/// of scope, `?` anything else.
pub fn status_letter(status: &str) -> char {
    match status {
        "covered" => 'C',
        "weakened" => 'W',
        "omitted" => 'O',
        "out_of_scope" => 'S',
        _ => '?',
    }
}

fn placeholders(backend: Backend, from: usize, n: usize) -> Vec<String> {
    (from..from + n)
        .map(|i| match backend {
            Backend::Postgres => format!("${i}"),
            Backend::Sqlite => "?".to_owned(),
        })
        .collect()
}

/// Writes the compact summary of a successful analysis (findings in model order).
async fn insert_summary(
    tx: &Tx,
    id: AnalysisId,
    v: &version::Model,
    edition: &str,
    findings: &[Finding],
) -> Result<()> {
    let backend = tx.backend();
    let sql = format!(
        "INSERT INTO analysis_summaries (analysis_id, org_id, document_id, version_id, seq, \
         edition, items, statuses) VALUES ({})",
        placeholders(backend, 1, 8).join(", ")
    );
    let items = fingerprint(findings.iter().map(|f| f.item_id.as_str()));
    let statuses: String = findings.iter().map(|f| status_letter(&f.status)).collect();
    let values: Vec<sea_orm::Value> = vec![
        id.as_uuid().into(),
        v.org_id.into(),
        v.document_id.into(),
        v.id.into(),
        v.seq.into(),
        edition.into(),
        items.clone().into(),
        statuses.clone().into(),
    ];
    tx.conn()
        .execute_raw(Statement::from_sql_and_values(backend.db(), sql, values))
        .await
        .map_err(write_err)?;
    // The latest pointer moves only forward: of two recordings racing for one document, the
    // higher version wins whatever the commit order (the conflict locks the row).
    let latest = format!(
        "INSERT INTO analysis_latest (document_id, edition, org_id, seq, analysis_id, version_id, \
         items, statuses) VALUES ({}) ON CONFLICT (document_id, edition) DO UPDATE \
         SET seq = excluded.seq, analysis_id = excluded.analysis_id, \
         version_id = excluded.version_id, items = excluded.items, statuses = excluded.statuses \
         WHERE analysis_latest.seq < excluded.seq",
        placeholders(backend, 1, 8).join(", ")
    );
    let values: Vec<sea_orm::Value> = vec![
        v.document_id.into(),
        edition.into(),
        v.org_id.into(),
        v.seq.into(),
        id.as_uuid().into(),
        v.id.into(),
        items.into(),
        statuses.into(),
    ];
    tx.conn()
        .execute_raw(Statement::from_sql_and_values(backend.db(), latest, values))
        .await
        .map_err(write_err)?;
    tx.changes_matrix_reads();
    Ok(())
}

/// One body's row of the coordinator matrix: the compact summary of the latest analysed version
/// of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    pub analysis_id: AnalysisId,
    pub org_id: OrgId,
    pub document_id: DocumentId,
    pub version_id: VersionId,
    pub seq: i32,
    /// [`fingerprint`] of the item order of `statuses`.
    pub items: String,
    /// One [`status_letter`] per item.
    pub statuses: String,
}

/// For each document of `orgs` (those the scope reads), the summary of its latest version that
/// has a successful analysis with `edition`: one indexed query of one table, one row per document.
/// Ordered by organisation, then document.
pub async fn summaries(tx: &Tx, orgs: &[OrgId], edition: &str) -> Result<Vec<SummaryRow>> {
    let orgs = readable_of(tx, orgs);
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let backend = tx.backend();
    let list = placeholders(backend, 2, orgs.len()).join(", ");
    let e = match backend {
        Backend::Postgres => "$1",
        Backend::Sqlite => "?",
    };
    let sql = format!(
        "SELECT analysis_id, org_id, document_id, version_id, seq, items, statuses \
         FROM analysis_latest WHERE edition = {e} AND org_id IN ({list}) \
         ORDER BY org_id, document_id"
    );
    let mut values: Vec<sea_orm::Value> = vec![edition.into()];
    values.extend(orgs.iter().map(|o| sea_orm::Value::from(o.as_uuid())));
    let rows = tx
        .conn()
        .query_all_raw(Statement::from_sql_and_values(backend.db(), sql, values))
        .await?;
    rows.iter()
        .map(|r| {
            let analysis = r.try_get("", "analysis_id")?;
            summary_row(r, AnalysisId::from_uuid(analysis))
        })
        .collect()
}

/// Every organisation the scope reads (by name), with the summaries of its documents' latest
/// versions analysed with `edition` ([`summaries`]): the coordinator matrix's whole read, in one
/// statement.
pub async fn readable_with_summaries(
    tx: &Tx,
    edition: &str,
) -> Result<(Vec<Organisation>, Vec<SummaryRow>)> {
    let backend = tx.backend();
    let readable: Vec<OrgId> = tx.scope().read.iter().copied().collect();
    if tx.filtered() && readable.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let e = match backend {
        Backend::Postgres => "$1",
        Backend::Sqlite => "?",
    };
    let filter = if tx.filtered() {
        format!(
            "WHERE o.id IN ({})",
            placeholders(backend, 2, readable.len()).join(", ")
        )
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT o.id AS org_id, o.kind, o.name, o.prefecture_id, o.created_at, l.analysis_id, \
           l.document_id, l.version_id, l.seq, l.items, l.statuses \
         FROM organisations o \
         LEFT JOIN analysis_latest l ON l.org_id = o.id AND l.edition = {e} \
         {filter} ORDER BY o.name, o.id, l.document_id"
    );
    let mut values: Vec<sea_orm::Value> = vec![edition.into()];
    if tx.filtered() {
        values.extend(readable.iter().map(|o| sea_orm::Value::from(o.as_uuid())));
    }
    let rows = tx
        .conn()
        .query_all_raw(Statement::from_sql_and_values(backend.db(), sql, values))
        .await?;
    let mut orgs: Vec<Organisation> = Vec::new();
    let mut summaries = Vec::new();
    for r in &rows {
        let org_id = OrgId::from_uuid(r.try_get("", "org_id")?);
        if orgs.last().is_none_or(|o| o.id != org_id) {
            let kind: String = r.try_get("", "kind")?;
            let prefecture: Option<uuid::Uuid> = r.try_get("", "prefecture_id")?;
            orgs.push(Organisation {
                id: org_id,
                kind: OrgKind::parse(&kind)?,
                name: r.try_get("", "name")?,
                prefecture_id: prefecture.map(OrgId::from_uuid),
                created_at: r.try_get("", "created_at")?,
            });
        }
        let analysis: Option<uuid::Uuid> = r.try_get("", "analysis_id")?;
        let Some(analysis) = analysis else {
            continue;
        };
        summaries.push(summary_row(r, AnalysisId::from_uuid(analysis))?);
    }
    Ok((orgs, summaries))
}

/// A [`SummaryRow`] from a row with `analysis_latest`'s columns.
fn summary_row(r: &sea_orm::QueryResult, analysis_id: AnalysisId) -> Result<SummaryRow> {
    Ok(SummaryRow {
        analysis_id,
        org_id: OrgId::from_uuid(r.try_get("", "org_id")?),
        document_id: DocumentId::from_uuid(r.try_get("", "document_id")?),
        version_id: VersionId::from_uuid(r.try_get("", "version_id")?),
        seq: r.try_get("", "seq")?,
        items: r.try_get("", "items")?,
        statuses: r.try_get("", "statuses")?,
    })
}

/// The organisations of `orgs` the scope reads (all of them with the test switch off).
fn readable_of(tx: &Tx, orgs: &[OrgId]) -> Vec<OrgId> {
    orgs.iter()
        .copied()
        .filter(|o| tx.app_allows(tx.scope().can_read(*o)))
        .collect()
}

/// [`readable_with_summaries`] for `scope`, from the store's short-lived cache when nothing it
/// read has changed since ([`crate::read_cache`]), else in a read transaction of its own.
pub async fn readable_with_summaries_cached(
    store: &Store,
    scope: &TenantScope,
    edition: &str,
) -> Result<Arc<MatrixRead>> {
    let key = (
        store.app_filter_on(),
        scope.read.iter().copied().collect::<Vec<OrgId>>(),
        edition.to_owned(),
    );
    if let Some(hit) = store.reads.get(&key) {
        return Ok(hit);
    }
    // The generation before the read: a write committing meanwhile makes this entry stale.
    let generation = store.reads.generation();
    let tx = store.begin(scope, Mode::Read).await?;
    let value = Arc::new(readable_with_summaries(&tx, edition).await?);
    tx.rollback().await?;
    store.reads.put(key, generation, Arc::clone(&value));
    Ok(value)
}

/// An analysis by id. A foreign or missing id is NotFound alike.
pub async fn by_id(tx: &Tx, id: AnalysisId) -> Result<Analysis> {
    let m = analysis::Entity::find_by_id(id.as_uuid())
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
    if !tx.app_allows(tx.scope().can_read(OrgId::from_uuid(m.org_id))) {
        return Err(StoreError::NotFound);
    }
    to_analysis(m)
}

/// The analyses with `edition` of the readable versions among `versions` (one query; versions
/// without one, foreign or missing are simply absent).
pub async fn for_versions(tx: &Tx, versions: &[VersionId], edition: &str) -> Result<Vec<Analysis>> {
    if versions.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<uuid::Uuid> = versions
        .iter()
        .map(taisho_domain::VersionId::as_uuid)
        .collect();
    analysis::Entity::find()
        .filter(analysis::Column::VersionId.is_in(ids))
        .filter(analysis::Column::Edition.eq(edition))
        .all(tx.conn())
        .await?
        .into_iter()
        .filter(|m| tx.app_allows(tx.scope().can_read(OrgId::from_uuid(m.org_id))))
        .map(to_analysis)
        .collect()
}

/// Analyses by id (one query; foreign or missing ids are simply absent).
pub async fn by_ids(tx: &Tx, ids: &[AnalysisId]) -> Result<Vec<Analysis>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<uuid::Uuid> = ids.iter().map(taisho_domain::AnalysisId::as_uuid).collect();
    analysis::Entity::find()
        .filter(analysis::Column::Id.is_in(ids))
        .all(tx.conn())
        .await?
        .into_iter()
        .filter(|m| tx.app_allows(tx.scope().can_read(OrgId::from_uuid(m.org_id))))
        .map(to_analysis)
        .collect()
}
