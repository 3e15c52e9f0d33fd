//! `taisho demo`: the engine on the seed policies, as `infra/dev run` shows it: their structure,
//! and a 新旧対照表 between the model-like 004 and the older 000 written to `--out`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use taisho_engine::Limits;

use super::diff::{compare_files, title};
use crate::input::read_file;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the demo data lives (the seed policies): the repository's `testdata/` (the same
    /// layout as `../shared`).
    #[arg(long, default_value = "testdata")]
    shared: PathBuf,
    #[arg(long, default_value = ".data")]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    demo(&args.shared, &args.out, &Limits::default())
}

fn demo(shared: &Path, out: &Path, limits: &Limits) -> anyhow::Result<()> {
    let seeds = shared.join("seeds");
    let mut files: Vec<_> = std::fs::read_dir(&seeds)
        .with_context(|| format!("デモ用データ {} が見つかりません", seeds.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    std::fs::create_dir_all(out).with_context(|| format!("{} を作成できません", out.display()))?;
    for f in &files {
        let doc = read_file(f, limits)?;
        let sections = doc.root().children.len();
        println!(
            "{}: {} 節, {} 文, 除去 {} 箇所",
            title(f),
            sections,
            doc.sentences.len(),
            doc.artefacts.len()
        );
    }
    let old = files.iter().find(|p| title(p).starts_with("004"));
    let new = files.iter().find(|p| title(p).starts_with("000"));
    if let (Some(old), Some(new)) = (old, new) {
        let d = compare_files(old, new, limits)?;
        let html = out.join("shinkyu-004-000.html");
        std::fs::write(
            &html,
            taisho_web::diff_table_page(&d, &title(old), &title(new))?,
        )?;
        println!("新旧対照表: {}", html.display());
    }
    Ok(())
}
