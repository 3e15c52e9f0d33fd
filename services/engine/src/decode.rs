//! Encoding and format detection. (stub: owned by the decode work)

use crate::document::{Encoding, Format, SourceMeta};
use crate::error::EngineError;

/// Decoded input: the original text every later range points into.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub meta: SourceMeta,
}

pub fn decode(bytes: &[u8], _hint: Option<&str>) -> Result<Decoded, EngineError> {
    if bytes.is_empty() {
        return Err(EngineError::EmptyInput);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| EngineError::Undecodable {
            reason: e.to_string(),
        })?
        .to_owned();
    Ok(Decoded {
        meta: SourceMeta {
            encoding: Encoding::Utf8,
            had_bom: false,
            format: Format::Text,
            bytes: bytes.len(),
        },
        text,
    })
}
