//! Alignment of model items to document clauses.
//!
//! A *unit* is a node's own heading and body, or a node with all its descendants (a section
//! whose content sits in its sub-items). Units are contiguous ranges of sentences, so every
//! lookup is a posting list of sentence ids. For each item, only nodes that contain one of its
//! elements or discriminating keys are touched, and their ancestors through the subtree masks:
//! the work is proportional to the hits, not to items × nodes.
//!
//! Score of a unit = 0.55 × required-element coverage + 0.35 × idf-weighted recall of the item's
//! content keys + 0.10 × heading similarity to the item's title, plus a small bonus inside the
//! parent item's match and a small penalty for size. Elements only count in body sentences:
//! headings name things a section may not contain (pitfalls: "headings lie").

use std::borrow::Cow;
use std::ops::Range;

use taisho_guideline::Kind;

use super::intern::{KeyIds, LocalIds};
use super::prepare::{PreparedModel, Target, content_key};
use crate::document::{Document, NodeKind, SentenceRole};
use crate::tokenize::Tokens;

/// Largest section (in sentences) taken as one unit with its descendants.
const MAX_SUBTREE_SENTENCES: usize = 30;

/// Per-document lookups shared by every item.
pub(crate) struct DocIndex<'t> {
    /// Concatenated folded keys of each sentence (borrowed from the tokens when contiguous).
    pub folded: Vec<Cow<'t, str>>,
    /// Element id → body sentences containing it.
    pub elem_post: Vec<Vec<u32>>,
    /// Model key id → body sentences containing it.
    key_post: Vec<Vec<u32>>,
    /// Model key id → nodes whose heading contains it.
    head_post: Vec<Vec<u32>>,
    /// Node id → id of its last descendant (itself when a leaf): descendants are `id..=last`.
    pub last_desc: Vec<u32>,
    /// Node id → sentence range of the node and its descendants.
    pub subtree: Vec<Range<u32>>,
    /// Sentence id → the element ids it contains (body sentences only).
    pub sentence_elements: Vec<Vec<u32>>,
    /// Sentence id → its node id; node id → its parent (`NO_PARENT` at the root). Compact copies
    /// of the document's links: the candidate walks read them for every posting.
    sent_node: Vec<u32>,
    parent: Vec<u32>,
    /// Token index → morpheme-diff id of its key (see [`LocalIds`]).
    pub diff_ids: Vec<u32>,
}

const NO_PARENT: u32 = u32::MAX;

/// Per node: its depth (root 0), the id of its last descendant, and the sentence range of the node
/// and its descendants.
pub(crate) fn tree_shape(doc: &Document) -> (Vec<u32>, Vec<u32>, Vec<Range<u32>>) {
    let n_nodes = doc.nodes.len();
    let mut depth = vec![0u32; n_nodes];
    for n in &doc.nodes {
        if let Some(p) = n.parent {
            depth[n.id.0 as usize] = depth[p.0 as usize] + 1;
        }
    }
    // Pre-order ids: a node's descendants follow it up to the next node of equal or lower
    // depth. Walking backwards gives each node's last descendant and sentence extent.
    let mut last_desc: Vec<u32> = (0..n_nodes as u32).collect();
    let mut subtree: Vec<Range<u32>> = doc
        .nodes
        .iter()
        .map(|n| {
            let start = n.heading.map_or(n.body.start, |h| h.0.min(n.body.start));
            start..n.body.end.max(start)
        })
        .collect();
    for i in (0..n_nodes).rev() {
        if let Some(p) = doc.nodes[i].parent {
            let p = p.0 as usize;
            last_desc[p] = last_desc[p].max(last_desc[i]);
            let (cs, ce) = (subtree[i].start, subtree[i].end);
            if ce > cs {
                let ps = &mut subtree[p];
                if ps.end <= ps.start {
                    *ps = cs..ce;
                } else {
                    ps.start = ps.start.min(cs);
                    ps.end = ps.end.max(ce);
                }
            }
        }
    }
    (depth, last_desc, subtree)
}

impl<'t> DocIndex<'t> {
    pub fn build(doc: &Document, toks: &'t Tokens, model: &PreparedModel) -> Self {
        let n_sent = doc.sentences.len();
        let mut folded = Vec::with_capacity(n_sent);
        let mut base = String::new();
        let mut elem_post: Vec<Vec<u32>> = vec![Vec::new(); model.elements.len()];
        let mut key_post: Vec<Vec<u32>> = vec![Vec::new(); model.vocab.len()];
        let mut head_post: Vec<Vec<u32>> = vec![Vec::new(); model.vocab.len()];
        let mut sentence_elements = vec![Vec::new(); n_sent];
        let mut hits: Vec<(u32, usize, usize)> = Vec::new();
        let mut friends: Vec<(u32, usize, usize)> = Vec::new();
        let mut diff_ids = vec![KeyIds::NONE; toks.tokens.len()];
        let mut local = LocalIds::new(model.diff_vocab.len());
        for (si, s) in doc.sentences.iter().enumerate() {
            let ts = toks.of(s.id);
            let first = toks
                .by_sentence
                .get(s.id.0 as usize)
                .map_or(0, |r| r.start as usize);
            let f = sentence_folded(toks, ts);
            let heading = s.role == SentenceRole::Heading;
            for (j, t) in ts.iter().enumerate() {
                let key = t.key(toks);
                let ids = model.keys.get(key).copied();
                if let Some(slot) = diff_ids.get_mut(first + j) {
                    *slot = match ids {
                        Some(ids) if ids.diff != KeyIds::NONE => ids.diff,
                        _ => local.id(key),
                    };
                }
                let Some(k) = content_key(t, toks) else {
                    continue;
                };
                // The content key is the folded key itself, or a dictionary form.
                let vocab_id = if std::ptr::eq(k, key) {
                    ids.map_or(KeyIds::NONE, |i| i.vocab)
                } else {
                    model.keys.get(k).map_or(KeyIds::NONE, |i| i.vocab)
                };
                if vocab_id != KeyIds::NONE {
                    let id = vocab_id;
                    let post = if heading {
                        &mut head_post[id as usize]
                    } else {
                        &mut key_post[id as usize]
                    };
                    let v = if heading { s.node.0 } else { si as u32 };
                    if post.last() != Some(&v) {
                        post.push(v);
                    }
                }
            }
            if !heading {
                hits.clear();
                friends.clear();
                if let Some(ac) = &model.folded_ac {
                    for m in ac.find_overlapping_iter(&*f) {
                        for t in &model.folded_targets[m.pattern().as_usize()] {
                            match *t {
                                Target::Element(e) => hits.push((e, m.start(), m.end())),
                                Target::FalseFriend(e) => friends.push((e, m.start(), m.end())),
                            }
                        }
                    }
                }
                // A term inside a look-alike the model rules out does not count.
                hits.retain(|&(e, a, b)| {
                    !friends
                        .iter()
                        .any(|&(fe, fa, fb)| fe == e && fa <= a && b <= fb)
                });
                if let Some(ac) = &model.base_ac {
                    // Without a dictionary form in the sentence its base spelling is the
                    // folded one.
                    let text: &str = if ts.iter().any(|t| t.base.is_some()) {
                        base.clear();
                        for t in ts {
                            base.push_str(t.base.as_deref().unwrap_or(t.key(toks)));
                        }
                        &base
                    } else {
                        &f
                    };
                    for m in ac.find_overlapping_iter(text) {
                        for t in &model.base_targets[m.pattern().as_usize()] {
                            if let Target::Element(e) = *t {
                                hits.push((e, 0, 0));
                            }
                        }
                    }
                }
                let mut es: Vec<u32> = hits.iter().map(|h| h.0).collect();
                es.sort_unstable();
                es.dedup();
                for &e in &es {
                    elem_post[e as usize].push(si as u32);
                }
                sentence_elements[si] = es;
            }
            folded.push(f);
        }

        let (_, last_desc, subtree) = tree_shape(doc);
        Self {
            sent_node: doc.sentences.iter().map(|s| s.node.0).collect(),
            parent: doc
                .nodes
                .iter()
                .map(|n| n.parent.map_or(NO_PARENT, |p| p.0))
                .collect(),
            diff_ids,
            folded,
            elem_post,
            key_post,
            head_post,
            last_desc,
            subtree,
            sentence_elements,
        }
    }

    pub fn is_descendant(&self, node: u32, of: u32) -> bool {
        of <= node && node <= self.last_desc[of as usize]
    }
}

/// The folded text of a sentence: the concatenation of its token keys, borrowed from
/// [`Tokens::folded`] when the keys are adjacent there (the usual case).
fn sentence_folded<'t>(toks: &'t Tokens, ts: &[crate::tokenize::Token]) -> Cow<'t, str> {
    let (Some(first), Some(last)) = (ts.first(), ts.last()) else {
        return Cow::Borrowed("");
    };
    let contiguous = ts.windows(2).all(|w| w[0].key.end == w[1].key.start);
    if contiguous
        && let Some(text) = toks
            .folded
            .get(first.key.start as usize..last.key.end as usize)
    {
        return Cow::Borrowed(text);
    }
    Cow::Owned(ts.iter().map(|t| t.key(toks)).collect())
}

/// Which sentences an item may align to.
pub(crate) struct Region<'a> {
    /// Allowed sentence ranges; `None` = the whole document.
    pub allowed: Option<&'a [Range<u32>]>,
    /// A node that is a unit with its descendants whatever its size (a parent's section).
    pub whole: Option<u32>,
}

fn in_ranges(ranges: &[Range<u32>], s: u32) -> bool {
    ranges.iter().any(|r| r.contains(&s))
}

/// A candidate unit and its score.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub node: u32,
    /// True: the node with its descendants; false: its own heading and body.
    pub subtree: bool,
    pub score: f32,
    pub coverage: f32,
    /// Elements present (bit per item element).
    pub present: u64,
}

/// Reusable per-node accumulators.
pub(crate) struct Scratch {
    own_elem: Vec<u64>,
    sub_elem: Vec<u64>,
    own_key: Vec<u64>,
    sub_key: Vec<u64>,
    head: Vec<f32>,
    touched: Vec<u32>,
    seen: Vec<bool>,
    /// Per node: the walk (one posting list) that last passed through it. A walk up from a
    /// sentence stops at a node the same list already passed: everything above it is done.
    /// Never reset; `walk` only grows.
    stamp: Vec<u32>,
    walk: u32,
}

impl Scratch {
    pub fn new(n_nodes: usize) -> Self {
        Self {
            own_elem: vec![0; n_nodes],
            sub_elem: vec![0; n_nodes],
            own_key: vec![0; n_nodes],
            sub_key: vec![0; n_nodes],
            head: vec![0.0; n_nodes],
            touched: Vec::new(),
            seen: vec![false; n_nodes],
            stamp: vec![0; n_nodes],
            walk: 0,
        }
    }

    /// Starts a new posting-list walk.
    fn next_walk(&mut self) -> u32 {
        self.walk = self.walk.wrapping_add(1);
        if self.walk == 0 {
            // Wrapped (after four billion lists): stale stamps could alias.
            self.stamp.fill(0);
            self.walk = 1;
        }
        self.walk
    }

    fn touch(&mut self, n: u32) {
        if !self.seen[n as usize] {
            self.seen[n as usize] = true;
            self.touched.push(n);
        }
    }

    fn reset(&mut self) {
        for &n in &self.touched {
            let n = n as usize;
            self.own_elem[n] = 0;
            self.sub_elem[n] = 0;
            self.own_key[n] = 0;
            self.sub_key[n] = 0;
            self.head[n] = 0.0;
            self.seen[n] = false;
        }
        self.touched.clear();
    }
}

/// Scores every unit that holds something of item `i`; best first. With `floor`, units scoring
/// below it are left out: the caller would pass over them, and most units are stray mentions,
/// so not sorting them saves most of the sort.
#[expect(
    clippy::too_many_arguments,
    reason = "hot path: the indexes are borrowed separately to avoid building a context per item"
)]
pub(crate) fn candidates(
    doc: &Document,
    ix: &DocIndex,
    model: &PreparedModel,
    i: usize,
    region: &Region<'_>,
    parent_node: Option<u32>,
    floor: Option<f32>,
    scratch: &mut Scratch,
) -> Vec<Candidate> {
    let it = &model.items[i];
    let item = model.item(i);
    scratch.reset();
    let allowed = |s: u32| region.allowed.is_none_or(|r| in_ranges(r, s));
    for (bit, &e) in it.elements.iter().enumerate() {
        let walk = scratch.next_walk();
        for &s in &ix.elem_post[e as usize] {
            if !allowed(s) {
                continue;
            }
            let mut n = ix.sent_node[s as usize];
            scratch.touch(n);
            scratch.own_elem[n as usize] |= 1 << bit;
            loop {
                if scratch.stamp[n as usize] == walk {
                    break;
                }
                scratch.stamp[n as usize] = walk;
                scratch.touch(n);
                scratch.sub_elem[n as usize] |= 1 << bit;
                n = ix.parent[n as usize];
                if n == NO_PARENT {
                    break;
                }
            }
        }
    }
    for (bit, &(k, _)) in it.keys.iter().enumerate() {
        let walk = scratch.next_walk();
        for &s in &ix.key_post[k as usize] {
            if !allowed(s) {
                continue;
            }
            let mut n = ix.sent_node[s as usize];
            // Keys alone never open a candidate: only where an element is, or above it.
            if scratch.seen[n as usize] {
                scratch.own_key[n as usize] |= 1 << bit;
            }
            loop {
                if scratch.stamp[n as usize] == walk {
                    break;
                }
                scratch.stamp[n as usize] = walk;
                if scratch.seen[n as usize] {
                    scratch.sub_key[n as usize] |= 1 << bit;
                }
                n = ix.parent[n as usize];
                if n == NO_PARENT {
                    break;
                }
            }
        }
    }
    for &(k, w) in &it.title_keys {
        if let Some(post) = ix.head_post.get(k as usize) {
            for &n in post {
                if scratch.seen[n as usize] {
                    scratch.head[n as usize] += w;
                }
            }
        }
    }

    let coverage_of = |mask: u64| coverage(model, i, mask);
    // Visits set bits only: most nodes hold a handful of an item's keys.
    let key_weight = |mut mask: u64| -> f32 {
        let mut w = 0.0;
        while mask != 0 {
            let b = mask.trailing_zeros() as usize;
            w += it.keys.get(b).map_or(0.0, |k| k.1);
            mask &= mask - 1;
        }
        w
    };
    let mut out = Vec::new();
    for &n in &scratch.touched {
        let node = &doc.nodes[n as usize];
        if node.kind == NodeKind::Root {
            continue;
        }
        let head = if it.title_total > 0.0 {
            (scratch.head[n as usize] / it.title_total).min(1.0)
        } else {
            0.0
        };
        let mut bonus = 0.0;
        if let Some(p) = parent_node
            && ix.is_descendant(n, p)
        {
            bonus += 0.05;
        }
        let has_children = ix.last_desc[n as usize] > n;
        // A chapter is not a clause: only sections small enough to read as one answer (or the
        // parent's section a sub-item is confined to) are units with their descendants.
        let small =
            ix.subtree[n as usize].len() <= MAX_SUBTREE_SENTENCES || region.whole == Some(n);
        for sub in [false, true] {
            if sub && (!has_children || !small) {
                continue;
            }
            let (em, km) = if sub {
                (scratch.sub_elem[n as usize], scratch.sub_key[n as usize])
            } else {
                (scratch.own_elem[n as usize], scratch.own_key[n as usize])
            };
            if em == 0 {
                continue;
            }
            let coverage = coverage_of(em);
            let similarity = if it.key_total > 0.0 {
                key_weight(km) / it.key_total
            } else {
                coverage
            };
            let size_penalty = if sub {
                let sentences = ix.subtree[n as usize].len() as f32;
                0.03 + 0.02 * (1.0 + sentences).ln()
            } else {
                0.0
            };
            // Threat lists are read by their elements; their wording varies too much.
            let (wc, ws) = if item.kind == Kind::Threat {
                (0.75, 0.15)
            } else {
                (0.55, 0.35)
            };
            let score = wc * coverage + ws * similarity + 0.15 * head + bonus - size_penalty;
            out.push(Candidate {
                node: n,
                subtree: sub,
                score,
                coverage,
                present: em,
            });
        }
    }
    if !it.children.is_empty() && item.kind == Kind::Threat {
        for c in &mut out {
            c.score += 0.3 * children_coverage(ix, model, i, c.node);
        }
    }
    if let Some(floor) = floor {
        out.retain(|c| c.score >= floor);
    }
    // (node, subtree) is unique, and own units come before subtrees in `out`: the same order
    // a stable sort on (score, node) gives, without its buffer.
    out.sort_unstable_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.node.cmp(&b.node))
            .then(a.subtree.cmp(&b.subtree))
    });
    out
}

/// The sentences of a unit that carry the item: body sentences with one of its elements.
pub(crate) fn unit_sentences(
    doc: &Document,
    ix: &DocIndex,
    model: &PreparedModel,
    i: usize,
    c: &Candidate,
    region: &Region<'_>,
) -> Vec<u32> {
    let it = &model.items[i];
    let range = if c.subtree {
        ix.subtree[c.node as usize].clone()
    } else {
        doc.nodes[c.node as usize].body.clone()
    };
    range
        .filter(|&s| region.allowed.is_none_or(|r| in_ranges(r, s)))
        .filter(|&s| {
            doc.sentences[s as usize].role == SentenceRole::Body
                && ix.sentence_elements[s as usize]
                    .iter()
                    .any(|e| it.elements.binary_search(e).is_ok())
        })
        .collect()
}

/// Element mask of item `i` present in `sentences`.
pub(crate) fn present_in(ix: &DocIndex, model: &PreparedModel, i: usize, sentences: &[u32]) -> u64 {
    let it = &model.items[i];
    let mut mask = 0u64;
    for &s in sentences {
        for e in &ix.sentence_elements[s as usize] {
            if let Ok(bit) = it.elements.binary_search(e) {
                mask |= 1 << bit;
            }
        }
    }
    mask
}

/// Share of item `i`'s elements in `mask`: required elements count fully; examples the model
/// gives (`required = false`) only help when present, so a policy naming fewer examples is not
/// penalised. An item with examples only is covered by any of them in proportion.
pub(crate) fn coverage(model: &PreparedModel, i: usize, mask: u64) -> f32 {
    let it = &model.items[i];
    let n = it.elements.len().min(64);
    let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    let req = it.required & all;
    let opt = all & !req;
    let n_req = req.count_ones() as f32;
    let req_got = (mask & req).count_ones() as f32;
    let opt_got = (mask & opt).count_ones() as f32;
    if n_req == 0.0 {
        return opt_got / opt.count_ones().max(1) as f32;
    }
    (req_got + 0.5 * opt_got) / (n_req + 0.5 * opt_got)
}

/// Share of the child items of `i` with an element inside the node's subtree: a section that
/// holds the sub-items is the better home for their parent (「対象とする脅威」 over a clause that
/// merely mentions 脅威).
pub(crate) fn children_coverage(ix: &DocIndex, model: &PreparedModel, i: usize, node: u32) -> f32 {
    let it = &model.items[i];
    if it.children.is_empty() {
        return 0.0;
    }
    let range = ix.subtree[node as usize].clone();
    let found = it
        .children
        .iter()
        .filter(|&&c| {
            model.items[c].elements.iter().any(|&e| {
                let post = &ix.elem_post[e as usize];
                let at = post.partition_point(|&s| s < range.start);
                post.get(at).is_some_and(|&s| s < range.end)
            })
        })
        .count();
    found as f32 / it.children.len() as f32
}
