//! The tokenisation stage: folded sentences through a [`crate::Tokenizer`], offsets mapped back.
//!
//! Every sentence of a [`Document`] (headings included) is folded for matching
//! ([`crate::fold`]) into one per-document buffer, [`Tokens::folded`], and segmented sentence by
//! sentence. Each [`Token`] keeps:
//! - `byte` / `char`: its range in `doc.original` (the surface shown to users is
//!   `&doc.original[byte]`, never the folded text);
//! - `key`: a range of [`Tokens::folded`], read with [`Token::key`] / [`Tokens::key`]. Keys are
//!   ranges rather than owned strings so tokenising allocates nothing per token.
//!
//! Body placeholders (本市, 本組合, 当団体, and 市 / 町 / 組合 / 企業団 when they are whole tokens)
//! become one token each whose key is [`SLOT_KEY`].

use std::ops::Range;

use serde::Serialize;

use crate::document::{Document, SentenceId};
use crate::error::{EngineError, Stage};
use crate::fold::{self, SLOT_KEY, Scratch};
use crate::limits::Limits;
use crate::text::{SparseBuilder, SparseText};
use crate::{Morpheme, Pos, PosMinor, Tokenizer};

/// One token of a document. The surface is `doc.original[byte]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub sentence: SentenceId,
    /// Byte range in the original text.
    pub byte: Range<u32>,
    /// Char range in the original text.
    pub char: Range<u32>,
    pub pos: Pos,
    /// The folded form used for matching (notation and width variants collapsed), as a byte
    /// range of [`Tokens::folded`]; read it with [`Token::key`].
    pub key: Range<u32>,
    /// Dictionary form as the tokenizer reported it for the folded text, when it differs from
    /// the surface.
    pub base: Option<Box<str>>,
}

impl Token {
    /// The folded key of this token.
    pub fn key<'t>(&self, tokens: &'t Tokens) -> &'t str {
        tokens
            .folded
            .get(self.key.start as usize..self.key.end as usize)
            .unwrap_or("")
    }

    /// The original surface of this token.
    pub fn surface<'d>(&self, doc: &'d Document) -> &'d str {
        doc.original
            .get(self.byte.start as usize..self.byte.end as usize)
            .unwrap_or("")
    }

    /// True for a body placeholder (its key is [`SLOT_KEY`]).
    pub fn is_slot(&self, tokens: &Tokens) -> bool {
        self.key(tokens) == SLOT_KEY
    }
}

/// All tokens of a document, grouped by sentence.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    pub tokens: Vec<Token>,
    /// `by_sentence[i]` is the range of `tokens` belonging to sentence `i`.
    pub by_sentence: Vec<Range<u32>>,
    /// The folded text of every sentence, concatenated, followed by [`SLOT_KEY`] once; token keys
    /// are ranges of it.
    pub folded: String,
    /// Name of the tokenizer that produced these tokens (e.g. `lindera-ipadic`, `char-class`).
    pub tokenizer: String,
}

impl Tokens {
    pub fn of(&self, sentence: SentenceId) -> &[Token] {
        self.by_sentence
            .get(sentence.0 as usize)
            .and_then(|r| self.tokens.get(r.start as usize..r.end as usize))
            .unwrap_or(&[])
    }

    /// The folded key of token `i`.
    pub fn key(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.key(self))
    }

    /// The keys of a sentence's tokens, for matching.
    pub fn keys(&self, sentence: SentenceId) -> impl Iterator<Item = &str> + '_ {
        self.of(sentence).iter().map(|t| t.key(self))
    }
}

/// Folds and segments every sentence of `doc`.
///
/// Fails with [`EngineError::TooManyTokens`] past `limits.max_tokens` and with
/// [`EngineError::DeadlineExceeded`] past `limits.deadline` (checked between sentences).
///
/// Traced as the span `engine.tokenise` (sentence and token counts).
pub fn tokenize(
    doc: &Document,
    tokenizer: &dyn Tokenizer,
    limits: &Limits,
) -> Result<Tokens, EngineError> {
    let span = tracing::info_span!(
        "engine.tokenise",
        sentences = doc.sentences.len(),
        tokens = tracing::field::Empty
    );
    let _entered = span.enter();
    let toks = tokenize_untraced(doc, tokenizer, limits)?;
    span.record("tokens", toks.tokens.len());
    Ok(toks)
}

/// [`tokenize`] without a span (the model's own texts, tokenised by the hundred).
pub(crate) fn tokenize_untraced(
    doc: &Document,
    tokenizer: &dyn Tokenizer,
    limits: &Limits,
) -> Result<Tokens, EngineError> {
    let deadline = limits.start();
    let folder = fold::folder();

    // 1. Fold every sentence into one derived text; remember each sentence's folded range.
    // The map back to the original is sparse: see `SparseText`.
    let mut builder = SparseBuilder::new(&doc.clean);
    let mut scratch = Scratch::default();
    let mut slots: Vec<Range<u32>> = Vec::new();
    let mut folded_ranges = Vec::with_capacity(doc.sentences.len());
    for s in &doc.sentences {
        let start = builder.as_str().len();
        folder.fold_with(&mut builder, s.clean.clone(), &mut slots, &mut scratch);
        folded_ranges.push(start..builder.as_str().len());
    }
    let folded: SparseText = builder.finish();
    // Tokens arrive in folded order, so mapping them back is one forward sweep over the runs.
    let mut run_hint = 0usize;
    deadline.check(Stage::Tokenise)?;

    let text = folded.as_str();
    let slot_key_at = text.len() as u32;
    let slot_key = slot_key_at..slot_key_at + SLOT_KEY.len() as u32;
    let mut out = Tokens {
        // About one token per two chars of Japanese (six bytes); reallocating a vector of
        // tokens costs more than reserving a little too much.
        tokens: Vec::with_capacity(text.len() / 4),
        by_sentence: Vec::with_capacity(doc.sentences.len()),
        folded: String::new(),
        tokenizer: tokenizer.name().to_owned(),
    };
    let mut morphemes: Vec<Morpheme> = Vec::new();
    let mut chars = CharCursor::default();
    let mut slot_iter = slots.iter().peekable();
    // First chars of the word slots: most tokens are rejected on this alone.
    let slot_starts: Vec<char> = folder
        .word_slots()
        .iter()
        .filter_map(|w| w.chars().next())
        .collect();

    // 2. Segment sentence by sentence and map every token back to the original.
    for (i, (s, range)) in doc.sentences.iter().zip(&folded_ranges).enumerate() {
        if i % 64 == 0 {
            deadline.check(Stage::Tokenise)?;
        }
        let first = out.tokens.len() as u32;
        let sentence_text = text.get(range.clone()).unwrap_or("");
        morphemes.clear();
        if !sentence_text.is_empty() {
            tokenizer.segment(sentence_text, &mut morphemes)?;
        }
        let base = range.start as u32;
        let mut k = 0;
        while k < morphemes.len() {
            let (m_range, m_pos) = (morphemes[k].range.clone(), morphemes[k].pos);
            let (start, end) = (base + m_range.start, base + m_range.end);
            if start >= end || end as usize > range.end {
                k += 1;
                continue;
            }
            // Slots skipped by the tokenizer are dropped.
            while slot_iter.peek().is_some_and(|r| r.end <= start) {
                slot_iter.next();
            }
            // A table slot: merge the morphemes inside it when they tile it exactly.
            let mut merged = None;
            if let Some(slot) = slot_iter.peek()
                && slot.start == start
                && let Some(last) = tiling_end(&morphemes[k..], base, slot.end)
            {
                merged = Some((k + last, slot.end));
            }
            // A word slot: whole tokens spelling a placeholder, not a suffix (千葉市's 市).
            let rest = text.get(start as usize..range.end).unwrap_or("");
            if merged.is_none()
                && m_pos.minor != PosMinor::Suffix
                && rest
                    .chars()
                    .next()
                    .is_some_and(|c| slot_starts.contains(&c))
            {
                for w in folder.word_slots() {
                    if rest.starts_with(w.as_str())
                        && let Some(last) =
                            tiling_end(&morphemes[k..], base, start + w.len() as u32)
                    {
                        merged = Some((k + last, start + w.len() as u32));
                        break;
                    }
                }
            }
            let (last, end, key, pos, base_form) = match merged {
                Some((last, end)) => (last, end, slot_key.clone(), noun(), None),
                // Moved, not cloned: no allocation per token.
                None => (k, end, start..end, m_pos, morphemes[k].base.take()),
            };
            let byte = folded.to_original(start as usize..end as usize, &mut run_hint);
            let char = chars.range(&doc.original, byte.clone());
            out.tokens.push(Token {
                sentence: s.id,
                byte: byte.start as u32..byte.end as u32,
                char,
                pos,
                key,
                base: base_form,
            });
            if out.tokens.len() > limits.max_tokens {
                return Err(EngineError::TooManyTokens {
                    limit: limits.max_tokens,
                });
            }
            k = last + 1;
        }
        out.by_sentence.push(first..out.tokens.len() as u32);
    }
    deadline.check(Stage::Tokenise)?;
    out.folded = folded.into_string();
    out.folded.push_str(SLOT_KEY);
    Ok(out)
}

fn noun() -> Pos {
    Pos {
        major: crate::PosMajor::Noun,
        minor: PosMinor::General,
    }
}

/// If the morphemes starting at `ms[0]` end exactly at `end` (absolute folded offset, after
/// adding `base`), the index of the last one.
fn tiling_end(ms: &[Morpheme], base: u32, end: u32) -> Option<usize> {
    for (i, m) in ms.iter().enumerate() {
        let e = base + m.range.end;
        if e == end {
            return Some(i);
        }
        if e > end {
            return None;
        }
    }
    None
}

/// Converts increasing byte offsets of a text to char offsets without an index: tokens arrive
/// in document order, so counting forward from the previous token is linear overall.
#[derive(Debug, Default)]
struct CharCursor {
    /// Start of the previous token (byte, char): folding can map several tokens to one original
    /// range, so the next token may start before the previous one ended, never before it began.
    start: (usize, usize),
    /// End of the previous token.
    end: (usize, usize),
}

impl CharCursor {
    fn count(text: &str, from: (usize, usize), to: usize) -> (usize, usize) {
        let n = text.get(from.0..to).map_or(0, |p| p.chars().count());
        (to, from.1 + n)
    }

    fn range(&mut self, text: &str, byte: Range<usize>) -> Range<u32> {
        let (s, e) = (byte.start.min(text.len()), byte.end.min(text.len()));
        let base = if s >= self.end.0 {
            self.end
        } else if s >= self.start.0 {
            self.start
        } else {
            (0, 0)
        };
        let start = Self::count(text, base, s);
        let end = Self::count(text, start, e.max(s));
        self.start = start;
        self.end = end;
        start.1 as u32..end.1 as u32
    }
}
