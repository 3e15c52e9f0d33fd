//! `diff(from, to)` of two versions of seed 004, and the coordinator matrix of a demo prefecture
//! whose bodies a worker pool analysed.

use std::time::Duration;

use serde_json::{Value, json};
use taisho_app::demo;

use crate::analysis_flow::{seed, upload, workers};
use crate::{code, org_gid, world};

const DIFF: &str = "query($from: ID!, $to: ID!) { diff(from: $from, to: $to) { from to degraded \
    degradedReason changes rows { kind heading oldPath oldLine newPath newLine old { op text } new { op text } } } }";

taisho_testkit::backend_test! {
    async fn diff_of_two_versions_shows_the_changed_sentences(db) {
        let w = world(db).await;
        let editor = w.session(w.town.editor, w.town.id);
        let (name, bytes) = seed("004");
        let first = upload(
            &w.schema,
            &editor,
            json!({ "organisation": org_gid(w.town.id), "title": "基本方針", "unpublished": true }),
            &name,
            &bytes,
        )
        .await;
        let document = first["data"]["uploadVersion"]["document"]["id"].clone();
        let from = first["data"]["uploadVersion"]["version"]["id"].clone();
        let text = String::from_utf8(bytes).expect("UTF-8 seed");
        let edited = text.replacen("しなければならない", "するよう努める", 1);
        let second = upload(
            &w.schema,
            &editor,
            json!({ "organisation": org_gid(w.town.id), "document": document }),
            &name,
            edited.as_bytes(),
        )
        .await;
        assert_eq!(second["data"]["uploadVersion"]["version"]["seq"], 2, "{second:#}");
        let to = second["data"]["uploadVersion"]["version"]["id"].clone();

        let d = w.run(&editor, DIFF, json!({ "from": from, "to": to })).await;
        assert!(d.get("errors").is_none(), "{d:#}");
        let diff = &d["data"]["diff"];
        assert_eq!(diff["from"], from);
        assert_eq!(diff["to"], to);
        assert_eq!(diff["degraded"], false);
        assert_eq!(diff["changes"], 1);
        let rows = diff["rows"].as_array().expect("rows");
        let changed: Vec<&Value> = rows.iter().filter(|r| r["kind"] != "EQUAL").collect();
        insta::assert_json_snapshot!(
            "diff_004_changed_rows",
            json!({ "rows": rows.len(), "changed": changed })
        );
        assert!(rows.iter().any(|r| r["heading"] == true));

        // The document is unpublished: the coordinator may not read its text, so no diff
        // (NOT_FOUND, as for a version that does not exist).
        let coordinator = w.session(w.prefecture.viewer, w.prefecture.id);
        assert_eq!(code(&w.run(&coordinator, DIFF, json!({ "from": from, "to": to })).await), "NOT_FOUND");
        let missing = crate::gid("Version", uuid::Uuid::now_v7());
        assert_eq!(code(&w.run(&editor, DIFF, json!({ "from": from, "to": missing })).await), "NOT_FOUND");
        // Once published, the coordinator reads it.
        let published = w
            .run(
                &editor,
                "mutation($d: ID!) { setDocumentUnpublished(document: $d, unpublished: false) { unpublished } }",
                json!({ "d": document }),
            )
            .await;
        assert_eq!(published["data"]["setDocumentUnpublished"]["unpublished"], false, "{published:#}");
        let seen = w.run(&coordinator, DIFF, json!({ "from": from, "to": to })).await;
        assert_eq!(seen["data"]["diff"]["changes"], 1, "{seen:#}");

        // The organisation lists its document and versions through the loaders.
        let listed = w
            .run(
                &editor,
                "query($o: ID!) { organisation(id: $o) { documents(first: 5) { totalCount edges { node { title unpublished \
                 latestVersion { seq } versions(first: 5) { totalCount edges { node { seq document { title } } } } } } } } }",
                json!({ "o": org_gid(w.town.id) }),
            )
            .await;
        assert!(listed.get("errors").is_none(), "{listed:#}");
        insta::assert_json_snapshot!("organisation_documents", w.redact(listed));
    }
}

const MATRIX: &str = "query($p: ID) { matrix(prefecture: $p) { edition \
    items { id section kind coverage } \
    rows(first: 100) { totalCount edges { node { organisation { name } version { seq } coverage statuses } } } } }";

taisho_testkit::backend_test! {
    async fn coordinator_matrix_of_a_demo_prefecture(db) {
        let w = world(db).await;
        let store = &w.db.store;
        let d = demo::ensure_members(store, w.services.accounts().hasher(), w.services.edition(), 3)
            .await
            .expect("demo");
        let coordinator_id = taisho_testkit::users::id_by_email(store, demo::COORDINATOR_EMAIL)
            .await
            .expect("lookup")
            .expect("coordinator");
        let coordinator = w.session(coordinator_id, d.prefecture);
        let jobs: Vec<_> = d.uploads.iter().map(|(_, u)| u.job).collect();
        let pool = workers(&w).await;
        let queue = taisho_worker::Queue::new(store.clone());
        let started = std::time::Instant::now();
        loop {
            let mut done = true;
            for j in &jobs {
                let row = queue.job(*j).await.expect("job").expect("exists");
                done &= matches!(row.state, taisho_worker::JobState::Done | taisho_worker::JobState::Dead);
            }
            if done {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(600), "demo analyses not finished");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        pool.shutdown(Duration::from_secs(5)).await;

        let m = w.run(&coordinator, MATRIX, json!({ "p": org_gid(d.prefecture) })).await;
        assert!(m.get("errors").is_none(), "{m:#}");
        let matrix = &m["data"]["matrix"];
        let items = matrix["items"].as_array().expect("items");
        let rows = matrix["rows"]["edges"].as_array().expect("rows");
        assert_eq!(rows.len(), 3);
        for r in rows {
            let s = r["node"]["statuses"].as_str().expect("statuses");
            assert_eq!(s.chars().count(), items.len());
            assert!(s.chars().all(|c| "CWOS".contains(c)), "{s}");
        }
        let compact: Vec<Value> = rows
            .iter()
            .map(|r| json!({
                "organisation": r["node"]["organisation"]["name"],
                "seq": r["node"]["version"]["seq"],
                "coverage": r["node"]["coverage"],
                "statuses": r["node"]["statuses"],
            }))
            .collect();
        insta::assert_json_snapshot!(
            "demo_matrix",
            json!({ "edition": matrix["edition"], "items": items.len(), "rows": compact })
        );

        // Every row's cells in one page, as the end-to-end tests read them.
        let cells = w
            .run(
                &coordinator,
                "query($p: ID) { matrix(prefecture: $p) { items { id } rows(first: 100) { edges { node { \
                 organisation { id } statuses cells { item status } } } } } }",
                json!({ "p": org_gid(d.prefecture) }),
            )
            .await;
        assert!(cells.get("errors").is_none(), "{cells:#}");

        // Filters: a section, a kind, a status; the cells agree with the letters.
        let q = "query($p: ID, $s: String, $k: ModelItemKind, $st: FindingStatus) { \
                 matrix(prefecture: $p, section: $s, kind: $k, status: $st) { items { id section kind } \
                 rows { edges { node { statuses cells { item status } } } } } }";
        let by = |vars: Value| {
            let mut v = vars;
            v["p"] = json!(org_gid(d.prefecture));
            w.run(&coordinator, q, v)
        };
        let sec = by(json!({ "s": "KH-3" })).await;
        let sec_items = sec["data"]["matrix"]["items"].as_array().expect("items").clone();
        assert!(!sec_items.is_empty() && sec_items.iter().all(|i| i["section"] == "KH-3"), "{sec:#}");
        for r in sec["data"]["matrix"]["rows"]["edges"].as_array().expect("rows") {
            let letters: String = r["node"]["cells"]
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
            assert_eq!(letters, r["node"]["statuses"].as_str().unwrap_or_default());
        }
        let threats = by(json!({ "k": "THREAT" })).await;
        assert!(threats["data"]["matrix"]["items"].as_array().expect("items").iter().all(|i| i["kind"] == "THREAT"));
        let omitted = by(json!({ "st": "OMITTED" })).await;
        for i in omitted["data"]["matrix"]["items"].as_array().expect("items") {
            let n = items.iter().position(|x| x["id"] == i["id"]).expect("item in full matrix");
            assert!(rows.iter().any(|r| r["node"]["statuses"].as_str().and_then(|s| s.chars().nth(n)) == Some('O')));
        }

        // The same bodies as a set of organisations; a foreign prefecture looks missing.
        let members: Vec<String> = d.members.iter().map(|o| org_gid(o.id)).collect();
        let explicit = w
            .run(
                &coordinator,
                "query($o: [ID!]) { matrix(organisations: $o) { rows { totalCount } } }",
                json!({ "o": members }),
            )
            .await;
        assert_eq!(explicit["data"]["matrix"]["rows"]["totalCount"], 3, "{explicit:#}");
        let outsider = w.session(w.foreign.viewer, w.foreign.id);
        assert_eq!(
            code(&w.run(&outsider, MATRIX, json!({ "p": org_gid(d.prefecture) })).await),
            "NOT_FOUND"
        );
        assert_eq!(
            code(&w.run(&outsider, MATRIX, json!({ "p": org_gid(taisho_domain::OrgId::new()) })).await),
            "NOT_FOUND"
        );
    }
}
