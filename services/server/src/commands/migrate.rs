//! `taisho migrate`: applies pending database migrations.

use anyhow::Context;
use taisho_app::runtime::{StoreLocation, redact_url};
use taisho_store::Store;

use crate::config::{Config, StoreFlags};
use crate::runtime::{log, tokio_runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreFlags,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    migrate(&Config::from_env(&args.store, None)?)
}

/// Applies pending migrations: on PostgreSQL with the given URL, which must be the owner role's
/// (`taisho_owner` or an admin), never the runtime role; in the embedded mode to the data
/// directory's SQLite file.
fn migrate(config: &Config) -> anyhow::Result<()> {
    tokio_runtime()?.block_on(async {
        match &config.store {
            StoreLocation::Url(url) => {
                let pending = taisho_store::pending_migrations(url)
                    .await
                    .with_context(|| format!("reading migrations of {}", redact_url(url)))?;
                if pending.is_empty() {
                    log(format_args!("{}: schema up to date", redact_url(url)));
                    return Ok(());
                }
                taisho_store::migrate(url)
                    .await
                    .with_context(|| format!("migrating {}", redact_url(url)))?;
                log(format_args!(
                    "{}: applied {}",
                    redact_url(url),
                    pending.join(", ")
                ));
            }
            StoreLocation::Embedded(dir) => {
                let store = Store::open_embedded(dir).await?;
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
