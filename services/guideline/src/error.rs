//! Errors from loading a catalog: every one names the file and, where there is one, the item and
//! the field, so a data author can fix the data without reading code.

use std::fmt;
use std::path::PathBuf;

use crate::EditionId;

/// Why a catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The requested edition has no data file.
    #[error("edition {edition} is not in the catalog ({place}); known editions: {known}")]
    UnknownEdition {
        edition: EditionId,
        /// `built-in data` or the directory searched.
        place: String,
        known: String,
    },
    /// A file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid TOML or does not have the expected shape.
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    /// A value breaks a rule of the catalog.
    #[error("{file}: {}field `{field}`: {problem}", item.as_deref().map(|i| format!("item {i}: ")).unwrap_or_default())]
    Invalid {
        file: String,
        /// The item concerned (`None` for edition-level fields such as `base`).
        item: Option<String>,
        field: String,
        /// Boxed to keep `Result<_, CatalogError>` small on the happy path.
        problem: Box<Problem>,
    },
}

impl CatalogError {
    /// The data rule broken, for [`CatalogError::Invalid`].
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            CatalogError::Invalid { problem, .. } => Some(problem.as_ref()),
            _ => None,
        }
    }
}

/// The rule a value breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Missing,
    Empty,
    /// An ID not of the form `KH-<n>[-<n>[-<n>]]` or `TK-<ch>[.<sec>][-<n>[<a>]…]`.
    BadId(String),
    /// The ID's prefix does not belong to the layer of the file.
    WrongLayer {
        id: String,
        layer: &'static str,
    },
    DuplicateId(String),
    DuplicatePath {
        path: String,
        other: String,
    },
    UnknownCode {
        value: String,
        expected: String,
    },
    NoElements,
    /// `?` (unknown modality) on an item that is not a placeholder.
    UnknownModalityOnNormative,
    ThresholdWithoutBound,
    NotAnEdition(String),
    UnknownBase(String),
    Cycle(String),
    /// A change, retirement or `after` refers to an ID the base edition does not have.
    NoSuchItem(String),
    /// An added item's ID already exists in the base edition.
    AlreadyExists(String),
    /// A field an edition change cannot set (the ID is the item's identity).
    NotChangeable,
    /// A base edition with `base`, or a delta edition without it / with `files`.
    WrongEditionShape(&'static str),
    /// The edition file names another edition than the one it is stored as.
    EditionMismatch {
        expected: EditionId,
        found: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("missing"),
            Problem::Empty => f.write_str("must not be empty"),
            Problem::BadId(id) => write!(
                f,
                "`{id}` is not a catalog ID (KH-<section>[-<item>[-<sub>]] or TK-<chapter>[.<section>][-<n>…], e.g. KH-6-3-1, TK-7.1-6a)"
            ),
            Problem::WrongLayer { id, layer } => {
                write!(f, "`{id}` does not belong to layer `{layer}`")
            }
            Problem::DuplicateId(id) => write!(f, "duplicate ID `{id}`"),
            Problem::DuplicatePath { path, other } => {
                write!(f, "path `{path}` is already used by item {other}")
            }
            Problem::UnknownCode { value, expected } => {
                write!(f, "unknown code `{value}` (expected one of {expected})")
            }
            Problem::NoElements => f.write_str("every item needs at least one key element"),
            Problem::UnknownModalityOnNormative => {
                f.write_str("`?` is only allowed on items with status = \"placeholder\"")
            }
            Problem::ThresholdWithoutBound => {
                f.write_str("a threshold needs `min`, `max` or `qualitative`")
            }
            Problem::NotAnEdition(e) => write!(f, "{e}"),
            Problem::UnknownBase(b) => write!(f, "base edition `{b}` does not exist"),
            Problem::Cycle(chain) => write!(f, "editions form a cycle: {chain}"),
            Problem::NoSuchItem(id) => write!(f, "no item `{id}` in the base edition"),
            Problem::AlreadyExists(id) => {
                write!(f, "item `{id}` already exists in the base edition")
            }
            Problem::NotChangeable => f.write_str("cannot be changed by an edition"),
            Problem::WrongEditionShape(why) => f.write_str(why),
            Problem::EditionMismatch { expected, found } => {
                write!(f, "file is stored as edition {expected} but says `{found}`")
            }
        }
    }
}
