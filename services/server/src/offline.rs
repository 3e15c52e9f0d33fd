//! The offline engine commands: `tokens`, `diff` and the `demo` that `infra/dev run` shows.

use std::path::Path;

use anyhow::Context;
use clap::ValueEnum;
use serde::Serialize;
use taisho_engine::diff::{self, DocDiff};
use taisho_engine::tokenize::{self, Tokens};
use taisho_engine::{Document, Limits};
use taisho_japanese::JapaneseTokenizer;

use crate::cli::read_file;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TokensFormat {
    Json,
    Tsv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFormat {
    Json,
    Text,
    Html,
}

/// One token as printed: the original surface with its offsets, and the folded key used for matching.
#[derive(Debug, Serialize)]
struct TokenView<'a> {
    surface: &'a str,
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    base: Option<&'a str>,
    pos: taisho_engine::Pos,
    sentence: u32,
    byte: [u32; 2],
    char: [u32; 2],
}

fn tokenized(path: &Path, limits: &Limits) -> anyhow::Result<(Document, Tokens)> {
    let doc = read_file(path, limits)?;
    let tokenizer = JapaneseTokenizer::shared()?;
    let toks = tokenize::tokenize(&doc, tokenizer.as_ref(), limits)
        .with_context(|| path.display().to_string())?;
    Ok((doc, toks))
}

pub fn tokens_file(path: &Path, format: TokensFormat, limits: &Limits) -> anyhow::Result<()> {
    let (doc, toks) = tokenized(path, limits)?;
    let views = toks.tokens.iter().enumerate().map(|(i, t)| TokenView {
        surface: t.surface(&doc),
        key: toks.key(i),
        base: t.base.as_deref(),
        pos: t.pos,
        sentence: t.sentence.0,
        byte: [t.byte.start, t.byte.end],
        char: [t.char.start, t.char.end],
    });
    let mut out = String::new();
    match format {
        TokensFormat::Json => {
            let all: Vec<_> = views.collect();
            out = serde_json::to_string_pretty(&all)?;
            out.push('\n');
        }
        TokensFormat::Tsv => {
            out.push_str("sentence\tsurface\tbase\tpos\tbyte\tchar\n");
            for v in views {
                let pos = serde_json::to_value(v.pos)?;
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}/{}\t{}..{}\t{}..{}\n",
                    v.sentence,
                    v.surface,
                    v.base.unwrap_or(v.surface),
                    pos["major"].as_str().unwrap_or("?"),
                    pos["minor"].as_str().unwrap_or("?"),
                    v.byte[0],
                    v.byte[1],
                    v.char[0],
                    v.char[1],
                ));
            }
        }
    }
    print!("{out}");
    Ok(())
}

fn diff_paths(old: &Path, new: &Path, limits: &Limits) -> anyhow::Result<DocDiff> {
    let (old_doc, old_toks) = tokenized(old, limits)?;
    let (new_doc, new_toks) = tokenized(new, limits)?;
    Ok(diff::compare(
        (&old_doc, &old_toks),
        (&new_doc, &new_toks),
        limits,
    ))
}

fn title(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

pub fn diff_files(
    old: &Path,
    new: &Path,
    format: DiffFormat,
    limits: &Limits,
) -> anyhow::Result<()> {
    let d = diff_paths(old, new, limits)?;
    match format {
        DiffFormat::Json => println!("{}", serde_json::to_string_pretty(&d)?),
        DiffFormat::Text => print!("{}", d.to_text()),
        DiffFormat::Html => print!("{}", diff::table::render_html(&d, &title(old), &title(new))),
    }
    Ok(())
}

/// Until the service lands, the demo shows the engine on the seed policies: their structure and a
/// 新旧対照表 between the model-like 004 and the older 000, written to `out`.
pub fn demo(shared: &Path, out: &Path, limits: &Limits) -> anyhow::Result<()> {
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
        let d = diff_paths(old, new, limits)?;
        let html = out.join("shinkyu-004-000.html");
        std::fs::write(
            &html,
            diff::table::render_html(&d, &title(old), &title(new)),
        )?;
        println!("新旧対照表: {}", html.display());
    }
    Ok(())
}
