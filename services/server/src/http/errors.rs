//! Every error response of the HTTP layer is GraphQL-shaped:
//! `{"errors":[{"message":"<Japanese>","extensions":{"code":"…"}}]}`, with `Retry-After` on 429 and
//! 503.
//! [`from_app`] is the one mapping from use-case errors to HTTP statuses; unexpected errors show the
//! generic message and their cause is logged once.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use taisho_app::AppError;
use taisho_domain::ErrorCode;

/// `Retry-After` of a 503: long enough for a database restart's first attempts, short enough that
/// clients come back soon.
pub const RETRY_UNAVAILABLE_SECS: u64 = 5;

/// An error answered before (or instead of) GraphQL execution.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// Seconds, for 429.
    pub retry_after: Option<u64>,
    /// Extra `extensions` members (never internal detail).
    pub extensions: Option<serde_json::Map<String, serde_json::Value>>,
    /// `Allow` header value, for 405.
    pub allow: Option<&'static str>,
}

impl ApiError {
    /// `code`'s standard sentence with `status`.
    pub fn new(status: StatusCode, code: ErrorCode) -> ApiError {
        ApiError {
            status,
            code,
            message: code.summary_ja().to_owned(),
            retry_after: None,
            extensions: None,
            allow: None,
        }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> ApiError {
        self.message = message.into();
        self
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated)
    }

    pub fn bad_request(message: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest).with_message(message)
    }

    pub fn forbidden(message: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden).with_message(message)
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound)
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BadRequest)
            .with_message(format!("要求の本文が大きすぎます（上限 {limit} バイト）。"))
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::BadRequest).with_message(
            "Content-Type は application/json または multipart/form-data を指定してください。",
        )
    }

    pub fn method_not_allowed(message: &str, allow: &'static str) -> ApiError {
        ApiError {
            allow: Some(allow),
            ..ApiError::new(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::BadRequest)
                .with_message(message)
        }
    }

    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after_secs.max(1)),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
        }
    }

    pub fn timeout() -> ApiError {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, ErrorCode::BadRequest)
            .with_message("要求の本文の受信が時間内に終わりませんでした。")
    }

    /// A dependency (the database) is down: retry after [`RETRY_UNAVAILABLE_SECS`].
    pub fn unavailable() -> ApiError {
        ApiError {
            retry_after: Some(RETRY_UNAVAILABLE_SECS),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
        }
    }

    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
    }

    pub fn extension(mut self, key: &str, value: serde_json::Value) -> ApiError {
        self.extensions
            .get_or_insert_with(serde_json::Map::new)
            .insert(key.to_owned(), value);
        self
    }

    /// The GraphQL-shaped body.
    pub fn body(&self) -> serde_json::Value {
        let mut extensions = self.extensions.clone().unwrap_or_default();
        extensions.insert("code".into(), self.code.as_str().into());
        serde_json::json!({ "errors": [{ "message": self.message, "extensions": extensions }] })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(allow) = self.allow {
            response.insert_header((header::ALLOW, allow));
        }
        response.json(self.body())
    }
}

/// The HTTP status of a stable error code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::Unavailable | ErrorCode::DictionaryMissing => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::InputTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::InvalidArgument
        | ErrorCode::BadRequest
        | ErrorCode::QueryTooComplex
        | ErrorCode::ResponseTooLarge
        | ErrorCode::EmptyInput
        | ErrorCode::Undecodable
        | ErrorCode::TooManyTokens
        | ErrorCode::DeadlineExceeded => StatusCode::BAD_REQUEST,
    }
}

/// The one mapping from a use-case error to an HTTP error. Internal errors are logged here, once,
/// and answered with the generic message.
pub fn from_app(e: &AppError) -> ApiError {
    let code = e.code();
    if let AppError::Throttled(wait) = e {
        return ApiError::rate_limited(crate::http::limits::retry_after(*wait))
            .with_message(e.to_string());
    }
    match code {
        ErrorCode::Internal => {
            tracing::error!(error = %e, "request failed");
            ApiError::internal()
        }
        ErrorCode::Unavailable | ErrorCode::DictionaryMissing => {
            tracing::warn!(error = %e, "dependency unavailable");
            ApiError::unavailable()
        }
        ErrorCode::Unauthenticated => ApiError::unauthenticated(),
        _ => {
            let message = match e {
                // These carry a Japanese sentence meant for the user.
                AppError::Document(_) => e.to_string(),
                _ => code.summary_ja().to_owned(),
            };
            ApiError::new(status_of(code), code).with_message(message)
        }
    }
}
