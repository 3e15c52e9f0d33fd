//! `taisho import --org ORG FILE…|DIR`: policy files as document versions of one organisation,
//! one line per file; an error if any failed. The analyses run in `taisho serve` or `taisho work`.

use std::path::PathBuf;

use anyhow::Context;
use taisho_app::import;

use crate::config::{Config, StoreFlags};
use crate::runtime::{log, open_store, tokio_runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The organisation: its id or its exact name.
    #[arg(long)]
    org: String,
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    store: StoreFlags,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    import(
        &Config::from_env(&args.store, None)?,
        &args.org,
        &args.paths,
    )
}

fn import(config: &Config, org: &str, paths: &[PathBuf]) -> anyhow::Result<()> {
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
