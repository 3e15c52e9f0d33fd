//! The HTTP server (actix-web): `/graphql` (POST, GET for queries, WebSocket subscriptions),
//! `/graphiql` outside production, `/auth/sign-in` and `/auth/sign-out`, `/healthz`, `/readyz`,
//! `/metrics`, and the browser UI of `taisho-web` (`/`, `/sign-in`, the pages, `/static/…`), which
//! shares the server's trusted-proxy view of the client through its `WebState`.
//!
//! The server runs on its own thread inside an actix system, so [`start`] can be called from any
//! tokio runtime (the `taisho serve` command, or a test) and returns once the socket is bound.

pub mod auth;
pub mod client;
pub mod errors;
pub mod limits;
mod observe;
mod routes;
pub mod socket;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use taisho_app::Services;
use taisho_app::auth::Caller;
use taisho_graphql::Api;
use uuid::Uuid;

use crate::config::{Config, GraphqlLimits, HttpLimits};
use crate::http::errors::ApiError;
use crate::http::limits::{Limiter, retry_after};

/// Whether the analysis workers are alive (for `/readyz`).
pub type WorkersProbe = Arc<dyn Fn() -> bool + Send + Sync>;

/// What every handler shares.
pub struct State {
    pub services: Services,
    pub api: Api,
    pub production: bool,
    pub limits: HttpLimits,
    pub workers: WorkersProbe,
    pub proxies: client::Proxies,
    rates: Arc<RateLimiters>,
}

/// The token buckets, shared with the API's refusal hook.
struct RateLimiters {
    per_ip: Option<Limiter<IpAddr>>,
    per_key: Option<Limiter<Uuid>>,
    per_org: Option<Limiter<Uuid>>,
}

/// What a request refused by the limits (too large, too many tokens, too complex, too large an
/// answer) costs the caller's key and organisation buckets, on top of the request itself: hostile
/// documents run out of their rate long before ordinary requests would.
pub const REFUSAL_COST: u32 = 5;

impl RateLimiters {
    fn charge(&self, caller: &Caller, tokens: u32) {
        if let (Some(limiter), taisho_app::auth::CallerKind::ApiKey { key, .. }) =
            (&self.per_key, caller.kind)
        {
            limiter.charge(key.as_uuid(), tokens);
        }
        if let (Some(limiter), Some(org)) = (&self.per_org, caller.org()) {
            limiter.charge(org.as_uuid(), tokens);
        }
    }
}

impl State {
    /// The per-address limit (every request to the API and sign-in).
    pub fn limit_ip(&self, req: &actix_web::HttpRequest) -> Result<(), ApiError> {
        let (Some(limiter), Some(client)) = (&self.rates.per_ip, self.client_addr(req)) else {
            return Ok(());
        };
        limiter
            .check(client)
            .map_err(|wait| ApiError::rate_limited(retry_after(wait)))
    }

    /// The client's address (through trusted proxies).
    pub fn client_addr(&self, req: &actix_web::HttpRequest) -> Option<IpAddr> {
        self.proxies.client_addr(req)
    }

    /// [`auth::check_same_origin`] with the scheme the client used.
    pub fn check_same_origin(&self, req: &actix_web::HttpRequest) -> Result<(), ApiError> {
        auth::check_same_origin(req, self.proxies.scheme(req))
    }

    /// The per-key and per-organisation limits of an authenticated caller.
    pub fn limit_caller(&self, caller: &Caller) -> Result<(), ApiError> {
        if let (Some(limiter), taisho_app::auth::CallerKind::ApiKey { key, .. }) =
            (&self.rates.per_key, caller.kind)
        {
            limiter
                .check(key.as_uuid())
                .map_err(|wait| ApiError::rate_limited(retry_after(wait)))?;
        }
        if let (Some(limiter), Some(org)) = (&self.rates.per_org, caller.org()) {
            limiter
                .check(org.as_uuid())
                .map_err(|wait| ApiError::rate_limited(retry_after(wait)))?;
        }
        Ok(())
    }

    /// Charges a request the limits refused to the caller's rate limits ([`REFUSAL_COST`]).
    /// Refusals inside the API (query text, complexity, answer size) are charged by its hook.
    pub fn charge_refusal(&self, caller: &Caller) {
        self.rates.charge(caller, REFUSAL_COST);
    }
}

/// The schema settings of a configuration.
pub fn schema_config(graphql: &GraphqlLimits, production: bool) -> taisho_graphql::SchemaConfig {
    taisho_graphql::SchemaConfig {
        max_depth: graphql.max_depth,
        max_complexity: graphql.max_complexity,
        max_aliases: graphql.max_aliases,
        max_page_size: graphql.max_page_size,
        max_query_bytes: graphql.max_query_bytes,
        max_tokens: graphql.max_tokens,
        max_response_bytes: graphql.max_response_bytes,
        production,
    }
}

/// A running HTTP server.
pub struct RunningHttp {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl RunningHttp {
    /// The bound address (the real port when the configuration said port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, lets in-flight requests finish (up to the drain time given
    /// at start), then stops.
    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// Binds `config.listen` (before anything slow, so a taken port fails the start at once).
pub fn bind(config: &Config) -> anyhow::Result<std::net::TcpListener> {
    std::net::TcpListener::bind(&config.listen)
        .with_context(|| format!("binding {}", config.listen))
}

/// Serves `services` through `api` on `listener` until [`RunningHttp::stop`].
pub async fn start(
    listener: std::net::TcpListener,
    config: &Config,
    services: Services,
    api: Api,
    workers: WorkersProbe,
    drain: Duration,
) -> anyhow::Result<RunningHttp> {
    let addr = listener.local_addr().context("reading the bound address")?;
    let rates = Arc::new(RateLimiters {
        per_ip: Limiter::new(config.rate_limits.per_ip),
        per_key: Limiter::new(config.rate_limits.per_key),
        per_org: Limiter::new(config.rate_limits.per_org),
    });
    // Whatever the transport (POST, GET, WebSocket), a request the API's limits refuse is charged.
    let hook_rates = Arc::clone(&rates);
    let api = api.on_refusal(Arc::new(move |caller: &Caller| {
        hook_rates.charge(caller, REFUSAL_COST);
    }));
    let proxies = client::Proxies::new(config.trusted_proxies.clone());
    let web_state = {
        let (addr, scheme) = (proxies.clone(), proxies.clone());
        web::Data::new(
            taisho_web::WebState::new(services.clone(), config.env.is_production())
                .with_client(
                    Arc::new(move |req: &actix_web::HttpRequest| addr.client_addr(req)),
                    Arc::new(move |req: &actix_web::HttpRequest| scheme.scheme(req)),
                )
                .with_upload_limit(config.limits.upload_bytes),
        )
    };
    let state = web::Data::new(State {
        services,
        api,
        production: config.env.is_production(),
        limits: config.limits,
        workers,
        proxies,
        rates,
    });
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let (tx, rx) = tokio::sync::oneshot::channel::<std::io::Result<ServerHandle>>();
    let thread = std::thread::Builder::new()
        .name("taisho-http".into())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .app_data(web_state.clone())
                        .wrap(
                            actix_web::middleware::DefaultHeaders::new()
                                .add(("X-Content-Type-Options", "nosniff"))
                                .add(("Referrer-Policy", "no-referrer"))
                                .add(("X-Frame-Options", "DENY")),
                        )
                        .wrap(actix_web::middleware::from_fn(observe::observe))
                        .configure(routes::configure)
                })
                .workers(workers)
                .disable_signals()
                .shutdown_timeout(drain.as_secs().max(1))
                .listen(listener);
                let server = match server {
                    Ok(s) => s.run(),
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return Ok(());
                    }
                };
                let _ = tx.send(Ok(server.handle()));
                server.await
            })
        })
        .context("starting the HTTP thread")?;
    let handle = rx
        .await
        .context("the HTTP thread stopped before serving")?
        .context("starting the HTTP server")?;
    Ok(RunningHttp {
        addr,
        handle,
        thread: Some(thread),
    })
}
