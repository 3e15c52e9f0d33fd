//! Artefact removal and line joining, with every byte still mapped to the original.
//!
//! Policies reach us as text extracted from PDFs: sentences broken at the page's line width,
//! page numbers and running headers between them, a table of contents that repeats every heading.
//! This stage removes those artefacts (recording each as an [`Artefact`] with its original range)
//! and joins the lines of one paragraph back together, so the structure and token stages see one
//! logical line per heading, list item or paragraph. The clean text is display text: no width
//! folding or NFKC here (that is for matching, done in `fold`).
//!
//! Output shape: logical lines separated by a single `\n`, without leading or trailing blanks;
//! blank lines and artefacts are gone.
//!
//! Joining is heuristic by nature. A line is joined to the next unless it visibly ends (sentence
//! end, closing bracket) or the next line starts a new unit (a label, a heading, a table). Between
//! those, the evidence is: an unfinished line (ends with 、 or inside brackets), a next line that
//! cannot start a sentence (small kana, ー, particles like を), and a line that fills the document's
//! typical wrap width, estimated per document because every PDF has its own.

use std::collections::HashMap;
use std::ops::Range;

use crate::document::{Artefact, ArtefactKind, Scheme};
use crate::error::{EngineError, Stage};
use crate::label::{self, Key, Marker, is_space};
use crate::limits::Deadline;
use crate::text::MappedText;

#[derive(Debug, Clone)]
pub struct Normalized {
    /// Display text: artefacts removed, broken lines joined, one logical line per `\n`.
    pub clean: MappedText,
    /// What was removed, in document order, with original ranges.
    pub artefacts: Vec<Artefact>,
}

/// How often (in lines) the deadline is checked: cheap enough, and a line is linear work.
const DEADLINE_EVERY: usize = 1024;

/// A short line recurring at least this often is a running header (a page title on every page).
const RUNNING_HEADER_MIN: usize = 4;

pub fn normalize(text: &MappedText, deadline: Deadline) -> Result<Normalized, EngineError> {
    let src = text.as_str();
    let mut lines = Vec::new();
    for (i, raw) in split_lines(src).into_iter().enumerate() {
        if i % DEADLINE_EVERY == 0 {
            deadline.check(Stage::Normalise)?;
        }
        lines.push(Line::new(src, raw));
    }

    mark_tables_of_contents(src, &mut lines);
    mark_running_headers(src, &mut lines);
    mark_page_numbers(src, &mut lines);
    deadline.check(Stage::Normalise)?;

    let full = wrap_threshold(&lines);
    let groups = join_lines(src, &lines, full, deadline)?;

    let mut b = text.derive();
    for (gi, group) in groups.iter().enumerate() {
        let Some(&first) = group.first() else {
            continue;
        };
        if gi > 0 {
            b.push_inserted("\n", lines[first].range.start);
        }
        let mut prev_last: Option<char> = None;
        for &idx in group {
            let r = lines[idx].range.clone();
            let piece = &src[r.clone()];
            // Japanese joins without a space; Latin words broken across lines need one back.
            if let (Some(p), Some(n)) = (prev_last, piece.chars().next())
                && p.is_ascii_alphanumeric()
                && n.is_ascii_alphanumeric()
            {
                b.push_inserted(" ", r.start);
            }
            prev_last = piece.chars().next_back();
            b.push_copy(r);
        }
    }
    let artefacts = lines
        .iter()
        .filter_map(|l| match l.class {
            Class::Artefact(kind) => Some(Artefact {
                kind,
                range: text.to_original(l.range.clone()),
            }),
            _ => None,
        })
        .collect();
    Ok(Normalized {
        clean: b.finish(),
        artefacts,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Blank,
    Content,
    Artefact(ArtefactKind),
}

#[derive(Debug)]
struct Line {
    /// Content range in the source, without leading/trailing blanks or line terminator.
    range: Range<usize>,
    /// Display width in columns (full-width chars count 2).
    width: u32,
    marker: Option<Marker>,
    last: Option<char>,
    table_header: bool,
    class: Class,
}

impl Line {
    fn new(src: &str, raw: Range<usize>) -> Self {
        let range = trim(src, raw);
        let s = &src[range.clone()];
        let marker = label::parse(s);
        let table_header = marker.is_none() && label::is_table_header(s);
        Line {
            width: width(s),
            last: s.chars().next_back(),
            class: if s.is_empty() {
                Class::Blank
            } else {
                Class::Content
            },
            range,
            marker,
            table_header,
        }
    }

    fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.range.clone()]
    }

    /// The text after the label (all of it for an unlabelled line).
    fn body<'a>(&self, src: &'a str) -> &'a str {
        let s = self.text(src);
        match &self.marker {
            Some(m) => s.get(m.text_start..).unwrap_or(""),
            None => s,
        }
    }

    fn is_content(&self) -> bool {
        self.class == Class::Content
    }
}

/// Splits at `\n`, `\r\n`, `\r` and form feed (a page break in `pdftotext` output).
fn split_lines(src: &str) -> Vec<Range<usize>> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b'\x0c' => {
                out.push(start..i);
                start = i + 1;
            }
            b'\r' => {
                out.push(start..i);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push(start..bytes.len());
    }
    out
}

fn is_blank(c: char) -> bool {
    is_space(c) || matches!(c, '\r' | '\u{feff}' | '\u{200b}')
}

fn trim(src: &str, r: Range<usize>) -> Range<usize> {
    let s = &src[r.clone()];
    let start_trimmed = s.trim_start_matches(is_blank);
    let start = r.start + (s.len() - start_trimmed.len());
    let end = start + start_trimmed.trim_end_matches(is_blank).len();
    start..end
}

fn char_width(c: char) -> u32 {
    if c.is_ascii() || ('\u{ff61}'..='\u{ff9f}').contains(&c) {
        1
    } else {
        2
    }
}

fn width(s: &str) -> u32 {
    s.chars().fold(0u32, |w, c| w.saturating_add(char_width(c)))
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '．' | '！' | '？' | '!' | '?' | '：' | ':')
}

fn is_open_bracket(c: char) -> bool {
    matches!(
        c,
        '（' | '(' | '「' | '『' | '【' | '［' | '[' | '〔' | '｛' | '〈' | '《'
    )
}

fn is_close_bracket(c: char) -> bool {
    matches!(
        c,
        '）' | ')' | '」' | '』' | '】' | '］' | ']' | '〕' | '｝' | '〉' | '》'
    )
}

fn bracket_depth(s: &str, mut depth: u32) -> u32 {
    for c in s.chars() {
        if is_open_bracket(c) {
            depth = depth.saturating_add(1);
        } else if is_close_bracket(c) {
            depth = depth.saturating_sub(1);
        }
    }
    depth
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

// ---------------------------------------------------------------- tables of contents

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leader {
    /// Dots or a tab before the page number: unmistakable.
    Strong,
    /// Two or more spaces before the page number: only convincing in a run.
    Weak,
}

/// A line ending in a page number after a leader (`目的……1`, `1\t目的\t1`, `目的　　1`).
fn toc_leader(s: &str) -> Option<Leader> {
    if s.ends_with('。') {
        return None;
    }
    let digits: usize = s
        .chars()
        .rev()
        .take_while(|&c| is_digit(c))
        .map(char::len_utf8)
        .sum();
    if digits == 0 || s[s.len() - digits..].chars().count() > 4 {
        return None;
    }
    let before = &s[..s.len() - digits];
    let leader_len = before.len() - before.trim_end_matches(is_toc_leader).len();
    let leader = &before[before.len() - leader_len..];
    let text = before[..before.len() - leader_len].trim_matches(is_blank);
    if text.is_empty() || leader.is_empty() {
        return None;
    }
    let dots = leader.chars().filter(|&c| !is_blank(c)).count();
    let spaces = leader.chars().filter(|&c| is_blank(c)).count();
    if leader.contains('\t') || dots >= 2 || leader.contains(['…', '‥']) {
        Some(Leader::Strong)
    } else if spaces >= 2 || leader.contains('\u{3000}') {
        Some(Leader::Weak)
    } else {
        None
    }
}

fn is_toc_leader(c: char) -> bool {
    is_blank(c)
        || matches!(
            c,
            '.' | '…' | '‥' | '・' | '･' | '·' | '．' | '-' | '－' | '─' | '—'
        )
}

fn is_toc_title(s: &str) -> bool {
    let compact: String = s.chars().filter(|&c| !is_blank(c)).collect();
    matches!(
        compact.as_str(),
        "目次" | "もくじ" | "目録" | "CONTENTS" | "Contents"
    )
}

/// Marks runs of TOC lines. A run (blank lines allowed inside) counts if it is long, has dot
/// leaders, or follows a 目次 title; one line with a number at the end is not a TOC.
fn mark_tables_of_contents(src: &str, lines: &mut [Line]) {
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].is_content() || toc_leader(lines[i].text(src)).is_none() {
            i += 1;
            continue;
        }
        let mut run = Vec::new();
        let mut dotted = false;
        let mut j = i;
        while j < lines.len() {
            if !lines[j].is_content() {
                j += 1;
                continue;
            }
            match toc_leader(lines[j].text(src)) {
                Some(leader) => {
                    dotted |= leader == Leader::Strong;
                    run.push(j);
                    j += 1;
                }
                None => break,
            }
        }
        let title = lines[..i]
            .iter()
            .rposition(Line::is_content)
            .filter(|&t| is_toc_title(lines[t].text(src)));
        let accepted = run.len() >= 3 || (dotted && run.len() >= 2) || title.is_some();
        if accepted {
            for &k in run.iter().chain(&title) {
                lines[k].class = Class::Artefact(ArtefactKind::TableOfContents);
            }
        }
        i = j.max(i + 1);
    }
}

// ---------------------------------------------------------------- running headers

/// Marks short unlabelled lines that recur many times (digits ignored, so 「規程 - 3 -」 and
/// 「規程 - 4 -」 match). The document's first line is kept: it is the title on its own page.
fn mark_running_headers(src: &str, lines: &mut [Line]) {
    let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if !l.is_content() || l.marker.is_some() || l.width > 60 || l.width < 4 {
            continue;
        }
        if l.last.is_some_and(|c| c == '。' || c == '、') {
            continue;
        }
        let key: String = l
            .text(src)
            .chars()
            .filter(|&c| !is_blank(c))
            .map(|c| if is_digit(c) { '0' } else { c })
            .collect();
        seen.entry(key).or_default().push(i);
    }
    let first_content = lines.iter().position(Line::is_content);
    for indices in seen.values() {
        if indices.len() < RUNNING_HEADER_MIN {
            continue;
        }
        for &i in indices {
            if Some(i) != first_content {
                lines[i].class = Class::Artefact(ArtefactKind::RunningHeader);
            }
        }
    }
}

// ---------------------------------------------------------------- page numbers

#[derive(Debug, PartialEq, Eq)]
enum PageNumber {
    /// `12` alone: a page number or a heading number split from its text; context decides.
    Bare(u32),
    /// `- 3 -`, `ⅰ- 2`, `3 / 12`, `P.3`: never anything else.
    Decorated,
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '−' | '‐' | '–' | '—' | '―' | '－' | 'ー' | '─')
}

fn is_page_token(s: &str) -> bool {
    let s = s.trim_matches(is_blank);
    !s.is_empty()
        && s.chars().count() <= 4
        && (s.chars().all(is_digit)
            || s.chars().all(|c| ('\u{2160}'..='\u{217f}').contains(&c))
            || s.chars()
                .all(|c| matches!(c, 'i' | 'v' | 'x' | 'I' | 'V' | 'X')))
}

fn page_number(s: &str) -> Option<PageNumber> {
    if s.chars().count() > 16 {
        return None;
    }
    if s.chars().all(is_digit) && s.chars().count() <= 4 {
        let n = s
            .chars()
            .filter_map(|c| c.to_digit(10).or_else(|| Some(c as u32 - '０' as u32)))
            .fold(0u32, |n, d| n * 10 + d);
        return Some(PageNumber::Bare(n));
    }
    // - 3 -  /  －３－
    if let Some(inner) = s
        .strip_prefix(is_dash)
        .and_then(|r| r.strip_suffix(is_dash))
        && is_page_token(inner)
    {
        return Some(PageNumber::Decorated);
    }
    // ⅰ- 2  /  1-2  /  3 / 12
    if let Some((a, b)) = s.split_once(|c: char| is_dash(c) || c == '/' || c == '／')
        && is_page_token(a)
        && is_page_token(b)
    {
        return Some(PageNumber::Decorated);
    }
    // P.3 / p 3 / Ｐ３
    if let Some(rest) = s.strip_prefix(['P', 'p', 'Ｐ', 'ｐ']) {
        let rest = rest.trim_start_matches(['.', '．', ' ']);
        if is_page_token(rest) && rest.chars().all(is_digit) {
            return Some(PageNumber::Decorated);
        }
    }
    None
}

/// Marks page numbers. A bare number is kept only when it continues the document's Arabic
/// numbering and the next line reads like its heading (「１」 then 「目的」); otherwise it breaks
/// the sequence and is a page number.
fn mark_page_numbers(src: &str, lines: &mut [Line]) {
    let mut last_arabic = 0u32;
    for i in 0..lines.len() {
        if !lines[i].is_content() {
            continue;
        }
        match page_number(lines[i].text(src)) {
            Some(PageNumber::Decorated) => {
                lines[i].class = Class::Artefact(ArtefactKind::PageNumber);
            }
            Some(PageNumber::Bare(n)) => {
                let next = lines[i + 1..].iter().find(|l| l.is_content());
                let heading_follows = next.is_some_and(|l| {
                    l.marker.is_none()
                        && l.width <= 40
                        && page_number(l.text(src)).is_none()
                        && !l.last.is_some_and(is_sentence_end)
                });
                if n == last_arabic + 1 && heading_follows {
                    last_arabic = n;
                } else {
                    lines[i].class = Class::Artefact(ArtefactKind::PageNumber);
                }
            }
            None => match lines[i].marker.as_ref().map(|m| (m.key, m.ordinal)) {
                Some((Key::Numbered(Scheme::Arabic, _), n)) => last_arabic = n,
                Some((Key::Numbered(Scheme::Chapter | Scheme::Part, _), _)) => last_arabic = 0,
                _ => {}
            },
        }
    }
}

// ---------------------------------------------------------------- line joining

/// The width from which a line counts as "full" (wrapped by the PDF, not ended by the author).
///
/// Estimated from unlabelled lines that do not end a sentence: in a wrapped document most of them
/// sit within a few columns of the wrap width. `None` when there is no such cluster (one paragraph
/// per line, as in converted Markdown): then width is no evidence at all.
fn wrap_threshold(lines: &[Line]) -> Option<u32> {
    const WINDOW: u32 = 8;
    let mut widths: Vec<u32> = lines
        .iter()
        .filter(|l| l.is_content() && l.marker.is_none() && l.width >= 30)
        .filter(|l| !l.last.is_some_and(is_sentence_end))
        .map(|l| l.width)
        .collect();
    widths.sort_unstable();
    let mut best = (0usize, 0usize); // (count, start index)
    let mut end = 0;
    for start in 0..widths.len() {
        while end < widths.len() && widths[end] < widths[start] + WINDOW {
            end += 1;
        }
        if end - start > best.0 {
            best = (end - start, start);
        }
    }
    let (count, start) = best;
    if count < 2 || count * 4 < widths.len() {
        return None;
    }
    let median = widths[start + count / 2];
    (median >= 40).then(|| median - 5)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// Cannot start a sentence: small kana, ー, closing punctuation, を, ん, ら行.
    Strong,
    /// Hiragana that is not a sentence-opening conjunction: probably a word's tail.
    Hiragana,
    Other,
}

fn start_kind(s: &str) -> Start {
    let Some(c) = s.chars().next() else {
        return Start::Other;
    };
    if "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶーゝゞヽヾ々、。，．」』）)】］〕・をんらりるれろ"
        .contains(c)
    {
        return Start::Strong;
    }
    if ('\u{3041}'..='\u{309f}').contains(&c) {
        const OPENERS: [&str; 14] = [
            "なお",
            "また",
            "ただし",
            "この",
            "その",
            "これ",
            "それ",
            "さらに",
            "したがって",
            "よって",
            "あわせて",
            "おって",
            "かつ",
            "もって",
        ];
        if OPENERS.iter().any(|o| s.starts_with(o)) {
            return Start::Other;
        }
        return Start::Hiragana;
    }
    Start::Other
}

struct JoinContext<'a> {
    src: &'a str,
    full: Option<u32>,
}

impl JoinContext<'_> {
    /// Whether physical line `cur` continues on `next`. `first` says `cur` starts its logical
    /// line; `depth` is the bracket depth of the logical line so far; `indent` is the width of
    /// the logical line's label, by which a list item's continuation lines are usually indented
    /// (a hanging indent the extraction lost), so they wrap that much earlier.
    fn should_join(
        &self,
        cur: &Line,
        first: bool,
        depth: u32,
        indent: u32,
        next: &Line,
        after: Option<&Line>,
    ) -> bool {
        if cur.marker.as_ref().is_some_and(|m| m.markdown.is_some())
            || next.marker.is_some()
            || next.table_header
            || cur.table_header
        {
            return false;
        }
        let Some(last) = cur.last else {
            return false;
        };
        if is_sentence_end(last) {
            return false;
        }
        let start = start_kind(next.text(self.src));
        if depth > 0 || is_open_bracket(last) || matches!(last, '、' | '，' | ',' | '・') {
            return true;
        }
        if is_close_bracket(last) {
            return start != Start::Other;
        }
        let threshold = if first {
            self.full
        } else {
            self.full.map(|f| f.saturating_sub(indent))
        };
        let full = threshold.is_some_and(|f| cur.width >= f);
        let labelled = first && cur.marker.is_some();
        // A heading is a noun phrase: no comma, and no が/を that would make it a clause.
        let heading_like = labelled && !cur.body(self.src).contains(['、', '，', ',', 'が', 'を']);
        if heading_like {
            return start == Start::Strong
                || (full && start == Start::Hiragana)
                || self.is_item_tail(cur, next, after);
        }
        start != Start::Other || full || (labelled && self.is_item_tail(cur, next, after))
    }

    /// A long list item followed by a short unfinished line and then the next item: the short
    /// line is the item's tail (「①…破壊・盗」「難・改ざん・消去等」「②…」), not a body paragraph.
    fn is_item_tail(&self, cur: &Line, next: &Line, after: Option<&Line>) -> bool {
        let Some(f) = self.full else {
            return false;
        };
        cur.width.saturating_mul(4) >= f.saturating_mul(3)
            && next.width < f
            && !next.last.is_some_and(is_sentence_end)
            && after.is_none_or(|l| l.marker.is_some())
    }
}

fn join_lines(
    src: &str,
    lines: &[Line],
    full: Option<u32>,
    deadline: Deadline,
) -> Result<Vec<Vec<usize>>, EngineError> {
    let content: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].is_content())
        .collect();
    let ctx = JoinContext { src, full };
    let mut groups = Vec::new();
    let mut k = 0;
    while k < content.len() {
        if k % DEADLINE_EVERY == 0 {
            deadline.check(Stage::Normalise)?;
        }
        let mut group = vec![content[k]];
        let head = &lines[content[k]];
        let mut depth = bracket_depth(head.body(src), 0);
        let indent = head.marker.as_ref().map_or(0, |m| {
            width(head.text(src).get(..m.text_start).unwrap_or(""))
        });
        while let Some(&next) = content.get(k + 1) {
            let cur = &lines[*group.last().unwrap_or(&content[k])];
            let after = content.get(k + 2).map(|&i| &lines[i]);
            if !ctx.should_join(cur, group.len() == 1, depth, indent, &lines[next], after) {
                break;
            }
            depth = bracket_depth(lines[next].text(src), depth);
            group.push(next);
            k += 1;
            if k % DEADLINE_EVERY == 0 {
                deadline.check(Stage::Normalise)?;
            }
        }
        groups.push(group);
        k += 1;
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_number_forms() {
        assert_eq!(page_number("12"), Some(PageNumber::Bare(12)));
        assert_eq!(page_number("１２"), Some(PageNumber::Bare(12)));
        assert_eq!(page_number("- 3 -"), Some(PageNumber::Decorated));
        assert_eq!(page_number("ⅰ- 2"), Some(PageNumber::Decorated));
        assert_eq!(page_number("3 / 12"), Some(PageNumber::Decorated));
        assert_eq!(page_number("P.3"), Some(PageNumber::Decorated));
        assert_eq!(page_number("目的"), None);
        assert_eq!(page_number("12345"), None);
    }

    #[test]
    fn toc_leaders() {
        assert_eq!(toc_leader("1\t目的\t1"), Some(Leader::Strong));
        assert_eq!(toc_leader("目的……………3"), Some(Leader::Strong));
        assert_eq!(toc_leader("目的　　3"), Some(Leader::Weak));
        assert_eq!(toc_leader("平成11年8月13日法律第128号"), None);
        assert_eq!(toc_leader("機密性 3"), None);
    }

    #[test]
    fn width_counts_full_width_as_two() {
        assert_eq!(width("ab情報"), 6);
        assert_eq!(width("ｱｲ"), 2);
    }
}
