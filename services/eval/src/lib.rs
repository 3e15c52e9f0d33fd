#![doc = include_str!("../README.md")]
//!
//! Label file: tab-separated `seed, item, status, reasons, where, note`; `#` lines are comments,
//! the first other line is the header. `status` lists the acceptable statuses `|`-separated,
//! `reasons` the expected reason kinds `,`-separated.
//!
//! Scoring, per row with accepted statuses A (first listed = primary) and prediction p:
//! - p ∈ A is correct and counts as a true positive of p;
//! - otherwise it is a false positive of p and a false negative of A's primary status.
//!
//! The confusion table's rows are the expected status (p when correct, else the primary), its
//! columns the prediction. A *true weakened* item is a row whose primary status is `weakened`;
//! its reason kind is right when it is predicted weakened with every expected reason kind.
//!
//! Reading files is the caller's job ([`run`] takes a loader), so this stays I/O-free.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use taisho_engine::analysis::{Analysis, FindingStatus, PreparedModel, ReasonKind, analyze};
use taisho_engine::{EngineError, Limits, Tokenizer};

/// One labelled item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelRow {
    pub seed: String,
    pub item: String,
    pub accepted: Vec<FindingStatus>,
    pub reasons: Vec<ReasonKind>,
    pub place: String,
    pub note: String,
    /// 1-based line in the label file.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("labels line {line}: {problem}")]
    Label { line: usize, problem: String },
    #[error("{seed}: {reason}")]
    Load { seed: String, reason: String },
    #[error("{seed}: {source}")]
    Engine { seed: String, source: EngineError },
}

/// Parses a label file.
pub fn parse_labels(tsv: &str) -> Result<Vec<LabelRow>, EvalError> {
    let mut rows = Vec::new();
    let mut header = false;
    for (i, raw) in tsv.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        if !header {
            header = true;
            continue;
        }
        let cols: Vec<&str> = raw.split('\t').collect();
        if cols.len() < 3 {
            return Err(EvalError::Label {
                line,
                problem: format!("expected at least 3 columns, found {}", cols.len()),
            });
        }
        let col = |i: usize| cols.get(i).map_or("", |c| c.trim());
        let mut accepted = Vec::new();
        for s in col(2).split('|') {
            accepted.push(FindingStatus::parse(s).ok_or_else(|| EvalError::Label {
                line,
                problem: format!("unknown status `{s}`"),
            })?);
        }
        let mut reasons = Vec::new();
        for r in col(3).split(',').filter(|r| !r.trim().is_empty()) {
            reasons.push(ReasonKind::parse(r).ok_or_else(|| EvalError::Label {
                line,
                problem: format!("unknown reason kind `{r}`"),
            })?);
        }
        rows.push(LabelRow {
            seed: col(0).to_owned(),
            item: col(1).to_owned(),
            accepted,
            reasons,
            place: col(4).to_owned(),
            note: col(5).to_owned(),
            line,
        });
    }
    Ok(rows)
}

/// Prediction against label for one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemResult {
    pub seed: String,
    pub item: String,
    pub accepted: Vec<FindingStatus>,
    pub expected_reasons: Vec<ReasonKind>,
    pub got: FindingStatus,
    pub got_reasons: Vec<ReasonKind>,
    /// Path of the matched unit.
    pub got_path: Option<String>,
    pub expected_place: String,
    pub correct: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StatusMetrics {
    pub status: FindingStatus,
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetCheck {
    pub name: &'static str,
    pub value: f64,
    pub target: f64,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub items: Vec<ItemResult>,
    pub per_status: Vec<StatusMetrics>,
    /// True weakened items whose reason kinds are all found.
    pub reasons_right: usize,
    pub reasons_total: usize,
    pub reason_accuracy: f64,
    /// `confusion[expected][predicted]`, indexed as [`FindingStatus::ALL`].
    pub confusion: [[usize; 4]; 4],
    pub targets: Vec<TargetCheck>,
}

fn idx(s: FindingStatus) -> usize {
    FindingStatus::ALL.iter().position(|&x| x == s).unwrap_or(0)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Scores `analyses` (by seed name) against `labels`. Rows whose item has no finding count as
/// omitted predictions.
pub fn evaluate(labels: &[LabelRow], analyses: &BTreeMap<String, Analysis>) -> EvalReport {
    let mut items = Vec::with_capacity(labels.len());
    let mut tp = [0usize; 4];
    let mut fp = [0usize; 4];
    let mut fneg = [0usize; 4];
    let mut confusion = [[0usize; 4]; 4];
    let (mut reasons_right, mut reasons_total) = (0, 0);
    for row in labels {
        let finding = analyses.get(&row.seed).and_then(|a| a.finding(&row.item));
        let got = finding.map_or(FindingStatus::Omitted, |f| f.status);
        let got_reasons = finding
            .map(taisho_engine::analysis::Finding::reason_kinds)
            .unwrap_or_default();
        let correct = row.accepted.contains(&got);
        let primary = row
            .accepted
            .first()
            .copied()
            .unwrap_or(FindingStatus::Omitted);
        if correct {
            tp[idx(got)] += 1;
            confusion[idx(got)][idx(got)] += 1;
        } else {
            fp[idx(got)] += 1;
            fneg[idx(primary)] += 1;
            confusion[idx(primary)][idx(got)] += 1;
        }
        if primary == FindingStatus::Weakened && !row.reasons.is_empty() {
            reasons_total += 1;
            if got == FindingStatus::Weakened && row.reasons.iter().all(|r| got_reasons.contains(r))
            {
                reasons_right += 1;
            }
        }
        items.push(ItemResult {
            seed: row.seed.clone(),
            item: row.item.clone(),
            accepted: row.accepted.clone(),
            expected_reasons: row.reasons.clone(),
            got,
            got_reasons,
            got_path: finding.and_then(|f| f.matches.first().map(|m| m.path.clone())),
            expected_place: row.place.clone(),
            correct,
        });
    }
    let per_status: Vec<StatusMetrics> = FindingStatus::ALL
        .iter()
        .map(|&s| {
            let i = idx(s);
            let precision = ratio(tp[i], tp[i] + fp[i]);
            let recall = ratio(tp[i], tp[i] + fneg[i]);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            StatusMetrics {
                status: s,
                tp: tp[i],
                fp: fp[i],
                fn_: fneg[i],
                precision,
                recall,
                f1,
            }
        })
        .collect();
    let reason_accuracy = ratio(reasons_right, reasons_total);
    let m = |s: FindingStatus| per_status[idx(s)];
    let check = |name, value: f64, target| TargetCheck {
        name,
        value,
        target,
        ok: value >= target,
    };
    let targets = vec![
        check("omitted F1", m(FindingStatus::Omitted).f1, 0.95),
        check("weakened F1", m(FindingStatus::Weakened).f1, 0.85),
        check(
            "covered precision",
            m(FindingStatus::Covered).precision,
            0.95,
        ),
        check("reason kind accuracy", reason_accuracy, 0.80),
    ];
    EvalReport {
        items,
        per_status,
        reasons_right,
        reasons_total,
        reason_accuracy,
        confusion,
        targets,
    }
}

impl EvalReport {
    /// Every target met.
    pub fn passed(&self) -> bool {
        self.targets.iter().all(|t| t.ok)
    }

    /// The printed report; `verbose` adds one line per wrong row (expected vs got).
    pub fn to_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "status        P      R      F1     (tp/fp/fn)");
        for m in &self.per_status {
            let _ = writeln!(
                out,
                "{:<13} {:.3}  {:.3}  {:.3}  ({}/{}/{})",
                m.status.as_str(),
                m.precision,
                m.recall,
                m.f1,
                m.tp,
                m.fp,
                m.fn_
            );
        }
        let _ = writeln!(
            out,
            "reason kind accuracy: {:.3} ({}/{} true weakened items with every expected kind)",
            self.reason_accuracy, self.reasons_right, self.reasons_total
        );
        let _ = writeln!(out, "\nconfusion (rows expected, columns predicted)");
        let _ = write!(out, "{:<13}", "");
        for s in FindingStatus::ALL {
            let _ = write!(out, " {:>12}", s.as_str());
        }
        out.push('\n');
        for (i, s) in FindingStatus::ALL.iter().enumerate() {
            let _ = write!(out, "{:<13}", s.as_str());
            for c in self.confusion[i] {
                let _ = write!(out, " {c:>12}");
            }
            out.push('\n');
        }
        out.push('\n');
        for t in &self.targets {
            let _ = writeln!(
                out,
                "{} {:<22} {:.3} (target ≥ {:.2})",
                if t.ok { "ok  " } else { "FAIL" },
                t.name,
                t.value,
                t.target
            );
        }
        if verbose {
            let _ = writeln!(
                out,
                "\nrows not right (seed item: expected → got [reasons] @path)"
            );
            for r in &self.items {
                let reasons_wrong = r.accepted.first() == Some(&FindingStatus::Weakened)
                    && !r.expected_reasons.iter().all(|k| r.got_reasons.contains(k));
                if r.correct && !reasons_wrong {
                    continue;
                }
                let acc: Vec<&str> = r.accepted.iter().map(|s| s.as_str()).collect();
                let exp: Vec<&str> = r.expected_reasons.iter().map(|s| s.as_str()).collect();
                let got: Vec<&str> = r.got_reasons.iter().map(|s| s.as_str()).collect();
                let _ = writeln!(
                    out,
                    "{} {}: {} [{}] @{} → {} [{}] @{}",
                    r.seed.get(..3).unwrap_or(&r.seed),
                    r.item,
                    acc.join("|"),
                    exp.join(","),
                    r.expected_place,
                    r.got.as_str(),
                    got.join(","),
                    r.got_path.as_deref().unwrap_or("-"),
                );
            }
        }
        out
    }
}

/// Runs the analysis over every seed the labels name and scores it. `load(seed)` returns the
/// seed's bytes (the caller resolves names to files).
pub fn run(
    labels_tsv: &str,
    mut load: impl FnMut(&str) -> Result<Vec<u8>, String>,
    tokenizer: &dyn Tokenizer,
    model: &PreparedModel,
    limits: &Limits,
) -> Result<EvalReport, EvalError> {
    let labels = parse_labels(labels_tsv)?;
    let mut analyses = BTreeMap::new();
    for row in &labels {
        if analyses.contains_key(&row.seed) {
            continue;
        }
        let bytes = load(&row.seed).map_err(|reason| EvalError::Load {
            seed: row.seed.clone(),
            reason,
        })?;
        let engine = |source| EvalError::Engine {
            seed: row.seed.clone(),
            source,
        };
        let doc = taisho_engine::read(&bytes, Some(&row.seed), limits).map_err(engine)?;
        let toks = taisho_engine::tokenize::tokenize(&doc, tokenizer, limits).map_err(engine)?;
        let analysis = analyze(&doc, &toks, model, limits).map_err(engine)?;
        analyses.insert(row.seed.clone(), analysis);
    }
    Ok(evaluate(&labels, &analyses))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: &str = "# comment\n\
        seed\titem\tstatus\treasons\twhere\tnote\n\
        000.txt\tKH-1\tomitted\t\t\t\n\
        000.txt\tKH-2\tweakened|covered\tmodality_downgrade\t2.(1)\tsoftened\n";

    #[test]
    fn labels_parse_with_their_lines() {
        let rows = parse_labels(LABELS).expect("labels parse");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].accepted, [FindingStatus::Omitted]);
        assert_eq!(
            rows[1].accepted,
            [FindingStatus::Weakened, FindingStatus::Covered]
        );
        assert_eq!(rows[1].reasons, [ReasonKind::ModalityDowngrade]);
        assert_eq!((rows[1].place.as_str(), rows[1].line), ("2.(1)", 4));
    }

    #[test]
    fn a_bad_status_names_its_line() {
        let err = parse_labels("seed\titem\tstatus\n000.txt\tKH-1\tgone\n").expect_err("bad");
        assert_eq!(
            err,
            EvalError::Label {
                line: 2,
                problem: "unknown status `gone`".to_owned()
            }
        );
    }

    #[test]
    fn an_item_without_a_finding_counts_as_omitted() {
        let rows = parse_labels(LABELS).expect("labels parse");
        let report = evaluate(&rows, &BTreeMap::new());
        assert!(report.items[0].correct);
        assert!(!report.items[1].correct);
        assert_eq!((report.reasons_right, report.reasons_total), (0, 1));
    }
}
