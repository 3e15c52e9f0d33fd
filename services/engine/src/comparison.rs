//! Many policies side by side: the bodies × items matrix of statuses, and which bodies share
//! whose text ("who copied whom").
//!
//! Similarity is measured on folded token 5-shingles (notation, width and body placeholders
//! already folded, so 順守 / 遵守 or 本市 / 本町 do not hide a copy): Jaccard for "how alike",
//! and containment |A∩B| / |A| for "how much of A is found in B" (a small body that copied a
//! large one's 基本方針 has a high containment in it and a low Jaccard).
//!
//! ```text
//! Shingles::of(&tokens)                     // per document, after tokenising
//! Comparison::of(vec![Entry { name, source, analysis, shingles }, …])
//!   → Comparison { edition, bodies, matrix, similarity }   (Serialize: the compare JSON)
//! ```
//!
//! Data only: the caller reads the documents and renders the result.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use crate::analysis::{Analysis, FindingStatus};
use crate::tokenize::Tokens;

/// Version of the comparison JSON.
pub const FORMAT_VERSION: u32 = 1;

/// Tokens per shingle.
const SHINGLE: usize = 5;

/// The fingerprint of a document's text: hashes of its folded token 5-shingles (every token,
/// particles included: a copy keeps them too, and they make shingles specific).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shingles(HashSet<u64>);

impl Shingles {
    pub fn of(toks: &Tokens) -> Shingles {
        let keys: Vec<&str> = (0..toks.tokens.len()).map(|i| toks.key(i)).collect();
        Shingles(
            keys.windows(SHINGLE)
                .map(|w| {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    w.hash(&mut h);
                    h.finish()
                })
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<u64> for Shingles {
    fn from_iter<I: IntoIterator<Item = u64>>(iter: I) -> Shingles {
        Shingles(iter.into_iter().collect())
    }
}

/// One document going into a comparison.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The body's short name (a file stem, an organisation's name).
    pub name: String,
    /// Where the text came from (a path, a version), shown beside the name.
    pub source: String,
    pub analysis: Analysis,
    pub shingles: Shingles,
}

/// One body's counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Body {
    pub name: String,
    /// [`Entry::source`].
    pub file: String,
    pub covered: usize,
    pub weakened: usize,
    pub omitted: usize,
    pub out_of_scope: usize,
}

/// One model item across the bodies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub item: String,
    pub title: String,
    /// One status per body, in `bodies` order.
    pub statuses: Vec<FindingStatus>,
}

/// How much two bodies share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    pub jaccard: f64,
    /// Share of a's shingles found in b.
    pub a_in_b: f64,
    pub b_in_a: f64,
}

/// The comparison of many bodies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub format_version: u32,
    pub edition: String,
    pub bodies: Vec<Body>,
    pub matrix: Vec<Row>,
    /// Every pair of bodies, most similar first.
    pub similarity: Vec<Pair>,
}

impl Comparison {
    /// Compares `entries` (their analyses against one edition); `None` without any. The matrix
    /// has the first entry's items, in its order.
    pub fn of(entries: Vec<Entry>) -> Option<Comparison> {
        let first = entries.first()?;
        let matrix = first
            .analysis
            .findings
            .iter()
            .map(|f| Row {
                item: f.item.clone(),
                title: f.title.clone(),
                statuses: entries
                    .iter()
                    .map(|e| {
                        e.analysis
                            .finding(&f.item)
                            .map_or(FindingStatus::OutOfScope, |g| g.status)
                    })
                    .collect(),
            })
            .collect();
        let edition = first.analysis.edition.clone();
        let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
        let sets: Vec<&Shingles> = entries.iter().map(|e| &e.shingles).collect();
        let similarity = similarity(&names, &sets);
        let bodies = entries
            .into_iter()
            .map(|e| Body {
                name: e.name,
                file: e.source,
                covered: e.analysis.summary.covered,
                weakened: e.analysis.summary.weakened,
                omitted: e.analysis.summary.omitted,
                out_of_scope: e.analysis.summary.out_of_scope,
            })
            .collect();
        Some(Comparison {
            format_version: FORMAT_VERSION,
            edition,
            bodies,
            matrix,
            similarity,
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Every pair of `sets` (named by `names`), most similar first.
pub fn similarity(names: &[String], sets: &[&Shingles]) -> Vec<Pair> {
    let mut pairs = Vec::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            let (a, b) = (&sets[i].0, &sets[j].0);
            let inter = a.intersection(b).count() as f64;
            let union = (a.len() + b.len()) as f64 - inter;
            let ratio = |n: f64, d: usize| if d == 0 { 0.0 } else { round3(n / d as f64) };
            pairs.push(Pair {
                a: names[i].clone(),
                b: names[j].clone(),
                jaccard: if union > 0.0 {
                    round3(inter / union)
                } else {
                    0.0
                },
                a_in_b: ratio(inter, a.len()),
                b_in_a: ratio(inter, b.len()),
            });
        }
    }
    pairs.sort_by(|x, y| {
        y.jaccard
            .total_cmp(&x.jaccard)
            .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
    });
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sets_are_fully_similar_and_disjoint_ones_not() {
        let a: Shingles = [1, 2, 3, 4].into_iter().collect();
        let b: Shingles = [1, 2].into_iter().collect();
        let c: Shingles = [9].into_iter().collect();
        let names = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let pairs = similarity(&names, &[&a, &b, &c]);
        let ab = pairs
            .iter()
            .find(|p| p.a == "a" && p.b == "b")
            .expect("pair a b");
        assert_eq!((ab.jaccard, ab.a_in_b, ab.b_in_a), (0.5, 0.5, 1.0));
        let ac = pairs
            .iter()
            .find(|p| p.a == "a" && p.b == "c")
            .expect("pair a c");
        assert_eq!(ac.jaccard, 0.0);
        assert_eq!(pairs[0].a, "a", "most similar first");
    }
}
