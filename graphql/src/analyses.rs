//! Analyses: status, summary, findings per model item (status, reasons, missing elements,
//! evidence with the morpheme diff as spans), local additions, and analysis progress.
//!
//! Text access is decided by the app ([`taisho_app::analyses`]): without it the policy text, the
//! diff spans and the local additions are null or empty.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use taisho_app::analyses::{self as app, AnalysisView, FindingFilter, SpanOp};
use taisho_app::analyses::{FindingStatus as EngineStatus, ReasonKind as EngineReason};
use taisho_app::progress::{JobProgress, ProgressState};
use taisho_app::records::AnalysisStatus as StoreStatus;
use taisho_domain::{AnalysisId, VersionId};
use taisho_guideline::EditionId;

use crate::catalog::{ModelItem, ModelItemKind};
use crate::connection::{self, Page};
use crate::context::{Session, request};
use crate::documents::{Version, load_version};
use crate::error::{self, ResultExt};
use crate::ids;

/// What an analysis concluded for one item.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingStatus {
    /// Present with equal or stronger obligation and every required element.
    Covered,
    /// Present but softened; `reasons` say how.
    Weakened,
    /// Nothing in the document answers the item.
    Omitted,
    /// The document does not contain the item's layer (or the model's content is unknown).
    OutOfScope,
}

impl From<EngineStatus> for FindingStatus {
    fn from(s: EngineStatus) -> Self {
        match s {
            EngineStatus::Covered => FindingStatus::Covered,
            EngineStatus::Weakened => FindingStatus::Weakened,
            EngineStatus::Omitted => FindingStatus::Omitted,
            EngineStatus::OutOfScope => FindingStatus::OutOfScope,
        }
    }
}

impl From<FindingStatus> for EngineStatus {
    fn from(s: FindingStatus) -> Self {
        match s {
            FindingStatus::Covered => EngineStatus::Covered,
            FindingStatus::Weakened => EngineStatus::Weakened,
            FindingStatus::Omitted => EngineStatus::Omitted,
            FindingStatus::OutOfScope => EngineStatus::OutOfScope,
        }
    }
}

/// Why an item is weakened.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonKind {
    ModalityDowngrade,
    HedgeAdded,
    FrequencyRemoved,
    ElementMissing,
    ScopeNarrowed,
    ThresholdLowered,
    ActorChanged,
}

impl From<EngineReason> for ReasonKind {
    fn from(k: EngineReason) -> Self {
        match k {
            EngineReason::ModalityDowngrade => ReasonKind::ModalityDowngrade,
            EngineReason::HedgeAdded => ReasonKind::HedgeAdded,
            EngineReason::FrequencyRemoved => ReasonKind::FrequencyRemoved,
            EngineReason::ElementMissing => ReasonKind::ElementMissing,
            EngineReason::ScopeNarrowed => ReasonKind::ScopeNarrowed,
            EngineReason::ThresholdLowered => ReasonKind::ThresholdLowered,
            EngineReason::ActorChanged => ReasonKind::ActorChanged,
        }
    }
}

/// A morpheme diff operation.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOp {
    Equal,
    Insert,
    Delete,
}

impl From<SpanOp> for DiffOp {
    fn from(op: SpanOp) -> Self {
        match op {
            SpanOp::Equal => DiffOp::Equal,
            SpanOp::Insert => DiffOp::Insert,
            SpanOp::Delete => DiffOp::Delete,
        }
    }
}

/// One span of a morpheme diff.
#[derive(SimpleObject, Debug, Clone)]
pub struct DiffSpan {
    pub op: DiffOp,
    pub text: String,
}

impl From<&app::Span> for DiffSpan {
    fn from(s: &app::Span) -> Self {
        DiffSpan {
            op: s.op.into(),
            text: s.text.clone(),
        }
    }
}

/// Whether the analysis ran to the end.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisStatus {
    Done,
    /// The engine could not read the document (see `error`).
    Failed,
}

/// Where an analysis stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisState {
    Queued,
    Running,
    Done,
    Failed,
    Dead,
}

impl From<ProgressState> for AnalysisState {
    fn from(s: ProgressState) -> Self {
        match s {
            ProgressState::Queued => AnalysisState::Queued,
            ProgressState::Running => AnalysisState::Running,
            ProgressState::Done => AnalysisState::Done,
            ProgressState::Failed => AnalysisState::Failed,
            ProgressState::Dead => AnalysisState::Dead,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Loaders

/// Analyses by id.
pub struct AnalysisLoader(pub Arc<Session>);

impl Loader<AnalysisId> for AnalysisLoader {
    type Value = Arc<AnalysisView>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AnalysisId],
    ) -> Result<HashMap<AnalysisId, Arc<AnalysisView>>, Self::Error> {
        let scope = self.0.scope().await?;
        let found = self
            .0
            .services
            .analyses()
            .get_many(scope, keys)
            .await
            .gql()?;
        Ok(found.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

/// The analysis of (version, edition).
pub struct VersionAnalysisLoader(pub Arc<Session>);

impl Loader<(VersionId, EditionId)> for VersionAnalysisLoader {
    type Value = Arc<AnalysisView>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[(VersionId, EditionId)],
    ) -> Result<HashMap<(VersionId, EditionId), Arc<AnalysisView>>, Self::Error> {
        let scope = self.0.scope().await?;
        let mut by_edition: HashMap<EditionId, Vec<VersionId>> = HashMap::new();
        for (v, e) in keys {
            by_edition.entry(*e).or_default().push(*v);
        }
        let mut out = HashMap::new();
        for (edition, versions) in by_edition {
            let found = self
                .0
                .services
                .analyses()
                .of_versions(scope, &versions, edition)
                .await
                .gql()?;
            out.extend(found.into_iter().map(|(v, a)| ((v, edition), Arc::new(a))));
        }
        Ok(out)
    }
}

/// `Query.node` for analyses.
pub async fn analysis_node(ctx: &Context<'_>, id: AnalysisId) -> Result<Analysis> {
    request(ctx)?
        .loader(AnalysisLoader)
        .load_one(id)
        .await?
        .map(Analysis)
        .ok_or_else(error::not_found)
}

// ---------------------------------------------------------------------------------------------
// Types

/// Counts by status and coverage = covered / (covered + weakened + omitted).
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct AnalysisSummary {
    pub covered: u32,
    pub weakened: u32,
    pub omitted: u32,
    pub out_of_scope: u32,
    pub local_additions: u32,
    /// Null when no item is in scope.
    pub coverage: Option<f64>,
}

/// The gap analysis of one version against one edition of the national model.
pub struct Analysis(pub Arc<AnalysisView>);

#[Object]
impl Analysis {
    pub async fn id(&self) -> ID {
        ids::id(self.0.id)
    }

    /// The model edition (`R5.3`).
    async fn edition(&self) -> &str {
        &self.0.edition
    }

    async fn status(&self) -> AnalysisStatus {
        match self.0.status {
            StoreStatus::Done => AnalysisStatus::Done,
            StoreStatus::Failed => AnalysisStatus::Failed,
        }
    }

    /// For a failed analysis: the engine's stable error code.
    async fn error(&self) -> Option<&str> {
        self.0.failure.as_ref().map(|f| f.code.as_str())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Whether the caller reads the document's text (policy texts, diffs, local additions).
    async fn text_visible(&self) -> bool {
        self.0.text_visible
    }

    async fn version(&self, ctx: &Context<'_>) -> Result<Option<Version>> {
        load_version(ctx, self.0.version).await
    }

    async fn summary(&self) -> AnalysisSummary {
        let s = self.0.summary;
        AnalysisSummary {
            covered: s.covered,
            weakened: s.weakened,
            omitted: s.omitted,
            out_of_scope: s.out_of_scope,
            local_additions: s.local_additions,
            coverage: s.coverage,
        }
    }

    /// Findings in model order, optionally only of one status, section (`TK-6`, `KH-3`) or kind.
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    async fn findings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<FindingStatus>,
        section: Option<String>,
        kind: Option<ModelItemKind>,
    ) -> Result<Page<Finding>> {
        let filter = FindingFilter {
            status: status.map(Into::into),
            section,
            kind: kind.map(Into::into),
        };
        let list: Vec<Finding> = self
            .0
            .findings(&filter)
            .gql()?
            .into_iter()
            .map(|f| Finding {
                analysis: Arc::clone(&self.0),
                item: f.item.clone(),
            })
            .collect();
        connection::from_vec(ctx, first, after, list)
    }

    /// The finding for one item (`TK-6.4-3-2`); `NOT_FOUND` when the analysis has none.
    async fn finding(&self, item: String) -> Result<Finding> {
        let f = self.0.finding(&item).gql()?;
        Ok(Finding {
            analysis: Arc::clone(&self.0),
            item: f.item.clone(),
        })
    }

    /// Sentences of the policy that answer no item (empty without text access).
    // In memory, no I/O: counted once (not per element), so whole tables fit the limit.
    async fn local_additions(&self, ctx: &Context<'_>) -> Result<Vec<LocalAddition>> {
        if !self.0.local_additions.is_empty() {
            text_returned(ctx, &self.0)?;
        }
        Ok(self
            .0
            .local_additions
            .iter()
            .map(|a| LocalAddition {
                location: (&a.location).into(),
                text: a.text.clone(),
            })
            .collect())
    }
}

/// The answer holds text of the analysed version: noted for the audit log (one entry per version
/// and operation, written when the answer is complete; see [`crate::context::Session`]).
fn text_returned(ctx: &Context<'_>, analysis: &AnalysisView) -> Result<()> {
    request(ctx)?
        .session()
        .text_returned(analysis.org, analysis.version);
    Ok(())
}

/// A place in the policy: numbering path, line, and char range in the decoded original.
#[derive(SimpleObject, Debug, Clone)]
pub struct Location {
    pub path: String,
    pub line: u32,
    pub start: u64,
    pub end: u64,
}

impl From<&app::Location> for Location {
    fn from(l: &app::Location) -> Self {
        Location {
            path: l.path.clone(),
            line: l.line,
            start: l.start,
            end: l.end,
        }
    }
}

/// A sentence of the policy that answers no model item.
#[derive(SimpleObject, Debug, Clone)]
pub struct LocalAddition {
    pub location: Location,
    pub text: String,
}

/// Why an item is weakened.
#[derive(SimpleObject, Debug, Clone)]
pub struct Reason {
    pub kind: ReasonKind,
    /// The words concerned (missing elements, the hedge, the number found).
    pub terms: Vec<String>,
    /// One plain Japanese sentence.
    pub message: String,
}

/// Model text, policy text (null without text access), where it was found, and the morpheme
/// diff from the model to the policy (empty without text access).
#[derive(SimpleObject, Debug, Clone)]
pub struct Evidence {
    pub model_text: String,
    pub policy_text: Option<String>,
    pub location: Vec<Location>,
    pub diff: Vec<DiffSpan>,
}

/// The finding for one model item.
pub struct Finding {
    analysis: Arc<AnalysisView>,
    item: String,
}

impl Finding {
    fn get(&self) -> Result<&app::Finding> {
        self.analysis.finding(&self.item).gql()
    }
}

#[Object]
impl Finding {
    /// The model item (null if the catalog no longer has it).
    async fn item(&self) -> Option<ModelItem> {
        self.analysis.item(&self.item).map(ModelItem)
    }

    async fn status(&self) -> Result<FindingStatus> {
        Ok(self.get()?.status.into())
    }

    // In memory, no I/O: counted once (not per element), so whole tables fit the limit.
    async fn reasons(&self) -> Result<Vec<Reason>> {
        Ok(self
            .get()?
            .reasons
            .iter()
            .map(|r| Reason {
                kind: r.kind.into(),
                terms: r.terms.clone(),
                message: r.message.clone(),
            })
            .collect())
    }

    /// Required elements of the item the policy lacks (all of them when omitted).
    async fn missing_elements(&self) -> Result<Vec<String>> {
        Ok(self.get()?.missing_elements.clone())
    }

    async fn evidence(&self, ctx: &Context<'_>) -> Result<Evidence> {
        let e = &self.get()?.evidence;
        if e.policy_text.is_some() || !e.diff.is_empty() {
            text_returned(ctx, &self.analysis)?;
        }
        Ok(Evidence {
            model_text: e.model_text.clone(),
            policy_text: e.policy_text.clone(),
            location: e.locations.iter().map(Into::into).collect(),
            diff: e.diff.iter().map(Into::into).collect(),
        })
    }
}

/// Where an analysis of a version with an edition stands.
pub struct AnalysisProgress(pub JobProgress);

impl From<JobProgress> for AnalysisProgress {
    fn from(p: JobProgress) -> Self {
        AnalysisProgress(p)
    }
}

#[Object]
impl AnalysisProgress {
    async fn state(&self) -> AnalysisState {
        self.0.state.into()
    }

    /// The engine stage last reported (`decode`, `structure`, `tokenise`, `align`, `findings`).
    async fn stage(&self) -> Option<&str> {
        self.0.stage.as_deref()
    }

    /// 0–100.
    async fn percent(&self) -> i32 {
        i32::from(self.0.percent)
    }

    async fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// A stable code for the last failure (`DEADLINE_EXCEEDED`, `JOB_FAILED`, …).
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    async fn edition(&self) -> String {
        self.0.edition.to_string()
    }

    async fn version(&self, ctx: &Context<'_>) -> Result<Option<Version>> {
        load_version(ctx, self.0.version).await
    }

    /// The analysis, once recorded.
    async fn analysis(&self) -> Option<Analysis> {
        self.0
            .analysis
            .as_ref()
            .map(|a| Analysis(Arc::new(a.clone())))
    }
}

#[derive(Default)]
pub struct AnalysesQuery;

#[Object]
impl AnalysesQuery {
    /// One analysis. Missing or not readable: `NOT_FOUND`.
    async fn analysis(&self, ctx: &Context<'_>, id: ID) -> Result<Analysis> {
        let id = ids::decode::<AnalysisId>(&id)?;
        request(ctx)?.scope().await?;
        analysis_node(ctx, id).await
    }
}
