//! Patience diff over interned key ids, op for op the same as
//! `similar::capture_diff_slices(Algorithm::Patience, a, b)` (similar 2.7).
//!
//! similar finds the unique elements of each side with a SipHash map per call; the analysis
//! diffs a few hundred short token sequences per document, where that map was most of the
//! diff's cost. Here the unique elements come from a sort of (id, index) pairs, and the gaps
//! between unique matches that are empty on one side are emitted directly instead of through
//! a Myers call (which does exactly that for them, after allocating its work vectors). The
//! recursion, hooks and Myers itself are similar's, so the operations are identical.

use std::ops::Range;

use similar::DiffOp;
use similar::algorithms::{Capture, Compact, DiffHook, NoFinishHook, Replace, myers};

/// Patience diff of `a` (old) against `b` (new) with similar's Compact + Replace + Capture
/// pipeline, as `capture_diff_slices` builds it.
pub(crate) fn capture_patience(a: &[u32], b: &[u32]) -> Vec<DiffOp> {
    let mut d = Compact::new(Replace::new(Capture::new()), a, b);
    // Capture's error type is Infallible.
    let Ok(()) = diff(&mut d, a, b);
    d.into_inner().into_inner().into_ops()
}

/// Ids up to this are counted in a dense table; larger ones (never from the analysis, whose
/// ids are dense) by sorting.
const DENSE_IDS: u32 = 1 << 20;

thread_local! {
    /// Occurrence counts per id, all zero between calls.
    static COUNTS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Indices of the elements of `seq` that occur exactly once, ascending.
fn unique(seq: &[u32]) -> Vec<usize> {
    let max = seq.iter().copied().max().unwrap_or(0);
    if max < DENSE_IDS {
        let dense = COUNTS.with(|c| {
            let Ok(mut counts) = c.try_borrow_mut() else {
                return None;
            };
            if counts.len() <= max as usize {
                counts.resize(max as usize + 1, 0);
            }
            for &v in seq {
                counts[v as usize] += 1;
            }
            let out: Vec<usize> = (0..seq.len())
                .filter(|&i| counts[seq[i] as usize] == 1)
                .collect();
            for &v in seq {
                counts[v as usize] = 0;
            }
            Some(out)
        });
        if let Some(out) = dense {
            return out;
        }
    }
    let mut pairs: Vec<(u32, u32)> = seq
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, i as u32))
        .collect();
    pairs.sort_unstable();
    let mut out = Vec::new();
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i + 1;
        while j < pairs.len() && pairs[j].0 == pairs[i].0 {
            j += 1;
        }
        if j == i + 1 {
            out.push(pairs[i].1 as usize);
        }
        i = j;
    }
    out.sort_unstable();
    out
}

fn diff<D: DiffHook>(d: &mut D, a: &[u32], b: &[u32]) -> Result<(), D::Error> {
    let old_indexes = unique(a);
    let new_indexes = unique(b);
    let old_values: Vec<u32> = old_indexes.iter().map(|&i| a[i]).collect();
    let new_values: Vec<u32> = new_indexes.iter().map(|&i| b[i]).collect();
    let mut d = Replace::new(Patience {
        d,
        old: a,
        old_current: 0,
        old_indexes: &old_indexes,
        new: b,
        new_current: 0,
        new_indexes: &new_indexes,
    });
    myers::diff_deadline(
        &mut d,
        &old_values[..],
        0..old_values.len(),
        &new_values[..],
        0..new_values.len(),
        None,
    )
}

struct Patience<'a, D> {
    d: &'a mut D,
    old: &'a [u32],
    old_current: usize,
    old_indexes: &'a [usize],
    new: &'a [u32],
    new_current: usize,
    new_indexes: &'a [usize],
}

/// Myers over a gap between unique matches. A gap empty on one side is a plain delete or
/// insert (Myers' own first steps for it: no common prefix or suffix is possible).
fn gap<D: DiffHook>(
    d: &mut D,
    old: &[u32],
    old_range: Range<usize>,
    new: &[u32],
    new_range: Range<usize>,
) -> Result<(), D::Error> {
    match (old_range.is_empty(), new_range.is_empty()) {
        (true, true) => Ok(()),
        (false, true) => d.delete(old_range.start, old_range.len(), new_range.start),
        (true, false) => d.insert(old_range.start, new_range.start, new_range.len()),
        (false, false) => {
            let mut no_finish = NoFinishHook::new(d);
            myers::diff_deadline(&mut no_finish, old, old_range, new, new_range, None)
        }
    }
}

impl<D: DiffHook> DiffHook for Patience<'_, D> {
    type Error = D::Error;

    fn equal(&mut self, old: usize, new: usize, len: usize) -> Result<(), D::Error> {
        for (old, new) in (old..old + len).zip(new..new + len) {
            let a0 = self.old_current;
            let b0 = self.new_current;
            let old_to = self.old_indexes[old];
            let new_to = self.new_indexes[new];
            while self.old_current < old_to
                && self.new_current < new_to
                && self.new[self.new_current] == self.old[self.old_current]
            {
                self.old_current += 1;
                self.new_current += 1;
            }
            if self.old_current > a0 {
                self.d.equal(a0, b0, self.old_current - a0)?;
            }
            gap(
                self.d,
                self.old,
                self.old_current..old_to,
                self.new,
                self.new_current..new_to,
            )?;
            self.old_current = old_to;
            self.new_current = new_to;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), D::Error> {
        myers::diff_deadline(
            self.d,
            self.old,
            self.old_current..self.old.len(),
            self.new,
            self.new_current..self.new.len(),
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use similar::Algorithm;

    /// Small deterministic generator: sequences over a tiny alphabet repeat a lot, which is
    /// where patience and Myers interleave.
    fn seq(state: &mut u64, len: usize, alphabet: u32) -> Vec<u32> {
        (0..len)
            .map(|_| {
                *state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((*state >> 33) as u32) % alphabet
            })
            .collect()
    }

    #[test]
    fn unique_is_the_same_dense_or_sorted() {
        let seq = [5, 3, 5, 9, 1, 3, 7];
        assert_eq!(unique(&seq), vec![3, 4, 6]);
        let big = [DENSE_IDS + 5, 3, DENSE_IDS + 5, 9];
        assert_eq!(unique(&big), vec![1, 3]);
    }

    #[test]
    fn patience_ops_equal_similars_on_random_sequences() {
        let mut state = 7u64;
        for round in 0..3000 {
            let alphabet = 2 + (round % 40) as u32;
            let la = (round * 7) % 60;
            let lb = (round * 13) % 70;
            let a = seq(&mut state, la, alphabet);
            let mut b = seq(&mut state, lb, alphabet);
            if round % 3 == 0 {
                // Mostly equal sequences, like a policy clause and its model text.
                b = a.clone();
                if !b.is_empty() {
                    let k = round % b.len();
                    b[k] = alphabet + 1;
                    b.insert(k / 2, alphabet + 2);
                }
            }
            assert_eq!(
                capture_patience(&a, &b),
                similar::capture_diff_slices(Algorithm::Patience, &a, &b),
                "{a:?} vs {b:?}"
            );
        }
    }
}
