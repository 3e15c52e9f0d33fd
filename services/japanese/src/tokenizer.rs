//! [`JapaneseTokenizer`]: the seam's [`Tokenizer`] (`taisho-morph`) over lindera + IPADIC + the domain dictionary.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use lindera_dictionary::dictionary::DetailFields;
use lindera_dictionary::viterbi::{Lattice, WordId};
use taisho_morph::{Morpheme, Pos, PosMajor, PosMinor, Tokenizer, TokenizerError};

use crate::dictionary::{self, DictionaryConfig};
use crate::error::DictionaryError;

const SYMBOL: Pos = Pos {
    major: PosMajor::Symbol,
    minor: PosMinor::Other,
};

/// Index of the dictionary (base) form among a word's detail fields (POS ×4, conjugation ×2,
/// base form, reading, pronunciation).
const BASE_FORM_FIELD: usize = 6;

thread_local! {
    /// One lattice per thread, reused across calls: allocating it per line costs more than the
    /// segmentation of a short line. Safe to share between tokenizers with different
    /// dictionaries, as lindera resets it for every sentence.
    static LATTICE: RefCell<Lattice> = RefCell::new(Lattice::default());

    /// Base forms read recently on this thread, direct-mapped by word: conjugated words recur
    /// (し, れ, され …) and reading a base form again means walking the word's detail record.
    static BASES: RefCell<Vec<(u64, Box<str>)>> = const { RefCell::new(Vec::new()) };
}

/// Entries of the per-thread base form cache (a power of two).
const BASE_CACHE_SIZE: usize = 2048;

/// Source of [`JapaneseTokenizer`] identities, so tokenizers with different dictionaries on one
/// thread never read each other's cached base forms.
static NEXT_TOKENIZER_ID: AtomicU32 = AtomicU32::new(1);

/// Morphological analyser: lindera with IPADIC and Taisho's domain user dictionary.
///
/// Load it once and share it (`Arc`, or [`JapaneseTokenizer::shared`]); it is `Send + Sync` and
/// segmenting takes `&self`.
pub struct JapaneseTokenizer {
    segmenter: Segmenter,
    dictionary_dir: PathBuf,
    pos_cache: PosCache,
    /// Distinguishes this tokenizer's entries in the per-thread base form cache (never 0).
    id: u32,
}

impl std::fmt::Debug for JapaneseTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JapaneseTokenizer")
            .field("dictionary_dir", &self.dictionary_dir)
            .finish_non_exhaustive()
    }
}

impl JapaneseTokenizer {
    /// The name reported by [`Tokenizer::name`].
    pub const NAME: &'static str = "lindera-ipadic";

    /// Loads the tokenizer, building the IPADIC dictionary into the cache first if it is not
    /// there yet (about 2–7 s and ~270 MB peak, once per machine and lindera version).
    pub fn new(config: &DictionaryConfig) -> Result<Self, DictionaryError> {
        let (system, dictionary_dir) = dictionary::load_system(config)?;
        let user = dictionary::load_user()?;
        // Whitespace is dropped (lindera's MeCab-compatible default), as the seam's own
        // `CharClassTokenizer` does: PDF extraction leaves stray spaces that must not become
        // tokens in diffs. Every other byte is covered.
        let pos_cache = PosCache::new(
            system.prefix_dictionary.words_idx_data.len() / 4,
            user.dict.words_idx_data.len() / 4,
            system.unknown_dictionary.costs.len(),
        );
        let segmenter = Segmenter::new(Mode::Normal, system, Some(user));
        Ok(Self {
            segmenter,
            dictionary_dir,
            pos_cache,
            id: NEXT_TOKENIZER_ID.fetch_add(1, Ordering::Relaxed).max(1),
        })
    }

    /// [`JapaneseTokenizer::new`] with everything resolved from the environment and defaults.
    pub fn from_env() -> Result<Self, DictionaryError> {
        Self::new(&DictionaryConfig::default())
    }

    /// The process-wide tokenizer, configured from the environment, loaded on first call.
    ///
    /// A failure is remembered too: the environment does not change while the process runs, so
    /// retrying would only repeat a slow failing build.
    pub fn shared() -> Result<Arc<Self>, DictionaryError> {
        static SHARED: OnceLock<Result<Arc<JapaneseTokenizer>, DictionaryError>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::from_env().map(Arc::new))
            .clone()
    }

    /// The directory of the memory-mapped system dictionary.
    pub fn dictionary_dir(&self) -> &Path {
        &self.dictionary_dir
    }

    /// The underlying lindera segmenter, for benchmarks and diagnostics.
    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    fn segment_with(
        &self,
        text: &str,
        lattice: &mut Lattice,
        out: &mut Vec<Morpheme>,
    ) -> Result<(), TokenizerError> {
        if u32::try_from(text.len()).is_err() {
            return Err(TokenizerError::new(format!(
                "text of {} bytes exceeds the 4 GiB offset range",
                text.len()
            )));
        }
        let tokens = self
            .segmenter
            .segment_with_lattice(Cow::Borrowed(text), lattice)
            .map_err(tokeniser_error)?;
        out.reserve(tokens.len());
        // Load every token's POS cache entry first: the loads are independent, so their cache
        // misses overlap here instead of stalling the describing loop one token at a time.
        let mut warm = 0u16;
        for token in &tokens {
            if let Some(slot) = self.pos_cache.slot(token.word_id) {
                warm |= slot.load(Ordering::Relaxed);
            }
        }
        std::hint::black_box(warm);
        for token in &tokens {
            let surface = text.get(token.byte_start..token.byte_end).unwrap_or("");
            if token.word_id.is_unknown() && surface.contains(char::is_whitespace) {
                // IPADIC's char.def files U+3000 under SYMBOL, so lindera groups it with the
                // symbol beside it into one unknown noun (「　（」). Whitespace never belongs to a
                // morpheme: segment the pieces between the spaces on their own (rare path).
                for (offset, piece) in non_space_pieces(surface) {
                    let pieces = self
                        .segmenter
                        .segment_with_lattice(Cow::Borrowed(piece), lattice)
                        .map_err(tokeniser_error)?;
                    for t in &pieces {
                        self.push(
                            token.byte_start + offset,
                            t.byte_start..t.byte_end,
                            t.word_id,
                            piece,
                            out,
                        );
                    }
                }
                continue;
            }
            self.push(
                0,
                token.byte_start..token.byte_end,
                token.word_id,
                text,
                out,
            );
        }
        Ok(())
    }

    /// Appends the morpheme at `range` of `text`, which itself starts `offset` bytes into the text
    /// being segmented.
    fn push(
        &self,
        offset: usize,
        range: Range<usize>,
        word_id: WordId,
        text: &str,
        out: &mut Vec<Morpheme>,
    ) {
        let surface = text.get(range.clone()).unwrap_or("");
        let (pos, base) = self.describe(word_id, surface);
        out.push(Morpheme {
            // In range: offsets are <= the segmented text's length, checked to fit in u32.
            range: (offset + range.start) as u32..(offset + range.end) as u32,
            pos,
            base,
        });
    }

    /// POS and base form of one morpheme.
    ///
    /// Dictionary words are looked up in [`PosCache`] first: most tokens then never touch the
    /// 30 MB detail table (a cache miss per token otherwise), and only words whose base form
    /// differs from the surface read their details again for that form. Unknown words are
    /// described directly: their POS depends on the surface, not only on the id.
    fn describe(&self, word_id: WordId, surface: &str) -> (Pos, Option<Box<str>>) {
        if word_id.is_unknown() {
            return self.describe_unknown(word_id, surface);
        }
        let slot = self.pos_cache.slot(word_id);
        if let Some(packed) = slot.map(|s| s.load(Ordering::Relaxed)).filter(|&p| p != 0) {
            let (pos, has_base) = unpack(packed);
            let base = if has_base {
                self.known_base(word_id, surface)
            } else {
                None
            };
            return (pos, base);
        }
        let (pos, base) = self.describe_uncached(word_id, surface);
        if let Some(slot) = slot {
            // A word id always matches the same surface, so "has a base form of its own" is a
            // property of the id and safe to share between threads; racing writers store the
            // same value.
            slot.store(pack(pos, base.is_some()), Ordering::Relaxed);
        }
        (pos, base.map(Box::from))
    }

    /// The base form of a dictionary word known to have one, through the per-thread cache (a
    /// word id always has the same surface, so its base form is a property of the id).
    fn known_base(&self, word_id: WordId, surface: &str) -> Option<Box<str>> {
        let read = || self.describe_uncached(word_id, surface).1.map(Box::from);
        let key = (u64::from(self.id) << 33)
            | (u64::from(word_id.is_system()) << 32)
            | u64::from(word_id.id());
        BASES.with(|cell| {
            let Ok(mut cache) = cell.try_borrow_mut() else {
                return read();
            };
            if cache.is_empty() {
                cache.resize_with(BASE_CACHE_SIZE, || (0, Box::from("")));
            }
            let Some(slot) = cache.get_mut(word_id.id() as usize % BASE_CACHE_SIZE) else {
                return read();
            };
            if slot.0 == key {
                return Some(slot.1.clone());
            }
            let base = read()?;
            *slot = (key, base.clone());
            Some(base)
        })
    }

    /// [`JapaneseTokenizer::describe`] for unknown words. Their POS depends on the surface only
    /// through the symbol rule, so the cache keeps the dictionary's part per unknown-word id
    /// (one per character category) and the rule is applied here.
    fn describe_unknown(&self, word_id: WordId, surface: &str) -> (Pos, Option<Box<str>>) {
        let slot = self.pos_cache.unknown.get(word_id.id() as usize);
        let packed =
            if let Some(packed) = slot.map(|s| s.load(Ordering::Relaxed)).filter(|&p| p != 0) {
                packed
            } else {
                let (pos, has_base) = self.unknown_entry(word_id);
                let packed = pack(pos, has_base);
                if let Some(slot) = slot {
                    slot.store(packed, Ordering::Relaxed);
                }
                packed
            };
        let (pos, has_base) = unpack(packed);
        if has_base {
            // Never the case with IPADIC (unknown words have no base form); kept exact anyway.
            let (pos, base) = self.describe_uncached(word_id, surface);
            return (pos, base.map(Box::from));
        }
        let pos = if surface.chars().any(char::is_alphanumeric) {
            pos
        } else {
            SYMBOL
        };
        (pos, None)
    }

    /// The surface-independent part of an unknown word's description: the mapped POS before the
    /// symbol rule, and whether its entry names a base form at all.
    fn unknown_entry(&self, word_id: WordId) -> (Pos, bool) {
        let mut fields = self
            .segmenter
            .dictionary
            .unknown_word_details_iter(word_id.id() as usize);
        let major = fields.next().unwrap_or("*");
        let minor = fields.next().unwrap_or("*");
        let has_base = fields
            .nth(BASE_FORM_FIELD - 2)
            .is_some_and(|b| b != "*" && !b.is_empty());
        (map_pos(major, minor, true), has_base)
    }

    /// POS and base form read from the dictionary's packed bytes. `Token::details()` would
    /// allocate a vector per token; this allocates nothing.
    fn describe_uncached<'d>(&'d self, word_id: WordId, surface: &str) -> (Pos, Option<&'d str>) {
        let id = word_id.id() as usize;
        let dictionary = &self.segmenter.dictionary;
        let mut fields = if word_id.is_unknown() {
            dictionary.unknown_word_details_iter(id)
        } else if word_id.is_system() {
            dictionary.word_details_iter(id)
        } else {
            match &self.segmenter.user_dictionary {
                Some(user) => user.word_details_iter(id),
                None => DetailFields::unk(),
            }
        };
        let major = fields.next().unwrap_or("*");
        let minor = fields.next().unwrap_or("*");
        let base = fields
            .nth(BASE_FORM_FIELD - 2)
            .filter(|b| *b != "*" && !b.is_empty() && *b != surface);
        let pos = if word_id.is_unknown() && !surface.chars().any(char::is_alphanumeric) {
            // IPADIC's unknown-word model tags runs of symbols 名詞,サ変接続 (「##」, 「.」); they
            // must not pass for content words.
            SYMBOL
        } else {
            map_pos(major, minor, word_id.is_unknown())
        };
        (pos, base)
    }
}

/// The mapped POS of every system and user dictionary word, filled lazily and shared by all
/// threads: one `u16` per word id (0 = not yet known), ~0.8 MB for IPADIC.
struct PosCache {
    system: Box<[AtomicU16]>,
    user: Box<[AtomicU16]>,
    /// Per unknown-word id: the POS before the surface-dependent symbol rule.
    unknown: Box<[AtomicU16]>,
}

impl PosCache {
    fn new(system_words: usize, user_words: usize, unknown_words: usize) -> Self {
        let zeroed = |n: usize| (0..n).map(|_| AtomicU16::new(0)).collect();
        Self {
            system: zeroed(system_words),
            user: zeroed(user_words),
            unknown: zeroed(unknown_words),
        }
    }

    fn slot(&self, word_id: WordId) -> Option<&AtomicU16> {
        let table = if word_id.is_system() {
            &self.system
        } else {
            &self.user
        };
        table.get(word_id.id() as usize)
    }
}

const MAJORS: [PosMajor; 14] = [
    PosMajor::Noun,
    PosMajor::Verb,
    PosMajor::Adjective,
    PosMajor::Adverb,
    PosMajor::Adnominal,
    PosMajor::Conjunction,
    PosMajor::Particle,
    PosMajor::AuxiliaryVerb,
    PosMajor::Interjection,
    PosMajor::Prefix,
    PosMajor::Symbol,
    PosMajor::Filler,
    PosMajor::Other,
    PosMajor::Unknown,
];

const MINORS: [PosMinor; 12] = [
    PosMinor::General,
    PosMinor::ProperNoun,
    PosMinor::Pronoun,
    PosMinor::Number,
    PosMinor::Suffix,
    PosMinor::NonIndependent,
    PosMinor::VerbalNoun,
    PosMinor::AdjectivalNoun,
    PosMinor::AdverbialNoun,
    PosMinor::CaseParticle,
    PosMinor::ConjunctiveParticle,
    PosMinor::Other,
];

const KNOWN: u16 = 1 << 15;
const HAS_BASE: u16 = 1 << 14;

fn pack(pos: Pos, has_base: bool) -> u16 {
    let major = MAJORS
        .iter()
        .position(|m| *m == pos.major)
        .unwrap_or(MAJORS.len() - 1);
    let minor = MINORS
        .iter()
        .position(|m| *m == pos.minor)
        .unwrap_or(MINORS.len() - 1);
    KNOWN | if has_base { HAS_BASE } else { 0 } | (major as u16) << 4 | minor as u16
}

fn unpack(packed: u16) -> (Pos, bool) {
    let major = MAJORS
        .get(usize::from((packed >> 4) & 0xf))
        .copied()
        .unwrap_or(PosMajor::Unknown);
    let minor = MINORS
        .get(usize::from(packed & 0xf))
        .copied()
        .unwrap_or(PosMinor::Other);
    (Pos { major, minor }, packed & HAS_BASE != 0)
}

impl Tokenizer for JapaneseTokenizer {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn segment(&self, text: &str, out: &mut Vec<Morpheme>) -> Result<(), TokenizerError> {
        LATTICE.with(|cell| match cell.try_borrow_mut() {
            Ok(mut lattice) => self.segment_with(text, &mut lattice, out),
            // Only reachable if segmenting re-entered itself on this thread; a fresh lattice
            // keeps that correct instead of panicking.
            Err(_) => self.segment_with(text, &mut Lattice::default(), out),
        })
    }
}

fn tokeniser_error(e: lindera::error::LinderaError) -> TokenizerError {
    TokenizerError::new(e.to_string())
}

/// The maximal runs of non-whitespace chars of `s`, with their byte offsets.
fn non_space_pieces(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split(char::is_whitespace)
        .filter(|piece| !piece.is_empty())
        .map(move |piece| (piece.as_ptr() as usize - s.as_ptr() as usize, piece))
}

/// Maps IPADIC's first two POS columns to the seam's [`Pos`].
///
/// Words not in the dictionary get [`PosMajor::Unknown`] with the sub-category IPADIC's unknown
/// word model guessed (so an unknown number stays [`PosMinor::Number`]), except symbols, which
/// stay [`PosMajor::Symbol`]: they carry no meaning whether known or not. (The tokenizer also
/// treats an unknown word without any letter or digit as a symbol, whatever IPADIC guessed.)
pub fn map_pos(major: &str, minor: &str, unknown: bool) -> Pos {
    let major = match major {
        "名詞" => PosMajor::Noun,
        "動詞" => PosMajor::Verb,
        "形容詞" => PosMajor::Adjective,
        "副詞" => PosMajor::Adverb,
        "連体詞" => PosMajor::Adnominal,
        "接続詞" => PosMajor::Conjunction,
        "助詞" => PosMajor::Particle,
        "助動詞" => PosMajor::AuxiliaryVerb,
        "感動詞" => PosMajor::Interjection,
        "接頭詞" => PosMajor::Prefix,
        "記号" => PosMajor::Symbol,
        "フィラー" => PosMajor::Filler,
        "その他" => PosMajor::Other,
        _ => PosMajor::Unknown,
    };
    let minor = match minor {
        "一般" => PosMinor::General,
        "固有名詞" => PosMinor::ProperNoun,
        "代名詞" => PosMinor::Pronoun,
        "数" => PosMinor::Number,
        "接尾" => PosMinor::Suffix,
        "非自立" => PosMinor::NonIndependent,
        "サ変接続" => PosMinor::VerbalNoun,
        "形容動詞語幹" => PosMinor::AdjectivalNoun,
        "副詞可能" => PosMinor::AdverbialNoun,
        "格助詞" => PosMinor::CaseParticle,
        "接続助詞" => PosMinor::ConjunctiveParticle,
        _ => PosMinor::Other,
    };
    let major = if unknown && major != PosMajor::Symbol {
        PosMajor::Unknown
    } else {
        major
    };
    Pos { major, minor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<JapaneseTokenizer>();
    }

    #[test]
    fn packed_pos_round_trips() {
        for major in MAJORS {
            for minor in MINORS {
                for has_base in [false, true] {
                    let pos = Pos { major, minor };
                    let packed = pack(pos, has_base);
                    assert_ne!(packed, 0);
                    assert_eq!(unpack(packed), (pos, has_base));
                }
            }
        }
    }

    #[test]
    fn unknown_symbols_stay_symbols() {
        assert_eq!(map_pos("記号", "空白", true).major, PosMajor::Symbol);
        assert_eq!(
            map_pos("名詞", "数", true),
            Pos {
                major: PosMajor::Unknown,
                minor: PosMinor::Number
            }
        );
        assert_eq!(
            map_pos("名詞", "サ変接続", false),
            Pos {
                major: PosMajor::Noun,
                minor: PosMinor::VerbalNoun
            }
        );
    }
}
