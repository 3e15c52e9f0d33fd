//! The accounts area: the caller (`viewer`), organisations and their members, memberships (users
//! and roles), users, grants and API keys, and the mutations that manage them. Every resolver is
//! thin: decode ids, call one `taisho_app` use-case in the caller's scope, map the result.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, MergedObject, Object, Result, SimpleObject,
};
use chrono::{DateTime, Utc};
use taisho_app::records::{
    self, Access, ApiKey as StoreKey, Grant as StoreGrant, Member, OrgKind,
    Organisation as StoreOrg, UserProfile,
};
use taisho_domain::{ApiKeyId, GrantId, OrgId, UserId};

use crate::connection::{self, Page};
use crate::context::{RequestCtx, request};
use crate::error::{self, ResultExt};
use crate::extend::{self, OrganisationExtra};
use crate::ids;
use crate::loaders::{GrantsLoader, MembershipsLoader, OrgLoader, UserLoader};

// ---------------------------------------------------------------------------------------------
// Enums

/// A member's role in an organisation.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Editor,
    Viewer,
}

impl From<records::Role> for Role {
    fn from(r: records::Role) -> Role {
        match r {
            records::Role::Admin => Role::Admin,
            records::Role::Editor => Role::Editor,
            records::Role::Viewer => Role::Viewer,
        }
    }
}

impl From<Role> for records::Role {
    fn from(r: Role) -> records::Role {
        match r {
            Role::Admin => records::Role::Admin,
            Role::Editor => records::Role::Editor,
            Role::Viewer => records::Role::Viewer,
        }
    }
}

/// What kind of body an organisation is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationKind {
    Prefecture,
    Municipality,
    Union,
    Consultancy,
}

impl From<OrgKind> for OrganisationKind {
    fn from(k: OrgKind) -> OrganisationKind {
        match k {
            OrgKind::Prefecture => OrganisationKind::Prefecture,
            OrgKind::Municipality => OrganisationKind::Municipality,
            OrgKind::Union => OrganisationKind::Union,
            OrgKind::Consultancy => OrganisationKind::Consultancy,
        }
    }
}

impl From<OrganisationKind> for OrgKind {
    fn from(k: OrganisationKind) -> OrgKind {
        match k {
            OrganisationKind::Prefecture => OrgKind::Prefecture,
            OrganisationKind::Municipality => OrgKind::Municipality,
            OrganisationKind::Union => OrgKind::Union,
            OrganisationKind::Consultancy => OrgKind::Consultancy,
        }
    }
}

/// What a grant or an API key allows.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLevel {
    Read,
    Write,
}

impl From<Access> for AccessLevel {
    fn from(a: Access) -> AccessLevel {
        match a {
            Access::Read => AccessLevel::Read,
            Access::Write => AccessLevel::Write,
        }
    }
}

impl From<AccessLevel> for Access {
    fn from(a: AccessLevel) -> Access {
        match a {
            AccessLevel::Read => Access::Read,
            AccessLevel::Write => Access::Write,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

async fn load_org(rc: &RequestCtx, id: OrgId) -> Result<Option<StoreOrg>> {
    rc.loader(OrgLoader).load_one(id).await
}

async fn load_user(rc: &RequestCtx, id: UserId) -> Result<Option<UserProfile>> {
    rc.loader(UserLoader).load_one(id).await
}

/// The organisation node `uuid`, or `NOT_FOUND`.
pub(crate) async fn organisation_node(ctx: &Context<'_>, id: OrgId) -> Result<Organisation> {
    let rc = request(ctx)?;
    load_org(rc, id)
        .await?
        .map(Organisation::new)
        .ok_or_else(error::not_found)
}

pub(crate) async fn user_node(ctx: &Context<'_>, id: UserId) -> Result<User> {
    let rc = request(ctx)?;
    load_user(rc, id)
        .await?
        .map(User)
        .ok_or_else(error::not_found)
}

pub(crate) async fn grant_node(ctx: &Context<'_>, id: GrantId) -> Result<Grant> {
    let rc = request(ctx)?;
    let scope = rc.scope().await?;
    rc.services().grants().get(scope, id).await.gql().map(Grant)
}

pub(crate) async fn api_key_node(ctx: &Context<'_>, id: ApiKeyId) -> Result<ApiKey> {
    let rc = request(ctx)?;
    let scope = rc.scope().await?;
    rc.services().keys().get(scope, id).await.gql().map(ApiKey)
}

// ---------------------------------------------------------------------------------------------
// Types

/// An organisation: a prefecture, a municipality, a union or a consultancy.
#[derive(MergedObject)]
pub struct Organisation(pub OrganisationCore, pub OrganisationExtra);

impl Organisation {
    pub fn new(org: StoreOrg) -> Organisation {
        let id = org.id;
        Organisation(OrganisationCore(org), extend::organisation_extra(id))
    }

    pub fn org_id(&self) -> OrgId {
        self.0.0.id
    }

    /// The `Node` interface's `id`.
    pub async fn id(&self, _ctx: &Context<'_>) -> Result<ID> {
        Ok(ids::id(self.0.0.id))
    }
}

/// The accounts' fields of [`Organisation`].
pub struct OrganisationCore(pub StoreOrg);

#[Object]
impl OrganisationCore {
    pub async fn id(&self) -> ID {
        ids::id(self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The prefecture a member body belongs to (null when there is none or the caller cannot read
    /// it).
    async fn prefecture(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(p) = self.0.prefecture_id else {
            return Ok(None);
        };
        Ok(load_org(request(ctx)?, p).await?.map(Organisation::new))
    }

    /// A prefecture's member bodies that the caller reads (empty for other kinds).
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Organisation>> {
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        let list = rc.services().orgs().members(scope, self.0.id).await.gql()?;
        connection::from_vec(
            ctx,
            first,
            after,
            list.into_iter().map(Organisation::new).collect(),
        )
    }

    /// Users who belong to the organisation, with their roles.
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    async fn memberships(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Membership>> {
        let list = request(ctx)?
            .loader(MembershipsLoader)
            .load_one(self.0.id)
            .await?
            .ok_or_else(error::not_found)?;
        connection::from_vec(
            ctx,
            first,
            after,
            list.into_iter().map(Membership).collect(),
        )
    }

    /// Grants this organisation gave, revoked ones included.
    #[graphql(complexity = "crate::limits::list_cost(None, child_complexity)")]
    async fn grants_given(&self, ctx: &Context<'_>) -> Result<Vec<Grant>> {
        let g = request(ctx)?
            .loader(GrantsLoader)
            .load_one(self.0.id)
            .await?
            .ok_or_else(error::not_found)?;
        Ok(g.given.into_iter().map(Grant).collect())
    }

    /// Grants this organisation received (that the caller may see), revoked ones included.
    #[graphql(complexity = "crate::limits::list_cost(None, child_complexity)")]
    async fn grants_received(&self, ctx: &Context<'_>) -> Result<Vec<Grant>> {
        let g = request(ctx)?
            .loader(GrantsLoader)
            .load_one(self.0.id)
            .await?
            .ok_or_else(error::not_found)?;
        Ok(g.received.into_iter().map(Grant).collect())
    }

    /// The organisation's API keys (metadata only); for its admins.
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<ApiKey>> {
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        let list = rc.services().keys().list(scope, self.0.id).await.gql()?;
        connection::from_vec(ctx, first, after, list.into_iter().map(ApiKey).collect())
    }
}

/// A user, as the organisations it belongs to see it.
pub struct User(pub UserProfile);

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        ids::id(self.0.id)
    }

    /// Shown to the user itself and to the admins of its organisations only; null for others
    /// (coordinators and grantees see names, not addresses).
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    async fn disabled(&self) -> bool {
        self.0.disabled
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A user's membership of an organisation.
pub struct Membership(pub Member);

#[Object]
impl Membership {
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        user_node(ctx, self.0.user_id).await
    }

    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        organisation_node(ctx, self.0.org_id).await
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// An access grant from one organisation (the grantor) to another.
pub struct Grant(pub StoreGrant);

#[Object]
impl Grant {
    pub async fn id(&self) -> ID {
        ids::id(self.0.id)
    }

    /// Null when the caller cannot read the grantor.
    async fn grantor(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        Ok(load_org(request(ctx)?, self.0.grantor_org_id)
            .await?
            .map(Organisation::new))
    }

    /// Null when the caller cannot read the grantee.
    async fn grantee(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        Ok(load_org(request(ctx)?, self.0.grantee_org_id)
            .await?
            .map(Organisation::new))
    }

    async fn access(&self) -> AccessLevel {
        self.0.access.into()
    }

    /// Whether the grantee also reads the text of unpublished documents.
    async fn text_access(&self) -> bool {
        self.0.text_access
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// An API key's metadata (never the key).
pub struct ApiKey(pub StoreKey);

#[Object]
impl ApiKey {
    pub async fn id(&self) -> ID {
        ids::id(self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The visible start of the key, e.g. `tsk_Ab12Cd34`.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }

    async fn access(&self) -> AccessLevel {
        self.0.access.into()
    }

    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        organisation_node(ctx, self.0.org_id).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    /// Neither revoked nor expired.
    async fn active(&self) -> bool {
        self.0.is_active(Utc::now())
    }
}

/// The caller.
pub struct Viewer;

#[Object]
impl Viewer {
    /// The signed-in user (null for an API key).
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let rc = request(ctx)?;
        match rc.caller().user() {
            Some(u) => Ok(load_user(rc, u).await?.map(User)),
            None => Ok(None),
        }
    }

    /// The organisation the caller acts for.
    async fn acting_organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let rc = request(ctx)?;
        match rc.caller().org() {
            Some(o) => Ok(load_org(rc, o).await?.map(Organisation::new)),
            None => Ok(None),
        }
    }

    /// The caller's role in the acting organisation (an API key: EDITOR with write access,
    /// VIEWER with read access).
    async fn role(&self, ctx: &Context<'_>) -> Result<Option<Role>> {
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        Ok(rc
            .caller()
            .org()
            .map(|o| taisho_app::auth::role_in(scope, o).into()))
    }

    /// Every organisation the caller reads: its own, a prefecture's members, grantors.
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    async fn readable_organisations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Organisation>> {
        readable(ctx, first, after, None).await
    }
}

async fn readable(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    kind: Option<OrganisationKind>,
) -> Result<Page<Organisation>> {
    let rc = request(ctx)?;
    let scope = rc.scope().await?;
    let list = rc
        .services()
        .orgs()
        .list_readable(scope, kind.map(Into::into))
        .await
        .gql()?;
    connection::from_vec(
        ctx,
        first,
        after,
        list.into_iter().map(Organisation::new).collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Query

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The caller. `UNAUTHENTICATED` without credentials.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        request(ctx)?.scope().await?;
        Ok(Viewer)
    }

    /// One organisation the caller reads.
    async fn organisation(&self, ctx: &Context<'_>, id: ID) -> Result<Organisation> {
        let id = ids::decode::<OrgId>(&id)?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        rc.services()
            .orgs()
            .get(scope, id)
            .await
            .gql()
            .map(Organisation::new)
    }

    /// Organisations the caller reads, by name, optionally of one kind.
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<OrganisationKind>,
    ) -> Result<Page<Organisation>> {
        readable(ctx, first, after, kind).await
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub organisation: ID,
    pub name: String,
    /// VIEWER (read, the default) or EDITOR (read and write); keys cannot be admins.
    pub role: Option<Role>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new API key: `secret` is the full key, shown this once.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CreateApiKeyPayload {
    #[graphql(skip)]
    pub key: StoreKey,
    pub secret: String,
}

#[ComplexObject]
impl CreateApiKeyPayload {
    async fn api_key(&self) -> ApiKey {
        ApiKey(self.key.clone())
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub organisation: ID,
    pub email: String,
    pub display_name: String,
    /// Default VIEWER.
    pub role: Option<Role>,
}

/// A new user: `initialPassword` is shown this once.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CreateUserPayload {
    #[graphql(skip)]
    pub user: UserId,
    pub initial_password: String,
}

#[ComplexObject]
impl CreateUserPayload {
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        user_node(ctx, self.user).await
    }
}

#[derive(InputObject)]
pub struct CreateGrantInput {
    /// The organisation giving access (the caller must be its admin).
    pub grantor: ID,
    /// The organisation receiving access.
    pub grantee: ID,
    /// Default READ.
    pub access: Option<AccessLevel>,
    /// Also the text of unpublished documents. Default false.
    pub text_access: Option<bool>,
}

#[derive(InputObject)]
pub struct SetMemberRoleInput {
    pub organisation: ID,
    pub user: ID,
    pub role: Role,
}

#[derive(InputObject)]
pub struct RemoveMemberInput {
    pub organisation: ID,
    pub user: ID,
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates an API key for an organisation (its admins only).
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload> {
        let org = ids::decode::<OrgId>(&input.organisation)?;
        let access =
            taisho_app::keys::access_for(input.role.unwrap_or(Role::Viewer).into()).gql()?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        let issued = rc
            .services()
            .keys()
            .create(scope, org, &input.name, access, input.expires_at)
            .await
            .gql()?;
        Ok(CreateApiKeyPayload {
            key: issued.key,
            secret: issued.secret.expose().to_owned(),
        })
    }

    /// Revokes an API key (idempotent).
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        let id = ids::decode::<ApiKeyId>(&id)?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        rc.services()
            .keys()
            .revoke(scope, id)
            .await
            .gql()
            .map(ApiKey)
    }

    /// Creates a user with a generated initial password and adds it to an organisation.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> Result<CreateUserPayload> {
        let org = ids::decode::<OrgId>(&input.organisation)?;
        let role = input.role.unwrap_or(Role::Viewer).into();
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        let (user, password) = rc
            .services()
            .accounts()
            .create_user_with_initial_password(scope, org, &input.email, &input.display_name, role)
            .await
            .gql()?;
        Ok(CreateUserPayload {
            user,
            initial_password: password.expose().to_owned(),
        })
    }

    /// Changes a member's role (admins of the organisation; the last admin stays).
    async fn set_member_role(
        &self,
        ctx: &Context<'_>,
        input: SetMemberRoleInput,
    ) -> Result<Membership> {
        let org = ids::decode::<OrgId>(&input.organisation)?;
        let user = ids::decode::<UserId>(&input.user)?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        rc.services()
            .accounts()
            .set_role(scope, org, user, input.role.into())
            .await
            .gql()
            .map(Membership)
    }

    /// Removes a member from an organisation (admins of the organisation; the last admin stays).
    async fn remove_member(&self, ctx: &Context<'_>, input: RemoveMemberInput) -> Result<bool> {
        let org = ids::decode::<OrgId>(&input.organisation)?;
        let user = ids::decode::<UserId>(&input.user)?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        rc.services()
            .accounts()
            .remove_member(scope, org, user)
            .await
            .gql()?;
        Ok(true)
    }

    /// Grants another organisation access to the grantor's data (admins of the grantor).
    async fn create_grant(&self, ctx: &Context<'_>, input: CreateGrantInput) -> Result<Grant> {
        let grantor = ids::decode::<OrgId>(&input.grantor)?;
        let grantee = ids::decode::<OrgId>(&input.grantee)?;
        let access = input.access.unwrap_or(AccessLevel::Read).into();
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        rc.services()
            .grants()
            .create(
                scope,
                grantor,
                grantee,
                access,
                input.text_access.unwrap_or(false),
            )
            .await
            .gql()
            .map(Grant)
    }

    /// Revokes a grant (admins of the grantor; idempotent).
    async fn revoke_grant(&self, ctx: &Context<'_>, id: ID) -> Result<Grant> {
        let id = ids::decode::<GrantId>(&id)?;
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        rc.services()
            .grants()
            .revoke(scope, id)
            .await
            .gql()
            .map(Grant)
    }
}
