//! Derived text that remembers where every byte came from.
//!
//! Every stage after decoding (markup stripping, artefact removal, line joining, notation folding)
//! produces a [`MappedText`]: the derived string plus, for each of its bytes, the byte range of the
//! *original* decoded text it stands for. Stages compose by building from the previous stage's
//! `MappedText`, so any position at any depth maps back to the original in one lookup.

use std::ops::Range;

/// A derived string and, per byte, the original byte range it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedText {
    text: String,
    /// `spans[i]` is the original range of derived byte `i`. Bytes of one derived char share a span.
    spans: Vec<(u32, u32)>,
    /// Length of the original text, so empty derived texts still map somewhere valid.
    original_len: u32,
}

impl MappedText {
    /// The identity mapping of `original` onto itself.
    pub fn identity(original: &str) -> Self {
        let mut spans = Vec::with_capacity(original.len());
        for (i, c) in original.char_indices() {
            let span = (i as u32, (i + c.len_utf8()) as u32);
            spans.extend(std::iter::repeat_n(span, c.len_utf8()));
        }
        Self {
            text: original.to_owned(),
            spans,
            original_len: original.len() as u32,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn original_len(&self) -> usize {
        self.original_len as usize
    }

    /// Maps a derived byte range to the original byte range it covers.
    ///
    /// Out-of-range or non-boundary input is clamped rather than panicking: callers hand us
    /// ranges computed by other stages and a bad range must not take the process down.
    pub fn to_original(&self, range: Range<usize>) -> Range<usize> {
        let len = self.text.len();
        let start = range.start.min(len);
        let end = range.end.clamp(start, len);
        if start == end {
            let at = self.point_to_original(start);
            return at..at;
        }
        let s = self.spans[start].0 as usize;
        let e = self.spans[end - 1].1 as usize;
        s..e.max(s)
    }

    /// Maps a derived byte position (a boundary) to an original byte position.
    pub fn point_to_original(&self, at: usize) -> usize {
        if at < self.spans.len() {
            self.spans[at].0 as usize
        } else if let Some(last) = self.spans.last() {
            last.1 as usize
        } else {
            0
        }
    }

    /// Starts a new text derived from this one.
    pub fn derive(&self) -> MappedTextBuilder<'_> {
        MappedTextBuilder {
            source: Source::Mapped(self),
            text: String::new(),
            spans: Vec::new(),
        }
    }
}

enum Source<'a> {
    Original(&'a str),
    Mapped(&'a MappedText),
}

impl Source<'_> {
    fn text(&self) -> &str {
        match self {
            Source::Original(s) => s,
            Source::Mapped(m) => &m.text,
        }
    }

    fn original_len(&self) -> u32 {
        match self {
            Source::Original(s) => s.len() as u32,
            Source::Mapped(m) => m.original_len,
        }
    }

    /// Original span of the source byte range (already boundary-checked by the caller).
    fn span(&self, range: Range<usize>) -> (u32, u32) {
        match self {
            Source::Original(_) => (range.start as u32, range.end as u32),
            Source::Mapped(m) => {
                let r = m.to_original(range);
                (r.start as u32, r.end as u32)
            }
        }
    }

    fn byte_span(&self, i: usize) -> (u32, u32) {
        match self {
            Source::Original(s) => {
                // The char containing byte i.
                let start = floor_boundary(s, i);
                let c = s[start..].chars().next().map_or(0, char::len_utf8);
                (start as u32, (start + c) as u32)
            }
            Source::Mapped(m) => m.spans[i],
        }
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Builds a [`MappedText`] from pieces of a source text.
pub struct MappedTextBuilder<'a> {
    source: Source<'a>,
    text: String,
    spans: Vec<(u32, u32)>,
}

impl<'a> MappedTextBuilder<'a> {
    /// Builds a text derived directly from the original.
    pub fn from_original(original: &'a str) -> Self {
        Self {
            source: Source::Original(original),
            text: String::with_capacity(original.len()),
            spans: Vec::with_capacity(original.len()),
        }
    }

    pub fn source_text(&self) -> &str {
        self.source.text()
    }

    /// [`MappedTextBuilder::source_text`] for the whole lifetime of the source.
    pub(crate) fn source_str(&self) -> &'a str {
        match self.source {
            Source::Original(s) => s,
            Source::Mapped(m) => &m.text,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Copies `range` of the source unchanged, keeping the per-byte mapping exact.
    pub fn push_copy(&mut self, range: Range<usize>) {
        let src = self.source.text();
        let Some(piece) = src.get(range.clone()) else {
            return;
        };
        self.text.push_str(piece);
        // Bulk copy from a mapped source: this is the hot path of every derived stage.
        if let Source::Mapped(m) = &self.source
            && let Some(spans) = m.spans.get(range.clone())
        {
            self.spans.extend_from_slice(spans);
            return;
        }
        for i in range {
            let span = self.source.byte_span(i);
            self.spans.push(span);
        }
    }

    /// Writes `replacement` in place of `range` of the source; every new byte maps to the whole range.
    pub fn push_replaced(&mut self, replacement: &str, range: Range<usize>) {
        let len = self.source.text().len();
        let start = range.start.min(len);
        let end = range.end.clamp(start, len);
        let span = if start == end {
            let at = self.point(start);
            (at, at)
        } else {
            self.source.span(start..end)
        };
        self.text.push_str(replacement);
        self.spans
            .extend(std::iter::repeat_n(span, replacement.len()));
    }

    /// Inserts text that has no source (a separator); it maps to the empty range at `at`.
    pub fn push_inserted(&mut self, inserted: &str, at: usize) {
        let p = self.point(at.min(self.source.text().len()));
        self.text.push_str(inserted);
        self.spans
            .extend(std::iter::repeat_n((p, p), inserted.len()));
    }

    fn point(&self, at: usize) -> u32 {
        match &self.source {
            Source::Original(_) => at as u32,
            Source::Mapped(m) => m.point_to_original(at) as u32,
        }
    }

    pub fn finish(self) -> MappedText {
        MappedText {
            original_len: self.source.original_len(),
            text: self.text,
            spans: self.spans,
        }
    }
}

/// A piece of a [`SparseText`]: the derived bytes from `at` to the next run's `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    /// First derived byte of the run.
    at: u32,
    /// Linear: derived byte `at + k` stands for original byte `start + k` (whole chars copied
    /// unchanged). Constant: every byte stands for the whole range `start..end`.
    start: u32,
    end: u32,
    linear: bool,
}

/// What [`MappedText`] would be for the same pushes, with the per-byte span vector replaced by a
/// sparse map: runs of bytes copied unchanged from one contiguous original range share one
/// breakpoint, and so do runs of bytes mapped to one range. The tokens stage folds every sentence
/// of a document into one such text; per-byte spans (8 bytes per byte, written once and read a
/// few times) cost more there than the folding itself.
///
/// Mapping is exactly that of the equivalent [`MappedText`] (tested against it).
#[derive(Debug, Clone, Default)]
pub(crate) struct SparseText {
    text: String,
    runs: Vec<Run>,
}

impl SparseText {
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn into_string(self) -> String {
        self.text
    }

    /// Index of the run holding derived byte `i` (< len), looked for forward from `*hint` when
    /// queries arrive in order (the tokenisation stage), by binary search otherwise.
    fn run_of(&self, i: u32, hint: &mut usize) -> usize {
        let mut r = *hint;
        if self.runs.get(r).is_none_or(|run| run.at > i) {
            r = self
                .runs
                .partition_point(|run| run.at <= i)
                .saturating_sub(1);
        }
        while self.runs.get(r + 1).is_some_and(|next| next.at <= i) {
            r += 1;
        }
        *hint = r;
        r
    }

    /// The original span of derived byte `i` (< len): that of the char containing it.
    fn span(&self, i: usize, hint: &mut usize) -> (u32, u32) {
        let Some(run) = self.runs.get(self.run_of(i as u32, hint)) else {
            return (0, 0);
        };
        if !run.linear {
            return (run.start, run.end);
        }
        let cs = floor_boundary(&self.text, i);
        let len = self.text[cs..].chars().next().map_or(1, char::len_utf8);
        let s = run.start + (cs as u32 - run.at);
        (s, s + len as u32)
    }

    /// [`MappedText::point_to_original`].
    fn point(&self, at: usize, hint: &mut usize) -> usize {
        if at < self.text.len() {
            self.span(at, hint).0 as usize
        } else if self.text.is_empty() {
            0
        } else {
            self.span(self.text.len() - 1, hint).1 as usize
        }
    }

    /// [`MappedText::to_original`]; `hint` makes in-order queries linear overall.
    pub(crate) fn to_original(&self, range: Range<usize>, hint: &mut usize) -> Range<usize> {
        let len = self.text.len();
        let start = range.start.min(len);
        let end = range.end.clamp(start, len);
        if start == end {
            let at = self.point(start, hint);
            return at..at;
        }
        // Fast paths for char boundaries inside linear runs (nearly every token): no char decoding.
        let s = match self.runs.get(self.run_of(start as u32, hint)) {
            Some(run) if run.linear && self.text.is_char_boundary(start) => {
                (run.start + (start as u32 - run.at)) as usize
            }
            _ => self.span(start, hint).0 as usize,
        };
        let e = match self.runs.get(self.run_of(end as u32 - 1, hint)) {
            Some(run) if run.linear && self.text.is_char_boundary(end) => {
                (run.start + (end as u32 - run.at)) as usize
            }
            _ => self.span(end - 1, hint).1 as usize,
        };
        s..e.max(s)
    }
}

/// Builds a [`SparseText`] derived from a [`MappedText`], with the same pushes (and the same
/// results) as [`MappedText::derive`]'s builder.
#[derive(Debug)]
pub(crate) struct SparseBuilder<'a> {
    source: &'a MappedText,
    out: SparseText,
}

impl<'a> SparseBuilder<'a> {
    pub(crate) fn new(source: &'a MappedText) -> Self {
        Self {
            source,
            out: SparseText {
                text: String::with_capacity(source.len() + 16),
                runs: Vec::new(),
            },
        }
    }

    pub(crate) fn source_text(&self) -> &'a str {
        &self.source.text
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.out.text
    }

    pub(crate) fn finish(self) -> SparseText {
        self.out
    }

    /// Records that the char of `len` bytes at derived byte `at` (the end of the runs so far)
    /// maps to the span `(a, b)`.
    fn push_span(&mut self, at: u32, len: u32, (a, b): (u32, u32)) {
        if let Some(last) = self.out.runs.last() {
            let extends = if last.linear {
                last.start + (at - last.at) == a && b == a + len
            } else {
                (last.start, last.end) == (a, b)
            };
            if extends {
                return;
            }
        }
        self.out.runs.push(Run {
            at,
            start: a,
            end: b,
            linear: b == a + len,
        });
    }

    /// [`MappedTextBuilder::push_copy`].
    pub(crate) fn push_copy(&mut self, range: Range<usize>) {
        let src: &'a str = &self.source.text;
        let Some(piece) = src.get(range.clone()) else {
            return;
        };
        let spans = self.source.spans.get(range.clone()).unwrap_or(&[]);
        let base = self.out.text.len() as u32;
        self.out.text.push_str(piece);
        // Char by char: bytes of one char share a span, so its first byte's span is the char's.
        let bytes = piece.as_bytes();
        let mut k = 0usize;
        while let (Some(&first), Some(&span)) = (bytes.get(k), spans.get(k)) {
            let len = utf8_len(first);
            self.push_span(base + k as u32, len as u32, span);
            k += len;
        }
    }

    /// [`MappedTextBuilder::push_replaced`].
    pub(crate) fn push_replaced(&mut self, replacement: &str, range: Range<usize>) {
        let len = self.source.text.len();
        let start = range.start.min(len);
        let end = range.end.clamp(start, len);
        let span = if start == end {
            let at = self.source.point_to_original(start) as u32;
            (at, at)
        } else {
            let r = self.source.to_original(start..end);
            (r.start as u32, r.end as u32)
        };
        if replacement.is_empty() {
            return;
        }
        let at = self.out.text.len() as u32;
        let extends = self
            .out
            .runs
            .last()
            .is_some_and(|last| !last.linear && (last.start, last.end) == span);
        if !extends {
            self.out.runs.push(Run {
                at,
                start: span.0,
                end: span.1,
                linear: false,
            });
        }
        self.out.text.push_str(replacement);
    }
}

/// Length of the UTF-8 sequence starting with `first` (1 for a stray continuation byte, which a
/// `str` never starts a char with).
fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Converts byte offsets of a text into char offsets, for callers that count characters.
#[derive(Debug, Clone)]
pub struct CharIndex {
    /// Byte offset of every char start, plus the end.
    starts: Vec<u32>,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        let mut starts: Vec<u32> = text.char_indices().map(|(i, _)| i as u32).collect();
        starts.push(text.len() as u32);
        Self { starts }
    }

    /// The char offset of the char containing (or starting at) `byte`.
    pub fn char_at(&self, byte: usize) -> usize {
        match self.starts.binary_search(&(byte as u32)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    pub fn chars(&self, range: Range<usize>) -> Range<usize> {
        self.char_at(range.start)..self.char_at(range.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_maps_every_range_to_itself() {
        let t = MappedText::identity("情報ABC");
        assert_eq!(t.to_original(0..3), 0..3);
        assert_eq!(t.to_original(6..8), 6..8);
    }

    #[test]
    fn composed_stages_map_to_the_original() {
        let original = "ａ情報\nセキュ\nリティ";
        let mut b = MappedTextBuilder::from_original(original);
        b.push_replaced("a", 0..3);
        b.push_copy(3..9);
        // drop the line break: join the broken word
        b.push_copy(10..19);
        b.push_copy(20..original.len());
        let joined = b.finish();
        assert_eq!(joined.as_str(), "a情報セキュリティ");
        assert_eq!(joined.to_original(0..1), 0..3);
        let r = joined.to_original(1..joined.len());
        assert_eq!(&original[r], "情報\nセキュ\nリティ");

        let mut b2 = joined.derive();
        b2.push_replaced("セキュリティ", 7..joined.len());
        let second = b2.finish();
        assert_eq!(
            &original[second.to_original(0..second.len())],
            "セキュ\nリティ"
        );
    }

    /// The same pushes through [`MappedTextBuilder`] and [`SparseBuilder`] map every byte range
    /// (boundaries or not, in order or not) identically.
    #[test]
    fn sparse_text_maps_exactly_like_mapped_text() {
        let original = "ａ情報\nセキュ リティ,ABC　ｶﾞ1.5本市。";
        // A source that is itself derived: joined lines, replaced and inserted pieces.
        let mut b = MappedTextBuilder::from_original(original);
        b.push_replaced("a", 0..3);
        b.push_copy(3..9);
        b.push_copy(10..19);
        b.push_inserted("|", 19);
        b.push_copy(20..original.len());
        b.push_replaced("", 5..9);
        let source = b.finish();
        let src = source.as_str();
        let bounds: Vec<usize> = (0..=src.len())
            .filter(|&i| src.is_char_boundary(i))
            .collect();
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n.max(1)
        };
        for _ in 0..200 {
            let mut mapped = source.derive();
            let mut sparse = SparseBuilder::new(&source);
            let mut at = 0;
            while at + 1 < bounds.len() {
                let end = (at + 1 + next(4)).min(bounds.len() - 1);
                let range = bounds[at]..bounds[end];
                match next(5) {
                    0 => {
                        mapped.push_replaced("〈団体〉", range.clone());
                        sparse.push_replaced("〈団体〉", range);
                    }
                    1 => {
                        mapped.push_replaced("、", range.start..range.start);
                        sparse.push_replaced("、", range.start..range.start);
                    }
                    2 => {}
                    _ => {
                        mapped.push_copy(range.clone());
                        sparse.push_copy(range);
                    }
                }
                at = end;
            }
            let (mapped, sparse) = (mapped.finish(), sparse.finish());
            assert_eq!(mapped.as_str(), sparse.as_str());
            let n = mapped.len();
            let mut hint = 0;
            for i in 0..=n + 1 {
                for j in i..=n + 1 {
                    assert_eq!(
                        mapped.to_original(i..j),
                        sparse.to_original(i..j, &mut hint),
                        "{i}..{j} of {:?}",
                        mapped.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn char_index_counts_chars() {
        let idx = CharIndex::new("a情b");
        assert_eq!(idx.chars(1..4), 1..2);
        assert_eq!(idx.char_at(5), 3);
    }
}
