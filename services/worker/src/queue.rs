//! The job queue: rows in the `jobs` table, moved between states by single fenced UPDATEs.
//!
//! States: `queued` → (claim) → `running` → `done`, or back to `queued` (retry, release, or the lease
//! expired and another worker claimed it), or `dead` (last attempt failed, or a permanent error).
//!
//! Every claim increments `fence`. Every later write by the claimer (heartbeat, progress, completion,
//! failure, release) carries the fence it got and matches `WHERE id = ? AND fence = ? AND state =
//! 'running'`, so a worker whose lease expired and whose job was claimed again changes nothing: it gets
//! [`QueueError::StaleLease`]. The handler's result is written in the same transaction as the fenced
//! completion, so a result exists if and only if the job is `done`, and at most once.
//!
//! Times in `jobs` are epoch milliseconds taken from the database clock (`{now}` below), never from a
//! worker's clock: workers on several machines compare leases against one clock, and the same
//! arithmetic works on both backends.

use std::time::Duration;

use taisho_domain::{JobId, OrgId};
use taisho_store::sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};
use taisho_store::{Mode, Principal, Store, StoreError, Tx, scope_for};
use uuid::Uuid;

use crate::backoff::Backoff;

/// Longest `last_error` kept; handler messages can be arbitrarily long.
const MAX_ERROR_CHARS: usize = 2000;

/// Errors of queue operations.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The job is no longer held under this fence: its lease expired and it was claimed again, or it
    /// was released, completed or failed already. The caller's write was not applied.
    #[error("job {0} is no longer held by this worker (stale lease)")]
    StaleLease(JobId),
    /// The scope may not write to the organisation the job would belong to.
    #[error("not allowed to enqueue a job for this organisation")]
    Forbidden,
    #[error("invalid job: {0}")]
    InvalidSpec(&'static str),
    #[error("job row is malformed: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    /// Which handler runs the job (e.g. `analysis`).
    pub kind: String,
    pub payload: serde_json::Value,
    /// At most one job per (organisation, key) ever exists: enqueueing an existing key is a no-op
    /// that returns the existing job, whatever its state.
    pub unique_key: Option<String>,
    /// Attempts before the job is declared dead (≥ 1).
    pub max_attempts: u32,
    /// W3C `traceparent` of the request that caused the job, so its spans join that trace.
    pub trace_context: Option<String>,
    /// Earliest start, relative to now.
    pub delay: Duration,
}

impl JobSpec {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            unique_key: None,
            max_attempts: 5,
            trace_context: None,
            delay: Duration::ZERO,
        }
    }

    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    pub fn trace_context(mut self, traceparent: impl Into<String>) -> Self {
        self.trace_context = Some(traceparent.into());
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// Result of [`enqueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    Created(JobId),
    /// A job with the same unique key existed; nothing was inserted.
    Existing(JobId),
}

impl Enqueued {
    pub fn id(self) -> JobId {
        match self {
            Enqueued::Created(id) | Enqueued::Existing(id) => id,
        }
    }
}

/// Adds a job inside the caller's transaction, so a rolled-back upload leaves no job behind.
///
/// `org` is the organisation the job works for; the scope must be allowed to write to it.
/// Traced as the span `job.enqueue`; a spec without a trace context gets this span's W3C
/// `traceparent`, so the job's `job.run` continues the caller's trace.
#[tracing::instrument(
    name = "job.enqueue",
    skip_all,
    fields(org = %org, kind = %spec.kind, job = tracing::field::Empty, created = tracing::field::Empty)
)]
pub async fn enqueue(tx: &Tx, org: OrgId, mut spec: JobSpec) -> Result<Enqueued, QueueError> {
    if spec.trace_context.is_none() {
        spec.trace_context = crate::trace::current_traceparent();
    }
    let enqueued = enqueue_untraced(tx, org, spec).await?;
    let span = tracing::Span::current();
    span.record("job", tracing::field::display(enqueued.id()));
    span.record("created", matches!(enqueued, Enqueued::Created(_)));
    Ok(enqueued)
}

async fn enqueue_untraced(tx: &Tx, org: OrgId, spec: JobSpec) -> Result<Enqueued, QueueError> {
    if !tx.scope().can_write(org) {
        return Err(QueueError::Forbidden);
    }
    if spec.max_attempts == 0 {
        return Err(QueueError::InvalidSpec("max_attempts must be at least 1"));
    }
    if spec.kind.is_empty() {
        return Err(QueueError::InvalidSpec("kind must not be empty"));
    }
    let backend = tx.conn().get_database_backend();
    let id = JobId::new();
    let sql = with_now(
        backend,
        "INSERT INTO jobs (id, org_id, kind, payload, unique_key, state, attempts, max_attempts, \
         run_at, fence, trace_context, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, {now} + $7, 0, $8, {now}, {now}) \
         ON CONFLICT (org_id, unique_key) DO NOTHING RETURNING id",
    );
    let row = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                id.as_uuid().into(),
                org.as_uuid().into(),
                spec.kind.into(),
                spec.payload.into(),
                spec.unique_key.clone().into(),
                i64::from(spec.max_attempts).into(),
                millis(spec.delay).into(),
                spec.trace_context.into(),
            ],
        ))
        .await?;
    if row.is_some() {
        return Ok(Enqueued::Created(id));
    }
    // Only a unique-key conflict inserts nothing. In READ COMMITTED the conflicting row is committed
    // (ON CONFLICT waited for its transaction), so this statement's fresh snapshot sees it.
    let key = spec
        .unique_key
        .ok_or_else(|| QueueError::Corrupt("insert without a unique key returned no row".into()))?;
    let existing = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT id FROM jobs WHERE org_id = $1 AND unique_key = $2",
            [org.as_uuid().into(), key.into()],
        ))
        .await?
        .ok_or_else(|| QueueError::Corrupt("unique key conflict but no visible job".into()))?;
    Ok(Enqueued::Existing(JobId::from_uuid(
        existing.try_get::<Uuid>("", "id")?,
    )))
}

/// A job held by a worker under a lease. `fence` is the token every later write must present.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: JobId,
    pub org_id: OrgId,
    pub kind: String,
    pub payload: serde_json::Value,
    /// 1 on the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
    pub fence: i64,
    pub trace_context: Option<String>,
}

/// Job states as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobState {
    /// The stored name (`queued`, `running`, `done`, `dead`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            _ => return None,
        })
    }
}

/// A job row as seen by operators and tests (system view, no tenant filter).
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub id: JobId,
    pub org_id: OrgId,
    pub kind: String,
    pub unique_key: Option<String>,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    pub fence: i64,
    pub run_at_ms: i64,
    pub lease_until_ms: Option<i64>,
    pub worker_id: Option<String>,
    pub progress_stage: Option<String>,
    pub progress_pct: Option<u8>,
    pub last_error: Option<String>,
    pub updated_at_ms: i64,
}

/// What happened to a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Queued again; runs no earlier than this many milliseconds after the failure.
    Retrying {
        after_ms: i64,
    },
    Dead,
}

/// Whether a failure may succeed on another attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    Allowed,
    /// Bad input or a bug that another attempt cannot fix: dead at once.
    Never,
}

/// The worker side of the queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Queue {
    store: Store,
    backoff: Backoff,
    last_sweep: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl Queue {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            backoff: Backoff::default(),
            last_sweep: std::sync::Arc::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    fn backend(&self) -> DbBackend {
        self.store.connection().get_database_backend()
    }

    /// Claims the oldest runnable job of one of `kinds`: queued and due, or running with an expired
    /// lease and attempts left. Jobs of organisations that already have `per_tenant_cap` running
    /// jobs are skipped, so a bulk upload of one tenant leaves room for the others.
    pub async fn claim(
        &self,
        worker_id: &str,
        kinds: &[String],
        lease: Duration,
        per_tenant_cap: Option<u32>,
    ) -> Result<Option<ClaimedJob>, QueueError> {
        Ok(self
            .claim_many(worker_id, kinds, lease, per_tenant_cap, 1)
            .await?
            .into_iter()
            .next())
    }

    /// Claims up to `max` jobs in one statement (see [`Queue::claim`]). With a per-tenant cap at
    /// most one job is claimed per call: the cap is checked per candidate row against the running
    /// jobs, which would not count the other rows of the same batch.
    ///
    /// Running jobs whose lease expired on their last attempt are declared dead (their worker was
    /// lost) when nothing was claimed, and at least once a second otherwise.
    pub async fn claim_many(
        &self,
        worker_id: &str,
        kinds: &[String],
        lease: Duration,
        per_tenant_cap: Option<u32>,
        max: usize,
    ) -> Result<Vec<ClaimedJob>, QueueError> {
        if kinds.is_empty() || max == 0 {
            return Ok(Vec::new());
        }
        let limit = if per_tenant_cap.is_some() { 1 } else { max };
        let backend = self.backend();
        let tx = self.begin_system().await?;

        // $1 lease, $2 worker, $3 limit, $4 cap (optional), then the kinds.
        let mut values: Vec<Value> = vec![
            millis(lease).into(),
            worker_id.into(),
            i64::try_from(limit).unwrap_or(1).into(),
        ];
        let cap_clause = match per_tenant_cap {
            Some(cap) => {
                values.push(i64::from(cap).into());
                " AND (SELECT COUNT(*) FROM jobs r WHERE r.org_id = j.org_id \
                 AND r.state = 'running' AND r.lease_until >= {now}) < $4"
            }
            None => "",
        };
        let first_kind = values.len() + 1;
        let kind_params: Vec<String> = (first_kind..first_kind + kinds.len())
            .map(|n| format!("${n}"))
            .collect();
        values.extend(kinds.iter().map(|k| Value::from(k.as_str())));
        let sql = with_now(
            backend,
            &format!(
                "UPDATE jobs SET state = 'running', fence = fence + 1, attempts = attempts + 1, \
                 lease_until = {{now}} + $1, worker_id = $2, heartbeat_at = {{now}}, \
                 updated_at = {{now}}, progress_stage = NULL, progress_pct = NULL \
                 WHERE id IN (SELECT j.id FROM jobs j \
                 WHERE ((j.state = 'queued' AND j.run_at <= {{now}}) \
                 OR (j.state = 'running' AND j.lease_until < {{now}} AND j.attempts < j.max_attempts)) \
                 AND j.kind IN ({kinds}){cap} \
                 ORDER BY j.run_at, j.id LIMIT $3{lock}) \
                 RETURNING id, org_id, kind, payload, attempts, max_attempts, fence, trace_context, run_at",
                kinds = kind_params.join(", "),
                cap = cap_clause,
                lock = skip_locked(backend),
            ),
        );
        let rows = tx
            .conn()
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        if rows.is_empty() || self.sweep_due() {
            tx.conn()
                .execute_raw(Statement::from_string(
                    backend,
                    with_now(
                        backend,
                        &format!(
                            "UPDATE jobs SET state = 'dead', lease_until = NULL, \
                             updated_at = {{now}}, last_error = 'lease expired on the last \
                             attempt (worker ' || COALESCE(worker_id, '?') || ' lost)' \
                             WHERE id IN (SELECT id FROM jobs WHERE state = 'running' \
                             AND lease_until < {{now}} AND attempts >= max_attempts{})",
                            skip_locked(backend)
                        ),
                    ),
                ))
                .await?;
        }
        tx.commit().await?;
        let mut jobs = rows
            .iter()
            .map(|r| Ok((get_int(r, "run_at")?, claimed_from_row(r)?)))
            .collect::<Result<Vec<_>, QueueError>>()?;
        // RETURNING order is unspecified; hand jobs out oldest first.
        jobs.sort_by_key(|(run_at, job)| (*run_at, job.id));
        Ok(jobs.into_iter().map(|(_, job)| job).collect())
    }

    fn sweep_due(&self) -> bool {
        let Ok(mut last) = self.last_sweep.lock() else {
            return true;
        };
        let due = last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if due {
            *last = Some(std::time::Instant::now());
        }
        due
    }

    /// Extends the lease and records progress, only while `job.fence` is current.
    pub async fn heartbeat(
        &self,
        job: &ClaimedJob,
        lease: Duration,
        progress: Option<(&str, u8)>,
    ) -> Result<(), QueueError> {
        let backend = self.backend();
        let (stage, pct) = match progress {
            Some((stage, pct)) => (Some(stage.to_owned()), Some(i32::from(pct.min(100)))),
            None => (None, None),
        };
        let sql = with_now(
            backend,
            "UPDATE jobs SET lease_until = {now} + $1, heartbeat_at = {now}, updated_at = {now}, \
             progress_stage = COALESCE($4, progress_stage), progress_pct = COALESCE($5, progress_pct) \
             WHERE id = $2 AND fence = $3 AND state = 'running'",
        );
        let tx = self.begin_system().await?;
        let res = tx
            .conn()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    millis(lease).into(),
                    job.id.as_uuid().into(),
                    job.fence.into(),
                    stage.into(),
                    pct.into(),
                ],
            ))
            .await?;
        if res.rows_affected() == 0 {
            return Err(QueueError::StaleLease(job.id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks the job done under its fence and returns the still-open transaction, in which the caller
    /// writes the job's result before [`Completion::commit`]. Dropping the completion rolls both back.
    pub async fn begin_completion(&self, job: &ClaimedJob) -> Result<Completion, QueueError> {
        let backend = self.backend();
        let scope = scope_for(&Principal::Worker { org: job.org_id }, &self.store).await?;
        let tx = self.store.begin(&scope, Mode::Write).await?;
        // Only the system scope may move jobs between states (row-level security). Switch it on
        // for the fenced UPDATE alone, so the handler's result write runs in the tenant scope.
        set_system(&tx, backend, true).await?;
        let res = tx
            .conn()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                with_now(
                    backend,
                    "UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = {now}, \
                     progress_pct = 100, last_error = NULL \
                     WHERE id = $1 AND fence = $2 AND state = 'running'",
                ),
                [job.id.as_uuid().into(), job.fence.into()],
            ))
            .await?;
        if res.rows_affected() == 0 {
            return Err(QueueError::StaleLease(job.id));
        }
        set_system(&tx, backend, false).await?;
        Ok(Completion { tx })
    }

    /// Records a failed attempt: queued again after a backoff, or dead with the reason after the last
    /// attempt (or at once when the error is permanent).
    pub async fn fail(
        &self,
        job: &ClaimedJob,
        reason: &str,
        retry: Retry,
    ) -> Result<FailOutcome, QueueError> {
        let reason: String = reason.chars().take(MAX_ERROR_CHARS).collect();
        let dead = retry == Retry::Never || job.attempt >= job.max_attempts;
        let (sql, values, outcome): (&str, Vec<Value>, FailOutcome) = if dead {
            (
                "UPDATE jobs SET state = 'dead', lease_until = NULL, last_error = $3, \
                 updated_at = {now} WHERE id = $1 AND fence = $2 AND state = 'running'",
                vec![job.id.as_uuid().into(), job.fence.into(), reason.into()],
                FailOutcome::Dead,
            )
        } else {
            let after_ms = millis(self.backoff.delay(job.attempt, &mut fastrand::Rng::new()));
            (
                "UPDATE jobs SET state = 'queued', lease_until = NULL, last_error = $3, \
                 run_at = {now} + $4, updated_at = {now} \
                 WHERE id = $1 AND fence = $2 AND state = 'running'",
                vec![
                    job.id.as_uuid().into(),
                    job.fence.into(),
                    reason.into(),
                    after_ms.into(),
                ],
                FailOutcome::Retrying { after_ms },
            )
        };
        self.fenced_write(job, sql, values).await?;
        Ok(outcome)
    }

    /// Gives the job back without counting the attempt (graceful shutdown). The fence moves on, so
    /// anything the releasing worker still tries to write for it is rejected.
    pub async fn release(&self, job: &ClaimedJob) -> Result<(), QueueError> {
        self.fenced_write(
            job,
            "UPDATE jobs SET state = 'queued', attempts = attempts - 1, fence = fence + 1, \
             lease_until = NULL, run_at = {now}, updated_at = {now} \
             WHERE id = $1 AND fence = $2 AND state = 'running'",
            vec![job.id.as_uuid().into(), job.fence.into()],
        )
        .await
    }

    async fn fenced_write(
        &self,
        job: &ClaimedJob,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<(), QueueError> {
        let backend = self.backend();
        let tx = self.begin_system().await?;
        let res = tx
            .conn()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                with_now(backend, sql),
                values,
            ))
            .await?;
        if res.rows_affected() == 0 {
            return Err(QueueError::StaleLease(job.id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// One job, unfiltered by tenant: for operators, the pool's own bookkeeping and tests.
    pub async fn job(&self, id: JobId) -> Result<Option<JobRow>, QueueError> {
        let backend = self.backend();
        let tx = self.begin_system().await?;
        let row = tx
            .conn()
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"),
                [id.as_uuid().into()],
            ))
            .await?;
        tx.commit().await?;
        row.map(|r| job_from_row(&r)).transpose()
    }

    /// Every job, oldest first (system view; for tests and operator tools on small queues).
    pub async fn all_jobs(&self) -> Result<Vec<JobRow>, QueueError> {
        let backend = self.backend();
        let tx = self.begin_system().await?;
        let rows = tx
            .conn()
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY created_at, id"),
            ))
            .await?;
        tx.commit().await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Jobs per state across every tenant (system view; sampled for the `taisho_queue_depth` gauge).
    pub async fn counts_by_state(&self) -> Result<Vec<(JobState, u64)>, QueueError> {
        self.counts(Statement::from_string(
            self.backend(),
            "SELECT state, count(*) AS n FROM jobs GROUP BY state",
        ))
        .await
    }

    /// Jobs of `kind` per state across every tenant (system view; for progress logs and
    /// operators).
    pub async fn counts_of_kind(&self, kind: &str) -> Result<Vec<(JobState, u64)>, QueueError> {
        self.counts(Statement::from_sql_and_values(
            self.backend(),
            "SELECT state, count(*) AS n FROM jobs WHERE kind = $1 GROUP BY state",
            [kind.into()],
        ))
        .await
    }

    /// Runs a `state, n` count query in a read transaction of the system scope.
    async fn counts(&self, query: Statement) -> Result<Vec<(JobState, u64)>, QueueError> {
        let tx = self.store.begin_system(Mode::Read).await?;
        let rows = tx.conn().query_all_raw(query).await?;
        tx.rollback().await?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in rows {
            let state: String = row.try_get("", "state")?;
            let n: i64 = row.try_get("", "n")?;
            if let Some(state) = JobState::parse(&state) {
                counts.push((state, u64::try_from(n).unwrap_or(0)));
            }
        }
        Ok(counts)
    }

    /// A write transaction in the system scope (the store takes the SQLite write lock at BEGIN:
    /// a deferred transaction that upgrades later can fail with SQLITE_BUSY without waiting).
    async fn begin_system(&self) -> Result<Tx, QueueError> {
        Ok(self.store.begin_system(Mode::Write).await?)
    }
}

/// The job of `org` with `unique_key`, read in the caller's tenant transaction (row-level security
/// lets readers of `org` see its jobs). `None` when there is none or the scope cannot read `org`.
pub async fn find_by_key(
    tx: &Tx,
    org: OrgId,
    unique_key: &str,
) -> Result<Option<JobRow>, QueueError> {
    if !tx.scope().can_read(org) {
        return Ok(None);
    }
    let backend = tx.conn().get_database_backend();
    let row = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE org_id = $1 AND unique_key = $2"),
            [org.as_uuid().into(), unique_key.into()],
        ))
        .await?;
    row.map(|r| job_from_row(&r)).transpose()
}

/// The open transaction of a fenced completion. The job is already `done` inside it; the transaction
/// is scoped to the job's organisation (as `Principal::Worker`), so the result is written through the
/// store's tenant functions like any other tenant write.
pub struct Completion {
    tx: Tx,
}

impl Completion {
    /// Where the handler writes its result (same transaction as the completion).
    pub fn tx(&self) -> &Tx {
        &self.tx
    }

    pub async fn commit(self) -> Result<(), QueueError> {
        self.tx.commit().await?;
        Ok(())
    }
}

async fn set_system(tx: &Tx, backend: DbBackend, on: bool) -> Result<(), QueueError> {
    if backend == DbBackend::Postgres {
        tx.conn()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT set_config('taisho.system', $1, true)",
                [if on { "on" } else { "off" }.into()],
            ))
            .await?;
    }
    Ok(())
}

const JOB_COLUMNS: &str = "id, org_id, kind, unique_key, state, attempts, max_attempts, fence, \
     run_at, lease_until, worker_id, progress_stage, progress_pct, last_error, updated_at";

fn with_now(backend: DbBackend, sql: &str) -> String {
    let now = match backend {
        DbBackend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
        // clock_timestamp, not now(): now() is frozen at transaction start, and a lease must be
        // measured from the moment of the write.
        _ => "(floor(extract(epoch from clock_timestamp()) * 1000))::bigint",
    };
    sql.replace("{now}", now)
}

fn skip_locked(backend: DbBackend) -> &'static str {
    match backend {
        // SQLite has no row locks: BEGIN IMMEDIATE already serialises writers.
        DbBackend::Sqlite => "",
        _ => " FOR UPDATE SKIP LOCKED",
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn to_u32(v: i64, what: &str) -> Result<u32, QueueError> {
    u32::try_from(v).map_err(|_| QueueError::Corrupt(format!("{what} out of range: {v}")))
}

/// Integer columns come back as i32 on PostgreSQL `integer` and i64 on SQLite; accept both.
fn get_int(row: &QueryResult, col: &str) -> Result<i64, QueueError> {
    match row.try_get::<i64>("", col) {
        Ok(v) => Ok(v),
        Err(_) => Ok(i64::from(row.try_get::<i32>("", col)?)),
    }
}

fn get_opt_int(row: &QueryResult, col: &str) -> Result<Option<i64>, QueueError> {
    match row.try_get::<Option<i64>>("", col) {
        Ok(v) => Ok(v),
        Err(_) => Ok(row.try_get::<Option<i32>>("", col)?.map(i64::from)),
    }
}

fn claimed_from_row(row: &QueryResult) -> Result<ClaimedJob, QueueError> {
    Ok(ClaimedJob {
        id: JobId::from_uuid(row.try_get::<Uuid>("", "id")?),
        org_id: OrgId::from_uuid(row.try_get::<Uuid>("", "org_id")?),
        kind: row.try_get("", "kind")?,
        payload: row.try_get("", "payload")?,
        attempt: to_u32(get_int(row, "attempts")?, "attempts")?,
        max_attempts: to_u32(get_int(row, "max_attempts")?, "max_attempts")?,
        fence: get_int(row, "fence")?,
        trace_context: row.try_get("", "trace_context")?,
    })
}

fn job_from_row(row: &QueryResult) -> Result<JobRow, QueueError> {
    let state: String = row.try_get("", "state")?;
    Ok(JobRow {
        id: JobId::from_uuid(row.try_get::<Uuid>("", "id")?),
        org_id: OrgId::from_uuid(row.try_get::<Uuid>("", "org_id")?),
        kind: row.try_get("", "kind")?,
        unique_key: row.try_get("", "unique_key")?,
        state: JobState::parse(&state)
            .ok_or_else(|| QueueError::Corrupt(format!("unknown state {state:?}")))?,
        attempts: to_u32(get_int(row, "attempts")?, "attempts")?,
        max_attempts: to_u32(get_int(row, "max_attempts")?, "max_attempts")?,
        fence: get_int(row, "fence")?,
        run_at_ms: get_int(row, "run_at")?,
        lease_until_ms: get_opt_int(row, "lease_until")?,
        worker_id: row.try_get("", "worker_id")?,
        progress_stage: row.try_get("", "progress_stage")?,
        progress_pct: get_opt_int(row, "progress_pct")?
            .map(|p| u8::try_from(p.clamp(0, 100)).unwrap_or(100)),
        last_error: row.try_get("", "last_error")?,
        updated_at_ms: get_int(row, "updated_at")?,
    })
}
