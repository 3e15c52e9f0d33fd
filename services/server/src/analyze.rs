//! `taisho analyze` and `taisho eval`: CLI glue over `taisho_engine::analysis`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use taisho_engine::analysis::{self, Analysis, FindingStatus, PreparedModel};
use taisho_engine::diff::table::escape;
use taisho_engine::{Limits, Tokenizer};
use taisho_guideline::{Catalog, EditionId};
use taisho_japanese::JapaneseTokenizer;

/// Output of `taisho analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnalyzeFormat {
    Json,
    Text,
    Html,
}

fn edition(arg: Option<&str>) -> anyhow::Result<EditionId> {
    match arg {
        None => Ok(EditionId::DEFAULT),
        Some(s) => s
            .parse::<EditionId>()
            .with_context(|| format!("版 `{s}` を解釈できません")),
    }
}

/// Loads the catalog and the tokenizer and prepares the model (once per process).
pub fn prepare(edition_arg: Option<&str>) -> anyhow::Result<(JapaneseTokenizerRef, PreparedModel)> {
    let catalog = Catalog::builtin(edition(edition_arg)?).context("モデルを読み込めません")?;
    let tokenizer = JapaneseTokenizer::shared().context("形態素解析辞書を用意できません")?;
    let model = PreparedModel::new(&catalog, tokenizer.as_ref())?;
    Ok((tokenizer, model))
}

pub type JapaneseTokenizerRef = std::sync::Arc<JapaneseTokenizer>;

/// `taisho analyze FILE`.
pub fn analyze_file(
    file: &Path,
    edition_arg: Option<&str>,
    format: AnalyzeFormat,
    limits: &Limits,
) -> anyhow::Result<()> {
    let (tokenizer, model) = prepare(edition_arg)?;
    let doc = crate::cli::read_file(file, limits)?;
    let started = Instant::now();
    let toks = taisho_engine::tokenize::tokenize(&doc, tokenizer.as_ref(), limits)
        .with_context(|| file.display().to_string())?;
    let tokenised = started.elapsed();
    let analysis = analysis::analyze(&doc, &toks, &model, limits)
        .with_context(|| file.display().to_string())?;
    let elapsed = started.elapsed();
    let title = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("document");
    match format {
        AnalyzeFormat::Json => println!("{}", serde_json::to_string_pretty(&analysis)?),
        AnalyzeFormat::Text => {
            print!("{}", render_text(&analysis));
            eprintln!(
                "tokenised in {:.1} ms, analysed in {:.1} ms",
                tokenised.as_secs_f64() * 1e3,
                (elapsed - tokenised).as_secs_f64() * 1e3
            );
        }
        AnalyzeFormat::Html => print!("{}", render_html(&analysis, title)),
    }
    Ok(())
}

/// `taisho eval LABELS.tsv`: fails (non-zero exit) below the targets.
pub fn eval_labels(
    labels: &Path,
    edition_arg: Option<&str>,
    verbose: bool,
    limits: &Limits,
) -> anyhow::Result<()> {
    let tsv = std::fs::read_to_string(labels)
        .with_context(|| format!("{} を読めません", labels.display()))?;
    let (tokenizer, model) = prepare(edition_arg)?;
    let dir = labels.parent().unwrap_or(Path::new(".")).to_path_buf();
    let report = taisho_eval::run(
        &tsv,
        |seed| load_seed(&dir, seed),
        tokenizer.as_ref() as &dyn Tokenizer,
        &model,
        limits,
    )?;
    print!("{}", report.to_text(verbose));
    if !report.passed() {
        bail!("評価目標に届いていません");
    }
    Ok(())
}

/// Finds a seed named in a label file: beside it, or in `../seeds` / `seeds`.
pub fn seed_path(dir: &Path, seed: &str) -> Option<PathBuf> {
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

/// A plain table: item / status / reasons / where.
pub fn render_text(a: &Analysis) -> String {
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

/// A self-contained Japanese report.
pub fn render_html(a: &Analysis, title: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n<title>点検結果: {t}</title>\n\
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}\
td,th{{border:1px solid #ccc;padding:.3em;vertical-align:top}}.covered{{background:#eef8ee}}\
.weakened{{background:#fff6e0}}.omitted{{background:#fdeaea}}del{{color:#a00}}ins{{color:#060}}</style>\n\
</head>\n<body>\n<h1>情報セキュリティポリシー点検結果</h1>\n<p>{t}（モデル {e}）</p>\n",
        t = escape(title),
        e = escape(&a.edition)
    );
    let s = &a.summary;
    let _ = writeln!(
        out,
        "<p>充足 {} ／ 弱化 {} ／ 欠落 {} ／ 対象外 {} ／ 独自規定 {}</p>",
        s.covered, s.weakened, s.omitted, s.out_of_scope, s.local_additions
    );
    out.push_str("<table>\n<tr><th>項目</th><th>判定</th><th>理由</th><th>該当箇所</th><th>差分（モデル→ポリシー）</th></tr>\n");
    for f in &a.findings {
        if f.status == FindingStatus::OutOfScope {
            continue;
        }
        let diff: String = f
            .evidence
            .diff
            .iter()
            .map(|op| match op.tag {
                taisho_engine::diff::OpTag::Equal => {
                    escape(op.policy.as_deref().unwrap_or_default())
                }
                _ => format!(
                    "{}{}",
                    op.model
                        .as_deref()
                        .map(|m| format!("<del>{}</del>", escape(m)))
                        .unwrap_or_default(),
                    op.policy
                        .as_deref()
                        .map(|p| format!("<ins>{}</ins>", escape(p)))
                        .unwrap_or_default()
                ),
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr class=\"{cls}\"><td>{id}<br>{title}</td><td>{status}</td><td>{reason}</td><td>{loc}</td><td>{diff}</td></tr>",
            cls = f.status.as_str(),
            id = escape(&f.item),
            title = escape(&f.title),
            status = f.status.label_ja(),
            reason = escape(&f.evidence.reason),
            loc = escape(f.evidence.location.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}
