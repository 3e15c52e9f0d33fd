//! Integration tests of the GraphQL schema, executed in-process (`schema.execute` with the caller in
//! the request data, as the server does), no HTTP. Tests touching storage run on SQLite and
//! PostgreSQL (`taisho_testkit::backend_test!`).

mod accounts;
mod analysis_flow;
mod audit_log;
mod diff_matrix;
mod grantee_text;
mod limits;
mod sdl;
mod snapshots;

use std::sync::Arc;

use serde_json::{Value, json};
use taisho_app::auth::Caller;
use taisho_app::engine::Engine;
use taisho_app::records::{Access, OrgKind, Principal, Role};
use taisho_app::{Services, ServicesConfig};
use taisho_domain::{OrgId, UserId};
use taisho_graphql::{Api, SchemaConfig};
use taisho_testkit::{Store, Tenants, TestDb, char_class_engine};

pub const PASSWORD: &str = "correct horse battery staple";
pub const KEY_SECRET: &[u8] = b"graphql test key secret, at least 32 bytes";

pub fn engine() -> Arc<Engine> {
    Arc::new(Engine::new(Arc::new(taisho_engine::CharClassTokenizer)))
}

pub fn services(store: &Store) -> Services {
    Services::new(
        store.clone(),
        char_class_engine(),
        taisho_guideline::EditionId::DEFAULT,
        &ServicesConfig::with_key_secret(KEY_SECRET),
    )
    .expect("services")
}

/// A body with an admin, an editor and a viewer.
#[derive(Debug, Clone)]
pub struct Body {
    pub id: OrgId,
    pub admin: UserId,
    pub editor: UserId,
    pub viewer: UserId,
}

/// デモ県 with two member towns, a consultancy (granted read by town A) and a foreign town.
pub struct World {
    pub db: TestDb,
    pub services: Services,
    pub schema: Api,
    /// Unique per world: part of every email (PostgreSQL tests share a database).
    pub tag: String,
    pub prefecture: Body,
    pub town: Body,
    pub town_b: Body,
    pub consultancy: Body,
    pub foreign: Body,
}

pub async fn world(db: TestDb) -> World {
    world_with(db, SchemaConfig::default()).await
}

pub async fn world_with(db: TestDb, config: SchemaConfig) -> World {
    let services = services(&db.store);
    let hash = services
        .accounts()
        .hasher()
        .hash(PASSWORD)
        .await
        .expect("hash");
    let tenants = Tenants::begin(&db.store).await.with_password_hash(hash);
    let tag = tenants.tag().to_owned();
    let mut n = 0;
    let mut body = async |kind: OrgKind, name: &str, prefecture: Option<OrgId>| -> Body {
        let id = tenants.organisation(kind, name, prefecture).await;
        let mut users = Vec::new();
        for role in [Role::Admin, Role::Editor, Role::Viewer] {
            n += 1;
            let who = format!("{}{n}", role.as_str());
            users.push(tenants.member(id, role, &who, &who).await.id);
        }
        Body {
            id,
            admin: users[0],
            editor: users[1],
            viewer: users[2],
        }
    };
    let prefecture = body(OrgKind::Prefecture, "テスト県", None).await;
    let town = body(OrgKind::Municipality, "テスト町", Some(prefecture.id)).await;
    let town_b = body(OrgKind::Municipality, "テスト村", Some(prefecture.id)).await;
    let consultancy = body(OrgKind::Consultancy, "テスト研究所", None).await;
    let foreign = body(OrgKind::Municipality, "よその市", None).await;
    tenants.commit().await;
    // The grant is the town's own act, in its admin's scope.
    let scope = services
        .scope_of(&Principal::User {
            user: town.admin,
            acting_org: Some(town.id),
        })
        .await
        .expect("scope");
    services
        .grants()
        .create(&scope, town.id, consultancy.id, Access::Read, false)
        .await
        .expect("grant");
    let schema = taisho_graphql::build(services.clone(), config);
    World {
        db,
        services,
        schema,
        tag,
        prefecture,
        town,
        town_b,
        consultancy,
        foreign,
    }
}

impl World {
    pub fn session(&self, user: UserId, org: OrgId) -> Caller {
        Caller::session(user, org)
    }

    pub async fn run(&self, caller: &Caller, query: &str, variables: Value) -> Value {
        run(&self.schema, caller, query, variables).await
    }

    /// A new API key of `org` (made by its admin) and the caller it authenticates as.
    pub async fn key(&self, org: &Body, access: Access) -> (String, Caller) {
        let scope = self
            .services
            .scope_of(&Principal::User {
                user: org.admin,
                acting_org: Some(org.id),
            })
            .await
            .expect("scope");
        let issued = self
            .services
            .keys()
            .create(&scope, org.id, "test key", access, None)
            .await
            .expect("key");
        let secret = issued.secret.expose().to_owned();
        let bearer = format!("Bearer {secret}");
        let caller = taisho_app::auth::authenticate(
            &self.services,
            taisho_app::auth::Credential::Bearer(&bearer),
        )
        .await
        .expect("authenticate");
        (secret, caller)
    }

    /// Replaces this world's tag in every string (emails) and ids, cursors, times and secrets.
    pub fn redact(&self, value: Value) -> Value {
        redact(value, &self.tag)
    }
}

/// Executes `query` as `caller`; the response as JSON (`data`, `errors`).
pub async fn run(schema: &Api, caller: &Caller, query: &str, variables: Value) -> Value {
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables))
        .data(caller.clone());
    let response = schema.execute(request).await;
    serde_json::to_value(&response).expect("response JSON")
}

/// The `extensions.code` of every error.
pub fn codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The one error's code, asserting there is exactly one.
pub fn code(response: &Value) -> String {
    let c = codes(response);
    assert_eq!(c.len(), 1, "{response:#}");
    c[0].clone()
}

pub fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

pub fn org_gid(org: OrgId) -> String {
    gid("Organisation", org.as_uuid())
}

fn redact(value: Value, tag: &str) -> Value {
    const IDS: &[&str] = &["id", "cursor", "startCursor", "endCursor"];
    const TIMES: &[&str] = &["createdAt", "revokedAt", "expiresAt", "lastUsedAt"];
    fn walk(v: Value, tag: &str, key: Option<&str>) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = walk(v, tag, Some(&k));
                        (k, v)
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| walk(v, tag, key)).collect())
            }
            Value::String(s) => match key {
                Some(k) if IDS.contains(&k) => json!("[id]"),
                Some(k) if TIMES.contains(&k) => json!("[time]"),
                Some("prefix") => json!("[prefix]"),
                Some("secret" | "initialPassword") => json!("[secret]"),
                _ => Value::String(s.replace(tag, "TAG")),
            },
            other => other,
        }
    }
    walk(value, tag, None)
}
