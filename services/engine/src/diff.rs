//! Morpheme-level diffs of two documents, moves, and the rows of the 新旧対照表.
//!
//! Entry points:
//! - [`compare`]`((&old_doc, &old_tokens), (&new_doc, &new_tokens), &limits) -> DocDiff`;
//! - [`DocDiff`] is `Serialize` (the JSON operations) and [`DocDiff::to_text`] gives the unified
//!   text view (`-`/`+` lines, `[-削除-]` / `{+追加+}` marks);
//! - the HTML 新旧対照表 is rendered from [`DocDiff::rows`] by the presentation layer
//!   (`taisho-web`); the engine returns data only.
//!
//! How it works:
//! 1. **Sentences first.** Every sentence with tokens gets a signature (its folded keys); a
//!    Patience diff over the signatures aligns the identical sentences of both documents.
//! 2. **Moves.** Unaligned sentences with identical keys on both sides are moves.
//! 3. **Pairs.** Inside each unaligned stretch, sentences of the same role are paired in order
//!    by content similarity (Dice over folded keys; same numbering path counts a little).
//!    What stays unpaired and is near-identical to an unpaired sentence elsewhere is a move too.
//! 4. **Tokens.** Paired and moved sentences are diffed token by token (Patience over interned
//!    folded keys), so notation, width, spacing and line breaks never show up as changes.
//!
//! All positions are in each document's `original`; texts shown are original surfaces with line
//! breaks and removed artefacts (page numbers) left out. Past the deadline the remaining pairs
//! are reported as whole-sentence replacements and [`DocDiff::degraded`] says so.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::time::Instant;

use serde::Serialize;
use similar::{Algorithm, DiffTag};

use crate::document::{Document, SentenceId, SentenceRole};
use crate::limits::{Deadline, Limits};
use crate::tokenize::{Token, Tokens};

/// Pairs inside one unaligned stretch are only scored up to this many candidates; beyond it the
/// stretch is reported as deletions and insertions (bounded work on dissimilar documents).
const MAX_PAIR_CANDIDATES: usize = 250_000;
/// Time the sentence alignment always gets, whatever is left of the budget.
const SENTENCE_ALIGNMENT_FLOOR: std::time::Duration = std::time::Duration::from_millis(200);
/// Minimum similarity for two sentences in the same stretch to count as one changed sentence.
const PAIR_THRESHOLD: f64 = 0.5;
/// Minimum similarity for an unpaired sentence to count as moved rather than deleted + inserted.
const MOVE_THRESHOLD: f64 = 0.8;

/// What happened to one aligned row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Equal,
    Changed,
    Inserted,
    Deleted,
    /// The sentence appears elsewhere in the new document (possibly with small changes).
    Moved,
}

/// A token-level operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpTag {
    Equal,
    Insert,
    Delete,
    Replace,
}

/// A piece of one document: original ranges and the surface shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Byte range in the document's `original`. The spans of a row tile its sentence: each one
    /// runs up to the next token, so it includes the whitespace after its last token.
    pub byte: Range<usize>,
    /// Char range in the document's `original`.
    pub char: Range<usize>,
    /// The original surface, without line breaks and removed artefacts.
    pub text: String,
}

/// One token-level operation of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Op {
    pub tag: OpTag,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Span>,
}

/// One side (old or new) of a row: one sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The first sentence of this side.
    pub sentence: SentenceId,
    /// How many sentences the side covers (from `sentence` on): more than one when the other
    /// document splits or joins sentences differently (line breaks, extraction) but says the
    /// same.
    pub sentences: u32,
    /// Numbering path of the sentence's node (e.g. `6/(3)/①`); empty at the root.
    pub path: String,
    pub heading: bool,
    /// The node's numbering label as written (e.g. `（１）`), for heading rows; empty otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// 1-based line of the sentence's first token in the original.
    pub line: u32,
    pub byte: Range<usize>,
    pub char: Range<usize>,
    /// The sentence as shown (original surface, line breaks and artefacts left out).
    pub text: String,
}

/// One aligned row: a sentence of the old document, of the new one, or of both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub kind: RowKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Side>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Side>,
    /// Token-level operations for changed and moved rows; empty for equal, inserted and deleted
    /// rows (their `old`/`new` side says it all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<Op>,
    /// True when the deadline cut this row's token diff short: `ops` is one whole replacement.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub degraded: bool,
}

impl Row {
    /// The row is a change (anything but equal).
    pub fn is_change(&self) -> bool {
        self.kind != RowKind::Equal
    }
}

/// Counts of rows by kind and of tokens changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub equal: usize,
    pub changed: usize,
    pub inserted: usize,
    pub deleted: usize,
    pub moved: usize,
    pub tokens_inserted: usize,
    pub tokens_deleted: usize,
}

impl Stats {
    /// Rows that are not equal.
    pub fn changes(&self) -> usize {
        self.changed + self.inserted + self.deleted + self.moved
    }
}

/// Why the diff is coarser than usual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Degraded {
    /// A stable code: `deadline`.
    pub reason: &'static str,
    /// Rows whose token diff was replaced by a whole-sentence replacement.
    pub rows: usize,
    pub message: String,
}

/// The comparison of two documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocDiff {
    /// Rows in the new document's order; deleted sentences sit where they were in the old one.
    pub rows: Vec<Row>,
    pub stats: Stats,
    /// `None` for a full diff; set when a labelled fallback was used.
    pub degraded: Option<Degraded>,
}

impl DocDiff {
    /// True when the documents differ in more than notation, width and spacing.
    pub fn has_changes(&self) -> bool {
        self.stats.changes() > 0
    }

    /// The unified text view: for every row that is not equal, a `@@` header with the line
    /// numbers and numbering paths, then `-` (old) and `+` (new) lines; changed spans are marked
    /// `[-…-]` in old lines and `{+…+}` in new lines. Empty when nothing changed.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(d) = &self.degraded {
            out.push_str(&format!("# degraded ({}): {}\n", d.reason, d.message));
        }
        for row in self.rows.iter().filter(|r| r.is_change()) {
            let kind = match row.kind {
                RowKind::Moved => " moved",
                _ => "",
            };
            let loc = |s: &Option<Side>, sign: char| {
                s.as_ref().map_or(String::new(), |s| {
                    if s.path.is_empty() {
                        format!("{sign}L{}", s.line)
                    } else {
                        format!("{sign}L{} {}", s.line, s.path)
                    }
                })
            };
            let head = [loc(&row.old, '-'), loc(&row.new, '+')]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            out.push_str(&format!("@@{kind} {head} @@\n"));
            let (old, new) = row_texts(row, |t| format!("[-{t}-]"), |t| format!("{{+{t}+}}"));
            if let Some(old) = old {
                out.push('-');
                out.push_str(&old);
                out.push('\n');
            }
            if let Some(new) = new {
                out.push('+');
                out.push_str(&new);
                out.push('\n');
            }
        }
        out
    }
}

/// The old and new texts of a row with changed spans wrapped by `mark_old` / `mark_new`.
/// Whole inserted or deleted sentences are not wrapped (the row kind says it).
pub(crate) fn row_texts(
    row: &Row,
    mark_old: impl Fn(&str) -> String,
    mark_new: impl Fn(&str) -> String,
) -> (Option<String>, Option<String>) {
    if row.ops.is_empty() {
        return (
            row.old.as_ref().map(|s| s.text.clone()),
            row.new.as_ref().map(|s| s.text.clone()),
        );
    }
    let mut old = String::new();
    let mut new = String::new();
    for op in &row.ops {
        let changed = op.tag != OpTag::Equal;
        if let Some(s) = &op.old {
            old.push_str(&if changed {
                mark_old(&s.text)
            } else {
                s.text.clone()
            });
        }
        if let Some(s) = &op.new {
            new.push_str(&if changed {
                mark_new(&s.text)
            } else {
                s.text.clone()
            });
        }
    }
    (row.old.as_ref().map(|_| old), row.new.as_ref().map(|_| new))
}

/// One side of the comparison with its interned keys.
struct Doc<'a> {
    doc: &'a Document,
    tokens: &'a Tokens,
    /// Interned key of every token.
    ids: Vec<u32>,
    /// Sentences with at least one token, in order.
    units: Vec<Unit>,
    /// Artefact ranges sorted by start, left out of displayed text.
    artefacts: Vec<Range<usize>>,
    /// Byte offsets of line starts, for line numbers.
    lines: Vec<usize>,
}

struct Unit {
    sentence: SentenceId,
    /// Token index range.
    tok: Range<usize>,
    hash: u64,
    heading: bool,
    /// Sorted token ids, for similarity.
    bag: Vec<u32>,
    /// All folded keys joined: equal across documents when only the sentence split differs.
    joined: String,
}

impl<'a> Doc<'a> {
    fn new(doc: &'a Document, tokens: &'a Tokens, interner: &mut HashMap<&'a str, u32>) -> Self {
        let ids: Vec<u32> = tokens
            .tokens
            .iter()
            .map(|t| {
                let next = interner.len() as u32;
                *interner.entry(t.key(tokens)).or_insert(next)
            })
            .collect();
        let mut units = Vec::new();
        for (i, r) in tokens.by_sentence.iter().enumerate() {
            let tok = r.start as usize..r.end as usize;
            let Some(slice) = ids.get(tok.clone()) else {
                continue;
            };
            if slice.is_empty() {
                continue;
            }
            let mut h = std::collections::hash_map::DefaultHasher::new();
            slice.hash(&mut h);
            let joined: String = tokens.tokens[tok.clone()]
                .iter()
                .map(|t| t.key(tokens))
                .collect();
            let mut bag = slice.to_vec();
            bag.sort_unstable();
            let heading = doc
                .sentences
                .get(i)
                .is_some_and(|s| s.role == SentenceRole::Heading);
            units.push(Unit {
                sentence: SentenceId(i as u32),
                tok,
                hash: h.finish(),
                heading,
                bag,
                joined,
            });
        }
        let mut artefacts: Vec<Range<usize>> =
            doc.artefacts.iter().map(|a| a.range.clone()).collect();
        artefacts.sort_by_key(|r| r.start);
        let lines = std::iter::once(0)
            .chain(doc.original.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            doc,
            tokens,
            ids,
            units,
            artefacts,
            lines,
        }
    }

    fn token(&self, i: usize) -> Option<&Token> {
        self.tokens.tokens.get(i)
    }

    fn path(&self, u: &Unit) -> &str {
        self.doc
            .sentences
            .get(u.sentence.0 as usize)
            .and_then(|s| self.doc.nodes.get(s.node.0 as usize))
            .map_or("", |n| n.path.as_str())
    }

    /// The span of tokens `tok` inside the sentence whose tokens are `sentence`: it runs to the
    /// next token of the sentence (or the end of its own last token).
    fn span(&self, tok: Range<usize>, sentence: &Range<usize>) -> Option<Span> {
        if tok.is_empty() {
            return None;
        }
        let first = self.token(tok.start)?;
        let last = self.token(tok.end - 1)?;
        let mut byte = first.byte.start as usize..last.byte.end as usize;
        let mut char = first.char.start as usize..last.char.end as usize;
        if tok.end < sentence.end
            && let Some(next) = self.token(tok.end)
            && next.byte.start as usize >= byte.end
        {
            byte.end = next.byte.start as usize;
            char.end = next.char.start as usize;
        }
        let text = self.display(byte.clone());
        Some(Span { byte, char, text })
    }

    /// The original text of `range` without line breaks and artefacts.
    fn display(&self, range: Range<usize>) -> String {
        let original = &self.doc.original;
        let mut out = String::with_capacity(range.len());
        let mut at = range.start;
        let first = self.artefacts.partition_point(|a| a.end <= range.start);
        for a in self.artefacts[first..]
            .iter()
            .take_while(|a| a.start < range.end)
        {
            if a.start > at {
                push_without_breaks(&mut out, original.get(at..a.start).unwrap_or(""));
            }
            at = at.max(a.end);
        }
        if at < range.end {
            push_without_breaks(&mut out, original.get(at..range.end).unwrap_or(""));
        }
        out
    }

    fn side(&self, u: &Unit) -> Side {
        self.group_side(std::slice::from_ref(u))
    }

    /// One side covering consecutive units.
    fn group_side(&self, units: &[Unit]) -> Side {
        let (Some(u), Some(last)) = (units.first(), units.last()) else {
            return Side {
                sentence: SentenceId(0),
                sentences: 0,
                path: String::new(),
                heading: false,
                label: String::new(),
                line: 0,
                byte: 0..0,
                char: 0..0,
                text: String::new(),
            };
        };
        let tok = u.tok.start..last.tok.end;
        let span = self.span(tok.clone(), &tok);
        let (byte, char, text) =
            span.map_or((0..0, 0..0, String::new()), |s| (s.byte, s.char, s.text));
        let line = self.lines.partition_point(|&l| l <= byte.start) as u32;
        Side {
            sentence: u.sentence,
            sentences: last.sentence.0 - u.sentence.0 + 1,
            path: self.path(u).to_owned(),
            heading: u.heading,
            label: if u.heading {
                let node = self.doc.sentence(u.sentence).node;
                self.doc
                    .node(node)
                    .label
                    .as_ref()
                    .map(|l| l.text.clone())
                    .unwrap_or_default()
            } else {
                String::new()
            },
            line,
            byte,
            char,
            text,
        }
    }
}

/// Appends `s` without line breaks: a whitespace run containing a line break is dropped whole
/// (in Japanese text a wrapped line is joined without a space; extraction often leaves trailing
/// spaces before the break).
fn push_without_breaks(out: &mut String, s: &str) {
    let mut run = String::new();
    let mut run_breaks = false;
    for c in s.chars() {
        if c.is_whitespace() {
            run.push(c);
            run_breaks |= matches!(c, '\n' | '\r');
            continue;
        }
        if !run_breaks {
            out.push_str(&run);
        }
        run.clear();
        run_breaks = false;
        out.push(c);
    }
    if !run_breaks {
        out.push_str(&run);
    }
}

/// Dice coefficient of two sorted bags.
fn similarity(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

fn instant(deadline: &Deadline) -> Instant {
    Instant::now() + deadline.remaining()
}

/// How an old unit ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Open,
    /// Part of `groups[g]`: same text, split into sentences differently.
    Grouped(usize),
    Paired(usize),
    Moved(usize),
}

/// Compares two tokenised documents. Never fails: past `limits.deadline` it degrades to
/// whole-sentence replacements and says so in [`DocDiff::degraded`].
///
/// Traced as the span `engine.diff` (sentence and row counts, whether it degraded).
pub fn compare(old: (&Document, &Tokens), new: (&Document, &Tokens), limits: &Limits) -> DocDiff {
    let span = tracing::info_span!(
        "engine.diff",
        old_sentences = old.0.sentences.len(),
        new_sentences = new.0.sentences.len(),
        rows = tracing::field::Empty,
        degraded = tracing::field::Empty
    );
    let _entered = span.enter();
    let diff = compare_untraced(old, new, limits);
    span.record("rows", diff.rows.len());
    span.record("degraded", diff.degraded.is_some());
    diff
}

fn compare_untraced(
    old: (&Document, &Tokens),
    new: (&Document, &Tokens),
    limits: &Limits,
) -> DocDiff {
    let deadline = limits.start();
    let mut interner: HashMap<&str, u32> = HashMap::new();
    let a = Doc::new(old.0, old.1, &mut interner);
    let b = Doc::new(new.0, new.1, &mut interner);

    // 1. Sentence alignment. It is cheap (one signature per sentence) and everything else
    // depends on it, so it gets a floor of time even when the budget is spent; a timed-out
    // Patience would report every sentence as deleted and inserted.
    let old_hashes: Vec<u64> = a.units.iter().map(|u| u.hash).collect();
    let new_hashes: Vec<u64> = b.units.iter().map(|u| u.hash).collect();
    let sentence_ops = similar::capture_diff_slices_deadline(
        Algorithm::Patience,
        &old_hashes,
        &new_hashes,
        Some(Instant::now() + deadline.remaining().max(SENTENCE_ALIGNMENT_FLOOR)),
    );
    let mut old_fate = vec![Fate::Open; a.units.len()];
    let mut new_fate = vec![Fate::Open; b.units.len()];
    let mut equal = vec![false; b.units.len()];
    let mut gaps: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for op in &sentence_ops {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            for (i, j) in o.zip(n) {
                old_fate[i] = Fate::Paired(j);
                new_fate[j] = Fate::Paired(i);
                equal[j] = true;
            }
        } else {
            gaps.push((o, n));
        }
    }

    // 2. Same text split differently: runs of sentences whose joined keys are equal.
    let mut groups: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    // Past the deadline the matching below is skipped: what is left stays deleted + inserted.
    let mut matching_skipped = false;
    for (o, n) in &gaps {
        if deadline.expired() {
            matching_skipped = true;
            break;
        }
        if o.len() * n.len() > MAX_PAIR_CANDIDATES {
            continue;
        }
        let mut next_new = n.start;
        for i in o.clone() {
            if old_fate[i] != Fate::Open {
                continue;
            }
            for j in next_new..n.end {
                if new_fate[j] != Fate::Open {
                    continue;
                }
                if let Some((oe, ne)) = grow_group(&a.units, i, o.end, &b.units, j, n.end) {
                    let g = groups.len();
                    old_fate[i..oe].fill(Fate::Grouped(g));
                    new_fate[j..ne].fill(Fate::Grouped(g));
                    groups.push((i..oe, j..ne));
                    next_new = ne;
                    break;
                }
            }
        }
    }

    // 3. Exact moves.
    let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, f) in old_fate.iter().enumerate() {
        if *f == Fate::Open {
            by_hash.entry(a.units[i].hash).or_default().push(i);
        }
    }
    for v in by_hash.values_mut() {
        v.reverse(); // pop() takes the earliest first
    }
    for (j, (fate, v)) in new_fate.iter_mut().zip(&b.units).enumerate() {
        if *fate == Fate::Open
            && let Some(i) = by_hash.get_mut(&v.hash).and_then(Vec::pop)
        {
            old_fate[i] = Fate::Moved(j);
            *fate = Fate::Moved(i);
        }
    }

    // 4. Pairs inside each stretch, in order, best first.
    for (o, n) in &gaps {
        if deadline.expired() {
            matching_skipped = true;
            break;
        }
        let olds: Vec<usize> = o.clone().filter(|&i| old_fate[i] == Fate::Open).collect();
        let news: Vec<usize> = n.clone().filter(|&j| new_fate[j] == Fate::Open).collect();
        if olds.is_empty() || news.is_empty() || olds.len() * news.len() > MAX_PAIR_CANDIDATES {
            continue;
        }
        let mut cands = Vec::new();
        for &i in &olds {
            for &j in &news {
                let (u, v) = (&a.units[i], &b.units[j]);
                if u.heading != v.heading {
                    continue;
                }
                let mut s = similarity(&u.bag, &v.bag);
                let path = a.path(u);
                if !path.is_empty() && path == b.path(v) {
                    s += 0.1;
                }
                if s >= PAIR_THRESHOLD {
                    cands.push((s, i, j));
                }
            }
        }
        cands.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        let mut accepted: Vec<(usize, usize)> = Vec::new();
        for (_, i, j) in cands {
            if old_fate[i] != Fate::Open || new_fate[j] != Fate::Open {
                continue;
            }
            // Keep pairs in order: no crossing with an accepted pair.
            if accepted.iter().any(|&(x, y)| (x < i) != (y < j)) {
                continue;
            }
            accepted.push((i, j));
            old_fate[i] = Fate::Paired(j);
            new_fate[j] = Fate::Paired(i);
        }
    }

    // 5. Near-identical moves among what is left.
    let olds: Vec<usize> = (0..a.units.len())
        .filter(|&i| old_fate[i] == Fate::Open)
        .collect();
    let news: Vec<usize> = (0..b.units.len())
        .filter(|&j| new_fate[j] == Fate::Open)
        .collect();
    matching_skipped |= deadline.expired();
    if !matching_skipped && !olds.is_empty() && olds.len() * news.len() <= MAX_PAIR_CANDIDATES {
        let mut cands = Vec::new();
        for &i in &olds {
            for &j in &news {
                let (u, v) = (&a.units[i], &b.units[j]);
                if u.heading == v.heading {
                    let s = similarity(&u.bag, &v.bag);
                    if s >= MOVE_THRESHOLD {
                        cands.push((s, i, j));
                    }
                }
            }
        }
        cands.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        for (_, i, j) in cands {
            if old_fate[i] == Fate::Open && new_fate[j] == Fate::Open {
                old_fate[i] = Fate::Moved(j);
                new_fate[j] = Fate::Moved(i);
            }
        }
    }

    // 6. Rows in new order, deletions where they were in the old document.
    let mut rows = Vec::with_capacity(b.units.len() + a.units.len() / 4);
    let mut stats = Stats::default();
    let mut degraded_rows = 0usize;
    let mut next_old = 0usize; // old units before this one have been placed
    let mut emit_deleted_before = |limit: usize, rows: &mut Vec<Row>, stats: &mut Stats| {
        while next_old < limit.min(a.units.len()) {
            if old_fate[next_old] == Fate::Open {
                let u = &a.units[next_old];
                stats.deleted += 1;
                stats.tokens_deleted += u.tok.len();
                rows.push(Row {
                    kind: RowKind::Deleted,
                    old: Some(a.side(u)),
                    new: None,
                    ops: Vec::new(),
                    degraded: false,
                });
            }
            next_old += 1;
        }
    };
    for j in 0..b.units.len() {
        let v = &b.units[j];
        match new_fate[j] {
            Fate::Paired(i) => {
                emit_deleted_before(i, &mut rows, &mut stats);
                let u = &a.units[i];
                if equal[j] {
                    stats.equal += 1;
                    rows.push(Row {
                        kind: RowKind::Equal,
                        old: Some(a.side(u)),
                        new: Some(b.side(v)),
                        ops: Vec::new(),
                        degraded: false,
                    });
                } else {
                    stats.changed += 1;
                    let row = token_row(RowKind::Changed, &a, u, &b, v, &deadline, &mut stats);
                    degraded_rows += usize::from(row.degraded);
                    rows.push(row);
                }
                emit_deleted_before(i + 1, &mut rows, &mut stats);
            }
            Fate::Moved(i) => {
                stats.moved += 1;
                let row = token_row(
                    RowKind::Moved,
                    &a,
                    &a.units[i],
                    &b,
                    v,
                    &deadline,
                    &mut stats,
                );
                degraded_rows += usize::from(row.degraded);
                rows.push(row);
            }
            Fate::Grouped(g) => {
                let Some((o, n)) = groups.get(g).cloned() else {
                    continue;
                };
                if j != n.start {
                    continue;
                }
                emit_deleted_before(o.start, &mut rows, &mut stats);
                stats.equal += 1;
                rows.push(Row {
                    kind: RowKind::Equal,
                    old: Some(a.group_side(&a.units[o.clone()])),
                    new: Some(b.group_side(&b.units[n])),
                    ops: Vec::new(),
                    degraded: false,
                });
                emit_deleted_before(o.end, &mut rows, &mut stats);
            }
            Fate::Open => {
                stats.inserted += 1;
                stats.tokens_inserted += v.tok.len();
                rows.push(Row {
                    kind: RowKind::Inserted,
                    old: None,
                    new: Some(b.side(v)),
                    ops: Vec::new(),
                    degraded: false,
                });
            }
        }
    }
    emit_deleted_before(a.units.len(), &mut rows, &mut stats);

    let degraded = (degraded_rows > 0 || matching_skipped).then(|| Degraded {
        reason: "deadline",
        rows: degraded_rows,
        message: format!(
            "the {} ms budget ran out: {degraded_rows} rows are shown as whole-sentence replacements{}",
            limits.deadline.as_millis(),
            if matching_skipped {
                "; changed or moved sentences may be shown as deleted and inserted"
            } else {
                ""
            }
        ),
    });
    DocDiff {
        rows,
        stats,
        degraded,
    }
}

/// Most sentences one side of a split group may span.
const MAX_GROUP: usize = 8;

/// If old units from `i` and new units from `j` (each at most up to its `end`) have equal joined
/// keys over some runs, the ends of those runs. Grows the shorter side while it is a prefix of
/// the other, so it costs one failed prefix test for most pairs.
fn grow_group(
    old: &[Unit],
    i: usize,
    old_end: usize,
    new: &[Unit],
    j: usize,
    new_end: usize,
) -> Option<(usize, usize)> {
    let (x, y) = (&old.get(i)?.joined, &new.get(j)?.joined);
    if !(x.starts_with(y.as_str()) || y.starts_with(x.as_str())) {
        return None;
    }
    let (mut a, mut b) = (x.clone(), y.clone());
    let (mut oe, mut ne) = (i + 1, j + 1);
    loop {
        if a == b {
            return Some((oe, ne));
        }
        if a.len() < b.len() && b.starts_with(&a) && oe < old_end && oe - i < MAX_GROUP {
            a.push_str(&old.get(oe)?.joined);
            oe += 1;
        } else if b.len() < a.len() && a.starts_with(&b) && ne < new_end && ne - j < MAX_GROUP {
            b.push_str(&new.get(ne)?.joined);
            ne += 1;
        } else {
            return None;
        }
    }
}

/// A changed or moved row with its token-level operations.
fn token_row(
    kind: RowKind,
    a: &Doc<'_>,
    u: &Unit,
    b: &Doc<'_>,
    v: &Unit,
    deadline: &Deadline,
    stats: &mut Stats,
) -> Row {
    let degraded = deadline.expired();
    let ops: Vec<(DiffTag, Range<usize>, Range<usize>)> = if degraded {
        vec![(DiffTag::Replace, 0..u.tok.len(), 0..v.tok.len())]
    } else {
        let old_ids = a.ids.get(u.tok.clone()).unwrap_or(&[]);
        let new_ids = b.ids.get(v.tok.clone()).unwrap_or(&[]);
        similar::capture_diff_slices_deadline(
            Algorithm::Patience,
            old_ids,
            new_ids,
            Some(instant(deadline)),
        )
        .iter()
        .map(similar::DiffOp::as_tag_tuple)
        .collect()
    };
    let mut out = Vec::with_capacity(ops.len());
    for (tag, o, n) in ops {
        let o = u.tok.start + o.start..u.tok.start + o.end;
        let n = v.tok.start + n.start..v.tok.start + n.end;
        let tag = match tag {
            DiffTag::Equal => OpTag::Equal,
            DiffTag::Insert => OpTag::Insert,
            DiffTag::Delete => OpTag::Delete,
            DiffTag::Replace => OpTag::Replace,
        };
        if tag != OpTag::Equal {
            stats.tokens_deleted += o.len();
            stats.tokens_inserted += n.len();
        }
        out.push(Op {
            tag,
            old: a.span(o, &u.tok),
            new: b.span(n, &v.tok),
        });
    }
    Row {
        kind,
        old: Some(a.side(u)),
        new: Some(b.side(v)),
        ops: out,
        degraded,
    }
}
