//! Memberships: which users belong to an organisation and with which role. Reading the list is for
//! anyone who reads the organisation; changing it is for its admins, who can never remove or demote
//! the last admin (an organisation nobody can administer is unrecoverable without the system).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use taisho_domain::{OrgId, UserId};

use crate::entity::membership;
use crate::error::{Result, StoreError, write_err};
use crate::model::Role;
use crate::store::{Backend, Tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

fn to_member(m: membership::Model) -> Result<Member> {
    Ok(Member {
        user_id: UserId::from_uuid(m.user_id),
        org_id: OrgId::from_uuid(m.org_id),
        role: Role::parse(&m.role)?,
        created_at: m.created_at,
    })
}

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

/// Members of `org`, oldest first.
pub async fn list(tx: &Tx, org: OrgId) -> Result<Vec<Member>> {
    if !tx.app_allows(tx.scope().can_read(org)) {
        return Err(StoreError::NotFound);
    }
    membership::Entity::find()
        .filter(membership::Column::OrgId.eq(org.as_uuid()))
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::UserId)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(to_member)
        .collect()
}

async fn find(tx: &Tx, org: OrgId, user: UserId) -> Result<membership::Model> {
    membership::Entity::find_by_id((user.as_uuid(), org.as_uuid()))
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)
}

/// Adds `user` to `org`. A user who is already a member is `Invalid` (use [`set_role`]); an unknown
/// user is `NotFound`.
pub async fn add(tx: &Tx, org: OrgId, user: UserId, role: Role) -> Result<Member> {
    check_admin(tx, org)?;
    if find(tx, org, user).await.is_ok() {
        return Err(StoreError::Invalid("already a member".into()));
    }
    let m = membership::ActiveModel {
        user_id: Set(user.as_uuid()),
        org_id: Set(org.as_uuid()),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await
    .map_err(write_err)?;
    to_member(m)
}

/// Fails with `Invalid` when the change would leave `org` without an admin. On PostgreSQL the
/// admins' rows are locked first, so two admins demoting each other concurrently cannot both pass.
async fn ensure_other_admin(tx: &Tx, org: OrgId, user: UserId) -> Result<()> {
    let mut q = membership::Entity::find()
        .filter(membership::Column::OrgId.eq(org.as_uuid()))
        .filter(membership::Column::Role.eq(Role::Admin.as_str()))
        .filter(membership::Column::UserId.ne(user.as_uuid()));
    if tx.backend() == Backend::Postgres {
        q = q.lock_exclusive();
        if q.clone().all(tx.conn()).await?.is_empty() {
            return Err(last_admin());
        }
        return Ok(());
    }
    if q.count(tx.conn()).await? == 0 {
        return Err(last_admin());
    }
    Ok(())
}

fn last_admin() -> StoreError {
    StoreError::Invalid("an organisation must keep at least one admin".into())
}

/// Changes the role of member `user` of `org`.
pub async fn set_role(tx: &Tx, org: OrgId, user: UserId, role: Role) -> Result<Member> {
    check_admin(tx, org)?;
    let m = find(tx, org, user).await?;
    if m.role == role.as_str() {
        return to_member(m);
    }
    if m.role == Role::Admin.as_str() {
        ensure_other_admin(tx, org, user).await?;
    }
    let mut am: membership::ActiveModel = m.into();
    am.role = Set(role.as_str().to_owned());
    let m = am.update(tx.conn()).await.map_err(|e| match e {
        sea_orm::DbErr::RecordNotUpdated => StoreError::NotFound,
        e => write_err(e),
    })?;
    to_member(m)
}

/// Removes member `user` from `org`.
pub async fn remove(tx: &Tx, org: OrgId, user: UserId) -> Result<()> {
    check_admin(tx, org)?;
    let m = find(tx, org, user).await?;
    if m.role == Role::Admin.as_str() {
        ensure_other_admin(tx, org, user).await?;
    }
    let res = membership::Entity::delete_many()
        .filter(membership::Column::OrgId.eq(org.as_uuid()))
        .filter(membership::Column::UserId.eq(user.as_uuid()))
        .exec(tx.conn())
        .await
        .map_err(write_err)?;
    if res.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Members of each of `orgs` that the scope reads (the others are left out), oldest first: one
/// query for a whole list of organisations.
pub async fn list_many(tx: &Tx, orgs: &[OrgId]) -> Result<Vec<Member>> {
    let wanted: Vec<uuid::Uuid> = orgs
        .iter()
        .filter(|o| tx.app_allows(tx.scope().can_read(**o)))
        .map(taisho_domain::OrgId::as_uuid)
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    membership::Entity::find()
        .filter(membership::Column::OrgId.is_in(wanted))
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::UserId)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(to_member)
        .collect()
}
