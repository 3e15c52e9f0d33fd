//! Tokens and the tokenizer seam.
//!
//! The engine defines what a morpheme is and asks a [`Tokenizer`] for them; the dictionary-backed
//! implementation lives in `taisho-japanese` so the engine stays free of dictionaries and I/O.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// Major part of speech, following IPADIC's first column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PosMajor {
    Noun,
    Verb,
    Adjective,
    Adverb,
    Adnominal,
    Conjunction,
    Particle,
    AuxiliaryVerb,
    Interjection,
    Prefix,
    Symbol,
    Filler,
    Other,
    /// Not in the dictionary.
    Unknown,
}

/// The sub-categories the engine cares about (IPADIC's second column), the rest folded into `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PosMinor {
    General,
    ProperNoun,
    Pronoun,
    Number,
    Suffix,
    NonIndependent,
    /// サ変接続: nouns that take する (実施, 管理).
    VerbalNoun,
    AdjectivalNoun,
    AdverbialNoun,
    CaseParticle,
    ConjunctiveParticle,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub major: PosMajor,
    pub minor: PosMinor,
}

impl Pos {
    pub const UNKNOWN: Pos = Pos {
        major: PosMajor::Unknown,
        minor: PosMinor::Other,
    };

    /// Content words carry meaning for alignment; particles, auxiliaries and symbols do not.
    pub fn is_content(self) -> bool {
        matches!(
            self.major,
            PosMajor::Noun
                | PosMajor::Verb
                | PosMajor::Adjective
                | PosMajor::Adverb
                | PosMajor::Unknown
        )
    }
}

/// One morpheme as a tokenizer reports it, relative to the text it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Morpheme {
    /// Byte range in the segmented text.
    pub range: Range<u32>,
    pub pos: Pos,
    /// Dictionary (base) form; `None` when it equals the surface or is unknown.
    pub base: Option<Box<str>>,
}

/// A morphological analyser. Implementations are loaded once and shared by all threads.
pub trait Tokenizer: Send + Sync {
    /// A short name for logs and benchmark labels (e.g. `lindera-ipadic`).
    fn name(&self) -> &str;

    /// Appends the morphemes of `text` (one sentence or line) to `out`, covering `text` in order.
    fn segment(&self, text: &str, out: &mut Vec<Morpheme>) -> Result<(), crate::EngineError>;
}
