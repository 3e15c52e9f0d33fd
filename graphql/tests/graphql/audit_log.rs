//! The audit log through the API: every text a caller receives (evidence, local additions, also
//! over a subscription) is recorded once per version and operation, with the client address;
//! requests that return no text record nothing; `Organisation.auditLog` for admins only.

use async_graphql::futures_util::StreamExt as _;
use serde_json::{Value, json};
use taisho_app::auth::Caller;
use taisho_app::records::{Access, AnalysisStatus, Layers, Principal};
use taisho_domain::{OrgId, VersionId};
use taisho_testkit::{Mode, NewVersion, analyses, documents};

use crate::{World, code, gid, org_gid, world};

const CLIENT: &str = "203.0.113.9";

fn from_client(caller: Caller) -> Caller {
    caller.with_client(Some(CLIENT.parse().expect("address")))
}

/// A published document of `org` with one version and a recorded analysis (two findings with
/// evidence, one local addition); no job, so its progress is DONE at once.
async fn analysed_version(w: &World, org: OrgId) -> VersionId {
    let store = &w.db.store;
    let scope = w
        .services
        .scope_of(&Principal::Worker { org })
        .await
        .expect("scope");
    let tx = store.begin(&scope, Mode::Write).await.expect("tx");
    let doc = documents::create(&tx, org, "情報セキュリティ基本方針", false)
        .await
        .expect("document");
    let text = "職員は情報資産を守る。独自の定め。";
    let (v, _) = documents::add_version(
        &tx,
        doc.id,
        NewVersion {
            original: text.as_bytes().to_vec(),
            text: text.into(),
            encoding: "utf-8".into(),
            format: "text".into(),
            layers: Layers::Kihon,
        },
    )
    .await
    .expect("version");
    let finding = |item: &str| {
        json!({
            "item": item, "status": "covered", "reasons": [],
            "matches": [{ "clauses": [{ "path": "1", "line": 1, "char": { "start": 0, "end": 10 }, "text": "職員は情報資産を守る。" }] }],
            "evidence": { "model": "職員は情報資産を守る。", "policy": "職員は情報資産を守る。",
                          "diff": [{ "tag": "equal", "model": "職員は情報資産を守る。", "policy": "職員は情報資産を守る。" }] }
        })
    };
    let result = json!({
        "summary": { "covered": 2, "weakened": 0, "omitted": 0, "out_of_scope": 0, "local_additions": 1 },
        "findings": [finding("KH-1"), finding("KH-2")],
        "local_additions": [{ "path": "1", "line": 1, "char": { "start": 11, "end": 16 }, "text": "独自の定め。" }]
    });
    analyses::record(
        &tx,
        v.id,
        &w.services.edition().to_string(),
        AnalysisStatus::Done,
        result,
        &[],
    )
    .await
    .expect("analysis");
    tx.commit().await.expect("commit");
    v.id
}

const LOG: &str = "query($o: ID!, $action: String, $actor: ID, $first: Int, $after: String) { \
    organisation(id: $o) { auditLog(first: $first, after: $after, action: $action, actor: $actor) { \
    totalCount pageInfo { hasNextPage endCursor } edges { node { \
    at action outcome detail clientAddress actorUser actorKey actingOrganisation targetOrganisation object \
    } } } } }";

/// The `action` entries of `org`'s log as its admin reads them, newest first.
async fn log_of(w: &World, org: &crate::Body, action: &str) -> Vec<Value> {
    let admin = w.session(org.admin, org.id);
    let r = w
        .run(
            &admin,
            LOG,
            json!({ "o": org_gid(org.id), "action": action, "first": 100 }),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r:#}");
    r["data"]["organisation"]["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

const EVIDENCE: &str = "query($v: ID!) { version(id: $v) { analysis { \
    a: findings(first: 10) { edges { node { evidence { policyText diff { op text } } } } } \
    b: finding(item: \"KH-1\") { evidence { policyText } } \
    localAdditions { text } } } }";

taisho_testkit::backend_test! {
    async fn texts_returned_by_a_query_are_recorded_once_per_version_with_the_client_address(db) {
        let w = world(db).await;
        let version = analysed_version(&w, w.town.id).await;
        let v = gid("Version", version.as_uuid());
        // The consultancy's key (a read grant without text access: published text is readable).
        let (_, key) = w.key(&w.consultancy, Access::Read).await;
        let key = from_client(key);
        let r = w.run(&key, EVIDENCE, json!({ "v": v })).await;
        assert!(r.get("errors").is_none(), "{r:#}");
        assert_eq!(r["data"]["version"]["analysis"]["b"]["evidence"]["policyText"], "職員は情報資産を守る。");
        assert_eq!(r["data"]["version"]["analysis"]["localAdditions"][0]["text"], "独自の定め。");
        let reads = log_of(&w, &w.town, "document.read").await;
        assert_eq!(reads.len(), 1, "one entry per version and request, not per field: {reads:#?}");
        let e = &reads[0];
        assert_eq!(e["outcome"], "ok");
        assert_eq!(e["detail"], "analysis");
        assert_eq!(e["clientAddress"], CLIENT);
        assert_eq!(e["object"], json!(v));
        assert_eq!(e["targetOrganisation"], json!(org_gid(w.town.id)));
        assert_eq!(e["actingOrganisation"], json!(org_gid(w.consultancy.id)));
        assert!(e["actorKey"].is_string() && e["actorUser"].is_null(), "{e:#}");

        // Statuses, reasons and model text are no read of the body's text.
        let editor = from_client(w.session(w.town.editor, w.town.id));
        let r = w
            .run(
                &editor,
                "query($v: ID!) { version(id: $v) { analysis { textVisible summary { covered } \
                 findings { edges { node { status reasons { kind } missingElements } } } } } }",
                json!({ "v": v }),
            )
            .await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let m = w
            .run(
                &editor,
                "query($o: [ID!]) { matrix(organisations: $o) { rows { edges { node { statuses } } } } }",
                json!({ "o": [org_gid(w.town.id)] }),
            )
            .await;
        assert!(m.get("errors").is_none(), "{m:#}");
        assert_eq!(log_of(&w, &w.town, "document.read").await.len(), 1);

        // The editor's own read is recorded too, under the editor.
        let r = w.run(&editor, EVIDENCE, json!({ "v": v })).await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let reads = log_of(&w, &w.town, "document.read").await;
        assert_eq!(reads.len(), 2);
        assert_eq!(reads[0]["actorUser"], json!(gid("User", w.town.editor.as_uuid())));
    }
}

taisho_testkit::backend_test! {
    async fn texts_delivered_through_a_subscription_are_recorded(db) {
        let w = world(db).await;
        let version = analysed_version(&w, w.town.id).await;
        let v = gid("Version", version.as_uuid());
        let editor = from_client(w.session(w.town.editor, w.town.id));
        let request = async_graphql::Request::new(
            "subscription($v: ID!) { analysisProgress(version: $v) { state analysis { \
             findings { edges { node { evidence { policyText } } } } localAdditions { text } } } }",
        )
        .variables(async_graphql::Variables::from_json(json!({ "v": v })))
        .data(editor.clone());
        let events: Vec<Value> = w
            .schema
            .execute_stream(request, None)
            .map(|e| serde_json::to_value(e).expect("JSON"))
            .collect()
            .await;
        assert!(!events.is_empty());
        assert!(events.iter().all(|e| e.get("errors").is_none()), "{events:#?}");
        assert_eq!(events[0]["data"]["analysisProgress"]["state"], "DONE", "{events:#?}");
        let reads = log_of(&w, &w.town, "document.read").await;
        assert_eq!(reads.len(), 1, "{reads:#?}");
        assert_eq!(reads[0]["detail"], "subscription");
        assert_eq!(reads[0]["clientAddress"], CLIENT);
        assert_eq!(reads[0]["object"], json!(v));
    }
}

taisho_testkit::backend_test! {
    async fn mutations_are_recorded_and_the_log_is_for_admins_only(db) {
        let w = world(db).await;
        let version = analysed_version(&w, w.town.id).await;
        let v = gid("Version", version.as_uuid());
        let editor = from_client(w.session(w.town.editor, w.town.id));
        let doc = w
            .run(&editor, "query($v: ID!) { version(id: $v) { document { id } } }", json!({ "v": v }))
            .await["data"]["version"]["document"]["id"]
            .clone();
        let r = w
            .run(
                &editor,
                "mutation($d: ID!) { setDocumentUnpublished(document: $d, unpublished: true) { unpublished } }",
                json!({ "d": doc }),
            )
            .await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let r = w
            .run(&editor, "mutation($v: ID!) { reanalyse(version: $v) { state } }", json!({ "v": v }))
            .await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let set = log_of(&w, &w.town, "document.set_unpublished").await;
        assert_eq!(set.len(), 1, "{set:#?}");
        assert_eq!(set[0]["detail"], "unpublished");
        assert_eq!(set[0]["object"], doc);
        assert_eq!(set[0]["clientAddress"], CLIENT);
        let re = log_of(&w, &w.town, "analysis.reanalyse").await;
        assert_eq!(re.len(), 1, "{re:#?}");
        assert_eq!(re[0]["object"], json!(v));

        // Paging and the actor filter.
        let admin = w.session(w.town.admin, w.town.id);
        let page = |after: Value| {
            w.run(&admin, LOG, json!({ "o": org_gid(w.town.id), "first": 1, "after": after }))
        };
        let p1 = page(Value::Null).await;
        let conn = &p1["data"]["organisation"]["auditLog"];
        assert!(conn["totalCount"].as_u64().expect("total") >= 3, "{p1:#}");
        assert_eq!(conn["pageInfo"]["hasNextPage"], true);
        let p2 = page(conn["pageInfo"]["endCursor"].clone()).await;
        let n1 = &conn["edges"][0]["node"];
        let n2 = &p2["data"]["organisation"]["auditLog"]["edges"][0]["node"];
        assert!(n1["at"].as_str() >= n2["at"].as_str() && n1 != n2, "{n1:#} {n2:#}");
        let by_editor = w
            .run(
                &admin,
                LOG,
                json!({ "o": org_gid(w.town.id), "actor": gid("User", w.town.editor.as_uuid()), "first": 100 }),
            )
            .await;
        let edges = by_editor["data"]["organisation"]["auditLog"]["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), 2, "{by_editor:#}");

        // Editors and viewers of the town: FORBIDDEN; a foreign admin: as for a missing
        // organisation.
        for caller in [
            w.session(w.town.editor, w.town.id),
            w.session(w.town.viewer, w.town.id),
        ] {
            let r = w.run(&caller, LOG, json!({ "o": org_gid(w.town.id) })).await;
            assert_eq!(code(&r), "FORBIDDEN", "{r:#}");
        }
        let foreign = w.session(w.foreign.admin, w.foreign.id);
        let theirs = w.run(&foreign, LOG, json!({ "o": org_gid(w.town.id) })).await;
        let missing = w
            .run(&foreign, LOG, json!({ "o": org_gid(OrgId::new()) }))
            .await;
        assert_eq!(code(&theirs), "NOT_FOUND");
        assert_eq!(theirs["errors"][0]["message"], missing["errors"][0]["message"]);
    }
}
