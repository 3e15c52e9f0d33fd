#![doc = include_str!("../README.md")]
//!
//! Everything here is pure: the caller passes the base text (seed 004, a rendered model) and a
//! seed; nothing reads files, clocks or the environment, so a case or a corpus is reproduced
//! exactly from its spec.
//!
//! Two families of cases ([`cases`]):
//! - **form** rewrites ([`FormRewrite`]) change how the text is written and never what it says
//!   (例規 style 第N条 headings, full-width digits, notation variants, hard line breaks, page
//!   numbers, reordered sections): the analysis must report every item as it did for the base;
//! - **item** edits ([`EditKind`]) change one item of the national model in one place (delete its
//!   clause, downgrade its obligation, add a hedge, drop its frequency word or one key element,
//!   narrow its scope, give it to another actor, or paraphrase it): exactly that item changes status, with the expected reason.
//!
//! Edits are located through the text (a heading line and a clause's opening phrase, both
//! checked to be unique), never by byte offsets, so a base that drifts fails loudly with
//! [`SynthError::AnchorNotFound`] instead of editing the wrong place.

mod body;
mod form;
mod items;
mod rng;

use serde::Serialize;

pub use body::{ModelClause, SyntheticBody, body, corpus, model_bases, render_model};
pub use form::{FormRewrite, NOTATION_VARIANTS, rewrite_form};
pub use items::{ITEMS, ItemSpec};
pub use rng::Rng;

/// Status an analysis reports for a model item, as far as the generated cases are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedStatus {
    Covered,
    Weakened,
    Omitted,
}

impl ExpectedStatus {
    /// The snake_case name, as reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedStatus::Covered => "covered",
            ExpectedStatus::Weakened => "weakened",
            ExpectedStatus::Omitted => "omitted",
        }
    }
}

/// Why an item is weakened: the analysis' own reason kinds, so expectations and findings compare
/// directly.
pub use taisho_engine::analysis::ReasonKind;

/// One edit applied to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EditKind {
    /// Remove the item's clause (with its heading when the heading is the item's own).
    Delete,
    /// Replace the clause's final predicate by a weaker one (努める, 望ましい, できる).
    Downgrade,
    /// Insert a hedge the model item does not have (原則として, 可能な限り, …).
    Hedge,
    /// Remove a frequency word (定期的又は必要に応じて → 必要に応じて).
    DropFrequency,
    /// Remove one required key element from the clause's enumeration.
    DropElement,
    /// Rewrite a phrase into a same-meaning phrase: nothing may change.
    Paraphrase,
    /// Narrow whom the clause applies to (職員等 → 職員).
    NarrowScope,
    /// Give the clause's duty to another actor role (職員等 → 情報セキュリティ管理者).
    ChangeActor,
}

impl EditKind {
    pub const ALL: [EditKind; 8] = [
        EditKind::Delete,
        EditKind::Downgrade,
        EditKind::Hedge,
        EditKind::DropFrequency,
        EditKind::DropElement,
        EditKind::Paraphrase,
        EditKind::NarrowScope,
        EditKind::ChangeActor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EditKind::Delete => "delete",
            EditKind::Downgrade => "downgrade",
            EditKind::Hedge => "hedge",
            EditKind::DropFrequency => "drop_frequency",
            EditKind::DropElement => "drop_element",
            EditKind::Paraphrase => "paraphrase",
            EditKind::NarrowScope => "narrow_scope",
            EditKind::ChangeActor => "change_actor",
        }
    }
}

/// What a case changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseSpec {
    /// Rewrite the form of the whole text; `seed` drives every random choice.
    Form {
        rewrites: Vec<FormRewrite>,
        seed: u64,
    },
    /// One edit of one item; `variant` picks among the edit's alternatives (which weaker
    /// predicate, which hedge, which element), modulo their number.
    Edit {
        item: String,
        edit: EditKind,
        variant: usize,
    },
}

/// The outcome a case expects from the analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// The one item whose status changes, or `None` when nothing may change.
    pub item: Option<String>,
    pub status: ExpectedStatus,
    /// The reason the changed item must carry (weakened only).
    pub reason: Option<ReasonKind>,
    /// For [`EditKind::DropElement`]: the element term that was removed.
    pub element: Option<String>,
}

impl Expectation {
    /// Nothing changes: every item keeps its status.
    pub fn unchanged() -> Self {
        Self {
            item: None,
            status: ExpectedStatus::Covered,
            reason: None,
            element: None,
        }
    }
}

/// A generated policy text with the outcome its analysis must have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Stable, readable name (`edit/KH-6-4/drop_element/0`, `form/3`).
    pub name: String,
    pub spec: CaseSpec,
    /// A short description of what was done, for failure messages (no document text).
    pub description: String,
    pub text: String,
    pub expected: Expectation,
}

impl Case {
    /// The edit kind, or `None` for a form rewrite.
    pub fn edit_kind(&self) -> Option<EditKind> {
        match self.spec {
            CaseSpec::Edit { edit, .. } => Some(edit),
            CaseSpec::Form { .. } => None,
        }
    }
}

/// The base text does not fit a spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynthError {
    #[error("{item}: anchor {anchor:?} not found in the base text")]
    AnchorNotFound { item: String, anchor: String },
    #[error("{item}: anchor {anchor:?} is not unique in the base text")]
    AnchorNotUnique { item: String, anchor: String },
    #[error("{item}: no clause end after the anchor")]
    NoClauseEnd { item: String },
    #[error("unknown item {0}")]
    UnknownItem(String),
    #[error("{item}: no {edit} edit is defined for this item")]
    NotApplicable { item: String, edit: &'static str },
    #[error("form rewrite {rewrite}: {reason}")]
    Form {
        rewrite: &'static str,
        reason: String,
    },
}

/// The number of form cases [`cases`] generates.
pub const FORM_CASES: usize = 14;

/// Every case the generator knows for `base` (seed 004's text): form rewrites, then for each
/// item every applicable edit and variant. Deterministic: the same base gives the same cases.
pub fn cases(base: &str) -> Result<Vec<Case>, SynthError> {
    let mut out = Vec::new();
    for spec in form_specs() {
        out.push(apply(base, &spec)?);
    }
    for item in ITEMS {
        for edit in EditKind::ALL {
            for variant in 0..item.variants(edit) {
                let spec = CaseSpec::Edit {
                    item: item.id.to_owned(),
                    edit,
                    variant,
                };
                out.push(apply(base, &spec)?);
            }
        }
    }
    Ok(out)
}

/// The form specs of [`cases`]: each rewrite alone, then seeded combinations.
pub fn form_specs() -> Vec<CaseSpec> {
    let mut specs: Vec<CaseSpec> = FormRewrite::ALL
        .iter()
        .enumerate()
        .map(|(i, r)| CaseSpec::Form {
            rewrites: vec![*r],
            seed: 1 + i as u64,
        })
        .collect();
    let mut rng = Rng::new(0x7a15_4000);
    while specs.len() < FORM_CASES {
        // Every combination has at least two rewrites; order is fixed by `rewrite_form`.
        let mut rewrites: Vec<FormRewrite> = FormRewrite::ALL
            .iter()
            .copied()
            .filter(|_| rng.chance(1, 2))
            .collect();
        if rewrites.len() < 2 {
            rewrites = FormRewrite::ALL.to_vec();
        }
        specs.push(CaseSpec::Form {
            rewrites,
            seed: rng.next_u64(),
        });
    }
    specs
}

/// Applies one spec to `base`.
pub fn apply(base: &str, spec: &CaseSpec) -> Result<Case, SynthError> {
    match spec {
        CaseSpec::Form { rewrites, seed } => {
            let text = rewrite_form(base, rewrites, *seed)?;
            let names: Vec<&str> = rewrites.iter().map(|r| r.as_str()).collect();
            Ok(Case {
                name: format!("form/{}/{seed:x}", names.join("+")),
                spec: spec.clone(),
                description: format!("form rewrites {}", names.join(", ")),
                text,
                expected: Expectation::unchanged(),
            })
        }
        CaseSpec::Edit {
            item,
            edit,
            variant,
        } => {
            let spec_item = ITEMS
                .iter()
                .find(|i| i.id == item)
                .ok_or_else(|| SynthError::UnknownItem(item.clone()))?;
            let (text, expected, description) = spec_item.apply(base, *edit, *variant)?;
            Ok(Case {
                name: format!("edit/{item}/{}/{variant}", edit.as_str()),
                spec: spec.clone(),
                description,
                text,
                expected,
            })
        }
    }
}

/// Finds `needle` in `hay[from..]`, requiring it to occur exactly once there.
pub(crate) fn find_unique(
    hay: &str,
    from: usize,
    needle: &str,
    item: &str,
) -> Result<usize, SynthError> {
    let rest = hay.get(from..).unwrap_or("");
    let Some(pos) = rest.find(needle) else {
        return Err(SynthError::AnchorNotFound {
            item: item.to_owned(),
            anchor: needle.to_owned(),
        });
    };
    if rest[pos + needle.len()..].contains(needle) && from == 0 {
        return Err(SynthError::AnchorNotUnique {
            item: item.to_owned(),
            anchor: needle.to_owned(),
        });
    }
    Ok(from + pos)
}
