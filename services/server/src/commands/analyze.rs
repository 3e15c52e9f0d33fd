//! `taisho analyze FILE`: a policy checked against the national model, as JSON, a plain table or
//! a Japanese HTML report.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use taisho_engine::analysis::{Analysis, FindingStatus};
use taisho_engine::pipeline::{Pipeline, Step};
use taisho_engine::{EngineError, Limits};

use crate::input::{hint, read_bytes};
use crate::runtime::prepare;

#[derive(Debug, clap::Args)]
pub struct Args {
    file: PathBuf,
    /// Edition of the model (R5.3, R6.10, R7.3); default R5.3.
    #[arg(long)]
    edition: Option<String>,
    #[arg(long, value_enum, default_value_t = AnalyzeFormat::Text)]
    format: AnalyzeFormat,
}

/// Output of `taisho analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AnalyzeFormat {
    Json,
    Text,
    Html,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let file = &args.file;
    let limits = Limits::default();
    let (tokenizer, model) = prepare(args.edition.as_deref())?;
    let bytes = read_bytes(file, &limits)?;
    // Timed from the tokeniser on: reading is not the engine's work being measured.
    let mut started = Instant::now();
    let mut tokenised = Duration::ZERO;
    let analysed = Pipeline::new(tokenizer.as_ref(), &limits)
        .run(&bytes, hint(file), &model, |step| {
            match step {
                Step::Read => {}
                Step::Tokenise => started = Instant::now(),
                Step::Analyse => tokenised = started.elapsed(),
            }
            Ok::<(), EngineError>(())
        })
        .with_context(|| file.display().to_string())?;
    let elapsed = started.elapsed();
    let analysis = analysed.analysis;
    let title = hint(file).unwrap_or("document");
    match args.format {
        AnalyzeFormat::Json => println!("{}", serde_json::to_string_pretty(&analysis)?),
        AnalyzeFormat::Text => {
            print!("{}", render_text(&analysis));
            eprintln!(
                "tokenised in {:.1} ms, analysed in {:.1} ms",
                tokenised.as_secs_f64() * 1e3,
                elapsed.checked_sub(tokenised).unwrap().as_secs_f64() * 1e3
            );
        }
        AnalyzeFormat::Html => print!("{}", taisho_web::analysis_page(&analysis, title)?),
    }
    Ok(())
}

/// A plain table: item / status / reasons / where.
fn render_text(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "edition {}  tokenizer {}  基本方針: {}  対策基準: {}",
        a.edition,
        a.tokenizer,
        if a.scope.kihon.present {
            "あり"
        } else {
            "なし"
        },
        if a.scope.taisaku.present {
            "あり"
        } else {
            "なし"
        },
    );
    let s = &a.summary;
    let _ = writeln!(
        out,
        "covered {}  weakened {}  omitted {}  out_of_scope {}  local additions {}\n",
        s.covered, s.weakened, s.omitted, s.out_of_scope, s.local_additions
    );
    for f in &a.findings {
        if f.status == FindingStatus::OutOfScope {
            continue;
        }
        let reasons: Vec<String> = f
            .reasons
            .iter()
            .map(|r| {
                if r.terms.is_empty() {
                    r.kind.as_str().to_owned()
                } else {
                    format!("{}({})", r.kind.as_str(), r.terms.join("・"))
                }
            })
            .collect();
        let place = f
            .evidence
            .location
            .clone()
            .unwrap_or_else(|| "-".to_owned());
        let _ = writeln!(
            out,
            "{:<12} {:<9} {:<40} {}",
            f.item,
            f.status.as_str(),
            if reasons.is_empty() {
                "-".to_owned()
            } else {
                reasons.join(" ")
            },
            place
        );
    }
    out
}
