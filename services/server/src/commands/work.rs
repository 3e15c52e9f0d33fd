//! `taisho work`: standalone analysis workers against PostgreSQL (any number of machines run it to
//! scale out).

use std::time::Duration;

use anyhow::bail;
use taisho_app::runtime::Workers;

use crate::config::{Config, StoreFlags};
use crate::runtime::{
    log, open_store, report_progress, shutdown_signal, tokio_runtime, worker_config,
};

/// Standalone workers get longer: a rolling deploy should rarely waste an analysis.
pub const GRACE_WORK: Duration = Duration::from_secs(60);

pub fn work(config: &Config) -> anyhow::Result<()> {
    if config.embedded() {
        bail!(
            "taisho work needs a shared database: pass --database-url or set TAISHO_DATABASE_URL \
             (the embedded mode runs its workers inside `taisho serve`)"
        );
    }
    tokio_runtime()?.block_on(async {
        let store = open_store(config).await?;
        let wc = worker_config(config);
        log(format_args!(
            "worker {}: {} threads, loading the {} model",
            wc.pool.worker_id, wc.pool.threads, config.edition
        ));
        let engine = taisho_app::runtime::load_engine(crate::runtime::engine, &[]).await?;
        let workers = Workers::start(store.clone(), engine, wc).await?;
        let progress = tokio::spawn(report_progress(store.clone()));
        log("working; Ctrl-C or SIGTERM stops");
        shutdown_signal().await;
        progress.abort();
        let report = workers.shutdown(GRACE_WORK).await;
        log(format_args!(
            "stopped: {} finished, {} released to the queue",
            report.finished, report.released
        ));
        store.close().await?;
        Ok(())
    })
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreFlags,
    /// Analysis worker threads (default: cores). Env: TAISHO_WORKER_THREADS.
    #[arg(long)]
    threads: Option<usize>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    work(&Config::from_env(&args.store, args.threads)?)
}
