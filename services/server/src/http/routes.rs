//! The routes. Handlers are thin: limits, authentication, one call, the answer.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::BatchRequest;
use async_graphql::http::MultipartOptions;
use async_graphql::parser::types::OperationType;
use serde::Deserialize;
use taisho_app::auth::{self, Caller, Credential, SESSION_COOKIE};
use taisho_domain::{ErrorCode, OrgId};

use crate::http::State;
use crate::http::auth::{caller, check_same_origin, credential, session_cookie};
use crate::http::errors::{ApiError, from_app};
use crate::http::limits::{check_length, read_body};
use crate::http::socket;

/// The largest sign-in request.
const SIGN_IN_LIMIT: usize = 16 * 1024;
/// Browser sessions expire after this much idle time (the store's sliding expiry decides; the
/// cookie lasts as long).
const SESSION_MAX_AGE_SECS: u64 = 12 * 3600;

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
    .route("/auth/sign-in", web::post().to(sign_in))
    .route("/auth/sign-out", web::post().to(sign_out))
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(readyz))
    .route("/metrics", web::get().to(metrics))
    .default_service(web::to(|| async {
        Err::<HttpResponse, _>(ApiError::not_found())
    }));
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
    Ok(HttpResponse::Ok()
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
        Some("application/json") | Some("application/graphql-response+json") => false,
        Some("multipart/form-data") => true,
        _ => return Err(ApiError::unsupported_media_type()),
    };
    // The whole multipart body: the file plus the operations and map parts.
    let limit = if multipart {
        state.limits.upload_bytes + state.limits.body_bytes
    } else {
        state.limits.body_bytes
    };
    check_length(&req, limit)?;
    let caller = caller(&state, &req).await?;
    if caller.is_browser_session() {
        check_same_origin(&req)?;
    }
    state.limit_caller(&caller)?;
    let body = read_body(payload, limit).await?;
    let request = if multipart {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Per part; the whole body is bounded by `limit` above. (`max_num_files` would also cap
        // the whole stream at one file's size, leaving no room for the other parts.)
        let options = MultipartOptions::default().max_file_size(state.limits.upload_bytes);
        let batch = async_graphql::http::receive_batch_body(content_type, &body[..], options)
            .await
            .map_err(|e| match e {
                async_graphql::ParseRequestError::PayloadTooLarge => {
                    ApiError::too_large(state.limits.upload_bytes)
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
        request
    } else {
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Err(ApiError::bad_request(
                "一度に送れる操作は一つだけです（バッチ要求は受け付けません）。",
            ));
        }
        serde_json::from_slice::<async_graphql::Request>(&body).map_err(|_| {
            ApiError::bad_request("要求の本文が正しい GraphQL の JSON ではありません。")
        })?
    };
    // Subscriptions run over the WebSocket only; refused before anything executes. (The keyword
    // test keeps the second parse off the common path.)
    if request.query.contains("subscription")
        && operation_type(&request) == Some(OperationType::Subscription)
    {
        return Err(ApiError::bad_request(
            "購読（subscription）は WebSocket（graphql-transport-ws）で要求してください。",
        ));
    }
    execute(&state, caller, request).await
}

/// The type of the operation `request` would run (`None` if the query does not parse or names no
/// operation of the document: execution reports that).
fn operation_type(request: &async_graphql::Request) -> Option<OperationType> {
    use async_graphql::parser::types::DocumentOperations;
    let doc = async_graphql::parser::parse_query(&request.query).ok()?;
    match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
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
    if req.query_string().len() > state.limits.body_bytes {
        return Err(ApiError::too_large(state.limits.body_bytes));
    }
    let caller = caller(&state, &req).await?;
    state.limit_caller(&caller)?;
    let request = async_graphql::http::parse_query_string(req.query_string())
        .map_err(|_| ApiError::bad_request("URL の GraphQL 要求を読み取れません。"))?;
    if request.query.trim().is_empty() {
        return Err(ApiError::bad_request("query を指定してください。"));
    }
    match operation_type(&request) {
        Some(OperationType::Mutation) | Some(OperationType::Subscription) => {
            return Err(ApiError::method_not_allowed(
                "更新（mutation）と購読（subscription）は GET では受け付けません。POST を使用してください。",
                "POST",
            ));
        }
        _ => {}
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
    let upgrade = match credential(&req)? {
        Credential::None => None,
        credential => {
            let authority = auth::Authority::establish(&state.services, credential)
                .await
                .map_err(|e| from_app(&e))?;
            if authority.caller().is_browser_session() {
                // A cross-site page must not open a socket riding on the cookie.
                check_same_origin(&req)?;
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
    )
}

/// `GET /graphiql`: the GraphiQL page, outside production only.
async fn graphiql(state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    if state.production {
        return Err(ApiError::not_found());
    }
    let html = async_graphql::http::GraphiQLSource::build()
        .endpoint("/graphql")
        .subscription_endpoint("/graphql")
        .title("Taisho GraphiQL")
        .finish();
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(html))
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

fn session_cookie_header(value: &str, max_age: u64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
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
    check_same_origin(&req)?;
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
        .sessions
        .sign_in(&input.email, &input.password, org)
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
            session_cookie_header(token.expose(), SESSION_MAX_AGE_SECS, state.production),
        ))
        .json(serde_json::json!({ "user": user, "organisation": organisation })))
}

/// `POST /auth/sign-out`: ends the session and clears the cookie.
async fn sign_out(req: HttpRequest, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    state.limit_ip(&req)?;
    check_same_origin(&req)?;
    if let Some(token) = session_cookie(&req) {
        state
            .services
            .sessions
            .sign_out(token)
            .await
            .map_err(|e| from_app(&e))?;
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::SET_COOKIE,
            session_cookie_header("", 0, state.production),
        ))
        .json(serde_json::json!({ "signedOut": true })))
}

/// `GET /healthz`: the process answers.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: database reachable, migrations current, workers alive; 503 when one fails.
async fn readyz(state: web::Data<State>) -> HttpResponse {
    let store = &state.services.store;
    let database = crate::serve::database_reachable(store).await;
    let migrations = match store.pending_migrations().await {
        Ok(pending) => pending.is_empty(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: reading migrations failed");
            false
        }
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
