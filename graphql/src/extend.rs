//! Fields that other areas add to the accounts' types, as parts of `#[derive(MergedObject)]` types.
//!
//! `Organisation` = [`crate::accounts::OrganisationCore`] + [`OrganisationExtra`]. The documents
//! area adds its own `#[Object]` type (with `documents(first, after)`), the audit area
//! `auditLog(…)`; [`organisation_extra`] builds them from the organisation's id.

use async_graphql::MergedObject;
use taisho_domain::OrgId;

/// The other areas' fields of `Organisation`: its documents and its audit log.
#[derive(MergedObject)]
pub struct OrganisationExtra(
    pub crate::documents::OrganisationDocuments,
    pub crate::audit::OrganisationAudit,
);

/// The other areas' part of the organisation `id`.
pub fn organisation_extra(id: OrgId) -> OrganisationExtra {
    OrganisationExtra(
        crate::documents::OrganisationDocuments(id),
        crate::audit::OrganisationAudit(id),
    )
}
