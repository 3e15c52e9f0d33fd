//! The coordinator matrix: bodies × model items with statuses, coverage per body and per item.
//!
//! Fast by construction: each successful analysis stores its item statuses as one compact row
//! (`analysis_summaries`, and `analysis_latest` for each document's latest), so a request reads
//! the readable organisations with one summary row per document in one statement
//! ([`analyses::readable_with_summaries`]) and maps letters to catalog items by position. A
//! summary whose item order does not match the catalog (another catalog version) falls back to
//! that analysis' finding rows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use taisho_domain::{AnalysisId, DocumentId, OrgId, VersionId};
use taisho_engine::analysis::FindingStatus;
use taisho_guideline::{Catalog, EditionId, Kind};
use taisho_store::{Mode, OrgKind, Organisation, Store, StoreError, TenantScope, Tx, analyses};

use crate::catalog::{self, ItemFilter};
use crate::error::Result;
use crate::services::Services;

/// The letter of a status in [`MatrixBody::statuses`]; `-` is "no analysis".
pub fn letter(status: Option<FindingStatus>) -> char {
    match status {
        Some(FindingStatus::Covered) => 'C',
        Some(FindingStatus::Weakened) => 'W',
        Some(FindingStatus::Omitted) => 'O',
        Some(FindingStatus::OutOfScope) => 'S',
        None => '-',
    }
}

fn from_letter(c: u8) -> Option<FindingStatus> {
    match c {
        b'C' => Some(FindingStatus::Covered),
        b'W' => Some(FindingStatus::Weakened),
        b'O' => Some(FindingStatus::Omitted),
        b'S' => Some(FindingStatus::OutOfScope),
        _ => None,
    }
}

/// Which bodies a matrix shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatrixQuery {
    /// The member bodies of this prefecture (it must be a readable prefecture).
    pub prefecture: Option<OrgId>,
    /// These organisations (each must be readable; with `prefecture`, each must be its member).
    pub organisations: Option<Vec<OrgId>>,
    /// Items by section and kind.
    pub filter: ItemFilter,
    /// Only items that at least one body has with this status.
    pub status: Option<FindingStatus>,
}

/// A column of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixItem {
    pub id: String,
    pub section: String,
    pub title: String,
    pub kind: Kind,
    /// Covered / in scope (covered, weakened, omitted) over the bodies with an analysis.
    pub coverage: Option<f64>,
}

/// A row: one document of a body with its latest analysed version, or a body with none.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixBody {
    pub org: OrgId,
    pub org_name: String,
    /// The organisation as the scope reads it.
    pub organisation: Organisation,
    pub document: Option<DocumentId>,
    pub version: Option<VersionId>,
    pub analysis: Option<AnalysisId>,
    /// One letter per matrix item, in item order: C, W, O, S, or `-` (no analysis).
    pub statuses: String,
    /// Covered / in scope over the matrix items.
    pub coverage: Option<f64>,
}

impl MatrixBody {
    /// The status of each matrix item (`None`: no analysis).
    pub fn cells(&self) -> impl Iterator<Item = Option<FindingStatus>> + '_ {
        self.statuses.bytes().map(from_letter)
    }
}

/// A matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub edition: EditionId,
    pub items: Vec<MatrixItem>,
    pub rows: Vec<MatrixBody>,
}

fn coverage(statuses: impl Iterator<Item = Option<FindingStatus>>) -> Option<f64> {
    let (mut covered, mut in_scope) = (0u32, 0u32);
    for s in statuses.flatten() {
        match s {
            FindingStatus::Covered => {
                covered += 1;
                in_scope += 1;
            }
            FindingStatus::Weakened | FindingStatus::Omitted => in_scope += 1,
            FindingStatus::OutOfScope => {}
        }
    }
    (in_scope > 0).then(|| f64::from(covered) / f64::from(in_scope))
}

/// The fingerprint of the catalog's item order, computed once per edition.
fn catalog_fingerprint(edition: EditionId, catalog: &Catalog) -> String {
    type Cache = Mutex<HashMap<EditionId, String>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(f) = cache.lock().ok().and_then(|m| m.get(&edition).cloned()) {
        return f;
    }
    let f = analyses::fingerprint(catalog.items.iter().map(|i| i.id.as_str()));
    if let Ok(mut m) = cache.lock() {
        m.insert(edition, f.clone());
    }
    f
}

/// The organisations a query selects, by name.
fn select_orgs(readable: &[Organisation], query: &MatrixQuery) -> Result<Vec<Organisation>> {
    let by_id: HashMap<OrgId, &Organisation> = readable.iter().map(|o| (o.id, o)).collect();
    if let Some(p) = query.prefecture {
        match by_id.get(&p) {
            Some(o) if o.kind == OrgKind::Prefecture => {}
            _ => return Err(StoreError::NotFound.into()),
        }
    }
    let selected: Vec<Organisation> = match &query.organisations {
        Some(ids) => {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let o = by_id.get(id).ok_or(StoreError::NotFound)?;
                if query.prefecture.is_some_and(|p| o.prefecture_id != Some(p)) {
                    return Err(StoreError::NotFound.into());
                }
                if !out.iter().any(|x: &Organisation| x.id == o.id) {
                    out.push((*o).clone());
                }
            }
            out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
            out
        }
        None => readable
            .iter()
            .filter(|o| match query.prefecture {
                Some(p) => o.prefecture_id == Some(p),
                None => matches!(o.kind, OrgKind::Municipality | OrgKind::Union),
            })
            .cloned()
            .collect(),
    };
    Ok(selected)
}

/// Item id → status of one analysis, from its finding rows (the slow path).
async fn statuses_from_findings(
    tx: &Tx,
    analysis: AnalysisId,
) -> Result<HashMap<String, FindingStatus>> {
    Ok(analyses::findings(tx, analysis)
        .await?
        .into_iter()
        .filter_map(|f| Some((f.item_id, FindingStatus::parse(&f.status)?)))
        .collect())
}

/// A body's row with every catalog item's status, by catalog position.
type FullRow<'a> = (
    &'a Organisation,
    Option<analyses::SummaryRow>,
    Vec<Option<FindingStatus>>,
);

/// The matrix use-cases ([`Services::matrix`]).
#[derive(Debug, Clone, Copy)]
pub struct Matrices<'a>(pub(crate) &'a Services);

impl Matrices<'_> {
    /// The matrix of `query` with model `edition`.
    pub async fn get(
        &self,
        scope: &TenantScope,
        query: &MatrixQuery,
        edition: EditionId,
    ) -> Result<SharedMatrix> {
        matrix(&self.0.store, scope, query, edition).await
    }
}

/// [`Matrices::get`] over a store.
async fn matrix(
    store: &Store,
    scope: &TenantScope,
    query: &MatrixQuery,
    edition: EditionId,
) -> Result<SharedMatrix> {
    let read = analyses::readable_with_summaries_cached(store, scope, &edition.to_string()).await?;
    if let Some(m) = built::get(&read, query, edition) {
        return Ok(m);
    }
    let m = Arc::new(build(store, scope, query, edition, &read).await?);
    built::put(read, query, edition, Arc::clone(&m));
    Ok(m)
}

/// Matrices built from a cached read ([`analyses::readable_with_summaries_cached`]): a matrix is a
/// function of that read, the query and the edition, so the same read object (held by the entry,
/// so its address cannot be reused) with the same query gives the same matrix.
mod built {
    use std::sync::{Arc, Mutex, OnceLock};

    use taisho_guideline::EditionId;
    use taisho_store::read_cache::MatrixRead;

    use super::{MatrixQuery, SharedMatrix};

    const MAX_ENTRIES: usize = 64;

    struct Entry {
        read: Arc<MatrixRead>,
        query: MatrixQuery,
        edition: EditionId,
        matrix: SharedMatrix,
    }

    fn entries() -> &'static Mutex<Vec<Entry>> {
        static ENTRIES: OnceLock<Mutex<Vec<Entry>>> = OnceLock::new();
        ENTRIES.get_or_init(Default::default)
    }

    pub(super) fn get(
        read: &Arc<MatrixRead>,
        query: &MatrixQuery,
        edition: EditionId,
    ) -> Option<SharedMatrix> {
        let entries = entries().lock().ok()?;
        entries
            .iter()
            .find(|e| Arc::ptr_eq(&e.read, read) && e.edition == edition && &e.query == query)
            .map(|e| Arc::clone(&e.matrix))
    }

    pub(super) fn put(
        read: Arc<MatrixRead>,
        query: &MatrixQuery,
        edition: EditionId,
        matrix: SharedMatrix,
    ) {
        if let Ok(mut entries) = entries().lock() {
            // Entries of superseded reads are useless: drop them first, then the oldest.
            entries.retain(|e| Arc::strong_count(&e.read) > 1);
            if entries.len() >= MAX_ENTRIES {
                entries.remove(0);
            }
            entries.push(Entry {
                read,
                query: query.clone(),
                edition,
                matrix,
            });
        }
    }
}

async fn build(
    store: &Store,
    scope: &TenantScope,
    query: &MatrixQuery,
    edition: EditionId,
    read: &taisho_store::read_cache::MatrixRead,
) -> Result<Matrix> {
    let catalog = catalog::catalog(edition)?;
    let fingerprint = catalog_fingerprint(edition, &catalog);
    let (readable, summaries) = (&read.0, &read.1);
    let selected = select_orgs(readable, query)?;
    // Full rows: every catalog item's status, by catalog position.
    let mut full: Vec<FullRow<'_>> = Vec::with_capacity(selected.len());
    let mut by_org: HashMap<OrgId, Vec<&analyses::SummaryRow>> = HashMap::new();
    for s in summaries {
        by_org.entry(s.org_id).or_default().push(s);
    }
    // Only a summary of another catalog version needs the findings, in a transaction opened then.
    let mut tx: Option<Tx> = None;
    for o in &selected {
        match by_org.remove(&o.id) {
            Some(list) => {
                for s in list {
                    let statuses =
                        if s.items == fingerprint && s.statuses.len() == catalog.items.len() {
                            s.statuses.bytes().map(from_letter).collect()
                        } else {
                            let t = match tx.take() {
                                Some(t) => t,
                                None => store.begin(scope, Mode::Read).await?,
                            };
                            let map = statuses_from_findings(&t, s.analysis_id).await?;
                            tx = Some(t);
                            catalog
                                .items
                                .iter()
                                .map(|i| map.get(&i.id).copied())
                                .collect()
                        };
                    full.push((o, Some(s.clone()), statuses));
                }
            }
            None => full.push((o, None, vec![None; catalog.items.len()])),
        }
    }
    if let Some(t) = tx {
        t.rollback().await?;
    }

    let mut columns: Vec<usize> = catalog
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| query.filter.matches(i))
        .map(|(n, _)| n)
        .collect();
    if let Some(want) = query.status {
        columns.retain(|&c| full.iter().any(|(_, _, s)| s[c] == Some(want)));
    }
    let rows: Vec<MatrixBody> = full
        .iter()
        .map(|(org, s, statuses)| {
            let picked = || columns.iter().map(|&c| statuses[c]);
            MatrixBody {
                org: org.id,
                org_name: org.name.clone(),
                organisation: (*org).clone(),
                document: s.as_ref().map(|s| s.document_id),
                version: s.as_ref().map(|s| s.version_id),
                analysis: s.as_ref().map(|s| s.analysis_id),
                statuses: picked().map(letter).collect(),
                coverage: coverage(picked()),
            }
        })
        .collect();
    let items = columns
        .iter()
        .map(|&c| {
            let item = &catalog.items[c];
            MatrixItem {
                id: item.id.clone(),
                section: catalog::section_of(item),
                title: item.title.clone(),
                kind: item.kind,
                coverage: coverage(full.iter().map(|(_, _, s)| s[c])),
            }
        })
        .collect();
    Ok(Matrix {
        edition,
        items,
        rows,
    })
}

/// Shared so the GraphQL layer can hold a matrix without copying it per field.
pub type SharedMatrix = Arc<Matrix>;
