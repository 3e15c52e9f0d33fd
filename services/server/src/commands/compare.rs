//! `taisho compare FILE…|DIR`: the bodies × items matrix of statuses, and which bodies share
//! whose text (computed by [`taisho_engine::comparison`]), as JSON, CSV or a Japanese HTML page.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use taisho_engine::Limits;
use taisho_engine::comparison::{Comparison, Entry, Shingles};
use taisho_engine::pipeline::Pipeline;

use crate::input::{hint, read_bytes};
use crate::runtime::prepare;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files, or directories of them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long)]
    edition: Option<String>,
    #[arg(long, value_enum, default_value_t = CompareFormat::Json)]
    format: CompareFormat,
}

/// Output of `taisho compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CompareFormat {
    Json,
    Csv,
    Html,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let limits = Limits::default();
    let files = collect(&args.paths)?;
    let (tokenizer, model) = prepare(args.edition.as_deref())?;
    let pipeline = Pipeline::new(tokenizer.as_ref(), &limits);
    let mut entries = Vec::with_capacity(files.len());
    for f in &files {
        let bytes = read_bytes(f, &limits)?;
        let analysed = pipeline
            .analyse(&bytes, hint(f), &model)
            .with_context(|| f.display().to_string())?;
        entries.push(Entry {
            name: body_name(f),
            source: f.display().to_string(),
            shingles: Shingles::of(&analysed.tokens),
            analysis: analysed.analysis,
        });
    }
    let Some(comparison) = Comparison::of(entries) else {
        bail!("比較する文書がありません");
    };
    match args.format {
        CompareFormat::Json => println!("{}", serde_json::to_string_pretty(&comparison)?),
        CompareFormat::Csv => print!("{}", render_csv(&comparison)),
        CompareFormat::Html => print!("{}", taisho_web::comparison_page(&comparison)?),
    }
    Ok(())
}

/// Files named on the command line; a directory stands for its regular, non-hidden files.
fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("{} を読めません", p.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| {
                    f.is_file()
                        && !f
                            .file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with('.') || n.ends_with(".md"))
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    if out.len() < 2 {
        bail!("比較には2つ以上の文書が必要です");
    }
    Ok(out)
}

fn body_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or("document")
        .to_owned()
}

/// RFC 4180 quoting where needed.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Two tables separated by a blank line: the matrix, then the pairwise similarity.
fn render_csv(c: &Comparison) -> String {
    let mut out = String::new();
    let mut header = vec!["item".to_owned(), "title".to_owned()];
    header.extend(c.bodies.iter().map(|b| csv_field(&b.name)));
    out.push_str(&header.join(","));
    out.push('\n');
    for row in &c.matrix {
        let mut cells = vec![csv_field(&row.item), csv_field(&row.title)];
        cells.extend(row.statuses.iter().map(|s| s.as_str().to_owned()));
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str("a,b,jaccard,a_in_b,b_in_a\n");
    for p in &c.similarity {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            csv_field(&p.a),
            csv_field(&p.b),
            p.jaccard,
            p.a_in_b,
            p.b_in_a
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_with_commas_are_quoted() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("\"x\",y"), "\"\"\"x\"\",y\"");
    }
}
