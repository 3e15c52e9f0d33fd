//! Organisations as a caller sees them: one, every readable one, a prefecture's member bodies.

use std::collections::HashMap;

use taisho_domain::OrgId;
use taisho_store::{Mode, OrgKind, Organisation, TenantScope, orgs};

use crate::error::Result;
use crate::services::Services;

/// The organisations use-cases ([`Services::orgs`]).
#[derive(Debug, Clone, Copy)]
pub struct Orgs<'a>(pub(crate) &'a Services);

impl Orgs<'_> {
    /// The organisation `id`; `NotFound` when the scope cannot read it.
    pub async fn get(&self, scope: &TenantScope, id: OrgId) -> Result<Organisation> {
        self.0
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<Organisation> {
                Ok(orgs::get(tx, id).await?)
            })
            .await
    }

    /// The organisations of `ids` the scope reads (for batch loaders); the others are absent.
    pub async fn get_many(
        &self,
        scope: &TenantScope,
        ids: &[OrgId],
    ) -> Result<HashMap<OrgId, Organisation>> {
        // The readable set is small (own organisations, a prefecture's members, grantors): one
        // query for all of it is cheaper than one per id.
        let all = self.list_readable(scope, None).await?;
        Ok(all
            .into_iter()
            .filter(|o| ids.contains(&o.id))
            .map(|o| (o.id, o))
            .collect())
    }

    /// Every organisation the scope reads, by name, optionally of one kind.
    pub async fn list_readable(
        &self,
        scope: &TenantScope,
        kind: Option<OrgKind>,
    ) -> Result<Vec<Organisation>> {
        let all = self
            .0
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<Vec<Organisation>> {
                Ok(orgs::list_readable(tx).await?)
            })
            .await?;
        Ok(all
            .into_iter()
            .filter(|o| kind.is_none_or(|k| o.kind == k))
            .collect())
    }

    /// The member bodies of `org` the scope reads, when `org` is a prefecture; an empty list for
    /// other kinds; `NotFound` when the scope cannot read `org`.
    pub async fn members(&self, scope: &TenantScope, org: OrgId) -> Result<Vec<Organisation>> {
        self.0
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<Vec<Organisation>> {
                let o = orgs::get(tx, org).await?;
                if o.kind != OrgKind::Prefecture {
                    return Ok(Vec::new());
                }
                Ok(orgs::prefecture_members(tx, org).await?)
            })
            .await
    }
}
