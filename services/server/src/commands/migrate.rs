//! `taisho migrate`: applies pending database migrations.

use anyhow::Context;
use taisho_app::runtime::{self, StoreLocation, StoreOptions, redact_url};

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
