//! The model side of the analysis, prepared once per (catalog, tokenizer).
//!
//! Every item text and every element surface goes through the same fold → tokens machinery as
//! documents, so a model term and a document word compare equal exactly when the tokens stage
//! says they do (notation, width, placeholders). Preparing costs a few hundred milliseconds;
//! analysing a document then only looks things up.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use taisho_guideline::{Catalog, Item};

use super::intern::{FxHashMap, KeyIds, intern, key_table};
use crate::error::EngineError;
use crate::limits::Limits;
use crate::tokenize::{self, Token, Tokens};
use crate::{PosMajor, Tokenizer};

/// Keys found in more than this share of the model's items say nothing about which item a
/// clause answers (情報, セキュリティ, 対策 …); they are left out of similarity.
const GENERIC_SHARE: f32 = 0.12;
/// Most keys an item contributes to similarity (bit masks of this width are used per node).
pub(crate) const MAX_KEYS: usize = 64;
/// Most elements an item may have (bit masks).
pub(crate) const MAX_ELEMENTS: usize = 64;

/// What a pattern found in a document stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Element(u32),
    FalseFriend(u32),
}

/// A model item ready for alignment.
#[derive(Debug, Clone)]
pub(crate) struct PreparedItem {
    /// Index into the catalog's items.
    pub index: usize,
    /// The item text's tokens: (display surface, folded key), for the morpheme diff.
    pub tokens: Vec<(String, String)>,
    /// Ids of the tokens' keys in [`PreparedModel::diff_vocab`], parallel to `tokens`.
    pub token_ids: Vec<u32>,
    /// Distinct discriminating content keys of the text and their weights (idf).
    pub keys: Vec<(u32, f32)>,
    pub key_total: f32,
    /// Content keys of the title.
    pub title_keys: Vec<(u32, f32)>,
    pub title_total: f32,
    /// Global element ids, in the item's element order (bit `i` of masks = `elements[i]`).
    pub elements: Vec<u32>,
    /// Mask of the elements whose absence is a finding.
    pub required: u64,
    /// Elements the item's title names (外部サービス for 「外部サービス」): without one of them a
    /// clause that shares only side words does not answer the item.
    pub core: u64,
    /// When the title names no element: the required elements fewest items share. Without
    /// one of them only common words (確認, 設置) match, which is not an answer.
    pub rare: u64,
    /// The text is a definition (「…とは、…をいう。」): a clause must define, not just mention.
    pub defining: bool,
    /// Folded text of the model item (hedge and frequency checks).
    pub folded_text: String,
    /// Index of the parent item in `PreparedModel::items`.
    pub parent: Option<usize>,
    /// Indices of the child items.
    pub children: Vec<usize>,
}

/// One element of one item (global ids index `PreparedModel::elements`).
#[derive(Debug, Clone)]
pub(crate) struct PreparedElement;

/// The catalog prepared for one tokenizer: build once, share across documents and threads.
#[derive(Debug, Clone)]
pub struct PreparedModel {
    pub(crate) catalog: Catalog,
    pub(crate) tokenizer: String,
    pub(crate) items: Vec<PreparedItem>,
    pub(crate) elements: Vec<PreparedElement>,
    pub(crate) vocab: FxHashMap<String, u32>,
    /// Every folded key of the item texts (morpheme diff ids; documents map into it).
    pub(crate) diff_vocab: FxHashMap<Box<str>, u32>,
    /// `vocab` and `diff_vocab` in one table: a document token is looked up once.
    pub(crate) keys: FxHashMap<Box<str>, KeyIds>,
    /// Automaton over the folded surfaces (and false friends) of every element.
    pub(crate) folded_ac: Option<AhoCorasick>,
    pub(crate) folded_targets: Vec<Vec<Target>>,
    /// Automaton over the base-form spelling of surfaces that inflect (見直し → 見直す).
    pub(crate) base_ac: Option<AhoCorasick>,
    pub(crate) base_targets: Vec<Vec<Target>>,
}

impl PreparedModel {
    /// Tokenises and folds every item of `catalog` with `tokenizer`.
    pub fn new(catalog: &Catalog, tokenizer: &dyn Tokenizer) -> Result<Self, EngineError> {
        let limits = Limits::default();
        let mut vocab: FxHashMap<String, u32> = FxHashMap::default();
        let mut diff_vocab: FxHashMap<Box<str>, u32> = FxHashMap::default();
        let mut item_keys: Vec<Vec<u32>> = Vec::with_capacity(catalog.items.len());
        let mut item_title_keys: Vec<Vec<u32>> = Vec::with_capacity(catalog.items.len());
        let mut item_tokens = Vec::with_capacity(catalog.items.len());
        let mut folded_texts = Vec::with_capacity(catalog.items.len());
        for item in &catalog.items {
            let text = TextForm::of(&item.text, tokenizer, &limits)?;
            let title = TextForm::of(&item.title, tokenizer, &limits)?;
            item_keys.push(intern_all(&mut vocab, &text.content));
            item_title_keys.push(intern_all(&mut vocab, &title.content));
            folded_texts.push(text.folded.clone());
            item_tokens.push(text.display);
        }

        // Document frequency over items: a key in many items cannot tell them apart.
        let n = catalog.items.len().max(1) as f32;
        let mut df = vec![0u32; vocab.len()];
        for keys in &item_keys {
            for &k in keys {
                df[k as usize] += 1;
            }
        }
        let idf: Vec<f32> = df
            .iter()
            .map(|&d| ((n + 1.0) / (d as f32 + 0.5)).ln().max(0.05))
            .collect();
        let generic = |k: u32| df[k as usize] as f32 > n * GENERIC_SHARE;

        let index_of: HashMap<&str, usize> = catalog
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.as_str(), i))
            .collect();

        // How many items name each element term: the rarest of an item's terms is what it is
        // about (庁外 in 「庁外にサーバ等を設置…確認」), the common ones (確認, 設置) are not.
        let mut term_items: HashMap<String, u32> = HashMap::new();
        for item in &catalog.items {
            let mut seen: Vec<String> = item
                .elements
                .iter()
                .map(|e| crate::fold::fold_str(&e.term))
                .collect();
            seen.sort();
            seen.dedup();
            for t in seen {
                *term_items.entry(t).or_insert(0) += 1;
            }
        }
        let mut patterns = PatternSet::default();
        let mut elements = Vec::new();
        let mut items = Vec::with_capacity(catalog.items.len());
        for (index, item) in catalog.items.iter().enumerate() {
            let mut keys: Vec<(u32, f32)> = item_keys[index]
                .iter()
                .filter(|&&k| !generic(k))
                .map(|&k| (k, idf[k as usize]))
                .collect();
            keys.sort_by(|a, b| b.1.total_cmp(&a.1));
            keys.truncate(MAX_KEYS);
            let title_keys: Vec<(u32, f32)> = item_title_keys[index]
                .iter()
                .map(|&k| (k, idf[k as usize]))
                .collect();
            let mut ids = Vec::new();
            let mut required = 0u64;
            let mut core = 0u64;
            let mut rare = 0u64;
            let title = crate::fold::fold_str(&item.title);
            for (slot, el) in item.elements.iter().enumerate().take(MAX_ELEMENTS) {
                let gid = elements.len() as u32;
                elements.push(PreparedElement);
                ids.push(gid);
                if el.required {
                    required |= 1 << slot;
                }
                if el.required
                    && el.surfaces().any(|t| {
                        let t = crate::fold::fold_str(t);
                        !t.is_empty() && (title.contains(&t) || t.contains(&title))
                    })
                {
                    core |= 1 << slot;
                }
                for surface in el.surfaces() {
                    patterns.add(surface, Target::Element(gid), tokenizer, &limits)?;
                }
                for ff in &el.false_friends {
                    patterns.add(ff, Target::FalseFriend(gid), tokenizer, &limits)?;
                }
            }
            if core == 0 {
                let freq = |e: &taisho_guideline::Element| {
                    term_items
                        .get(&crate::fold::fold_str(&e.term))
                        .copied()
                        .unwrap_or(1)
                };
                let req: Vec<(usize, u32)> = item
                    .elements
                    .iter()
                    .enumerate()
                    .take(MAX_ELEMENTS)
                    .filter(|(_, e)| e.required)
                    .map(|(i, e)| (i, freq(e)))
                    .collect();
                let min = req.iter().map(|r| r.1).min().unwrap_or(0);
                let max = req.iter().map(|r| r.1).max().unwrap_or(0);
                if req.len() > 1 && min < max {
                    rare = req
                        .iter()
                        .filter(|r| r.1 == min)
                        .fold(0, |m, r| m | (1 << r.0));
                }
            }
            let token_ids = item_tokens[index]
                .iter()
                .map(|(_, key)| intern(&mut diff_vocab, key))
                .collect();
            items.push(PreparedItem {
                index,
                tokens: item_tokens[index].clone(),
                token_ids,
                key_total: keys.iter().map(|k| k.1).sum(),
                keys,
                title_total: title_keys.iter().map(|k| k.1).sum(),
                title_keys,
                elements: ids,
                required,
                core,
                rare,
                defining: is_definition_text(item),
                folded_text: folded_texts[index].clone(),
                parent: item
                    .parent
                    .as_deref()
                    .and_then(|p| index_of.get(p).copied()),
                children: Vec::new(),
            });
        }
        for i in 0..items.len() {
            if let Some(p) = items[i].parent {
                items[p].children.push(i);
            }
        }
        let (folded_ac, folded_targets) = patterns.folded.build()?;
        let (base_ac, base_targets) = patterns.base.build()?;
        Ok(Self {
            catalog: catalog.clone(),
            tokenizer: tokenizer.name().to_owned(),
            items,
            elements,
            keys: key_table(&vocab, &diff_vocab),
            vocab,
            diff_vocab,
            folded_ac,
            folded_targets,
            base_ac,
            base_targets,
        })
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Name of the tokenizer the model was prepared with; documents must use the same one.
    pub fn tokenizer(&self) -> &str {
        &self.tokenizer
    }

    pub(crate) fn item(&self, i: usize) -> &Item {
        &self.catalog.items[self.items[i].index]
    }
}

fn is_definition_text(item: &Item) -> bool {
    item.kind == taisho_guideline::Kind::Definition && item.text.contains("とは")
}

fn intern_all(vocab: &mut FxHashMap<String, u32>, keys: &[String]) -> Vec<u32> {
    let mut out: Vec<u32> = keys
        .iter()
        .map(|k| {
            let next = vocab.len() as u32;
            *vocab.entry(k.clone()).or_insert(next)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A short text (item text, title, element surface) as the tokens stage sees it.
pub(crate) struct TextForm {
    /// Concatenated folded keys.
    pub folded: String,
    /// Concatenated base forms (keys where there is none).
    pub base: String,
    /// Content keys (see [`content_key`]).
    pub content: Vec<String>,
    /// (original surface, folded key) per token.
    pub display: Vec<(String, String)>,
}

impl TextForm {
    pub fn of(text: &str, tokenizer: &dyn Tokenizer, limits: &Limits) -> Result<Self, EngineError> {
        let mut form = TextForm {
            folded: String::new(),
            base: String::new(),
            content: Vec::new(),
            display: Vec::new(),
        };
        if text.trim().is_empty() {
            return Ok(form);
        }
        let doc = crate::read_traced(text.as_bytes(), None, limits, false)?;
        let toks = tokenize::tokenize_untraced(&doc, tokenizer, limits)?;
        for t in &toks.tokens {
            let key = t.key(&toks);
            form.folded.push_str(key);
            form.base.push_str(t.base.as_deref().unwrap_or(key));
            if let Some(k) = content_key(t, &toks) {
                form.content.push(k.to_owned());
            }
            form.display
                .push((t.surface(&doc).to_owned(), key.to_owned()));
        }
        Ok(form)
    }
}

/// The key a token contributes to similarity: nouns by their folded form, inflecting words by
/// their dictionary form (見直し / 見直す agree); particles, symbols and one-kana words none.
pub(crate) fn content_key<'t>(t: &'t Token, toks: &'t Tokens) -> Option<&'t str> {
    if !t.pos.is_content() {
        return None;
    }
    let key = match t.pos.major {
        PosMajor::Verb | PosMajor::Adjective => t.base.as_deref().unwrap_or(t.key(toks)),
        _ => t.key(toks),
    };
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (None, _) => None,
        (Some(c), None) if ('\u{3041}'..='\u{309F}').contains(&c) || c.is_ascii_punctuation() => {
            None
        }
        _ => Some(key),
    }
}

#[derive(Default)]
struct PatternSet {
    folded: Patterns,
    base: Patterns,
}

impl PatternSet {
    fn add(
        &mut self,
        surface: &str,
        target: Target,
        tokenizer: &dyn Tokenizer,
        limits: &Limits,
    ) -> Result<(), EngineError> {
        let form = TextForm::of(surface, tokenizer, limits)?;
        if form.folded.is_empty() {
            return Ok(());
        }
        // Base forms only help where the surface inflects; false friends stay literal.
        if form.base != form.folded && matches!(target, Target::Element(_)) {
            self.base.add(form.base, target);
        }
        self.folded.add(form.folded, target);
        Ok(())
    }
}

#[derive(Default)]
struct Patterns {
    index: HashMap<String, usize>,
    list: Vec<String>,
    targets: Vec<Vec<Target>>,
}

impl Patterns {
    fn add(&mut self, pattern: String, target: Target) {
        let i = *self.index.entry(pattern.clone()).or_insert_with(|| {
            self.list.push(pattern);
            self.targets.push(Vec::new());
            self.list.len() - 1
        });
        if !self.targets[i].contains(&target) {
            self.targets[i].push(target);
        }
    }

    fn build(self) -> Result<(Option<AhoCorasick>, Vec<Vec<Target>>), EngineError> {
        if self.list.is_empty() {
            return Ok((None, self.targets));
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&self.list)
            .map_err(|e| EngineError::Tokeniser {
                reason: format!("element patterns: {e}"),
            })?;
        Ok((Some(ac), self.targets))
    }
}
