//! `taisho parse FILE`: the structure of a policy document, as an outline or JSON.

use std::path::PathBuf;

use clap::ValueEnum;
use taisho_engine::{Document, Limits};

use crate::input::read_file;

#[derive(Debug, clap::Args)]
pub struct Args {
    file: PathBuf,
    #[arg(long, value_enum, default_value_t = ParseFormat::Tree)]
    format: ParseFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ParseFormat {
    Json,
    Tree,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let doc = read_file(&args.file, &Limits::default())?;
    match args.format {
        ParseFormat::Json => {
            let out = serde_json::to_string_pretty(&parse_json(&doc))?;
            println!("{out}");
        }
        ParseFormat::Tree => print!("{}", tree_text(&doc)),
    }
    Ok(())
}

fn parse_json(doc: &Document) -> serde_json::Value {
    serde_json::json!({
        "format_version": 1,
        "meta": doc.meta,
        "artefacts": doc.artefacts,
        "tree": doc.tree(),
    })
}

/// An indented outline: one line per node with its path, heading and sentence count.
fn tree_text(doc: &Document) -> String {
    let mut out = String::new();
    for node in doc.walk().skip(1) {
        let depth = node.path.split('/').count().saturating_sub(1);
        let heading = doc.heading_text(node.id).unwrap_or("");
        let label = if node.path.is_empty() {
            format!("{:?}", node.kind).to_lowercase()
        } else {
            node.path.rsplit('/').next().unwrap_or("").to_owned()
        };
        out.push_str(&format!(
            "{:indent$}{label} {heading} [{}文]\n",
            "",
            node.body.len(),
            indent = depth * 2
        ));
    }
    out
}
