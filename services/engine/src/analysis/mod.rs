//! Gap analysis: which items of the national model a policy covers, weakens or omits.
//!
//! ```text
//! PreparedModel::new(&catalog, &tokenizer)        // once per (catalog, tokenizer)
//! analyze(&doc, &tokens, &model, &limits)         // per document, pure
//!   → Analysis { scope, findings (one per item), local_additions }
//! ```
//!
//! 1. **Scope** ([`scope`]): the document holds a 基本方針, a 対策基準 or both; items of a layer
//!    it lacks are `out_of_scope`, never `omitted`.
//! 2. **Alignment** ([`align`]): each item is scored against every unit (a node's own text, or a
//!    node with its descendants) that holds one of its key elements, by element coverage,
//!    idf-weighted key overlap and a weak heading prior. Numbering is never used, so renumbered,
//!    reordered and re-grouped policies align the same. Many-to-many: two items may take the
//!    same clause. Threat items (kind `threat`) under an aligned threat section are read by
//!    their elements across that whole section, whatever its own taxonomy.
//! 3. **Findings** ([`findings`]): missing required elements, modality below the model's,
//!    hedges the model does not have, dropped frequencies, weaker numbers.
//! 4. **Evidence** ([`evidence`]): model text, clause text with location, morpheme diff.
//!
//! `scope_narrowed` (「全ての」 dropped, the model's 職員等 narrowed to 職員) and `actor_changed`
//! (the model's subject role replaced by another) are read from the clause's words only.

pub mod align;
pub mod evidence;
pub mod findings;
mod intern;
mod patience;
pub mod prepare;
pub mod scope;
mod select;

use std::ops::Range;

use serde::Serialize;
use taisho_guideline::{Layer, Status};

pub use evidence::DiffOp;
pub use findings::{Reason, ReasonKind};
pub use prepare::PreparedModel;
pub use scope::{LayerScope, Scope, ScopeBasis, detect_scope};

use crate::document::{Document, SentenceRole};
use crate::error::{EngineError, Stage};
use crate::limits::Limits;
use crate::tokenize::Tokens;
use align::{Candidate, DocIndex};

/// Version of the analysis JSON (documented in the root README, "Analysis JSON, version 1").
pub const FORMAT_VERSION: u32 = 1;

/// Body sentences with fewer content tokens are not reported as local additions.
const ADDITION_MIN_TOKENS: usize = 4;
/// Clauses per finding shown in evidence.
const MAX_CLAUSES: usize = 4;

/// What the analysis concluded for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// Present with equal or stronger obligation and every required element.
    Covered,
    /// Present but softened; `reasons` say how.
    Weakened,
    /// Nothing in the document answers the item.
    Omitted,
    /// The document does not contain the item's layer (or the model's content is unknown).
    OutOfScope,
}

impl FindingStatus {
    pub const ALL: [FindingStatus; 4] = [
        FindingStatus::Covered,
        FindingStatus::Weakened,
        FindingStatus::Omitted,
        FindingStatus::OutOfScope,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Covered => "covered",
            FindingStatus::Weakened => "weakened",
            FindingStatus::Omitted => "omitted",
            FindingStatus::OutOfScope => "out_of_scope",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            FindingStatus::Covered => "充足",
            FindingStatus::Weakened => "弱化",
            FindingStatus::Omitted => "欠落",
            FindingStatus::OutOfScope => "対象外",
        }
    }
}

/// A sentence of the policy with its location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clause {
    pub sentence: u32,
    /// Numbering path of the sentence's node (`第２章/４/(４)/②/イ`); empty at the root.
    pub path: String,
    /// 1-based line in the original.
    pub line: u32,
    /// Byte range in the original.
    pub byte: Range<usize>,
    /// Char range in the original.
    pub char: Range<usize>,
    /// The sentence as shown (clean text).
    pub text: String,
}

/// Where an item was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// Numbering path of the unit's node.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// True when the unit is the node with its descendants.
    pub subtree: bool,
    pub score: f32,
    /// Share of the item's required elements found in the unit.
    pub coverage: f32,
    /// The sentences that carry the item.
    pub clauses: Vec<Clause>,
}

/// Model text, policy text and their morpheme diff, with a plain reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub model: String,
    /// The matched clauses, joined (empty when omitted).
    pub policy: String,
    /// Location of the first clause (`path`, line): `第１章/７/(３) L179`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<DiffOp>,
    /// One plain Japanese sentence saying why.
    pub reason: String,
}

/// The finding for one model item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub item: String,
    pub layer: Layer,
    /// Numbering of the item in the model.
    pub model_path: String,
    pub title: String,
    pub status: FindingStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<Match>,
    pub evidence: Evidence,
}

impl Finding {
    pub fn reason_kinds(&self) -> Vec<ReasonKind> {
        let mut k: Vec<ReasonKind> = self.reasons.iter().map(|r| r.kind).collect();
        k.sort();
        k.dedup();
        k
    }
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub covered: usize,
    pub weakened: usize,
    pub omitted: usize,
    pub out_of_scope: usize,
    pub local_additions: usize,
}

/// The gap analysis of one document against one edition of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub format_version: u32,
    /// Edition of the model (`R5.3`).
    pub edition: String,
    pub tokenizer: String,
    pub scope: Scope,
    pub summary: Summary,
    /// One finding per model item, in model order.
    pub findings: Vec<Finding>,
    /// Body sentences that answer no item.
    pub local_additions: Vec<Clause>,
}

impl Analysis {
    pub fn finding(&self, item: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.item == item)
    }
}

/// Locations and texts of sentences.
struct Locator<'a> {
    doc: &'a Document,
    toks: &'a Tokens,
    newlines: Vec<usize>,
}

impl<'a> Locator<'a> {
    fn new(doc: &'a Document, toks: &'a Tokens) -> Self {
        let newlines = doc
            .original
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Self {
            doc,
            toks,
            newlines,
        }
    }

    fn clause(&self, s: u32) -> Clause {
        let sent = &self.doc.sentences[s as usize];
        let ts = self.toks.of(sent.id);
        let char = match (ts.first(), ts.last()) {
            (Some(a), Some(b)) => a.char.start as usize..b.char.end as usize,
            _ => 0..0,
        };
        Clause {
            sentence: s,
            path: self.doc.node(sent.node).path.clone(),
            line: self.newlines.partition_point(|&n| n < sent.range.start) as u32 + 1,
            byte: sent.range.clone(),
            char,
            text: self.doc.sentence_text(sent.id).to_owned(),
        }
    }

    /// Appends the diff ids and display surfaces of sentence `s`'s tokens.
    fn diff_tokens(
        &self,
        s: u32,
        ix: &DocIndex<'_>,
        out_ids: &mut Vec<u32>,
        out_surfaces: &mut Vec<&'a str>,
    ) {
        let toks: &'a Tokens = self.toks;
        let doc: &'a Document = self.doc;
        let first = toks
            .by_sentence
            .get(s as usize)
            .map_or(0, |r| r.start as usize);
        for (j, t) in toks.of(crate::document::SentenceId(s)).iter().enumerate() {
            out_ids.push(ix.diff_ids.get(first + j).copied().unwrap_or(u32::MAX));
            out_surfaces.push(t.surface(doc));
        }
    }
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// Analyses `doc` (tokenised with the model's tokenizer) against `model`.
pub fn analyze(
    doc: &Document,
    toks: &Tokens,
    model: &PreparedModel,
    limits: &Limits,
) -> Result<Analysis, EngineError> {
    let deadline = limits.start();
    // Alignment and findings, then the evidence diffs: one span per stage, counts only.
    let align_span = tracing::info_span!(
        "engine.align",
        sentences = doc.sentences.len(),
        tokens = toks.tokens.len(),
        items = model.items.len(),
        findings = tracing::field::Empty
    );
    let align_entered = align_span.enter();
    let ix = DocIndex::build(doc, toks, model);
    deadline.check(Stage::Align)?;
    let scope = scope::detect_scope(doc);
    let loc = Locator::new(doc, toks);
    let mut scratch = align::Scratch::new(doc.nodes.len());
    let mut aligned: Vec<Option<u32>> = vec![None; model.items.len()];
    let mut used = vec![false; doc.sentences.len()];
    let mut policy_ids: Vec<u32> = Vec::new();
    let mut policy_surfaces: Vec<&str> = Vec::new();
    // (finding, item, policy key ids, policy surfaces): diffed after the alignment.
    let mut pending_diffs: Vec<(usize, usize, Vec<u32>, Vec<&str>)> = Vec::new();
    let mut findings = Vec::with_capacity(model.items.len());

    let cx = select::Ctx {
        doc,
        ix: &ix,
        model,
        scope: &scope,
    };
    // Pass 1: every item's best unit on its own; pass 2 (below) settles units two items want.
    let mut pass1: Vec<Option<(Candidate, Vec<u32>)>> = vec![None; model.items.len()];
    let mut pass1_aligned: Vec<Option<u32>> = vec![None; model.items.len()];
    for i in 0..model.items.len() {
        if i % 16 == 0 {
            deadline.check(Stage::Align)?;
        }
        let layer = model.item(i).layer;
        let present = match layer {
            Layer::Kihon => scope.kihon.present,
            Layer::Taisaku => scope.taisaku.present,
        };
        if !present {
            continue;
        }
        pass1[i] = select::choose(&cx, i, &pass1_aligned, &mut scratch, None)
            .filter(|(c, _)| c.coverage > 0.0);
        pass1_aligned[i] = pass1[i].as_ref().map(|(c, _)| c.node);
    }
    let owners = select::Owners::new(&ix, model, &pass1);
    // The document's own 「職員」 includes part-time staff when it names them and defines no
    // narrower 「職員等」 (then a bare 「職員」 is no narrowing of the model's 職員等).
    let staff_broad = ix.folded.iter().any(|s| {
        ["非常勤", "会計年度任用", "臨時"]
            .iter()
            .any(|w| s.contains(w))
    }) && !ix
        .folded
        .iter()
        .any(|s| s.contains("職員等") && s.contains("という"));

    for i in 0..model.items.len() {
        if i % 16 == 0 {
            deadline.check(Stage::Align)?;
        }
        let it = &model.items[i];
        let item = model.item(i);
        let layer_scope = match item.layer {
            Layer::Kihon => &scope.kihon,
            Layer::Taisaku => &scope.taisaku,
        };
        let base = |status, reason: String| Finding {
            item: item.id.clone(),
            layer: item.layer,
            model_path: item.path.clone(),
            title: item.title.clone(),
            status,
            reasons: Vec::new(),
            matches: Vec::new(),
            evidence: Evidence {
                model: item.text.clone(),
                policy: String::new(),
                location: None,
                diff: Vec::new(),
                reason,
            },
        };
        if !layer_scope.present {
            findings.push(base(
                FindingStatus::OutOfScope,
                format!(
                    "文書に{}が含まれないため、この項目は対象外である。",
                    item.layer.name_ja()
                ),
            ));
            continue;
        }
        // Pass 2: the pass-1 choice stands unless its parent moved or another item owns it.
        let parent_moved = it.parent.is_some_and(|p| aligned[p] != pass1_aligned[p]);
        let chosen = match &pass1[i] {
            Some((c, s)) if !parent_moved && !owners.taken(&ix, model, i, c.score, s) => {
                Some((c.clone(), s.clone()))
            }
            None if !parent_moved => None,
            _ => select::choose(&cx, i, &aligned, &mut scratch, Some(&owners)),
        };
        let Some((cand, mut sentences)) = chosen.filter(|(c, _)| c.coverage > 0.0) else {
            if item.status == Status::Normative {
                findings.push(base(
                    FindingStatus::Omitted,
                    "この項目に対応する記述が見当たらない。".to_owned(),
                ));
            } else {
                findings.push(base(
                    FindingStatus::OutOfScope,
                    "モデル側の内容が確定していない項目のため、欠落とはしない。".to_owned(),
                ));
            }
            continue;
        };
        aligned[i] = Some(cand.node);
        // A sub-item read over its parent's whole section may gather another item's stated
        // answer for one shared word (6(3)③'s 監視 for 6(7)): such a sentence is not this
        // item's, and its words do not count. In any narrower unit, two items may well share
        // a sentence.
        let in_parent_unit =
            cand.subtree && it.parent.is_some_and(|p| aligned[p] == Some(cand.node));
        if in_parent_unit && sentences.len() > 1 {
            let borrowed = owners.borrowed(&ix, model, i, cand.score, &sentences);
            if borrowed.len() < sentences.len() {
                sentences.retain(|s| !borrowed.contains(s));
            }
        }
        for &s in &sentences {
            used[s as usize] = true;
        }
        if !cand.subtree {
            for s in doc.body(crate::document::NodeId(cand.node)) {
                used[s.0 as usize] = true;
            }
        }
        let present = align::present_in(&ix, model, i, &sentences);
        let missing: Vec<String> = item
            .elements
            .iter()
            .enumerate()
            .filter(|(b, _)| it.required & (1 << b) != 0 && present & (1 << b) == 0)
            .map(|(_, e)| e.term.clone())
            .collect();
        // Scope and actor are read only where the clause states the item fully otherwise: on
        // a partial match the other words are another duty's.
        let full_match = missing.iter().all(|m| findings::is_actor(m));
        let mut reasons = Vec::new();
        if !missing.is_empty() {
            reasons.push(Reason {
                kind: ReasonKind::ElementMissing,
                message: format!("モデルの要素「{}」が見当たらない。", missing.join("」「")),
                terms: missing,
            });
        }
        // Modality and hedges are read where the item is said most fully, not in every
        // sentence that shares a word with it.
        let counts: Vec<u32> = sentences
            .iter()
            .map(|&s| align::present_in(&ix, model, i, &[s]).count_ones())
            .collect();
        let top = counts.iter().copied().max().unwrap_or(0);
        let clause_folded: Vec<&str> = sentences
            .iter()
            .zip(&counts)
            .filter(|(_, c)| **c * 3 >= top * 2 && **c > 0)
            .map(|(&s, _)| &*ix.folded[s as usize])
            .collect();
        reasons.extend(findings::weakening(item, &it.folded_text, &clause_folded));
        if full_match {
            reasons.extend(findings::narrowing(
                &it.folded_text,
                &clause_folded,
                staff_broad,
            ));
        }
        let status = if reasons.is_empty() {
            FindingStatus::Covered
        } else {
            FindingStatus::Weakened
        };
        sentences.truncate(MAX_CLAUSES);
        let clauses: Vec<Clause> = sentences.iter().map(|&s| loc.clause(s)).collect();
        policy_ids.clear();
        policy_surfaces.clear();
        for &s in &sentences {
            loc.diff_tokens(s, &ix, &mut policy_ids, &mut policy_surfaces);
        }
        pending_diffs.push((
            findings.len(),
            i,
            policy_ids.clone(),
            policy_surfaces.clone(),
        ));
        let node = doc.node(crate::document::NodeId(cand.node));
        let reason = if reasons.is_empty() {
            "モデルの要素がそろい、義務の強さも同等以上である。".to_owned()
        } else {
            reasons
                .iter()
                .map(|r| r.message.as_str())
                .collect::<Vec<_>>()
                .join("")
        };
        let evidence = Evidence {
            model: item.text.clone(),
            policy: clauses.iter().map(|c| c.text.as_str()).collect(),
            location: clauses.first().map(|c| {
                if c.path.is_empty() {
                    format!("L{}", c.line)
                } else {
                    format!("{} L{}", c.path, c.line)
                }
            }),
            diff: Vec::new(),
            reason,
        };
        findings.push(Finding {
            item: item.id.clone(),
            layer: item.layer,
            model_path: item.path.clone(),
            title: item.title.clone(),
            status,
            reasons,
            matches: vec![Match {
                path: node.path.clone(),
                heading: doc.heading_text(node.id).map(str::to_owned),
                subtree: cand.subtree,
                score: round3(cand.score),
                coverage: round3(cand.coverage),
                clauses,
            }],
            evidence,
        });
    }
    deadline.check(Stage::Findings)?;

    let in_scope = |s: usize| {
        let s = s as u32;
        [&scope.kihon, &scope.taisaku]
            .iter()
            .any(|l| l.present && l.sentences.iter().any(|r| r.contains(&s)))
    };
    let local_additions: Vec<Clause> = doc
        .sentences
        .iter()
        .enumerate()
        .filter(|(i, s)| s.role == SentenceRole::Body && !used[*i] && in_scope(*i))
        .filter(|(_, s)| {
            toks.of(s.id)
                .iter()
                .filter(|t| prepare::content_key(t, toks).is_some())
                .count()
                >= ADDITION_MIN_TOKENS
        })
        .map(|(i, _)| loc.clause(i as u32))
        .collect();

    let mut summary = Summary {
        local_additions: local_additions.len(),
        ..Summary::default()
    };
    for f in &findings {
        match f.status {
            FindingStatus::Covered => summary.covered += 1,
            FindingStatus::Weakened => summary.weakened += 1,
            FindingStatus::Omitted => summary.omitted += 1,
            FindingStatus::OutOfScope => summary.out_of_scope += 1,
        }
    }
    align_span.record("findings", findings.len());
    drop(align_entered);
    drop(align_span);

    let diff_span = tracing::info_span!("engine.diff", diffs = pending_diffs.len());
    let _diff_entered = diff_span.enter();
    for (f, i, ids, surfaces) in &pending_diffs {
        let it = &model.items[*i];
        let model_surfaces: Vec<&str> = it.tokens.iter().map(|t| t.0.as_str()).collect();
        findings[*f].evidence.diff =
            evidence::token_diff(&it.token_ids, &model_surfaces, ids, surfaces);
    }
    Ok(Analysis {
        format_version: FORMAT_VERSION,
        edition: model.catalog.edition.to_string(),
        tokenizer: model.tokenizer.clone(),
        scope,
        summary,
        findings,
        local_additions,
    })
}
