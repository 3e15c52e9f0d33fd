#![doc = include_str!("../README.md")]

use serde::{Deserialize, Serialize};

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

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
