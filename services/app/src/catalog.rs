//! The national model as the API shows it: editions, items (filtered by section and kind), and what
//! changed between two editions. Catalogs are built-in data, parsed once per process and shared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use taisho_guideline::{Catalog, EditionChanges, EditionId, EditionInfo, Item, Kind};

use crate::error::{AppError, Result};

/// The built-in catalog of `edition`, parsed on first use. An edition the data does not have is
/// [`AppError::Invalid`].
pub fn catalog(edition: EditionId) -> Result<Arc<Catalog>> {
    type Cache = Mutex<HashMap<EditionId, Arc<Catalog>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(c) = cache.lock().ok().and_then(|m| m.get(&edition).cloned()) {
        return Ok(c);
    }
    if !Catalog::builtin_editions().contains(&edition) {
        return Err(unknown_edition(&edition.to_string()));
    }
    let c = Arc::new(
        Catalog::builtin(edition)
            .map_err(|e| AppError::Unavailable(format!("model {edition}: {e}")))?,
    );
    if let Ok(mut m) = cache.lock() {
        m.insert(edition, Arc::clone(&c));
    }
    Ok(c)
}

fn unknown_edition(input: &str) -> AppError {
    let shown: String = input.chars().take(40).collect();
    AppError::Invalid(format!("モデルの版「{shown}」はありません。"))
}

/// Parses an edition name as users write it (`R5.3`, `令和6年10月版`); `None` means `default`.
/// Unknown editions are [`AppError::Invalid`].
pub fn edition(input: Option<&str>, default: EditionId) -> Result<EditionId> {
    let Some(input) = input else {
        return Ok(default);
    };
    let e: EditionId = input.parse().map_err(|_| unknown_edition(input))?;
    if !Catalog::builtin_editions().contains(&e) {
        return Err(unknown_edition(input));
    }
    Ok(e)
}

/// The editions the product knows, oldest first.
pub fn editions() -> Result<Vec<EditionInfo>> {
    let mut out = Vec::new();
    for e in Catalog::builtin_editions() {
        let c = catalog(e)?;
        if let Some(info) = c.lineage.iter().find(|i| i.id == e) {
            out.push(info.clone());
        }
    }
    Ok(out)
}

/// The section of an item: its layer's id prefix and the first segment of its model path
/// (`KH-6`, `TK-7.1`).
pub fn section_of(item: &Item) -> String {
    let first = item.path.split('/').next().unwrap_or("");
    format!("{}{first}", item.layer.id_prefix())
}

/// Whether `section` (as given in a filter) selects `item`: the item's section exactly, or a
/// chapter containing it (`TK-7` selects `TK-7.1`). Case and surrounding spaces are ignored.
pub fn in_section(item: &Item, section: &str) -> bool {
    section_selects(&section_of(item), section)
}

/// Whether `section` (as given in a filter) selects items of the section `have` (as
/// [`section_of`] writes it): the same section, or a chapter containing it.
pub fn section_selects(have: &str, section: &str) -> bool {
    let want = section.trim().to_ascii_uppercase();
    let have = have.to_ascii_uppercase();
    have == want
        || have
            .strip_prefix(&want)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Item filters of the catalog and the matrix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    pub section: Option<String>,
    pub kind: Option<Kind>,
}

impl ItemFilter {
    pub fn matches(&self, item: &Item) -> bool {
        self.section.as_deref().is_none_or(|s| in_section(item, s))
            && self.kind.is_none_or(|k| item.kind == k)
    }
}

/// The items of `edition` that pass `filter`, in model order.
pub fn items(edition: EditionId, filter: &ItemFilter) -> Result<Vec<Item>> {
    Ok(catalog(edition)?
        .items
        .iter()
        .filter(|i| filter.matches(i))
        .cloned()
        .collect())
}

/// One item of `edition`; an unknown id is NotFound.
pub fn item(edition: EditionId, id: &str) -> Result<Item> {
    catalog(edition)?
        .item(id)
        .cloned()
        .ok_or_else(|| taisho_store::StoreError::NotFound.into())
}

/// What changed from `from` to `to` (any two editions).
pub fn changes(from: EditionId, to: EditionId) -> Result<EditionChanges> {
    Ok(catalog(to)?.changes_since(catalog(from)?.as_ref()))
}

/// A kind by its catalog code (`countermeasure`); unknown codes are [`AppError::Invalid`].
pub fn kind(code: &str) -> Result<Kind> {
    Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == code.trim())
        .ok_or_else(|| AppError::Invalid("項目の種類が正しくありません。".into()))
}

/// What the 例文カタログ page shows: the editions, the one chosen, its items of one layer, and
/// what changed against its base edition.
#[derive(Debug, Clone)]
pub struct CatalogPage {
    pub editions: Vec<EditionInfo>,
    pub edition: EditionInfo,
    pub layer: taisho_guideline::Layer,
    /// The items of the layer, in model order.
    pub items: Vec<Item>,
    /// Against the base edition (`None` for a base edition).
    pub changes: Option<EditionChanges>,
    /// Titles of the items named by `changes` (retired ones from the base edition).
    pub titles: HashMap<String, String>,
}

/// The 例文カタログ of `edition` (as users write it; `None`: `default`) for `layer`. An unknown
/// edition is [`AppError::Invalid`].
pub fn page(
    edition_input: Option<&str>,
    default: EditionId,
    layer: taisho_guideline::Layer,
) -> Result<CatalogPage> {
    let id = edition(edition_input, default)?;
    let editions = editions()?;
    let info = editions
        .iter()
        .find(|e| e.id == id)
        .cloned()
        .ok_or_else(|| unknown_edition(&id.to_string()))?;
    let current = catalog(id)?;
    let items: Vec<Item> = current
        .items
        .iter()
        .filter(|i| i.layer == layer)
        .cloned()
        .collect();
    let mut titles: HashMap<String, String> = current
        .items
        .iter()
        .map(|i| (i.id.clone(), i.title.clone()))
        .collect();
    let changes = match info.base {
        Some(base) => {
            for i in &catalog(base)?.items {
                titles
                    .entry(i.id.clone())
                    .or_insert_with(|| i.title.clone());
            }
            Some(changes(base, id)?)
        }
        None => None,
    };
    Ok(CatalogPage {
        editions,
        edition: info,
        layer,
        items,
        changes,
        titles,
    })
}
