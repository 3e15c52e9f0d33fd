//! Numbering schemes and the section tree.
//!
//! Reads the clean text one logical line at a time (the normaliser guarantees one heading, list
//! item or paragraph per line). A line that starts with a label ([`label::parse`]) opens a node;
//! anything else is body text of the deepest open node, split into sentences at 。 outside
//! brackets and quotes.
//!
//! **Hierarchy.** Levels are not fixed per scheme: they follow the order schemes appear in. The open
//! nodes form a stack; a label whose scheme (with its style: `1)` differs from `(1)`) is already on
//! the stack closes everything above that entry and becomes its sibling, and a scheme not on the
//! stack becomes a child of the deepest open node. So `(1)` can sit under `1` in one document and
//! under `第２章` in another, and numbering outranks Markdown `#` depth (`### 3.` is a sibling of
//! `## 1.`). Unnumbered Markdown headings nest by their `#` count.
//!
//! **Paths.** A node's path joins its ancestors' labels with `/`. Labels are kept as written
//! (full-width digits stay full-width) except that brackets are made half-width and a trailing
//! full stop is dropped: `（１）` → `(１)`, `1.` → `1`, `## 3.` → `3`. Unnumbered units get a
//! counter: `#2` (second Markdown heading of its level), `・3` (third bullet), `表1` (first table),
//! and the text before the first label is the preface `序`. A path repeated under one parent gets
//! `~2`, `~3`, … so every path is unique.
//!
//! **Headings.** The text after a label is the node's heading when it is short (≤ 60 chars) and has
//! no 。; a label alone on its line takes the next short line as its heading. A node left with a
//! heading but no body and no children is a list item, so that text becomes its body.
//!
//! **例規 layout.** Municipal regulations number articles `第N条` (branch articles `第３条の２`
//! are articles of their own, ordinal 3), paragraphs (項) by a bare `２`, `３` and a space from the
//! second on, and items (号) by kanji numerals `一`, `十一` and a space. Inside an open article a
//! bare number is therefore a 項 (scheme `Paragraph`) and always nests under the innermost
//! article, closing any 号 open in it; 号 nest under whatever is open (the article or its 項).
//! Outside articles a bare number stays `Arabic`, so non-例規 documents are unaffected. The
//! caption line 「（目的）」 above an article is that article's heading (held back one line; if no
//! article follows it is ordinary text as before), and so is 「第１条（目的）　…」 written on the
//! article's line; with a caption, all text on the label's line is body. `附則` and `別表` close
//! everything and open a top-level node (`附則`, `別表`; an article after a 別表 leaves it). A
//! `○` glued to a short line before any label is the 例規 title (preface text), not a bullet.
//!
//! **Tables.** A header row of short spaced cells (「分類 分類基準 取扱制限」) opens a `Table` child;
//! every following line up to the next (non-bullet) label belongs to it. A line starting with a
//! short cell and a space starts a row; other lines continue the row. Each row is one sentence.

use std::collections::HashMap;
use std::ops::Range;

use crate::decode::Decoded;
use crate::document::{
    Document, Label, Node, NodeId, NodeKind, Scheme, Sentence, SentenceId, SentenceRole,
};
use crate::error::{EngineError, Stage};
use crate::label::{self, Key, Marker, Style};
use crate::limits::Deadline;
use crate::normalize::Normalized;

/// Path of the preface node.
pub const PREFACE_PATH: &str = "序";

/// Longest label text (in chars) still read as a heading rather than a body sentence.
const MAX_HEADING_CHARS: usize = 60;

const DEADLINE_EVERY: usize = 1024;

pub fn parse(
    decoded: Decoded,
    normalized: Normalized,
    deadline: Deadline,
) -> Result<Document, EngineError> {
    let clean = normalized.clean;
    let mut parser = Parser::new(clean.as_str());
    let mut offset = 0;
    for (i, line) in clean.as_str().split('\n').enumerate() {
        if i % DEADLINE_EVERY == 0 {
            deadline.check(Stage::Structure)?;
        }
        let r = offset..offset + line.len();
        offset = r.end + 1;
        let r = trim(clean.as_str(), r);
        if !r.is_empty() {
            parser.line(r);
        }
    }
    deadline.check(Stage::Structure)?;
    let (drafts, drafted) = parser.finish();

    let original_len = decoded.text.len();
    let nodes = drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| Node {
            id: NodeId(i as u32),
            parent: d.parent.map(|p| NodeId(p as u32)),
            children: d.children.iter().map(|&c| NodeId(c as u32)).collect(),
            kind: d.kind,
            label: d.label,
            path: d.path,
            heading: d.heading.map(SentenceId),
            body: d.body.unwrap_or(d.body_at..d.body_at),
            range: if d.kind == NodeKind::Root {
                0..original_len
            } else {
                clean.to_original(d.start..d.end)
            },
        })
        .collect();
    let sentences = drafted
        .into_iter()
        .enumerate()
        .map(|(i, s)| Sentence {
            id: SentenceId(i as u32),
            node: NodeId(s.node as u32),
            role: s.role,
            range: clean.to_original(s.clean.clone()),
            clean: s.clean,
        })
        .collect();
    Ok(Document {
        meta: decoded.meta,
        original: decoded.text,
        clean,
        artefacts: normalized.artefacts,
        nodes,
        sentences,
    })
}

fn trim(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let t = s.trim_start_matches(char::is_whitespace);
    let start = r.start + (s.len() - t.len());
    start..start + t.trim_end_matches(char::is_whitespace).len()
}

#[derive(Debug)]
struct Draft {
    kind: NodeKind,
    parent: Option<usize>,
    children: Vec<usize>,
    label: Option<Label>,
    path: String,
    heading: Option<u32>,
    body: Option<Range<u32>>,
    /// Sentence count when the node opened: where an empty body range points.
    body_at: u32,
    /// Clean byte range of the node's own lines and, after `finish`, its children's.
    start: usize,
    end: usize,
    /// Child path components already used, for `~N` de-duplication.
    used: HashMap<String, u32>,
    /// Children per unnumbered key, for their ordinals.
    counts: HashMap<Key, u32>,
    tables: u32,
}

#[derive(Debug)]
struct DraftSentence {
    node: usize,
    role: SentenceRole,
    clean: Range<usize>,
}

struct Table {
    node: usize,
    /// Sentence index of the row being filled.
    row: u32,
    row_is_header: bool,
}

struct Parser<'a> {
    text: &'a str,
    nodes: Vec<Draft>,
    sentences: Vec<DraftSentence>,
    /// Open labelled nodes, outermost first. The root is implicit below them.
    stack: Vec<(Key, usize)>,
    preface: Option<usize>,
    table: Option<Table>,
    /// A label alone on its line, waiting for its heading on the next line.
    awaiting: Option<usize>,
    /// A caption line (「（目的）」) held back one line: it heads the article that follows it, or
    /// is ordinary text if no article does.
    caption: Option<Range<usize>>,
}

const ROOT: usize = 0;

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        let root = Draft {
            kind: NodeKind::Root,
            parent: None,
            children: Vec::new(),
            label: None,
            path: String::new(),
            heading: None,
            body: None,
            body_at: 0,
            start: 0,
            end: text.len(),
            used: HashMap::new(),
            counts: HashMap::new(),
            tables: 0,
        };
        Self {
            text,
            nodes: vec![root],
            sentences: Vec::new(),
            stack: Vec::new(),
            preface: None,
            table: None,
            awaiting: None,
            caption: None,
        }
    }

    fn line(&mut self, r: Range<usize>) {
        let text = self.text;
        let s = &text[r.clone()];
        let marker = label::parse(s).filter(|m| !self.is_title(s, m));

        if let Some(caption) = self.caption.take() {
            if let Some(m) = marker
                .as_ref()
                .filter(|m| m.key == Key::Numbered(Scheme::Article, Style::Plain))
            {
                // The article starts a new unit whatever was open: its caption cannot be a
                // table row or the heading of a label alone on the line before.
                self.table = None;
                self.awaiting = None;
                self.labelled(r, m.clone(), Some(caption));
                return;
            }
            self.dispatch(caption, None);
        }
        if marker.is_none() && label::caption(s).is_some() {
            self.caption = Some(r);
            return;
        }
        self.dispatch(r, marker);
    }

    /// A 例規 title (「○○○町情報セキュリティ基本方針」, 「○情報セキュリティポリシー」): a `○`
    /// glued to a short line before any label. Anywhere else `○` is a bullet.
    fn is_title(&self, s: &str, m: &Marker) -> bool {
        m.key == Key::Bullet('○')
            && self.stack.is_empty()
            && self.table.is_none()
            && s[m.label.end..]
                .chars()
                .next()
                .is_some_and(|c| !label::is_space(c))
            && !s.contains('。')
            && s.chars().count() <= MAX_HEADING_CHARS
    }

    fn dispatch(&mut self, r: Range<usize>, marker: Option<Marker>) {
        let text = self.text;
        let s = &text[r.clone()];
        if let Some(table) = &self.table {
            if marker.as_ref().is_none_or(Marker::is_bullet) {
                let node = table.node;
                let end = r.end;
                self.table_line(r);
                self.touch(node, end);
                return;
            }
            self.table = None;
        }
        if let Some(node) = self.awaiting.take()
            && marker.is_none()
            && s.chars().count() <= 40
            && !s.contains('。')
            && !label::is_table_header(s)
        {
            let id = self.add_sentence(node, r.clone(), SentenceRole::Heading);
            self.nodes[node].heading = Some(id);
            self.nodes[node].body_at = id + 1;
            self.touch(node, r.end);
            return;
        }
        match marker {
            Some(m) => self.labelled(r, m, None),
            None if label::is_table_header(s) => self.start_table(r),
            None => {
                let node = self.target();
                self.add_body(node, r);
            }
        }
    }

    /// The node unlabelled text belongs to: the deepest open node, or the preface.
    fn target(&mut self) -> usize {
        if let Some(&(_, id)) = self.stack.last() {
            return id;
        }
        if let Some(p) = self.preface {
            return p;
        }
        let id = self.new_node(NodeKind::Preface, ROOT, None, PREFACE_PATH.to_owned(), 0);
        self.preface = Some(id);
        id
    }

    fn new_node(
        &mut self,
        kind: NodeKind,
        parent: usize,
        label: Option<Label>,
        path: String,
        start: usize,
    ) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Draft {
            kind,
            parent: Some(parent),
            children: Vec::new(),
            label,
            path,
            heading: None,
            body: None,
            body_at: self.sentences.len() as u32,
            start,
            end: start,
            used: HashMap::new(),
            counts: HashMap::new(),
            tables: 0,
        });
        self.nodes[parent].children.push(id);
        id
    }

    fn touch(&mut self, node: usize, end: usize) {
        let n = &mut self.nodes[node];
        n.end = n.end.max(end);
    }

    /// Closes open nodes as the key demands and returns the parent for a new node with `key`.
    fn place(&mut self, key: Key) -> usize {
        match key {
            Key::Markdown(level) => {
                while let Some(&(Key::Markdown(open), _)) = self.stack.last() {
                    if open < level {
                        break;
                    }
                    self.stack.pop();
                }
            }
            // 附則 and 別表 follow a 例規's articles, never inside one.
            Key::Numbered(Scheme::SupplementaryProvisions | Scheme::Appendix, _) => {
                self.stack.clear();
            }
            // A 別表 holds no articles: an article after it is back in the main text.
            Key::Numbered(Scheme::Article | Scheme::Chapter | Scheme::Part, _)
                if let Some(pos) = self
                    .stack
                    .iter()
                    .position(|(k, _)| matches!(k, Key::Numbered(Scheme::Appendix, _))) =>
            {
                self.stack.truncate(pos);
                if let Some(pos) = self.stack.iter().rposition(|(k, _)| *k == key) {
                    self.stack.truncate(pos);
                }
            }
            // A 項 belongs to the innermost open article, whatever 号 are open inside it.
            Key::Numbered(Scheme::Paragraph, _)
                if let Some(pos) = self
                    .stack
                    .iter()
                    .rposition(|(k, _)| matches!(k, Key::Numbered(Scheme::Article, _))) =>
            {
                self.stack.truncate(pos + 1);
            }
            _ => {
                if let Some(pos) = self.stack.iter().rposition(|(k, _)| *k == key) {
                    self.stack.truncate(pos);
                }
            }
        }
        self.stack.last().map_or(ROOT, |&(_, id)| id)
    }

    fn unique_path(&mut self, parent: usize, component: String) -> String {
        let p = &mut self.nodes[parent];
        let seen = p.used.entry(component.clone()).or_insert(0);
        *seen += 1;
        let component = if *seen > 1 {
            format!("{component}~{seen}")
        } else {
            component
        };
        if p.path.is_empty() {
            component
        } else {
            format!("{}/{component}", p.path)
        }
    }

    /// Opens the node for a labelled line; `caption` is the line of its 例規 見出し, if any.
    fn labelled(&mut self, r: Range<usize>, mut m: Marker, caption: Option<Range<usize>>) {
        let text = self.text;
        let s = &text[r.clone()];
        if self.is_paragraph_number(s, &m) {
            m.key = Key::Numbered(Scheme::Paragraph, Style::Plain);
        }
        let parent = self.place(m.key);
        let ordinal = if m.ordinal == 0 {
            let c = self.nodes[parent].counts.entry(m.key).or_insert(0);
            *c += 1;
            *c
        } else {
            m.ordinal
        };
        let written = s.get(m.label.clone()).unwrap_or("").to_owned();
        let component = match m.key {
            Key::Markdown(_) => format!("#{ordinal}"),
            Key::Bullet(_) => format!("・{ordinal}"),
            Key::Numbered(..) => label::path_component(&written),
        };
        let path = self.unique_path(parent, component);
        let label = Label {
            scheme: m.scheme(),
            ordinal,
            text: written,
        };
        let start = caption.as_ref().map_or(r.start, |c| c.start);
        let id = self.new_node(NodeKind::Section, parent, Some(label), path, start);
        self.stack.push((m.key, id));
        self.touch(id, r.end);

        let mut rest = trim(text, (r.start + m.text_start).min(r.end)..r.end);
        let caption = match caption {
            Some(c) => label::caption(&text[c.clone()])
                .map(|inner| trim(text, c.start + inner.start..c.start + inner.end)),
            None if m.key == Key::Numbered(Scheme::Article, Style::Plain) => {
                label::inline_caption(&text[rest.clone()]).map(|(inner, after)| {
                    let inner = trim(text, rest.start + inner.start..rest.start + inner.end);
                    rest = (rest.start + after).min(rest.end)..rest.end;
                    inner
                })
            }
            None => None,
        };
        let rest_text = &text[rest.clone()];
        if let Some(c) = caption {
            // The caption is the heading, so everything on the label's line is body, even
            // 「第３条　削除」.
            let h = self.add_sentence(id, c, SentenceRole::Heading);
            self.nodes[id].heading = Some(h);
            self.nodes[id].body_at = h + 1;
            if !rest.is_empty() {
                self.add_body(id, rest);
            }
        } else if rest.is_empty() {
            self.awaiting = Some(id);
        } else if rest_text.chars().count() <= MAX_HEADING_CHARS && !rest_text.contains('。') {
            let h = self.add_sentence(id, rest, SentenceRole::Heading);
            self.nodes[id].heading = Some(h);
            self.nodes[id].body_at = h + 1;
        } else {
            self.add_body(id, rest);
        }
    }

    /// A bare number and a space inside an article (「２　前項の規定にかかわらず」) is the article's
    /// 項, not a list item: 例規 number paragraphs from the second on, the first being the
    /// article's own text.
    fn is_paragraph_number(&self, s: &str, m: &Marker) -> bool {
        m.key == Key::Numbered(Scheme::Arabic, Style::Plain)
            && m.text_start > m.label.end
            && s.get(m.label.clone()).is_some_and(|l| {
                l.chars()
                    .all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
            })
            && self
                .stack
                .iter()
                .any(|(k, _)| matches!(k, Key::Numbered(Scheme::Article, _)))
    }

    fn add_sentence(&mut self, node: usize, clean: Range<usize>, role: SentenceRole) -> u32 {
        let id = self.sentences.len() as u32;
        self.sentences.push(DraftSentence { node, role, clean });
        if role == SentenceRole::Body {
            let n = &mut self.nodes[node];
            match &mut n.body {
                Some(b) => b.end = id + 1,
                None => n.body = Some(id..id + 1),
            }
        }
        id
    }

    fn add_body(&mut self, node: usize, r: Range<usize>) {
        for s in split_sentences(self.text, r.clone()) {
            self.add_sentence(node, s, SentenceRole::Body);
        }
        self.touch(node, r.end);
    }

    fn start_table(&mut self, r: Range<usize>) {
        let parent = self.target();
        self.nodes[parent].tables += 1;
        let component = format!("表{}", self.nodes[parent].tables);
        let path = self.unique_path(parent, component);
        let node = self.new_node(NodeKind::Table, parent, None, path, r.start);
        let row = self.add_sentence(node, r.clone(), SentenceRole::Body);
        self.touch(node, r.end);
        self.touch(parent, r.end);
        self.table = Some(Table {
            node,
            row,
            row_is_header: true,
        });
    }

    fn table_line(&mut self, r: Range<usize>) {
        let Some(table) = self.table.as_mut() else {
            return;
        };
        let (node, row, header) = (table.node, table.row, table.row_is_header);
        if header || starts_row(&self.text[r.clone()]) {
            let id = self.add_sentence(node, r, SentenceRole::Body);
            if let Some(t) = self.table.as_mut() {
                t.row = id;
                t.row_is_header = false;
            }
        } else if let Some(s) = self.sentences.get_mut(row as usize) {
            s.clean.end = r.end;
        }
    }

    fn finish(mut self) -> (Vec<Draft>, Vec<DraftSentence>) {
        if let Some(caption) = self.caption.take() {
            self.dispatch(caption, None);
        }
        for n in &mut self.nodes {
            // A heading with nothing under it is a list item's text.
            if n.kind == NodeKind::Section
                && n.body.is_none()
                && n.children.is_empty()
                && let Some(h) = n.heading.take()
            {
                n.body = Some(h..h + 1);
                if let Some(s) = self.sentences.get_mut(h as usize) {
                    s.role = SentenceRole::Body;
                }
            }
        }
        // Children always have larger ids than their parents: one reverse pass spreads ends up.
        for i in (1..self.nodes.len()).rev() {
            let (end, parent) = (self.nodes[i].end, self.nodes[i].parent);
            if let Some(p) = parent
                && p != ROOT
            {
                self.touch(p, end);
            }
        }
        (self.nodes, self.sentences)
    }
}

/// A table line that starts a new row: a short first cell, a space, then more (「機密性３ 行政…」).
fn starts_row(s: &str) -> bool {
    let Some(pos) = s.find(label::is_space) else {
        return false;
    };
    let first = &s[..pos];
    let rest = s[pos..].trim_start_matches(label::is_space);
    (1..=10).contains(&first.chars().count()) && !rest.is_empty() && !first.starts_with('・')
}

fn is_open(c: char) -> bool {
    matches!(
        c,
        '（' | '(' | '「' | '『' | '【' | '［' | '〔' | '｛' | '〈' | '《'
    )
}

fn is_close(c: char) -> bool {
    matches!(
        c,
        '）' | ')' | '」' | '』' | '】' | '］' | '〕' | '｝' | '〉' | '》'
    )
}

/// Brackets left open longer than this (bytes) are taken as unbalanced, so one stray 「（」 does
/// not glue the rest of a paragraph into one sentence.
const MAX_BRACKET_SPAN: usize = 300;

/// Splits `r` of `text` into sentences at 。！？ (and ． not inside a number), never inside
/// brackets or quotes. Ranges are trimmed and never empty.
pub(crate) fn split_sentences(text: &str, r: Range<usize>) -> Vec<Range<usize>> {
    let s = &text[r.clone()];
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0u32;
    let mut opened_at = 0;
    let mut prev: Option<char> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if is_open(c) {
            if depth == 0 {
                opened_at = i;
            }
            depth = depth.saturating_add(1);
        } else if is_close(c) {
            depth = depth.saturating_sub(1);
        } else if matches!(c, '。' | '！' | '？')
            || (c == '．'
                && !prev.is_some_and(|p| p.is_ascii_alphanumeric() || ('０'..='９').contains(&p))
                && !next.is_some_and(|n| n.is_ascii_digit() || ('０'..='９').contains(&n)))
        {
            if depth > 0 && i - opened_at > MAX_BRACKET_SPAN {
                depth = 0;
            }
            if depth == 0 {
                let end = i + c.len_utf8();
                out.push(start..end);
                start = end;
            }
        }
        prev = Some(c);
    }
    if start < s.len() {
        out.push(start..s.len());
    }
    out.into_iter()
        .map(|x| trim(text, r.start + x.start..r.start + x.end))
        .filter(|x| !x.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<&str> {
        split_sentences(s, 0..s.len())
            .into_iter()
            .map(|r| &s[r])
            .collect()
    }

    #[test]
    fn sentences_split_at_maru_but_not_inside_brackets() {
        assert_eq!(
            split("職員等（以下「職員」という。）は守る。また、確認する。"),
            ["職員等（以下「職員」という。）は守る。", "また、確認する。"]
        );
    }

    #[test]
    fn an_unclosed_bracket_does_not_swallow_the_paragraph() {
        let long = "あ".repeat(200);
        let s = format!("（{long}。次の文。");
        assert_eq!(split(&s).len(), 2);
    }

    #[test]
    fn decimal_points_do_not_split() {
        assert_eq!(split("１．５倍とする．次"), ["１．５倍とする．", "次"]);
    }
}
