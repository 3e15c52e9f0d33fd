//! GraphQL subscriptions over WebSocket (`graphql-transport-ws`), checked against the caller's
//! current credential for as long as the socket lives.
//!
//! `async_graphql::http::WebSocket` speaks the protocol; this module carries its frames over
//! actix-web (`actix-web-actors`) and puts a [`Gate`] around it, because a socket outlives the
//! request that authenticated it:
//!
//! - the socket's authority ([`taisho_app::auth::Authority`]: the credential of the upgrade
//!   request or of the `connection_init` payload, and the scope it had then) is fixed when the
//!   socket opens; every operation on the socket runs with that scope;
//! - every message that carries a result (`next`) is let out only after
//!   [`Authority::recheck`](taisho_app::auth::Authority::recheck) says the credential still
//!   holds, and every `subscribe` is let in only then;
//! - a socket also re-checks on its own, at once when this process signed out, revoked a key or
//!   grant, or removed or changed a membership ([`taisho_app::auth::watch_credentials`]), and every
//!   [`RECHECK_EVERY`] for changes made by other server processes;
//! - when the credential no longer holds (signed out, revoked, expired, no longer a member, or a
//!   scope that lost something the socket had), the socket is closed with [`CLOSE_FORBIDDEN`]
//!   (4403) and nothing more is sent. A scope that stays equal (or grows) keeps the socket open.
//!
//! A store failure during a check closes the socket with 1011 when a result was waiting (it cannot
//! be vouched for) and is only logged on the periodic check.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix::{
    Actor, ActorContext, ActorFutureExt, ActorStreamExt, AsyncContext, ContextFutureSpawner,
    StreamHandler, WrapStream,
};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_actors::ws::{
    self, CloseCode, CloseReason, Message, ProtocolError, WebsocketContext,
};
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use async_graphql::{Data, ErrorExtensions as _};
use futures_util::stream::{self, LocalBoxStream, StreamExt as _};
use serde::Deserialize;
use taisho_app::Services;
use taisho_app::auth::{self, Authority, Credential, Standing};
use taisho_domain::ErrorCode;
use taisho_graphql::Api;
use tokio::sync::mpsc;

use crate::http::errors::ApiError;

/// The one subprotocol served.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// Close code when the socket's credential no longer grants what it had (signed out, revoked,
/// removed, a narrower scope).
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// Close code when a result could not be vouched for (the store failed during the check).
const CLOSE_UNAVAILABLE: u16 = 1011;
/// How often a socket re-checks its credential without news (changes by other processes).
pub const RECHECK_EVERY: Duration = Duration::from_millis(500);
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest message assembled from continuation frames.
const MAX_MESSAGE: usize = 1024 * 1024;

/// Opens a subscription socket for `req`. `upgrade` is the authority of the upgrade request's
/// credential, if it carried one; otherwise the `connection_init` payload must carry
/// `{"authorization": "Bearer tsk_…"}`.
pub fn start(
    req: &HttpRequest,
    payload: web::Payload,
    api: Api,
    services: Services,
    upgrade: Option<Authority>,
    client: Option<std::net::IpAddr>,
) -> Result<HttpResponse, ApiError> {
    let offered = req
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case(PROTOCOL))
        });
    if !offered {
        return Err(ApiError::bad_request(
            "WebSocket のサブプロトコル graphql-transport-ws を指定してください。",
        ));
    }
    let mut data = Data::default();
    if let Some(authority) = &upgrade {
        data.insert(authority.caller().clone());
    }
    let gate = Arc::new(Gate {
        services,
        client,
        authority: Mutex::new(upgrade),
        lost: AtomicBool::new(false),
    });
    let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let init_gate = Arc::clone(&gate);
    let engine = WebSocket::new(
        api,
        gated_input(rx, Arc::clone(&gate)),
        WebSocketProtocols::GraphQLWS,
    )
    .connection_data(data)
    .on_connection_init(move |payload: serde_json::Value| async move {
        connection_init(&init_gate, &payload).await
    });
    let actor = SocketActor {
        output: Some(guarded_output(engine.boxed_local(), gate)),
        input: tx,
        last_heartbeat: Instant::now(),
        continuation: Vec::new(),
    };
    ws::WsResponseBuilder::new(actor, req, payload)
        .protocols(&[PROTOCOL])
        .start()
        .map_err(|_| ApiError::bad_request("WebSocket の接続要求が正しくありません。"))
}

/// `connection_init`: the payload's key replaces the upgrade request's credential; without one
/// the upgrade request must have carried a credential.
async fn connection_init(gate: &Gate, payload: &serde_json::Value) -> async_graphql::Result<Data> {
    let mut data = Data::default();
    match init_authorization(payload) {
        Some(value) => {
            let authority =
                Authority::establish(&gate.services, Credential::Bearer(value), gate.client)
                    .await
                    .map_err(|_| unauthenticated_gql())?;
            data.insert(authority.caller().clone());
            *gate.lock() = Some(authority);
        }
        None if gate.lock().is_some() => {}
        None => return Err(unauthenticated_gql()),
    }
    Ok(data)
}

/// The `connection_init` payload: `{"authorization": "Bearer tsk_…"}`.
fn init_authorization(payload: &serde_json::Value) -> Option<&str> {
    payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str())
}

fn unauthenticated_gql() -> async_graphql::Error {
    async_graphql::Error::new(ErrorCode::Unauthenticated.summary_ja())
        .extend_with(|_, e| e.set("code", ErrorCode::Unauthenticated.as_str()))
}

/// The socket's authority and whether it was lost.
struct Gate {
    services: Services,
    client: Option<std::net::IpAddr>,
    authority: Mutex<Option<Authority>>,
    lost: AtomicBool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Holds,
    Lost,
    /// The check itself failed (store unavailable).
    Unknown,
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Authority>> {
        self.authority
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Re-checks the authority (before `connection_init` there is none and nothing to protect).
    async fn check(&self) -> Verdict {
        if self.is_lost() {
            return Verdict::Lost;
        }
        let Some(authority) = self.lock().clone() else {
            return Verdict::Holds;
        };
        match authority.recheck(&self.services).await {
            Ok(Standing::Holds) => Verdict::Holds,
            Ok(Standing::Lost) => {
                self.lost.store(true, Ordering::SeqCst);
                Verdict::Lost
            }
            Err(e) => {
                tracing::warn!(
                    code = e.code().as_str(),
                    "socket: re-checking the credential failed"
                );
                Verdict::Unknown
            }
        }
    }
}

/// The `type` of a protocol message.
#[derive(Deserialize)]
struct Kind {
    #[serde(rename = "type")]
    kind: String,
}

fn kind_of(message: &[u8]) -> Option<String> {
    serde_json::from_slice::<Kind>(message).ok().map(|k| k.kind)
}

/// The client's messages; a `subscribe` passes only while the authority holds (otherwise the
/// input ends, the protocol engine stops and [`guarded_output`] closes with 4403).
fn gated_input(
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    gate: Arc<Gate>,
) -> LocalBoxStream<'static, Vec<u8>> {
    stream::unfold((rx, gate), |(mut rx, gate)| async move {
        let message = rx.recv().await?;
        if matches!(kind_of(&message).as_deref(), Some("subscribe" | "start"))
            && gate.check().await == Verdict::Lost
        {
            return None;
        }
        Some((message, (rx, gate)))
    })
    .boxed_local()
}

/// Whether a server message may carry a result (everything but the protocol's own replies).
fn carries_result(text: &str) -> bool {
    !matches!(
        kind_of(text.as_bytes()).as_deref(),
        Some("connection_ack" | "pong" | "ping" | "complete")
    )
}

fn close(code: u16) -> WsMessage {
    let reason = match code {
        CLOSE_FORBIDDEN => "Forbidden",
        _ => "Unavailable",
    };
    WsMessage::Close(code, reason.to_owned())
}

struct Output {
    engine: LocalBoxStream<'static, WsMessage>,
    gate: Arc<Gate>,
    changes: tokio::sync::watch::Receiver<u64>,
    ticker: tokio::time::Interval,
    done: bool,
}

enum Wake {
    Message(Option<WsMessage>),
    Recheck,
}

/// The protocol engine's messages, each result let out only while the authority holds; closes
/// with 4403 as soon as a check (on a result, on news of a change, periodic) finds it lost.
fn guarded_output(
    engine: LocalBoxStream<'static, WsMessage>,
    gate: Arc<Gate>,
) -> LocalBoxStream<'static, WsMessage> {
    let mut ticker =
        tokio::time::interval_at(tokio::time::Instant::now() + RECHECK_EVERY, RECHECK_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = Output {
        engine,
        gate,
        changes: auth::watch_credentials(),
        ticker,
        done: false,
    };
    stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        loop {
            let wake = tokio::select! {
                biased;
                Ok(()) = s.changes.changed() => Wake::Recheck,
                _ = s.ticker.tick() => Wake::Recheck,
                m = s.engine.next() => Wake::Message(m),
            };
            match wake {
                Wake::Recheck => {
                    if s.gate.check().await == Verdict::Lost {
                        s.done = true;
                        return Some((close(CLOSE_FORBIDDEN), s));
                    }
                }
                Wake::Message(Some(WsMessage::Text(text))) => {
                    if carries_result(&text) {
                        match s.gate.check().await {
                            Verdict::Holds => {}
                            Verdict::Lost => {
                                s.done = true;
                                return Some((close(CLOSE_FORBIDDEN), s));
                            }
                            Verdict::Unknown => {
                                s.done = true;
                                return Some((close(CLOSE_UNAVAILABLE), s));
                            }
                        }
                    }
                    return Some((WsMessage::Text(text), s));
                }
                Wake::Message(Some(message)) => {
                    s.done = true;
                    return Some((message, s));
                }
                Wake::Message(None) => {
                    s.done = true;
                    return s.gate.is_lost().then(|| (close(CLOSE_FORBIDDEN), s));
                }
            }
        }
    })
    .boxed_local()
}

/// Carries frames between the client and the guarded protocol engine.
struct SocketActor {
    output: Option<LocalBoxStream<'static, WsMessage>>,
    input: mpsc::UnboundedSender<Vec<u8>>,
    last_heartbeat: Instant,
    continuation: Vec<u8>,
}

impl Actor for SocketActor {
    type Context = WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(HEARTBEAT_INTERVAL, |act, ctx| {
            if act.last_heartbeat.elapsed() > CLIENT_TIMEOUT {
                ctx.stop();
                return;
            }
            ctx.ping(b"");
        });
        if let Some(output) = self.output.take() {
            output
                .into_actor(self)
                .map(|message, _act, ctx| match message {
                    WsMessage::Text(text) => ctx.text(text),
                    WsMessage::Close(code, reason) => {
                        ctx.close(Some(CloseReason {
                            code: CloseCode::from(code),
                            description: Some(reason),
                        }));
                        ctx.stop();
                    }
                })
                .finish()
                .map(|(), _act, ctx| ctx.stop())
                .spawn(ctx);
        }
    }
}

impl StreamHandler<Result<Message, ProtocolError>> for SocketActor {
    fn handle(&mut self, message: Result<Message, ProtocolError>, ctx: &mut Self::Context) {
        let Ok(message) = message else {
            ctx.stop();
            return;
        };
        let complete = match message {
            Message::Ping(bytes) => {
                self.last_heartbeat = Instant::now();
                ctx.pong(&bytes);
                None
            }
            Message::Pong(_) => {
                self.last_heartbeat = Instant::now();
                None
            }
            Message::Continuation(item) => match item {
                actix_http::ws::Item::FirstText(bytes)
                | actix_http::ws::Item::FirstBinary(bytes) => {
                    self.continuation = bytes.to_vec();
                    None
                }
                actix_http::ws::Item::Continue(bytes) => {
                    self.continuation.extend_from_slice(&bytes);
                    None
                }
                actix_http::ws::Item::Last(bytes) => {
                    self.continuation.extend_from_slice(&bytes);
                    Some(std::mem::take(&mut self.continuation))
                }
            },
            Message::Text(text) => Some(text.into_bytes().to_vec()),
            Message::Binary(bytes) => Some(bytes.to_vec()),
            Message::Close(_) => {
                ctx.stop();
                None
            }
            Message::Nop => None,
        };
        if self.continuation.len() > MAX_MESSAGE {
            ctx.stop();
            return;
        }
        if let Some(message) = complete
            && self.input.send(message).is_err()
        {
            ctx.stop();
        }
    }
}
