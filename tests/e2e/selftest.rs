//! The harness's own parsing, without a server.

use serde_json::json;

use crate::client::metric_sum;
use crate::harness::parse_sign_ins;
use crate::redact::{id_type, make_id, random_uuid, redact};

#[test]
fn sign_in_lines_are_parsed_from_the_demo_output() {
    let lines: Vec<String> = [
        "Demo sign-ins (shown once; store them now):",
        "  県管理者 (admin)              admin@demo-ken.example  password: AbCdEfGhJkMnPqRsTuVw",
        "  県調整担当 (coordinator)      coordinator@demo-ken.example  password: 23456789abcdefghijkm",
    ]
    .map(str::to_owned)
    .to_vec();
    let s = parse_sign_ins(&lines);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].email, "admin@demo-ken.example");
    assert_eq!(s[0].password, "AbCdEfGhJkMnPqRsTuVw");
    assert!(s[1].role.contains("coordinator"));
}

#[test]
fn metric_sums_add_every_label_set() {
    let text = "# TYPE taisho_graphql_operations_executed_total counter\n\
        taisho_graphql_operations_executed_total{type=\"query\"} 3\n\
        taisho_graphql_operations_executed_total{type=\"mutation\"} 2\n\
        taisho_graphql_operations_executed_total_other 100\n";
    assert_eq!(
        metric_sum(text, "taisho_graphql_operations_executed_total"),
        5.0
    );
    assert_eq!(metric_sum("", "x"), 0.0);
}

#[test]
fn redaction_numbers_ids_by_type_and_masks_times() {
    let a = make_id("Document", &random_uuid());
    let b = make_id("Document", &random_uuid());
    let v = make_id("Version", &random_uuid());
    assert_eq!(id_type(&a).as_deref(), Some("Document"));
    assert_eq!(id_type("KH-1"), None);
    let r = redact(
        &json!({ "id": a, "other": [b, a, v], "createdAt": "2026-11-22T00:00:00Z", "k": "tsk_abc" }),
    );
    assert_eq!(
        r,
        json!({ "id": "<Document#1>", "other": ["<Document#2>", "<Document#1>", "<Version#1>"], "createdAt": "[createdAt]", "k": "[apiKey]" })
    );
}
