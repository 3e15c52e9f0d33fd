//! Typed identifiers. Every id is a UUID v7 (time-ordered, so indexes stay append-mostly and ids sort by
//! creation time); the newtype keeps an `OrgId` from being passed where a `DocumentId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An id string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id")]
pub struct InvalidId {
    pub kind: &'static str,
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the hyphenated (or simple) text form.
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                Uuid::parse_str(s).map(Self).map_err(|_| InvalidId { kind: $kind })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

id_type!(
    /// An organisation: prefecture, municipality, union or consultancy. The tenant key.
    OrgId, "organisation"
);
id_type!(UserId, "user");
id_type!(DocumentId, "document");
id_type!(VersionId, "version");
id_type!(AnalysisId, "analysis");
id_type!(JobId, "job");
id_type!(ApiKeyId, "API key");
id_type!(GrantId, "grant");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = OrgId::new();
        assert_eq!(OrgId::parse(&id.to_string()), Ok(id));
        assert_eq!(id.to_string().parse::<OrgId>(), Ok(id));
    }

    #[test]
    fn malformed_id_is_rejected_with_its_kind() {
        assert_eq!(
            DocumentId::parse("nope"),
            Err(InvalidId { kind: "document" })
        );
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = VersionId::new();
        let b = VersionId::new();
        assert!(a < b);
    }
}
