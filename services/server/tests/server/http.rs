//! The HTTP server in-process on port 0, driven over HTTP: health and readiness, metrics,
//! authentication, browser sessions, the request limits, rate limits, GraphiQL, graceful shutdown.
//! Everything that touches storage runs on SQLite (embedded mode) and PostgreSQL (a fresh database).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use taisho_app::runtime::Backend;
use taisho_server::config::{Config, Environment, Flags, StoreFlags};
use taisho_server::{RunningServer, start};
use taisho_testkit::testdb;

const KEY_SECRET: &str = "test-key-secret-of-at-least-thirty-two-bytes";

struct Harness {
    server: RunningServer,
    url: String,
    client: reqwest::Client,
    /// A key of the demo prefecture.
    key: String,
    /// Keeps the embedded data directory alive.
    _dir: tempfile::TempDir,
    store_location: taisho_app::runtime::StoreLocation,
}

/// A demo service with one member body, one worker thread, development mode; `tweak` adjusts.
async fn harness(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(testdb::pg_migrated_database().await.expect("PostgreSQL")),
    };
    let flags = Flags {
        store: StoreFlags {
            data_dir: Some(dir.path().to_owned()),
            database_url,
            ..StoreFlags::default()
        },
        threads: Some(1),
        listen: Some("127.0.0.1:0".into()),
        demo: Some(true),
    };
    let env = |k: &str| match k {
        "TAISHO_KEY_SECRET" => Some(KEY_SECRET.to_owned()),
        "TAISHO_DEMO_MEMBERS" => Some("1".to_owned()),
        "TAISHO_ENV" => Some("development".to_owned()),
        _ => None,
    };
    let mut config = Config::load(&flags, env).expect("config");
    tweak(&mut config);
    let store_location = config.store.clone();
    let server = start(&config).await.expect("server starts");
    let demo = server.demo().expect("demo data");
    let issued = server
        .services()
        .keys()
        .create_by_operator(demo.prefecture, "test", taisho_app::records::Access::Write)
        .await
        .expect("API key");
    Harness {
        url: server.url(),
        server,
        client: reqwest::Client::new(),
        key: issued.secret.expose().to_owned(),
        _dir: dir,
        store_location,
    }
}

impl Harness {
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.url))
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.url))
    }

    fn graphql(&self, query: &str) -> reqwest::RequestBuilder {
        self.post("/graphql")
            .bearer_auth(&self.key)
            .json(&json!({ "query": query }))
    }

    /// Signs the demo admin in; the `Set-Cookie` header and the cookie pair.
    async fn sign_in(&self) -> (String, String) {
        let demo = self.server.demo().expect("demo");
        let admin = demo
            .sign_ins
            .iter()
            .find(|s| s.email == taisho_app::demo::ADMIN_EMAIL)
            .expect("admin sign-in printed on first start");
        let res = self
            .post("/auth/sign-in")
            .json(&json!({ "email": admin.email, "password": secrecy::ExposeSecret::expose_secret(&admin.password) }))
            .send()
            .await
            .expect("sign-in");
        assert_eq!(res.status(), StatusCode::OK);
        let set_cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("cookie set")
            .to_owned();
        let pair = set_cookie.split(';').next().unwrap_or("").to_owned();
        (set_cookie, pair)
    }

    async fn stop(self) {
        self.server.shutdown().await.expect("shutdown");
    }
}

/// The `extensions.code` of the first error of a GraphQL-shaped body.
async fn error_code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.expect("JSON error body");
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no extensions.code in {body}"))
        .to_owned()
}

macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(Backend::Postgres).await
            }
        }
    };
}

both_backends!(health_readiness_and_metrics_answer, |backend| async move {
    let h = harness(backend, |_| {}).await;
    let res = h.get("/healthz").send().await.expect("healthz");
    assert_eq!(res.status(), StatusCode::OK);
    let res = h.get("/readyz").send().await.expect("readyz");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    for check in ["database", "migrations", "workers"] {
        assert_eq!(body["checks"][check]["ok"], json!(true), "{body}");
    }
    let res = h.get("/metrics").send().await.expect("metrics");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("text");
    assert!(text.contains("taisho_http_requests_total"), "{text}");
    let res = h.get("/nowhere").send().await.expect("404");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "NOT_FOUND");
    h.stop().await;
});

both_backends!(graphql_needs_valid_credentials, |backend| async move {
    let h = harness(backend, |_| {}).await;
    let res = h
        .post("/graphql")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "UNAUTHENTICATED");
    let bad = format!("tsk_AAAAAAAA_{}", "A".repeat(43));
    for auth in [bad.as_str(), "nonsense", ""] {
        let res = h
            .post("/graphql")
            .header("authorization", format!("Bearer {auth}"))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth}");
        assert_eq!(error_code(res).await, "UNAUTHENTICATED");
    }
    let res = h.graphql("{ __typename }").send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["data"]["__typename"], json!("QueryRoot"), "{body}");
    h.stop().await;
});

both_backends!(
    a_browser_session_cookie_is_http_only_and_lax,
    |backend| async move {
        let h = harness(backend, |_| {}).await;
        let (set_cookie, pair) = h.sign_in().await;
        assert!(set_cookie.starts_with("taisho_session="), "{set_cookie}");
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
        assert!(!set_cookie.contains("Secure"), "development: {set_cookie}");
        let host = h.url.trim_start_matches("http://").to_owned();
        // Same origin: accepted.
        let res = h
            .post("/graphql")
            .header("cookie", &pair)
            .header("origin", format!("http://{host}"))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        // Another site: refused before anything runs.
        let res = h
            .post("/graphql")
            .header("cookie", &pair)
            .header("origin", "http://evil.example")
            .json(&json!({ "query": "mutation { __typename }" }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(error_code(res).await, "FORBIDDEN");
        // Signing out ends the session.
        let res = h
            .post("/auth/sign-out")
            .header("cookie", &pair)
            .send()
            .await
            .expect("sign-out");
        assert_eq!(res.status(), StatusCode::OK);
        let res = h
            .post("/graphql")
            .header("cookie", &pair)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // A wrong password is the same 401 as an unknown user.
        let res = h
            .post("/auth/sign-in")
            .json(&json!({ "email": taisho_app::demo::ADMIN_EMAIL, "password": "wrong" }))
            .send()
            .await
            .expect("sign-in");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(res).await, "UNAUTHENTICATED");
        h.stop().await;
    }
);

both_backends!(
    malformed_requests_are_refused_with_graphql_shaped_errors,
    |backend| async move {
        let h = harness(backend, |_| {}).await;
        // A batch.
        let res = h
            .post("/graphql")
            .bearer_auth(&h.key)
            .json(&json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]))
            .send()
            .await
            .expect("batch");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_code(res).await, "BAD_REQUEST");
        // A mutation over GET.
        let res = h
            .get("/graphql")
            .bearer_auth(&h.key)
            .query(&[("query", "mutation { revokeApiKey(id: \"x\") { id } }")])
            .send()
            .await
            .expect("GET mutation");
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(error_code(res).await, "BAD_REQUEST");
        // A subscription over POST (WebSocket only).
        let res = h
            .graphql("subscription { analysisProgress(version: \"x\") { state } }")
            .send()
            .await
            .expect("POST subscription");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_code(res).await, "BAD_REQUEST");
        // A query over GET is fine.
        let res = h
            .get("/graphql")
            .bearer_auth(&h.key)
            .query(&[("query", "{ __typename }")])
            .send()
            .await
            .expect("GET query");
        assert_eq!(res.status(), StatusCode::OK);
        // 1.5 MiB of JSON.
        let big =
            json!({ "query": "{ __typename }", "variables": { "x": "a".repeat(1536 * 1024) } });
        let res = h
            .post("/graphql")
            .bearer_auth(&h.key)
            .json(&big)
            .send()
            .await
            .expect("big body");
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error_code(res).await, "BAD_REQUEST");
        // Not JSON.
        let res = h
            .post("/graphql")
            .bearer_auth(&h.key)
            .header("content-type", "text/plain")
            .body("{ __typename }")
            .send()
            .await
            .expect("text body");
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(error_code(res).await, "BAD_REQUEST");
        // JSON that is not a GraphQL request.
        let res = h
            .post("/graphql")
            .bearer_auth(&h.key)
            .header("content-type", "application/json")
            .body("{\"query\": ")
            .send()
            .await
            .expect("broken JSON");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_code(res).await, "BAD_REQUEST");
        h.stop().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_answers_429_with_retry_after() {
    let h = harness(Backend::Sqlite, |c| {
        c.rate_limits.per_key = taisho_server::config::Rate::new(0.5, 3);
    })
    .await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..5 {
        let res = h.graphql("{ __typename }").send().await.expect("request");
        statuses.push(res.status().as_u16());
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            assert_eq!(error_code(res).await, "RATE_LIMITED");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let secs = retry_after.expect("Retry-After");
    assert!((1..=2).contains(&secs), "{secs}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_count_against_the_callers_rate_limits() {
    // A bucket of 20 that refills slowly: ordinary requests take one token, refused ones six.
    let h = harness(Backend::Sqlite, |c| {
        c.rate_limits.per_key = taisho_server::config::Rate::new(0.01, 20);
    })
    .await;
    let mut statuses = Vec::new();
    // Over the query text limit (JSON POST), over the body limit, over the complexity limit.
    let long = format!("{{ __typename }} #{}", "x".repeat(40 * 1024));
    let res = h.graphql(&long).send().await.expect("long query");
    assert_eq!(error_code(res).await, "QUERY_TOO_COMPLEX");
    let big = json!({ "query": "{ __typename }", "variables": { "x": "a".repeat(1536 * 1024) } });
    let res = h
        .post("/graphql")
        .bearer_auth(&h.key)
        .json(&big)
        .send()
        .await
        .expect("big body");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = h
        .graphql("{ organisations(first: 101) { totalCount } }")
        .send()
        .await
        .expect("too complex");
    assert_eq!(error_code(res).await, "QUERY_TOO_COMPLEX");
    // 20 - 3 × 6 = 2 tokens left.
    for _ in 0..3 {
        let res = h.graphql("{ __typename }").send().await.expect("request");
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_limit_applies_before_authentication() {
    let h = harness(Backend::Sqlite, |c| {
        c.rate_limits.per_ip = taisho_server::config::Rate::new(0.1, 2);
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = h
            .post("/graphql")
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("request");
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
    // Health and metrics are not limited.
    let res = h.get("/healthz").send().await.expect("healthz");
    assert_eq!(res.status(), StatusCode::OK);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_query_page_and_schema_are_served_in_development_only() {
    let h = harness(Backend::Sqlite, |_| {}).await;
    let res = h.get("/graphiql").send().await.expect("graphiql");
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    let html = res.text().await.expect("html");
    assert!(html.contains("GraphQL 照会"), "{html}");
    // Offline: the page's script is this server's, and nothing comes from elsewhere.
    assert!(!html.contains("://"), "no external URL in the page");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    let script = html
        .split("<script src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page's script")
        .to_owned();
    let res = h.get(&script).send().await.expect("script");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("js").contains("/graphql"));
    let res = h.get("/graphql/schema.graphql").send().await.expect("sdl");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("sdl").contains("type QueryRoot"));
    h.stop().await;
    let h = harness(Backend::Sqlite, |c| c.env = Environment::Production).await;
    let res = h.get("/graphiql").send().await.expect("graphiql");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "NOT_FOUND");
    let res = h.get("/graphql/schema.graphql").send().await.expect("sdl");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Production cookies are Secure, under the `__Host-` name browsers bind to this host.
    let (set_cookie, _) = h.sign_in().await;
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    assert!(
        set_cookie.starts_with("__Host-taisho_session="),
        "{set_cookie}"
    );
    h.stop().await;
}

/// Uploads `text` as a new document of the demo prefecture through the GraphQL multipart request.
async fn upload(h: &Harness, title: &str, text: String) -> reqwest::Response {
    let org = taisho_graphql::ids::id(h.server.demo().expect("demo").prefecture).0;
    let operations = json!({
        "query": "mutation($f: Upload!, $o: ID!, $t: String) { uploadVersion(input: { organisation: $o, title: $t, file: $f }) { created version { id } } }",
        "variables": { "f": null, "o": org, "t": title }
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(text.into_bytes()).file_name("policy.txt"),
        );
    h.post("/graphql")
        .bearer_auth(&h.key)
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

/// A long policy: demo bodies one after another (seconds of analysis).
fn long_policy(copies: usize) -> String {
    let catalog =
        taisho_guideline::Catalog::builtin(taisho_guideline::EditionId::DEFAULT).expect("catalog");
    let bodies = taisho_app::demo::bodies_n(&catalog, copies + 1);
    bodies[1..]
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

both_backends!(
    uploads_are_limited_to_one_file_of_the_upload_size,
    |backend| async move {
        let h = harness(backend, |c| c.limits.upload_bytes = 256 * 1024).await;
        let small = long_policy(1);
        assert!(small.len() < 256 * 1024, "{}", small.len());
        let res = upload(&h, "small", small).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        assert_eq!(
            body["data"]["uploadVersion"]["created"],
            json!(true),
            "{body}"
        );
        let res = upload(&h, "big", "あ".repeat(100 * 1024)).await;
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error_code(res).await, "BAD_REQUEST");
        h.stop().await;
    }
);

/// One run of the shutdown scenario with a policy of `copies` demo bodies: the report, and the
/// job counts after reopening the store.
async fn shutdown_during_an_analysis(
    backend: Backend,
    copies: usize,
) -> ((usize, usize), (usize, usize, usize)) {
    let h = harness(backend, |c| {
        c.shutdown_grace = Duration::ZERO;
    })
    .await;
    let store = h.server.store().clone();
    // The demo member's analysis first, then a long one the worker will be busy with.
    let deadline = Instant::now() + Duration::from_secs(120);
    while taisho_app::runtime::job_counts(&store)
        .await
        .expect("counts")
        .pending()
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the demo analysis never finished"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let res = upload(&h, "long", long_policy(copies)).await;
    assert_eq!(res.status(), StatusCode::OK);
    loop {
        let c = taisho_app::runtime::job_counts(&store)
            .await
            .expect("counts");
        if c.running > 0 {
            break;
        }
        assert!(
            c.done == 1 && Instant::now() < deadline,
            "the analysis never ran or finished first: {c:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let location = h.store_location.clone();
    let report = h.server.shutdown().await.expect("shutdown");
    let store =
        taisho_app::runtime::open_store(&location, &taisho_app::runtime::StoreOptions::default())
            .await
            .expect("reopen");
    let c = taisho_app::runtime::job_counts(&store)
        .await
        .expect("counts");
    store.close().await.expect("close");
    (
        (report.released, report.finished),
        (c.running, c.queued, c.done),
    )
}

both_backends!(
    graceful_shutdown_requeues_a_running_analysis,
    |backend| async move {
        // The analysis must still be running when the shutdown reaches the pool (after the HTTP
        // drain). On a busy machine 40 copies occasionally finish first; that run says nothing
        // about the shutdown, so the scenario is repeated with a longer policy.
        for copies in [40, 120] {
            let (report, counts) = shutdown_during_an_analysis(backend, copies).await;
            if report == (0, 1) && copies < 120 {
                eprintln!("{copies} copies finished before the shutdown; trying a longer one");
                continue;
            }
            // No grace: the running analysis goes back to the queue instead of being lost or
            // waited for.
            assert_eq!(report, (1, 0), "(released, finished)");
            assert_eq!(counts, (0, 1, 1), "(running, queued, done)");
            return;
        }
    }
);

/// Opens a `graphql-transport-ws` socket to the server, with `cookie` on the upgrade request.
async fn websocket(
    h: &Harness,
    cookie: Option<&str>,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let ws_url = format!("{}/graphql", h.url.replacen("http://", "ws://", 1));
    let mut request = ws_url.into_client_request().expect("ws request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().expect("header"));
    }
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket upgrade");
    ws
}

/// The next text message as JSON (or `None` when the socket closed), within 60 s.
async fn next_json(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Option<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("a message in time");
        match msg {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).expect("JSON")),
            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}

both_backends!(
    subscriptions_authenticate_by_init_payload_or_cookie,
    |backend| async move {
        use futures_util::SinkExt;
        use tokio_tungstenite::tungstenite::Message;
        let h = harness(backend, |_| {}).await;
        let version = {
            let demo = h.server.demo().expect("demo");
            taisho_graphql::ids::id(demo.uploads[0].1.version).0
        };
        let subscribe = json!({
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($v: ID!) { analysisProgress(version: $v) { state } }",
                "variables": { "v": version }
            }
        })
        .to_string();

        // An API key in the connection_init payload.
        let mut ws = websocket(&h, None).await;
        let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", h.key) } });
        ws.send(Message::Text(init.to_string().into()))
            .await
            .expect("init");
        assert_eq!(
            next_json(&mut ws).await.expect("ack")["type"],
            json!("connection_ack")
        );
        ws.send(Message::Text(subscribe.clone().into()))
            .await
            .expect("subscribe");
        let first = next_json(&mut ws).await.expect("first event");
        assert_eq!(first["type"], json!("next"), "{first}");
        assert!(
            first["payload"]["data"]["analysisProgress"]["state"].is_string(),
            "{first}"
        );
        drop(ws);

        // The upgrade request's session cookie.
        let (_, cookie) = h.sign_in().await;
        let mut ws = websocket(&h, Some(&cookie)).await;
        let init = json!({ "type": "connection_init", "payload": {} });
        ws.send(Message::Text(init.to_string().into()))
            .await
            .expect("init");
        assert_eq!(
            next_json(&mut ws).await.expect("ack")["type"],
            json!("connection_ack")
        );
        ws.send(Message::Text(subscribe.clone().into()))
            .await
            .expect("subscribe");
        let first = next_json(&mut ws).await.expect("first event");
        assert_eq!(first["type"], json!("next"), "{first}");
        drop(ws);

        // The cookie from another site's page: the upgrade itself is refused.
        {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let ws_url = format!("{}/graphql", h.url.replacen("http://", "ws://", 1));
            let mut request = ws_url.into_client_request().expect("ws request");
            for (name, value) in [
                ("sec-websocket-protocol", "graphql-transport-ws"),
                ("cookie", cookie.as_str()),
                ("origin", "http://evil.example"),
            ] {
                request
                    .headers_mut()
                    .insert(name, value.parse().expect("header"));
            }
            match tokio_tungstenite::connect_async(request).await {
                Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                    assert_eq!(res.status().as_u16(), 403);
                }
                other => panic!("cross-site upgrade not refused: {:?}", other.map(|_| ())),
            }
        }

        // Neither: the connection is refused at init.
        let mut ws = websocket(&h, None).await;
        let init = json!({ "type": "connection_init", "payload": {} });
        ws.send(Message::Text(init.to_string().into()))
            .await
            .expect("init");
        match next_json(&mut ws).await {
            None => {}
            Some(msg) => assert_ne!(msg["type"], json!("connection_ack"), "{msg}"),
        }
        // A bad key likewise.
        let mut ws = websocket(&h, None).await;
        let init =
            json!({ "type": "connection_init", "payload": { "authorization": "Bearer nope" } });
        ws.send(Message::Text(init.to_string().into()))
            .await
            .expect("init");
        match next_json(&mut ws).await {
            None => {}
            Some(msg) => assert_ne!(msg["type"], json!("connection_ack"), "{msg}"),
        }
        h.stop().await;
    }
);
