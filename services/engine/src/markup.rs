//! Markup stripping (HTML) into mapped plain text.
//!
//! Plain text and Markdown pass through unchanged (the structure stage reads Markdown headings
//! itself). HTML goes through a small, tolerant hand-written scanner: policies come from reiki
//! systems and CMS exports whose HTML is often malformed, and an error here would lose the
//! document, so every input yields some text and nothing can panic or backtrack.
//!
//! The output keeps one article / paragraph / item per line: block boundaries become `\n`, table
//! cells of one row are joined by `\t`, and a block holding only a numbering label (reiki pages put
//! `第１条`, `２`, `一` in their own span or div) is joined to the text after it with a full-width
//! space, so the structure stage sees `第１条　この規則は…` as in a printed 例規.

use std::ops::Range;

use crate::decode::Decoded;
use crate::document::Format;
use crate::text::{MappedText, MappedTextBuilder};

pub fn to_text(decoded: &Decoded) -> MappedText {
    match decoded.meta.format {
        Format::Html => strip_html(&decoded.text),
        Format::Text | Format::Markdown => MappedText::identity(&decoded.text),
    }
}

/// Strips HTML tags into text; see the module docs for the layout rules.
pub fn strip_html(html: &str) -> MappedText {
    let mut s = Stripper {
        bytes: html.as_bytes(),
        out: MappedTextBuilder::from_original(html),
        pending_space: None,
        join_label: false,
        in_cell: false,
        cell_gap: None,
        cells_in_row: 0,
        pre_depth: 0,
        in_head: false,
        suppress_until: None,
        quote_absent_from: [usize::MAX; 2],
    };
    s.run();
    s.out.finish()
}

/// Elements whose start or end begins a new line.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "ul",
];

/// Elements whose text is not document text: metadata, ruby readings, scripts disabled views.
const SUPPRESSED: &[&str] = &[
    "noscript", "rp", "rt", "select", "template", "textarea", "title",
];

/// Elements that may appear in a head; any other start tag ends it.
const HEAD_CONTENT: &[&str] = &[
    "base", "head", "html", "link", "meta", "noscript", "script", "style", "template", "title",
];

/// Elements whose content is raw text (may contain `<`), skipped up to their end tag.
const RAW_TEXT: &[&str] = &["script", "style"];

struct Stripper<'a> {
    bytes: &'a [u8],
    out: MappedTextBuilder<'a>,
    /// Collapsible whitespace seen since the last content: its source range and whether it held
    /// a line break. Emitted as one space only if more content follows on the same line.
    pending_space: Option<(Range<usize>, bool)>,
    /// The current line is a bare numbering label whose block just ended.
    join_label: bool,
    in_cell: bool,
    /// A block boundary inside a table cell, to become a space if the cell has more content.
    cell_gap: Option<usize>,
    cells_in_row: usize,
    pre_depth: usize,
    in_head: bool,
    /// Positions from which there is no `"` / `'` left in the input.
    quote_absent_from: [usize; 2],
    /// Inside an element from [`SUPPRESSED`]: text is dropped until this end tag.
    suppress_until: Option<&'static str>,
}

impl Stripper<'_> {
    fn run(&mut self) {
        let len = self.bytes.len();
        let mut i = 0;
        while i < len {
            i = match self.bytes[i] {
                b'<' => self.markup(i),
                b'&' => self.entity(i),
                _ => {
                    let end = memchr::memchr2(b'<', b'&', &self.bytes[i..]).map_or(len, |p| i + p);
                    self.text(i..end);
                    end
                }
            };
        }
    }

    fn suppressed(&self) -> bool {
        self.in_head || self.suppress_until.is_some()
    }

    /// A run of source text with no markup in it. Its bounds sit on ASCII bytes (`<`, `&`, `;`,
    /// `>`), so they are char boundaries.
    fn text(&mut self, range: Range<usize>) {
        // Only whitespace may sit directly in a head; other text means the head has ended.
        if self.in_head
            && self.suppress_until.is_none()
            && self.bytes[range.clone()].iter().any(|&b| !is_html_space(b))
        {
            self.in_head = false;
        }
        if self.suppressed() {
            return;
        }
        if self.pre_depth > 0 {
            if let Some(c) = first_char(self.bytes, range.start) {
                self.before_content(c, range.start);
                self.out.push_copy(range);
            }
            return;
        }
        let mut i = range.start;
        while i < range.end {
            let is_space = is_html_space(self.bytes[i]);
            let run_end = self.bytes[i..range.end]
                .iter()
                .position(|&b| is_html_space(b) != is_space)
                .map_or(range.end, |p| i + p);
            if is_space {
                let newline = self.bytes[i..run_end].contains(&b'\n');
                self.pending_space = Some(match self.pending_space.take() {
                    Some((r, n)) => (r.start..run_end, n || newline),
                    None => (i..run_end, newline),
                });
            } else if let Some(c) = first_char(self.bytes, i) {
                self.before_content(c, i);
                self.out.push_copy(i..run_end);
            }
            i = run_end;
        }
    }

    /// Settles what goes between the previous content and `next` (starting at source `at`).
    fn before_content(&mut self, next: char, at: usize) {
        let pending = self.pending_space.take();
        if let Some(gap) = self.cell_gap.take() {
            let ends_in_space = self
                .out
                .as_str()
                .chars()
                .next_back()
                .is_none_or(char::is_whitespace);
            if !ends_in_space {
                self.out.push_inserted(" ", gap);
            }
            return;
        }
        if self.join_label {
            self.join_label = false;
            self.out.push_inserted("\u{3000}", at);
            return;
        }
        let Some((range, had_newline)) = pending else {
            return;
        };
        let Some(last) = self.out.as_str().chars().next_back() else {
            return;
        };
        if last == '\n' || last == '\t' || last == ' ' || last == '\u{3000}' {
            return;
        }
        // Source line breaks between Japanese characters are layout, not a word gap.
        if had_newline && !last.is_ascii() && !next.is_ascii() {
            return;
        }
        self.out.push_replaced(" ", range);
    }

    /// A block boundary at source position `at`.
    fn block_break(&mut self, at: usize) {
        if self.suppressed() {
            return;
        }
        self.pending_space = None;
        if self.in_cell {
            // Deferred, so a block closing at the end of a cell leaves no trailing space.
            self.cell_gap = Some(at);
            return;
        }
        if self.join_label {
            return;
        }
        let text = self.out.as_str();
        if text.is_empty() || text.ends_with('\n') {
            return;
        }
        let line = &text[text.rfind('\n').map_or(0, |p| p + 1)..];
        if is_bare_label(line) {
            self.join_label = true;
            return;
        }
        self.out.push_inserted("\n", at);
    }

    /// A boundary that always ends the line (table rows and tables).
    fn hard_break(&mut self, at: usize) {
        self.in_cell = false;
        self.cell_gap = None;
        self.cells_in_row = 0;
        self.join_label = false;
        if self.suppressed() {
            return;
        }
        self.pending_space = None;
        let text = self.out.as_str();
        if !text.is_empty() && !text.ends_with('\n') {
            self.out.push_inserted("\n", at);
        }
    }

    fn cell_start(&mut self, at: usize) {
        if self.suppressed() {
            return;
        }
        self.pending_space = None;
        self.join_label = false;
        self.cell_gap = None;
        let at_line_start = self.out.as_str().is_empty() || self.out.as_str().ends_with('\n');
        if self.cells_in_row > 0 && !at_line_start {
            self.out.push_inserted("\t", at);
        }
        self.cells_in_row += 1;
        self.in_cell = true;
    }

    /// Handles `<` at `start`; returns the position after the markup.
    fn markup(&mut self, start: usize) -> usize {
        let len = self.bytes.len();
        let rest = &self.bytes[start..];
        if rest.starts_with(b"<!--") {
            return find(self.bytes, start + 4, b"-->").map_or(len, |p| p + 3);
        }
        let Some(&second) = rest.get(1) else {
            self.text(start..len);
            return len;
        };
        if second == b'!' || second == b'?' {
            return find_byte(self.bytes, start, b'>').map_or(len, |p| p + 1);
        }
        let closing = second == b'/';
        let name_start = start + 1 + usize::from(closing);
        if !self
            .bytes
            .get(name_start)
            .is_some_and(u8::is_ascii_alphabetic)
        {
            // A literal `<` ("a < b"), not a tag.
            self.text(start..start + 1);
            return start + 1;
        }
        let name_end = self.bytes[name_start..]
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b':'))
            .map_or(len, |p| name_start + p);
        let tag_end = self.tag_end(name_end);
        let mut name_buf = [0u8; 12];
        let name = lower_name(&self.bytes[name_start..name_end], &mut name_buf);
        if closing {
            self.end_tag(name, start);
        } else if let Some(raw) = RAW_TEXT.iter().find(|&&r| r == name) {
            return self.skip_raw_text(raw, tag_end);
        } else {
            self.start_tag(name, start);
        }
        tag_end
    }

    fn start_tag(&mut self, name: &str, at: usize) {
        // Body content implies the head has ended, even without `</head>` or `<body>`.
        if self.in_head && !HEAD_CONTENT.contains(&name) {
            self.in_head = false;
        }
        match name {
            "head" => self.in_head = true,
            "td" | "th" => self.cell_start(at),
            "tr" | "table" => self.hard_break(at),
            _ => {
                if let Some(s) = SUPPRESSED.iter().find(|&&s| s == name) {
                    if self.suppress_until.is_none() {
                        self.suppress_until = Some(s);
                    }
                    return;
                }
                if BLOCK.contains(&name) {
                    if name == "pre" {
                        self.pre_depth += 1;
                    }
                    self.block_break(at);
                }
            }
        }
    }

    fn end_tag(&mut self, name: &str, at: usize) {
        if self.suppress_until == Some(name) {
            self.suppress_until = None;
            return;
        }
        match name {
            "head" => self.in_head = false,
            "td" | "th" => {
                self.pending_space = None;
                self.cell_gap = None;
                self.in_cell = false;
            }
            "tr" | "table" => self.hard_break(at),
            _ if BLOCK.contains(&name) => {
                if name == "pre" {
                    self.pre_depth = self.pre_depth.saturating_sub(1);
                }
                self.block_break(at);
            }
            _ => {}
        }
    }

    /// The position after the `>` closing a tag whose name ends at `from`.
    fn tag_end(&mut self, from: usize) -> usize {
        let len = self.bytes.len();
        let mut i = from;
        let mut after_eq = false;
        while i < len {
            match self.bytes[i] {
                b'>' => return i + 1,
                q @ (b'"' | b'\'') if after_eq => match self.find_quote(i + 1, q) {
                    Some(close) => {
                        i = close;
                        after_eq = false;
                    }
                    // An unterminated quote would swallow the rest of the document; assume the
                    // quote was a typo and end the tag at the first `>` instead.
                    None => return find_byte(self.bytes, from, b'>').map_or(len, |p| p + 1),
                },
                b'=' => after_eq = true,
                b if is_html_space(b) => {}
                _ => after_eq = false,
            }
            i += 1;
        }
        len
    }

    /// The next `q` at or after `from`. Remembers where a search failed: many tags with an
    /// unterminated quote would otherwise each scan to the end, quadratic in the input.
    fn find_quote(&mut self, from: usize, q: u8) -> Option<usize> {
        let slot = usize::from(q == b'\'');
        if from >= self.quote_absent_from[slot] {
            return None;
        }
        let found = find_byte(self.bytes, from, q);
        if found.is_none() {
            self.quote_absent_from[slot] = from;
        }
        found
    }

    /// Skips the content of `<script>` / `<style>` up to and including its end tag.
    fn skip_raw_text(&self, name: &str, from: usize) -> usize {
        let len = self.bytes.len();
        let mut i = from;
        while let Some(p) = find(self.bytes, i, b"</") {
            let name_at = p + 2;
            let candidate = self.bytes.get(name_at..name_at + name.len());
            if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
                return find_byte(self.bytes, name_at, b'>').map_or(len, |e| e + 1);
            }
            i = p + 2;
        }
        len
    }

    /// Handles `&` at `start`; returns the position after the entity (or the literal `&`).
    fn entity(&mut self, start: usize) -> usize {
        let Some((decoded, end)) = parse_entity(self.bytes, start) else {
            self.text(start..start + 1);
            return start + 1;
        };
        if self.suppressed() {
            return end;
        }
        let mut buf = [0u8; 4];
        let replacement: &str = match decoded {
            Expansion::Char(c) => c.encode_utf8(&mut buf),
            Expansion::Named(s) => s,
        };
        let Some(first) = replacement.chars().next() else {
            return end;
        };
        self.before_content(first, start);
        self.out.push_replaced(replacement, start..end);
        end
    }
}

fn is_html_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0C')
}

fn first_char(bytes: &[u8], at: usize) -> Option<char> {
    let tail = bytes.get(at..)?;
    let take = tail.len().min(4);
    // `at` is a char boundary; a UTF-8 char is at most 4 bytes, so one of these prefixes parses.
    (1..=take)
        .find_map(|n| std::str::from_utf8(&tail[..n]).ok())
        .and_then(|s| s.chars().next())
}

/// Lowercases a tag name into `buf`; names longer than the buffer are not ones we act on.
fn lower_name<'b>(name: &[u8], buf: &'b mut [u8; 12]) -> &'b str {
    if name.len() > buf.len() {
        return "";
    }
    for (dst, src) in buf.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    std::str::from_utf8(&buf[..name.len()]).unwrap_or("")
}

/// The first `needle` at or after `from`.
fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    memchr::memchr(needle, bytes.get(from..)?).map(|p| from + p)
}

/// The first `needle` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|p| from + p)
}

/// What an entity stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expansion {
    /// A numeric reference (`&#27161;`, `&#x6A5F;`).
    Char(char),
    /// A named reference, from the WHATWG table (one or two code points).
    Named(&'static str),
}

/// Parses an entity at `start` (which holds `&`): what it stands for and the position after it.
fn parse_entity(bytes: &[u8], start: usize) -> Option<(Expansion, usize)> {
    let mut i = start + 1;
    if bytes.get(i) == Some(&b'#') {
        i += 1;
        let hex = matches!(bytes.get(i), Some(b'x' | b'X'));
        if hex {
            i += 1;
        }
        let digits_start = i;
        let mut value: u32 = 0;
        while let Some(&b) = bytes.get(i) {
            let digit = if hex {
                (b as char).to_digit(16)
            } else {
                (b as char).to_digit(10)
            };
            let Some(d) = digit else { break };
            value = value
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(d);
            i += 1;
        }
        if i == digits_start {
            return None;
        }
        if bytes.get(i) == Some(&b';') {
            i += 1;
        }
        let c = match value {
            0 => '\u{FFFD}',
            v => char::from_u32(v).unwrap_or('\u{FFFD}'),
        };
        return Some((Expansion::Char(c), i));
    }
    let name_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) && i - name_start < 32 {
        i += 1;
    }
    if i == name_start {
        return None;
    }
    let (entity, end) = if bytes.get(i) == Some(&b';') {
        (&bytes[start..=i], i + 1)
    } else if LEGACY_UNTERMINATED.contains(&&bytes[name_start..i]) {
        // Legacy pages omit the `;` on these; browsers accept it.
        (&bytes[start..i], i)
    } else {
        return None;
    };
    let expansion = std::str::from_utf8(htmlize::ENTITIES.get(entity)?).ok()?;
    Some((Expansion::Named(layout_space(expansion)), end))
}

/// Named entities accepted without their `;`. The WHATWG table accepts more (`&copy`, `&eacute`),
/// but in 例規 pages those are more likely text than markup.
const LEGACY_UNTERMINATED: &[&[u8]] = &[b"amp", b"lt", b"gt", b"quot", b"nbsp"];

/// Reiki pages indent with `&nbsp;` (and its wider kin): written as entities these spaces are
/// layout, so they become a plain space.
fn layout_space(expansion: &'static str) -> &'static str {
    match expansion {
        "\u{A0}" | "\u{2002}" | "\u{2003}" | "\u{2009}" => " ",
        other => other,
    }
}

/// Whether `line` is only a numbering label (`第１条`, `第２条の２`, `２`, `一`, `(1)`, `①`, `ア`),
/// i.e. a reiki page put the label in its own element and its text follows in the next one.
fn is_bare_label(line: &str) -> bool {
    let t = line.trim_matches(|c: char| c.is_whitespace());
    if t.is_empty() || t.chars().count() > 12 {
        return false;
    }
    let chars: Vec<char> = t.chars().collect();
    let numeral = |c: char| is_digit(c) || is_kanji_numeral(c);
    match chars.as_slice() {
        ['第', rest @ ..] => {
            // 第N条, 第N条のM, 第N章 ...
            let Some(unit_at) = rest.iter().position(|&c| !numeral(c)) else {
                return false;
            };
            if unit_at == 0 || !"編章節款目条項号".contains(rest[unit_at]) {
                return false;
            }
            let mut tail = &rest[unit_at + 1..];
            while let ['の', more @ ..] = tail {
                let n = more.iter().take_while(|&&c| numeral(c)).count();
                if n == 0 {
                    return false;
                }
                tail = &more[n..];
            }
            tail.is_empty()
        }
        ['(' | '（', inner @ .., ')' | '）'] => {
            !inner.is_empty()
                && (inner.iter().all(|&c| numeral(c))
                    || (inner.len() == 1 && (is_katakana(inner[0]) || inner[0].is_alphabetic())))
        }
        [c] if ('\u{2460}'..='\u{2473}').contains(c) || is_katakana(*c) => true,
        [body @ .., '.' | '．'] => !body.is_empty() && body.iter().all(|&c| is_digit(c)),
        all => {
            all.len() <= 3 && all.iter().all(|&c| is_digit(c))
                || all.len() <= 4 && all.iter().all(|&c| is_kanji_numeral(c))
        }
    }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn is_kanji_numeral(c: char) -> bool {
    "〇一二三四五六七八九十百千".contains(c)
}

fn is_katakana(c: char) -> bool {
    ('ア'..='ン').contains(&c) || ('ｱ'..='ﾝ').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_labels_are_recognised() {
        for l in [
            "第１条",
            "第2条の2",
            "第十二条",
            "２",
            "一",
            "十一",
            "(1)",
            "（２）",
            "①",
            "ア",
            "（イ）",
            "1.",
        ] {
            assert!(is_bare_label(l), "{l}");
        }
        for l in ["（目的）", "第１条　目的", "目的", "第", "()", "12345"] {
            assert!(!is_bare_label(l), "{l}");
        }
    }

    #[test]
    fn label_divs_join_their_text() {
        let t = strip_html("<div><span>第１条</span></div><div>この規則は、定める。</div>");
        assert_eq!(t.as_str(), "第１条\u{3000}この規則は、定める。\n");
    }

    #[test]
    fn whitespace_between_japanese_lines_is_dropped() {
        let t = strip_html("<p>情報\n  資産</p>\n<p>a\nb</p>");
        assert_eq!(t.as_str(), "情報資産\na b\n");
    }

    #[test]
    fn an_unclosed_head_ends_at_body_content() {
        let t = strip_html("<html><head><meta charset=utf-8><title>題</title>\n本文<b>です</b>");
        assert_eq!(t.as_str(), "本文です");
        let t = strip_html("<head><title>題</title><table><tr><td>一</td><td>表</td></tr></table>");
        assert_eq!(t.as_str(), "一\t表\n");
    }

    /// Every entity of the table this scanner had before it used the WHATWG one decodes as it
    /// did (the layout spaces to a plain space).
    #[test]
    fn named_entities_decode_as_before() {
        for (entity, want) in [
            ("amp", "&"),
            ("lt", "<"),
            ("gt", ">"),
            ("quot", "\""),
            ("apos", "'"),
            ("nbsp", " "),
            ("ensp", " "),
            ("emsp", " "),
            ("thinsp", " "),
            ("copy", "©"),
            ("reg", "®"),
            ("trade", "™"),
            ("middot", "·"),
            ("bull", "•"),
            ("hellip", "…"),
            ("mdash", "—"),
            ("ndash", "–"),
            ("lsquo", "‘"),
            ("rsquo", "’"),
            ("ldquo", "“"),
            ("rdquo", "”"),
            ("laquo", "«"),
            ("raquo", "»"),
            ("times", "×"),
            ("divide", "÷"),
            ("yen", "¥"),
            ("sect", "§"),
            ("para", "¶"),
            ("deg", "°"),
            ("plusmn", "±"),
            ("larr", "←"),
            ("rarr", "→"),
            ("uarr", "↑"),
            ("darr", "↓"),
            ("shy", "\u{AD}"),
        ] {
            let t = strip_html(&format!("<p>甲&{entity};乙</p>"));
            assert_eq!(t.as_str(), format!("甲{want}乙\n"), "&{entity};");
        }
    }

    #[test]
    fn entities_follow_the_whatwg_table() {
        // Names the old table lacked, one of two code points, and a name that is no entity.
        let t = strip_html("<p>&hearts;&frac12;&NotEqualTilde;&ideographicspace;</p>");
        assert_eq!(t.as_str(), "♥½≂\u{338}&ideographicspace;\n");
        // Only the five legacy names are accepted without `;`.
        let t = strip_html("<p>a&ampb &lt c &copy d &amp</p>");
        assert_eq!(t.as_str(), "a&ampb < c &copy d &\n");
        // Numeric references are unchanged: no layout folding, U+FFFD for nothing.
        let t = strip_html("<p>&#160;&#x6A5F;&#0;&#1114112;</p>");
        assert_eq!(t.as_str(), "\u{A0}機\u{FFFD}\u{FFFD}\n");
    }

    #[test]
    fn malformed_markup_never_panics() {
        for s in [
            "<",
            "<a",
            "</",
            "<!--",
            "&",
            "&#",
            "&#x",
            "&#99999999999;",
            "<p a=\"",
            "<script>",
            "<a b='c>d",
        ] {
            let _ = strip_html(s);
        }
    }
}
