//! Opaque global ids: `base64url_nopad("<Type>:<uuid>")`, e.g. `T3JnYW5pc2F0aW9uOjAxOT…`.
//!
//! A malformed id is `INVALID_ARGUMENT`; a well-formed id of another type, a missing object and a
//! foreign tenant's object are all `NOT_FOUND` with the same message.

use async_graphql::ID;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use taisho_domain::{AnalysisId, ApiKeyId, DocumentId, GrantId, OrgId, UserId, VersionId};
use uuid::Uuid;

use crate::error;

/// The object types that have global ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Organisation,
    User,
    Document,
    Version,
    Analysis,
    Grant,
    ApiKey,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Organisation,
        Kind::User,
        Kind::Document,
        Kind::Version,
        Kind::Analysis,
        Kind::Grant,
        Kind::ApiKey,
    ];

    /// The GraphQL type name, which is also the id's prefix.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Organisation => "Organisation",
            Kind::User => "User",
            Kind::Document => "Document",
            Kind::Version => "Version",
            Kind::Analysis => "Analysis",
            Kind::Grant => "Grant",
            Kind::ApiKey => "ApiKey",
        }
    }

    fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A typed domain id that has a global id.
pub trait GlobalId: Sized + Copy {
    const KIND: Kind;
    fn from_uuid(uuid: Uuid) -> Self;
    fn to_uuid(self) -> Uuid;
}

macro_rules! global_id {
    ($($t:ty => $kind:ident),* $(,)?) => {$(
        impl GlobalId for $t {
            const KIND: Kind = Kind::$kind;
            fn from_uuid(uuid: Uuid) -> Self {
                <$t>::from_uuid(uuid)
            }
            fn to_uuid(self) -> Uuid {
                self.as_uuid()
            }
        }
    )*};
}

global_id!(
    OrgId => Organisation,
    UserId => User,
    DocumentId => Document,
    VersionId => Version,
    AnalysisId => Analysis,
    GrantId => Grant,
    ApiKeyId => ApiKey,
);

/// The global id of `uuid` as a `kind`.
pub fn encode(kind: Kind, uuid: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.name(), uuid.hyphenated())))
}

/// The global id of a typed domain id.
pub fn id<T: GlobalId>(value: T) -> ID {
    encode(T::KIND, value.to_uuid())
}

/// Longest accepted global id (a valid one is 60 characters at most).
const MAX_ID_LEN: usize = 128;

/// Kind and uuid of a global id; `INVALID_ARGUMENT` when it is not one.
pub fn parse(id: &ID) -> async_graphql::Result<(Kind, Uuid)> {
    let malformed = || error::invalid("ID の形式が正しくありません。");
    if id.len() > MAX_ID_LEN {
        return Err(malformed());
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(id.as_str())
        .map_err(|_| malformed())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed())?;
    let (kind, uuid) = text.split_once(':').ok_or_else(malformed)?;
    let kind = Kind::parse(kind).ok_or_else(malformed)?;
    let uuid = Uuid::parse_str(uuid).map_err(|_| malformed())?;
    Ok((kind, uuid))
}

/// The typed id of a global id: `INVALID_ARGUMENT` when malformed, `NOT_FOUND` when it names
/// another type (as for a missing or foreign object).
pub fn decode<T: GlobalId>(id: &ID) -> async_graphql::Result<T> {
    let (kind, uuid) = parse(id)?;
    if kind != T::KIND {
        return Err(error::not_found());
    }
    Ok(T::from_uuid(uuid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_check_their_kind() {
        let org = OrgId::new();
        let gid = id(org);
        assert_eq!(decode::<OrgId>(&gid).unwrap(), org);
        let err = decode::<DocumentId>(&gid).unwrap_err();
        assert_eq!(
            error::code_of(err.extensions.as_ref()).as_deref(),
            Some("NOT_FOUND")
        );
        for bad in ["", "x", "T3Jn", "!!!!", &"A".repeat(500)] {
            let err = decode::<OrgId>(&ID(bad.to_owned())).unwrap_err();
            assert_eq!(
                error::code_of(err.extensions.as_ref()).as_deref(),
                Some("INVALID_ARGUMENT"),
                "{bad}"
            );
        }
    }
}
