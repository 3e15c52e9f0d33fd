//! The resolved catalog of one edition and the differences between two editions.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::load::{self, Source};
use crate::model::{Item, Layer};
use crate::{CatalogError, EditionId};

/// One edition in a catalog's lineage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditionInfo {
    pub id: EditionId,
    /// Japanese name (`令和6年10月版`).
    pub title: String,
    /// Publication date as the data states it (`2024-10-02`).
    pub date: Option<String>,
    pub summary: Option<String>,
    /// The edition this one states its changes against (`None` for a base edition).
    pub base: Option<EditionId>,
}

/// An item an edition removed from the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retired {
    pub id: String,
    /// The edition that retired it.
    pub edition: EditionId,
    pub reason: Option<String>,
    /// The item that took its place, if any.
    pub replaced_by: Option<String>,
}

/// The national model as of one edition: every item in model order.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    pub edition: EditionId,
    /// The editions applied, base edition first, ending with `edition`.
    pub lineage: Vec<EditionInfo>,
    pub items: Vec<Item>,
    /// Items that editions in the lineage removed.
    pub retired: Vec<Retired>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl Catalog {
    pub(crate) fn new(
        edition: EditionId,
        lineage: Vec<EditionInfo>,
        items: Vec<Item>,
        retired: Vec<Retired>,
    ) -> Catalog {
        let index = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id.clone(), i))
            .collect();
        Catalog {
            edition,
            lineage,
            items,
            retired,
            index,
        }
    }

    /// The built-in catalog of `edition` (embedded data; reads no files). Parsing takes a few
    /// milliseconds: load once and share.
    pub fn builtin(edition: EditionId) -> Result<Catalog, CatalogError> {
        load::load(&Source::Builtin, edition)
    }

    /// Same as [`Catalog::builtin`]: resolves `edition` through its chain of base editions.
    pub fn load(edition: EditionId) -> Result<Catalog, CatalogError> {
        Catalog::builtin(edition)
    }

    /// The built-in catalog of the default baseline ([`EditionId::DEFAULT`], R5.3).
    pub fn builtin_default() -> Result<Catalog, CatalogError> {
        Catalog::builtin(EditionId::DEFAULT)
    }

    /// A custom catalog from a directory laid out like the crate's `data/` directory.
    pub fn from_dir(dir: impl AsRef<Path>, edition: EditionId) -> Result<Catalog, CatalogError> {
        load::load(&Source::Dir(dir.as_ref()), edition)
    }

    /// The editions the built-in data has, oldest first.
    pub fn builtin_editions() -> Vec<EditionId> {
        Source::Builtin.editions()
    }

    /// The item with this ID, if the edition has it.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.index.get(id).map(|&i| &self.items[i])
    }

    /// The items of one layer, in model order.
    pub fn items_in(&self, layer: Layer) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.layer == layer)
    }

    /// The items whose nearest enclosing item is `id` (the threats under `KH-3`, …).
    pub fn children<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Item> {
        self.items
            .iter()
            .filter(move |i| i.parent.as_deref() == Some(id))
    }

    /// Whether an item was retired in this catalog's lineage.
    pub fn retired(&self, id: &str) -> Option<&Retired> {
        self.retired.iter().find(|r| r.id == id)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// What changed from `older` to `self`: items added, changed (with the fields that differ)
    /// and retired. Works between any two catalogs, not only an edition and its direct base.
    pub fn changes_since(&self, older: &Catalog) -> EditionChanges {
        let added = self
            .items
            .iter()
            .filter(|i| older.item(&i.id).is_none())
            .map(|i| i.id.clone())
            .collect();
        let retired = older
            .items
            .iter()
            .filter(|i| self.item(&i.id).is_none())
            .map(|i| i.id.clone())
            .collect();
        let changed = self
            .items
            .iter()
            .filter_map(|new| {
                let old = older.item(&new.id)?;
                let fields = changed_fields(old, new);
                (!fields.is_empty()).then(|| ItemChange {
                    id: new.id.clone(),
                    fields,
                })
            })
            .collect();
        EditionChanges {
            from: older.edition,
            to: self.edition,
            added,
            changed,
            retired,
        }
    }
}

/// The difference between two editions of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditionChanges {
    pub from: EditionId,
    pub to: EditionId,
    pub added: Vec<String>,
    pub changed: Vec<ItemChange>,
    pub retired: Vec<String>,
}

impl EditionChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.retired.is_empty()
    }
}

/// One item present in both editions whose content differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemChange {
    pub id: String,
    /// Names of the fields that differ, as in the data files.
    pub fields: Vec<&'static str>,
}

fn changed_fields(old: &Item, new: &Item) -> Vec<&'static str> {
    // `parent` and `since` are derived from the edition chain, not content: leave them out.
    let checks: [(&'static str, bool); 16] = [
        ("path", old.path != new.path),
        ("title", old.title != new.title),
        ("kind", old.kind != new.kind),
        ("modality", old.modality != new.modality),
        (
            "secondary_modality",
            old.secondary_modality != new.secondary_modality,
        ),
        ("hedges", old.hedges != new.hedges),
        ("elements", old.elements != new.elements),
        ("frequency", old.frequency != new.frequency),
        ("thresholds", old.thresholds != new.thresholds),
        ("evidence", old.evidence != new.evidence),
        ("confidence", old.confidence != new.confidence),
        ("status", old.status != new.status),
        ("summary", old.summary != new.summary),
        ("text", old.text != new.text),
        ("note", old.note != new.note),
        ("layer", old.layer != new.layer),
    ];
    checks
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect()
}
