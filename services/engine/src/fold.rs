//! Notation folding for matching, never for display.
//!
//! Two documents that say the same thing in different spellings (遵守 / 順守, 強靱 / 強靭,
//! ハードウエア / ハードウェア, および / 及び, full- and half-width digits, 「L G W A N」, 本市 / 企業団)
//! must compare equal, while every surface shown to a user stays the original. Folding therefore
//! produces a derived [`MappedText`] whose bytes map back to the original, and the tokenisation stage reads
//! its keys from it.
//!
//! Folding happens in three steps:
//! 1. **width**: full-width ASCII → ASCII, half-width katakana → full-width (with ﾞ ﾟ composed),
//!    dash and tilde variants unified, 、。 for `,` `.` in running text, every whitespace removed
//!    (line breaks and spacing never carry meaning in these documents, and removing them joins
//!    「L G W A N」 and PDF-broken words);
//! 2. **table**: longest-match replacement with the entries of `data/notation.tsv`
//!    (documented in the file itself), including body placeholders (本市, 本組合, 当団体, …)
//!    which are recorded as *slot* ranges;
//! 3. **word slots** (in [`crate::tokenize`]): placeholders only safe as whole tokens
//!    (「市」 alone is the body, 「市民」 is not) are recognised after segmentation.
//!
//! Every slot becomes one token whose key is [`SLOT_KEY`].

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::text::{MappedText, MappedTextBuilder, SparseBuilder};

/// The key every body placeholder (本市, 本町, 本組合, 企業団, 当団体, standalone 市 …) folds to.
pub const SLOT_KEY: &str = "〈団体〉";

/// The notation table shipped with the engine.
pub const TABLE: &str = include_str!("../data/notation.tsv");

/// What a table entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Same word, other spelling: replaced by the canonical spelling.
    Notation,
    /// A body placeholder: replaced by the canonical text and marked as a slot.
    Slot,
    /// A placeholder only recognised as whole tokens.
    WordSlot,
    /// A guard matched as itself so that shorter entries cannot fire inside it.
    Keep,
}

/// One line of the table, both sides already width-folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub variant: String,
    pub canonical: String,
    pub kind: EntryKind,
    /// 1-based line in the table file, for error messages and tests.
    pub line: usize,
}

/// A malformed table line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("notation table line {line}: expected `variant<TAB>canonical<TAB>kind`")]
    Columns { line: usize },
    #[error("notation table line {line}: unknown kind `{kind}`")]
    Kind { line: usize, kind: String },
    #[error("notation table line {line}: empty variant")]
    Empty { line: usize },
    #[error("notation table: {reason}")]
    Build { reason: String },
}

/// A compiled notation table.
#[derive(Debug, Clone)]
pub struct Folder {
    entries: Vec<Entry>,
    /// Automaton over the variants of the non-word-slot entries (`table_index` maps back).
    /// `None` only for [`Folder::empty`].
    automaton: Option<AhoCorasick>,
    table_index: Vec<usize>,
    word_slots: Vec<String>,
}

/// The result of folding a whole text.
#[derive(Debug, Clone)]
pub struct Folded {
    /// Folded text, mapped to the original of the source text.
    pub text: MappedText,
    /// Byte ranges of `text` that are body placeholders.
    pub slots: Vec<Range<u32>>,
}

/// The engine's built-in folder (`data/notation.tsv`), compiled once.
///
/// The table is compiled into the binary and tested, so it cannot be malformed at run time;
/// should it ever be, folding degrades to width folding only rather than failing every request.
pub fn folder() -> &'static Folder {
    static FOLDER: OnceLock<Folder> = OnceLock::new();
    FOLDER.get_or_init(|| Folder::parse(TABLE).unwrap_or_else(|_| Folder::empty()))
}

/// Folds a string with the built-in table (a convenience for matching and tests).
pub fn fold_str(text: &str) -> String {
    folder().fold_str(text)
}

impl Folder {
    /// A folder with no table entries: width folding only.
    pub fn empty() -> Self {
        Self {
            entries: Vec::new(),
            automaton: None,
            table_index: Vec::new(),
            word_slots: Vec::new(),
        }
    }

    /// Compiles a table in the `notation.tsv` format.
    pub fn parse(tsv: &str) -> Result<Self, TableError> {
        let mut entries = Vec::new();
        for (i, raw) in tsv.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim_end_matches('\r');
            if trimmed.trim().is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = trimmed.split('\t').collect();
            let [variant, canonical, kind] = cols[..] else {
                return Err(TableError::Columns { line });
            };
            let kind = match kind.trim() {
                "notation" => EntryKind::Notation,
                "slot" => EntryKind::Slot,
                "word-slot" => EntryKind::WordSlot,
                "keep" => EntryKind::Keep,
                other => {
                    return Err(TableError::Kind {
                        line,
                        kind: other.to_owned(),
                    });
                }
            };
            let variant = width_fold_str(variant);
            if variant.is_empty() {
                return Err(TableError::Empty { line });
            }
            entries.push(Entry {
                variant,
                canonical: width_fold_str(canonical),
                kind,
                line,
            });
        }
        let mut table_index = Vec::new();
        let mut patterns = Vec::new();
        let mut word_slots = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            if e.kind == EntryKind::WordSlot {
                word_slots.push(e.variant.clone());
            } else {
                table_index.push(i);
                patterns.push(e.variant.as_str());
            }
        }
        // Longest first so a caller scanning word slots by prefix takes 企業団 before a shorter one.
        word_slots.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            // A full DFA: the table is small and scanning is per byte of every document.
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .map_err(|e| TableError::Build {
                reason: e.to_string(),
            })?;
        Ok(Self {
            entries,
            automaton: Some(automaton),
            table_index,
            word_slots,
        })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Placeholders that are slots only as whole tokens, longest first.
    pub fn word_slots(&self) -> &[String] {
        &self.word_slots
    }

    /// Folds a plain string (no mapping kept).
    pub fn fold_str(&self, text: &str) -> String {
        let mut b = MappedTextBuilder::from_original(text);
        let mut scratch = Scratch::default();
        let mut slots = Vec::new();
        self.fold_into(&mut b, 0..text.len(), &mut slots, &mut scratch);
        b.finish().as_str().to_owned()
    }

    /// Folds a whole mapped text (e.g. `doc.clean`) into a text derived from it.
    pub fn fold_mapped(&self, text: &MappedText) -> Folded {
        let mut b = text.derive();
        let mut scratch = Scratch::default();
        let mut slots = Vec::new();
        self.fold_into(&mut b, 0..text.len(), &mut slots, &mut scratch);
        Folded {
            text: b.finish(),
            slots,
        }
    }

    /// Appends the folded form of `range` of the builder's source to the builder, recording the
    /// output byte ranges of body placeholders in `slots`.
    ///
    /// `scratch` holds buffers reused across calls so folding a document sentence by sentence does
    /// not allocate per sentence.
    pub fn fold_into(
        &self,
        out: &mut MappedTextBuilder<'_>,
        range: Range<usize>,
        slots: &mut Vec<Range<u32>>,
        scratch: &mut Scratch,
    ) {
        self.fold_with(out, range, slots, scratch);
    }

    /// [`Folder::fold_into`] for any output (the tokenisation stage folds into a sparse map).
    pub(crate) fn fold_with<'s, O: FoldOut<'s>>(
        &self,
        out: &mut O,
        range: Range<usize>,
        slots: &mut Vec<Range<u32>>,
        scratch: &mut Scratch,
    ) {
        let src = out.source_text();
        let Some(piece) = src.get(range.clone()) else {
            return;
        };
        if piece.chars().all(width_fold_keeps) {
            self.fold_plain(out, piece, range.start, slots);
        } else {
            self.fold_scratch(out, range, slots, scratch);
        }
    }

    /// [`Folder::fold_with`] through the width-folded scratch text.
    fn fold_scratch<'s, O: FoldOut<'s>>(
        &self,
        out: &mut O,
        range: Range<usize>,
        slots: &mut Vec<Range<u32>>,
        scratch: &mut Scratch,
    ) {
        let src = out.source_text();
        let Some(piece) = src.get(range.clone()) else {
            return;
        };
        scratch.width_fold(piece, range.start);
        let Scratch { text, chars } = &*scratch;
        let mut at = 0usize; // byte position in the width-folded text
        let matches = self
            .automaton
            .iter()
            .flat_map(|a| a.find_iter(text.as_str()));
        for m in matches {
            emit_chars(out, text, chars, at, m.start());
            let entry = &self.entries[self.table_index[m.pattern().as_usize()]];
            let source = source_range(chars, m.start(), m.end());
            match entry.kind {
                EntryKind::Keep => emit_chars(out, text, chars, m.start(), m.end()),
                _ => push_replacement(out, entry, source, slots),
            }
            at = m.end();
        }
        emit_chars(out, text, chars, at, text.len());
    }
}

impl Folder {
    /// [`Folder::fold_with`] for a piece that width folding leaves unchanged (most sentences):
    /// the table applies to the source bytes directly, without the per-char scratch map.
    fn fold_plain<'s, O: FoldOut<'s>>(
        &self,
        out: &mut O,
        piece: &str,
        offset: usize,
        slots: &mut Vec<Range<u32>>,
    ) {
        let mut at = 0usize;
        for m in self.automaton.iter().flat_map(|a| a.find_iter(piece)) {
            out.push_copy(offset + at..offset + m.start());
            let entry = &self.entries[self.table_index[m.pattern().as_usize()]];
            let source = offset + m.start()..offset + m.end();
            match entry.kind {
                EntryKind::Keep => out.push_copy(source),
                _ => push_replacement(out, entry, source, slots),
            }
            at = m.end();
        }
        out.push_copy(offset + at..offset + piece.len());
    }
}

/// True for a char that width folding keeps as it is whatever its neighbours: kana, kanji, CJK
/// punctuation other than 〜, ASCII letters and digits.
fn width_fold_keeps(c: char) -> bool {
    matches!(c, '\u{3001}'..='\u{301B}' | '\u{301D}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}')
        || c.is_ascii_alphanumeric()
}

/// Where [`Folder::fold_with`] writes; the same pushes as [`MappedTextBuilder`]'s.
pub(crate) trait FoldOut<'s> {
    fn source_text(&self) -> &'s str;
    /// Bytes written so far.
    fn len(&self) -> usize;
    fn push_copy(&mut self, range: Range<usize>);
    fn push_replaced(&mut self, replacement: &str, range: Range<usize>);
}

impl<'s> FoldOut<'s> for MappedTextBuilder<'s> {
    fn source_text(&self) -> &'s str {
        self.source_str()
    }
    fn len(&self) -> usize {
        self.as_str().len()
    }
    fn push_copy(&mut self, range: Range<usize>) {
        MappedTextBuilder::push_copy(self, range);
    }
    fn push_replaced(&mut self, replacement: &str, range: Range<usize>) {
        MappedTextBuilder::push_replaced(self, replacement, range);
    }
}

impl<'s> FoldOut<'s> for SparseBuilder<'s> {
    fn source_text(&self) -> &'s str {
        SparseBuilder::source_text(self)
    }
    fn len(&self) -> usize {
        self.as_str().len()
    }
    fn push_copy(&mut self, range: Range<usize>) {
        SparseBuilder::push_copy(self, range);
    }
    fn push_replaced(&mut self, replacement: &str, range: Range<usize>) {
        SparseBuilder::push_replaced(self, replacement, range);
    }
}

/// One char of the width-folded scratch text and where it came from.
#[derive(Debug, Clone, Copy)]
struct FoldedChar {
    /// Byte offset in the scratch text.
    at: u32,
    /// Source byte range (in the builder's source).
    source: (u32, u32),
    /// The folded char is exactly the source slice, so it can be copied with its fine mapping.
    same: bool,
}

/// Reusable buffers for [`Folder::fold_into`].
#[derive(Debug, Default)]
pub struct Scratch {
    text: String,
    chars: Vec<FoldedChar>,
}

impl Scratch {
    /// Width-folds `piece` (which starts at `offset` in the source) into the scratch buffers.
    fn width_fold(&mut self, piece: &str, offset: usize) {
        self.text.clear();
        self.chars.clear();
        let mut iter = piece.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            let source = ((offset + i) as u32, (offset + i + c.len_utf8()) as u32);
            // Only compared to ASCII below, so full-width ASCII is all that needs folding here.
            let next = iter.peek().map(|&(_, n)| match n {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(n as u32 - 0xFEE0).unwrap_or(n),
                _ => n,
            });
            // A voiced sound mark after half-width kana composes with the kana before it.
            if matches!(c, '\u{FF9E}' | '\u{FF9F}') {
                let prev = self.text.chars().next_back();
                let mark = if c == '\u{FF9E}' {
                    '\u{3099}'
                } else {
                    '\u{309A}'
                };
                if let Some(p) = prev
                    && let Some(composed) = unicode_normalization::char::compose(p, mark)
                    && let Some(last) = self.chars.last_mut()
                {
                    self.text.pop();
                    self.text.push(composed);
                    last.source.1 = source.1;
                    last.same = false;
                    continue;
                }
            }
            let Some(f) = width_fold_char(c, || self.text.chars().next_back(), next) else {
                continue;
            };
            self.chars.push(FoldedChar {
                at: self.text.len() as u32,
                source,
                same: f == c,
            });
            self.text.push(f);
        }
    }
}

/// Index of the folded char starting at byte `at` of the scratch text.
fn char_at(chars: &[FoldedChar], at: usize) -> usize {
    chars.partition_point(|c| (c.at as usize) < at)
}

/// Source range covered by the scratch bytes `start..end` (char boundaries).
fn source_range(chars: &[FoldedChar], start: usize, end: usize) -> Range<usize> {
    let a = char_at(chars, start);
    let b = char_at(chars, end);
    match (chars.get(a), b.checked_sub(1).and_then(|l| chars.get(l))) {
        (Some(first), Some(last)) if b > a => first.source.0 as usize..last.source.1 as usize,
        _ => 0..0,
    }
}

/// Emits the scratch chars in bytes `start..end` unchanged (as folded), keeping the mapping exact:
/// runs of unchanged, contiguous chars are copied in one piece.
fn emit_chars<'s, O: FoldOut<'s>>(
    out: &mut O,
    text: &str,
    chars: &[FoldedChar],
    start: usize,
    end: usize,
) {
    let mut i = char_at(chars, start);
    while i < chars.len() && (chars[i].at as usize) < end {
        let c = chars[i];
        if c.same {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].at as usize) < end
                && chars[j].same
                && chars[j].source.0 == chars[j - 1].source.1
            {
                j += 1;
            }
            out.push_copy(c.source.0 as usize..chars[j - 1].source.1 as usize);
            i = j;
        } else {
            let next_at = chars.get(i + 1).map_or(text.len(), |n| n.at as usize);
            let folded = text.get(c.at as usize..next_at).unwrap_or("");
            out.push_replaced(folded, c.source.0 as usize..c.source.1 as usize);
            i += 1;
        }
    }
}

/// Width-folds a string without keeping a mapping (used for the table itself).
pub fn width_fold_str(s: &str) -> String {
    let mut scratch = Scratch::default();
    scratch.width_fold(s, 0);
    scratch.text
}

/// The folded form of one char given its neighbours, or `None` when it is dropped.
fn width_fold_char(c: char, prev: impl Fn() -> Option<char>, next: Option<char>) -> Option<char> {
    // Fast path: kana and kanji, most of every document, never change.
    if matches!(c, '\u{3041}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}') {
        return Some(c);
    }
    if c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}') {
        return None;
    }
    let c = match c {
        // Full-width ASCII.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        // Half-width katakana and punctuation (｡｢｣､･ｦ…ﾝ): their compatibility decomposition is
        // exactly the full-width char.
        '\u{FF61}'..='\u{FF9F}' => {
            let mut d = None;
            unicode_normalization::char::decompose_compatible(c, |x| {
                d.get_or_insert(x);
            });
            d.unwrap_or(c)
        }
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{301C}' => '~',
        _ => c,
    };
    // Comma- and period-style punctuation in running text is 、。; keep it in numbers (1,000 / 1.5)
    // and after Latin (e.g.) or numbering (1.).
    let digitish = |x: Option<char>| x.is_some_and(|x| x.is_ascii_alphanumeric());
    Some(match c {
        ',' if !(digitish(prev()) && digitish(next)) => '、',
        '.' if prev().is_some_and(|p| !p.is_ascii()) => '。',
        _ => c,
    })
}

/// Writes a table entry's canonical form in place of `source`; slot entries also record where
/// the slot key landed, for the token-level placeholder pass.
fn push_replacement<'s, O: FoldOut<'s>>(
    out: &mut O,
    entry: &Entry,
    source: Range<usize>,
    slots: &mut Vec<Range<u32>>,
) {
    let start = out.len() as u32;
    out.push_replaced(&entry.canonical, source);
    if entry.kind == EntryKind::Slot {
        slots.push(start..out.len() as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_compiles() {
        assert!(Folder::parse(TABLE).is_ok());
    }

    #[test]
    fn plain_fast_path_folds_like_the_scratch_path() {
        let folder = folder();
        for text in [
            "本市の情報資産を順守し、ハードウエアを管理する。",
            "当団体は企業団と組合の市町村に強靱化を講ずる。",
            "LGWAN接続系はセキュリティ対策基準に従う",
            "",
        ] {
            assert!(text.chars().all(width_fold_keeps), "{text}");
            let (mut fast, mut slow) = (
                MappedTextBuilder::from_original(text),
                MappedTextBuilder::from_original(text),
            );
            let (mut fast_slots, mut slow_slots) = (Vec::new(), Vec::new());
            folder.fold_plain(&mut fast, text, 0, &mut fast_slots);
            let mut scratch = Scratch::default();
            folder.fold_scratch(&mut slow, 0..text.len(), &mut slow_slots, &mut scratch);
            assert_eq!(fast.finish(), slow.finish(), "{text}");
            assert_eq!(fast_slots, slow_slots, "{text}");
        }
    }

    #[test]
    fn width_folding_joins_spaced_latin_and_composes_half_width_kana() {
        assert_eq!(width_fold_str("Ｌ Ｇ Ｗ Ａ Ｎ　１２"), "LGWAN12");
        assert_eq!(width_fold_str("ﾃﾞｰﾀ､ﾊﾟｽﾜｰﾄﾞ"), "データ、パスワード");
    }
}
