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

    #[test]
    fn char_index_counts_chars() {
        let idx = CharIndex::new("a情b");
        assert_eq!(idx.chars(1..4), 1..2);
        assert_eq!(idx.char_at(5), 3);
    }
}
