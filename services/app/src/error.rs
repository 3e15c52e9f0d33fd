//! Errors of the use-cases.

use taisho_domain::{ErrorCode, OrgId};
use taisho_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Wrong password, unknown or disabled user, or an organisation the user does not belong to:
    /// one error for all, so a caller cannot tell which.
    #[error("メールアドレスまたはパスワードが正しくありません。")]
    InvalidCredentials,
    /// Malformed, unknown, expired or revoked API key: one error for all.
    #[error("API キーが無効です。")]
    InvalidKey,
    /// The password was right and the user belongs to several organisations: the caller must say
    /// which one it acts for.
    #[error("organisation required: the user belongs to several")]
    ChooseOrganisation(Vec<OrgId>),
    /// Configuration below the security floor (hashing parameters, server secret).
    #[error("insecure configuration: {0}")]
    Config(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A hash could not be computed (RNG failure, a panicked or cancelled hashing thread).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An uploaded document the engine cannot read (undecodable, empty, too large, …).
    #[error("文書を読み込めません: {0}")]
    Document(#[from] taisho_engine::EngineError),
    #[error(transparent)]
    Queue(#[from] taisho_worker::QueueError),
    /// The engine could not be set up (dictionary, model) or a runtime resource is missing.
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::InvalidCredentials | AppError::InvalidKey => ErrorCode::NotFound,
            AppError::ChooseOrganisation(_) | AppError::Invalid(_) => ErrorCode::InvalidArgument,
            AppError::Store(e) => e.code(),
            AppError::Document(e) => e.code(),
            AppError::Queue(taisho_worker::QueueError::Forbidden) => ErrorCode::NotFound,
            AppError::Queue(taisho_worker::QueueError::Store(e)) => e.code(),
            AppError::Queue(_) | AppError::Unavailable(_) => ErrorCode::Internal,
            AppError::Config(_) | AppError::Hashing(_) => ErrorCode::Internal,
        }
    }

    /// Whether this is a refusal (for the audit log): forbidden, or a foreign or missing object.
    pub fn is_denial(&self) -> bool {
        matches!(
            self,
            AppError::Store(StoreError::Forbidden | StoreError::NotFound)
        )
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
