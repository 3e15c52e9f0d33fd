//! What the browser UI shows on every page and on its home page: who is signed in ([`Viewer`]) and
//! the organisation's overview ([`Dashboard`]): a body's documents with their latest analysis, a
//! prefecture's member bodies with their coverage, a consultancy's clients.
//!
//! Read in the caller's scope, in one read transaction per call; nothing here writes.

use std::collections::HashMap;

use taisho_domain::{DocumentId, OrgId, VersionId};
use taisho_engine::analysis::FindingStatus;
use taisho_guideline::{EditionId, Layer};
use taisho_store::{
    Document, Mode, OrgKind, Organisation, TenantScope, Version, documents, grants, orgs, users,
};

use crate::analyses::{AnalysisView, Summary};
use crate::auth::Caller;
use crate::diff::VersionDiff;
use crate::error::{AppError, Result};
use crate::matrix::MatrixQuery;
use crate::progress::JobProgress;
use crate::services::Services;

/// The signed-in caller with what every page header shows.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub caller: Caller,
    /// The caller's scope (carrying its client address).
    pub scope: TenantScope,
    /// The organisation the caller acts for.
    pub org: Organisation,
    /// The user's display name (sessions); `None` for API keys.
    pub user_name: Option<String>,
}

/// Covered / in scope of one layer of an analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerCoverage {
    pub layer: Layer,
    pub covered: u32,
    pub in_scope: u32,
}

impl LayerCoverage {
    pub fn ratio(&self) -> Option<f64> {
        (self.in_scope > 0).then(|| f64::from(self.covered) / f64::from(self.in_scope))
    }
}

/// The latest analysis of a version, as an overview shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisSummary {
    pub failed: bool,
    pub summary: Summary,
    /// Per layer, only the layers with items in scope.
    pub layers: Vec<LayerCoverage>,
}

impl AnalysisSummary {
    fn of(view: &AnalysisView) -> AnalysisSummary {
        let mut layers: Vec<LayerCoverage> = Layer::ALL
            .iter()
            .map(|&layer| LayerCoverage {
                layer,
                covered: 0,
                in_scope: 0,
            })
            .collect();
        for f in &view.findings {
            let Some(l) =
                Layer::of_id(&f.item).and_then(|l| layers.iter_mut().find(|c| c.layer == l))
            else {
                continue;
            };
            match f.status {
                FindingStatus::Covered => {
                    l.covered += 1;
                    l.in_scope += 1;
                }
                FindingStatus::Weakened | FindingStatus::Omitted => l.in_scope += 1,
                FindingStatus::OutOfScope => {}
            }
        }
        layers.retain(|l| l.in_scope > 0);
        AnalysisSummary {
            failed: view.failure.is_some(),
            summary: view.summary,
            layers,
        }
    }
}

/// A document with its latest version and that version's analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentOverview {
    pub document: Document,
    pub versions: usize,
    pub latest: Option<Version>,
    /// `None` while the latest version has no analysis with the edition (queued or running).
    pub analysis: Option<AnalysisSummary>,
}

/// A member body or a client with its latest analysed document.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyOverview {
    pub org: Organisation,
    /// The document and version of the latest analysis (`None`: nothing analysed yet).
    pub document: Option<DocumentId>,
    pub version: Option<VersionId>,
    /// The version's number within its document.
    pub seq: Option<i32>,
    pub coverage: Option<f64>,
    /// Per layer, only the layers with items in scope: a body without a 対策基準 is compared on
    /// its 基本方針 alone.
    pub layers: Vec<LayerCoverage>,
    pub covered: u32,
    pub weakened: u32,
    pub omitted: u32,
}

/// The home page's content, by the kind of the acting organisation.
#[derive(Debug, Clone, PartialEq)]
pub enum Dashboard {
    /// A municipality or union: its own documents.
    Body { documents: Vec<DocumentOverview> },
    /// A prefecture: its member bodies.
    Prefecture { members: Vec<BodyOverview> },
    /// A consultancy: the bodies that granted it access.
    Consultancy { clients: Vec<BodyOverview> },
}

/// The home use-cases ([`Services::home`]).
#[derive(Debug, Clone, Copy)]
pub struct Home<'a>(pub(crate) &'a Services);

impl Home<'_> {
    /// The [`Viewer`] of an authenticated caller: its scope, organisation and name. An anonymous
    /// caller is [`AppError::InvalidSession`].
    pub async fn viewer(&self, caller: Caller) -> Result<Viewer> {
        let Some(org) = caller.org() else {
            return Err(AppError::InvalidSession);
        };
        let scope = caller.resolve_scope(self.0).await?;
        let user = caller.user();
        let (org, user_name) = self
            .0
            .store
            .tx(&scope, Mode::Read, async |tx| -> Result<_> {
                let org = orgs::get(tx, org).await?;
                let name = match user {
                    Some(u) => users::profiles(tx, &[u])
                        .await?
                        .into_iter()
                        .next()
                        .map(|p| p.display_name),
                    None => None,
                };
                Ok((org, name))
            })
            .await?;
        Ok(Viewer {
            caller,
            scope,
            org,
            user_name,
        })
    }

    /// The home page of `viewer` with model `edition`.
    pub async fn dashboard(&self, viewer: &Viewer, edition: EditionId) -> Result<Dashboard> {
        match viewer.org.kind {
            OrgKind::Municipality | OrgKind::Union => Ok(Dashboard::Body {
                documents: self
                    .documents(&viewer.scope, viewer.org.id, edition)
                    .await?,
            }),
            OrgKind::Prefecture => Ok(Dashboard::Prefecture {
                members: self
                    .bodies(
                        &viewer.scope,
                        MatrixQuery {
                            prefecture: Some(viewer.org.id),
                            ..MatrixQuery::default()
                        },
                        edition,
                    )
                    .await?,
            }),
            OrgKind::Consultancy => {
                let org = viewer.org.id;
                let clients: Vec<OrgId> = self
                    .0
                    .store
                    .tx(&viewer.scope, Mode::Read, async |tx| -> Result<_> {
                        Ok(grants::list(tx, org).await?)
                    })
                    .await?
                    .into_iter()
                    .filter(|g| g.grantee_org_id == org && g.revoked_at.is_none())
                    .map(|g| g.grantor_org_id)
                    .filter(|o| viewer.scope.can_read(*o))
                    .collect();
                let clients = if clients.is_empty() {
                    Vec::new()
                } else {
                    self.bodies(
                        &viewer.scope,
                        MatrixQuery {
                            organisations: Some(clients),
                            ..MatrixQuery::default()
                        },
                        edition,
                    )
                    .await?
                };
                Ok(Dashboard::Consultancy { clients })
            }
        }
    }

    /// The documents of `org` with their latest versions and analyses.
    async fn documents(
        &self,
        scope: &TenantScope,
        org: OrgId,
        edition: EditionId,
    ) -> Result<Vec<DocumentOverview>> {
        let store = &self.0.store;
        let (docs, mut versions) = store
            .tx(scope, Mode::Read, async |tx| -> Result<_> {
                let docs = documents::list(tx, org).await?;
                let ids: Vec<DocumentId> = docs.iter().map(|d| d.id).collect();
                let mut by_doc: HashMap<DocumentId, Vec<Version>> = HashMap::new();
                for v in documents::versions_of(tx, &ids).await? {
                    by_doc.entry(v.document_id).or_default().push(v);
                }
                Ok((docs, by_doc))
            })
            .await?;
        let latest: Vec<VersionId> = versions
            .values()
            .filter_map(|vs| vs.iter().max_by_key(|v| v.seq).map(|v| v.id))
            .collect();
        let analysed = if latest.is_empty() {
            HashMap::new()
        } else {
            crate::analyses::of_versions(store, scope, &latest, edition).await?
        };
        Ok(docs
            .into_iter()
            .map(|document| {
                let vs = versions.remove(&document.id).unwrap_or_default();
                let latest = vs.iter().max_by_key(|v| v.seq).cloned();
                let analysis = latest
                    .as_ref()
                    .and_then(|v| analysed.get(&v.id))
                    .map(AnalysisSummary::of);
                DocumentOverview {
                    document,
                    versions: vs.len(),
                    latest,
                    analysis,
                }
            })
            .collect())
    }

    /// The bodies of a matrix query with their coverage, one row per body (its latest analysed
    /// document; the first when it has several).
    async fn bodies(
        &self,
        scope: &TenantScope,
        query: MatrixQuery,
        edition: EditionId,
    ) -> Result<Vec<BodyOverview>> {
        let matrix = self.0.matrix().get(scope, &query, edition).await?;
        let version_ids: Vec<VersionId> = matrix.rows.iter().filter_map(|r| r.version).collect();
        let seqs: HashMap<VersionId, i32> = if version_ids.is_empty() {
            HashMap::new()
        } else {
            self.0
                .store
                .tx(scope, Mode::Read, async |tx| -> Result<_> {
                    Ok(documents::get_versions(tx, &version_ids).await?)
                })
                .await?
                .into_iter()
                .map(|v| (v.id, v.seq))
                .collect()
        };
        let mut out: Vec<BodyOverview> = Vec::with_capacity(matrix.rows.len());
        for row in &matrix.rows {
            if out.iter().any(|b| b.org.id == row.org) {
                continue;
            }
            let count = |s: FindingStatus| row.cells().filter(|c| *c == Some(s)).count() as u32;
            let mut layers: Vec<LayerCoverage> = Layer::ALL
                .iter()
                .map(|&layer| LayerCoverage {
                    layer,
                    covered: 0,
                    in_scope: 0,
                })
                .collect();
            for (item, cell) in matrix.items.iter().zip(row.cells()) {
                let Some(l) =
                    Layer::of_id(&item.id).and_then(|l| layers.iter_mut().find(|c| c.layer == l))
                else {
                    continue;
                };
                match cell {
                    Some(FindingStatus::Covered) => {
                        l.covered += 1;
                        l.in_scope += 1;
                    }
                    Some(FindingStatus::Weakened | FindingStatus::Omitted) => l.in_scope += 1,
                    _ => {}
                }
            }
            layers.retain(|l| l.in_scope > 0);
            out.push(BodyOverview {
                org: row.organisation.clone(),
                document: row.document,
                version: row.version,
                seq: row.version.and_then(|v| seqs.get(&v).copied()),
                coverage: row.coverage,
                layers,
                covered: count(FindingStatus::Covered),
                weakened: count(FindingStatus::Weakened),
                omitted: count(FindingStatus::Omitted),
            });
        }
        Ok(out)
    }
}

/// `document` and its version number `seq`; a foreign or missing document and a missing number
/// are NotFound alike.
async fn version_by_number(
    tx: &taisho_store::Tx,
    document: DocumentId,
    seq: i32,
) -> Result<(Document, Version)> {
    let doc = documents::get(tx, document).await?;
    let version = documents::list_versions(tx, document)
        .await?
        .into_iter()
        .find(|v| v.seq == seq)
        .ok_or(taisho_store::StoreError::NotFound)?;
    Ok((doc, version))
}

/// The report of one version: its organisation, document and version, and its analysis with the
/// edition (`None` while there is none).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub org: Organisation,
    pub document: Document,
    pub version: Version,
    pub edition: EditionId,
    pub analysis: Option<AnalysisView>,
    /// While there is no analysis: where its job stands (`None` when none was queued).
    pub progress: Option<JobProgress>,
}

impl Home<'_> {
    /// The report of version `seq` of `document` with `edition`. A foreign or missing document,
    /// and a missing version number, are NotFound alike.
    pub async fn report(
        &self,
        scope: &TenantScope,
        document: DocumentId,
        seq: i32,
        edition: EditionId,
    ) -> Result<Report> {
        let store = &self.0.store;
        let (org, doc, version) = store
            .tx(scope, Mode::Read, async |tx| -> Result<_> {
                let (doc, version) = version_by_number(tx, document, seq).await?;
                let org = orgs::get(tx, doc.org_id).await?;
                Ok((org, doc, version))
            })
            .await?;
        let analysis = crate::analyses::of_versions(store, scope, &[version.id], edition)
            .await?
            .remove(&version.id);
        let progress = match analysis {
            Some(_) => None,
            None => crate::progress::get(store, scope, version.id, edition).await?,
        };
        Ok(Report {
            org,
            document: doc,
            version,
            edition,
            analysis,
            progress,
        })
    }

    /// The analysis progress of version `seq` of `document` with `edition` as a stream (see
    /// [`crate::progress::Progress::watch`]); a foreign or missing document or version is NotFound.
    pub async fn watch_report(
        &self,
        scope: &TenantScope,
        document: DocumentId,
        seq: i32,
        edition: EditionId,
    ) -> Result<tokio::sync::mpsc::Receiver<Result<JobProgress>>> {
        let version = self
            .0
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<_> {
                Ok(version_by_number(tx, document, seq).await?.1.id)
            })
            .await?;
        Ok(self.0.progress().watch(
            scope.clone(),
            version,
            edition,
            crate::progress::WatchOptions::default(),
        ))
    }
}

/// The 新旧対照表 of two versions of one document, with what the page needs around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub org: Organisation,
    pub document: Document,
    /// Every version of the document, oldest first (for choosing the two to compare).
    pub versions: Vec<Version>,
    /// 改正前: the version asked for, or the one before `to` (`None`: there is none).
    pub from: Option<Version>,
    /// 改正後: the version asked for, or the latest.
    pub to: Option<Version>,
    /// Whether the caller may read the document's text; without it there is no diff.
    pub text_visible: bool,
    /// The rows (`None` without two versions or without text access).
    pub diff: Option<VersionDiff>,
}

impl Home<'_> {
    /// The comparison of versions `from` and `to` (numbers within `document`) of `document`; by
    /// default the two latest versions. A foreign or missing document and a missing version number
    /// are NotFound alike. Without text access (an unpublished document read by a coordinator)
    /// the comparison says so instead of failing; with it, both reads are audited by
    /// [`crate::diff::Diffs::between`].
    pub async fn comparison(
        &self,
        scope: &TenantScope,
        document: DocumentId,
        from: Option<i32>,
        to: Option<i32>,
    ) -> Result<Comparison> {
        let (org, doc, mut versions) = self
            .0
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<_> {
                let doc = documents::get(tx, document).await?;
                let versions = documents::list_versions(tx, document).await?;
                let org = orgs::get(tx, doc.org_id).await?;
                Ok((org, doc, versions))
            })
            .await?;
        versions.sort_by_key(|v| v.seq);
        let numbered = |n: i32| {
            versions
                .iter()
                .find(|v| v.seq == n)
                .cloned()
                .ok_or(taisho_store::StoreError::NotFound)
        };
        let to = match to {
            Some(n) => Some(numbered(n)?),
            None => versions.last().cloned(),
        };
        let from = match from {
            Some(n) => Some(numbered(n)?),
            None => to
                .as_ref()
                .and_then(|t| versions.iter().rev().find(|v| v.seq < t.seq).cloned()),
        };
        let text_visible = scope.can_read_text(doc.org_id, doc.unpublished);
        let diff = match (&from, &to) {
            (Some(f), Some(t)) if text_visible => {
                Some(self.0.diffs().between(scope, f.id, t.id).await?)
            }
            _ => None,
        };
        Ok(Comparison {
            org,
            document: doc,
            versions,
            from,
            to,
            text_visible,
            diff,
        })
    }
}

/// What the prefecture's view of its member bodies shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefectureQuery {
    /// The layer whose items are the columns (default: 基本方針).
    pub layer: Option<Layer>,
    /// A chapter or section of the layer (`KH-6`; `TK-7` includes `TK-7.1`).
    pub section: Option<String>,
    /// Only items that at least one compared body has with this status.
    pub status: Option<FindingStatus>,
    /// Only bodies of this kind.
    pub kind: Option<OrgKind>,
}

/// A column of the prefecture's view.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefectureItem {
    pub id: String,
    pub title: String,
    /// The item's section (`KH-6`, `TK-7.1`).
    pub section: String,
    /// Compared bodies (those whose document contains the layer) with the item covered.
    pub covered: u32,
    /// Compared bodies with the item in scope (covered, weakened or omitted).
    pub in_scope: u32,
}

impl PrefectureItem {
    pub fn ratio(&self) -> Option<f64> {
        (self.in_scope > 0).then(|| f64::from(self.covered) / f64::from(self.in_scope))
    }
}

/// A row of the prefecture's view: a member body's document with its latest analysed version, or a
/// body without any.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefectureBody {
    pub org: Organisation,
    pub document: Option<Document>,
    /// The analysed version's number within its document.
    pub seq: Option<i32>,
    /// Whether the caller may read the document's text (evidence); statuses are always shown.
    pub text_visible: bool,
    /// One status per item of [`PrefectureView::items`] (`None`: no analysis).
    pub statuses: Vec<Option<FindingStatus>>,
    /// Coverage of both layers over all their items (`in_scope` 0: the document does not
    /// contain that layer), in [`Layer::ALL`] order.
    pub layers: Vec<LayerCoverage>,
    /// The document contains the view's layer: only such bodies are compared with each other.
    pub compared: bool,
}

/// The prefecture's view of its member bodies: bodies × items of one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefectureView {
    pub prefecture: Organisation,
    pub edition: EditionId,
    pub layer: Layer,
    /// The items that pass the filters, in model order.
    pub items: Vec<PrefectureItem>,
    /// The member bodies that pass the filters, by name.
    pub bodies: Vec<PrefectureBody>,
}

impl Home<'_> {
    /// The member bodies of `prefecture` × the items of one layer, from the matrix (one cached
    /// read) and the rows' documents and versions (one read transaction). A body whose document
    /// does not contain the layer (no 対策基準) is listed but not compared: it counts in no item's
    /// coverage and in no status filter. An organisation that is not a prefecture the scope reads
    /// is NotFound.
    pub async fn prefecture(
        &self,
        scope: &TenantScope,
        prefecture: OrgId,
        query: &PrefectureQuery,
        edition: EditionId,
    ) -> Result<PrefectureView> {
        let matrix = self
            .0
            .matrix()
            .get(
                scope,
                &MatrixQuery {
                    prefecture: Some(prefecture),
                    ..MatrixQuery::default()
                },
                edition,
            )
            .await?;
        let layer = query.layer.unwrap_or(Layer::Kihon);
        let doc_ids: Vec<DocumentId> = matrix.rows.iter().filter_map(|r| r.document).collect();
        let version_ids: Vec<VersionId> = matrix.rows.iter().filter_map(|r| r.version).collect();
        let (pref, docs, seqs) = self
            .0
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<_> {
                let pref = orgs::get(tx, prefecture).await?;
                let docs: HashMap<DocumentId, Document> = documents::get_many(tx, &doc_ids)
                    .await?
                    .into_iter()
                    .map(|d| (d.id, d))
                    .collect();
                let seqs: HashMap<VersionId, i32> = documents::get_versions(tx, &version_ids)
                    .await?
                    .into_iter()
                    .map(|v| (v.id, v.seq))
                    .collect();
                Ok((pref, docs, seqs))
            })
            .await?;
        let rows: Vec<_> = matrix
            .rows
            .iter()
            .filter(|r| query.kind.is_none_or(|k| r.organisation.kind == k))
            .map(|r| {
                let cells: Vec<Option<FindingStatus>> = r.cells().collect();
                let mut layers: Vec<LayerCoverage> = Layer::ALL
                    .iter()
                    .map(|&layer| LayerCoverage {
                        layer,
                        covered: 0,
                        in_scope: 0,
                    })
                    .collect();
                for (item, cell) in matrix.items.iter().zip(&cells) {
                    let Some(l) = Layer::of_id(&item.id)
                        .and_then(|l| layers.iter_mut().find(|c| c.layer == l))
                    else {
                        continue;
                    };
                    match cell {
                        Some(FindingStatus::Covered) => {
                            l.covered += 1;
                            l.in_scope += 1;
                        }
                        Some(FindingStatus::Weakened | FindingStatus::Omitted) => l.in_scope += 1,
                        _ => {}
                    }
                }
                let compared = layers.iter().any(|l| l.layer == layer && l.in_scope > 0);
                (r, cells, layers, compared)
            })
            .collect();
        let mut columns: Vec<usize> = matrix
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| Layer::of_id(&i.id) == Some(layer))
            .filter(|(_, i)| {
                query
                    .section
                    .as_deref()
                    .is_none_or(|s| crate::catalog::section_selects(&i.section, s))
            })
            .map(|(n, _)| n)
            .collect();
        if let Some(want) = query.status {
            columns.retain(|&c| {
                rows.iter()
                    .any(|(_, cells, _, compared)| *compared && cells[c] == Some(want))
            });
        }
        let items = columns
            .iter()
            .map(|&c| {
                let item = &matrix.items[c];
                let (mut covered, mut in_scope) = (0, 0);
                for (_, cells, _, compared) in &rows {
                    match cells[c] {
                        Some(FindingStatus::Covered) if *compared => {
                            covered += 1;
                            in_scope += 1;
                        }
                        Some(FindingStatus::Weakened | FindingStatus::Omitted) if *compared => {
                            in_scope += 1;
                        }
                        _ => {}
                    }
                }
                PrefectureItem {
                    id: item.id.clone(),
                    title: item.title.clone(),
                    section: item.section.clone(),
                    covered,
                    in_scope,
                }
            })
            .collect();
        let bodies = rows
            .into_iter()
            .map(|(r, cells, layers, compared)| {
                let document = r.document.and_then(|d| docs.get(&d).cloned());
                let text_visible = document
                    .as_ref()
                    .is_some_and(|d| scope.can_read_text(d.org_id, d.unpublished));
                PrefectureBody {
                    org: r.organisation.clone(),
                    document,
                    seq: r.version.and_then(|v| seqs.get(&v).copied()),
                    text_visible,
                    statuses: columns.iter().map(|&c| cells[c]).collect(),
                    layers,
                    compared,
                }
            })
            .collect();
        Ok(PrefectureView {
            prefecture: pref,
            edition,
            layer,
            items,
            bodies,
        })
    }
}
