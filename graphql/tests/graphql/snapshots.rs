//! Snapshots of the accounts area's responses (ids, cursors, times, secrets redacted), the same on
//! both backends.

use serde_json::json;
use taisho_app::records::Access;

use super::*;

taisho_testkit::backend_test! {
    async fn viewer_organisations_and_keys(db) {
        let w = world(db).await;
        let admin = w.session(w.prefecture.admin, w.prefecture.id);
        let viewer = w.run(&admin, "{ viewer { user { id email displayName } actingOrganisation { id name kind }
            role readableOrganisations(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
            edges { cursor node { id kind } } } } }", json!({})).await;
        insta::assert_json_snapshot!("viewer", w.redact(viewer));

        let orgs = w.run(&admin, "query($id: ID!) { organisation(id: $id) { id name kind prefecture { name }
            members { totalCount nodes { name kind prefecture { name } memberships(first: 1) { totalCount nodes { role user { email displayName } } } } }
            memberships { totalCount nodes { role user { email } } } } }",
            json!({ "id": org_gid(w.prefecture.id) })).await;
        insta::assert_json_snapshot!("prefecture", w.redact(orgs));

        let town = w.session(w.town.admin, w.town.id);
        let created = w.run(&town, "mutation($org: ID!) { createApiKey(input: { organisation: $org, name: \"集計用\" }) {
            secret apiKey { id name prefix access active createdAt expiresAt revokedAt lastUsedAt organisation { name } } } }",
            json!({ "org": org_gid(w.town.id) })).await;
        insta::assert_json_snapshot!("create_api_key", w.redact(created));
        let _ = w.key(&w.town, Access::Write).await;
        let keys = w.run(&town, "query($id: ID!) { organisation(id: $id) { apiKeys(first: 10) { totalCount nodes { name access active } } } }",
            json!({ "id": org_gid(w.town.id) })).await;
        insta::assert_json_snapshot!("api_keys", w.redact(keys));
    }
}
