//! Real seeds uploaded through the multipart mutation, analysed by the server's workers, awaited
//! through the `analysisProgress` subscription and read back as findings.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json};
use taisho_testkit::testdata;

use crate::api;
use crate::harness::{Backend, Server, taisho_bin};
use crate::redact::redact;

e2e_test!(seed_uploads_are_analysed_like_the_offline_engine, seeds);

const SEEDS: [&str; 2] = ["004", "000"];

async fn seeds(backend: Backend) {
    let server = Server::start(backend).await;
    let admin = api::prefecture_key_client(&server);
    let members = api::demo_members(&admin).await;
    assert!(members.len() >= 2, "demo members: {members:?}");
    let body = &members[1];
    let key = server.create_key(&body.name, "editor");
    let client = server.client().with_bearer(&key);

    for prefix in SEEDS {
        let (name, bytes) = api::seed_file(prefix);
        let up = api::upload(
            &client,
            &body.id,
            None,
            &format!("seed {prefix}"),
            &name,
            bytes.clone(),
        )
        .await;
        assert_eq!(up["created"], true, "{up}");
        let version = up["version"]["id"].as_str().expect("version id").to_owned();
        assert_eq!(up["version"]["byteLength"], json!(bytes.len()), "{up}");

        let events = api::wait_analysis(&client, &version).await;
        check_progress(&events);

        let found = api::findings(&client, &version).await;
        let by_item: BTreeMap<String, (String, Vec<String>)> = found
            .iter()
            .map(|f| {
                (
                    f["item"]["id"].as_str().unwrap_or_default().to_owned(),
                    (
                        lower(f["status"].as_str().unwrap_or_default()),
                        f["reasons"]
                            .as_array()
                            .map(|rs| {
                                rs.iter()
                                    .map(|r| lower(r["kind"].as_str().unwrap_or_default()))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    ),
                )
            })
            .collect();

        // 1. The same statuses and reasons as `taisho analyze` of the same file.
        let offline = offline_findings(&testdata().join("seeds").join(&name));
        assert_eq!(
            by_item.len(),
            offline.len(),
            "{prefix}: number of findings over the API vs offline"
        );
        for (item, (status, reasons)) in &offline {
            let got = by_item.get(item);
            assert_eq!(
                got,
                Some(&(status.clone(), reasons.clone())),
                "{prefix} {item}: API finding differs from `taisho analyze`"
            );
        }

        // 2. The hand-made labels, with the accuracy targets of `taisho eval`.
        let score = score_against_labels(&name, &by_item);
        println!("{prefix} ({backend:?}): {}", score.text);
        assert!(
            score.passed,
            "{prefix}: below the accuracy targets: {}",
            score.text
        );

        // 3. Snapshot: the version, the summary and the gaps with what only the API shows of them
        // (missing elements). Every status was compared with `taisho analyze` above, and the
        // engine's statuses of each seed are the server's `findings_<seed>` snapshots.
        let view: Vec<String> = found
            .iter()
            .filter(|f| f["status"] != "OUT_OF_SCOPE" && f["status"] != "COVERED")
            .map(|f| {
                let mut line = format!(
                    "{} {}",
                    f["item"]["id"].as_str().unwrap_or_default(),
                    f["status"].as_str().unwrap_or_default()
                );
                for r in f["reasons"].as_array().into_iter().flatten() {
                    line.push_str(&format!(" {}", r["kind"].as_str().unwrap_or_default()));
                }
                let missing: Vec<&str> = f["missingElements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if !missing.is_empty() {
                    line.push_str(&format!(" (missing: {})", missing.join("・")));
                }
                line
            })
            .collect();
        let summary = client
            .ok(
                "query($v: ID!) { version(id: $v) { id format encoding layers byteLength \
                 analysis { id edition status summary { covered weakened omitted outOfScope coverage } } } }",
                json!({ "v": version }),
            )
            .await;
        insta::assert_json_snapshot!(
            format!("seed_{prefix}"),
            redact(&json!({ "version": summary["version"], "findings": view }))
        );
    }
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// States only move forward and the percentage never falls.
fn check_progress(events: &[Value]) {
    const ORDER: [&str; 5] = ["QUEUED", "RUNNING", "DONE", "FAILED", "DEAD"];
    let mut last_state = 0;
    let mut last_percent = -1.0;
    for e in events {
        let p = &e["data"]["analysisProgress"];
        let state = p["state"].as_str().unwrap_or_default();
        let i = ORDER
            .iter()
            .position(|s| *s == state)
            .unwrap_or_else(|| panic!("unknown state in {p}"));
        assert!(i >= last_state, "state went back: {events:?}");
        last_state = i;
        if let Some(pc) = p["percent"].as_f64() {
            assert!(
                pc >= last_percent && (0.0..=100.0).contains(&pc),
                "percent {pc} after {last_percent}"
            );
            last_percent = pc;
        }
    }
}

/// `taisho analyze FILE --format json`: item → (status, reason kinds).
fn offline_findings(path: &std::path::Path) -> BTreeMap<String, (String, Vec<String>)> {
    let out = Command::new(taisho_bin())
        .arg("analyze")
        .arg(path)
        .args(["--format", "json"])
        .output()
        .expect("taisho analyze runs");
    assert!(
        out.status.success(),
        "taisho analyze: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("analysis JSON");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["item"].as_str().unwrap_or_default().to_owned(),
                (
                    lower(f["status"].as_str().unwrap_or_default()),
                    f["reasons"]
                        .as_array()
                        .map(|rs| {
                            rs.iter()
                                .map(|r| lower(r["kind"].as_str().unwrap_or_default()))
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
            )
        })
        .collect()
}

pub struct Score {
    pub passed: bool,
    pub text: String,
}

/// The scoring of `taisho_eval` (omitted F1 ≥ 0.95, weakened F1 ≥ 0.85,
/// covered precision ≥ 0.95, reason kind accuracy ≥ 0.80) on one seed's labelled rows.
fn score_against_labels(seed: &str, got: &BTreeMap<String, (String, Vec<String>)>) -> Score {
    const STATUSES: [&str; 4] = ["covered", "weakened", "omitted", "out_of_scope"];
    let tsv = std::fs::read_to_string(testdata().join("eval/seed-labels.tsv"))
        .expect("seed labels readable");
    let idx = |s: &str| STATUSES.iter().position(|x| *x == s).unwrap_or(2);
    let (mut tp, mut fp, mut fneg) = ([0usize; 4], [0usize; 4], [0usize; 4]);
    let (mut reasons_right, mut reasons_total, mut rows, mut wrong) = (0, 0, 0, Vec::new());
    for line in tsv.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || cols[0] != seed {
            continue;
        }
        rows += 1;
        let accepted: Vec<&str> = cols[2].split('|').map(str::trim).collect();
        let expected_reasons: Vec<String> = cols
            .get(3)
            .map(|r| {
                r.split(['|', ',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let (status, reasons) = got
            .get(cols[1])
            .cloned()
            .unwrap_or_else(|| ("omitted".to_owned(), Vec::new()));
        let primary = accepted.first().copied().unwrap_or("omitted");
        if accepted.contains(&status.as_str()) {
            tp[idx(&status)] += 1;
        } else {
            fp[idx(&status)] += 1;
            fneg[idx(primary)] += 1;
            wrong.push(format!("{} {status} (expected {})", cols[1], cols[2]));
        }
        if primary == "weakened" && !expected_reasons.is_empty() {
            reasons_total += 1;
            if status == "weakened" && expected_reasons.iter().all(|r| reasons.contains(r)) {
                reasons_right += 1;
            }
        }
    }
    assert!(rows > 0, "no labels for {seed}");
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let f1 = |i: usize| {
        let p = ratio(tp[i], tp[i] + fp[i]);
        let r = ratio(tp[i], tp[i] + fneg[i]);
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    };
    let omitted_f1 = f1(2);
    let weakened_f1 = f1(1);
    let covered_precision = ratio(tp[0], tp[0] + fp[0]);
    let reason_accuracy = ratio(reasons_right, reasons_total);
    let passed = omitted_f1 >= 0.95
        && weakened_f1 >= 0.85
        && covered_precision >= 0.95
        && reason_accuracy >= 0.80;
    Score {
        passed,
        text: format!(
            "{rows} labelled rows, {} wrong {wrong:?}; omitted F1 {omitted_f1:.3}, weakened F1 \
             {weakened_f1:.3}, covered precision {covered_precision:.3}, reason kinds \
             {reason_accuracy:.3}",
            wrong.len()
        ),
    }
}
