//! A small GraphQL client: JSON and multipart over HTTP, `graphql-transport-ws` subscriptions.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The session cookie's names: in development, and in production (`__Host-`, `Secure`).
pub const COOKIES: [&str; 2] = ["taisho_session", "__Host-taisho_session"];

#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer(String),
    /// The session cookie as the server set it: `name=value`.
    Cookie(String),
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    pub auth: Auth,
}

/// A response: status, headers, body text and the body as JSON when it parses.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Option<Value>,
}

impl Resp {
    pub fn data(&self) -> &Value {
        self.json
            .as_ref()
            .and_then(|j| j.get("data"))
            .unwrap_or(&Value::Null)
    }

    pub fn errors(&self) -> &[Value] {
        self.json
            .as_ref()
            .and_then(|j| j.get("errors"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// `errors[0].extensions.code`.
    pub fn code(&self) -> Option<&str> {
        self.errors()
            .first()
            .and_then(|e| e.pointer("/extensions/code"))
            .and_then(Value::as_str)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .no_proxy()
            .build()
            .expect("HTTP client");
        Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            auth: Auth::None,
        }
    }

    pub fn with_auth(&self, auth: Auth) -> Client {
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            auth,
        }
    }

    pub fn with_bearer(&self, key: &str) -> Client {
        self.with_auth(Auth::Bearer(key.to_owned()))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with this client's credentials.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, self.url(path));
        match &self.auth {
            Auth::None => rb,
            Auth::Bearer(k) => rb.header("authorization", format!("Bearer {k}")),
            Auth::Cookie(c) => rb.header("cookie", c.as_str()),
        }
    }

    /// A request without credentials (for hand-made headers).
    pub fn raw(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path))
    }

    pub async fn send(rb: reqwest::RequestBuilder) -> Resp {
        let r = match rb.send().await {
            Ok(r) => r,
            // A transport failure (the server closed the connection): status 0.
            Err(e) => {
                return Resp {
                    status: 0,
                    headers: HeaderMap::new(),
                    text: format!("transport error: {e}"),
                    json: None,
                };
            }
        };
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).ok();
        Resp {
            status,
            headers,
            text,
            json,
        }
    }

    /// POST /graphql with a JSON body.
    pub async fn gql(&self, query: &str, variables: Value) -> Resp {
        Client::send(
            self.request(reqwest::Method::POST, "/graphql")
                .json(&json!({ "query": query, "variables": variables })),
        )
        .await
    }

    /// POST /graphql and expect no errors; returns `data`.
    #[track_caller]
    pub fn ok<'a>(&'a self, query: &'a str, variables: Value) -> impl Future<Output = Value> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let r = self.gql(query, variables).await;
            assert!(
                r.status == 200 && r.errors().is_empty() && r.json.is_some(),
                "{caller}: GraphQL request failed ({}): {}\nquery: {query}",
                r.status,
                r.text
            );
            r.data().clone()
        }
    }

    /// A multipart request per the GraphQL multipart request spec: `files` are
    /// (variable path like `variables.input.file`, file name, bytes).
    pub async fn upload(
        &self,
        query: &str,
        variables: Value,
        files: Vec<(String, String, Vec<u8>)>,
    ) -> Resp {
        let mut map = serde_json::Map::new();
        for (i, (path, _, _)) in files.iter().enumerate() {
            map.insert(i.to_string(), json!([path]));
        }
        let mut form = reqwest::multipart::Form::new()
            .text(
                "operations",
                json!({ "query": query, "variables": variables }).to_string(),
            )
            .text("map", Value::Object(map).to_string());
        for (i, (_, name, bytes)) in files.into_iter().enumerate() {
            form = form.part(
                i.to_string(),
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name)
                    .mime_str("text/plain")
                    .expect("mime"),
            );
        }
        Client::send(
            self.request(reqwest::Method::POST, "/graphql")
                .multipart(form),
        )
        .await
    }

    /// `POST /auth/sign-in`; a client carrying the session cookie, or the failed response.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Client, Resp> {
        let r = Client::send(
            self.raw(reqwest::Method::POST, "/auth/sign-in")
                .json(&json!({ "email": email, "password": password })),
        )
        .await;
        let token = r
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                let pair = c.split(';').next()?.trim();
                let (name, value) = pair.split_once('=')?;
                (COOKIES.contains(&name) && !value.is_empty()).then(|| pair.to_owned())
            });
        match token {
            Some(t) if r.status == 200 && !t.is_empty() => Ok(self.with_auth(Auth::Cookie(t))),
            _ => Err(r),
        }
    }

    /// The sum of a counter over all its label sets in `/metrics` (0 when absent).
    pub async fn metric(&self, name: &str) -> f64 {
        let r = Client::send(self.raw(reqwest::Method::GET, "/metrics")).await;
        metric_sum(&r.text, name)
    }

    /// Subscribes over `graphql-transport-ws`; the `next` payloads until `complete` (or the
    /// `error` payload wrapped as `{"errors": …}`), within `timeout`.
    pub async fn subscribe(&self, query: &str, variables: Value, timeout: Duration) -> Vec<Value> {
        tokio::time::timeout(timeout, self.subscribe_inner(query, variables))
            .await
            .unwrap_or_else(|_| panic!("subscription did not complete within {timeout:?}"))
    }

    async fn subscribe_inner(&self, query: &str, variables: Value) -> Vec<Value> {
        let (req, init) = self.ws_upgrade();
        let (mut ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("WebSocket connects");
        let send = |v: Value| Message::text(v.to_string());
        ws.send(send(json!({ "type": "connection_init", "payload": init })))
            .await
            .expect("connection_init sent");
        let mut out = Vec::new();
        let mut subscribed = false;
        while let Some(msg) = ws.next().await {
            let msg = match msg {
                Ok(m) => m,
                Err(e) => {
                    out.push(json!({ "errors": [{ "message": e.to_string(), "extensions": { "code": "WS_CLOSED" } }] }));
                    break;
                }
            };
            let text = match &msg {
                Message::Text(t) => t.as_str().to_owned(),
                Message::Close(frame) => {
                    if !subscribed || out.is_empty() {
                        out.push(json!({ "errors": [{ "message": format!("closed: {frame:?}"), "extensions": { "code": "WS_CLOSED" } }] }));
                    }
                    break;
                }
                _ => continue,
            };
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            match v.get("type").and_then(Value::as_str) {
                Some("connection_ack") => {
                    subscribed = true;
                    ws.send(send(json!({
                        "id": "1", "type": "subscribe",
                        "payload": { "query": query, "variables": variables }
                    })))
                    .await
                    .expect("subscribe sent");
                }
                Some("ping") => {
                    let _ = ws.send(send(json!({ "type": "pong" }))).await;
                }
                Some("next") => out.push(v.get("payload").cloned().unwrap_or(Value::Null)),
                Some("error") => {
                    out.push(json!({ "errors": v.get("payload").cloned().unwrap_or(Value::Null) }));
                    break;
                }
                Some("complete") => break,
                _ => {}
            }
        }
        let _ = ws.close(None).await;
        out
    }
}

/// Sums the samples of `name` (any labels) in a Prometheus text exposition.
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

/// Reads every page of a connection: `fetch(after)` returns the connection object
/// (`{ edges { node } pageInfo { hasNextPage endCursor } }`).
pub async fn all_nodes<F, Fut>(mut fetch: F) -> Vec<Value>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Value>,
{
    let mut out = Vec::new();
    let mut after = None;
    for _ in 0..100 {
        let conn = fetch(after.clone()).await;
        if let Some(edges) = conn.get("edges").and_then(Value::as_array) {
            out.extend(edges.iter().filter_map(|e| e.get("node").cloned()));
        }
        let more = conn
            .pointer("/pageInfo/hasNextPage")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        after = conn
            .pointer("/pageInfo/endCursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if !more || after.is_none() {
            break;
        }
    }
    out
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An open `graphql-transport-ws` socket (after `connection_ack`), driven message by message.
pub struct Socket {
    ws: WsStream,
}

/// What a socket did until it closed (or the wait ended).
#[derive(Debug)]
pub struct Ending {
    /// The close frame's code; `None` when the socket did not close in time (or closed without a
    /// frame).
    pub code: Option<u16>,
    /// When the close arrived.
    pub closed_at: Option<std::time::Instant>,
    /// The `next` messages received, with when they arrived.
    pub events: Vec<(std::time::Instant, Value)>,
}

impl Client {
    /// The WebSocket upgrade request with this client's credentials (the cookie on the upgrade)
    /// and the `connection_init` payload (the key).
    fn ws_upgrade(
        &self,
    ) -> (
        tokio_tungstenite::tungstenite::handshake::client::Request,
        Value,
    ) {
        let url = format!("{}/graphql", self.base.replacen("http://", "ws://", 1));
        let mut req = url.into_client_request().expect("ws request");
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let mut init = json!({});
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(k) => init = json!({ "authorization": format!("Bearer {k}") }),
            Auth::Cookie(c) => {
                req.headers_mut()
                    .insert("cookie", HeaderValue::from_str(c).expect("cookie header"));
            }
        }
        (req, init)
    }
}

impl Client {
    /// Opens a socket with this client's credentials (cookie on the upgrade, key in
    /// `connection_init`) and waits for `connection_ack`.
    pub async fn socket(&self) -> Socket {
        let (req, init) = self.ws_upgrade();
        let (ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("WebSocket connects");
        let mut socket = Socket { ws };
        socket
            .send(json!({ "type": "connection_init", "payload": init }))
            .await;
        let ack = socket
            .next_message(Duration::from_secs(30))
            .await
            .expect("connection_ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        socket
    }
}

impl Socket {
    /// Sends a protocol message (a send on a closed socket is ignored: the reads report it).
    pub async fn send(&mut self, message: Value) {
        let _ = self.ws.send(Message::text(message.to_string())).await;
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables }
        }))
        .await;
    }

    /// The next protocol message as JSON; `None` when the socket closed or nothing came in time.
    pub async fn next_message(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??;
            match msg.ok()? {
                Message::Text(t) => return serde_json::from_str(t.as_str()).ok(),
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// Reads until the socket closes or `timeout` passes: the close code and the `next` events.
    pub async fn until_closed(&mut self, timeout: Duration) -> Ending {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut ending = Ending {
            code: None,
            closed_at: None,
            events: Vec::new(),
        };
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return ending,
                Ok(None | Some(Err(_))) => {
                    ending.closed_at = Some(std::time::Instant::now());
                    return ending;
                }
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    if v["type"] == "next" {
                        ending.events.push((std::time::Instant::now(), v));
                    }
                }
                Message::Close(frame) => {
                    ending.code = frame.map(|f| u16::from(f.code));
                    ending.closed_at = Some(std::time::Instant::now());
                    return ending;
                }
                _ => {}
            }
        }
    }
}
