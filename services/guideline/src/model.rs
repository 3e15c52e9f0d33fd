//! The public shape of the catalog: items of the national model and their key elements.

use serde::Serialize;

/// Which document of the model an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// 情報セキュリティ基本方針 (IDs `KH-…`).
    Kihon,
    /// 情報セキュリティ対策基準 (IDs `TK-…`).
    Taisaku,
}

impl Layer {
    pub const ALL: [Layer; 2] = [Layer::Kihon, Layer::Taisaku];

    /// The code used in data files (`kihon`, `taisaku`).
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Kihon => "kihon",
            Layer::Taisaku => "taisaku",
        }
    }

    /// The ID prefix of the layer's items (`KH-`, `TK-`).
    pub fn id_prefix(self) -> &'static str {
        match self {
            Layer::Kihon => "KH-",
            Layer::Taisaku => "TK-",
        }
    }

    /// The document's Japanese name.
    pub fn name_ja(self) -> &'static str {
        match self {
            Layer::Kihon => "情報セキュリティ基本方針",
            Layer::Taisaku => "情報セキュリティ対策基準",
        }
    }

    pub(crate) fn parse(code: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.as_str() == code)
    }

    /// The layer an ID belongs to, from its prefix.
    pub fn of_id(id: &str) -> Option<Layer> {
        Layer::ALL
            .into_iter()
            .find(|l| id.starts_with(l.id_prefix()))
    }
}

/// What an item of the model is about; alignment treats kinds differently (a definition is
/// matched by its elements, an obligation also by its modality).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Defines a term, a scope or a classification.
    Definition,
    /// Names a threat the policy assumes.
    Threat,
    /// A security measure (physical, human, technical, outsourcing, …).
    Countermeasure,
    /// A role, body or duty of the security organisation.
    Organisation,
    /// A management process: planning, reporting, audit, review, exceptions, sanctions.
    Process,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Definition,
        Kind::Threat,
        Kind::Countermeasure,
        Kind::Organisation,
        Kind::Process,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Definition => "definition",
            Kind::Threat => "threat",
            Kind::Countermeasure => "countermeasure",
            Kind::Organisation => "organisation",
            Kind::Process => "process",
        }
    }

    pub(crate) fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

/// The model's own strength of obligation for an item (outline §0.3).
///
/// A municipal clause weaker than this is a `modality_downgrade`; one at least as strong is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Modality {
    /// 〜しなければならない / 〜してはならない: mandatory.
    #[serde(rename = "M")]
    Mandatory,
    /// Plain declarative (講じる / 策定する / 実施する …): a policy commitment, treated as mandatory.
    #[serde(rename = "D")]
    Declarative,
    /// 〜するものとする: formal obligation, treated as mandatory.
    #[serde(rename = "F")]
    Formal,
    /// 〜することができる: permission.
    #[serde(rename = "P")]
    Permission,
    /// 〜に努める / 努めなければならない: effort duty.
    #[serde(rename = "W")]
    Effort,
    /// 〜することが望ましい: recommendation.
    #[serde(rename = "Rec")]
    Recommendation,
    /// The model has content here but its wording was not seen (placeholder items only).
    #[serde(rename = "?")]
    Unknown,
}

impl Modality {
    pub const ALL: [Modality; 7] = [
        Modality::Mandatory,
        Modality::Declarative,
        Modality::Formal,
        Modality::Permission,
        Modality::Effort,
        Modality::Recommendation,
        Modality::Unknown,
    ];

    /// The outline's code (`M`, `D`, `F`, `P`, `W`, `Rec`, `?`).
    pub fn code(self) -> &'static str {
        match self {
            Modality::Mandatory => "M",
            Modality::Declarative => "D",
            Modality::Formal => "F",
            Modality::Permission => "P",
            Modality::Effort => "W",
            Modality::Recommendation => "Rec",
            Modality::Unknown => "?",
        }
    }

    /// Rank on the modality ladder (higher = stronger). M, D and F share the top rank because
    /// a 基本方針's plain declarative and ものとする are read as binding (pitfalls note).
    /// `None` for [`Modality::Unknown`].
    pub fn strength(self) -> Option<u8> {
        match self {
            Modality::Mandatory | Modality::Declarative | Modality::Formal => Some(4),
            Modality::Effort => Some(3),
            Modality::Recommendation => Some(2),
            Modality::Permission => Some(1),
            Modality::Unknown => None,
        }
    }

    pub(crate) fn parse(code: &str) -> Option<Modality> {
        Modality::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// How the outline knows an item (outline §0.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Evidence {
    /// Read in a source.
    #[serde(rename = "S")]
    Source,
    /// Seen in a municipal copy of an older edition.
    #[serde(rename = "S-old")]
    SourceOld,
    /// Structure only (a table of contents).
    #[serde(rename = "T")]
    Structure,
    /// Recalled, not re-verified.
    #[serde(rename = "R")]
    Recall,
    /// Inferred.
    #[serde(rename = "I")]
    Inference,
}

impl Evidence {
    pub const ALL: [Evidence; 5] = [
        Evidence::Source,
        Evidence::SourceOld,
        Evidence::Structure,
        Evidence::Recall,
        Evidence::Inference,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Evidence::Source => "S",
            Evidence::SourceOld => "S-old",
            Evidence::Structure => "T",
            Evidence::Recall => "R",
            Evidence::Inference => "I",
        }
    }

    pub(crate) fn parse(code: &str) -> Option<Evidence> {
        Evidence::ALL.into_iter().find(|e| e.code() == code)
    }
}

/// The outline author's confidence in the item as stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Confidence {
    #[serde(rename = "L")]
    Low,
    #[serde(rename = "M")]
    Medium,
    #[serde(rename = "H")]
    High,
}

impl Confidence {
    pub fn code(self) -> &'static str {
        match self {
            Confidence::Low => "L",
            Confidence::Medium => "M",
            Confidence::High => "H",
        }
    }

    pub(crate) fn parse(code: &str) -> Option<Confidence> {
        [Confidence::Low, Confidence::Medium, Confidence::High]
            .into_iter()
            .find(|c| c.code() == code)
    }
}

/// Whether an item can be checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A normal item of the model: a policy lacking it has omitted it.
    #[default]
    Normative,
    /// The model has something here whose content was not seen: never report it as omitted.
    Placeholder,
    /// Only older editions had it: a policy keeping it is different, not weaker, and one lacking
    /// it has omitted nothing.
    Lineage,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Normative => "normative",
            Status::Placeholder => "placeholder",
            Status::Lineage => "lineage",
        }
    }

    pub(crate) fn parse(code: &str) -> Option<Status> {
        [Status::Normative, Status::Placeholder, Status::Lineage]
            .into_iter()
            .find(|s| s.as_str() == code)
    }
}

/// A key element of an item: a term whose presence (in any spelling or accepted synonym) shows
/// that a policy clause covers this part of the item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Element {
    /// Canonical Japanese term, as the current model writes it.
    pub term: String,
    /// Other spellings of the same word (順守 for 遵守, 強靭 for 強靱): pure notation.
    pub variants: Vec<String>,
    /// Different words accepted as meaning the same here (疫病 for 疾病, 管理区域 for 情報システム室).
    pub synonyms: Vec<String>,
    /// Look-alikes that must NOT count as this element (点検 is not 監査).
    pub false_friends: Vec<String>,
    /// `true`: a clause lacking it is `element_missing`; `false`: an example the model gives,
    /// whose absence is not a finding.
    pub required: bool,
}

impl Element {
    /// The term, its variants and its synonyms: every surface that counts as this element.
    pub fn surfaces(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.term.as_str())
            .chain(self.variants.iter().map(String::as_str))
            .chain(self.synonyms.iter().map(String::as_str))
    }
}

/// A numeric or qualitative bound the model sets (outline §2.11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Threshold {
    /// What is bounded, as a stable snake_case key (`password_length`, `training_per_year`).
    pub parameter: String,
    /// Unit of `min` / `max` (`文字`, `回/年度`, `名`).
    pub unit: Option<String>,
    /// The model's own minimum, when it states a number.
    pub min: Option<u32>,
    /// The model's own maximum, when it states a number.
    pub max: Option<u32>,
    /// The model's wording when it sets no number (「十分な長さ」, 「一定の期間」).
    pub qualitative: Option<String>,
    /// A minimum from good practice (e.g. a municipal 実施手順), used to judge a policy's number
    /// where the model itself has none.
    pub good_practice_min: Option<u32>,
    pub note: Option<String>,
}

/// One item of the national model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Stable ID (`KH-6-3-1`, `TK-7.1-6a`); never renumbered across editions.
    pub id: String,
    pub layer: Layer,
    /// Numbering in the model, `/`-separated (`6/(3)/①`, `7.1/(6)/①`).
    pub path: String,
    /// Japanese 見出し.
    pub title: String,
    pub kind: Kind,
    /// The model's strength for the item (the first obligation it states).
    pub modality: Modality,
    /// A second, different strength inside the same item (e.g. a mandatory rule plus a
    /// permission or an effort duty).
    pub secondary_modality: Option<Modality>,
    /// The model's own hedges (必要に応じて, 原則として, …): their presence in a policy is never
    /// a weakening for this item.
    pub hedges: Vec<String>,
    /// Key elements; at least one.
    pub elements: Vec<Element>,
    /// Frequency words the model requires, all of them (定期的, 毎年度, 常時 …); a policy lacking
    /// one is `frequency_removed`.
    pub frequency: Vec<String>,
    pub thresholds: Vec<Threshold>,
    /// How the outline knows the item, strongest source first.
    pub evidence: Vec<Evidence>,
    pub confidence: Confidence,
    pub status: Status,
    /// Short English paraphrase.
    pub summary: String,
    /// The item's content in plain Japanese (our wording): what the evidence view and the
    /// morpheme diff show as "the model".
    pub text: String,
    /// Edition or evidence remarks.
    pub note: Option<String>,
    /// The nearest enclosing item that exists (`KH-3` for `KH-3-1`), computed on load.
    pub parent: Option<String>,
    /// The edition that introduced the item, when later than the baseline.
    pub since: Option<crate::EditionId>,
}

impl Item {
    /// The elements a covering clause must contain.
    pub fn required_elements(&self) -> impl Iterator<Item = &Element> {
        self.elements.iter().filter(|e| e.required)
    }
}
