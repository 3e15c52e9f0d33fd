//! One mapping from the app's errors (and the store's inside them) to GraphQL errors with `extensions.code`.
//!
//! - Expected errors keep a plain Japanese message: the code's [`ErrorCode::summary_ja`], or the
//!   use-case's own Japanese sentence for invalid input and bad credentials.
//! - A foreign tenant's id is `NOT_FOUND` with the same message as a missing one.
//! - Unexpected errors (`INTERNAL`, `UNAVAILABLE`) show the generic message only; their cause is
//!   logged once here with `tracing::error!`, never sent to the client.
//!
//! Resolvers convert with [`ResultExt::gql`] (`use crate::error::ResultExt; ….await.gql()?`), never
//! with a bare `?` on an [`AppError`]: async-graphql's blanket conversion would copy the internal
//! message. The schema extension ([`crate::limits`]) is the safety net: an error that reaches the
//! response without a code is logged and replaced by the generic `INTERNAL` one.

use async_graphql::{Error, ErrorExtensionValues};
use taisho_app::AppError;
use taisho_app::records::StoreError;
use taisho_domain::ErrorCode;

/// An error with `code` and `message`.
pub fn coded(code: ErrorCode, message: impl Into<String>) -> Error {
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    Error {
        message: message.into(),
        source: None,
        extensions: Some(extensions),
    }
}

/// An error with `code` and its standard Japanese sentence.
pub fn code(code: ErrorCode) -> Error {
    coded(code, code.summary_ja())
}

/// The one `NOT_FOUND` (missing, foreign, or wrong kind of id: indistinguishable).
pub fn not_found() -> Error {
    code(ErrorCode::NotFound)
}

pub fn unauthenticated() -> Error {
    code(ErrorCode::Unauthenticated)
}

pub fn forbidden() -> Error {
    code(ErrorCode::Forbidden)
}

pub fn invalid(message: impl Into<String>) -> Error {
    coded(ErrorCode::InvalidArgument, message)
}

pub fn too_complex(message: impl Into<String>) -> Error {
    coded(ErrorCode::QueryTooComplex, message)
}

/// An unexpected failure: logged once with its cause, answered with the generic message.
pub fn internal(cause: &dyn std::fmt::Display) -> Error {
    tracing::error!(code = ErrorCode::Internal.as_str(), error = %cause, "unexpected error in a GraphQL resolver");
    code(ErrorCode::Internal)
}

/// The GraphQL error for an [`AppError`].
pub fn app(e: AppError) -> Error {
    let c = e.code();
    match (&e, c) {
        (AppError::Store(s), _) => store_ref(s),
        (AppError::InvalidCredentials | AppError::InvalidKey | AppError::InvalidSession, _) => {
            coded(c, e.to_string())
        }
        (AppError::Invalid(message), _) => coded(c, message.clone()),
        (AppError::ChooseOrganisation(_), _) => {
            coded(c, "所属する団体が複数あります。団体を指定してください。")
        }
        (_, ErrorCode::Internal | ErrorCode::Unavailable) => {
            tracing::error!(code = c.as_str(), error = %e, "unexpected error in a GraphQL resolver");
            code(c)
        }
        _ => code(c),
    }
}

fn store_ref(e: &StoreError) -> Error {
    let c = e.code();
    match e {
        StoreError::Invalid(detail) => {
            let mut err = code(c);
            if let Some(ext) = err.extensions.as_mut() {
                ext.set("detail", detail.as_str());
            }
            err
        }
        StoreError::NotFound | StoreError::Forbidden => code(c),
        _ => {
            tracing::error!(code = c.as_str(), error = %e, "unexpected store error in a GraphQL resolver");
            code(c)
        }
    }
}

/// The `extensions.code` of an error, if it has one.
pub fn code_of(extensions: Option<&ErrorExtensionValues>) -> Option<String> {
    match extensions?.get("code")? {
        async_graphql::Value::String(s) => Some(s.clone()),
        async_graphql::Value::Enum(s) => Some(s.to_string()),
        _ => None,
    }
}

/// `.gql()` on results of the app.
pub trait ResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> ResultExt<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(app)
    }
}
