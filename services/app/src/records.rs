//! The records the use-cases take and return, as the layers above the app (GraphQL, the server, the
//! coming web UI) name them. They are the store's value types, re-exported here so that nothing
//! above the app depends on `taisho-store`: the app is the one door into the store.

pub use taisho_store::audit::{AuditEntry, AuditFilter};
pub use taisho_store::keys::ApiKey;
pub use taisho_store::members::Member;
pub use taisho_store::users::UserProfile;
pub use taisho_store::{
    Access, Actor, AnalysisStatus, Document, Grant, Layers, OrgKind, Organisation, Principal, Role,
    StoreError, TenantScope, Version,
};
