//! The accounts area through the schema: the caller, organisations, memberships, grants, keys,
//! users; roles on mutations; foreign ids indistinguishable from missing ones.

use serde_json::json;
use taisho_app::records::{Access, AuditFilter, Principal};

use super::*;

const VIEWER: &str =
    "{ viewer { user { email displayName } actingOrganisation { id name kind } role
    readableOrganisations(first: 10) { totalCount nodes { name } } } }";

taisho_testkit::backend_test! {
    async fn the_viewer_of_a_session_is_its_user_acting_for_its_organisation(db) {
        let w = world(db).await;
        let r = w.run(&w.session(w.town.editor, w.town.id), VIEWER, json!({})).await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let v = &r["data"]["viewer"];
        assert_eq!(v["user"]["email"], json!(format!("editor5-{}@example.jp", w.tag)));
        assert_eq!(v["actingOrganisation"]["name"], json!("テスト町"));
        assert_eq!(v["actingOrganisation"]["kind"], json!("MUNICIPALITY"));
        assert_eq!(v["actingOrganisation"]["id"], json!(org_gid(w.town.id)));
        assert_eq!(v["role"], json!("EDITOR"));
        assert_eq!(v["readableOrganisations"]["totalCount"], json!(1));
        // The prefecture's admin reads its members too.
        let r = w.run(&w.session(w.prefecture.admin, w.prefecture.id), VIEWER, json!({})).await;
        let mut names: Vec<&str> = r["data"]["viewer"]["readableOrganisations"]["nodes"]
            .as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
        names.sort_unstable();
        assert_eq!(names, ["テスト村", "テスト町", "テスト県"]);
        assert_eq!(r["data"]["viewer"]["role"], json!("ADMIN"));
    }
}

taisho_testkit::backend_test! {
    async fn the_viewer_of_an_api_key_has_no_user_and_the_keys_role(db) {
        let w = world(db).await;
        let (_, read) = w.key(&w.town, Access::Read).await;
        let (_, write) = w.key(&w.town, Access::Write).await;
        let r = w.run(&read, VIEWER, json!({})).await;
        assert!(r.get("errors").is_none(), "{r:#}");
        assert_eq!(r["data"]["viewer"]["user"], json!(null));
        assert_eq!(r["data"]["viewer"]["role"], json!("VIEWER"));
        assert_eq!(r["data"]["viewer"]["actingOrganisation"]["name"], json!("テスト町"));
        let r = w.run(&write, VIEWER, json!({})).await;
        assert_eq!(r["data"]["viewer"]["role"], json!("EDITOR"));
    }
}

taisho_testkit::backend_test! {
    async fn anonymous_callers_are_unauthenticated(db) {
        let w = world(db).await;
        let r = w.run(&Caller::anonymous(), VIEWER, json!({})).await;
        assert_eq!(code(&r), "UNAUTHENTICATED");
        let r = w.run(
            &Caller::anonymous(),
            "query($id: ID!) { organisation(id: $id) { name } }",
            json!({ "id": org_gid(w.town.id) }),
        ).await;
        assert_eq!(code(&r), "UNAUTHENTICATED");
    }
}

taisho_testkit::backend_test! {
    async fn foreign_wrong_type_and_missing_ids_are_the_same_not_found(db) {
        let w = world(db).await;
        let me = w.session(w.town.admin, w.town.id);
        let q = "query($id: ID!) { organisation(id: $id) { name } }";
        let mut messages = Vec::new();
        for id in [
            org_gid(w.foreign.id),
            org_gid(OrgId::new()),
            gid("User", w.town.id.as_uuid()),
            gid("Document", w.town.id.as_uuid()),
        ] {
            let r = w.run(&me, q, json!({ "id": id })).await;
            assert_eq!(code(&r), "NOT_FOUND", "{r:#}");
            assert_eq!(r["data"], json!(null));
            messages.push(r["errors"][0]["message"].clone());
        }
        assert!(messages.windows(2).all(|m| m[0] == m[1]), "{messages:?}");
        // node() alike.
        let r = w.run(&me, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": org_gid(w.foreign.id) })).await;
        assert_eq!(code(&r), "NOT_FOUND");
        assert_eq!(r["errors"][0]["message"], messages[0]);
        for bad in ["", "nope", "T3JnYW5pc2F0aW9uOm5vcGU", &"A".repeat(300)] {
            let r = w.run(&me, q, json!({ "id": bad })).await;
            assert_eq!(code(&r), "INVALID_ARGUMENT", "{bad}: {r:#}");
        }
        // A readable id works through node() and organisation().
        let r = w.run(&me, "query($id: ID!) { node(id: $id) { id ... on Organisation { name } } }", json!({ "id": org_gid(w.town.id) })).await;
        assert_eq!(r["data"]["node"]["name"], json!("テスト町"), "{r:#}");
    }
}

taisho_testkit::backend_test! {
    async fn organisations_show_members_memberships_and_grants(db) {
        let w = world(db).await;
        let q = "query($id: ID!) { organisation(id: $id) { name prefecture { name }
            members(first: 5) { totalCount nodes { name prefecture { name } } }
            memberships(first: 2) { totalCount pageInfo { hasNextPage endCursor }
                edges { node { role user { email } } } }
            grantsGiven { grantee { name } access textAccess revokedAt }
            grantsReceived { grantor { name } } } }";
        let pref = w.session(w.prefecture.viewer, w.prefecture.id);
        let r = w.run(&pref, q, json!({ "id": org_gid(w.prefecture.id) })).await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let o = &r["data"]["organisation"];
        assert_eq!(o["members"]["totalCount"], json!(2));
        assert_eq!(o["members"]["nodes"][0]["prefecture"]["name"], json!("テスト県"));
        assert_eq!(o["memberships"]["totalCount"], json!(3));
        assert_eq!(o["memberships"]["pageInfo"]["hasNextPage"], json!(true));
        assert_eq!(o["memberships"]["edges"][0]["node"]["role"], json!("ADMIN"));
        // The next page.
        let after = o["memberships"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        let r = w.run(&pref, "query($id: ID!, $after: String) { organisation(id: $id) {
            memberships(first: 2, after: $after) { pageInfo { hasNextPage } nodes { role } } } }",
            json!({ "id": org_gid(w.prefecture.id), "after": after })).await;
        assert_eq!(r["data"]["organisation"]["memberships"]["nodes"], json!([{ "role": "VIEWER" }]), "{r:#}");
        // The town's grant to the consultancy, seen from both sides.
        let r = w.run(&w.session(w.town.viewer, w.town.id), q, json!({ "id": org_gid(w.town.id) })).await;
        let g = &r["data"]["organisation"]["grantsGiven"];
        assert_eq!(g, &json!([{ "grantee": null, "access": "READ", "textAccess": false, "revokedAt": null }]), "{r:#}");
        let r = w.run(&w.session(w.consultancy.viewer, w.consultancy.id), q, json!({ "id": org_gid(w.consultancy.id) })).await;
        assert_eq!(r["data"]["organisation"]["grantsReceived"], json!([{ "grantor": { "name": "テスト町" } }]), "{r:#}");
    }
}

const CREATE_KEY: &str = "mutation($org: ID!, $role: Role) { createApiKey(input: { organisation: $org,
    name: \"CI\", role: $role }) { secret apiKey { id name prefix access active organisation { name } } } }";

taisho_testkit::backend_test! {
    async fn admins_create_list_and_revoke_api_keys_others_cannot(db) {
        let w = world(db).await;
        let admin = w.session(w.town.admin, w.town.id);
        let r = w.run(&admin, CREATE_KEY, json!({ "org": org_gid(w.town.id), "role": "EDITOR" })).await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let created = &r["data"]["createApiKey"];
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with(created["apiKey"]["prefix"].as_str().unwrap()));
        assert_eq!(created["apiKey"]["access"], json!("WRITE"));
        // The new key works, and its secret is never shown again.
        let bearer = format!("Bearer {secret}");
        let caller = taisho_app::auth::authenticate(&w.services, taisho_app::auth::Credential::Bearer(&bearer)).await.unwrap();
        let r = w.run(&caller, VIEWER, json!({})).await;
        assert_eq!(r["data"]["viewer"]["role"], json!("EDITOR"));
        let list = "query($id: ID!) { organisation(id: $id) { apiKeys { totalCount nodes { id name active } } } }";
        let r = w.run(&admin, list, json!({ "id": org_gid(w.town.id) })).await;
        assert_eq!(r["data"]["organisation"]["apiKeys"]["totalCount"], json!(1), "{r:#}");
        assert!(!r.to_string().contains(&secret));
        let key_id = created["apiKey"]["id"].clone();
        // Keys cannot be admins.
        let r = w.run(&admin, CREATE_KEY, json!({ "org": org_gid(w.town.id), "role": "ADMIN" })).await;
        assert_eq!(code(&r), "INVALID_ARGUMENT");
        // An editor of the town: forbidden; an admin of another body: not found.
        let editor = w.session(w.town.editor, w.town.id);
        let r = w.run(&editor, CREATE_KEY, json!({ "org": org_gid(w.town.id) })).await;
        assert_eq!(code(&r), "FORBIDDEN");
        let r = w.run(&editor, list, json!({ "id": org_gid(w.town.id) })).await;
        assert_eq!(code(&r), "FORBIDDEN");
        let stranger = w.session(w.foreign.admin, w.foreign.id);
        let r = w.run(&stranger, CREATE_KEY, json!({ "org": org_gid(w.town.id) })).await;
        assert_eq!(code(&r), "NOT_FOUND");
        let revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { active revokedAt } }";
        let r = w.run(&stranger, revoke, json!({ "id": key_id })).await;
        assert_eq!(code(&r), "NOT_FOUND");
        let r = w.run(&admin, revoke, json!({ "id": key_id })).await;
        assert_eq!(r["data"]["revokeApiKey"]["active"], json!(false), "{r:#}");
        assert!(taisho_app::auth::authenticate(&w.services, taisho_app::auth::Credential::Bearer(&bearer)).await.is_err());
        // Audited: created, revoked, and the refusals.
        let log = audit(&w, &w.town).await;
        assert!(log.iter().any(|(a, o)| a == "api_key.create" && o == "ok"), "{log:?}");
        assert!(log.iter().any(|(a, o)| a == "api_key.revoke" && o == "ok"), "{log:?}");
        assert!(log.iter().any(|(a, o)| a == "api_key.create" && o == "denied"), "{log:?}");
    }
}

taisho_testkit::backend_test! {
    async fn admins_create_users_change_roles_and_remove_members(db) {
        let w = world(db).await;
        let admin = w.session(w.town.admin, w.town.id);
        let create = "mutation($org: ID!, $email: String!) { createUser(input: { organisation: $org,
            email: $email, displayName: \"新人\", role: EDITOR }) { initialPassword user { id email displayName } } }";
        let email = format!("new-{}@example.jp", w.tag);
        let r = w.run(&admin, create, json!({ "org": org_gid(w.town.id), "email": email })).await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let password = r["data"]["createUser"]["initialPassword"].as_str().unwrap().to_owned();
        assert!(password.len() >= 20);
        let user_id = r["data"]["createUser"]["user"]["id"].clone();
        // The new user signs in with the initial password.
        let (_, caller) = w.services.sessions().sign_in(&email, &password, None, None).await.unwrap();
        assert_eq!(caller.org(), Some(w.town.id));
        // Duplicate email: invalid argument.
        let r = w.run(&admin, create, json!({ "org": org_gid(w.town.id), "email": email })).await;
        assert_eq!(code(&r), "INVALID_ARGUMENT");
        // A viewer may not; a stranger gets not found.
        let r = w.run(&w.session(w.town.viewer, w.town.id), create, json!({ "org": org_gid(w.town.id), "email": format!("x-{}@example.jp", w.tag) })).await;
        assert_eq!(code(&r), "FORBIDDEN");
        let r = w.run(&w.session(w.foreign.admin, w.foreign.id), create, json!({ "org": org_gid(w.town.id), "email": format!("y-{}@example.jp", w.tag) })).await;
        assert_eq!(code(&r), "NOT_FOUND");

        let set = "mutation($org: ID!, $user: ID!, $role: Role!) { setMemberRole(input: { organisation: $org, user: $user, role: $role }) { role user { email } } }";
        let r = w.run(&admin, set, json!({ "org": org_gid(w.town.id), "user": user_id, "role": "VIEWER" })).await;
        assert_eq!(r["data"]["setMemberRole"]["role"], json!("VIEWER"), "{r:#}");
        // The last admin cannot demote itself.
        let r = w.run(&admin, set, json!({ "org": org_gid(w.town.id), "user": gid("User", w.town.admin.as_uuid()), "role": "VIEWER" })).await;
        assert_eq!(code(&r), "INVALID_ARGUMENT");
        let remove = "mutation($org: ID!, $user: ID!) { removeMember(input: { organisation: $org, user: $user }) }";
        let r = w.run(&w.session(w.town.editor, w.town.id), remove, json!({ "org": org_gid(w.town.id), "user": user_id })).await;
        assert_eq!(code(&r), "FORBIDDEN");
        let r = w.run(&admin, remove, json!({ "org": org_gid(w.town.id), "user": user_id })).await;
        assert_eq!(r["data"]["removeMember"], json!(true), "{r:#}");
        let log = audit(&w, &w.town).await;
        for action in ["user.create", "member.role", "member.remove"] {
            assert!(log.iter().any(|(a, o)| a == action && o == "ok"), "{action}: {log:?}");
        }
    }
}

taisho_testkit::backend_test! {
    async fn grantor_admins_create_and_revoke_grants(db) {
        let w = world(db).await;
        let create = "mutation($from: ID!, $to: ID!) { createGrant(input: { grantor: $from, grantee: $to, access: READ, textAccess: true }) { id access textAccess grantor { name } } }";
        let vars = json!({ "from": org_gid(w.town_b.id), "to": org_gid(w.consultancy.id) });
        let r = w.run(&w.session(w.town_b.editor, w.town_b.id), create, vars.clone()).await;
        assert_eq!(code(&r), "FORBIDDEN");
        let r = w.run(&w.session(w.town.admin, w.town.id), create, vars.clone()).await;
        assert_eq!(code(&r), "NOT_FOUND");
        let admin = w.session(w.town_b.admin, w.town_b.id);
        let r = w.run(&admin, create, vars).await;
        assert!(r.get("errors").is_none(), "{r:#}");
        let grant = r["data"]["createGrant"]["id"].clone();
        // The consultancy now reads town B.
        let consultancy = w.session(w.consultancy.viewer, w.consultancy.id);
        let r = w.run(&consultancy, "{ organisations { totalCount } }", json!({})).await;
        assert_eq!(r["data"]["organisations"]["totalCount"], json!(3), "{r:#}");
        let revoke = "mutation($id: ID!) { revokeGrant(id: $id) { revokedAt } }";
        let r = w.run(&consultancy, revoke, json!({ "id": grant })).await;
        assert_eq!(code(&r), "FORBIDDEN");
        let r = w.run(&admin, revoke, json!({ "id": grant })).await;
        assert!(r["data"]["revokeGrant"]["revokedAt"].is_string(), "{r:#}");
        let r = w.run(&consultancy, "{ organisations { totalCount } }", json!({})).await;
        assert_eq!(r["data"]["organisations"]["totalCount"], json!(2));
        let log = audit(&w, &w.town_b).await;
        for action in ["grant.create", "grant.revoke"] {
            assert!(log.iter().any(|(a, o)| a == action && o == "ok"), "{action}: {log:?}");
        }
    }
}

/// (action, outcome) of `body`'s audit log, newest first, as its admin reads it.
async fn audit(w: &World, body: &Body) -> Vec<(String, String)> {
    let scope = w
        .services
        .scope_of(&Principal::User {
            user: body.admin,
            acting_org: Some(body.id),
        })
        .await
        .unwrap();
    let (entries, _) = w
        .services
        .audit()
        .list(&scope, body.id, &AuditFilter::default(), 0, 1000)
        .await
        .unwrap();
    entries.into_iter().map(|e| (e.action, e.outcome)).collect()
}

taisho_testkit::backend_test! {
    async fn members_email_addresses_are_shown_only_to_their_organisations_admins(db) {
        let w = world(db).await;
        let q = "query($id: ID!) { organisation(id: $id) {
            memberships(first: 10) { nodes { role user { id email displayName } } } } }";
        let emails = async |caller| -> Vec<(String, Option<String>)> {
            let r = w.run(&caller, q, json!({ "id": org_gid(w.town.id) })).await;
            assert!(r.get("errors").is_none(), "{r:#}");
            r["data"]["organisation"]["memberships"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| (n["role"].as_str().unwrap().to_owned(), n["user"]["email"].as_str().map(str::to_owned)))
                .collect()
        };
        // The town's own admin sees every member's address.
        let seen = emails(w.session(w.town.admin, w.town.id)).await;
        assert_eq!(seen.len(), 3);
        assert!(seen.iter().all(|(_, e)| e.is_some()), "{seen:?}");
        // A member who is not an admin sees only its own.
        let seen = emails(w.session(w.town.viewer, w.town.id)).await;
        let shown: Vec<&str> = seen.iter().filter(|(_, e)| e.is_some()).map(|(r, _)| r.as_str()).collect();
        assert_eq!(shown, ["VIEWER"], "{seen:?}");
        // The prefecture's admin (coordinator of the town) and the consultancy's admin (grantee)
        // see names, not addresses.
        for caller in [
            w.session(w.prefecture.admin, w.prefecture.id),
            w.session(w.consultancy.admin, w.consultancy.id),
        ] {
            let seen = emails(caller).await;
            assert_eq!(seen.len(), 3);
            assert!(seen.iter().all(|(_, e)| e.is_none()), "{seen:?}");
        }
        // The same through node(User).
        let r = w
            .run(
                &w.session(w.prefecture.admin, w.prefecture.id),
                "query($id: ID!) { node(id: $id) { ... on User { displayName email } } }",
                json!({ "id": crate::gid("User", w.town.admin.as_uuid()) }),
            )
            .await;
        assert!(r["data"]["node"]["displayName"].is_string(), "{r:#}");
        assert_eq!(r["data"]["node"]["email"], json!(null), "{r:#}");
    }
}

taisho_testkit::backend_test! {
    async fn creating_a_user_reveals_no_address_registered_by_another_organisation(db) {
        let w = world(db).await;
        let create = "mutation($org: ID!, $email: String!) { createUser(input: { organisation: $org,
            email: $email, displayName: \"新人\", role: VIEWER }) { initialPassword user { id } } }";
        // An address of よその市 (another tenant): the town's admin gets an account of its own for it,
        // exactly as for an address never seen, not 「登録済み」.
        let foreign_email = format!("viewer15-{}@example.jp", w.tag);
        let unseen_email = format!("unseen-{}@example.jp", w.tag);
        let admin = w.session(w.town.admin, w.town.id);
        let mut answers = Vec::new();
        for email in [&foreign_email, &unseen_email] {
            let r = w.run(&admin, create, json!({ "org": org_gid(w.town.id), "email": email })).await;
            assert!(r.get("errors").is_none(), "{email}: {r:#}");
            answers.push(r["data"]["createUser"]["initialPassword"].as_str().unwrap().to_owned());
        }
        // Both accounts of the foreign address work, each for its own organisation.
        let (_, town_caller) = w.services.sessions().sign_in(&foreign_email, &answers[0], None, None).await.unwrap();
        assert_eq!(town_caller.org(), Some(w.town.id));
        let (_, foreign_caller) = w.services.sessions().sign_in(&foreign_email, crate::PASSWORD, None, None).await.unwrap();
        assert_eq!(foreign_caller.org(), Some(w.foreign.id));
        // The foreign user's organisation still sees only its own member.
        assert_ne!(town_caller.user(), foreign_caller.user());
        // An address already in the town is refused, as the town's admin may know.
        let r = w.run(&admin, create, json!({ "org": org_gid(w.town.id), "email": foreign_email })).await;
        assert_eq!(code(&r), "INVALID_ARGUMENT", "{r:#}");
    }
}
