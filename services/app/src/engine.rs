//! The engine as the app runs it, and the analysis job: a stored version read, tokenised and
//! checked against one model edition on a worker pool thread (the engine's
//! [`Pipeline`](taisho_engine::pipeline::Pipeline)), its result written in the job's fenced
//! completion transaction.
//!
//! The tokenizer and each edition's [`PreparedModel`] are built once per process and shared by
//! every job (one [`Engine`], built by the binary around its tokenizer): preparing the model
//! tokenises the whole catalogue, which costs far more than one analysis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use taisho_domain::{OrgId, VersionId};
use taisho_engine::analysis::PreparedModel;
use taisho_engine::pipeline::{Pipeline, Step};
use taisho_engine::{EngineError, Limits, Tokenizer};
use taisho_guideline::{Catalog, EditionId};
use taisho_store::{AnalysisStatus, Mode, Principal, Store, StoreError, analyses, scope_for};
use taisho_worker::{ClaimedJob, JobError, JobHandler, JobOutput, Progress, QueueError};

use crate::error::{AppError, Result};

/// The job kind of analyses in the queue.
pub const ANALYSIS_JOB: &str = "analysis";

/// The unique key that keeps one (version, edition) analysis from ever being queued twice.
pub fn unique_key(version: VersionId, edition: EditionId) -> String {
    format!("analysis:{version}:{edition}")
}

/// What an analysis job carries: ids only, never document text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisPayload {
    pub version: VersionId,
    pub edition: EditionId,
    /// The uploaded file's name: a decoding hint, as at upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

type ModelCell = Arc<OnceLock<std::result::Result<Arc<PreparedModel>, String>>>;

/// The tokenizer every analysis of the process uses (the binary injects it: the app never depends
/// on a particular one).
pub type SharedTokenizer = Arc<dyn Tokenizer + Send + Sync>;

/// The tokenizer and the prepared models, shared by every job of the process.
pub struct Engine {
    tokenizer: SharedTokenizer,
    models: Mutex<HashMap<EditionId, ModelCell>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine around `tokenizer`; models are prepared on first use (see [`Engine::model`]).
    pub fn new(tokenizer: SharedTokenizer) -> Engine {
        Engine {
            tokenizer,
            models: Mutex::new(HashMap::new()),
        }
    }

    pub fn tokenizer(&self) -> &(dyn Tokenizer + Send + Sync) {
        self.tokenizer.as_ref()
    }

    /// The prepared model of `edition`, built on first use. Blocking and CPU-heavy the first time:
    /// call it from a pool thread or `spawn_blocking`.
    pub fn model(&self, edition: EditionId) -> Result<Arc<PreparedModel>> {
        let cell = {
            let mut models = self
                .models
                .lock()
                .map_err(|_| AppError::Unavailable("model cache poisoned".into()))?;
            Arc::clone(models.entry(edition).or_default())
        };
        // Built outside the map's lock, so preparing one edition never blocks jobs of another.
        cell.get_or_init(|| {
            let catalog = Catalog::builtin(edition).map_err(|e| format!("model {edition}: {e}"))?;
            PreparedModel::new(&catalog, self.tokenizer.as_ref())
                .map(Arc::new)
                .map_err(|e| format!("preparing model {edition}: {e}"))
        })
        .clone()
        .map_err(AppError::Unavailable)
    }
}

/// What `run` hands to `commit`.
#[derive(Debug, Serialize, Deserialize)]
struct Output {
    version: VersionId,
    edition: EditionId,
    status: AnalysisStatus,
    /// The engine's Analysis JSON, or `{ "error": { code, message } }` for a failed analysis.
    result: serde_json::Value,
}

/// The `analysis` job handler.
pub struct AnalysisHandler {
    store: Store,
    engine: Arc<Engine>,
    limits: Limits,
    runtime: tokio::runtime::Handle,
}

impl AnalysisHandler {
    /// Must be called inside a multi-threaded tokio runtime: `run` (on a pool thread) loads the
    /// version through it.
    pub fn new(store: Store, engine: Arc<Engine>, limits: Limits) -> Result<AnalysisHandler> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| AppError::Unavailable("no tokio runtime".into()))?;
        if runtime.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            // A current-thread runtime only drives I/O while its own thread polls it: a pool
            // thread blocking on it could wait forever.
            return Err(AppError::Unavailable(
                "the analysis handler needs a multi-threaded tokio runtime".into(),
            ));
        }
        Ok(AnalysisHandler {
            store,
            engine,
            limits,
            runtime,
        })
    }

    async fn load(&self, org: OrgId, version: VersionId) -> Result<Vec<u8>, StoreError> {
        let scope = scope_for(&Principal::Worker { org }, &self.store).await?;
        let tx = self.store.begin(&scope, Mode::Read).await?;
        let bytes = taisho_store::documents::original(&tx, version).await?;
        tx.rollback().await?;
        Ok(bytes)
    }
}

/// Why a run of the pipeline stopped: the engine refused the document, or the job must stop.
enum Stop {
    Engine(EngineError),
    Job(JobError),
}

impl From<EngineError> for Stop {
    fn from(e: EngineError) -> Stop {
        Stop::Engine(e)
    }
}

impl From<JobError> for Stop {
    fn from(e: JobError) -> Stop {
        Stop::Job(e)
    }
}

fn cancelled(progress: &Progress) -> Result<(), JobError> {
    if progress.is_cancelled() {
        Err(JobError::retry("cancelled: lease lost or job released"))
    } else {
        Ok(())
    }
}

/// Engine errors that another attempt may fix (a busy machine missing the deadline, the tokenizer
/// failing) retry; the others are facts about the document and are recorded as a failed analysis.
fn engine_failure(e: EngineError) -> Result<serde_json::Value, JobError> {
    match e {
        EngineError::DeadlineExceeded { .. } | EngineError::Tokeniser { .. } => {
            Err(JobError::retry(format!("{}: {e}", e.code().as_str())))
        }
        e => Ok(serde_json::json!({
            "error": { "code": e.code().as_str(), "message": e.to_string() }
        })),
    }
}

#[async_trait::async_trait]
impl JobHandler for AnalysisHandler {
    fn run(&self, job: &ClaimedJob, progress: &Progress) -> Result<JobOutput, JobError> {
        let payload: AnalysisPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::permanent(format!("malformed analysis payload: {e}")))?;
        progress.report("decode", 0);
        let bytes = self
            .runtime
            .block_on(self.load(job.org_id, payload.version))
            .map_err(|e| match e {
                StoreError::NotFound => JobError::permanent("version not found"),
                e => JobError::retry(format!("loading version: {e}")),
            })?;
        let model = self
            .engine
            .model(payload.edition)
            .map_err(|e| JobError::retry(e.to_string()))?;
        cancelled(progress)?;
        let output = |status, result| {
            serde_json::to_value(Output {
                version: payload.version,
                edition: payload.edition,
                status,
                result,
            })
            .map_err(|e| JobError::permanent(format!("serialising the result: {e}")))
        };

        let pipeline = Pipeline::new(self.engine.tokenizer(), &self.limits);
        let run = pipeline.run(&bytes, payload.hint.as_deref(), &model, |step| {
            match step {
                Step::Read => {}
                Step::Tokenise => {
                    progress.report("structure", 20);
                    cancelled(progress)?;
                    progress.report("tokenise", 30);
                }
                Step::Analyse => {
                    cancelled(progress)?;
                    progress.report("align", 50);
                }
            }
            Ok::<(), Stop>(())
        });
        let analysis = match run {
            Ok(analysed) => analysed.analysis,
            Err(Stop::Engine(e)) => return output(AnalysisStatus::Failed, engine_failure(e)?),
            Err(Stop::Job(e)) => return Err(e),
        };
        progress.report("findings", 90);
        let result = serde_json::to_value(&analysis)
            .map_err(|e| JobError::permanent(format!("serialising the analysis: {e}")))?;
        output(AnalysisStatus::Done, result)
    }

    async fn commit(
        &self,
        tx: &taisho_store::Tx,
        _job: &ClaimedJob,
        output: JobOutput,
    ) -> Result<(), QueueError> {
        let out: Output = serde_json::from_value(output)
            .map_err(|e| QueueError::Corrupt(format!("analysis output: {e}")))?;
        let findings = findings_of(&out.result);
        analyses::record(
            tx,
            out.version,
            &out.edition.to_string(),
            out.status,
            out.result,
            &findings,
        )
        .await?;
        Ok(())
    }
}

/// The per-item rows of an Analysis JSON (status and reasons; the evidence stays in the result).
fn findings_of(result: &serde_json::Value) -> Vec<analyses::Finding> {
    let Some(list) = result.get("findings").and_then(|f| f.as_array()) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|f| {
            Some(analyses::Finding {
                item_id: f.get("item")?.as_str()?.to_owned(),
                status: f.get("status")?.as_str()?.to_owned(),
                reasons: f
                    .get("reasons")
                    .cloned()
                    .unwrap_or(serde_json::Value::Array(Vec::new())),
            })
        })
        .collect()
}
