#![doc = include_str!("../README.md")]

use serde::{Deserialize, Serialize};

pub mod ids;
pub use ids::{
    AnalysisId, ApiKeyId, DocumentId, GrantId, InvalidId, JobId, OrgId, UserId, VersionId,
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
            ErrorCode::Internal => "内部エラーが発生しました。",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
