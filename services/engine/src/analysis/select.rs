//! Choosing the unit that answers an item, in two passes.
//!
//! Pass 1 takes, for every item in model order, the best acceptable unit ([`choose`] without
//! owners). A unit is rarely the answer to two different items, but when an item's own clause is
//! missing, the best remaining unit is very often *another* item's clause that shares a few
//! terms with it (the purpose clause names C, I and A like the 情報セキュリティ definition; a
//! 6 lead names 脅威 like the 3 lead). Pass 2 therefore treats the pass-1 choices as owners: a
//! unit whose carrying sentences are mostly held by another item that scored clearly better
//! there is not an answer, unless the two items say the same thing (the model's twins, 6(9)
//! and 7) or one is the other's parent. The item then takes its next acceptable unit, or none.

use taisho_guideline::{Kind, Layer};

use super::align::{self, Candidate, DocIndex, Region, Scratch};
use super::prepare::PreparedModel;
use super::scope::{Scope, ScopeBasis};
use crate::document::Document;

/// Below this unit score an item is omitted: a stray shared word is not an answer.
pub(crate) const OMIT_SCORE: f32 = 0.40;
/// A unit lacking every rare element of an item still answers it (weakened) when it repeats
/// half its required elements and this much of its wording: the item's own clause with the
/// distinctive word dropped, not another item's clause sharing common words.
const RARE_LESS_SCORE: f32 = 0.55;
/// An owner must beat the item's own score by this much to take a unit from it.
const OWNER_MARGIN: f32 = 0.02;

/// Share of an item's idf-weighted wording another item must repeat to be its twin.
const TWIN_WORDING: f32 = 0.5;

/// Defining forms: a clause that defines a term rather than mentioning it.
const DEFINING: [&str; 6] = ["をいう", "とは", "という", "を指す", "をさす", "を意味する"];

/// What is shared by every item's choice in one document.
pub(crate) struct Ctx<'a> {
    pub doc: &'a Document,
    pub ix: &'a DocIndex<'a>,
    pub model: &'a PreparedModel,
    pub scope: &'a Scope,
}

/// The pass-1 choice of every item: its unit score and carrying sentences.
pub(crate) struct Owners {
    /// Item → (score, sorted carrying sentences) of its pass-1 unit.
    pub choice: Vec<Option<(f32, Vec<u32>)>>,
    /// Sentence → items whose pass-1 unit carries it.
    by_sentence: Vec<Vec<u32>>,
}

impl Owners {
    pub fn new(
        ix: &DocIndex<'_>,
        model: &PreparedModel,
        choices: &[Option<(Candidate, Vec<u32>)>],
    ) -> Self {
        let mut by_sentence = vec![Vec::new(); ix.sentence_elements.len()];
        let choice = choices
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.as_ref().map(|(c, s)| {
                    let s = core_sentences(ix, model, i, s);
                    for &x in &s {
                        if let Some(v) = by_sentence.get_mut(x as usize) {
                            v.push(i as u32);
                        }
                    }
                    (c.score, s)
                })
            })
            .collect();
        Self {
            choice,
            by_sentence,
        }
    }

    /// True when most of `sentences` (a unit of item `i` scoring `score`) belong to another
    /// item that says something else and scored clearly better on them.
    pub fn taken(
        &self,
        ix: &DocIndex<'_>,
        model: &PreparedModel,
        i: usize,
        score: f32,
        sentences: &[u32],
    ) -> bool {
        let sentences = core_sentences(ix, model, i, sentences);
        if sentences.is_empty() {
            return false;
        }
        let mut rivals: Vec<u32> = sentences
            .iter()
            .filter_map(|&s| self.by_sentence.get(s as usize))
            .flatten()
            .copied()
            .filter(|&j| j as usize != i)
            .collect();
        rivals.sort_unstable();
        rivals.dedup();
        rivals.into_iter().any(|j| {
            let j = j as usize;
            let Some((sj, own)) = &self.choice[j] else {
                return false;
            };
            if *sj <= score + OWNER_MARGIN || related(model, i, j) {
                return false;
            }
            let shared = sentences
                .iter()
                .filter(|s| own.binary_search(s).is_ok())
                .count();
            shared * 2 > sentences.len()
        }) || {
            // However the rivals split them: sentences that are other items' stated answers
            // and name nothing of this item's own do not answer it (a deleted 6(7) clause is
            // not restated by 6(3)③'s 監視 plus 6(8)'s 業務委託).
            self.borrowed(ix, model, i, score, &sentences).len() * 2 > sentences.len()
        }
    }

    /// The sentences of a unit of item `i` (scoring `score`) that are another item's stated
    /// answer: that item fits the sentence clearly better and its model text names every
    /// element of `i` found there, so the words are its, not `i`'s. Entries of one list count
    /// as other items here (each entry of an enumeration answers one item); a parent or a twin
    /// does not, as it says the same thing. None when the owners together name everything `i`
    /// requires: `i` then sums up their duties (one item for the ソフトウェア to install and
    /// keep current, two items for the administrator's each), and their sentences answer it.
    pub fn borrowed(
        &self,
        ix: &DocIndex<'_>,
        model: &PreparedModel,
        i: usize,
        score: f32,
        sentences: &[u32],
    ) -> Vec<u32> {
        let mut owners: Vec<usize> = Vec::new();
        let mut out = Vec::new();
        for &s in sentences {
            if let Some(j) = self.owner(ix, model, i, score, s) {
                out.push(s);
                owners.push(j);
            }
        }
        if !out.is_empty() && names_all(model, i, &owners, model.items[i].required) {
            out.clear();
        }
        out
    }

    /// The item whose stated answer sentence `s` is, rather than item `i`'s (see
    /// [`Owners::borrowed`]).
    fn owner(
        &self,
        ix: &DocIndex<'_>,
        model: &PreparedModel,
        i: usize,
        score: f32,
        s: u32,
    ) -> Option<usize> {
        let here = align::present_in(ix, model, i, &[s]);
        if here == 0 {
            return None;
        }
        // The item's fit there: no better than its unit, nor than its share of elements in
        // this one sentence (a wide unit's score says little about one shared word).
        let fit = score.min(align::coverage(model, i, here));
        self.by_sentence
            .get(s as usize)
            .into_iter()
            .flatten()
            .map(|&j| j as usize)
            .find(|&j| {
                j != i
                    && self.choice[j]
                        .as_ref()
                        .is_some_and(|(sj, _)| *sj > fit + OWNER_MARGIN)
                    && !kin(model, i, j)
                    && names_all(model, i, &[j], here)
            })
    }
}

/// True when the model texts of the items `js` together name every element of item `i` in
/// `mask`.
fn names_all(model: &PreparedModel, i: usize, js: &[usize], mask: u64) -> bool {
    // Only reached on a conflict, so surfaces are folded here rather than prepared.
    model
        .item(i)
        .elements
        .iter()
        .enumerate()
        .filter(|(b, _)| *b < 64 && mask & (1 << b) != 0)
        .all(|(_, e)| {
            e.surfaces().any(|t| {
                let t = crate::fold::fold_str(t);
                !t.is_empty() && js.iter().any(|&j| model.items[j].folded_text.contains(&t))
            })
        })
}

/// A parent and its descendants, and twins: items that say the same thing.
fn kin(model: &PreparedModel, i: usize, j: usize) -> bool {
    let ancestor = |mut a: usize, b: usize| {
        while let Some(p) = model.items[a].parent {
            if p == b {
                return true;
            }
            a = p;
        }
        false
    };
    ancestor(i, j) || ancestor(j, i) || twin(model, i, j) || twin(model, j, i)
}

/// The sentences of a unit where item `i` is said most fully (at least two thirds of the
/// elements of its fullest sentence), sorted: a unit's other sentences merely mention a term.
pub(crate) fn core_sentences(
    ix: &DocIndex<'_>,
    model: &PreparedModel,
    i: usize,
    sentences: &[u32],
) -> Vec<u32> {
    let counts: Vec<u32> = sentences
        .iter()
        .map(|&s| align::present_in(ix, model, i, &[s]).count_ones())
        .collect();
    let top = counts.iter().copied().max().unwrap_or(0);
    let mut out: Vec<u32> = sentences
        .iter()
        .zip(&counts)
        .filter(|(_, c)| **c * 3 >= top * 2 && **c > 0)
        .map(|(&s, _)| s)
        .collect();
    out.sort_unstable();
    out
}

/// Items that may share a clause: a parent and its descendants, and twins (everything one
/// requires, the other names too).
fn related(model: &PreparedModel, i: usize, j: usize) -> bool {
    // Entries of one threat or definition list: a policy may state several in one sentence.
    if let (Some(p), Some(q)) = (model.items[i].parent, model.items[j].parent)
        && p == q
        && matches!(model.item(p).kind, Kind::Threat | Kind::Definition)
    {
        return true;
    }
    kin(model, i, j)
}

/// True when a clause answering item `j` answers item `i` as well: the model says the same
/// thing twice (7 repeats 6(9)①). Everything `i` requires, `j` names (two terms at least, so
/// a lone shared 脅威 makes no twin), and most of `i`'s wording is `j`'s.
fn twin(model: &PreparedModel, i: usize, j: usize) -> bool {
    // Only reached on a conflict, so terms are compared as written rather than prepared.
    let (a, b) = (model.item(i), model.item(j));
    let required: Vec<&str> = a.required_elements().map(|e| e.term.as_str()).collect();
    if required.len() < 2
        || !required
            .iter()
            .all(|t| b.elements.iter().any(|e| e.term == *t))
    {
        return false;
    }
    let (ka, kb) = (&model.items[i], &model.items[j]);
    if ka.key_total <= 0.0 {
        return false;
    }
    let shared: f32 = ka
        .keys
        .iter()
        .filter(|(k, _)| kb.keys.iter().any(|(x, _)| x == k))
        .map(|(_, w)| w)
        .sum();
    shared / ka.key_total >= TWIN_WORDING
}

/// The unit answering item `i` and its carrying sentences, or `None`. `aligned` holds the node
/// chosen for every earlier item; with `owners`, units other items hold are passed over.
pub(crate) fn choose(
    cx: &Ctx<'_>,
    i: usize,
    aligned: &[Option<u32>],
    scratch: &mut Scratch,
    owners: Option<&Owners>,
) -> Option<(Candidate, Vec<u32>)> {
    let (doc, ix, model, scope) = (cx.doc, cx.ix, cx.model, cx.scope);
    let it = &model.items[i];
    let item = model.item(i);
    let layer_scope = match item.layer {
        Layer::Kihon => &scope.kihon,
        Layer::Taisaku => &scope.taisaku,
    };
    let parent_node = it.parent.and_then(|p| aligned[p]);
    // Sub-items of a threat list or a definition list are read inside their parent's
    // section, whatever its own taxonomy; elsewhere the same words mean something else.
    let parent_kind = it.parent.map(|p| model.item(p).kind);
    let within_parent = match (parent_kind, parent_node) {
        (Some(k @ (Kind::Threat | Kind::Definition)), Some(n)) => {
            Some((k, vec![ix.subtree[n as usize].clone()]))
        }
        _ => None,
    };
    let kihon_only = item.layer == Layer::Kihon && scope.taisaku.basis == ScopeBasis::Heading;
    // Tried in order: the first region with an acceptable unit wins.
    let mut regions: Vec<Region<'_>> = Vec::new();
    let mut fallback_strict = false;
    match (&within_parent, item.layer) {
        (Some((k, r)), _) => {
            regions.push(Region {
                allowed: Some(r),
                whole: parent_node,
            });
            if *k == Kind::Threat {
                regions.push(Region {
                    allowed: None,
                    whole: None,
                });
            } else {
                // A definition list item stated elsewhere (in a definition of 情報資産)
                // still counts, if it is stated fully, within the same layer.
                fallback_strict = true;
                regions.push(Region {
                    allowed: if kihon_only {
                        Some(&scope.kihon.sentences)
                    } else {
                        None
                    },
                    whole: None,
                });
            }
        }
        (None, Layer::Taisaku) => regions.push(Region {
            allowed: Some(&layer_scope.sentences),
            whole: None,
        }),
        (None, Layer::Kihon) => {
            // A 基本方針 item is looked for in the 基本方針 first, then anywhere.
            if kihon_only {
                regions.push(Region {
                    allowed: Some(&scope.kihon.sentences),
                    whole: None,
                });
            }
            regions.push(Region {
                allowed: None,
                whole: None,
            });
        }
    }
    for (ri, region) in regions.iter().enumerate() {
        let in_parent = ri == 0 && within_parent.is_some();
        let whole_section = in_parent && parent_kind == Some(Kind::Threat);
        // Outside a threat section only units reaching OMIT_SCORE are ever taken.
        let floor = (!whole_section).then_some(OMIT_SCORE);
        let cands = align::candidates(doc, ix, model, i, region, parent_node, floor, scratch);
        let chosen = if whole_section {
            // The whole threat section is the unit.
            let section = parent_node.unwrap_or(0);
            cands
                .iter()
                .find(|c| c.node == section && c.subtree)
                .or_else(|| cands.first())
                .cloned()
                .map(|c| {
                    let s = align::unit_sentences(doc, ix, model, i, &c, region);
                    (c, s)
                })
                .filter(|(c, s)| owners.is_none_or(|o| !o.taken(ix, model, i, c.score, s)))
        } else {
            cands
                .iter()
                .filter(|c| c.score >= OMIT_SCORE)
                .filter(|c| it.core == 0 || c.present & it.core != 0 || c.coverage >= 0.75)
                .filter(|c| {
                    it.rare == 0
                        || c.present & it.rare != 0
                        || c.coverage >= 0.75
                        || (c.coverage >= 0.5 && c.score >= RARE_LESS_SCORE)
                })
                .filter(|c| !(fallback_strict && ri > 0) || (c.coverage >= 0.75 && !c.subtree))
                .map(|c| (c, align::unit_sentences(doc, ix, model, i, c, region)))
                .filter(|(_, s)| !it.defining || defines(ix, s))
                .find(|(c, s)| owners.is_none_or(|o| !o.taken(ix, model, i, c.score, s)))
                .map(|(c, s)| (c.clone(), s))
        };
        if chosen.is_some() {
            return chosen;
        }
    }
    None
}

/// A definition item needs a clause that defines: a defining form in its sentences, or a
/// heading naming the term (a 定義 list item).
fn defines(ix: &DocIndex, sentences: &[u32]) -> bool {
    sentences
        .iter()
        .any(|&s| DEFINING.iter().any(|d| ix.folded[s as usize].contains(d)))
}
