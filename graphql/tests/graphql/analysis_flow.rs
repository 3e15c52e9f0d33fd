//! Upload of seed 004 through `uploadVersion` (an in-process multipart upload), its analysis by a
//! worker pool watched through `analysisProgress`, and the findings read back; coordinators see
//! statuses but not the text of an unpublished document.

use std::time::Duration;

use async_graphql::UploadValue;
use async_graphql::futures_util::StreamExt as _;
use serde_json::{Value, json};
use taisho_app::auth::Caller;
use taisho_app::runtime::{WorkerConfig, Workers};
use taisho_engine::Limits;
use taisho_graphql::Api;
pub use taisho_testkit::seed;
use taisho_worker::PoolConfig;

use crate::{World, code, org_gid, world};

pub const UPLOAD: &str = "mutation($input: UploadVersionInput!) { uploadVersion(input: $input) { \
    created document { id title unpublished } \
    version { id seq format encoding layers byteLength } job { state percent } } }";

/// Runs `uploadVersion` as `caller` with `bytes` as the multipart file of `input.file`.
pub async fn upload(
    schema: &Api,
    caller: &Caller,
    input: Value,
    name: &str,
    bytes: &[u8],
) -> Value {
    let path = std::env::temp_dir().join(format!(
        "taisho_gql_upload_{}_{}",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::write(&path, bytes).expect("temp file");
    let file = std::fs::File::open(&path).expect("open temp file");
    let _ = std::fs::remove_file(&path);
    let mut input = input;
    input["file"] = Value::Null;
    let mut request = async_graphql::Request::new(UPLOAD)
        .variables(async_graphql::Variables::from_json(
            json!({ "input": input }),
        ))
        .data(caller.clone());
    request.set_upload(
        "variables.input.file",
        UploadValue {
            filename: name.to_owned(),
            content_type: Some("text/plain".into()),
            content: file,
        },
    );
    serde_json::to_value(schema.execute(request).await).expect("response JSON")
}

pub async fn workers(w: &World) -> Workers {
    Workers::start(
        w.db.store.clone(),
        w.services.engine().clone(),
        WorkerConfig {
            pool: PoolConfig {
                threads: 2,
                per_tenant_cap: None,
                poll_interval: Duration::from_millis(50),
                ..PoolConfig::default()
            },
            limits: Limits {
                deadline: Duration::from_secs(120),
                ..Limits::default()
            },
            warm: vec![w.services.edition()],
        },
    )
    .await
    .expect("workers")
}

const FINDINGS: &str = "query($v: ID!, $after: String) { version(id: $v) { analysis { \
    findings(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { \
      item { id kind section title } status reasons { kind message } missingElements \
      evidence { modelText policyText location { path line start end } diff { op text } } \
    } } } } } }";

/// Every finding of `version`'s analysis, all pages.
pub async fn findings(w: &World, caller: &Caller, version: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let r = w
            .run(caller, FINDINGS, json!({ "v": version, "after": after }))
            .await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let page = &r["data"]["version"]["analysis"]["findings"];
        for e in page["edges"].as_array().expect("edges") {
            out.push(e["node"].clone());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    out
}

taisho_testkit::backend_test! {
    async fn uploaded_seed_is_analysed_watched_and_read_as_findings(db) {
        let w = world(db).await;
        let editor = w.session(w.town.editor, w.town.id);
        let (name, bytes) = seed("004");
        let input = json!({ "organisation": org_gid(w.town.id), "title": "情報セキュリティ基本方針", "unpublished": true });
        let up = upload(&w.schema, &editor, input.clone(), &name, &bytes).await;
        assert!(up.get("errors").is_none(), "{up:#}");
        let payload = &up["data"]["uploadVersion"];
        assert_eq!(payload["created"], true);
        assert_eq!(payload["job"]["state"], "QUEUED");
        let version = payload["version"]["id"].as_str().expect("version id").to_owned();
        let document = payload["document"]["id"].as_str().expect("document id").to_owned();
        insta::assert_json_snapshot!("upload_004", w.redact(up.clone()));

        // The same bytes again: nothing new.
        let again = upload(
            &w.schema,
            &editor,
            json!({ "organisation": org_gid(w.town.id), "document": document }),
            &name,
            &bytes,
        )
        .await;
        assert_eq!(again["data"]["uploadVersion"]["created"], false, "{again:#}");
        assert_eq!(again["data"]["uploadVersion"]["version"]["id"], json!(version));

        // Viewers may not upload; a foreign organisation looks missing.
        let viewer = w.session(w.town.viewer, w.town.id);
        assert_eq!(code(&upload(&w.schema, &viewer, input.clone(), &name, &bytes).await), "FORBIDDEN");
        let outsider = w.session(w.foreign.editor, w.foreign.id);
        assert_eq!(code(&upload(&w.schema, &outsider, input.clone(), &name, &bytes).await), "NOT_FOUND");

        // Subscribe first, then let the pool run the job.
        let request = async_graphql::Request::new(
            "subscription($v: ID!) { analysisProgress(version: $v) { state stage percent attempts error analysis { id status } } }",
        )
        .variables(async_graphql::Variables::from_json(json!({ "v": version })))
        .data(editor.clone());
        let mut stream = w.schema.execute_stream(request, None);
        let first = stream.next().await.expect("first event");
        let first = serde_json::to_value(first).expect("JSON");
        assert_eq!(first["data"]["analysisProgress"]["state"], "QUEUED", "{first:#}");
        let pool = workers(&w).await;
        let mut events = vec![first];
        let collect = async {
            while let Some(e) = stream.next().await {
                events.push(serde_json::to_value(e).expect("JSON"));
            }
        };
        tokio::time::timeout(Duration::from_secs(300), collect).await.expect("progress completes");
        pool.shutdown(Duration::from_secs(5)).await;
        let last = &events.last().expect("events")["data"]["analysisProgress"];
        assert_eq!(last["state"], "DONE", "{events:#?}");
        assert_eq!(last["percent"], 100);
        assert_eq!(last["analysis"]["status"], "DONE");
        let states: Vec<&str> = events
            .iter()
            .filter_map(|e| e["data"]["analysisProgress"]["state"].as_str())
            .collect();
        let order = ["QUEUED", "RUNNING", "DONE"];
        assert!(states.windows(2).all(|p| {
            order.iter().position(|s| *s == p[0]) <= order.iter().position(|s| *s == p[1])
        }), "{states:?}");

        // The analysis as the editor reads it: summary, then every finding.
        let summary = w
            .run(
                &editor,
                "query($v: ID!) { version(id: $v) { seq layers progress { state percent } analysis { \
                 edition status textVisible summary { covered weakened omitted outOfScope localAdditions coverage } \
                 finding(item: \"KH-1\") { status item { id title kind section keyElements } } } } }",
                json!({ "v": version }),
            )
            .await;
        assert!(summary.get("errors").is_none(), "{summary:#}");
        insta::assert_json_snapshot!("analysis_004_summary", w.redact(summary.clone()));

        let all = findings(&w, &editor, &version).await;
        assert!(all.len() > 300, "{} findings", all.len());
        assert!(all.iter().all(|f| f["evidence"]["modelText"].as_str().is_some_and(|t| !t.is_empty())));
        // Every model item once, in the catalog's order, the statuses adding up to the summary. The
        // statuses themselves are the engine's (snapshotted by the server's `findings_004`).
        let ids: Vec<&str> = all.iter().map(|f| f["item"]["id"].as_str().unwrap_or("?")).collect();
        let catalog = taisho_guideline::Catalog::builtin(w.services.edition()).expect("catalog");
        assert_eq!(ids, catalog.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>());
        let counts = &summary["data"]["version"]["analysis"]["summary"];
        for (status, field) in [("COVERED", "covered"), ("WEAKENED", "weakened"), ("OMITTED", "omitted"), ("OUT_OF_SCOPE", "outOfScope")] {
            assert_eq!(json!(all.iter().filter(|f| f["status"] == status).count()), counts[field], "{status}");
        }
        let shown: Vec<&Value> = all
            .iter()
            .filter(|f| f["status"] == "WEAKENED" || f["status"] == "OMITTED")
            .take(3)
            .chain(all.iter().filter(|f| f["status"] == "COVERED").take(2))
            .collect();
        insta::assert_json_snapshot!("analysis_004_findings_sample", shown);
        assert!(
            all.iter()
                .filter(|f| f["status"] == "COVERED")
                .all(|f| f["evidence"]["policyText"].as_str().is_some_and(|t| !t.is_empty())),
            "the editor reads the text"
        );

        // The contract's page size works for the findings list the end-to-end tests read.
        let e2e = w
            .run(
                &editor,
                "query($v: ID!, $after: String) { version(id: $v) { analysis { \
                 findings(first: 100, after: $after) { edges { node { \
                   item { id kind section } status reasons { kind message } missingElements \
                 } } pageInfo { hasNextPage endCursor } } } } }",
                json!({ "v": version, "after": null }),
            )
            .await;
        assert!(e2e.get("errors").is_none(), "{e2e:#}");
        assert_eq!(
            e2e["data"]["version"]["analysis"]["findings"]["edges"].as_array().map(Vec::len),
            Some(100)
        );

        // The prefecture's coordinator: statuses yes, the unpublished document's text no.
        let coordinator = w.session(w.prefecture.viewer, w.prefecture.id);
        let seen = findings(&w, &coordinator, &version).await;
        assert_eq!(seen.len(), all.len());
        for (a, b) in all.iter().zip(&seen) {
            assert_eq!(a["status"], b["status"]);
            assert_eq!(b["evidence"]["policyText"], Value::Null);
            assert_eq!(b["evidence"]["diff"], json!([]));
        }
        // Another body's users: the version, its analysis and its progress look missing.
        for q in [
            "query($v: ID!) { version(id: $v) { id } }",
            "query($v: ID!) { node(id: $v) { id } }",
            "query($v: ID!) { diff(from: $v, to: $v) { degraded } }",
        ] {
            assert_eq!(code(&w.run(&outsider, q, json!({ "v": version })).await), "NOT_FOUND", "{q}");
        }
        let reanalyse = "mutation($v: ID!) { reanalyse(version: $v) { state } }";
        assert_eq!(code(&w.run(&outsider, reanalyse, json!({ "v": version })).await), "NOT_FOUND");
        assert_eq!(code(&w.run(&viewer, reanalyse, json!({ "v": version })).await), "FORBIDDEN");
        let done = w.run(&editor, reanalyse, json!({ "v": version })).await;
        assert_eq!(done["data"]["reanalyse"]["state"], "DONE", "{done:#}");
        assert_eq!(
            code(&w.run(&editor, "{ version(id: \"bm9wZQ\") { id } }", json!({})).await),
            "INVALID_ARGUMENT"
        );
    }
}
