//! Which layers of the model a document contains: 基本方針, 対策基準, or both.
//!
//! Headings decide first: a section whose heading *is* a layer's name (「第１章 情報セキュリティ
//! 基本方針」, 「情報セキュリティ対策基準」) holds that layer. A heading that merely mentions it
//! (「情報セキュリティ対策基準の策定」) does not. Without such a heading, content decides: a
//! 対策基準 is a long list of concrete duties, so a document with many mandatory sentences
//! (〜しなければならない) holds one; anything else is read as a 基本方針.

use std::ops::Range;

use serde::Serialize;

use crate::document::{Document, NodeKind, SentenceRole};
use crate::fold::Scratch;
use crate::text::SparseBuilder;

/// Mandatory sentences from which a document without layer headings is read as a 対策基準.
const TAISAKU_MIN_MANDATORY: usize = 40;

/// How a layer's presence was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeBasis {
    /// A section heading names the layer.
    Heading,
    /// The document's content (sentence forms) suggests it.
    Content,
    /// Nothing suggests the layer.
    Absent,
}

/// One layer's place in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerScope {
    pub present: bool,
    pub basis: ScopeBasis,
    /// Numbering path of the section holding the layer, when a heading names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Sentence ranges of the layer (empty when absent).
    #[serde(skip)]
    pub sentences: Vec<Range<u32>>,
}

/// The layers a document contains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub kihon: LayerScope,
    pub taisaku: LayerScope,
}

/// How many body sentences state a duty (their folded text says 〜なければならない), counted up to
/// `enough`. The sentences are folded one after the other into one buffer, as the tokens stage
/// folds them.
fn mandatory_sentences(doc: &Document, enough: usize) -> usize {
    let folder = crate::fold::folder();
    let mut folded = SparseBuilder::new(&doc.clean);
    let mut scratch = Scratch::default();
    let mut slots = Vec::new();
    let mut n = 0;
    for s in doc
        .sentences
        .iter()
        .filter(|s| s.role == SentenceRole::Body)
    {
        let start = folded.as_str().len();
        folder.fold_with(&mut folded, s.clean.clone(), &mut slots, &mut scratch);
        if folded.as_str()[start..].contains("なければならない") {
            n += 1;
            if n >= enough {
                break;
            }
        }
    }
    n
}

fn heading_is(text: &str, name: &str) -> bool {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '「' | '」' | '『' | '』'))
        .collect();
    t.ends_with(name)
}

/// Detects the layers of `doc` from its structure and its folded text ([`crate::fold`]), before
/// any tokenisation. The one detection: uploads record its answer with the version and the
/// analysis scopes its findings with it, so the two cannot disagree.
pub fn detect_scope(doc: &Document) -> Scope {
    let (depth, _, subtree) = super::align::tree_shape(doc);
    let all = 0..doc.sentences.len() as u32;
    let find = |name: &str| {
        doc.nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Section && depth[n.id.0 as usize] <= 2)
            .find(|n| doc.heading_text(n.id).is_some_and(|h| heading_is(h, name)))
    };
    let kihon_node = find("基本方針");
    let taisaku_node = find("対策基準");
    let section = |n: &crate::document::Node| LayerScope {
        present: true,
        basis: ScopeBasis::Heading,
        path: Some(n.path.clone()),
        sentences: vec![subtree[n.id.0 as usize].clone()],
    };
    let absent = || LayerScope {
        present: false,
        basis: ScopeBasis::Absent,
        path: None,
        sentences: Vec::new(),
    };
    let taisaku = match taisaku_node {
        Some(n) => section(n),
        None => {
            if mandatory_sentences(doc, TAISAKU_MIN_MANDATORY) >= TAISAKU_MIN_MANDATORY {
                LayerScope {
                    present: true,
                    basis: ScopeBasis::Content,
                    path: None,
                    sentences: vec![all.clone()],
                }
            } else {
                absent()
            }
        }
    };
    let kihon = match kihon_node {
        Some(n) => {
            let mut k = section(n);
            // Text before the 基本方針 chapter (a 序) belongs to the policy as a whole.
            if let (Some(r), Some(t)) = (k.sentences.first().cloned(), taisaku.sentences.first())
                && t.start >= r.end
            {
                k.sentences = std::iter::once(0..r.end).collect();
            }
            k
        }
        None => match &taisaku.basis {
            ScopeBasis::Heading => {
                // Everything outside the 対策基準 section, if it says anything.
                let t = taisaku.sentences[0].clone();
                let outside = doc
                    .sentences
                    .iter()
                    .enumerate()
                    .filter(|(i, s)| s.role == SentenceRole::Body && !t.contains(&(*i as u32)))
                    .count();
                if outside >= 5 {
                    LayerScope {
                        present: true,
                        basis: ScopeBasis::Content,
                        path: None,
                        sentences: vec![0..t.start, t.end..all.end],
                    }
                } else {
                    absent()
                }
            }
            ScopeBasis::Content => absent(),
            ScopeBasis::Absent => LayerScope {
                present: true,
                basis: ScopeBasis::Content,
                path: None,
                sentences: vec![all.clone()],
            },
        },
    };
    Scope { kihon, taisaku }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    fn duties(n: usize, duty: &str) -> Document {
        let text: String = (1..=n)
            .map(|i| format!("{i} 職員は第{i}の規程を守ら{duty}。\n"))
            .collect();
        crate::read(text.as_bytes(), Some("policy.txt"), &Limits::default()).expect("read")
    }

    #[test]
    fn many_duties_without_layer_headings_are_a_taisaku_by_content() {
        let scope = detect_scope(&duties(TAISAKU_MIN_MANDATORY, "なければならない"));
        assert!(scope.taisaku.present);
        assert_eq!(scope.taisaku.basis, ScopeBasis::Content);
        let scope = detect_scope(&duties(TAISAKU_MIN_MANDATORY - 1, "なければならない"));
        assert!(!scope.taisaku.present);
        assert!(scope.kihon.present);
    }

    #[test]
    fn duties_are_counted_on_the_folded_text() {
        // Spacing never carries meaning: folded, 「なければ　ならない」 is a duty like any other
        // (the clean text keeps the space).
        let doc = duties(TAISAKU_MIN_MANDATORY, "なければ　ならない");
        assert!((0..doc.sentences.len()).all(|i| {
            !doc.sentence_text(crate::document::SentenceId(i as u32))
                .contains("なければならない")
        }));
        let scope = detect_scope(&doc);
        assert!(scope.taisaku.present);
        assert_eq!(scope.taisaku.basis, ScopeBasis::Content);
    }
}
