//! `taisho serve`: the store, the analysis worker pool, the demo data (embedded mode or `--demo`)
//! and the HTTP server, until Ctrl-C or SIGTERM; and `taisho import`.

use std::time::{Duration, Instant};

use anyhow::Context;
use taisho_app::import;
use taisho_app::runtime::{self, Store, StoreLocation, StoreOptions, WorkerConfig, job_counts};
use taisho_worker::PoolConfig;

use crate::config::Config;

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
    // A request waits at most this long for a connection: when the database is down it fails as
    // UNAVAILABLE (503, Retry-After) after seconds, not half a minute.
    let options = StoreOptions {
        acquire_timeout: std::time::Duration::from_secs(5),
        ..StoreOptions::default()
    };
    let store = runtime::open_store(&config.store, &options).await?;
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
        let server = crate::service::start(config).await?;
        if let Some(d) = server.demo()
            && !d.sign_ins.is_empty()
        {
            // Shown once, on stdout: only the hashes are stored.
            println!("Demo sign-ins (shown once; store them now):");
            for s in &d.sign_ins {
                println!("  {:<28} {}  password: {}", s.role, s.email, s.password);
            }
        }
        let progress = tokio::spawn(report_progress(server.store().clone()));
        log("running; Ctrl-C or SIGTERM stops");
        shutdown_signal().await;
        progress.abort();
        log(format_args!(
            "stopping: no new requests; running analyses get {} s to finish",
            config.shutdown_grace.as_secs()
        ));
        let report = server.shutdown().await?;
        log(format_args!(
            "stopped: {} finished, {} released to the queue",
            report.finished, report.released
        ));
        Ok(())
    })
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

/// The process-wide analysis engine over the IPADIC tokenizer: the binary is the one place that
/// wires `taisho-japanese` in. Blocking (the dictionary loads on first call).
pub fn engine() -> taisho_app::Result<std::sync::Arc<taisho_app::analysis::Engine>> {
    use std::sync::{Arc, OnceLock};
    use taisho_app::analysis::Engine;
    static ENGINE: OnceLock<Result<Arc<Engine>, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            taisho_japanese::JapaneseTokenizer::shared()
                .map(|tokenizer| Arc::new(Engine::new(tokenizer)))
                .map_err(|e| format!("形態素解析辞書を用意できません: {e}"))
        })
        .clone()
        .map_err(taisho_app::AppError::Unavailable)
}
