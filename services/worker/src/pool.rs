//! The worker pool: one async claim loop, CPU work on a fixed set of dedicated OS threads.
//!
//! Handlers are CPU-bound (the engine), so they never run on tokio executor threads: a blocked executor
//! thread would stall every heartbeat and claim in the process, and leases would expire under healthy
//! workers. The async side only claims, heartbeats, and writes results.
//!
//! Per job, a supervisor task sends the job to the thread pool, heartbeats (extending the lease and
//! flushing progress) until the handler returns, then completes or fails the job under its fence. The
//! thread permit is held until the handler has actually returned, so `threads` bounds the CPU work even
//! when a job was released or lost its lease while its handler still runs.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::JoinSet;
use tracing::Instrument as _;

use crate::queue::{ClaimedJob, FailOutcome, Queue, QueueError, Retry};

/// What a handler produces; written by [`JobHandler::commit`] inside the fenced completion.
pub type JobOutput = serde_json::Value;

/// A failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    /// Recorded in `jobs.last_error` (never document text).
    pub message: String,
    pub retry: Retry,
}

impl JobError {
    /// Transient: another attempt may succeed.
    pub fn retry(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retry: Retry::Allowed,
        }
    }

    /// Permanent: the job goes dead at once.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retry: Retry::Never,
        }
    }
}

/// Runs one kind of job.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// The CPU work, on a pool thread. Should check [`Progress::is_cancelled`] now and then: once the
    /// job's lease is lost or the pool releases it, the result will be discarded anyway.
    fn run(&self, job: &ClaimedJob, progress: &Progress) -> Result<JobOutput, JobError>;

    /// Writes the output in the completion transaction (scoped to the job's organisation), where the
    /// job is already marked done under its fence: the result is committed if and only if the
    /// completion is. An error rolls both back and counts as a failed attempt.
    async fn commit(
        &self,
        tx: &taisho_store::Tx,
        job: &ClaimedJob,
        output: JobOutput,
    ) -> Result<(), QueueError>;
}

/// Handlers by job kind.
#[derive(Default, Clone)]
pub struct Handlers {
    by_kind: HashMap<String, Arc<dyn JobHandler>>,
}

impl Handlers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, kind: impl Into<String>, handler: impl JobHandler) -> Self {
        self.by_kind.insert(kind.into(), Arc::new(handler));
        self
    }

    fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.by_kind.keys().cloned().collect();
        kinds.sort();
        kinds
    }
}

/// Progress of one running job, reported from the handler's thread and flushed to the job row by its
/// supervisor (fenced, throttled), so handlers never touch the database.
#[derive(Clone, Default)]
pub struct Progress {
    inner: Arc<ProgressInner>,
}

#[derive(Default)]
struct ProgressInner {
    latest: Mutex<Option<(String, u8)>>,
    dirty: AtomicBool,
    changed: Notify,
    cancelled: AtomicBool,
    /// The current stage and when it began (for `taisho_job_stage_seconds`).
    stage: Mutex<Option<(String, Instant)>>,
}

impl Progress {
    /// Records the current stage and percentage (0–100). A change of stage ends the previous one's
    /// timing (histogram `taisho_job_stage_seconds{stage}`).
    pub fn report(&self, stage: &str, pct: u8) {
        if let Ok(mut current) = self.inner.stage.lock()
            && current.as_ref().is_none_or(|(s, _)| s != stage)
        {
            if let Some((previous, began)) = current.take() {
                record_stage(previous, began);
            }
            *current = Some((stage.to_owned(), Instant::now()));
        }
        if let Ok(mut latest) = self.inner.latest.lock() {
            *latest = Some((stage.to_owned(), pct.min(100)));
        }
        self.inner.dirty.store(true, Ordering::Release);
        self.inner.changed.notify_one();
    }

    /// True once the job's result can no longer be committed (lease lost or job released).
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Acquire)
    }

    fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Release);
    }

    /// Ends the last stage's timing (the handler returned).
    fn finish_stage(&self) {
        if let Ok(mut current) = self.inner.stage.lock()
            && let Some((stage, began)) = current.take()
        {
            record_stage(stage, began);
        }
    }

    fn take(&self) -> Option<(String, u8)> {
        if !self.inner.dirty.swap(false, Ordering::AcqRel) {
            return None;
        }
        self.inner.latest.lock().ok().and_then(|l| l.clone())
    }
}

fn record_stage(stage: String, began: Instant) {
    metrics::histogram!("taisho_job_stage_seconds", "stage" => stage)
        .record(began.elapsed().as_secs_f64());
}

/// How often the pool samples the queue for `taisho_queue_depth{state}`.
const QUEUE_DEPTH_EVERY: Duration = Duration::from_secs(5);

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// OS threads running handlers; also the most jobs this pool holds at once.
    pub threads: usize,
    /// Most running jobs per organisation across every worker on the database (`None`: no cap).
    pub per_tenant_cap: Option<u32>,
    /// A claim holds the job this long unless a heartbeat extends it.
    pub lease: Duration,
    pub heartbeat_every: Duration,
    /// Wait between claims when the queue is empty.
    pub poll_interval: Duration,
    /// Recorded in `jobs.worker_id`.
    pub worker_id: String,
}

impl Default for PoolConfig {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            threads,
            // Half the threads: a tenant's bulk upload always leaves room for the others.
            per_tenant_cap: Some(u32::try_from(threads.div_ceil(2)).unwrap_or(1).max(1)),
            lease: Duration::from_secs(60),
            heartbeat_every: Duration::from_secs(15),
            poll_interval: Duration::from_millis(500),
            worker_id: default_worker_id(),
        }
    }
}

/// `host:pid:random`, unique per pool.
pub fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map_or_else(|_| "host".to_owned(), |h| h.trim().to_owned());
    format!("{host}:{}:{:08x}", std::process::id(), fastrand::u32(..))
}

/// Counters since start.
#[derive(Debug, Default)]
pub struct PoolStats {
    pub claimed: AtomicU64,
    pub done: AtomicU64,
    pub retried: AtomicU64,
    pub dead: AtomicU64,
    /// Results discarded because the fence had moved on.
    pub stale: AtomicU64,
    pub released: AtomicU64,
    pub errors: AtomicU64,
}

/// What [`WorkerPool::shutdown`] did with the jobs it held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShutdownReport {
    /// Jobs that finished (done, retried or dead) during the grace period.
    pub finished: usize,
    /// Jobs given back to the queue without counting the attempt.
    pub released: usize,
}

/// Shutdown phases, broadcast to the claim loop and every supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Running,
    /// Claim nothing more; let held jobs finish.
    Draining,
    /// Give every held job back.
    Releasing,
}

/// A running pool. Dropping it without [`WorkerPool::shutdown`] aborts the claim loop; held jobs are
/// then recovered by lease expiry.
pub struct WorkerPool {
    phase: watch::Sender<Phase>,
    claim_loop: Option<tokio::task::JoinHandle<JoinSet<Outcome>>>,
    stats: Arc<PoolStats>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

type Task = Box<dyn FnOnce() + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Finished,
    Released,
    Lost,
}

impl WorkerPool {
    /// Starts the claim loop on the current tokio runtime and `config.threads` handler threads.
    pub fn start(queue: Queue, handlers: Handlers, config: PoolConfig) -> WorkerPool {
        let threads = config.threads.max(1);
        let (task_tx, task_rx) = mpsc::channel::<Task>();
        let task_rx = Arc::new(Mutex::new(task_rx));
        let workers = (0..threads)
            .map(|i| {
                let rx = Arc::clone(&task_rx);
                std::thread::Builder::new()
                    .name(format!("taisho-job-{i}"))
                    .spawn(move || {
                        loop {
                            // The lock is held only while waiting for the next task.
                            let task = match rx.lock() {
                                Ok(rx) => rx.recv(),
                                Err(_) => return,
                            };
                            match task {
                                Ok(task) => task(),
                                Err(_) => return,
                            }
                        }
                    })
            })
            .filter_map(Result::ok)
            .collect();
        let (phase, phase_rx) = watch::channel(Phase::Running);
        let stats = Arc::new(PoolStats::default());
        let ctx = Arc::new(Ctx {
            queue,
            handlers,
            config: PoolConfig { threads, ..config },
            stats: Arc::clone(&stats),
            tasks: Mutex::new(task_tx),
            busy: AtomicU64::new(0),
        });
        ctx.report_busy();
        tokio::spawn(sample_queue_depth(ctx.queue.clone(), phase_rx.clone()));
        let claim_loop = tokio::spawn(claim_loop(ctx, phase_rx));
        WorkerPool {
            phase,
            claim_loop: Some(claim_loop),
            stats,
            threads: workers,
        }
    }

    pub fn stats(&self) -> &PoolStats {
        &self.stats
    }

    /// Whether the pool is working: its claim loop runs and every handler thread is up (for
    /// readiness probes). False once shutdown began or if a thread died.
    pub fn alive(&self) -> bool {
        *self.phase.borrow() == Phase::Running
            && self
                .claim_loop
                .as_ref()
                .is_some_and(|claim_loop| !claim_loop.is_finished())
            && !self.threads.is_empty()
            && self.threads.iter().all(|thread| !thread.is_finished())
    }

    /// Stops claiming, waits up to `grace` for held jobs to finish, then releases the rest (back to
    /// `queued`, attempt not counted). Handler threads still busy with a released job are left to
    /// finish on their own; their results are discarded.
    pub async fn shutdown(mut self, grace: Duration) -> ShutdownReport {
        let _ = self.phase.send(Phase::Draining);
        let mut report = ShutdownReport::default();
        let Some(claim_loop) = self.claim_loop.take() else {
            return report;
        };
        let Ok(mut running) = claim_loop.await else {
            return report;
        };
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let next = tokio::time::timeout_at(deadline, running.join_next()).await;
            match next {
                Ok(Some(outcome)) => count(&mut report, outcome),
                Ok(None) => break,
                Err(_) => {
                    let _ = self.phase.send(Phase::Releasing);
                    while let Some(outcome) = running.join_next().await {
                        count(&mut report, outcome);
                    }
                    break;
                }
            }
        }
        // Dropping the pool closes the task channel; idle threads exit.
        report
    }
}

fn count(report: &mut ShutdownReport, outcome: Result<Outcome, tokio::task::JoinError>) {
    match outcome {
        Ok(Outcome::Released) => report.released += 1,
        Ok(Outcome::Finished | Outcome::Lost) | Err(_) => report.finished += 1,
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        if let Some(claim_loop) = self.claim_loop.take() {
            claim_loop.abort();
        }
        // Threads are detached: one may still be inside a handler. They exit once the channel closes.
        self.threads.clear();
    }
}

struct Ctx {
    queue: Queue,
    handlers: Handlers,
    config: PoolConfig,
    stats: Arc<PoolStats>,
    tasks: Mutex<mpsc::Sender<Task>>,
    /// Handler threads inside a handler right now.
    busy: AtomicU64,
}

impl Ctx {
    /// `taisho_worker_busy` (threads inside a handler) and `taisho_worker_utilisation` (busy /
    /// threads).
    fn report_busy(&self) {
        let busy = self.busy.load(Ordering::Relaxed) as f64;
        metrics::gauge!("taisho_worker_busy").set(busy);
        metrics::gauge!("taisho_worker_threads").set(self.config.threads as f64);
        metrics::gauge!("taisho_worker_utilisation").set(busy / self.config.threads.max(1) as f64);
    }
}

/// Samples the jobs per state every [`QUEUE_DEPTH_EVERY`] into `taisho_queue_depth{state}` until
/// the pool stops.
async fn sample_queue_depth(queue: Queue, mut phase: watch::Receiver<Phase>) {
    loop {
        if *phase.borrow() != Phase::Running {
            return;
        }
        if let Ok(counts) = queue.counts_by_state().await {
            for state in [
                crate::JobState::Queued,
                crate::JobState::Running,
                crate::JobState::Done,
                crate::JobState::Dead,
            ] {
                let n = counts
                    .iter()
                    .find(|(s, _)| *s == state)
                    .map_or(0, |(_, n)| *n);
                metrics::gauge!("taisho_queue_depth", "state" => state.as_str()).set(n as f64);
            }
        }
        tokio::select! {
            () = tokio::time::sleep(QUEUE_DEPTH_EVERY) => {}
            changed = phase.changed() => if changed.is_err() { return },
        }
    }
}

async fn claim_loop(ctx: Arc<Ctx>, mut phase: watch::Receiver<Phase>) -> JoinSet<Outcome> {
    let slots = Arc::new(Semaphore::new(ctx.config.threads));
    let kinds = ctx.handlers.kinds();
    let mut running = JoinSet::new();
    let mut error_backoff = Duration::from_millis(100);
    loop {
        while running.try_join_next().is_some() {}
        if *phase.borrow() != Phase::Running {
            return running;
        }
        let permit = tokio::select! {
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return running,
            },
            _ = phase.changed() => continue,
        };
        // Take every free slot: one claim statement for all of them (one per call under a cap).
        let mut permits = vec![permit];
        while let Ok(p) = Arc::clone(&slots).try_acquire_owned() {
            permits.push(p);
        }
        let claimed = ctx
            .queue
            .claim_many(
                &ctx.config.worker_id,
                &kinds,
                ctx.config.lease,
                ctx.config.per_tenant_cap,
                permits.len(),
            )
            .await;
        let idle = match claimed {
            Ok(jobs) if !jobs.is_empty() => {
                error_backoff = Duration::from_millis(100);
                for job in jobs {
                    let Some(permit) = permits.pop() else { break };
                    ctx.stats.claimed.fetch_add(1, Ordering::Relaxed);
                    let span = crate::trace::job_run_span(&job);
                    running.spawn(
                        supervise(Arc::clone(&ctx), job, permit, phase.clone()).instrument(span),
                    );
                }
                continue;
            }
            Ok(_) => ctx.config.poll_interval,
            Err(_) => {
                // The database is unreachable or busy: back off, up to the poll interval × 10.
                ctx.stats.errors.fetch_add(1, Ordering::Relaxed);
                error_backoff = (error_backoff * 2).min(ctx.config.poll_interval * 10);
                error_backoff
            }
        };
        drop(permits);
        tokio::select! {
            () = tokio::time::sleep(idle) => {}
            _ = phase.changed() => {}
        }
    }
}

async fn supervise(
    ctx: Arc<Ctx>,
    job: ClaimedJob,
    permit: OwnedSemaphorePermit,
    mut phase: watch::Receiver<Phase>,
) -> Outcome {
    let Some(handler) = ctx.handlers.by_kind.get(&job.kind).cloned() else {
        // Claims are filtered by kind, so this is a bug; give the job back for another pool.
        let _ = ctx.queue.release(&job).await;
        return Outcome::Released;
    };
    let progress = Progress::default();
    let (done_tx, mut done_rx) = oneshot::channel();
    {
        let held = job.clone();
        let progress = progress.clone();
        let handler = Arc::clone(&handler);
        // The handler's spans (the engine stages) are children of this job's `job.run`.
        let span = tracing::Span::current();
        let busy = Arc::clone(&ctx);
        let task: Task = Box::new(move || {
            busy.busy.fetch_add(1, Ordering::Relaxed);
            busy.report_busy();
            let result = span
                .in_scope(|| catch_unwind(AssertUnwindSafe(|| handler.run(&held, &progress))))
                .unwrap_or_else(|_| Err(JobError::retry("handler panicked")));
            progress.finish_stage();
            busy.busy.fetch_sub(1, Ordering::Relaxed);
            busy.report_busy();
            // The permit travels with the task: the slot frees only when the thread is free.
            drop(permit);
            let _ = done_tx.send(result);
        });
        let sent = ctx.tasks.lock().is_ok_and(|tx| tx.send(task).is_ok());
        if !sent {
            let _ = ctx.queue.release(&job).await;
            return Outcome::Released;
        }
    }

    let lease = ctx.config.lease;
    let mut heartbeat = tokio::time::interval_at(
        tokio::time::Instant::now() + ctx.config.heartbeat_every,
        ctx.config.heartbeat_every,
    );
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Progress is written at most this often between heartbeats.
    let progress_every = Duration::from_millis(200).min(ctx.config.heartbeat_every);
    let mut last_write = Instant::now();
    let result = loop {
        tokio::select! {
            r = &mut done_rx => break r.unwrap_or_else(|_| Err(JobError::retry("handler thread vanished"))),
            _ = heartbeat.tick() => {
                let p = progress.take();
                if let Err(e) = ctx.queue.heartbeat(&job, lease, p.as_ref().map(|(s, n)| (s.as_str(), *n))).await
                    && lost(&ctx, &progress, &e)
                {
                    return Outcome::Lost;
                }
                last_write = Instant::now();
            }
            () = progress.inner.changed.notified(), if last_write.elapsed() >= progress_every => {
                let p = progress.take();
                if p.is_some() {
                    if let Err(e) = ctx.queue.heartbeat(&job, lease, p.as_ref().map(|(s, n)| (s.as_str(), *n))).await
                        && lost(&ctx, &progress, &e)
                    {
                        return Outcome::Lost;
                    }
                    last_write = Instant::now();
                }
            }
            changed = phase.changed() => {
                let releasing = changed.is_err() || *phase.borrow() == Phase::Releasing;
                if releasing {
                    progress.cancel();
                    return match ctx.queue.release(&job).await {
                        Ok(()) => {
                            ctx.stats.released.fetch_add(1, Ordering::Relaxed);
                            Outcome::Released
                        }
                        Err(_) => Outcome::Lost,
                    };
                }
            }
        }
    };

    let outcome = match result {
        Ok(output) => match complete(&ctx, &handler, &job, output).await {
            Ok(()) => {
                ctx.stats.done.fetch_add(1, Ordering::Relaxed);
                Outcome::Finished
            }
            Err(QueueError::StaleLease(_)) => {
                ctx.stats.stale.fetch_add(1, Ordering::Relaxed);
                Outcome::Lost
            }
            Err(e) => {
                fail(
                    &ctx,
                    &job,
                    &format!("writing the result failed: {e}"),
                    Retry::Allowed,
                )
                .await
            }
        },
        Err(e) => fail(&ctx, &job, &e.message, e.retry).await,
    };
    tracing::Span::current().record(
        "outcome",
        match outcome {
            Outcome::Finished => "finished",
            Outcome::Released => "released",
            Outcome::Lost => "lost",
        },
    );
    outcome
}

/// Heartbeat failed: a stale lease means another worker owns the job now; other errors (database
/// hiccup) are retried at the next tick while the lease lasts.
fn lost(ctx: &Ctx, progress: &Progress, e: &QueueError) -> bool {
    if let QueueError::StaleLease(_) = e {
        progress.cancel();
        ctx.stats.stale.fetch_add(1, Ordering::Relaxed);
        true
    } else {
        ctx.stats.errors.fetch_add(1, Ordering::Relaxed);
        false
    }
}

async fn complete(
    ctx: &Ctx,
    handler: &Arc<dyn JobHandler>,
    job: &ClaimedJob,
    output: JobOutput,
) -> Result<(), QueueError> {
    let completion = ctx.queue.begin_completion(job).await?;
    handler.commit(completion.tx(), job, output).await?;
    completion.commit().await
}

async fn fail(ctx: &Ctx, job: &ClaimedJob, reason: &str, retry: Retry) -> Outcome {
    match ctx.queue.fail(job, reason, retry).await {
        Ok(FailOutcome::Retrying { .. }) => {
            ctx.stats.retried.fetch_add(1, Ordering::Relaxed);
            Outcome::Finished
        }
        Ok(FailOutcome::Dead) => {
            ctx.stats.dead.fetch_add(1, Ordering::Relaxed);
            Outcome::Finished
        }
        Err(QueueError::StaleLease(_)) => {
            ctx.stats.stale.fetch_add(1, Ordering::Relaxed);
            Outcome::Lost
        }
        Err(_) => {
            // The lease will expire and the job be claimed again.
            ctx.stats.errors.fetch_add(1, Ordering::Relaxed);
            Outcome::Lost
        }
    }
}
