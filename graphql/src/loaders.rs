//! DataLoaders: lists that resolve nested objects do one query per level, not one per row.
//!
//! The pattern (B's loaders follow it in their own files):
//!
//! ```ignore
//! pub struct ThingLoader(Arc<Session>);
//! impl Loader<ThingId> for ThingLoader {
//!     type Value = Thing;
//!     type Error = async_graphql::Error;
//!     async fn load(&self, keys: &[ThingId]) -> Result<HashMap<ThingId, Thing>, Self::Error> {
//!         let scope = self.0.scope().await?;
//!         // one query in the caller's scope for all `keys`
//!     }
//! }
//! // in a resolver:
//! let thing = context::request(ctx)?.loader(ThingLoader).load_one(id).await?;
//! ```
//!
//! Keys the scope cannot see are simply absent from the map (`load_one` gives `None`), which
//! resolvers turn into `NOT_FOUND` or a null field.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use taisho_app::grants::OrgGrants;
use taisho_app::records::{Member, Organisation, UserProfile};
use taisho_domain::{OrgId, UserId};

use crate::context::Session;
use crate::error::ResultExt;

/// Organisations by id, in the caller's scope.
pub struct OrgLoader(pub Arc<Session>);

impl Loader<OrgId> for OrgLoader {
    type Value = Organisation;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[OrgId]) -> Result<HashMap<OrgId, Organisation>, Self::Error> {
        let scope = self.0.scope().await?;
        self.0.services.orgs().get_many(scope, keys).await.gql()
    }
}

/// Users by id, as the caller may see them (itself, members of organisations it reads).
pub struct UserLoader(pub Arc<Session>);

impl Loader<UserId> for UserLoader {
    type Value = UserProfile;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, UserProfile>, Self::Error> {
        let scope = self.0.scope().await?;
        self.0.services.accounts().profiles(scope, keys).await.gql()
    }
}

/// The memberships of organisations, one query for all the organisations of a list.
pub struct MembershipsLoader(pub Arc<Session>);

impl Loader<OrgId> for MembershipsLoader {
    type Value = Vec<Member>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[OrgId]) -> Result<HashMap<OrgId, Vec<Member>>, Self::Error> {
        let scope = self.0.scope().await?;
        self.0
            .services
            .accounts()
            .list_members_of(scope, keys)
            .await
            .gql()
    }
}

/// The grants given and received by organisations, one query for all the organisations of a list.
pub struct GrantsLoader(pub Arc<Session>);

impl Loader<OrgId> for GrantsLoader {
    type Value = OrgGrants;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[OrgId]) -> Result<HashMap<OrgId, OrgGrants>, Self::Error> {
        let scope = self.0.scope().await?;
        self.0.services.grants().list_of(scope, keys).await.gql()
    }
}
