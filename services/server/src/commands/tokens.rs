//! `taisho tokens FILE`: the morphemes of a policy document with their offsets and folded keys.

use std::path::PathBuf;

use clap::ValueEnum;
use serde::Serialize;
use taisho_engine::Limits;
use taisho_engine::pipeline::Tokenised;

use crate::input::read_tokenised;

#[derive(Debug, clap::Args)]
pub struct Args {
    file: PathBuf,
    #[arg(long, value_enum, default_value_t = TokensFormat::Tsv)]
    format: TokensFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TokensFormat {
    Json,
    Tsv,
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

pub fn run(args: Args) -> anyhow::Result<()> {
    let Tokenised {
        document: doc,
        tokens: toks,
    } = read_tokenised(&args.file, &Limits::default())?;
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
    match args.format {
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
