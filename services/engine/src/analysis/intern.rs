//! Cheap key interning for the analysis hot paths.
//!
//! Every document token is looked up by its folded key a few times per document (model vocab,
//! diff ids). SipHash dominated those lookups; keys are short, trusted-shape strings from our own
//! folding (HashDoS is not a concern for a per-document, per-process table), so an Fx-style
//! multiply-rotate hash is enough.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::tokens::{Token, Tokens};

/// The rustc Fx hash: one multiply per word.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;
pub(crate) type FxHashMap<K, V> = HashMap<K, V, FxBuild>;

/// Interns `key` into `vocab`, returning its id (ids are dense, in insertion order).
pub(crate) fn intern(vocab: &mut FxHashMap<Box<str>, u32>, key: &str) -> u32 {
    if let Some(&id) = vocab.get(key) {
        return id;
    }
    let id = vocab.len() as u32;
    vocab.insert(key.into(), id);
    id
}

/// Diff ids of a document's tokens, computed on first use: tokens whose folded key the model
/// text has share the model's id; other keys get fresh ids above the model's vocab. Two tokens
/// get the same id exactly when their keys are equal, which is all the morpheme diff needs.
pub(crate) struct DiffIds<'a> {
    model: &'a FxHashMap<Box<str>, u32>,
    local: FxHashMap<&'a str, u32>,
    /// Per token; `u32::MAX` = not computed yet.
    ids: Vec<u32>,
}

impl<'a> DiffIds<'a> {
    pub fn new(model: &'a FxHashMap<Box<str>, u32>, toks: &Tokens) -> Self {
        Self {
            model,
            local: FxHashMap::default(),
            ids: vec![u32::MAX; toks.tokens.len()],
        }
    }

    /// Id of token `index` (an index into `toks.tokens`).
    pub fn id(&mut self, toks: &'a Tokens, index: usize, token: &'a Token) -> u32 {
        let Some(slot) = self.ids.get_mut(index) else {
            return u32::MAX;
        };
        if *slot != u32::MAX {
            return *slot;
        }
        let key = token.key(toks);
        let id = match self.model.get(key) {
            Some(&id) => id,
            None => {
                let next = (self.model.len() + self.local.len()) as u32;
                *self.local.entry(key).or_insert(next)
            }
        };
        *slot = id;
        id
    }
}
