//! The model catalog: editions, items with their kinds, sections and key elements, and what
//! changed between editions. Public reference data: any authenticated caller reads it.
//!
//! The lists are in memory, but each counts per element in the complexity, with the catalog's own
//! sizes (the editions, the items an edition has for the filter, the most elements an item has):
//! thirty aliases of every edition's items with their elements were a 15 MB answer.

use std::sync::OnceLock;

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use taisho_app::catalog::{self as app, ItemFilter};
use taisho_guideline::{Catalog, EditionInfo, Item, Kind, Layer};

use crate::context::request;
use crate::documents::edition_arg;
use crate::error::ResultExt;

/// The catalog's sizes, read once: the complexity of its lists.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    editions: usize,
    /// The most items an edition has.
    items: usize,
    /// The most key elements an item has, and the most required ones.
    elements: usize,
    required: usize,
    /// The most spellings (variants and synonyms) an element has.
    variants: usize,
}

fn sizes() -> Sizes {
    static SIZES: OnceLock<Sizes> = OnceLock::new();
    *SIZES.get_or_init(|| {
        let mut s = Sizes {
            editions: 0,
            items: 0,
            elements: 0,
            required: 0,
            variants: 0,
        };
        for e in Catalog::builtin_editions() {
            let Ok(c) = app::catalog(e) else { continue };
            s.editions += 1;
            s.items = s.items.max(c.items.len());
            for i in &c.items {
                s.elements = s.elements.max(i.elements.len());
                s.required = s.required.max(i.required_elements().count());
                for el in &i.elements {
                    s.variants = s.variants.max(el.variants.len() + el.synonyms.len());
                }
            }
        }
        s
    })
}

/// Complexity of a list of at most `n` elements, each costing `child` (scalars cost 1).
fn sized(n: usize, child: usize) -> usize {
    n.max(1).saturating_mul(child.max(1)).saturating_add(1)
}

/// Complexity of `editions`.
pub fn editions_cost(child: usize) -> usize {
    sized(sizes().editions, child)
}

/// Complexity of `Edition.items(section, kind)`: the most items an edition has for the filter.
pub fn items_cost(section: Option<&str>, kind: Option<ModelItemKind>, child: usize) -> usize {
    let n = if section.is_none() && kind.is_none() {
        sizes().items
    } else {
        let filter = ItemFilter {
            section: section.map(str::to_owned),
            kind: kind.map(Into::into),
        };
        Catalog::builtin_editions()
            .into_iter()
            .filter_map(|e| app::catalog(e).ok())
            .map(|c| c.items.iter().filter(|i| filter.matches(i)).count())
            .max()
            .unwrap_or(0)
    };
    sized(n, child)
}

/// Complexity of `ModelItem.elements`.
pub fn elements_cost(child: usize) -> usize {
    sized(sizes().elements, child)
}

/// Complexity of `ModelItem.keyElements`.
pub fn key_elements_cost() -> usize {
    sized(sizes().required, 1)
}

/// Complexity of `KeyElement.variants`.
pub fn variants_cost() -> usize {
    sized(sizes().variants, 1)
}

/// What a model item is about.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelItemKind {
    /// Defines a term, a scope or a classification.
    Definition,
    /// Names a threat the policy assumes.
    Threat,
    /// A security measure.
    Countermeasure,
    /// A role, body or duty of the security organisation.
    Organisation,
    /// A management process: planning, reporting, audit, review, exceptions, sanctions.
    Process,
}

impl From<Kind> for ModelItemKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Definition => ModelItemKind::Definition,
            Kind::Threat => ModelItemKind::Threat,
            Kind::Countermeasure => ModelItemKind::Countermeasure,
            Kind::Organisation => ModelItemKind::Organisation,
            Kind::Process => ModelItemKind::Process,
        }
    }
}

impl From<ModelItemKind> for Kind {
    fn from(k: ModelItemKind) -> Self {
        match k {
            ModelItemKind::Definition => Kind::Definition,
            ModelItemKind::Threat => Kind::Threat,
            ModelItemKind::Countermeasure => Kind::Countermeasure,
            ModelItemKind::Organisation => Kind::Organisation,
            ModelItemKind::Process => Kind::Process,
        }
    }
}

/// Which document of the model an item belongs to.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelLayer {
    /// 情報セキュリティ基本方針.
    Kihon,
    /// 情報セキュリティ対策基準.
    Taisaku,
}

/// A key element of an item: a term whose presence shows that a clause covers this part.
#[derive(SimpleObject, Debug, Clone)]
pub struct KeyElement {
    pub term: String,
    /// Other spellings and accepted synonyms.
    #[graphql(complexity = "crate::catalog::variants_cost()")]
    pub variants: Vec<String>,
    /// Whether a clause lacking it is weakened (`false`: an example the model gives).
    pub required: bool,
}

/// One item of the national model.
pub struct ModelItem(pub Item);

#[Object]
impl ModelItem {
    /// Stable id (`KH-6-3-1`, `TK-7.1-6a`).
    async fn id(&self) -> &str {
        &self.0.id
    }

    /// Japanese 見出し.
    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn kind(&self) -> ModelItemKind {
        self.0.kind.into()
    }

    /// The layer prefix and the model's first numbering level (`KH-6`, `TK-7.1`).
    async fn section(&self) -> String {
        app::section_of(&self.0)
    }

    async fn layer(&self) -> ModelLayer {
        match self.0.layer {
            Layer::Kihon => ModelLayer::Kihon,
            Layer::Taisaku => ModelLayer::Taisaku,
        }
    }

    /// Numbering in the model (`6/(3)/①`).
    async fn path(&self) -> &str {
        &self.0.path
    }

    /// The required key elements' terms.
    #[graphql(complexity = "crate::catalog::key_elements_cost()")]
    async fn key_elements(&self) -> Vec<String> {
        self.0.required_elements().map(|e| e.term.clone()).collect()
    }

    /// Every key element with its spellings.
    #[graphql(complexity = "crate::catalog::elements_cost(child_complexity)")]
    async fn elements(&self) -> Vec<KeyElement> {
        self.0
            .elements
            .iter()
            .map(|e| KeyElement {
                term: e.term.clone(),
                variants: e.variants.iter().chain(&e.synonyms).cloned().collect(),
                required: e.required,
            })
            .collect()
    }

    /// The item's content in plain Japanese (what evidence shows as the model).
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// `normative`, `placeholder` or `lineage`.
    async fn status(&self) -> &str {
        self.0.status.as_str()
    }

    /// The edition that introduced the item, when later than the baseline.
    async fn since(&self) -> Option<String> {
        self.0.since.map(|e| e.to_string())
    }
}

/// An item present in both editions whose content differs.
#[derive(SimpleObject, Debug, Clone)]
pub struct ItemChange {
    pub id: String,
    /// Names of the fields that differ (`title`, `elements`, …).
    pub fields: Vec<String>,
}

/// What changed from one edition to another.
#[derive(SimpleObject, Debug, Clone)]
pub struct EditionChanges {
    pub from: String,
    pub to: String,
    pub added: Vec<String>,
    pub changed: Vec<ItemChange>,
    pub retired: Vec<String>,
}

/// One edition of the national model (令和5年3月版 = `R5.3`).
pub struct Edition(pub EditionInfo);

#[Object]
impl Edition {
    /// `R5.3`.
    async fn id(&self) -> String {
        self.0.id.to_string()
    }

    /// `令和5年3月版`.
    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn date(&self) -> Option<&str> {
        self.0.date.as_deref()
    }

    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The edition this one states its changes against.
    async fn base(&self) -> Option<String> {
        self.0.base.map(|e| e.to_string())
    }

    /// Items in model order, optionally of one section (`TK-6` includes `TK-6.1`) or kind.
    #[graphql(
        complexity = "crate::catalog::items_cost(section.as_deref(), kind, child_complexity)"
    )]
    async fn items(
        &self,
        section: Option<String>,
        kind: Option<ModelItemKind>,
    ) -> Result<Vec<ModelItem>> {
        let filter = ItemFilter {
            section,
            kind: kind.map(Into::into),
        };
        Ok(app::items(self.0.id, &filter)
            .gql()?
            .into_iter()
            .map(ModelItem)
            .collect())
    }

    /// One item; `NOT_FOUND` when the edition has none with this id.
    async fn item(&self, id: String) -> Result<ModelItem> {
        app::item(self.0.id, &id).gql().map(ModelItem)
    }

    /// What changed from `edition` (any other edition) to this one.
    async fn changes_from(&self, ctx: &Context<'_>, edition: String) -> Result<EditionChanges> {
        let from = edition_arg(ctx, Some(&edition))?;
        let c = app::changes(from, self.0.id).gql()?;
        Ok(EditionChanges {
            from: c.from.to_string(),
            to: c.to.to_string(),
            added: c.added,
            changed: c
                .changed
                .into_iter()
                .map(|ch| ItemChange {
                    id: ch.id,
                    fields: ch.fields.into_iter().map(str::to_owned).collect(),
                })
                .collect(),
            retired: c.retired,
        })
    }
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The editions of the national model, oldest first.
    #[graphql(complexity = "crate::catalog::editions_cost(child_complexity)")]
    async fn editions(&self, ctx: &Context<'_>) -> Result<Vec<Edition>> {
        request(ctx)?.scope().await?;
        Ok(app::editions().gql()?.into_iter().map(Edition).collect())
    }

    /// One edition (`R5.3`, `令和6年10月版`); unknown: `INVALID_ARGUMENT`.
    async fn edition(&self, ctx: &Context<'_>, id: String) -> Result<Edition> {
        request(ctx)?.scope().await?;
        let e = edition_arg(ctx, Some(&id))?;
        app::editions()
            .gql()?
            .into_iter()
            .find(|i| i.id == e)
            .map(Edition)
            .ok_or_else(crate::error::not_found)
    }
}
