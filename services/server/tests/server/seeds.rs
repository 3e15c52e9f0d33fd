//! The analysis on the five real seeds with the real tokenizer: the accuracy targets of
//! `taisho eval testdata/eval/seed-labels.tsv` and a snapshot of each seed's findings.

use std::time::{Duration, Instant};

use serde::Serialize;
use taisho_engine::analysis::{self, Analysis, FindingStatus};
use taisho_engine::{Limits, Tokenizer};
use taisho_testkit::{analyser as setup, seed_bytes, seed_name, testdata};

fn analyse(prefix: &str) -> Analysis {
    let s = setup();
    let name = seed_name(prefix);
    let bytes = seed_bytes(prefix);
    let limits = Limits::default();
    let doc = taisho_engine::read(&bytes, Some(&name), &limits).expect("seed reads");
    let toks = taisho_engine::tokenize::tokenize(&doc, s.tokenizer.as_ref(), &limits)
        .expect("seed tokenises");
    analysis::analyze(&doc, &toks, &s.model, &limits).expect("seed analyses")
}

#[test]
fn seed_labels_meet_the_accuracy_targets() {
    let s = setup();
    let dir = testdata().join("eval");
    let tsv = std::fs::read_to_string(dir.join("seed-labels.tsv")).expect("labels readable");
    let report = taisho_eval::run(
        &tsv,
        |seed| std::fs::read(testdata().join("seeds").join(seed)).map_err(|e| e.to_string()),
        s.tokenizer.as_ref() as &dyn Tokenizer,
        &s.model,
        &Limits::default(),
    )
    .expect("every labelled seed analyses");
    let text = report.to_text(true);
    println!("{text}");
    assert!(report.passed(), "accuracy below the targets:\n{text}");
}

/// What a snapshot keeps of a finding: no long texts.
#[derive(Serialize)]
struct Row {
    item: String,
    status: FindingStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
}

fn findings_view(a: &Analysis) -> Vec<Row> {
    a.findings
        .iter()
        .filter(|f| f.status != FindingStatus::OutOfScope)
        .map(|f| Row {
            item: f.item.clone(),
            status: f.status,
            reasons: f
                .reasons
                .iter()
                .map(|r| format!("{}: {}", r.kind.as_str(), r.terms.join("・")))
                .collect(),
            at: f.matches.first().map(|m| m.path.clone()),
        })
        .collect()
}

#[test]
fn seed_findings_snapshots() {
    for prefix in ["000", "001", "002", "003", "004"] {
        let a = analyse(prefix);
        insta::assert_yaml_snapshot!(format!("findings_{prefix}"), findings_view(&a));
    }
}

#[test]
fn scope_is_kihon_only_except_for_003() {
    for prefix in ["000", "001", "002", "004"] {
        let a = analyse(prefix);
        assert!(a.scope.kihon.present, "{prefix}");
        assert!(!a.scope.taisaku.present, "{prefix}");
        assert!(
            a.findings
                .iter()
                .filter(|f| f.item.starts_with("TK-"))
                .all(|f| f.status == FindingStatus::OutOfScope),
            "{prefix}: TK items must be out of scope, never omitted"
        );
    }
    let a = analyse("003");
    assert!(a.scope.kihon.present && a.scope.taisaku.present);
    assert_eq!(a.scope.taisaku.path.as_deref(), Some("第２章"));
}

#[test]
fn every_weakened_finding_has_evidence() {
    let a = analyse("003");
    for f in a
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Weakened)
    {
        assert!(!f.reasons.is_empty(), "{}", f.item);
        assert!(!f.evidence.model.is_empty() && !f.evidence.policy.is_empty());
        assert!(!f.evidence.diff.is_empty(), "{}: no diff", f.item);
        let m = &f.matches[0];
        assert!(!m.clauses.is_empty());
        for c in &m.clauses {
            assert!(c.byte.start < c.byte.end && c.char.start < c.char.end);
        }
    }
    let pw = a.finding("TK-6.4-3-2").expect("password item");
    let kinds = pw.reason_kinds();
    assert!(
        kinds.contains(&analysis::ReasonKind::ThresholdLowered),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&analysis::ReasonKind::HedgeAdded),
        "{kinds:?}"
    );
}

/// Prints the 003 timings (debug builds are not representative: the engine is unoptimised
/// while lindera is); the bound is loose so the test only catches a blow-up.
#[test]
fn analysing_003_is_fast() {
    let s = setup();
    let name = seed_name("003");
    let bytes = seed_bytes("003");
    let limits = Limits::default();
    let mut best = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        let t0 = Instant::now();
        let doc = taisho_engine::read(&bytes, Some(&name), &limits).expect("reads");
        let t1 = Instant::now();
        let toks = taisho_engine::tokenize::tokenize(&doc, s.tokenizer.as_ref(), &limits)
            .expect("tokenises");
        let t2 = Instant::now();
        analysis::analyze(&doc, &toks, &s.model, &limits).expect("analyses");
        let t3 = Instant::now();
        best.0 = best.0.min(t1 - t0);
        best.1 = best.1.min(t2 - t1);
        best.2 = best.2.min(t3 - t2);
    }
    println!(
        "003: read {:?}, tokenise {:?}, analyse {:?}",
        best.0, best.1, best.2
    );
    assert!(
        best.2 < Duration::from_secs(2),
        "analysis took {:?}",
        best.2
    );
}
