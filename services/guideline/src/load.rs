//! Reading data files, resolving the edition chain and validating every value.
//!
//! Layout (the same for the built-in data and a custom directory):
//! - a base edition is a directory `r5.3/` with `edition.toml` (listing its item files in
//!   `files`) and item files such as `kihon.toml` / `taisaku.toml`;
//! - a later edition is a single file `r6.10.toml` with `base = "R5.3"` and `[[retire]]`,
//!   `[[change]]` and `[[add]]` entries, applied in that order.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::EditionId;
use crate::catalog::{Catalog, EditionInfo, Retired};
use crate::error::{CatalogError, Problem};
use crate::model::{Confidence, Element, Evidence, Item, Kind, Layer, Modality, Status, Threshold};

/// The built-in data, embedded so the binary needs no files.
static BUILTIN: &[(&str, &str)] = &[
    (
        "r5.3/edition.toml",
        include_str!("../data/r5.3/edition.toml"),
    ),
    ("r5.3/kihon.toml", include_str!("../data/r5.3/kihon.toml")),
    (
        "r5.3/taisaku.toml",
        include_str!("../data/r5.3/taisaku.toml"),
    ),
    ("r6.10.toml", include_str!("../data/r6.10.toml")),
    ("r7.3.toml", include_str!("../data/r7.3.toml")),
];

pub(crate) enum Source<'a> {
    Builtin,
    Dir(&'a Path),
}

impl Source<'_> {
    fn display(&self, rel: &str) -> String {
        match self {
            Source::Builtin => format!("data/{rel}"),
            Source::Dir(dir) => dir.join(rel).display().to_string(),
        }
    }

    fn read(&self, rel: &str) -> Result<Option<String>, CatalogError> {
        match self {
            Source::Builtin => Ok(BUILTIN
                .iter()
                .find(|(name, _)| *name == rel)
                .map(|(_, text)| (*text).to_owned())),
            Source::Dir(dir) => {
                let path = dir.join(rel);
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(CatalogError::Io { path, source }),
                }
            }
        }
    }

    fn place(&self) -> String {
        match self {
            Source::Builtin => "built-in data".to_owned(),
            Source::Dir(dir) => dir.display().to_string(),
        }
    }

    /// Every edition the source has data for, for error messages and listings.
    pub(crate) fn editions(&self) -> Vec<EditionId> {
        let names: Vec<String> = match self {
            Source::Builtin => BUILTIN.iter().map(|(n, _)| (*n).to_owned()).collect(),
            Source::Dir(dir) => std::fs::read_dir(dir)
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .filter_map(|e| {
                            let name = e.file_name().to_str()?.to_owned();
                            Some(if e.path().is_dir() {
                                format!("{name}/edition.toml")
                            } else {
                                name
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        let mut out: Vec<EditionId> = names
            .iter()
            .filter_map(|n| {
                let stem = n
                    .strip_suffix("/edition.toml")
                    .or_else(|| n.strip_suffix(".toml").filter(|s| !s.contains('/')))?;
                stem.parse().ok()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    edition: String,
    title: Option<String>,
    date: Option<String>,
    summary: Option<String>,
    base: Option<String>,
    files: Option<Vec<String>>,
    #[serde(default)]
    retire: Vec<RawRetire>,
    #[serde(default)]
    change: Vec<RawItem>,
    #[serde(default)]
    add: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetire {
    id: String,
    reason: Option<String>,
    replaced_by: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItemFile {
    layer: String,
    #[serde(default)]
    item: Vec<RawItem>,
}

/// An item as written: every field optional so the same shape serves full items and changes,
/// and a missing field is reported with the item's ID rather than by the TOML parser.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Option<String>,
    /// Only in `[[add]]`: insert the new item after this one (else at the end).
    after: Option<String>,
    path: Option<String>,
    title: Option<String>,
    kind: Option<String>,
    modality: Option<String>,
    secondary_modality: Option<String>,
    hedges: Option<Vec<String>>,
    elements: Option<Vec<RawElement>>,
    frequency: Option<Vec<String>>,
    thresholds: Option<Vec<RawThreshold>>,
    evidence: Option<Vec<String>>,
    confidence: Option<String>,
    status: Option<String>,
    summary: Option<String>,
    text: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElement {
    term: Option<String>,
    #[serde(default)]
    variants: Vec<String>,
    #[serde(default)]
    synonyms: Vec<String>,
    #[serde(default)]
    false_friends: Vec<String>,
    required: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreshold {
    parameter: Option<String>,
    unit: Option<String>,
    min: Option<u32>,
    max: Option<u32>,
    qualitative: Option<String>,
    good_practice_min: Option<u32>,
    note: Option<String>,
}

/// Where an error is: the file, and the item being read.
struct Ctx<'a> {
    file: &'a str,
    item: Option<&'a str>,
}

impl Ctx<'_> {
    fn err(&self, field: impl Into<String>, problem: Problem) -> CatalogError {
        CatalogError::Invalid {
            file: self.file.to_owned(),
            item: self.item.map(str::to_owned),
            field: field.into(),
            problem: Box::new(problem),
        }
    }

    fn text(&self, field: &str, value: &str) -> Result<String, CatalogError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(self.err(field, Problem::Empty));
        }
        Ok(value.to_owned())
    }

    fn texts(&self, field: &str, values: &[String]) -> Result<Vec<String>, CatalogError> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| self.text(&format!("{field}[{i}]"), v))
            .collect()
    }

    fn code<T>(
        &self,
        field: &str,
        value: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &[&str],
    ) -> Result<T, CatalogError> {
        parse(value.trim()).ok_or_else(|| {
            self.err(
                field,
                Problem::UnknownCode {
                    value: value.to_owned(),
                    expected: expected.join(", "),
                },
            )
        })
    }
}

fn parse_toml<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError::Syntax {
        file: file.to_owned(),
        // toml's message already carries the line, the column and the offending snippet.
        message: e.to_string(),
    })
}

/// `KH-<n>[-<n>[-<n>]]` or `TK-<ch>[.<sec>][-<n>[<letter>] | -x]{0,3}`, as in the outline's
/// ID scheme (§0.4; letter suffixes split one numbered model item, `x` marks a lineage note).
pub(crate) fn valid_id(id: &str) -> bool {
    let small_number =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = id.strip_prefix("KH-") {
        let parts: Vec<&str> = rest.split('-').collect();
        parts.len() <= 3 && parts.iter().all(|p| small_number(p))
    } else if let Some(rest) = id.strip_prefix("TK-") {
        let parts: Vec<&str> = rest.split('-').collect();
        let head_ok = match parts[0].split_once('.') {
            Some((ch, sec)) => small_number(ch) && small_number(sec),
            None => small_number(parts[0]),
        };
        let tail_ok = parts[1..].iter().all(|p| {
            let digits = p.trim_end_matches(|c: char| c.is_ascii_lowercase());
            let letters = p.len() - digits.len();
            (small_number(digits) && letters <= 1) || (digits.is_empty() && letters == 1)
        });
        parts.len() <= 4 && head_ok && tail_ok
    } else {
        false
    }
}

fn blank_item(id: &str, layer: Layer) -> Item {
    Item {
        id: id.to_owned(),
        layer,
        path: String::new(),
        title: String::new(),
        kind: Kind::Countermeasure,
        modality: Modality::Mandatory,
        secondary_modality: None,
        hedges: Vec::new(),
        elements: Vec::new(),
        frequency: Vec::new(),
        thresholds: Vec::new(),
        evidence: Vec::new(),
        confidence: Confidence::Medium,
        status: Status::Normative,
        summary: String::new(),
        text: String::new(),
        note: None,
        parent: None,
        since: None,
    }
}

const KIND_CODES: &[&str] = &[
    "definition",
    "threat",
    "countermeasure",
    "organisation",
    "process",
];
const MODALITY_CODES: &[&str] = &["M", "D", "F", "P", "W", "Rec", "?"];
const EVIDENCE_CODES: &[&str] = &["S", "S-old", "T", "R", "I"];
const CONFIDENCE_CODES: &[&str] = &["H", "M", "L"];
const STATUS_CODES: &[&str] = &["normative", "placeholder", "lineage"];

/// Fields a full item (base file or `[[add]]`) must have.
fn check_complete(ctx: &Ctx, raw: &RawItem) -> Result<(), CatalogError> {
    let present = [
        ("path", raw.path.is_some()),
        ("title", raw.title.is_some()),
        ("kind", raw.kind.is_some()),
        ("modality", raw.modality.is_some()),
        ("elements", raw.elements.is_some()),
        ("evidence", raw.evidence.is_some()),
        ("confidence", raw.confidence.is_some()),
        ("summary", raw.summary.is_some()),
        ("text", raw.text.is_some()),
    ];
    match present.iter().find(|(_, ok)| !ok) {
        Some((field, _)) => Err(ctx.err(*field, Problem::Missing)),
        None => Ok(()),
    }
}

/// Validates and sets every field present in `raw`.
fn apply_fields(ctx: &Ctx, raw: &RawItem, item: &mut Item) -> Result<(), CatalogError> {
    if let Some(v) = &raw.path {
        item.path = ctx.text("path", v)?;
    }
    if let Some(v) = &raw.title {
        item.title = ctx.text("title", v)?;
    }
    if let Some(v) = &raw.kind {
        item.kind = ctx.code("kind", v, Kind::parse, KIND_CODES)?;
    }
    if let Some(v) = &raw.modality {
        item.modality = ctx.code("modality", v, Modality::parse, MODALITY_CODES)?;
    }
    if let Some(v) = &raw.secondary_modality {
        item.secondary_modality =
            Some(ctx.code("secondary_modality", v, Modality::parse, MODALITY_CODES)?);
    }
    if let Some(v) = &raw.hedges {
        item.hedges = ctx.texts("hedges", v)?;
    }
    if let Some(v) = &raw.frequency {
        item.frequency = ctx.texts("frequency", v)?;
    }
    if let Some(elements) = &raw.elements {
        item.elements = elements
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let field = |f: &str| format!("elements[{i}].{f}");
                let term = e
                    .term
                    .as_deref()
                    .ok_or_else(|| ctx.err(field("term"), Problem::Missing))?;
                Ok(Element {
                    term: ctx.text(&field("term"), term)?,
                    variants: ctx.texts(&field("variants"), &e.variants)?,
                    synonyms: ctx.texts(&field("synonyms"), &e.synonyms)?,
                    false_friends: ctx.texts(&field("false_friends"), &e.false_friends)?,
                    required: e.required.unwrap_or(true),
                })
            })
            .collect::<Result<_, CatalogError>>()?;
    }
    if let Some(thresholds) = &raw.thresholds {
        item.thresholds = thresholds
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let field = |f: &str| format!("thresholds[{i}].{f}");
                let parameter = t
                    .parameter
                    .as_deref()
                    .ok_or_else(|| ctx.err(field("parameter"), Problem::Missing))?;
                if t.min.is_none() && t.max.is_none() && t.qualitative.is_none() {
                    return Err(ctx.err(format!("thresholds[{i}]"), Problem::ThresholdWithoutBound));
                }
                Ok(Threshold {
                    parameter: ctx.text(&field("parameter"), parameter)?,
                    unit: t
                        .unit
                        .as_deref()
                        .map(|u| ctx.text(&field("unit"), u))
                        .transpose()?,
                    min: t.min,
                    max: t.max,
                    qualitative: t
                        .qualitative
                        .as_deref()
                        .map(|q| ctx.text(&field("qualitative"), q))
                        .transpose()?,
                    good_practice_min: t.good_practice_min,
                    note: t.note.clone(),
                })
            })
            .collect::<Result<_, CatalogError>>()?;
    }
    if let Some(v) = &raw.evidence {
        item.evidence = v
            .iter()
            .enumerate()
            .map(|(i, e)| {
                ctx.code(
                    &format!("evidence[{i}]"),
                    e,
                    Evidence::parse,
                    EVIDENCE_CODES,
                )
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = &raw.confidence {
        item.confidence = ctx.code("confidence", v, Confidence::parse, CONFIDENCE_CODES)?;
    }
    if let Some(v) = &raw.status {
        item.status = ctx.code("status", v, Status::parse, STATUS_CODES)?;
    }
    if let Some(v) = &raw.summary {
        item.summary = ctx.text("summary", v)?;
    }
    if let Some(v) = &raw.text {
        item.text = ctx.text("text", v)?;
    }
    if let Some(v) = &raw.note {
        item.note = Some(ctx.text("note", v)?);
    }
    Ok(())
}

/// Rules across fields, checked on the item as it stands after every edition step.
fn check_item(ctx: &Ctx, item: &Item) -> Result<(), CatalogError> {
    if item.elements.is_empty() {
        return Err(ctx.err("elements", Problem::NoElements));
    }
    if item.evidence.is_empty() {
        return Err(ctx.err("evidence", Problem::Empty));
    }
    if item.modality == Modality::Unknown && item.status != Status::Placeholder {
        return Err(ctx.err("modality", Problem::UnknownModalityOnNormative));
    }
    Ok(())
}

/// Reads and checks one full item from a base file (`layer` = the file's) or an `[[add]]`.
fn full_item(file: &str, raw: &RawItem, layer: Option<Layer>) -> Result<Item, CatalogError> {
    let id = raw.id.as_deref().map(str::trim).unwrap_or_default();
    let ctx = Ctx {
        file,
        item: (!id.is_empty()).then_some(id),
    };
    if id.is_empty() {
        return Err(ctx.err("id", Problem::Missing));
    }
    if !valid_id(id) {
        return Err(ctx.err("id", Problem::BadId(id.to_owned())));
    }
    let id_layer = Layer::of_id(id).ok_or_else(|| ctx.err("id", Problem::BadId(id.to_owned())))?;
    if let Some(layer) = layer
        && layer != id_layer
    {
        return Err(ctx.err(
            "id",
            Problem::WrongLayer {
                id: id.to_owned(),
                layer: layer.as_str(),
            },
        ));
    }
    check_complete(&ctx, raw)?;
    let mut item = blank_item(id, id_layer);
    apply_fields(&ctx, raw, &mut item)?;
    check_item(&ctx, &item)?;
    Ok(item)
}

/// Items plus the file each one was last set by, so a late rule (duplicate path) can name it.
struct Draft {
    items: Vec<Item>,
    origin: Vec<String>,
}

impl Draft {
    fn position(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|i| i.id == id)
    }

    /// Paths must be unique within a layer: two items at one place of the model would make the
    /// evidence view ambiguous.
    fn check_paths(&self) -> Result<(), CatalogError> {
        let mut seen: HashMap<(Layer, &str), &str> = HashMap::new();
        for (item, file) in self.items.iter().zip(&self.origin) {
            if let Some(other) = seen.insert((item.layer, item.path.as_str()), item.id.as_str()) {
                return Err(CatalogError::Invalid {
                    file: file.clone(),
                    item: Some(item.id.clone()),
                    field: "path".to_owned(),
                    problem: Box::new(Problem::DuplicatePath {
                        path: item.path.clone(),
                        other: other.to_owned(),
                    }),
                });
            }
        }
        Ok(())
    }
}

struct Manifest {
    file: String,
    raw: RawEdition,
    /// The directory holding item files, for a base edition.
    base_dir: Option<String>,
}

fn read_manifest(source: &Source, edition: EditionId) -> Result<Option<Manifest>, CatalogError> {
    let stem = edition.file_stem();
    let dir_manifest = format!("{stem}/edition.toml");
    let (rel, base_dir) = match source.read(&dir_manifest)? {
        Some(text) => (dir_manifest, Some((stem, text))),
        None => (format!("{stem}.toml"), None),
    };
    let (base_dir, text) = match base_dir {
        Some((dir, text)) => (Some(dir), text),
        None => match source.read(&rel)? {
            Some(text) => (None, text),
            None => return Ok(None),
        },
    };
    let file = source.display(&rel);
    let raw: RawEdition = parse_toml(&file, &text)?;
    let ctx = Ctx {
        file: &file,
        item: None,
    };
    if raw.edition.trim().parse::<EditionId>().ok() != Some(edition) {
        return Err(ctx.err(
            "edition",
            Problem::EditionMismatch {
                expected: edition,
                found: raw.edition.clone(),
            },
        ));
    }
    if base_dir.is_some() {
        if raw.base.is_some() {
            return Err(ctx.err(
                "base",
                Problem::WrongEditionShape("a base edition (a directory) cannot have a base"),
            ));
        }
        if raw.files.as_ref().is_none_or(Vec::is_empty) {
            return Err(ctx.err("files", Problem::Missing));
        }
        if !(raw.add.is_empty() && raw.change.is_empty() && raw.retire.is_empty()) {
            return Err(ctx.err(
                "add",
                Problem::WrongEditionShape(
                    "a base edition lists its items in its files, not as add/change/retire",
                ),
            ));
        }
    } else {
        if raw.base.is_none() {
            return Err(ctx.err("base", Problem::Missing));
        }
        if raw.files.is_some() {
            return Err(ctx.err(
                "files",
                Problem::WrongEditionShape(
                    "only a base edition (a directory) has item files; a later edition states changes",
                ),
            ));
        }
    }
    Ok(Some(Manifest {
        file,
        raw,
        base_dir,
    }))
}

fn info(edition: EditionId, raw: &RawEdition, base: Option<EditionId>) -> EditionInfo {
    EditionInfo {
        id: edition,
        title: raw.title.clone().unwrap_or_else(|| edition.name_ja()),
        date: raw.date.clone(),
        summary: raw.summary.clone(),
        base,
    }
}

/// Loads `edition` from `source`, applying every edition from its base edition forward.
pub(crate) fn load(source: &Source, edition: EditionId) -> Result<Catalog, CatalogError> {
    // Walk back to the base edition first, so a bad chain fails before any item is read.
    let mut chain: Vec<(EditionId, Manifest)> = Vec::new();
    let mut current = edition;
    loop {
        let Some(manifest) = read_manifest(source, current)? else {
            let known = source
                .editions()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(CatalogError::UnknownEdition {
                edition: current,
                place: source.place(),
                known,
            });
        };
        let Some(base) = manifest.raw.base.clone() else {
            chain.push((current, manifest));
            break;
        };
        let ctx = Ctx {
            file: &manifest.file,
            item: None,
        };
        let base: EditionId = base.parse().map_err(|e: crate::EditionParseError| {
            ctx.err("base", Problem::NotAnEdition(e.to_string()))
        })?;
        if base == current || chain.iter().any(|(e, _)| *e == base) {
            let mut names: Vec<String> = chain.iter().map(|(e, _)| e.to_string()).collect();
            names.push(current.to_string());
            names.push(base.to_string());
            return Err(ctx.err("base", Problem::Cycle(names.join(" → "))));
        }
        if read_manifest(source, base)?.is_none() {
            return Err(ctx.err("base", Problem::UnknownBase(base.to_string())));
        }
        chain.push((current, manifest));
        current = base;
    }
    chain.reverse();

    let mut draft = Draft {
        items: Vec::new(),
        origin: Vec::new(),
    };
    let mut retired: Vec<Retired> = Vec::new();
    let mut lineage = Vec::new();
    let mut previous: Option<EditionId> = None;
    for (edition, manifest) in &chain {
        lineage.push(info(*edition, &manifest.raw, previous));
        match &manifest.base_dir {
            Some(dir) => load_base(source, dir, manifest, &mut draft)?,
            None => apply_edition(*edition, manifest, &mut draft, &mut retired)?,
        }
        draft.check_paths()?;
        previous = Some(*edition);
    }

    let ids: HashSet<&str> = draft.items.iter().map(|i| i.id.as_str()).collect();
    let parents: Vec<Option<String>> = draft.items.iter().map(|i| parent_of(&i.id, &ids)).collect();
    for (item, parent) in draft.items.iter_mut().zip(parents) {
        item.parent = parent;
    }
    Ok(Catalog::new(edition, lineage, draft.items, retired))
}

/// The nearest enclosing ID that exists: drop trailing `-component`s, then a `.section`.
fn parent_of(id: &str, ids: &HashSet<&str>) -> Option<String> {
    let mut candidate = id;
    loop {
        candidate = match candidate.rfind(['-', '.']) {
            // Keep the layer prefix (`KH-`): it is not a level of its own.
            Some(pos) if pos > 3 => &candidate[..pos],
            _ => return None,
        };
        if ids.contains(candidate) {
            return Some(candidate.to_owned());
        }
    }
}

fn load_base(
    source: &Source,
    dir: &str,
    manifest: &Manifest,
    draft: &mut Draft,
) -> Result<(), CatalogError> {
    let mut seen: HashSet<String> = HashSet::new();
    for name in manifest.raw.files.iter().flatten() {
        let rel = format!("{dir}/{name}");
        let file = source.display(&rel);
        let text = source.read(&rel)?.ok_or_else(|| CatalogError::Invalid {
            file: manifest.file.clone(),
            item: None,
            field: "files".to_owned(),
            problem: Box::new(Problem::NoSuchItem(name.clone())),
        })?;
        let raw: RawItemFile = parse_toml(&file, &text)?;
        let ctx = Ctx {
            file: &file,
            item: None,
        };
        let layer = ctx.code("layer", &raw.layer, Layer::parse, &["kihon", "taisaku"])?;
        for raw_item in &raw.item {
            if raw_item.after.is_some() {
                let ctx = Ctx {
                    file: &file,
                    item: raw_item.id.as_deref(),
                };
                return Err(ctx.err(
                    "after",
                    Problem::WrongEditionShape("`after` is only for [[add]] in a later edition"),
                ));
            }
            let item = full_item(&file, raw_item, Some(layer))?;
            if !seen.insert(item.id.clone()) {
                let ctx = Ctx {
                    file: &file,
                    item: Some(&item.id),
                };
                return Err(ctx.err("id", Problem::DuplicateId(item.id.clone())));
            }
            draft.items.push(item);
            draft.origin.push(file.clone());
        }
    }
    Ok(())
}

fn apply_edition(
    edition: EditionId,
    manifest: &Manifest,
    draft: &mut Draft,
    retired: &mut Vec<Retired>,
) -> Result<(), CatalogError> {
    let file = manifest.file.as_str();
    for r in &manifest.raw.retire {
        let ctx = Ctx {
            file,
            item: Some(&r.id),
        };
        let pos = draft
            .position(&r.id)
            .ok_or_else(|| ctx.err("id", Problem::NoSuchItem(r.id.clone())))?;
        draft.items.remove(pos);
        draft.origin.remove(pos);
        retired.push(Retired {
            id: r.id.clone(),
            edition,
            reason: r.reason.clone(),
            replaced_by: r.replaced_by.clone(),
        });
    }
    for raw in &manifest.raw.change {
        let id = raw.id.as_deref().unwrap_or_default();
        let ctx = Ctx {
            file,
            item: (!id.is_empty()).then_some(id),
        };
        if id.is_empty() {
            return Err(ctx.err("id", Problem::Missing));
        }
        if raw.after.is_some() {
            return Err(ctx.err("after", Problem::NotChangeable));
        }
        let pos = draft
            .position(id)
            .ok_or_else(|| ctx.err("id", Problem::NoSuchItem(id.to_owned())))?;
        apply_fields(&ctx, raw, &mut draft.items[pos])?;
        check_item(&ctx, &draft.items[pos])?;
        file.clone_into(&mut draft.origin[pos]);
    }
    for raw in &manifest.raw.add {
        let mut item = full_item(file, raw, None)?;
        let ctx = Ctx {
            file,
            item: Some(&item.id),
        };
        if draft.position(&item.id).is_some() {
            return Err(ctx.err("id", Problem::AlreadyExists(item.id.clone())));
        }
        let at = match raw.after.as_deref() {
            Some(after) => {
                draft
                    .position(after)
                    .ok_or_else(|| ctx.err("after", Problem::NoSuchItem(after.to_owned())))?
                    + 1
            }
            None => draft.items.len(),
        };
        item.since = Some(edition);
        draft.items.insert(at, item);
        draft.origin.insert(at, file.to_owned());
    }
    for r in retired.iter().filter(|r| r.edition == edition) {
        if let Some(by) = &r.replaced_by
            && draft.position(by).is_none()
        {
            let ctx = Ctx {
                file,
                item: Some(&r.id),
            };
            return Err(ctx.err("replaced_by", Problem::NoSuchItem(by.clone())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_outline_id_scheme() {
        for id in [
            "KH-1",
            "KH-2-12",
            "KH-6-3-1",
            "TK-1-1",
            "TK-2-6",
            "TK-3-1-1n",
            "TK-3-2-10a",
            "TK-4.1-4",
            "TK-7.2-1-3b",
            "TK-8.5",
            "TK-10.3",
            "TK-6.4-3-x",
        ] {
            assert!(valid_id(id), "{id}");
        }
    }

    #[test]
    fn rejects_ids_outside_the_scheme() {
        for id in [
            "",
            "KH",
            "KH-",
            "KH-1a",
            "KH-1-2-3-4",
            "TK-7.1.2",
            "TK-7.1-ab",
            "TK-1-2-3-4-5",
            "XX-1",
            "kh-1",
            "TK-123",
            "TK-7.1-6A",
        ] {
            assert!(!valid_id(id), "{id}");
        }
    }

    #[test]
    fn parent_is_the_nearest_existing_ancestor() {
        let ids: HashSet<&str> = ["KH-3", "KH-6", "KH-6-3", "TK-8.5"].into_iter().collect();
        assert_eq!(parent_of("KH-3-1", &ids).as_deref(), Some("KH-3"));
        assert_eq!(parent_of("KH-6-3-1", &ids).as_deref(), Some("KH-6-3"));
        assert_eq!(parent_of("KH-6-9-1", &ids).as_deref(), Some("KH-6"));
        assert_eq!(parent_of("KH-3", &ids), None);
        assert_eq!(parent_of("TK-8.5-1", &ids).as_deref(), Some("TK-8.5"));
        assert_eq!(parent_of("TK-7.1-6a", &ids), None);
    }
}
