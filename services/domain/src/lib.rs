#![doc = include_str!("../README.md")]

use serde::{Deserialize, Serialize};

pub mod ids;
pub use ids::{
    AnalysisId, ApiKeyId, DocumentId, GrantId, InvalidId, JobId, OrgId, UserId, VersionId,
};
pub mod text;
pub use text::{
    DisplayName, DocumentTitle, EmailAddress, FileName, InvalidText, KeyName, TextField,
};

/// Stable codes for every error a user or API client can see.
///
/// The `snake_case` string is the public contract (GraphQL `extensions.code`, CLI messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InputTooLarge,
    EmptyInput,
    Undecodable,
    TooManyTokens,
    DeadlineExceeded,
    InvalidArgument,
    NotFound,
    DictionaryMissing,
    /// No credentials, or credentials that are malformed, unknown, expired or revoked.
    Unauthenticated,
    /// The caller may see the object but its role does not allow the action.
    Forbidden,
    /// Too many requests from this key, organisation or address; retry later.
    RateLimited,
    /// A malformed request: not JSON, not GraphQL, a batch, a mutation over GET, …
    BadRequest,
    /// A query over the depth, complexity, alias or page-size limits, or whose text is over the
    /// size or token limits.
    QueryTooComplex,
    /// An answer over the response size limit: refused rather than sent.
    ResponseTooLarge,
    /// The request conflicts with the current state (a duplicate, a revoked object, …).
    Conflict,
    /// A dependency (database, workers) is not available right now.
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InputTooLarge => "INPUT_TOO_LARGE",
            ErrorCode::EmptyInput => "EMPTY_INPUT",
            ErrorCode::Undecodable => "UNDECODABLE",
            ErrorCode::TooManyTokens => "TOO_MANY_TOKENS",
            ErrorCode::DeadlineExceeded => "DEADLINE_EXCEEDED",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::DictionaryMissing => "DICTIONARY_MISSING",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::ResponseTooLarge => "RESPONSE_TOO_LARGE",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl ErrorCode {
    /// One plain sentence for end users, in the administrative register they write in.
    pub const fn summary_ja(self) -> &'static str {
        match self {
            ErrorCode::InputTooLarge => "ファイルが大きすぎます。",
            ErrorCode::EmptyInput => "ファイルが空です。",
            ErrorCode::Undecodable => "文字コードを判別できないため、読み取ることができません。",
            ErrorCode::TooManyTokens => "文書が長すぎるため、処理できません。",
            ErrorCode::DeadlineExceeded => "処理が制限時間内に終わりませんでした。",
            ErrorCode::InvalidArgument => "指定された値が正しくありません。",
            ErrorCode::NotFound => "指定されたものが見つかりません。",
            ErrorCode::DictionaryMissing => "形態素解析の辞書が見つかりません。",
            ErrorCode::Unauthenticated => "ログインしていないか、認証情報が無効です。",
            ErrorCode::Forbidden => "この操作を行う権限がありません。",
            ErrorCode::RateLimited => {
                "短時間に多くの要求がありました。しばらくしてから再度お試しください。"
            }
            ErrorCode::BadRequest => "要求の形式が正しくありません。",
            ErrorCode::QueryTooComplex => "問合せが複雑すぎるか、大きすぎます。",
            ErrorCode::ResponseTooLarge => {
                "応答が大きすぎます。取得する項目や件数を減らしてください。"
            }
            ErrorCode::Conflict => "現在の状態では、この操作は行えません。",
            ErrorCode::Unavailable => "サービスが一時的に利用できません。",
            ErrorCode::Internal => "内部エラーが発生しました。",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
