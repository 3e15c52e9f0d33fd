//! Operations the scenarios share, written against the schema names of the contract.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::{Client, all_nodes};
use crate::harness::Server;

pub const PROGRESS_SUBSCRIPTION: &str = "subscription($v: ID!) { analysisProgress(version: $v) \
     { state stage percent attempts error analysis { id } } }";

pub const UPLOAD: &str = "mutation($input: UploadVersionInput!) { uploadVersion(input: $input) \
     { created document { id title } version { id format encoding layers byteLength } } }";

#[derive(Debug, Clone)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// Signs in with a demo sign-in whose role text contains `role_word` (`admin`, `coordinator`).
pub async fn sign_in(server: &Server, role_word: &str) -> Client {
    let s = server.sign_in_for(role_word);
    match server.client().sign_in(&s.email, &s.password).await {
        Ok(c) => c,
        Err(r) => panic!("sign-in of {} failed ({}): {}", s.email, r.status, r.text),
    }
}

pub const PREFECTURE: &str = "デモ県";

/// A client with a viewer key of the demo prefecture (reads every member).
pub fn prefecture_key_client(server: &Server) -> Client {
    server
        .client()
        .with_bearer(&server.create_key(PREFECTURE, "viewer"))
}

/// The organisations `client` can read, sorted by name.
pub async fn organisations(client: &Client) -> Vec<Org> {
    let nodes = all_nodes(|after| async move {
        let d = client
            .ok(
                "query($after: String) { organisations(first: 100, after: $after) \
                 { edges { node { id name kind } } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": after }),
            )
            .await;
        d["organisations"].clone()
    })
    .await;
    let mut orgs: Vec<Org> = nodes
        .iter()
        .map(|n| Org {
            id: n["id"].as_str().unwrap_or_default().to_owned(),
            name: n["name"].as_str().unwrap_or_default().to_owned(),
            kind: n["kind"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    orgs.sort_by(|a, b| a.name.cmp(&b.name));
    orgs
}

/// The demo prefecture's member bodies (municipalities and unions), sorted by name, as its admin
/// reads them.
pub async fn demo_members(admin: &Client) -> Vec<Org> {
    organisations(admin)
        .await
        .into_iter()
        .filter(|o| o.kind == "MUNICIPALITY" || o.kind == "UNION")
        .collect()
}

pub async fn acting_org(client: &Client) -> Org {
    let d = client
        .ok(
            "{ viewer { actingOrganisation { id name kind } } }",
            json!({}),
        )
        .await;
    let o = &d["viewer"]["actingOrganisation"];
    Org {
        id: o["id"].as_str().expect("acting organisation id").to_owned(),
        name: o["name"].as_str().unwrap_or_default().to_owned(),
        kind: o["kind"].as_str().unwrap_or_default().to_owned(),
    }
}

/// The seed of the repository's test data whose name starts with `prefix`: (file name, bytes).
pub use taisho_testkit::seed as seed_file;

/// Uploads a file through the multipart mutation; the `uploadVersion` payload.
pub async fn upload(
    client: &Client,
    org: &str,
    document: Option<&str>,
    title: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> Value {
    let mut input = json!({ "organisation": org, "title": title, "file": null });
    if let Some(d) = document {
        input["document"] = json!(d);
    }
    let r = client
        .upload(
            UPLOAD,
            json!({ "input": input }),
            vec![("variables.input.file".into(), file_name.into(), bytes)],
        )
        .await;
    assert!(
        r.status == 200 && r.errors().is_empty(),
        "upload of {file_name} failed ({}): {}",
        r.status,
        r.text
    );
    r.data()["uploadVersion"].clone()
}

/// Waits for the analysis of `version` through the subscription; the events.
pub async fn wait_analysis(client: &Client, version: &str) -> Vec<Value> {
    let events = client
        .subscribe(
            PROGRESS_SUBSCRIPTION,
            json!({ "v": version }),
            Duration::from_secs(600),
        )
        .await;
    assert!(!events.is_empty(), "no progress event for {version}");
    for e in &events {
        assert!(
            e.get("errors").is_none(),
            "subscription error: {e}\nall events: {events:?}"
        );
    }
    let last = &events[events.len() - 1]["data"]["analysisProgress"];
    assert_eq!(last["state"], "DONE", "analysis ended as {last}");
    events
}

/// Every finding of the analysis of `version` (default edition), all pages.
pub async fn findings(client: &Client, version: &str) -> Vec<Value> {
    all_nodes(|after| async move {
        let d = client
            .ok(
                "query($v: ID!, $after: String) { version(id: $v) { analysis { \
                 findings(first: 25, after: $after) { edges { node { \
                   item { id kind section } status reasons { kind } missingElements \
                 } } pageInfo { hasNextPage endCursor } } } } }",
                json!({ "v": version, "after": after }),
            )
            .await;
        d["version"]["analysis"]["findings"].clone()
    })
    .await
}

/// Polls until `ready(data)` holds (or panics after `limit`).
pub async fn poll<F>(client: &Client, query: &str, vars: Value, limit: Duration, ready: F) -> Value
where
    F: Fn(&Value) -> bool,
{
    let start = Instant::now();
    loop {
        let d = client.ok(query, vars.clone()).await;
        if ready(&d) {
            return d;
        }
        assert!(
            start.elapsed() < limit,
            "condition not reached within {limit:?}; last answer: {d}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
