//! Sockets do not outlive their credentials: after sign-out, API key revocation, membership
//! removal and grant revocation, the affected WebSockets close with 4403 within a second, deliver
//! no event after the change and accept no new subscription; sockets whose scope did not change
//! stay open.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::api::{self, PROGRESS_SUBSCRIPTION};
use crate::client::{Client, Ending};
use crate::harness::{Backend, Server};

e2e_test!(sign_out_closes_the_sessions_sockets, sign_out);
e2e_test!(revoking_an_api_key_closes_its_sockets, key_revocation);
e2e_test!(removing_a_member_closes_their_sockets, member_removal);
e2e_test!(
    revoking_a_grant_closes_the_grantees_sockets,
    grant_revocation
);

/// The close code for a credential that no longer grants what the socket had.
const FORBIDDEN: u16 = 4403;
/// The bound the issue sets between the change and the close.
const WITHIN: Duration = Duration::from_secs(1);
/// Events already on the wire when the change returned may still be read just after it.
const IN_FLIGHT: Duration = Duration::from_millis(200);

/// The prefecture admin's session, the prefecture's id and a fresh version of it (new bytes, so
/// its analysis runs while the scenario subscribes).
async fn setup(server: &Server) -> (Client, String, String) {
    let admin = api::sign_in(server, "admin").await;
    let prefecture = api::acting_org(&admin).await.id;
    let (name, mut bytes) = api::seed_file("004");
    bytes.extend_from_slice(format!("\n（試験 {}）\n", fastrand::u64(..)).as_bytes());
    let up = api::upload(&admin, &prefecture, None, "socket test", &name, bytes).await;
    let version = up["version"]["id"].as_str().expect("version id").to_owned();
    (admin, prefecture, version)
}

/// Sockets of `affected` before `change`: one with a running `analysisProgress` subscription
/// (its first event received), one idle that subscribes right after the change. Both must close
/// with 4403 within a second of the change and deliver nothing after it. A socket of `control`
/// (unchanged scope) stays open and still answers a new subscription.
async fn sockets_close_on<F>(
    label: &str,
    affected: &Client,
    control: &Client,
    version: &str,
    change: F,
) where
    F: Future<Output = ()>,
{
    let vars = json!({ "v": version });
    let mut running = affected.socket().await;
    running
        .subscribe("1", PROGRESS_SUBSCRIPTION, vars.clone())
        .await;
    let first = running
        .next_message(Duration::from_secs(60))
        .await
        .unwrap_or_else(|| panic!("{label}: no first event on the running subscription"));
    assert!(
        first["payload"]["data"]["analysisProgress"]["state"].is_string(),
        "{label}: the subscription does not run before the change: {first}"
    );
    let mut idle = affected.socket().await;
    let mut unchanged = control.socket().await;

    change.await;
    let changed_at = Instant::now();
    idle.subscribe("2", PROGRESS_SUBSCRIPTION, vars.clone())
        .await;
    let (running_end, idle_end) = futures_util::future::join(
        running.until_closed(WITHIN * 3),
        idle.until_closed(WITHIN * 3),
    )
    .await;
    check_closed(
        label,
        "running subscription",
        &running_end,
        changed_at,
        IN_FLIGHT,
    );
    check_closed(
        label,
        "subscribe after the change",
        &idle_end,
        changed_at,
        Duration::ZERO,
    );

    // The socket whose scope did not change is still open and still serves.
    unchanged.subscribe("3", PROGRESS_SUBSCRIPTION, vars).await;
    let event = unchanged
        .next_message(Duration::from_secs(30))
        .await
        .unwrap_or_else(|| panic!("{label}: the unchanged socket was closed"));
    assert_eq!(event["type"], "next", "{label}: {event}");
    assert!(
        event["payload"]["data"]["analysisProgress"]["state"].is_string(),
        "{label}: the unchanged socket lost its access: {event}"
    );
}

fn check_closed(label: &str, which: &str, end: &Ending, changed_at: Instant, in_flight: Duration) {
    let late: Vec<&Value> = end
        .events
        .iter()
        .filter(|(at, _)| at.duration_since(changed_at) > in_flight)
        .map(|(_, v)| v)
        .collect();
    assert!(
        late.is_empty(),
        "{label} ({which}): events delivered after the change: {late:?}"
    );
    assert_eq!(
        end.code,
        Some(FORBIDDEN),
        "{label} ({which}): not closed with 4403 within {:?}: {end:?}",
        WITHIN * 3
    );
    let after = end
        .closed_at
        .map_or(Duration::MAX, |t| t.duration_since(changed_at));
    assert!(
        after <= WITHIN,
        "{label} ({which}): closed {after:?} after the change (bound {WITHIN:?})"
    );
}

async fn post_sign_out(client: &Client) {
    let r = Client::send(client.request(reqwest::Method::POST, "/auth/sign-out")).await;
    assert_eq!(r.status, 200, "sign-out: {}", r.text);
}

async fn sign_out(backend: Backend) {
    let server = Server::start(backend).await;
    let (admin, _, version) = setup(&server).await;
    // A second session of the same user: its own sign-out does not touch this one.
    let other_session = api::sign_in(&server, "admin").await;
    sockets_close_on(
        "sign-out",
        &admin,
        &other_session,
        &version,
        post_sign_out(&admin),
    )
    .await;
}

async fn key_revocation(backend: Backend) {
    let server = Server::start(backend).await;
    let (admin, prefecture, version) = setup(&server).await;
    let mut keys = Vec::new();
    for name in ["revoked", "kept"] {
        let d = admin
            .ok(
                "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) \
                 { secret apiKey { id } } }",
                json!({ "input": { "organisation": prefecture, "name": name, "role": "VIEWER" } }),
            )
            .await;
        let secret = d["createApiKey"]["secret"].as_str().expect("secret");
        let id = d["createApiKey"]["apiKey"]["id"].as_str().expect("key id");
        keys.push((admin.with_bearer(secret), id.to_owned()));
    }
    let (revoked, id) = &keys[0];
    let (kept, _) = &keys[1];
    let revoke = async {
        admin
            .ok(
                "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
    };
    sockets_close_on("API key revocation", revoked, kept, &version, revoke).await;
}

async fn member_removal(backend: Backend) {
    let server = Server::start(backend).await;
    let (admin, prefecture, version) = setup(&server).await;
    let email = format!("socket-{}@demo-ken.example", fastrand::u32(..));
    let d = admin
        .ok(
            "mutation($input: CreateUserInput!) { createUser(input: $input) \
             { initialPassword user { id } } }",
            json!({ "input": {
                "organisation": prefecture, "email": email,
                "displayName": "一時利用者", "role": "VIEWER"
            } }),
        )
        .await;
    let password = d["createUser"]["initialPassword"]
        .as_str()
        .expect("password");
    let user = d["createUser"]["user"]["id"].as_str().expect("user id");
    let member = match server.client().sign_in(&email, password).await {
        Ok(c) => c,
        Err(r) => panic!(
            "sign-in of the new member failed ({}): {}",
            r.status, r.text
        ),
    };
    let remove = async {
        admin
            .ok(
                "mutation($input: RemoveMemberInput!) { removeMember(input: $input) }",
                json!({ "input": { "organisation": prefecture, "user": user } }),
            )
            .await;
    };
    sockets_close_on("membership removal", &member, &admin, &version, remove).await;
}

async fn grant_revocation(backend: Backend) {
    let server = Server::start(backend).await;
    let (admin, prefecture, version) = setup(&server).await;
    let consultancy = server
        .client()
        .with_bearer(&server.create_key(taisho_consultancy(), "viewer"));
    let grantee = api::acting_org(&consultancy).await.id;
    let d = admin
        .ok(
            "mutation($input: CreateGrantInput!) { createGrant(input: $input) { id } }",
            json!({ "input": { "grantor": prefecture, "grantee": grantee, "access": "READ" } }),
        )
        .await;
    let grant = d["createGrant"]["id"]
        .as_str()
        .expect("grant id")
        .to_owned();
    let revoke = async {
        admin
            .ok(
                "mutation($id: ID!) { revokeGrant(id: $id) { id } }",
                json!({ "id": grant }),
            )
            .await;
    };
    sockets_close_on("grant revocation", &consultancy, &admin, &version, revoke).await;
}

/// The demo consultancy's name (`taisho_app::demo::CONSULTANCY`; this crate links no library).
fn taisho_consultancy() -> &'static str {
    "デモ情報セキュリティ監査株式会社"
}
