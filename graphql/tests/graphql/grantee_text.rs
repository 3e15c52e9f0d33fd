//! A write grant without text access never opens text it was not given: a grantee walks every
//! mutation of the schema against the grantor's data, and the set of (document, version pair)
//! whose text it reads never grows.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use taisho_app::auth::Caller;
use taisho_app::records::Access;

use crate::analysis_flow::upload;
use crate::{World, code, gid, org_gid, world};

/// Two versions of one document: (document id, first version id, second version id).
type Doc = (String, String, String);

async fn document(w: &World, caller: &Caller, title: &str, unpublished: bool) -> Doc {
    let org = org_gid(w.town_b.id);
    let first = upload(
        &w.schema,
        caller,
        json!({ "organisation": org, "title": title, "unpublished": unpublished }),
        "a.txt",
        "第1条 職員は、パスワードを秘密にしなければならない。\n".as_bytes(),
    )
    .await;
    assert!(first.get("errors").is_none(), "{first:#}");
    let doc = first["data"]["uploadVersion"]["document"]["id"]
        .as_str()
        .expect("document id")
        .to_owned();
    let second = upload(
        &w.schema,
        caller,
        json!({ "organisation": org, "document": doc }),
        "b.txt",
        "第1条 職員は、パスワードを秘密にするよう努める。\n".as_bytes(),
    )
    .await;
    assert!(second.get("errors").is_none(), "{second:#}");
    let v = |r: &Value| {
        r["data"]["uploadVersion"]["version"]["id"]
            .as_str()
            .expect("version id")
            .to_owned()
    };
    (doc, v(&first), v(&second))
}

/// The documents among `docs` whose diff (policy text) `caller` reads.
async fn readable(w: &World, caller: &Caller, docs: &[Doc]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (doc, from, to) in docs {
        let r = w
            .run(
                caller,
                "query($a: ID!, $b: ID!) { diff(from: $a, to: $b) { degraded } }",
                json!({ "a": from, "b": to }),
            )
            .await;
        if r.get("errors").is_none() {
            out.insert(doc.clone());
        }
    }
    out
}

/// Every mutation field of the schema, by introspection.
async fn mutation_names(w: &World, caller: &Caller) -> BTreeSet<String> {
    let r = w
        .run(
            caller,
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    r["data"]["__schema"]["mutationType"]["fields"]
        .as_array()
        .expect("mutation fields")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect()
}

taisho_testkit::backend_test! {
    async fn a_write_grantee_cannot_publish_or_otherwise_open_unpublished_text(db) {
        let w = world(db).await;
        // 村 grants the consultancy WRITE without text access.
        let admin = w.session(w.town_b.admin, w.town_b.id);
        let granted = w
            .run(
                &admin,
                "mutation($i: CreateGrantInput!) { createGrant(input: $i) { id } }",
                json!({ "i": {
                    "grantor": org_gid(w.town_b.id),
                    "grantee": org_gid(w.consultancy.id),
                    "access": "WRITE",
                    "textAccess": false,
                } }),
            )
            .await;
        assert!(granted.get("errors").is_none(), "{granted:#}");
        let grant = granted["data"]["createGrant"]["id"].as_str().unwrap().to_owned();
        let editor = w.session(w.town_b.editor, w.town_b.id);
        let published = document(&w, &editor, "公開の方針", false).await;
        let hidden = document(&w, &editor, "非公開の方針", true).await;
        let docs = vec![published.clone(), hidden.clone()];

        let (_, grantee) = w.key(&w.consultancy, Access::Write).await;
        let before = readable(&w, &grantee, &docs).await;
        assert_eq!(before, BTreeSet::from([published.0.clone()]));

        // The document's own editor may publish and hide again.
        let set = "mutation($d: ID!, $u: Boolean!) { setDocumentUnpublished(document: $d, unpublished: $u) { unpublished } }";
        let own = w.run(&editor, set, json!({ "d": hidden.0, "u": true })).await;
        assert!(own.get("errors").is_none(), "{own:#}");

        let town_b = org_gid(w.town_b.id);
        let consultancy = org_gid(w.consultancy.id);
        let user = gid("User", w.town_b.viewer.as_uuid());
        // Every mutation the grantee could send against the grantor, with the most opening
        // arguments there are.
        let mut walked = BTreeSet::new();
        let mut tried = Vec::new();
        for name in mutation_names(&w, &grantee).await {
            let calls: Vec<(&str, Value)> = match name.as_str() {
                "setDocumentUnpublished" => vec![
                    (set, json!({ "d": hidden.0, "u": false })),
                    (set, json!({ "d": published.0, "u": false })),
                ],
                "createGrant" => vec![(
                    "mutation($i: CreateGrantInput!) { createGrant(input: $i) { id } }",
                    json!({ "i": { "grantor": town_b, "grantee": consultancy,
                        "access": "WRITE", "textAccess": true } }),
                )],
                "revokeGrant" => vec![(
                    "mutation($id: ID!) { revokeGrant(id: $id) { id } }",
                    json!({ "id": grant }),
                )],
                "createApiKey" => vec![(
                    "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
                    json!({ "i": { "organisation": town_b, "name": "grantee", "role": "ADMIN" } }),
                )],
                "revokeApiKey" => vec![(
                    "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
                    json!({ "id": gid("ApiKey", uuid::Uuid::now_v7()) }),
                )],
                "createUser" => vec![(
                    "mutation($i: CreateUserInput!) { createUser(input: $i) { initialPassword } }",
                    json!({ "i": { "organisation": town_b, "email": format!("grantee-{}@example.jp", w.tag),
                        "displayName": "受託者", "role": "ADMIN" } }),
                )],
                "setMemberRole" => vec![(
                    "mutation($i: SetMemberRoleInput!) { setMemberRole(input: $i) { role } }",
                    json!({ "i": { "organisation": town_b, "user": user, "role": "ADMIN" } }),
                )],
                "removeMember" => vec![(
                    "mutation($i: RemoveMemberInput!) { removeMember(input: $i) }",
                    json!({ "i": { "organisation": town_b, "user": user } }),
                )],
                "reanalyse" => vec![(
                    "mutation($v: ID!) { reanalyse(version: $v) { state } }",
                    json!({ "v": hidden.2 }),
                )],
                "uploadVersion" => {
                    // Through the multipart helper: a new version of the hidden document, asking
                    // for publication on the way.
                    let r = upload(
                        &w.schema,
                        &grantee,
                        json!({ "organisation": town_b, "document": hidden.0, "unpublished": false }),
                        "c.txt",
                        "第1条 職員は、パスワードを他人に教えてはならない。\n".as_bytes(),
                    )
                    .await;
                    tried.push((name.clone(), r));
                    vec![]
                }
                other => panic!("mutation {other} is not walked: add it to this test"),
            };
            for (query, variables) in calls {
                let r = w.run(&grantee, query, variables).await;
                tried.push((name.clone(), r));
            }
            walked.insert(name);
            let now = readable(&w, &grantee, &docs).await;
            assert!(
                now.is_subset(&before),
                "after {:?} the grantee reads more text: {now:?} (before {before:?})",
                tried.last()
            );
        }
        assert!(walked.len() >= 10, "{walked:?}");
        // The publication flag in particular is refused, not silently ignored.
        let refused = w.run(&grantee, set, json!({ "d": hidden.0, "u": false })).await;
        assert_eq!(code(&refused), "FORBIDDEN", "{refused:#}");
        let still = w
            .run(&editor, "query($d: ID!) { document(id: $d) { unpublished } }", json!({ "d": hidden.0 }))
            .await;
        assert_eq!(still["data"]["document"]["unpublished"], true, "{still:#}");
    }
}
