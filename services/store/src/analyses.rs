//! Analysis results per version × model edition, their findings, and the coordinator matrix.

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
use crate::model::AnalysisStatus;
use crate::store::{Backend, Tx};

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
    let orgs: Vec<OrgId> = orgs
        .iter()
        .copied()
        .filter(|o| tx.app_allows(tx.scope().can_read(*o)))
        .collect();
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
