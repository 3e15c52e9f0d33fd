//! The structured document every later stage works on.
//!
//! Nodes and sentences live in flat vectors addressed by index, so alignment and diffing can walk
//! them without recursion; [`Document::tree`] gives the nested view for output.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::text::MappedText;

/// How the input bytes were decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// Shift_JIS, decoded as its superset CP932 (Windows-31J).
    ShiftJis,
    EucJp,
}

/// The markup the text arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Text,
    Markdown,
    Html,
}

/// What was detected about the input before any text processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMeta {
    pub encoding: Encoding,
    pub had_bom: bool,
    pub format: Format,
    /// Size of the input in bytes, before decoding.
    pub bytes: usize,
}

/// Why a piece of the original was left out of the clean text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtefactKind {
    PageNumber,
    TableOfContents,
    RunningHeader,
    Markup,
    BlankLine,
}

/// A removed piece of the original, kept so the user can see what was dropped and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artefact {
    pub kind: ArtefactKind,
    /// Byte range in the original text.
    pub range: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SentenceId(pub u32);

/// A numbering scheme. The hierarchy is inferred from the order schemes first appear in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// 第N章
    Chapter,
    /// 第N節
    Part,
    /// 第N条
    Article,
    /// 第N項 or a bare paragraph number inside an article
    Paragraph,
    /// 1 / １ / 1. / １．
    Arabic,
    /// (1) / （１）
    ParenArabic,
    /// ① … ⑳
    Circled,
    /// ア イ ウ …
    Katakana,
    /// (ア) / （ア）
    ParenKatakana,
    /// ⅰ ⅱ … / i ii …
    Roman,
    /// 一 二 … 十一 followed by a space: the 号 of a 例規 article
    KanjiNumeral,
    /// 附則: a 例規's supplementary provisions, after its articles
    SupplementaryProvisions,
    /// 別表 / 別表第N: a 例規's appended table
    Appendix,
    /// (ⅰ) / (i)
    ParenRoman,
    /// a Markdown heading with no numbering of its own
    MarkdownHeading,
    /// ・ - * •
    Bullet,
}

/// A numbering label as written, with its scheme and ordinal (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub scheme: Scheme,
    pub ordinal: u32,
    /// The label as written in the document (e.g. `第２章`, `(１)`, `①`).
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// The whole document.
    Root,
    /// Text before the first numbered section (title page, 序).
    Preface,
    /// A numbered or headed unit.
    Section,
    /// A table, kept as rows of sentences.
    Table,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    pub kind: NodeKind,
    pub label: Option<Label>,
    /// Numbering path from the root, labels joined by `/` (e.g. `第２章/３/(１)/①/ア`).
    pub path: String,
    pub heading: Option<SentenceId>,
    /// Body sentences of this node only (not of its children), as a range of sentence ids.
    pub body: Range<u32>,
    /// Byte range in the original covering the node and its children.
    pub range: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentenceRole {
    Heading,
    Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub id: SentenceId,
    pub node: NodeId,
    pub role: SentenceRole,
    /// Byte range in [`Document::clean`].
    pub clean: Range<usize>,
    /// Byte range in the original text.
    pub range: Range<usize>,
}

/// A decoded, normalised and structured policy document.
#[derive(Debug, Clone)]
pub struct Document {
    pub meta: SourceMeta,
    /// The decoded input, unchanged: every range points into this.
    pub original: String,
    /// Display text with artefacts removed and broken lines joined, mapped to `original`.
    pub clean: MappedText,
    pub artefacts: Vec<Artefact>,
    /// `nodes[0]` is the root.
    pub nodes: Vec<Node>,
    /// All sentences in document order (headings included).
    pub sentences: Vec<Sentence>,
}

impl Document {
    pub fn root(&self) -> &Node {
        &self.nodes[0]
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    pub fn sentence(&self, id: SentenceId) -> &Sentence {
        &self.sentences[id.0 as usize]
    }

    /// The clean (display) text of a sentence.
    pub fn sentence_text(&self, id: SentenceId) -> &str {
        let s = self.sentence(id);
        self.clean.as_str().get(s.clean.clone()).unwrap_or("")
    }

    pub fn heading_text(&self, id: NodeId) -> Option<&str> {
        self.node(id).heading.map(|h| self.sentence_text(h))
    }

    pub fn body(&self, id: NodeId) -> impl Iterator<Item = SentenceId> + '_ {
        let r = self.node(id).body.clone();
        r.map(SentenceId)
    }

    /// Nodes in document order (pre-order), root first.
    pub fn walk(&self) -> impl Iterator<Item = &Node> + '_ {
        let mut stack = vec![NodeId(0)];
        std::iter::from_fn(move || {
            let id = stack.pop()?;
            let node = self.node(id);
            stack.extend(node.children.iter().rev().copied());
            Some(node)
        })
    }

    /// Finds a node by its numbering path.
    pub fn find(&self, path: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.path == path)
    }

    /// The nested view, for JSON output and snapshots.
    pub fn tree(&self) -> TreeNode<'_> {
        self.tree_of(NodeId(0))
    }

    fn tree_of(&self, id: NodeId) -> TreeNode<'_> {
        let n = self.node(id);
        TreeNode {
            kind: n.kind,
            path: &n.path,
            label: n.label.as_ref(),
            heading: self.heading_text(id),
            body: self.body(id).map(|s| self.sentence_text(s)).collect(),
            range: n.range.clone(),
            children: n.children.iter().map(|&c| self.tree_of(c)).collect(),
        }
    }
}

/// A borrowed, nested view of a node for serialisation.
#[derive(Debug, Serialize)]
pub struct TreeNode<'a> {
    pub kind: NodeKind,
    pub path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a Label>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<&'a str>,
    pub range: Range<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TreeNode<'a>>,
}
