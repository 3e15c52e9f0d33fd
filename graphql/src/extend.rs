//! Fields that other areas add to the accounts' types, as parts of `#[derive(MergedObject)]` types.
//!
//! `Organisation` = [`crate::accounts::OrganisationCore`] + [`OrganisationExtra`]. The documents
//! area points [`OrganisationExtra`] at its own `#[Object]` type (with `documents(first, after)`)
//! and makes [`organisation_extra`] build it from the organisation's id: a two-line edit here.

use taisho_domain::OrgId;

/// The other areas' fields of `Organisation`: its documents.
pub type OrganisationExtra = crate::documents::OrganisationDocuments;

/// The other areas' part of the organisation `id`.
pub fn organisation_extra(id: OrgId) -> OrganisationExtra {
    crate::documents::OrganisationDocuments(id)
}
