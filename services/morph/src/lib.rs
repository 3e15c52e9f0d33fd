#![doc = include_str!("../README.md")]

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

/// Why a tokenizer could not segment a text. The message names the problem without quoting the
/// text; the engine reports it as its own tokeniser error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct TokenizerError {
    pub reason: String,
}

impl TokenizerError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// A morphological analyser. Implementations are loaded once and shared by all threads.
pub trait Tokenizer: Send + Sync {
    /// A short name for logs and benchmark labels (e.g. `lindera-ipadic`).
    fn name(&self) -> &str;

    /// Appends the morphemes of `text` (one sentence or line) to `out`, covering `text` in order.
    fn segment(&self, text: &str, out: &mut Vec<Morpheme>) -> Result<(), TokenizerError>;
}

/// A deterministic, dictionary-free tokenizer: one morpheme per run of kanji, hiragana, katakana,
/// Latin letters or digits, one per symbol; whitespace is skipped.
///
/// A labelled fallback (its [`Tokenizer::name`] is `char-class`) for when no dictionary is loaded,
/// and the engine's own tests use it so they do not depend on a dictionary.
#[derive(Debug, Clone, Copy, Default)]
pub struct CharClassTokenizer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CharClass {
    Kanji,
    Hiragana,
    Katakana,
    Latin,
    Digit,
    Space,
    Symbol,
}

fn char_class(c: char) -> CharClass {
    match c {
        _ if c.is_whitespace() => CharClass::Space,
        '々'
        | '〆'
        | 'ヶ'
        | 'ヵ'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}' => CharClass::Kanji,
        '\u{3041}'..='\u{309F}' => CharClass::Hiragana,
        'ー' | '\u{30A1}'..='\u{30FA}' | '\u{30FC}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}' => {
            CharClass::Katakana
        }
        '0'..='9' | '０'..='９' => CharClass::Digit,
        _ if c.is_alphabetic() => CharClass::Latin,
        _ => CharClass::Symbol,
    }
}

impl Tokenizer for CharClassTokenizer {
    fn name(&self) -> &'static str {
        "char-class"
    }

    fn segment(&self, text: &str, out: &mut Vec<Morpheme>) -> Result<(), TokenizerError> {
        let mut chars = text.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            let class = char_class(c);
            let mut end = start + c.len_utf8();
            if class != CharClass::Symbol {
                while let Some(&(i, n)) = chars.peek() {
                    if char_class(n) != class {
                        break;
                    }
                    end = i + n.len_utf8();
                    chars.next();
                }
            }
            let pos = match class {
                CharClass::Space => continue,
                CharClass::Kanji | CharClass::Katakana | CharClass::Latin => Pos {
                    major: PosMajor::Noun,
                    minor: PosMinor::General,
                },
                CharClass::Digit => Pos {
                    major: PosMajor::Noun,
                    minor: PosMinor::Number,
                },
                CharClass::Hiragana => Pos {
                    major: PosMajor::Other,
                    minor: PosMinor::Other,
                },
                CharClass::Symbol => Pos {
                    major: PosMajor::Symbol,
                    minor: PosMinor::Other,
                },
            };
            out.push(Morpheme {
                range: start as u32..end as u32,
                pos,
                base: None,
            });
        }
        Ok(())
    }
}
