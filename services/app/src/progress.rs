//! The progress of an analysis (version × edition), read through the tenant scope: the job's
//! state, stage, percent and attempts, a stable error code (never the raw message, which could
//! quote the document), and the analysis once it is recorded. [`Progress::watch`] turns it into a stream of
//! changes for the GraphQL subscription.

use std::time::Duration;

use taisho_domain::VersionId;
use taisho_guideline::EditionId;
use taisho_store::{AnalysisStatus, Mode, Store, StoreError, TenantScope, documents};
use taisho_worker::JobState;
use tokio::sync::mpsc;

use crate::analyses::{self, AnalysisView};
use crate::engine::unique_key;
use crate::error::Result;
use crate::services::Services;

/// Where an analysis stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgressState {
    Queued,
    Running,
    /// Recorded successfully.
    Done,
    /// Recorded as failed: the engine could not read the document (a fact about the input).
    Failed,
    /// The job gave up (attempts exhausted or a permanent error).
    Dead,
}

impl ProgressState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ProgressState::Done | ProgressState::Failed | ProgressState::Dead
        )
    }
}

/// One reading of an analysis' progress.
#[derive(Debug, Clone, PartialEq)]
pub struct JobProgress {
    pub version: VersionId,
    pub edition: EditionId,
    pub state: ProgressState,
    /// The engine stage last reported (`decode`, `structure`, `tokenise`, `align`, `findings`).
    pub stage: Option<String>,
    pub percent: u8,
    pub attempts: u32,
    /// A stable code for the last failure (`DEADLINE_EXCEEDED`, `JOB_FAILED`, …).
    pub error: Option<String>,
    /// Once recorded.
    pub analysis: Option<AnalysisView>,
}

impl JobProgress {
    /// What a subscriber sees change.
    fn key(&self) -> (ProgressState, Option<&str>, u8, u32, Option<&str>) {
        (
            self.state,
            self.stage.as_deref(),
            self.percent,
            self.attempts,
            self.error.as_deref(),
        )
    }
}

/// The code at the head of a stored job error (`DEADLINE_EXCEEDED: …`), or `JOB_FAILED`: the rest
/// of the message is never shown.
fn error_code(last_error: &str) -> String {
    let head = last_error.split(':').next().unwrap_or("").trim();
    if !head.is_empty()
        && head.len() <= 40
        && head
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        head.to_owned()
    } else {
        "JOB_FAILED".to_owned()
    }
}

/// The progress of the analysis of `version` with `edition`; `None` when it was never queued and
/// is not recorded. A foreign or missing version is NotFound.
pub(crate) async fn get(
    store: &Store,
    scope: &TenantScope,
    version: VersionId,
    edition: EditionId,
) -> Result<Option<JobProgress>> {
    let tx = store.begin(scope, Mode::Read).await?;
    let v = documents::get_version(&tx, version).await?;
    let job =
        taisho_worker::queue::find_by_key(&tx, v.org_id, &unique_key(version, edition)).await?;
    tx.rollback().await?;
    let load_analysis = job.as_ref().is_none_or(|j| j.state == JobState::Done);
    let analysis = if load_analysis {
        analyses::of_version(store, scope, version, edition).await?
    } else {
        None
    };
    let state = match (&job, &analysis) {
        (_, Some(a)) if a.status == AnalysisStatus::Failed => ProgressState::Failed,
        (_, Some(_)) => ProgressState::Done,
        (None, None) => return Ok(None),
        (Some(j), None) => match j.state {
            JobState::Queued => ProgressState::Queued,
            JobState::Running => ProgressState::Running,
            // Done without a visible result cannot happen (same transaction); report it as dead.
            JobState::Done | JobState::Dead => ProgressState::Dead,
        },
    };
    let percent = match state {
        ProgressState::Done | ProgressState::Failed => 100,
        _ => job.as_ref().and_then(|j| j.progress_pct).unwrap_or(0),
    };
    let error = match state {
        ProgressState::Failed => Some(
            analysis
                .as_ref()
                .and_then(|a| a.failure.as_ref())
                .map_or_else(|| "JOB_FAILED".to_owned(), |f| f.code.clone()),
        ),
        ProgressState::Done => None,
        _ => job
            .as_ref()
            .and_then(|j| j.last_error.as_deref())
            .map(error_code),
    };
    Ok(Some(JobProgress {
        version,
        edition,
        state,
        stage: job.as_ref().and_then(|j| j.progress_stage.clone()),
        percent,
        attempts: job.as_ref().map_or(0, |j| j.attempts),
        error,
        analysis,
    }))
}

/// How [`Progress::watch`] polls.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    pub poll: Duration,
    /// The stream ends after this long, whatever the state.
    pub max_lifetime: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            poll: Duration::from_millis(250),
            max_lifetime: Duration::from_secs(15 * 60),
        }
    }
}

/// A stream of progress readings: the first at once, then one per change (state, stage, percent,
/// attempts, error), ending after a final state (done, failed, dead), after
/// `options.max_lifetime`, or as soon as the receiver is dropped. The first reading's error (a
/// foreign or missing version, or nothing queued: NotFound) is sent and ends the stream.
pub(crate) fn watch(
    store: Store,
    scope: TenantScope,
    version: VersionId,
    edition: EditionId,
    options: WatchOptions,
) -> mpsc::Receiver<Result<JobProgress>> {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + options.max_lifetime;
        let mut last: Option<JobProgress> = None;
        loop {
            let reading = match get(&store, &scope, version, edition).await {
                Ok(Some(p)) => Ok(p),
                Ok(None) => Err(StoreError::NotFound.into()),
                Err(e) => Err(e),
            };
            match reading {
                Ok(p) => {
                    let changed = last.as_ref().is_none_or(|l| l.key() != p.key());
                    let done = p.state.is_final();
                    if changed {
                        if tx.send(Ok(p.clone())).await.is_err() {
                            return;
                        }
                        last = Some(p);
                    }
                    if done {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
            tokio::select! {
                () = tokio::time::sleep(options.poll) => {}
                () = tx.closed() => return,
            }
            if tokio::time::Instant::now() >= deadline {
                return;
            }
        }
    });
    rx
}

/// The progress use-cases ([`Services::progress`]).
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a>(pub(crate) &'a Services);

impl Progress<'_> {
    /// The progress of the analysis of `version` with `edition`; `None` when it was never queued
    /// and is not recorded. A foreign or missing version is NotFound.
    pub async fn get(
        &self,
        scope: &TenantScope,
        version: VersionId,
        edition: EditionId,
    ) -> Result<Option<JobProgress>> {
        get(&self.0.store, scope, version, edition).await
    }

    /// A stream of progress readings: the first at once, then one per change (state, stage,
    /// percent, attempts, error), ending after a final state (done, failed, dead), after
    /// `options.max_lifetime`, or as soon as the receiver is dropped. The first reading's error (a
    /// foreign or missing version, or nothing queued: NotFound) is sent and ends the stream.
    pub fn watch(
        &self,
        scope: TenantScope,
        version: VersionId,
        edition: EditionId,
        options: WatchOptions,
    ) -> mpsc::Receiver<Result<JobProgress>> {
        watch(self.0.store.clone(), scope, version, edition, options)
    }
}
