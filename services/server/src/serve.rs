//! `taisho serve`: the store, the analysis worker pool and (in the embedded mode) the demo data, until
//! Ctrl-C or SIGTERM. No HTTP yet: the GraphQL server comes with the next issue.

use std::time::{Duration, Instant};

use anyhow::Context;
use taisho_app::accounts::{PasswordConfig, PasswordHasher};
use taisho_app::runtime::{self, StoreLocation, WorkerConfig, Workers, job_counts};
use taisho_app::{demo, import};
use taisho_store::{Store, StoreOptions};
use taisho_worker::PoolConfig;

use crate::config::Config;

/// How long running analyses may finish after a shutdown signal before they are released to the
/// queue (another worker, or the next start, picks them up).
const GRACE: Duration = Duration::from_secs(20);
/// Standalone workers get longer: a rolling deploy should rarely waste an analysis.
pub const GRACE_WORK: Duration = Duration::from_secs(60);

/// A multi-threaded runtime: the analysis handler blocks pool threads on it to load versions.
pub fn tokio_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("taisho-async")
        .build()
        .context("starting the async runtime")
}

pub fn log(msg: impl std::fmt::Display) {
    eprintln!("taisho: {msg}");
}

/// Opens the store the configuration names, saying which.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = runtime::open_store(&config.store, &StoreOptions::default()).await?;
    match &config.store {
        StoreLocation::Embedded(dir) => log(format_args!(
            "store: embedded SQLite {} (migrated)",
            dir.join("taisho.sqlite").display()
        )),
        StoreLocation::Url(url) => log(format_args!(
            "store: {} {} (schema up to date)",
            runtime::backend_name(&store),
            runtime::redact_url(url)
        )),
    }
    Ok(store)
}

pub fn worker_config(config: &Config) -> WorkerConfig {
    let mut pool = PoolConfig::default();
    if let Some(n) = config.threads {
        pool.threads = n;
        pool.per_tenant_cap = Some(u32::try_from(n.div_ceil(2)).unwrap_or(1).max(1));
    }
    WorkerConfig {
        pool,
        warm: vec![config.edition],
        ..WorkerConfig::default()
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Logs queue progress every few seconds while analyses are pending, until `stop`.
pub async fn report_progress(store: Store) {
    let mut last = None;
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let Ok(c) = job_counts(&store).await else {
            continue;
        };
        // Only changes are logged: an idle service stays quiet.
        if last != Some(c) && c != runtime::JobCounts::default() {
            log(format_args!(
                "analyses: {} done, {} running, {} queued, {} dead ({:.0} s)",
                c.done,
                c.running,
                c.queued,
                c.dead,
                started.elapsed().as_secs_f64()
            ));
        }
        last = Some(c);
    }
}

pub fn serve(config: &Config) -> anyhow::Result<()> {
    tokio_runtime()?.block_on(async {
        let store = open_store(config).await?;
        // Checked now so a bad secret fails at start; the HTTP layer (next issue) issues keys with it.
        let keys = config
            .key_secret
            .as_ref()
            .map(|s| taisho_app::keys::KeyConfig::new(s.expose().as_bytes()))
            .transpose()?;
        if keys.is_none() {
            log("TAISHO_KEY_SECRET not set: API keys cannot be issued or checked");
        }
        log(format_args!(
            "loading the dictionary and the {} model",
            config.edition
        ));
        let workers = Workers::start(store.clone(), worker_config(config)).await?;
        log(format_args!(
            "worker pool: {} threads",
            worker_config(config).pool.threads
        ));
        if config.embedded() {
            seed_demo(&store, config).await?;
        }
        let progress = tokio::spawn(report_progress(store.clone()));
        log("running; Ctrl-C or SIGTERM stops");
        shutdown_signal().await;
        progress.abort();
        log(format_args!(
            "stopping: running analyses get {} s to finish",
            GRACE.as_secs()
        ));
        let report = workers.shutdown(GRACE).await;
        log(format_args!(
            "stopped: {} finished, {} released to the queue",
            report.finished, report.released
        ));
        store.close().await?;
        Ok(())
    })
}

async fn seed_demo(store: &Store, config: &Config) -> anyhow::Result<()> {
    let hasher = PasswordHasher::new(&PasswordConfig::default())?;
    let d = demo::ensure(store, &hasher, config.edition)
        .await
        .context("creating the demo data")?;
    if d.created {
        log(format_args!(
            "demo data created: {} with {} member bodies, {} policies queued for analysis",
            demo::PREFECTURE,
            d.members.len(),
            d.uploads.iter().filter(|(_, u)| u.job_created).count()
        ));
        // Shown once, on stdout: only the hashes are stored.
        println!("Demo sign-ins (shown once; store them now):");
        for s in &d.sign_ins {
            println!("  {:<28} {}  password: {}", s.role, s.email, s.password);
        }
    } else {
        log(format_args!(
            "demo data present ({}, {} member bodies)",
            demo::PREFECTURE,
            d.members.len()
        ));
    }
    Ok(())
}

/// `taisho import --org ORG FILE…|DIR`: one line per file; an error if any failed.
pub fn import(config: &Config, org: &str, paths: &[std::path::PathBuf]) -> anyhow::Result<()> {
    tokio_runtime()?.block_on(async {
        let store = open_store(config).await?;
        let org_id = import::resolve_org(&store, org).await?;
        let files = import::collect_files(paths).context("listing the files")?;
        if files.is_empty() {
            anyhow::bail!("no files to import");
        }
        let outcomes = import::import_files(&store, org_id, &files, config.edition, |i| {
            println!("{}", i.line());
        })
        .await?;
        let failed = outcomes
            .iter()
            .filter(|o| matches!(o.outcome, import::Outcome::Failed(_)))
            .count();
        let new = outcomes
            .iter()
            .filter(|o| matches!(o.outcome, import::Outcome::New(_)))
            .count();
        log(format_args!(
            "{} files: {new} new versions, {} unchanged, {failed} failed; analyses run in `taisho serve` or `taisho work`",
            outcomes.len(),
            outcomes.len() - new - failed
        ));
        store.close().await?;
        if failed > 0 {
            anyhow::bail!("{failed} of {} files failed", outcomes.len());
        }
        Ok(())
    })
}
