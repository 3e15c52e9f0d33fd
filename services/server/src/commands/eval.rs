//! `taisho eval LABELS.tsv`: scores the analysis against a label file; fails (non-zero exit)
//! below the accuracy targets.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use taisho_engine::{Limits, Tokenizer};

use crate::runtime::prepare;

#[derive(Debug, clap::Args)]
pub struct Args {
    labels: PathBuf,
    #[arg(long)]
    edition: Option<String>,
    /// List every row that is not right.
    #[arg(long)]
    verbose: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let labels = &args.labels;
    let limits = Limits::default();
    let tsv = std::fs::read_to_string(labels)
        .with_context(|| format!("{} を読めません", labels.display()))?;
    let (tokenizer, model) = prepare(args.edition.as_deref())?;
    let dir = labels.parent().unwrap_or(Path::new(".")).to_path_buf();
    let report = taisho_eval::run(
        &tsv,
        |seed| load_seed(&dir, seed),
        tokenizer.as_ref() as &dyn Tokenizer,
        &model,
        &limits,
    )?;
    print!("{}", report.to_text(args.verbose));
    if !report.passed() {
        bail!("評価目標に届いていません");
    }
    Ok(())
}

/// Finds a seed named in a label file: beside it, or in `../seeds` / `seeds`.
fn seed_path(dir: &Path, seed: &str) -> Option<PathBuf> {
    if seed.contains("..") || Path::new(seed).is_absolute() {
        return None;
    }
    [
        dir.join(seed),
        dir.join("../seeds").join(seed),
        dir.join("seeds").join(seed),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn load_seed(dir: &Path, seed: &str) -> Result<Vec<u8>, String> {
    let path = seed_path(dir, seed).ok_or_else(|| format!("{seed} が見つかりません"))?;
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}
