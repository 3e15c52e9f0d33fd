//! `Query.node(id)` and the `Node` interface over every type with a global id.
//!
//! Other areas add their types here: a variant of [`Node`] and an arm in [`NodeQuery::node`].

use async_graphql::{Context, ID, Interface, Object, Result};

use crate::accounts::{ApiKey, Grant, Organisation, User};
use crate::analyses::Analysis;
use crate::documents::{Document, Version};
use crate::ids::{self, GlobalId, Kind};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Organisation(Organisation),
    User(User),
    Grant(Grant),
    ApiKey(ApiKey),
    Document(Document),
    Version(Version),
    Analysis(Analysis),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with global id `id`. Malformed: `INVALID_ARGUMENT`; missing or not readable:
    /// `NOT_FOUND`.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (kind, uuid) = ids::parse(&id)?;
        let node = match kind {
            Kind::Organisation => Node::Organisation(
                crate::accounts::organisation_node(ctx, GlobalId::from_uuid(uuid)).await?,
            ),
            Kind::User => {
                Node::User(crate::accounts::user_node(ctx, GlobalId::from_uuid(uuid)).await?)
            }
            Kind::Grant => {
                Node::Grant(crate::accounts::grant_node(ctx, GlobalId::from_uuid(uuid)).await?)
            }
            Kind::ApiKey => {
                Node::ApiKey(crate::accounts::api_key_node(ctx, GlobalId::from_uuid(uuid)).await?)
            }
            Kind::Document => Node::Document(
                crate::documents::document_node(ctx, GlobalId::from_uuid(uuid)).await?,
            ),
            Kind::Version => {
                Node::Version(crate::documents::version_node(ctx, GlobalId::from_uuid(uuid)).await?)
            }
            Kind::Analysis => Node::Analysis(
                crate::analyses::analysis_node(ctx, GlobalId::from_uuid(uuid)).await?,
            ),
        };
        Ok(Some(node))
    }
}
