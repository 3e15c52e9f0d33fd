//! The coordinator matrix: member bodies × model items, read from stored findings (one query, no
//! recomputation).

use std::collections::BTreeMap;

use serde::Serialize;
use taisho_domain::{DocumentId, OrgId, VersionId};
use taisho_guideline::EditionId;
use taisho_store::{Mode, OrgKind, Store, StoreError, TenantScope, analyses, orgs};

use crate::error::Result;

/// One document's row: the statuses of its latest analysed version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixRow {
    pub org_id: OrgId,
    pub org_name: String,
    pub document_id: DocumentId,
    pub version_id: VersionId,
    pub seq: i32,
    /// Item id → status (`covered`, `weakened`, `omitted`, `out_of_scope`).
    pub statuses: BTreeMap<String, String>,
}

/// Rows for every document of `orgs` readable by `scope`, ordered by organisation and document.
pub async fn for_orgs(
    store: &Store,
    scope: &TenantScope,
    orgs: &[OrgId],
    edition: EditionId,
) -> Result<Vec<MatrixRow>> {
    let tx = store.begin(scope, Mode::Read).await?;
    let names: BTreeMap<OrgId, String> = orgs::list_readable(&tx)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let cells = analyses::matrix(&tx, orgs, &edition.to_string()).await?;
    tx.rollback().await?;
    let mut rows: Vec<MatrixRow> = Vec::new();
    for c in cells {
        match rows.last_mut() {
            Some(r) if r.document_id == c.document_id => {
                r.statuses.insert(c.item_id, c.status);
            }
            _ => rows.push(MatrixRow {
                org_id: c.org_id,
                org_name: names.get(&c.org_id).cloned().unwrap_or_default(),
                document_id: c.document_id,
                version_id: c.version_id,
                seq: c.seq,
                statuses: BTreeMap::from([(c.item_id, c.status)]),
            }),
        }
    }
    Ok(rows)
}

/// The matrix of a prefecture's member bodies, as its coordinators see it. A prefecture the scope
/// cannot read, or an organisation that is not a prefecture, is NotFound.
pub async fn prefecture(
    store: &Store,
    scope: &TenantScope,
    prefecture: OrgId,
    edition: EditionId,
) -> Result<Vec<MatrixRow>> {
    let tx = store.begin(scope, Mode::Read).await?;
    let pref = orgs::get(&tx, prefecture).await?;
    if pref.kind != OrgKind::Prefecture {
        return Err(StoreError::NotFound.into());
    }
    let members: Vec<OrgId> = orgs::prefecture_members(&tx, prefecture)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    tx.rollback().await?;
    for_orgs(store, scope, &members, edition).await
}
