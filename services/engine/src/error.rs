use taisho_domain::ErrorCode;

/// The engine stage an error or a fallback comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Decode,
    Normalise,
    Structure,
    Tokenise,
    Align,
    Findings,
    Diff,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Decode => "decode",
            Stage::Normalise => "normalise",
            Stage::Structure => "structure",
            Stage::Tokenise => "tokenise",
            Stage::Align => "align",
            Stage::Findings => "findings",
            Stage::Diff => "diff",
        })
    }
}

/// Why the engine refused an input. Messages name the problem without quoting document text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("input is {size} bytes, over the limit of {limit} bytes")]
    InputTooLarge { size: usize, limit: usize },
    #[error("input is empty")]
    EmptyInput,
    #[error(
        "input is not text in a supported encoding (UTF-8, UTF-16, Shift_JIS/CP932, EUC-JP): {reason}"
    )]
    Undecodable { reason: String },
    #[error("document has more than {limit} tokens")]
    TooManyTokens { limit: usize },
    #[error("{stage} did not finish within {budget_ms} ms")]
    DeadlineExceeded { stage: Stage, budget_ms: u64 },
    #[error("tokeniser failed: {reason}")]
    Tokeniser { reason: String },
}

impl EngineError {
    /// The stable code shown to users and API clients.
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::InputTooLarge { .. } => ErrorCode::InputTooLarge,
            EngineError::EmptyInput => ErrorCode::EmptyInput,
            EngineError::Undecodable { .. } => ErrorCode::Undecodable,
            EngineError::TooManyTokens { .. } => ErrorCode::TooManyTokens,
            EngineError::DeadlineExceeded { .. } => ErrorCode::DeadlineExceeded,
            EngineError::Tokeniser { .. } => ErrorCode::Internal,
        }
    }
}

impl From<taisho_morph::TokenizerError> for EngineError {
    fn from(e: taisho_morph::TokenizerError) -> Self {
        EngineError::Tokeniser { reason: e.reason }
    }
}
