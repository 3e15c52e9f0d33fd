//! Organisations as a caller sees them: one, every readable one, a prefecture's member bodies.

use taisho_domain::OrgId;
use taisho_store::{Mode, OrgKind, Organisation, Store, TenantScope, orgs};

use crate::error::Result;

/// The organisation `id`; `NotFound` when the scope cannot read it.
pub async fn get(store: &Store, scope: &TenantScope, id: OrgId) -> Result<Organisation> {
    store
        .tx(scope, Mode::Read, async |tx| -> Result<Organisation> {
            Ok(orgs::get(tx, id).await?)
        })
        .await
}

/// Every organisation the scope reads, by name, optionally of one kind.
pub async fn list_readable(
    store: &Store,
    scope: &TenantScope,
    kind: Option<OrgKind>,
) -> Result<Vec<Organisation>> {
    let all = store
        .tx(scope, Mode::Read, async |tx| -> Result<Vec<Organisation>> {
            Ok(orgs::list_readable(tx).await?)
        })
        .await?;
    Ok(all
        .into_iter()
        .filter(|o| kind.is_none_or(|k| o.kind == k))
        .collect())
}

/// The member bodies of `org` the scope reads, when `org` is a prefecture; an empty list for other
/// kinds; `NotFound` when the scope cannot read `org`.
pub async fn members(store: &Store, scope: &TenantScope, org: OrgId) -> Result<Vec<Organisation>> {
    store
        .tx(scope, Mode::Read, async |tx| -> Result<Vec<Organisation>> {
            let o = orgs::get(tx, org).await?;
            if o.kind != OrgKind::Prefecture {
                return Ok(Vec::new());
            }
            Ok(orgs::prefecture_members(tx, org).await?)
        })
        .await
}
