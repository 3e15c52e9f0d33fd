//! The coordinator's matrix of the demo prefecture: bodies × model items.

use std::time::Duration;

use serde_json::{Value, json};

use crate::api;
use crate::harness::{Backend, Server};
use crate::redact::redact;

e2e_test!(coordinator_reads_the_prefecture_matrix, matrix);

const COMPACT: &str = "query($p: ID) { matrix(prefecture: $p) { edition \
     items { id section kind coverage } \
     rows(first: 100) { totalCount edges { node { organisation { id name } version { id } coverage statuses } } } } }";

const LETTERS: &str = "CWOS-";

/// Covered among the statuses in scope (covered, weakened, omitted); 0 when none is.
fn covered_share(letters: impl Iterator<Item = char>) -> f64 {
    let (mut covered, mut in_scope) = (0usize, 0usize);
    for c in letters {
        if "CWO".contains(c) {
            in_scope += 1;
            covered += usize::from(c == 'C');
        }
    }
    if in_scope == 0 {
        0.0
    } else {
        covered as f64 / in_scope as f64
    }
}

async fn matrix(backend: Backend) {
    let server = Server::start(backend).await;
    let coordinator = api::sign_in(&server, "coordinator").await;
    let viewer = coordinator
        .ok(
            "{ viewer { user { email } role actingOrganisation { id name kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(viewer["viewer"]["actingOrganisation"]["kind"], "PREFECTURE");
    assert_eq!(viewer["viewer"]["role"], "VIEWER");
    let prefecture = viewer["viewer"]["actingOrganisation"]["id"]
        .as_str()
        .expect("prefecture id")
        .to_owned();

    // Wait until every demo body's policy is analysed (no '-' left).
    let d = api::poll(
        &coordinator,
        COMPACT,
        json!({ "p": prefecture }),
        Duration::from_secs(600),
        |d| {
            let rows = d["matrix"]["rows"]["edges"].as_array();
            rows.is_some_and(|rs| {
                rs.len() == 4
                    && rs.iter().all(|r| {
                        r["node"]["statuses"]
                            .as_str()
                            .is_some_and(|s| !s.is_empty() && !s.contains('-'))
                    })
            })
        },
    )
    .await;
    let m = &d["matrix"];
    let items = m["items"].as_array().expect("items");
    let rows: Vec<&Value> = m["rows"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(m["rows"]["totalCount"], json!(rows.len()));
    assert!(!items.is_empty());
    for r in &rows {
        let statuses = r["statuses"].as_str().expect("statuses");
        assert_eq!(
            statuses.chars().count(),
            items.len(),
            "one letter per item: {r}"
        );
        assert!(statuses.chars().all(|c| LETTERS.contains(c)), "{statuses}");
        let cov = r["coverage"].as_f64().expect("row coverage");
        assert!(
            (cov - covered_share(statuses.chars())).abs() < 1e-9,
            "row coverage {cov} is not covered / (covered + weakened + omitted) of {statuses}"
        );
    }
    for (i, item) in items.iter().enumerate() {
        let cov = item["coverage"].as_f64().expect("item coverage");
        assert!((0.0..=1.0).contains(&cov), "{item}");
        let column: String = rows
            .iter()
            .filter_map(|r| r["statuses"].as_str().and_then(|s| s.chars().nth(i)))
            .collect();
        assert!(
            (cov - covered_share(column.chars())).abs() < 1e-9,
            "{item}: coverage {cov} is not covered / in scope of {column}"
        );
        if column.chars().all(|c| c == 'C') {
            assert_eq!(cov, 1.0, "{item}: every body covers it");
        }
        if column.chars().all(|c| c == 'O') {
            assert_eq!(cov, 0.0, "{item}: every body omits it");
        }
    }

    // The cells agree with the compact letters.
    let cells = coordinator
        .ok(
            "query($p: ID) { matrix(prefecture: $p) { items { id } rows(first: 10) { edges { node { \
             organisation { id } statuses cells { item status } } } } } }",
            json!({ "p": prefecture }),
        )
        .await;
    for e in cells["matrix"]["rows"]["edges"].as_array().expect("edges") {
        let n = &e["node"];
        let letters: String = n["cells"]
            .as_array()
            .expect("cells")
            .iter()
            .map(|c| match c["status"].as_str() {
                Some("COVERED") => 'C',
                Some("WEAKENED") => 'W',
                Some("OMITTED") => 'O',
                Some("OUT_OF_SCOPE") => 'S',
                _ => '-',
            })
            .collect();
        assert_eq!(letters, n["statuses"].as_str().unwrap_or_default(), "{n}");
    }

    // Filters: a section and a kind keep only their items.
    let first = &items[0];
    let section = first["section"].as_str().expect("section").to_owned();
    let by_section = coordinator
        .ok(
            "query($p: ID, $s: String) { matrix(prefecture: $p, section: $s) { items { id section } \
             rows(first: 100) { edges { node { statuses } } } } }",
            json!({ "p": prefecture, "s": section }),
        )
        .await;
    let section_items = by_section["matrix"]["items"].as_array().expect("items");
    assert!(!section_items.is_empty());
    assert!(
        section_items
            .iter()
            .all(|i| i["section"] == section.as_str())
    );
    for e in by_section["matrix"]["rows"]["edges"]
        .as_array()
        .expect("edges")
    {
        assert_eq!(
            e["node"]["statuses"].as_str().map(|s| s.chars().count()),
            Some(section_items.len())
        );
    }
    let kind = first["kind"].clone();
    let by_kind = coordinator
        .ok(
            "query($p: ID, $k: ModelItemKind) { matrix(prefecture: $p, kind: $k) { items { id kind } } }",
            json!({ "p": prefecture, "k": kind }),
        )
        .await;
    assert!(
        by_kind["matrix"]["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["kind"] == kind)
    );

    // The same rows as an explicit set of organisations.
    let orgs: Vec<Value> = rows
        .iter()
        .map(|r| r["organisation"]["id"].clone())
        .collect();
    let explicit = coordinator
        .ok(
            "query($o: [ID!]) { matrix(organisations: $o) { rows(first: 100) { edges { node { organisation { id } statuses } } } } }",
            json!({ "o": orgs }),
        )
        .await;
    assert_eq!(
        explicit["matrix"]["rows"]["edges"].as_array().map(Vec::len),
        Some(rows.len())
    );

    let mut sorted = rows.clone();
    sorted.sort_by_key(|r| {
        r["organisation"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    });
    insta::assert_json_snapshot!(
        "demo_matrix",
        redact(&json!({
            "edition": m["edition"],
            "items": items.len(),
            "itemCoverage": items.iter().map(|i| format!("{} {:.3}", i["id"].as_str().unwrap_or_default(), i["coverage"].as_f64().unwrap_or(-1.0))).collect::<Vec<_>>(),
            "rows": sorted.iter().map(|r| json!({
                "organisation": r["organisation"]["name"],
                "coverage": r["coverage"],
                "statuses": r["statuses"],
            })).collect::<Vec<_>>(),
        }))
    );
}
