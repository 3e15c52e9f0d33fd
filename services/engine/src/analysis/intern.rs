//! Cheap key interning for the analysis hot paths.
//!
//! Every document token is looked up by its folded key a few times per document (model vocab,
//! diff ids). SipHash dominated those lookups; keys are short, trusted-shape strings from our own
//! folding (HashDoS is not a concern for a per-document, per-process table), so an Fx-style
//! multiply-rotate hash is enough.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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

/// What a folded key is to the model: its similarity vocab id and its morpheme-diff id
/// (`NONE` where it has none).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyIds {
    pub vocab: u32,
    pub diff: u32,
}

impl KeyIds {
    pub const NONE: u32 = u32::MAX;
}

/// One table for both lookups a document token needs, so each token is hashed once.
pub(crate) fn key_table(
    vocab: &FxHashMap<String, u32>,
    diff_vocab: &FxHashMap<Box<str>, u32>,
) -> FxHashMap<Box<str>, KeyIds> {
    let mut out: FxHashMap<Box<str>, KeyIds> = FxHashMap::default();
    for (k, &id) in vocab {
        out.entry(k.as_str().into())
            .or_insert(KeyIds {
                vocab: KeyIds::NONE,
                diff: KeyIds::NONE,
            })
            .vocab = id;
    }
    for (k, &id) in diff_vocab {
        out.entry(k.clone())
            .or_insert(KeyIds {
                vocab: KeyIds::NONE,
                diff: KeyIds::NONE,
            })
            .diff = id;
    }
    out
}

/// Diff ids for keys the model text does not have: fresh ids above the model's, one per
/// distinct key. Two tokens get the same id exactly when their keys are equal, which is all
/// the morpheme diff needs.
pub(crate) struct LocalIds<'t> {
    base: u32,
    map: FxHashMap<&'t str, u32>,
}

impl<'t> LocalIds<'t> {
    pub fn new(model_ids: usize) -> Self {
        Self {
            base: model_ids as u32,
            map: FxHashMap::default(),
        }
    }

    pub fn id(&mut self, key: &'t str) -> u32 {
        let next = self.base + self.map.len() as u32;
        *self.map.entry(key).or_insert(next)
    }
}
