//! `taisho diff OLD NEW`: two versions of a policy compared, as the morpheme diff (text or JSON)
//! or the 新旧対照表 (HTML).

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use taisho_engine::Limits;
use taisho_engine::diff::{self, DocDiff};

use crate::input::read_tokenised;

#[derive(Debug, clap::Args)]
pub struct Args {
    old: PathBuf,
    new: PathBuf,
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DiffFormat {
    Json,
    Text,
    Html,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (old, new) = (&args.old, &args.new);
    let d = compare_files(old, new, &Limits::default())?;
    match args.format {
        DiffFormat::Json => println!("{}", serde_json::to_string_pretty(&d)?),
        DiffFormat::Text => print!("{}", d.to_text()),
        DiffFormat::Html => print!(
            "{}",
            taisho_web::diff_table_page(&d, &title(old), &title(new))?
        ),
    }
    Ok(())
}

/// The diff of two files.
pub(super) fn compare_files(old: &Path, new: &Path, limits: &Limits) -> anyhow::Result<DocDiff> {
    let old = read_tokenised(old, limits)?;
    let new = read_tokenised(new, limits)?;
    Ok(diff::compare(
        (&old.document, &old.tokens),
        (&new.document, &new.tokens),
        limits,
    ))
}

/// A document's name in the table: its file name.
pub(super) fn title(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
