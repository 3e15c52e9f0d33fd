//! `taisho work` (standalone analysis workers against PostgreSQL: any number of machines run it to
//! scale out) and `taisho migrate`.

use anyhow::{Context, bail};
use taisho_app::runtime::{self, StoreLocation, StoreOptions, Workers, redact_url};

use crate::config::Config;
use crate::serve::{
    GRACE_WORK, log, open_store, report_progress, shutdown_signal, tokio_runtime, worker_config,
};

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
        let engine = runtime::load_engine(crate::serve::engine, &[]).await?;
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

/// Applies pending migrations: on PostgreSQL with the given URL, which must be the owner role's
/// (`taisho_owner` or an admin), never the runtime role; in the embedded mode to the data
/// directory's SQLite file.
pub fn migrate(config: &Config) -> anyhow::Result<()> {
    tokio_runtime()?.block_on(async {
        match &config.store {
            StoreLocation::Url(url) => {
                let pending = runtime::pending_migrations(url)
                    .await
                    .with_context(|| format!("reading migrations of {}", redact_url(url)))?;
                if pending.is_empty() {
                    log(format_args!("{}: schema up to date", redact_url(url)));
                    return Ok(());
                }
                runtime::migrate(url)
                    .await
                    .with_context(|| format!("migrating {}", redact_url(url)))?;
                log(format_args!(
                    "{}: applied {}",
                    redact_url(url),
                    pending.join(", ")
                ));
            }
            location @ StoreLocation::Embedded(dir) => {
                let store = runtime::open_store(location, &StoreOptions::default()).await?;
                store.close().await?;
                log(format_args!(
                    "{}: schema up to date",
                    dir.join("taisho.sqlite").display()
                ));
            }
        }
        Ok(())
    })
}
