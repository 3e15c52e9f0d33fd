//! Reading analyses: the stored engine Analysis JSON (format version 1, see the root README) as
//! typed values, with document text withheld from callers who may not read it; and
//! [`Analyses::reanalyse`], which queues an analysis of a version with an edition.
//!
//! Text access follows [`TenantScope::can_read_text`]: a coordinator (or a grantee without text
//! access) reading an unpublished document's analysis sees statuses, reasons, missing elements,
//! the model's text and the locations (numbering paths and offsets), but not the policy's text,
//! the morpheme diff (which holds it) or the local additions.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use taisho_domain::{AnalysisId, DocumentId, OrgId, VersionId};
pub use taisho_engine::analysis::{FindingStatus, ReasonKind};
use taisho_guideline::{Catalog, EditionId, Item, Kind};
use taisho_store::{AnalysisStatus, Mode, Store, StoreError, TenantScope, Tx, analyses, documents};
use taisho_worker::{JobSpec, enqueue};

use crate::catalog::{self, ItemFilter};
use crate::engine::{ANALYSIS_JOB, AnalysisPayload, unique_key};
use crate::error::{AppError, Result};
use crate::progress::{self, JobProgress};
use crate::services::Services;

/// A reason why an item is weakened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub kind: ReasonKind,
    /// The words concerned (missing elements, the hedge, the number found).
    pub terms: Vec<String>,
    /// One plain Japanese sentence.
    pub message: String,
}

/// A place in the policy: the numbering path and the char range in the decoded original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub line: u32,
    pub start: u64,
    pub end: u64,
}

/// Operations of the morpheme diff from the model text to the policy text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpanOp {
    Equal,
    /// In the policy, not in the model.
    Insert,
    /// In the model, not in the policy.
    Delete,
}

/// One span of a morpheme diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub op: SpanOp,
    pub text: String,
}

/// The evidence of a finding. `policy_text` and `diff` are empty when text is withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub model_text: String,
    pub policy_text: Option<String>,
    pub locations: Vec<Location>,
    pub diff: Vec<Span>,
}

/// The finding for one model item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub item: String,
    pub status: FindingStatus,
    pub reasons: Vec<Reason>,
    /// Required elements of the item that the policy lacks (all of them when omitted).
    pub missing_elements: Vec<String>,
    pub evidence: Evidence,
}

/// Counts by status, and coverage = covered / (covered + weakened + omitted) (`None` when no item
/// is in scope).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub covered: u32,
    pub weakened: u32,
    pub omitted: u32,
    pub out_of_scope: u32,
    pub local_additions: u32,
    pub coverage: Option<f64>,
}

impl Summary {
    pub fn from_counts(
        covered: u32,
        weakened: u32,
        omitted: u32,
        out_of_scope: u32,
        local_additions: u32,
    ) -> Summary {
        let in_scope = covered + weakened + omitted;
        Summary {
            covered,
            weakened,
            omitted,
            out_of_scope,
            local_additions,
            coverage: (in_scope > 0).then(|| f64::from(covered) / f64::from(in_scope)),
        }
    }
}

/// A sentence of the policy that answers no item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addition {
    pub location: Location,
    pub text: String,
}

/// Why an analysis failed: a stable engine code (the engine's message is not shown: it could
/// quote the document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
}

/// One analysis as a caller may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisView {
    pub id: AnalysisId,
    pub version: VersionId,
    pub document: DocumentId,
    pub org: OrgId,
    pub edition: String,
    pub status: AnalysisStatus,
    pub created_at: DateTime<Utc>,
    /// Whether the caller reads the document's text (policy texts, diffs, additions).
    pub text_visible: bool,
    pub failure: Option<Failure>,
    pub summary: Summary,
    /// In model order.
    pub findings: Vec<Finding>,
    /// Empty when text is withheld.
    pub local_additions: Vec<Addition>,
}

/// Filters of a findings list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFilter {
    pub status: Option<FindingStatus>,
    pub section: Option<String>,
    pub kind: Option<Kind>,
}

impl AnalysisView {
    /// The findings passing `filter`, in model order (items unknown to the catalog pass only
    /// unfiltered section and kind).
    pub fn findings(&self, filter: &FindingFilter) -> Result<Vec<&Finding>> {
        let catalog = self.catalog()?;
        let items = ItemFilter {
            section: filter.section.clone(),
            kind: filter.kind,
        };
        let plain = items == ItemFilter::default();
        Ok(self
            .findings
            .iter()
            .filter(|f| filter.status.is_none_or(|s| f.status == s))
            .filter(|f| {
                plain
                    || catalog
                        .as_ref()
                        .and_then(|c| c.item(&f.item))
                        .is_some_and(|i| items.matches(i))
            })
            .collect())
    }

    /// The finding for `item`; NotFound when the analysis has none.
    pub fn finding(&self, item: &str) -> Result<&Finding> {
        self.findings
            .iter()
            .find(|f| f.item == item)
            .ok_or_else(|| StoreError::NotFound.into())
    }

    /// The catalog item of a finding (title, kind, section, key elements).
    pub fn item(&self, item: &str) -> Option<Item> {
        self.catalog().ok().flatten()?.item(item).cloned()
    }

    fn catalog(&self) -> Result<Option<std::sync::Arc<Catalog>>> {
        match self.edition.parse::<EditionId>() {
            Ok(e) if Catalog::builtin_editions().contains(&e) => Ok(Some(catalog::catalog(e)?)),
            _ => Ok(None),
        }
    }
}

// The stored JSON, as much of it as the API shows.

#[derive(Deserialize, Default)]
struct Json {
    #[serde(default)]
    summary: JsonSummary,
    #[serde(default)]
    findings: Vec<JsonFinding>,
    #[serde(default)]
    local_additions: Vec<JsonClause>,
    #[serde(default)]
    error: Option<JsonError>,
}

#[derive(Deserialize, Default)]
struct JsonSummary {
    #[serde(default)]
    covered: u32,
    #[serde(default)]
    weakened: u32,
    #[serde(default)]
    omitted: u32,
    #[serde(default)]
    out_of_scope: u32,
    #[serde(default)]
    local_additions: u32,
}

#[derive(Deserialize)]
struct JsonError {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
struct JsonFinding {
    item: String,
    status: String,
    #[serde(default)]
    reasons: Vec<JsonReason>,
    #[serde(default)]
    matches: Vec<JsonMatch>,
    #[serde(default)]
    evidence: JsonEvidence,
}

#[derive(Deserialize)]
struct JsonReason {
    kind: String,
    #[serde(default)]
    terms: Vec<String>,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct JsonMatch {
    #[serde(default)]
    clauses: Vec<JsonClause>,
}

#[derive(Deserialize)]
struct JsonRange {
    start: u64,
    end: u64,
}

#[derive(Deserialize)]
struct JsonClause {
    #[serde(default)]
    path: String,
    #[serde(default)]
    line: u32,
    char: JsonRange,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize, Default)]
struct JsonEvidence {
    #[serde(default)]
    model: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    diff: Vec<JsonOp>,
}

#[derive(Deserialize)]
struct JsonOp {
    tag: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    policy: Option<String>,
}

fn location(c: &JsonClause) -> Location {
    Location {
        path: c.path.clone(),
        line: c.line,
        start: c.char.start,
        end: c.char.end,
    }
}

fn spans(ops: Vec<JsonOp>) -> Vec<Span> {
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let mut push = |op: SpanOp, text: Option<String>| {
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                out.push(Span { op, text });
            }
        };
        match op.tag.as_str() {
            "equal" => push(SpanOp::Equal, op.policy.or(op.model)),
            "insert" => push(SpanOp::Insert, op.policy),
            "delete" => push(SpanOp::Delete, op.model),
            _ => {
                push(SpanOp::Delete, op.model);
                push(SpanOp::Insert, op.policy);
            }
        }
    }
    out
}

/// A reason for a caller without text access: its kind and the model's words only. The engine's
/// terms and message may quote the policy (「3文字」となっており…), so the message is rebuilt from
/// the kind, and only the terms that the model's text or the item's elements contain are kept.
fn withheld_reason(
    kind: ReasonKind,
    terms: Vec<String>,
    model: &str,
    item: Option<&Item>,
) -> Reason {
    let from_model = |t: &String| {
        !t.is_empty()
            && (model.contains(t.as_str())
                || item.is_some_and(|i| {
                    i.elements
                        .iter()
                        .any(|e| e.term == *t || e.variants.contains(t))
                }))
    };
    let terms: Vec<String> = terms.into_iter().filter(from_model).collect();
    let quoted = if terms.is_empty() {
        String::new()
    } else {
        format!("（例文：「{}」）", terms.join("」「"))
    };
    let message = match kind {
        ReasonKind::ModalityDowngrade => {
            format!("例文より義務の程度が弱い表現になっています{quoted}。")
        }
        ReasonKind::HedgeAdded => "例文にない限定が加わり、例外を認める規定になっています。".into(),
        ReasonKind::FrequencyRemoved => format!("例文の定める頻度が記載されていません{quoted}。"),
        ReasonKind::ElementMissing => format!("例文の記載事項が含まれていません{quoted}。"),
        ReasonKind::ScopeNarrowed => format!("例文より対象が狭められています{quoted}。"),
        ReasonKind::ThresholdLowered => "例文の基準より弱い値になっています。".into(),
        ReasonKind::ActorChanged => format!("例文と異なる者が行うことになっています{quoted}。"),
    };
    Reason {
        kind,
        terms,
        message,
    }
}

fn finding(f: JsonFinding, text: bool, catalog: Option<&Catalog>) -> Option<Finding> {
    let status = FindingStatus::parse(&f.status)?;
    let item = catalog.and_then(|c| c.item(&f.item));
    let model = f.evidence.model.as_str();
    let reasons: Vec<Reason> = f
        .reasons
        .into_iter()
        .filter_map(|r| {
            let kind = ReasonKind::parse(&r.kind)?;
            Some(if text {
                Reason {
                    kind,
                    terms: r.terms,
                    message: r.message,
                }
            } else {
                withheld_reason(kind, r.terms, model, item)
            })
        })
        .collect();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    let mut missing_ordered = Vec::new();
    let mut add = |t: &str| {
        if missing.insert(t.to_owned()) {
            missing_ordered.push(t.to_owned());
        }
    };
    if status == FindingStatus::Omitted
        && let Some(item) = item
    {
        item.required_elements().for_each(|e| add(&e.term));
    }
    for r in reasons
        .iter()
        .filter(|r| r.kind == ReasonKind::ElementMissing)
    {
        r.terms.iter().for_each(|t| add(t));
    }
    let locations = f
        .matches
        .iter()
        .flat_map(|m| m.clauses.iter().map(location))
        .collect();
    Some(Finding {
        item: f.item,
        status,
        reasons,
        missing_elements: missing_ordered,
        evidence: Evidence {
            model_text: f.evidence.model,
            policy_text: text.then_some(f.evidence.policy),
            locations,
            diff: if text {
                spans(f.evidence.diff)
            } else {
                Vec::new()
            },
        },
    })
}

/// The typed view of a stored analysis, with text withheld unless `text` is true.
pub fn view(a: analyses::Analysis, document: DocumentId, text: bool) -> AnalysisView {
    let catalog = a
        .edition
        .parse::<EditionId>()
        .ok()
        .filter(|e| Catalog::builtin_editions().contains(e))
        .and_then(|e| catalog::catalog(e).ok());
    // A result that does not parse shows as an empty analysis rather than failing every read.
    let json: Json = serde_json::from_value(a.result).unwrap_or_default();
    let s = &json.summary;
    let summary = Summary::from_counts(
        s.covered,
        s.weakened,
        s.omitted,
        s.out_of_scope,
        s.local_additions,
    );
    let findings = json
        .findings
        .into_iter()
        .filter_map(|f| finding(f, text, catalog.as_deref()))
        .collect();
    let local_additions = if text {
        json.local_additions
            .iter()
            .map(|c| Addition {
                location: location(c),
                text: c.text.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    AnalysisView {
        id: a.id,
        version: a.version_id,
        document,
        org: a.org_id,
        edition: a.edition,
        status: a.status,
        created_at: a.created_at,
        text_visible: text,
        failure: json.error.map(|e| Failure { code: e.code }),
        summary,
        findings,
        local_additions,
    }
}

/// Views of `list`, reading the documents' publication flags in `tx` (one query).
async fn views(tx: &Tx, list: Vec<analyses::Analysis>) -> Result<Vec<AnalysisView>> {
    let version_ids: Vec<VersionId> = list.iter().map(|a| a.version_id).collect();
    let versions: HashMap<VersionId, DocumentId> = documents::get_versions(tx, &version_ids)
        .await?
        .into_iter()
        .map(|v| (v.id, v.document_id))
        .collect();
    let doc_ids: Vec<DocumentId> = versions.values().copied().collect();
    let unpublished: HashMap<DocumentId, bool> = documents::get_many(tx, &doc_ids)
        .await?
        .into_iter()
        .map(|d| (d.id, d.unpublished))
        .collect();
    let scope = tx.scope();
    Ok(list
        .into_iter()
        .filter_map(|a| {
            let doc = *versions.get(&a.version_id)?;
            let text = scope.can_read_text(a.org_id, *unpublished.get(&doc)?);
            Some(view(a, doc, text))
        })
        .collect())
}

/// One analysis by id. Foreign and missing ids are NotFound alike.
pub(crate) async fn get(
    store: &Store,
    scope: &TenantScope,
    id: AnalysisId,
) -> Result<AnalysisView> {
    let tx = store.begin(scope, Mode::Read).await?;
    let a = analyses::by_id(&tx, id).await?;
    let v = views(&tx, vec![a]).await?;
    tx.rollback().await?;
    v.into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound.into())
}

/// Analyses by id (for batch loaders): foreign and missing ids are absent from the map.
pub(crate) async fn get_many(
    store: &Store,
    scope: &TenantScope,
    ids: &[AnalysisId],
) -> Result<HashMap<AnalysisId, AnalysisView>> {
    let tx = store.begin(scope, Mode::Read).await?;
    let list = analyses::by_ids(&tx, ids).await?;
    let v = views(&tx, list).await?;
    tx.rollback().await?;
    Ok(v.into_iter().map(|a| (a.id, a)).collect())
}

/// The analysis of `version` with `edition`, `None` while there is none. A foreign or missing
/// version is NotFound.
pub(crate) async fn of_version(
    store: &Store,
    scope: &TenantScope,
    version: VersionId,
    edition: EditionId,
) -> Result<Option<AnalysisView>> {
    let tx = store.begin(scope, Mode::Read).await?;
    documents::get_version(&tx, version).await?;
    let list = analyses::for_versions(&tx, &[version], &edition.to_string()).await?;
    let v = views(&tx, list).await?;
    tx.rollback().await?;
    Ok(v.into_iter().next())
}

/// The analyses with `edition` of several versions (for batch loaders): versions without one,
/// foreign or missing are absent from the map.
pub(crate) async fn of_versions(
    store: &Store,
    scope: &TenantScope,
    versions: &[VersionId],
    edition: EditionId,
) -> Result<HashMap<VersionId, AnalysisView>> {
    let tx = store.begin(scope, Mode::Read).await?;
    let list = analyses::for_versions(&tx, versions, &edition.to_string()).await?;
    let v = views(&tx, list).await?;
    tx.rollback().await?;
    Ok(v.into_iter().map(|a| (a.version, a)).collect())
}

/// Queues the analysis of `version` with `edition` unless it was queued before (idempotent by the
/// job's unique key), and returns its progress. Editors and admins of the version's organisation
/// only (viewers get Forbidden; foreign or missing versions NotFound). Audited as
/// `analysis.reanalyse` in the enqueueing transaction (refusals as `denied`).
pub(crate) async fn reanalyse(
    store: &Store,
    scope: &TenantScope,
    version: VersionId,
    edition: EditionId,
) -> Result<JobProgress> {
    let queued = enqueue_analysis(store, scope, version, edition).await;
    crate::audit::on_denial(
        store,
        scope,
        crate::audit::Action::AnalysisReanalyse,
        None,
        Some(version.as_uuid()),
        queued,
    )
    .await?;
    progress::get(store, scope, version, edition)
        .await?
        .ok_or_else(|| StoreError::NotFound.into())
}

async fn enqueue_analysis(
    store: &Store,
    scope: &TenantScope,
    version: VersionId,
    edition: EditionId,
) -> Result<()> {
    let tx = store.begin(scope, Mode::Write).await?;
    let v = documents::get_version(&tx, version).await?;
    if !scope.can_write(v.org_id) {
        return Err(StoreError::Forbidden.into());
    }
    let payload = serde_json::to_value(AnalysisPayload {
        version,
        edition,
        hint: None,
    })
    .map_err(|e| AppError::Invalid(format!("job payload: {e}")))?;
    enqueue(
        &tx,
        v.org_id,
        JobSpec::new(ANALYSIS_JOB, payload).unique_key(unique_key(version, edition)),
    )
    .await?;
    crate::audit::reanalysed(&tx, &v, &edition.to_string()).await?;
    tx.commit().await?;
    Ok(())
}

/// The analyses use-cases ([`Services::analyses`]).
#[derive(Debug, Clone, Copy)]
pub struct Analyses<'a>(pub(crate) &'a Services);

impl Analyses<'_> {
    /// One analysis by id. Foreign and missing ids are NotFound alike.
    pub async fn get(&self, scope: &TenantScope, id: AnalysisId) -> Result<AnalysisView> {
        get(&self.0.store, scope, id).await
    }

    /// Analyses by id (for batch loaders): foreign and missing ids are absent from the map.
    pub async fn get_many(
        &self,
        scope: &TenantScope,
        ids: &[AnalysisId],
    ) -> Result<HashMap<AnalysisId, AnalysisView>> {
        get_many(&self.0.store, scope, ids).await
    }

    /// The analysis of `version` with `edition`, `None` while there is none. A foreign or missing
    /// version is NotFound.
    pub async fn of_version(
        &self,
        scope: &TenantScope,
        version: VersionId,
        edition: EditionId,
    ) -> Result<Option<AnalysisView>> {
        of_version(&self.0.store, scope, version, edition).await
    }

    /// The analyses with `edition` of several versions (for batch loaders): versions without one,
    /// foreign or missing are absent from the map.
    pub async fn of_versions(
        &self,
        scope: &TenantScope,
        versions: &[VersionId],
        edition: EditionId,
    ) -> Result<HashMap<VersionId, AnalysisView>> {
        of_versions(&self.0.store, scope, versions, edition).await
    }

    /// Queues the analysis of `version` with `edition` unless it was queued before (idempotent by
    /// the job's unique key), and returns its progress. Editors and admins of the version's
    /// organisation only (viewers get Forbidden; foreign or missing versions NotFound). Audited as
    /// `analysis.reanalyse` in the enqueueing transaction (refusals as `denied`).
    pub async fn reanalyse(
        &self,
        scope: &TenantScope,
        version: VersionId,
        edition: EditionId,
    ) -> Result<JobProgress> {
        reanalyse(&self.0.store, scope, version, edition).await
    }
}
