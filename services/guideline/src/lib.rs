#![doc = include_str!("../README.md")]

mod catalog;
mod edition;
mod error;
mod load;
mod model;

pub use catalog::{Catalog, EditionChanges, EditionInfo, ItemChange, Retired};
pub use edition::{EditionId, EditionParseError};
pub use error::{CatalogError, Problem};
pub use model::{Confidence, Element, Evidence, Item, Kind, Layer, Modality, Status, Threshold};
