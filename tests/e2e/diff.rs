//! A second version of a document (one clause deleted, one obligation downgraded) and
//! `diff(from, to)`: the 新旧対照表 rows as data.

use serde_json::{Value, json};

use crate::api;
use crate::harness::{Backend, Server};
use crate::redact::redact;

e2e_test!(
    second_version_diff_shows_the_deleted_clause_and_the_downgrade,
    diff
);

const DELETED: &str =
    "### (6) 完全性\n\n情報が破壊、改ざん又は消去されていない状態を確保することをいう。\n";
const STRONG: &str =
    "情報セキュリティポリシー及び情報セキュリティ実施手順を遵守しなければならない。";
const WEAK: &str =
    "情報セキュリティポリシー及び情報セキュリティ実施手順を遵守するよう努めるものとする。";

pub fn edited(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    assert!(
        text.contains(DELETED),
        "seed 004 changed: clause to delete not found"
    );
    assert!(
        text.contains(STRONG),
        "seed 004 changed: obligation not found"
    );
    text.replacen(DELETED, "", 1).replacen(STRONG, WEAK, 1)
}

async fn diff(backend: Backend) {
    let server = Server::start(backend).await;
    let admin = api::prefecture_key_client(&server);
    let members = api::demo_members(&admin).await;
    let body = &members[1];
    let key = server.create_key(&body.name, "editor");
    let client = server.client().with_bearer(&key);

    let (name, bytes) = api::seed_file("004");
    let v1 = api::upload(&client, &body.id, None, "diff 004", &name, bytes.clone()).await;
    let document = v1["document"]["id"]
        .as_str()
        .expect("document id")
        .to_owned();
    let from = v1["version"]["id"].as_str().expect("version id").to_owned();

    // The same bytes again: no new version.
    let again = api::upload(
        &client,
        &body.id,
        Some(&document),
        "diff 004",
        &name,
        bytes.clone(),
    )
    .await;
    assert_eq!(again["created"], false, "{again}");
    assert_eq!(again["version"]["id"], v1["version"]["id"]);

    let text = String::from_utf8(bytes).expect("seed 004 is UTF-8");
    let v2 = api::upload(
        &client,
        &body.id,
        Some(&document),
        "diff 004",
        &name,
        edited(&text).into_bytes(),
    )
    .await;
    assert_eq!(v2["created"], true, "{v2}");
    assert_eq!(v2["document"]["id"], v1["document"]["id"]);
    let to = v2["version"]["id"].as_str().expect("version id").to_owned();

    let d = client
        .ok(
            "query($from: ID!, $to: ID!) { diff(from: $from, to: $to) { from to degraded \
             rows { kind heading old { op text } new { op text } } } }",
            json!({ "from": from, "to": to }),
        )
        .await;
    let diff = &d["diff"];
    assert_eq!(diff["from"], json!(from));
    assert_eq!(diff["to"], json!(to));
    assert_eq!(diff["degraded"], false);
    let rows = diff["rows"].as_array().expect("rows");
    let changed: Vec<&Value> = rows
        .iter()
        .filter(|r| {
            let kind = r["kind"].as_str().unwrap_or_default().to_ascii_lowercase();
            kind != "equal" && kind != "unchanged" && kind != "same"
        })
        .collect();
    let joined = |side: &str, op: &str| -> String {
        changed
            .iter()
            .flat_map(|r| r[side].as_array().cloned().unwrap_or_default())
            .filter(|s| s["op"] == op)
            .filter_map(|s| s["text"].as_str().map(str::to_owned))
            .collect()
    };
    let deleted = joined("old", "DELETE");
    let inserted = joined("new", "INSERT");
    assert!(
        deleted.contains("消去されていない状態") && deleted.contains("しなければならない"),
        "deleted spans: {deleted}"
    );
    assert!(inserted.contains("努める"), "inserted spans: {inserted}");
    insta::assert_json_snapshot!(
        "diff_004_changed_rows",
        redact(&json!({ "rows": rows.len(), "changed": changed }))
    );

    // The same diff in reverse swaps the sides.
    let back = client
        .ok(
            "query($from: ID!, $to: ID!) { diff(from: $from, to: $to) { rows { kind } } }",
            json!({ "from": to, "to": from }),
        )
        .await;
    assert_eq!(
        back["diff"]["rows"].as_array().map(Vec::len),
        Some(rows.len())
    );

    // And the analyses read the change: the items whose status moved.
    api::wait_analysis(&client, &from).await;
    api::wait_analysis(&client, &to).await;
    let before = api::findings(&client, &from).await;
    let after = api::findings(&client, &to).await;
    let moved: Vec<Value> = after
        .iter()
        .filter_map(|f| {
            let old = before.iter().find(|b| b["item"]["id"] == f["item"]["id"])?;
            (old["status"] != f["status"] || old["reasons"] != f["reasons"]).then(|| {
                json!({
                    "item": f["item"]["id"],
                    "from": old["status"],
                    "to": f["status"],
                    "reasons": f["reasons"].as_array().map(|rs| rs.iter().map(|r| r["kind"].clone()).collect::<Vec<_>>()),
                })
            })
        })
        .collect();
    assert!(!moved.is_empty(), "no finding changed between the versions");
    insta::assert_json_snapshot!("diff_004_findings_that_moved", moved);
}
