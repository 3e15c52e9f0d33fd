//! Public value types of the store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taisho_domain::{DocumentId, GrantId, OrgId, UserId, VersionId};

use crate::error::StoreError;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(s: &str) -> Result<Self, StoreError> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err(StoreError::Invalid(format!(
                        concat!("unknown ", stringify!($name), " {:?} in the database"), other
                    ))),
                }
            }
        }
    };
}

text_enum!(OrgKind { Prefecture = "prefecture", Municipality = "municipality", Union = "union", Consultancy = "consultancy" });
text_enum!(Role { Admin = "admin", Editor = "editor", Viewer = "viewer" });
text_enum!(Access { Read = "read", Write = "write" });
text_enum!(
    /// Which layers of a policy a version contains: 基本方針, 対策基準, or both.
    Layers { Kihon = "kihon", Taisaku = "taisaku", Both = "both" }
);
text_enum!(AnalysisStatus { Done = "done", Failed = "failed" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    pub prefecture_id: Option<OrgId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub id: DocumentId,
    pub org_id: OrgId,
    pub title: String,
    pub unpublished: bool,
    pub created_at: DateTime<Utc>,
}

/// A version's metadata; its bytes and text come from [`crate::versions::original`] and
/// [`crate::versions::text`], which check text access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    pub id: VersionId,
    pub document_id: DocumentId,
    pub org_id: OrgId,
    pub seq: i32,
    pub content_hash: String,
    pub byte_len: i64,
    pub encoding: String,
    pub format: String,
    pub layers: Layers,
    pub uploaded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// What an upload brings: the unchanged bytes and the engine's decoded text.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub original: Vec<u8>,
    pub text: String,
    pub encoding: String,
    pub format: String,
    pub layers: Layers,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub id: GrantId,
    pub grantor_org_id: OrgId,
    pub grantee_org_id: OrgId,
    pub access: Access,
    pub text_access: bool,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}
