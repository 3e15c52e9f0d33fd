//! Edition identifiers of the guideline (令和5年3月版 = `R5.3`, …).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One edition of the guideline, named by its 令和 year and month (`R5.3` = 令和5年3月版).
///
/// Ordered chronologically. Parsing accepts `R5.3`, `r6.10`, `R6.10版` and `令和6年10月版`; whether
/// an edition actually exists is decided when a catalog is loaded, not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EditionId {
    year: u8,
    month: u8,
}

impl EditionId {
    /// 令和5年3月版: the default baseline every other built-in edition is stated against.
    pub const R5_3: EditionId = EditionId { year: 5, month: 3 };
    /// 令和6年10月版: 自治体機密性 3A/3B/3C, α'モデル, stronger contractor management.
    pub const R6_10: EditionId = EditionId { year: 6, month: 10 };
    /// 令和7年3月版: revisits the マイナンバー利用事務系 (content only partly known).
    pub const R7_3: EditionId = EditionId { year: 7, month: 3 };
    /// The edition the product compares against unless told otherwise.
    pub const DEFAULT: EditionId = EditionId::R5_3;

    /// Builds an edition id from a 令和 year (1–99) and a month (1–12).
    pub fn new(year: u8, month: u8) -> Option<EditionId> {
        ((1..=99).contains(&year) && (1..=12).contains(&month)).then_some(EditionId { year, month })
    }

    /// The 令和 year.
    pub fn year(self) -> u8 {
        self.year
    }

    /// The month of publication.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Name used for data files and directories: `r5.3`.
    pub fn file_stem(self) -> String {
        format!("r{}.{}", self.year, self.month)
    }

    /// Japanese name as users know it: `令和5年3月版`.
    pub fn name_ja(self) -> String {
        format!("令和{}年{}月版", self.year, self.month)
    }
}

impl fmt::Display for EditionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "R{}.{}", self.year, self.month)
    }
}

/// A string that does not name an edition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not an edition of the guideline: expected R<year>.<month> (e.g. R5.3, R6.10) or 令和<year>年<month>月版"
)]
pub struct EditionParseError {
    /// The rejected input, as given.
    pub input: String,
}

impl FromStr for EditionId {
    type Err = EditionParseError;

    fn from_str(input: &str) -> Result<EditionId, EditionParseError> {
        let err = || EditionParseError {
            input: input.to_owned(),
        };
        let s = input.trim();
        let (year, month) = if let Some(rest) = s.strip_prefix("令和") {
            let rest = rest.strip_suffix('版').unwrap_or(rest);
            let rest = rest.strip_suffix('月').ok_or_else(err)?;
            rest.split_once('年').ok_or_else(err)?
        } else {
            let rest = s
                .strip_prefix('R')
                .or_else(|| s.strip_prefix('r'))
                .ok_or_else(err)?;
            let rest = rest.strip_suffix('版').unwrap_or(rest);
            rest.split_once('.').ok_or_else(err)?
        };
        let number = |part: &str| -> Option<u8> {
            // Leading zeros (R05.03) and signs are not a form anyone writes; reject them.
            if part.is_empty() || part.len() > 2 || part.starts_with('0') {
                return None;
            }
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (year, month) = (
            number(year).ok_or_else(err)?,
            number(month).ok_or_else(err)?,
        );
        EditionId::new(year, month).ok_or_else(err)
    }
}

impl Serialize for EditionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EditionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EditionId, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        assert_eq!("R5.3".parse(), Ok(EditionId::R5_3));
        assert_eq!("r6.10".parse(), Ok(EditionId::R6_10));
        assert_eq!(" R6.10版 ".parse(), Ok(EditionId::R6_10));
        assert_eq!("令和7年3月版".parse(), Ok(EditionId::R7_3));
        assert_eq!("令和7年3月".parse(), Ok(EditionId::R7_3));
    }

    #[test]
    fn rejects_malformed_names() {
        for bad in [
            "",
            "R5",
            "5.3",
            "R5.13",
            "R0.3",
            "R05.3",
            "X5.3",
            "R5.3.1",
            "R-5.3",
            "令和5年",
        ] {
            let err = bad.parse::<EditionId>().unwrap_err();
            assert_eq!(err.input, bad);
            assert!(err.to_string().contains("not an edition"));
        }
    }

    #[test]
    fn orders_chronologically_and_displays_canonically() {
        assert!(EditionId::R5_3 < EditionId::R6_10 && EditionId::R6_10 < EditionId::R7_3);
        assert_eq!(EditionId::R6_10.to_string(), "R6.10");
        assert_eq!(EditionId::R6_10.file_stem(), "r6.10");
        assert_eq!(EditionId::R6_10.name_ja(), "令和6年10月版");
    }
}
