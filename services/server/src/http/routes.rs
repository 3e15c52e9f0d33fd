//! The routes. Handlers are thin: limits, authentication, one call, the answer.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::BatchRequest;
use async_graphql::http::MultipartOptions;
use async_graphql::parser::types::OperationType;
use serde::Deserialize;
use taisho_app::auth::{self, Caller, Credential};
use taisho_domain::{ErrorCode, OrgId};

use crate::http::State;
use crate::http::auth::{caller, credential, session_cookie};
use crate::http::errors::{ApiError, RETRY_UNAVAILABLE_SECS, from_app};
use crate::http::limits::{check_length, read_body, read_body_sized};
use crate::http::socket;

/// The largest sign-in request.
const SIGN_IN_LIMIT: usize = 16 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql")
            .route(web::post().to(graphql_post))
            .route(web::get().to(graphql_get))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::method_not_allowed(
                    "GraphQL は GET または POST で要求してください。",
                    "GET, POST",
                ))
            })),
    )
    .route("/graphiql", web::get().to(graphiql))
    .route("/graphql/schema.graphql", web::get().to(schema_sdl))
    .route("/auth/sign-in", web::post().to(sign_in))
    .route("/auth/sign-out", web::post().to(sign_out))
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(readyz))
    .route("/metrics", web::get().to(metrics))
    // The browser UI: `/`, `/sign-in`, the pages and their static files.
    .configure(taisho_web::configure)
    .default_service(web::to(not_found));
}

/// Unknown paths: the Japanese 404 page for a browser (it asks for HTML), the JSON error for
/// programs.
async fn not_found(req: HttpRequest) -> HttpResponse {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        taisho_web::not_found_page()
    } else {
        actix_web::ResponseError::error_response(&ApiError::not_found())
    }
}

/// The media type of a request, lower-case, without parameters.
fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// Executes one operation for `caller`.
async fn execute(
    state: &State,
    caller: Caller,
    request: async_graphql::Request,
) -> Result<HttpResponse, ApiError> {
    let response = state.api.execute(request.data(caller)).await;
    // A request that failed only because the database is down is a retryable 503, not a 200 with
    // errors: clients and proxies retry it.
    let unavailable = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| *c == async_graphql::Value::from(ErrorCode::Unavailable.as_str()))
        });
    let mut builder = if unavailable {
        let mut b = HttpResponse::ServiceUnavailable();
        b.insert_header((header::RETRY_AFTER, RETRY_UNAVAILABLE_SECS.to_string()));
        b
    } else {
        HttpResponse::Ok()
    };
    Ok(builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(&response))
}

fn single(batch: BatchRequest) -> Result<async_graphql::Request, ApiError> {
    match batch {
        BatchRequest::Single(r) => Ok(r),
        BatchRequest::Batch(_) => Err(ApiError::bad_request(
            "一度に送れる操作は一つだけです（バッチ要求は受け付けません）。",
        )),
    }
}

/// `POST /graphql`: JSON, or a multipart upload (GraphQL multipart request spec).
async fn graphql_post(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<State>,
) -> Result<HttpResponse, ApiError> {
    state.limit_ip(&req)?;
    let media = media_type(&req);
    let multipart = match media.as_deref() {
        Some("application/json" | "application/graphql-response+json") => false,
        Some("multipart/form-data") => true,
        _ => return Err(ApiError::unsupported_media_type()),
    };
    // The whole multipart body: the file plus the operations and map parts.
    let limit = if multipart {
        state.limits.upload_bytes + state.limits.body_bytes
    } else {
        state.limits.body_bytes
    };
    let caller = caller(&state, &req).await?;
    if caller.is_browser_session() {
        state.check_same_origin(&req)?;
    }
    state.limit_caller(&caller)?;
    // An oversized request counts against the caller's rate limits like any refused one.
    let refused = |e: ApiError| {
        if e.status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
            state.charge_refusal(&caller);
        }
        e
    };
    check_length(&req, limit).map_err(refused)?;
    let expected = match body_len(&req) {
        usize::MAX => 0,
        n => n,
    };
    let body = read_body_sized(payload, limit, expected)
        .await
        .map_err(refused)?;
    // Large bodies are parsed on a blocking thread: reading megabytes of multipart or JSON must
    // not hold an HTTP worker (and the other requests queued on it).
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let limits = state.limits;
    let parse = move || {
        if multipart {
            let handle = tokio::runtime::Handle::current();
            handle.block_on(parse_multipart(content_type, body, limits))
        } else {
            parse_json(&body)
        }
    };
    let request = if body_len(&req) > SMALL_BODY || multipart {
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let _guard = handle.enter();
            parse()
        })
        .await
        .map_err(|_| ApiError::internal())?
    } else {
        parse()
    }
    .map_err(refused)?;
    // Subscriptions run over the WebSocket only; refused before anything executes. (The keyword
    // test keeps the look-up off the common path; the API parses off the async threads, once.)
    if request.query.contains("subscription")
        && state.api.operation_type(&request).await == Some(OperationType::Subscription)
    {
        return Err(ApiError::bad_request(
            "購読（subscription）は WebSocket（graphql-transport-ws）で要求してください。",
        ));
    }
    execute(&state, caller, request).await
}

/// Bodies up to this size are parsed on the HTTP worker itself.
const SMALL_BODY: usize = 64 * 1024;

fn body_len(req: &HttpRequest) -> usize {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(usize::MAX)
}

/// A JSON body: one operation.
fn parse_json(body: &[u8]) -> Result<async_graphql::Request, ApiError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::bad_request(
            "一度に送れる操作は一つだけです（バッチ要求は受け付けません）。",
        ));
    }
    serde_json::from_slice::<async_graphql::Request>(body)
        .map_err(|_| ApiError::bad_request("要求の本文が正しい GraphQL の JSON ではありません。"))
}

/// A multipart body (GraphQL multipart request spec): one operation, at most one file.
async fn parse_multipart(
    content_type: Option<String>,
    body: actix_web::web::Bytes,
    limits: crate::config::HttpLimits,
) -> Result<async_graphql::Request, ApiError> {
    // The operations and map parts are bounded like a JSON body, apart from the file.
    check_multipart_parts(content_type.as_deref(), &body, &limits).await?;
    // Per part; the whole body is bounded by the caller. (`max_num_files` would also cap the
    // whole stream at one file's size, leaving no room for the other parts.)
    let options = MultipartOptions::default().max_file_size(limits.upload_bytes);
    let batch = async_graphql::http::receive_batch_body(content_type, &body[..], options)
        .await
        .map_err(|e| match e {
            async_graphql::ParseRequestError::PayloadTooLarge => {
                ApiError::too_large(limits.upload_bytes)
            }
            async_graphql::ParseRequestError::UnsupportedBatch => ApiError::bad_request(
                "一度に送れる操作は一つだけです（バッチ要求は受け付けません）。",
            ),
            _ => ApiError::bad_request("マルチパート要求の形式が正しくありません。"),
        })?;
    let request = single(batch)?;
    if request.uploads.len() > 1 {
        return Err(ApiError::bad_request(
            "一度にアップロードできるファイルは一つだけです。",
        ));
    }
    Ok(request)
}

/// Bounds the `operations` and `map` parts of a multipart request by the JSON body limit (the
/// file part has the upload limit): one pass over the body already read, before async-graphql
/// reads the parts into memory.
async fn check_multipart_parts(
    content_type: Option<&str>,
    body: &actix_web::web::Bytes,
    limits: &crate::config::HttpLimits,
) -> Result<(), ApiError> {
    let malformed = || ApiError::bad_request("マルチパート要求の形式が正しくありません。");
    let boundary = content_type
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(malformed)?;
    let part_limit = limits.body_bytes as u64;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .for_field("operations", part_limit)
            .for_field("map", part_limit)
            .per_field(limits.upload_bytes as u64),
    );
    let chunk = body.clone();
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(chunk) });
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let too_large = |e: multer::Error| match e {
        multer::Error::FieldSizeExceeded { field_name, .. } => {
            let field = field_name.unwrap_or_default();
            if field == "operations" || field == "map" {
                ApiError::too_large(limits.body_bytes).with_message(format!(
                    "マルチパート要求の {field} が大きすぎます（上限 {} バイト）。",
                    limits.body_bytes
                ))
            } else {
                ApiError::too_large(limits.upload_bytes)
            }
        }
        _ => malformed(),
    };
    while let Some(mut field) = multipart.next_field().await.map_err(too_large)? {
        while field.chunk().await.map_err(too_large)?.is_some() {}
    }
    Ok(())
}

fn is_websocket_upgrade(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// `GET /graphql`: a query in the URL, or the WebSocket upgrade for subscriptions.
async fn graphql_get(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<State>,
) -> Result<HttpResponse, ApiError> {
    state.limit_ip(&req)?;
    if is_websocket_upgrade(&req) {
        return subscription(req, payload, state).await;
    }
    let caller = caller(&state, &req).await?;
    state.limit_caller(&caller)?;
    if req.query_string().len() > state.limits.body_bytes {
        state.charge_refusal(&caller);
        return Err(ApiError::too_large(state.limits.body_bytes));
    }
    let request = async_graphql::http::parse_query_string(req.query_string())
        .map_err(|_| ApiError::bad_request("URL の GraphQL 要求を読み取れません。"))?;
    if request.query.trim().is_empty() {
        return Err(ApiError::bad_request("query を指定してください。"));
    }
    if let Some(OperationType::Mutation | OperationType::Subscription) =
        state.api.operation_type(&request).await
    {
        return Err(ApiError::method_not_allowed(
            "更新（mutation）と購読（subscription）は GET では受け付けません。POST を使用してください。",
            "POST",
        ));
    }
    execute(&state, caller, request).await
}

/// WebSocket subscriptions (`graphql-transport-ws`): the caller is the upgrade request's (cookie or
/// `Authorization` header) or the `connection_init` payload's; `http::socket` keeps checking it
/// for as long as the socket lives.
async fn subscription(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<State>,
) -> Result<HttpResponse, ApiError> {
    let upgrade = match credential(&req, state.production)? {
        Credential::None => None,
        credential => {
            let authority =
                auth::Authority::establish(&state.services, credential, state.client_addr(&req))
                    .await
                    .map_err(|e| from_app(&e))?;
            if authority.caller().is_browser_session() {
                // A cross-site page must not open a socket riding on the cookie.
                state.check_same_origin(&req)?;
            }
            state.limit_caller(authority.caller())?;
            Some(authority)
        }
    };
    socket::start(
        &req,
        payload,
        state.api.clone(),
        state.services.clone(),
        upgrade,
        state.client_addr(&req),
    )
}

/// `GET /graphiql`: the GraphQL query page (offline: its one script is embedded), outside
/// production only, as introspection is.
async fn graphiql(
    state: web::Data<State>,
    signed: Option<taisho_web::SignedIn>,
) -> Result<HttpResponse, ApiError> {
    if state.production {
        return Err(ApiError::not_found());
    }
    Ok(taisho_web::query_page(signed)
        .await
        .unwrap_or_else(|e| actix_web::ResponseError::error_response(&e)))
}

/// `GET /graphql/schema.graphql`: the schema in SDL, outside production only.
async fn schema_sdl(state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    static SDL: std::sync::LazyLock<String> = std::sync::LazyLock::new(taisho_graphql::sdl);
    if state.production {
        return Err(ApiError::not_found());
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"schema.graphql\"",
        ))
        .body(SDL.as_str()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInRequest {
    email: String,
    password: String,
    /// Global id (or UUID) of the organisation to act for; needed when the user has several.
    #[serde(default)]
    organisation: Option<String>,
}

fn parse_org(value: &str) -> Result<OrgId, ApiError> {
    let invalid = || {
        ApiError::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            ErrorCode::InvalidArgument,
        )
    };
    if let Ok(uuid) = value.trim().parse::<uuid::Uuid>() {
        return Ok(OrgId::from_uuid(uuid));
    }
    taisho_graphql::ids::decode::<OrgId>(&async_graphql::ID(value.trim().to_owned()))
        .map_err(|_| invalid())
}

/// `POST /auth/sign-in`: `{email, password, organisation?}` → the session cookie.
async fn sign_in(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<State>,
) -> Result<HttpResponse, ApiError> {
    state.limit_ip(&req)?;
    state.check_same_origin(&req)?;
    if media_type(&req).as_deref() != Some("application/json") {
        return Err(ApiError::unsupported_media_type());
    }
    check_length(&req, SIGN_IN_LIMIT)?;
    let body = read_body(payload, SIGN_IN_LIMIT).await?;
    let input: SignInRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("email と password を JSON で指定してください。"))?;
    let org = input.organisation.as_deref().map(parse_org).transpose()?;
    let (token, caller) = state
        .services
        .sessions()
        .sign_in(&input.email, &input.password, org, state.client_addr(&req))
        .await
        .map_err(|e| match &e {
            taisho_app::AppError::ChooseOrganisation(orgs) => ApiError::new(
                actix_web::http::StatusCode::BAD_REQUEST,
                ErrorCode::InvalidArgument,
            )
            .with_message("所属する団体が複数あります。organisation を指定してください。")
            .extension(
                "organisations",
                orgs.iter()
                    .map(|o| serde_json::Value::from(taisho_graphql::ids::id(*o).0))
                    .collect(),
            ),
            taisho_app::AppError::InvalidCredentials => ApiError::unauthenticated()
                .with_message("メールアドレスまたはパスワードが正しくありません。"),
            _ => from_app(&e),
        })?;
    let organisation = caller.org().map(|o| taisho_graphql::ids::id(o).0);
    let user = caller.user().map(|u| taisho_graphql::ids::id(u).0);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::SET_COOKIE,
            taisho_web::session::session_cookie_header(
                token.expose(),
                state.services.sessions().cookie_lifetime().as_secs(),
                state.production,
            ),
        ))
        .json(serde_json::json!({ "user": user, "organisation": organisation })))
}

/// `POST /auth/sign-out`: ends the session and clears the cookie.
async fn sign_out(req: HttpRequest, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    state.limit_ip(&req)?;
    state.check_same_origin(&req)?;
    if let Some(token) = session_cookie(&req, state.production) {
        state
            .services
            .sessions()
            .sign_out_from(token, state.client_addr(&req))
            .await
            .map_err(|e| from_app(&e))?;
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::SET_COOKIE,
            taisho_web::session::session_cookie_header("", 0, state.production),
        ))
        .json(serde_json::json!({ "signedOut": true })))
}

/// `GET /healthz`: the process answers.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// How long `/readyz` waits for the database: an orchestrator's probe must get an answer, whatever
/// the database does (down, partitioned, out of connections).
const READY_DEADLINE: std::time::Duration = std::time::Duration::from_millis(700);

/// `GET /readyz`: database reachable, migrations current, workers alive; 503 when one fails. Answers
/// within [`READY_DEADLINE`] (and a little): a check that has not answered by then has failed.
async fn readyz(state: web::Data<State>) -> HttpResponse {
    let services = &state.services;
    let checks = async {
        let database = services.database_reachable().await;
        let migrations = services.migrations_current().await;
        (database, migrations)
    };
    let (database, migrations) =
        if let Ok(checks) = tokio::time::timeout(READY_DEADLINE, checks).await {
            checks
        } else {
            tracing::warn!("readiness: the database did not answer in time");
            (false, false)
        };
    let workers = (state.workers)();
    let ok = database && migrations && workers;
    let check = |ok: bool| serde_json::json!({ "ok": ok });
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" },
        "checks": {
            "database": check(database),
            "migrations": check(migrations),
            "workers": check(workers),
        }
    });
    let mut response = if ok {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// `GET /metrics`: Prometheus text exposition.
async fn metrics() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::telemetry::render_metrics())
}
