//! Wiring: the store (embedded SQLite or PostgreSQL), the analysis handler and the worker pool.
//!
//! Embedded mode (`Store::open_embedded`) creates and migrates `<data>/taisho.sqlite` on first
//! start. With a database URL (production) the schema must already be migrated by `taisho migrate`
//! (run as the owner role): the runtime role may not run DDL, and a half-migrated schema must never
//! serve.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use taisho_engine::Limits;
use taisho_guideline::EditionId;
pub use taisho_store::{Backend, Store, StoreOptions};
use taisho_worker::{Handlers, JobState, PoolConfig, Queue, ShutdownReport, WorkerPool};

use crate::engine::{ANALYSIS_JOB, AnalysisHandler, Engine};
use crate::error::{AppError, Result};

/// Where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// `<dir>/taisho.sqlite`, created and migrated on first start.
    Embedded(PathBuf),
    /// A PostgreSQL (or SQLite) URL whose schema `taisho migrate` brought up to date.
    Url(String),
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Embedded(dir) => f.debug_tuple("Embedded").field(dir).finish(),
            // A URL may carry a password.
            StoreLocation::Url(url) => f.debug_tuple("Url").field(&redact_url(url)).finish(),
        }
    }
}

/// `url` with any password replaced by `***`, for logs and Debug output.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Opens the store: embedded mode migrates, a URL must be migrated already (the error names the
/// pending migrations and `taisho migrate`).
pub async fn open_store(location: &StoreLocation, options: &StoreOptions) -> Result<Store> {
    match location {
        StoreLocation::Embedded(dir) => Ok(Store::open_embedded(dir).await?),
        StoreLocation::Url(url) => {
            let store = Store::connect_with(url, options).await?;
            store.ensure_migrated().await?;
            Ok(store)
        }
    }
}

/// Settings of the analysis workers.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub pool: PoolConfig,
    /// Bounds of one analysis (a deadline miss is retried with backoff).
    pub limits: Limits,
    /// Editions whose model is prepared before the pool starts (others on first use).
    pub warm: Vec<EditionId>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            pool: PoolConfig::default(),
            limits: Limits::default(),
            warm: vec![EditionId::DEFAULT],
        }
    }
}

/// Builds the engine with `factory` (the binary's: it loads the tokenizer's dictionary) and
/// prepares the models of `warm`, on a blocking thread.
pub async fn load_engine<F>(factory: F, warm: &[EditionId]) -> Result<Arc<Engine>>
where
    F: FnOnce() -> Result<Arc<Engine>> + Send + 'static,
{
    let engine = tokio::task::spawn_blocking(factory)
        .await
        .map_err(|e| AppError::Unavailable(format!("loading the engine: {e}")))??;
    warm_engine(&engine, warm).await?;
    Ok(engine)
}

/// Prepares the models of `warm` (each once per engine) on a blocking thread.
pub async fn warm_engine(engine: &Arc<Engine>, warm: &[EditionId]) -> Result<()> {
    let engine = Arc::clone(engine);
    let warm = warm.to_vec();
    tokio::task::spawn_blocking(move || {
        for edition in warm {
            engine.model(edition)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| AppError::Unavailable(format!("loading the engine: {e}")))?
}

/// A running worker pool with the analysis handler.
pub struct Workers {
    store: Store,
    pool: WorkerPool,
}

impl Workers {
    /// Starts the pool on the current (multi-threaded) tokio runtime, with `engine` (its models of
    /// `config.warm` prepared first).
    pub async fn start(store: Store, engine: Arc<Engine>, config: WorkerConfig) -> Result<Workers> {
        warm_engine(&engine, &config.warm).await?;
        let handler = AnalysisHandler::new(store.clone(), engine, config.limits)?;
        let pool = WorkerPool::start(
            Queue::new(store.clone()),
            Handlers::new().with(ANALYSIS_JOB, handler),
            config.pool,
        );
        Ok(Workers { store, pool })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn pool(&self) -> &WorkerPool {
        &self.pool
    }

    /// Stops claiming, lets running jobs finish for `grace`, then releases the rest to the queue.
    pub async fn shutdown(self, grace: Duration) -> ShutdownReport {
        self.pool.shutdown(grace).await
    }
}

/// Jobs per state (system view, for progress logs and operators).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: usize,
    pub running: usize,
    pub done: usize,
    pub dead: usize,
}

impl JobCounts {
    pub fn pending(&self) -> usize {
        self.queued + self.running
    }
}

/// Counts the analysis jobs by state (one aggregate query in the system scope).
pub async fn job_counts(store: &Store) -> Result<JobCounts> {
    let counts = Queue::new(store.clone())
        .counts_of_kind(ANALYSIS_JOB)
        .await?;
    let mut c = JobCounts::default();
    for (state, n) in counts {
        let n = usize::try_from(n).unwrap_or(0);
        match state {
            JobState::Queued => c.queued += n,
            JobState::Running => c.running += n,
            JobState::Done => c.done += n,
            JobState::Dead => c.dead += n,
        }
    }
    Ok(c)
}

/// Applies the pending migrations to the database at `url` (on PostgreSQL the URL must be the
/// owner role's: the runtime role may not run DDL).
pub async fn migrate(url: &str) -> Result<()> {
    Ok(taisho_store::migrate(url).await?)
}

/// Names of the migrations the database at `url` has not applied yet.
pub async fn pending_migrations(url: &str) -> Result<Vec<String>> {
    Ok(taisho_store::pending_migrations(url).await?)
}

/// The store's backend name, for logs.
pub fn backend_name(store: &Store) -> &'static str {
    match store.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}
