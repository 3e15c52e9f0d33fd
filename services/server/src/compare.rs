//! `taisho compare FILE…|DIR`: the bodies × items matrix of statuses, and which bodies share
//! whose text.
//!
//! Similarity is measured on folded token 5-shingles (notation, width and body placeholders
//! already folded, so 順守 / 遵守 or 本市 / 本町 do not hide a copy): Jaccard for "how alike",
//! and containment |A∩B| / |A| for "how much of A is found in B" (a small body that copied a
//! large one's 基本方針 has a high containment in it and a low Jaccard).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Serialize;
use taisho_engine::Limits;
use taisho_engine::analysis::{self, Analysis, FindingStatus};
use taisho_engine::diff::table::escape;
use taisho_engine::tokenize::Tokens;

/// Output of `taisho compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Json,
    Csv,
    Html,
}

const SHINGLE: usize = 5;

#[derive(Debug, Serialize)]
struct Body {
    name: String,
    file: String,
    covered: usize,
    weakened: usize,
    omitted: usize,
    out_of_scope: usize,
}

#[derive(Debug, Serialize)]
struct Row {
    item: String,
    title: String,
    /// One status per body, in `bodies` order.
    statuses: Vec<FindingStatus>,
}

#[derive(Debug, Serialize)]
struct Pair {
    a: String,
    b: String,
    jaccard: f64,
    /// Share of a's shingles found in b.
    a_in_b: f64,
    b_in_a: f64,
}

#[derive(Debug, Serialize)]
struct Comparison {
    format_version: u32,
    edition: String,
    bodies: Vec<Body>,
    matrix: Vec<Row>,
    similarity: Vec<Pair>,
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

/// Hashes of the document's folded token 5-shingles (every token, particles included: a copy
/// keeps them too, and they make shingles specific).
fn shingles(toks: &Tokens) -> HashSet<u64> {
    let keys: Vec<&str> = (0..toks.tokens.len()).map(|i| toks.key(i)).collect();
    keys.windows(SHINGLE)
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn similarity(names: &[String], sets: &[HashSet<u64>]) -> Vec<Pair> {
    let mut pairs = Vec::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            let (a, b) = (&sets[i], &sets[j]);
            let inter = a.intersection(b).count() as f64;
            let union = (a.len() + b.len()) as f64 - inter;
            let ratio = |n: f64, d: usize| if d == 0 { 0.0 } else { round3(n / d as f64) };
            pairs.push(Pair {
                a: names[i].clone(),
                b: names[j].clone(),
                jaccard: if union > 0.0 {
                    round3(inter / union)
                } else {
                    0.0
                },
                a_in_b: ratio(inter, a.len()),
                b_in_a: ratio(inter, b.len()),
            });
        }
    }
    pairs.sort_by(|x, y| {
        y.jaccard
            .total_cmp(&x.jaccard)
            .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
    });
    pairs
}

fn body_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or("document")
        .to_owned()
}

/// `taisho compare`.
pub fn compare(
    paths: &[PathBuf],
    edition: Option<&str>,
    format: CompareFormat,
    limits: &Limits,
) -> anyhow::Result<()> {
    let files = collect(paths)?;
    let (tokenizer, model) = crate::analyze::prepare(edition)?;
    let mut analyses: Vec<Analysis> = Vec::with_capacity(files.len());
    let mut sets = Vec::with_capacity(files.len());
    let mut bodies = Vec::with_capacity(files.len());
    for f in &files {
        let doc = crate::cli::read_file(f, limits)?;
        let toks = taisho_engine::tokenize::tokenize(&doc, tokenizer.as_ref(), limits)
            .with_context(|| f.display().to_string())?;
        let a = analysis::analyze(&doc, &toks, &model, limits)
            .with_context(|| f.display().to_string())?;
        sets.push(shingles(&toks));
        bodies.push(Body {
            name: body_name(f),
            file: f.display().to_string(),
            covered: a.summary.covered,
            weakened: a.summary.weakened,
            omitted: a.summary.omitted,
            out_of_scope: a.summary.out_of_scope,
        });
        analyses.push(a);
    }
    let Some(first) = analyses.first() else {
        bail!("比較する文書がありません");
    };
    let matrix: Vec<Row> = first
        .findings
        .iter()
        .map(|f| Row {
            item: f.item.clone(),
            title: f.title.clone(),
            statuses: analyses
                .iter()
                .map(|a| {
                    a.finding(&f.item)
                        .map_or(FindingStatus::OutOfScope, |g| g.status)
                })
                .collect(),
        })
        .collect();
    let names: Vec<String> = bodies.iter().map(|b| b.name.clone()).collect();
    let comparison = Comparison {
        format_version: 1,
        edition: first.edition.clone(),
        similarity: similarity(&names, &sets),
        bodies,
        matrix,
    };
    match format {
        CompareFormat::Json => println!("{}", serde_json::to_string_pretty(&comparison)?),
        CompareFormat::Csv => print!("{}", render_csv(&comparison)),
        CompareFormat::Html => print!("{}", render_html(&comparison)),
    }
    Ok(())
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

fn status_class(s: FindingStatus) -> &'static str {
    match s {
        FindingStatus::Covered => "c",
        FindingStatus::Weakened => "w",
        FindingStatus::Omitted => "o",
        FindingStatus::OutOfScope => "n",
    }
}

/// A self-contained Japanese page: the matrix with coloured cells, then the similarity table.
fn render_html(c: &Comparison) -> String {
    let mut h = String::new();
    h.push_str(
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>情報セキュリティポリシー 団体間比較</title>\n<style>\n\
         body{font-family:sans-serif;margin:1.5em}\ntable{border-collapse:collapse;margin-bottom:2em}\n\
         th,td{border:1px solid #bbb;padding:2px 6px;font-size:13px}\nth{background:#eee;position:sticky;top:0}\n\
         td.c{background:#e4f4e4}\ntd.w{background:#fff1c9}\ntd.o{background:#f8d4d4}\ntd.n{background:#f0f0f0;color:#888}\n\
         .legend span{display:inline-block;padding:0 6px;margin-right:6px;border:1px solid #bbb}\n\
         </style>\n</head>\n<body>\n",
    );
    let _ = writeln!(
        h,
        "<h1>情報セキュリティポリシー 団体間比較</h1>\n<p>国のモデル（{}）の項目ごとの状況（{}団体）。</p>",
        escape(&c.edition),
        c.bodies.len()
    );
    h.push_str(
        "<p class=\"legend\"><span style=\"background:#e4f4e4\">充足</span>\
         <span style=\"background:#fff1c9\">弱化</span><span style=\"background:#f8d4d4\">欠落</span>\
         <span style=\"background:#f0f0f0\">対象外</span></p>\n",
    );
    h.push_str("<h2>項目 × 団体</h2>\n<table>\n<tr><th>項目</th><th>見出し</th>");
    for b in &c.bodies {
        let _ = write!(
            h,
            "<th title=\"{}\">{}</th>",
            escape(&b.file),
            escape(&b.name)
        );
    }
    h.push_str("</tr>\n");
    for row in &c.matrix {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td>",
            escape(&row.item),
            escape(&row.title)
        );
        for s in &row.statuses {
            let _ = write!(
                h,
                "<td class=\"{}\">{}</td>",
                status_class(*s),
                s.label_ja()
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("<tr><th colspan=\"2\">充足 / 弱化 / 欠落</th>");
    for b in &c.bodies {
        let _ = write!(h, "<td>{} / {} / {}</td>", b.covered, b.weakened, b.omitted);
    }
    h.push_str("</tr>\n</table>\n");
    h.push_str(
        "<h2>文書間の類似度</h2>\n<p>表記を正規化した形態素5-gramの一致率。包含率 A⊂B は A の文面のうち B にも現れる割合（写しの元を示す）。</p>\n\
         <table>\n<tr><th>A</th><th>B</th><th>Jaccard</th><th>包含率 A⊂B</th><th>包含率 B⊂A</th></tr>\n",
    );
    for p in &c.similarity {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>",
            escape(&p.a),
            escape(&p.b),
            p.jaccard,
            p.a_in_b,
            p.b_in_a
        );
    }
    h.push_str("</table>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sets_are_fully_similar_and_disjoint_ones_not() {
        let a: HashSet<u64> = [1, 2, 3, 4].into();
        let b: HashSet<u64> = [1, 2].into();
        let c: HashSet<u64> = [9].into();
        let names = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let pairs = similarity(&names, &[a, b, c]);
        let ab = pairs
            .iter()
            .find(|p| p.a == "a" && p.b == "b")
            .expect("pair a b");
        assert_eq!((ab.jaccard, ab.a_in_b, ab.b_in_a), (0.5, 0.5, 1.0));
        let ac = pairs
            .iter()
            .find(|p| p.a == "a" && p.b == "c")
            .expect("pair a c");
        assert_eq!(ac.jaccard, 0.0);
        assert_eq!(pairs[0].a, "a", "most similar first");
    }

    #[test]
    fn csv_fields_with_commas_are_quoted() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("\"x\",y"), "\"\"\"x\"\",y\"");
    }
}
