//! API key rows. The secret never reaches the store: callers pass the keyed hash (HMAC with a server
//! secret) and the visible prefix; `taisho-app` generates keys and verifies them.
//!
//! Managing keys (create, list, revoke) is for the owning organisation's admins, in a scoped
//! transaction. Authentication happens before any principal exists, so [`find_by_prefix`] and
//! [`touch`] open their own auth/system transactions: they are the only way around the scope, and
//! both work on one row named by the caller-supplied prefix or id.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};
use serde::Serialize;
use taisho_domain::{ApiKeyId, OrgId, UserId};

use crate::entity::api_key;
use crate::error::{Result, StoreError, write_err};
use crate::model::Access;
use crate::store::{Mode, Store, Tx};
use crate::tenancy::TenantScope;

/// A key's metadata, never its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    pub name: String,
    /// The visible part of the key, e.g. `tsk_ab12cd34`.
    pub prefix: String,
    pub access: Access,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Usable at `now`: neither revoked nor expired.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A key row for authentication: metadata plus the stored keyed hash to compare against.
#[derive(Debug, Clone)]
pub struct KeyCredentials {
    pub key: ApiKey,
    pub key_hash: String,
}

fn to_key(m: api_key::Model) -> Result<(ApiKey, String)> {
    Ok((
        ApiKey {
            id: ApiKeyId::from_uuid(m.id),
            org_id: OrgId::from_uuid(m.org_id),
            name: m.name,
            prefix: m.prefix,
            access: Access::parse(&m.access)?,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            created_by: m.created_by.map(UserId::from_uuid),
            created_at: m.created_at,
            last_used_at: m.last_used_at,
        },
        m.key_hash,
    ))
}

/// NotFound when the scope cannot read `org`, Forbidden when it reads but is not an admin.
fn check_admin(tx: &Tx, org: OrgId) -> Result<()> {
    let scope = tx.scope();
    if !tx.app_allows(scope.can_read(org)) {
        return Err(StoreError::NotFound);
    }
    if !tx.app_allows(scope.is_admin(org)) {
        return Err(StoreError::Forbidden);
    }
    Ok(())
}

/// What [`create`] stores: the caller hashed the secret already.
#[derive(Debug, Clone)]
pub struct NewKey<'a> {
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub access: Access,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Inserts a key of `org`; admins of `org` only.
pub async fn create(tx: &Tx, org: OrgId, new: NewKey<'_>) -> Result<ApiKey> {
    check_admin(tx, org)?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("empty API key name".into()));
    }
    let m = api_key::ActiveModel {
        id: Set(ApiKeyId::new().as_uuid()),
        org_id: Set(org.as_uuid()),
        name: Set(name.to_owned()),
        prefix: Set(new.prefix.to_owned()),
        key_hash: Set(new.key_hash.to_owned()),
        access: Set(new.access.as_str().to_owned()),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        created_by: Set(tx.scope().user().map(|u| u.as_uuid())),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
    }
    .insert(tx.conn())
    .await
    .map_err(write_err)?;
    Ok(to_key(m)?.0)
}

async fn find(tx: &Tx, id: ApiKeyId) -> Result<api_key::Model> {
    let m = api_key::Entity::find_by_id(id.as_uuid())
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
    // Keys are visible to their organisation's admins only (like the RLS policy); a viewer gets the
    // same NotFound as a stranger.
    if !tx.app_allows(tx.scope().is_admin(OrgId::from_uuid(m.org_id))) {
        return Err(StoreError::NotFound);
    }
    Ok(m)
}

pub async fn get(tx: &Tx, id: ApiKeyId) -> Result<ApiKey> {
    Ok(to_key(find(tx, id).await?)?.0)
}

/// Keys of `org`, revoked and expired ones included, oldest first; admins of `org` only.
pub async fn list(tx: &Tx, org: OrgId) -> Result<Vec<ApiKey>> {
    check_admin(tx, org)?;
    api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(org.as_uuid()))
        .order_by_asc(api_key::Column::Id)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| to_key(m).map(|(k, _)| k))
        .collect()
}

/// Revokes a key. Idempotent: a revoked key keeps its first revocation time. Returns the key and
/// whether this call revoked it.
pub async fn revoke(tx: &Tx, id: ApiKeyId) -> Result<(ApiKey, bool)> {
    let m = find(tx, id).await?;
    check_admin(tx, OrgId::from_uuid(m.org_id))?;
    if m.revoked_at.is_some() {
        return Ok((to_key(m)?.0, false));
    }
    let mut am: api_key::ActiveModel = m.into();
    am.revoked_at = Set(Some(Utc::now()));
    let m = am.update(tx.conn()).await.map_err(|e| match e {
        sea_orm::DbErr::RecordNotUpdated => StoreError::NotFound,
        e => write_err(e),
    })?;
    Ok((to_key(m)?.0, true))
}

/// Authentication: the key row with `prefix`, whatever its state (the caller checks the hash,
/// revocation and expiry, and answers every failure alike).
pub async fn find_by_prefix(store: &Store, prefix: &str) -> Result<Option<KeyCredentials>> {
    let tx = store.begin_auth().await?;
    let m = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(tx.conn())
        .await?;
    tx.rollback().await?;
    m.map(|m| to_key(m).map(|(key, key_hash)| KeyCredentials { key, key_hash }))
        .transpose()
}

/// [`find_by_prefix`] and the key's scope ([`crate::scope_for`] of the key) in one auth
/// transaction: authentication and authorisation of a request in one round of statements. The
/// scope is only meaningful once the caller has verified the hash.
pub async fn find_by_prefix_with_scope(
    store: &Store,
    prefix: &str,
) -> Result<Option<(KeyCredentials, TenantScope)>> {
    let tx = store.begin_auth().await?;
    let Some(m) = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(tx.conn())
        .await?
    else {
        tx.rollback().await?;
        return Ok(None);
    };
    let scope = crate::scope::api_key_scope(&tx, &m).await?;
    tx.rollback().await?;
    let (key, key_hash) = to_key(m)?;
    Ok(Some((KeyCredentials { key, key_hash }, scope)))
}

/// Records a use of key `id` at `now` unless one was recorded after `now - granularity`: at most one
/// write per key per `granularity`, whatever the request rate. Returns whether it wrote.
pub async fn touch(
    store: &Store,
    id: ApiKeyId,
    now: DateTime<Utc>,
    granularity: chrono::Duration,
) -> Result<bool> {
    let tx = store.begin_system(Mode::Write).await?;
    let stale = now - granularity;
    let res = api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id.as_uuid()))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lt(stale)),
        )
        .exec(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(res.rows_affected > 0)
}
