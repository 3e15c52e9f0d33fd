#![doc = include_str!("../README.md")]

pub mod analysis;
pub mod comparison;
pub mod decode;
pub mod diff;
pub mod document;
pub mod error;
pub mod fold;
pub(crate) mod label;
pub mod limits;
pub mod markup;
pub mod normalize;
pub mod pipeline;
pub mod structure;
pub mod text;
pub mod tokenize;

pub use document::{Document, Encoding, Format, NodeId, SentenceId};
pub use error::{EngineError, Stage};
pub use limits::{Deadline, Limits};
/// The tokenizer seam, re-exported: the engine asks a [`Tokenizer`] for [`Morpheme`]s.
pub use taisho_morph::{
    CharClassTokenizer, Morpheme, Pos, PosMajor, PosMinor, Tokenizer, TokenizerError,
};

/// Reads a policy document as it arrives (any supported encoding and format) into structure.
///
/// `hint` is the file name or media type when known; detection never depends on it alone.
/// Traced as the spans `engine.decode` (decoding, markup, normalisation) and `engine.structure`,
/// with counts only.
pub fn read(bytes: &[u8], hint: Option<&str>, limits: &Limits) -> Result<Document, EngineError> {
    read_traced(bytes, hint, limits, true)
}

/// [`read`], without spans when `trace` is false (the model's own texts, read by the hundred).
pub(crate) fn read_traced(
    bytes: &[u8],
    hint: Option<&str>,
    limits: &Limits,
    trace: bool,
) -> Result<Document, EngineError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(EngineError::InputTooLarge {
            size: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    let deadline = limits.start();
    let span = if trace {
        tracing::info_span!("engine.decode", bytes = bytes.len())
    } else {
        tracing::Span::none()
    };
    let (decoded, normalized) = span.in_scope(|| {
        let decoded = decode::decode(bytes, hint)?;
        deadline.check(Stage::Decode)?;
        let text = markup::to_text(&decoded);
        let normalized = normalize::normalize(&text, deadline)?;
        Ok::<_, EngineError>((decoded, normalized))
    })?;
    drop(span);
    let span = if trace {
        tracing::info_span!(
            "engine.structure",
            nodes = tracing::field::Empty,
            sentences = tracing::field::Empty
        )
    } else {
        tracing::Span::none()
    };
    let _entered = span.enter();
    let doc = structure::parse(decoded, normalized, deadline)?;
    span.record("nodes", doc.nodes.len());
    span.record("sentences", doc.sentences.len());
    Ok(doc)
}
