//! The runtime the commands share: the async runtime, the store as configured, the worker pool's
//! settings, signals, progress logs, and the one place that wires the IPADIC tokenizer
//! (`taisho-japanese`) into the engine, for the service ([`engine`]) and the offline commands
//! ([`prepare`]).

use std::time::{Duration, Instant};

use anyhow::Context;
use taisho_app::runtime::{self, Store, StoreLocation, StoreOptions, WorkerConfig, job_counts};
use taisho_engine::analysis::PreparedModel;
use taisho_guideline::{Catalog, EditionId};
use taisho_worker::PoolConfig;

use crate::config::Config;

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

/// The process-wide analysis engine over the IPADIC tokenizer: the binary is the one place that
/// wires `taisho-japanese` in. Blocking (the dictionary loads on first call).
pub fn engine() -> taisho_app::Result<std::sync::Arc<taisho_app::engine::Engine>> {
    use std::sync::{Arc, OnceLock};
    use taisho_app::engine::Engine;
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

/// The IPADIC tokenizer, shared by the process.
pub type JapaneseTokenizerRef = std::sync::Arc<taisho_japanese::JapaneseTokenizer>;

/// The tokenizer alone (`taisho tokens`, `taisho diff`): the dictionary loads on first call.
pub fn tokenizer() -> anyhow::Result<JapaneseTokenizerRef> {
    Ok(taisho_japanese::JapaneseTokenizer::shared()?)
}

/// The model edition named on the command line (`--edition`), or the default.
pub fn edition(arg: Option<&str>) -> anyhow::Result<EditionId> {
    match arg {
        None => Ok(EditionId::DEFAULT),
        Some(s) => s
            .parse::<EditionId>()
            .with_context(|| format!("版 `{s}` を解釈できません")),
    }
}

/// Loads the catalog and the tokenizer and prepares the model (once per process): what the
/// offline commands analyse with.
pub fn prepare(edition_arg: Option<&str>) -> anyhow::Result<(JapaneseTokenizerRef, PreparedModel)> {
    let catalog = Catalog::builtin(edition(edition_arg)?).context("モデルを読み込めません")?;
    let tokenizer =
        taisho_japanese::JapaneseTokenizer::shared().context("形態素解析辞書を用意できません")?;
    let model = PreparedModel::new(&catalog, tokenizer.as_ref())?;
    Ok((tokenizer, model))
}
