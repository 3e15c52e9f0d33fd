//! Access grants as use-cases: an admin of the grantor gives another organisation read (or read and
//! write) access, and revokes it. Every change is audited in its transaction; refusals are audited
//! as `denied`.

use taisho_domain::{GrantId, OrgId};
use taisho_store::{Access, Grant, Mode, TenantScope, grants};

use crate::audit::{self, Action};
use crate::error::Result;
use crate::services::Services;

/// Grants `org` gave (`given`) and received (`received`), revoked ones included, oldest first.
#[derive(Debug, Clone, Default)]
pub struct OrgGrants {
    pub given: Vec<Grant>,
    pub received: Vec<Grant>,
}

/// The grants use-cases ([`Services::grants`]).
#[derive(Debug, Clone, Copy)]
pub struct Grants<'a>(pub(crate) &'a Services);

impl Grants<'_> {
    /// An admin of `grantor` grants `grantee` access. `text_access` also opens unpublished documents.
    pub async fn create(
        &self,
        scope: &TenantScope,
        grantor: OrgId,
        grantee: OrgId,
        access: Access,
        text_access: bool,
    ) -> Result<Grant> {
        let store = &self.0.store;
        let result = store
            .tx(scope, Mode::Write, async |tx| -> Result<Grant> {
                let g = grants::create(tx, grantor, grantee, access, text_access).await?;
                audit::grant_created(tx, &g).await?;
                Ok(g)
            })
            .await;
        audit::on_denial(
            store,
            scope,
            Action::GrantCreate,
            Some(grantor),
            None,
            result,
        )
        .await
    }

    /// An admin of the grantor revokes grant `id` (idempotent; audited when it takes effect).
    pub async fn revoke(&self, scope: &TenantScope, id: GrantId) -> Result<Grant> {
        let store = &self.0.store;
        let result = store
            .tx(scope, Mode::Write, async |tx| -> Result<Grant> {
                let before = grants::get(tx, id).await?;
                let g = grants::revoke(tx, id).await?;
                if before.revoked_at.is_none() {
                    audit::grant_revoked(tx, g.grantor_org_id, g.id).await?;
                }
                Ok(g)
            })
            .await;
        if result.is_ok() {
            crate::auth::credentials_changed();
        }
        let object = Some(id.as_uuid());
        audit::on_denial(store, scope, Action::GrantRevoke, None, object, result).await
    }

    /// The grant `id`, for a scope that reads its grantor or its grantee.
    pub async fn get(&self, scope: &TenantScope, id: GrantId) -> Result<Grant> {
        self.0
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<Grant> {
                Ok(grants::get(tx, id).await?)
            })
            .await
    }

    /// The grants of `org` the scope may see.
    pub async fn list(&self, scope: &TenantScope, org: OrgId) -> Result<OrgGrants> {
        let all = self
            .0
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<Vec<Grant>> {
                Ok(grants::list(tx, org).await?)
            })
            .await?;
        let (given, received) = all.into_iter().partition(|g| g.grantor_org_id == org);
        Ok(OrgGrants { given, received })
    }

    /// The grants of each of `orgs` the scope reads, in one query (organisations it cannot read are
    /// absent from the map).
    pub async fn list_of(
        &self,
        scope: &TenantScope,
        orgs: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, OrgGrants>> {
        let all = self
            .0
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<Vec<Grant>> {
                Ok(grants::list_many(tx, orgs).await?)
            })
            .await?;
        let mut by_org: std::collections::HashMap<OrgId, OrgGrants> = orgs
            .iter()
            .filter(|o| scope.can_read(**o))
            .map(|o| (*o, OrgGrants::default()))
            .collect();
        for g in all {
            if let Some(entry) = by_org.get_mut(&g.grantor_org_id) {
                entry.given.push(g.clone());
            }
            if let Some(entry) = by_org.get_mut(&g.grantee_org_id) {
                entry.received.push(g);
            }
        }
        Ok(by_org)
    }
}
