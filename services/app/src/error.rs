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
    /// Malformed, unknown, expired or revoked session token, or one whose user was disabled or
    /// removed from the organisation: one error for all.
    #[error("ログインの有効期限が切れたか、ログイン情報が無効です。もう一度ログインしてください。")]
    InvalidSession,
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
    /// Too many failed sign-ins for the account from this address (or from many): retry after the
    /// wait.
    #[error("ログインの試行が多すぎます。しばらく待ってから、もう一度お試しください。")]
    Throttled(std::time::Duration),
    /// The engine could not be set up (dictionary, model) or a runtime resource is missing.
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::InvalidCredentials | AppError::InvalidKey | AppError::InvalidSession => {
                ErrorCode::Unauthenticated
            }
            AppError::ChooseOrganisation(_) | AppError::Invalid(_) => ErrorCode::InvalidArgument,
            AppError::Store(e) => e.code(),
            AppError::Document(e) => e.code(),
            AppError::Queue(taisho_worker::QueueError::Forbidden) => ErrorCode::NotFound,
            AppError::Queue(taisho_worker::QueueError::Store(e)) => e.code(),
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::Throttled(_) => ErrorCode::RateLimited,
            AppError::Queue(_) => ErrorCode::Internal,
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

impl From<taisho_domain::InvalidText> for AppError {
    /// A refused user value: `INVALID_ARGUMENT` with its Japanese sentence.
    fn from(e: taisho_domain::InvalidText) -> Self {
        AppError::Invalid(e.to_string())
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
