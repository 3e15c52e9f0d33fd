//! The tokenisation stage: folded sentences through a [`crate::Tokenizer`], offsets mapped back.
//! (stub: owned by the diff work; the signature is the contract)

use std::ops::Range;

use serde::Serialize;

use crate::document::{Document, SentenceId};
use crate::error::EngineError;
use crate::limits::Limits;
use crate::token::{Pos, Tokenizer};

/// One token of a document. The surface is `doc.original[byte]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub sentence: SentenceId,
    /// Byte range in the original text.
    pub byte: Range<u32>,
    /// Char range in the original text.
    pub char: Range<u32>,
    pub pos: Pos,
    /// The folded form used for matching (notation and width variants collapsed).
    pub key: Box<str>,
    /// Dictionary form (folded), when it differs from `key`.
    pub base: Option<Box<str>>,
}

/// All tokens of a document, grouped by sentence.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    pub tokens: Vec<Token>,
    /// `by_sentence[i]` is the range of `tokens` belonging to sentence `i`.
    pub by_sentence: Vec<Range<u32>>,
}

impl Tokens {
    pub fn of(&self, sentence: SentenceId) -> &[Token] {
        self.by_sentence
            .get(sentence.0 as usize)
            .and_then(|r| self.tokens.get(r.start as usize..r.end as usize))
            .unwrap_or(&[])
    }
}

pub fn tokenize(
    doc: &Document,
    tokenizer: &dyn Tokenizer,
    limits: &Limits,
) -> Result<Tokens, EngineError> {
    let _ = (doc, tokenizer, limits);
    Ok(Tokens::default())
}
