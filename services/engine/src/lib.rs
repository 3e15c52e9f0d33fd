#![doc = include_str!("../README.md")]

pub mod analysis;
pub mod decode;
pub mod diff;
pub mod document;
pub mod error;
pub mod fold;
pub mod limits;
pub mod markup;
pub mod normalize;
pub mod structure;
pub mod synth;
pub mod text;
pub mod token;
pub mod tokens;

pub use document::{Document, Encoding, Format, NodeId, SentenceId};
pub use error::{EngineError, Stage};
pub use limits::{Deadline, Limits};
pub use token::{Morpheme, Pos, PosMajor, PosMinor, Tokenizer};

/// Reads a policy document as it arrives (any supported encoding and format) into structure.
///
/// `hint` is the file name or media type when known; detection never depends on it alone.
pub fn read(bytes: &[u8], hint: Option<&str>, limits: &Limits) -> Result<Document, EngineError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(EngineError::InputTooLarge {
            size: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    let deadline = limits.start();
    let decoded = decode::decode(bytes, hint)?;
    deadline.check(Stage::Decode)?;
    let text = markup::to_text(&decoded);
    let normalized = normalize::normalize(&text, deadline)?;
    structure::parse(decoded, normalized, deadline)
}
