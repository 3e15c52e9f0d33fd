//! Access grants: an organisation (the grantor) lets another (a consultancy, or its prefecture)
//! read, or read and write, its data. Explicit rows, revocable; only the grantor's admins manage them.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder,
};
use taisho_domain::{GrantId, OrgId};

use crate::entity::grant;
use crate::error::{Result, StoreError, write_err};
use crate::model::{Access, Grant};
use crate::store::Tx;

fn to_grant(m: grant::Model) -> Result<Grant> {
    Ok(Grant {
        id: GrantId::from_uuid(m.id),
        grantor_org_id: OrgId::from_uuid(m.grantor_org_id),
        grantee_org_id: OrgId::from_uuid(m.grantee_org_id),
        access: Access::parse(&m.access)?,
        text_access: m.text_access,
        created_at: m.created_at,
        revoked_at: m.revoked_at,
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

/// Grants `grantee` access to `grantor`'s data. `text_access` also opens the text of documents
/// marked unpublished.
pub async fn create(
    tx: &Tx,
    grantor: OrgId,
    grantee: OrgId,
    access: Access,
    text_access: bool,
) -> Result<Grant> {
    check_admin(tx, grantor)?;
    if grantor == grantee {
        return Err(StoreError::Invalid(
            "an organisation cannot grant access to itself".into(),
        ));
    }
    let m = grant::ActiveModel {
        id: Set(GrantId::new().as_uuid()),
        grantor_org_id: Set(grantor.as_uuid()),
        grantee_org_id: Set(grantee.as_uuid()),
        access: Set(access.as_str().to_owned()),
        text_access: Set(text_access),
        created_by: Set(tx.scope().user().map(|u| u.as_uuid())),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
    }
    .insert(tx.conn())
    .await
    .map_err(write_err)?;
    to_grant(m)
}

async fn find(tx: &Tx, id: GrantId) -> Result<grant::Model> {
    let m = grant::Entity::find_by_id(id.as_uuid())
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
    let scope = tx.scope();
    let visible = scope.can_read(OrgId::from_uuid(m.grantor_org_id))
        || scope.can_read(OrgId::from_uuid(m.grantee_org_id));
    if !tx.app_allows(visible) {
        return Err(StoreError::NotFound);
    }
    Ok(m)
}

pub async fn get(tx: &Tx, id: GrantId) -> Result<Grant> {
    to_grant(find(tx, id).await?)
}

/// Revokes a grant (idempotent: revoking a revoked grant keeps the first revocation time).
pub async fn revoke(tx: &Tx, id: GrantId) -> Result<Grant> {
    let m = find(tx, id).await?;
    check_admin(tx, OrgId::from_uuid(m.grantor_org_id))?;
    if m.revoked_at.is_some() {
        return to_grant(m);
    }
    let mut am: grant::ActiveModel = m.into();
    am.revoked_at = Set(Some(Utc::now()));
    let m = am.update(tx.conn()).await.map_err(|e| match e {
        sea_orm::DbErr::RecordNotUpdated => StoreError::NotFound,
        e => write_err(e),
    })?;
    to_grant(m)
}

/// Grants given or received by `org`, revoked ones included, oldest first.
pub async fn list(tx: &Tx, org: OrgId) -> Result<Vec<Grant>> {
    if !tx.app_allows(tx.scope().can_read(org)) {
        return Err(StoreError::NotFound);
    }
    let mut q = grant::Entity::find()
        .filter(
            Condition::any()
                .add(grant::Column::GrantorOrgId.eq(org.as_uuid()))
                .add(grant::Column::GranteeOrgId.eq(org.as_uuid())),
        )
        .order_by_asc(grant::Column::Id);
    if tx.filtered() {
        // A consultancy listing its own grants sees only those whose grantor it may read.
        let read: Vec<uuid::Uuid> = tx
            .scope()
            .read
            .iter()
            .map(taisho_domain::OrgId::as_uuid)
            .collect();
        q = q.filter(
            Condition::any()
                .add(grant::Column::GrantorOrgId.is_in(read.clone()))
                .add(grant::Column::GranteeOrgId.is_in(read)),
        );
    }
    q.all(tx.conn()).await?.into_iter().map(to_grant).collect()
}

/// Grants given or received by any of `orgs` that the scope reads (the others are left out), revoked
/// ones included, oldest first: one query for a whole list of organisations.
pub async fn list_many(tx: &Tx, orgs: &[OrgId]) -> Result<Vec<Grant>> {
    let wanted: Vec<uuid::Uuid> = orgs
        .iter()
        .filter(|o| tx.app_allows(tx.scope().can_read(**o)))
        .map(taisho_domain::OrgId::as_uuid)
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = grant::Entity::find()
        .filter(
            Condition::any()
                .add(grant::Column::GrantorOrgId.is_in(wanted.clone()))
                .add(grant::Column::GranteeOrgId.is_in(wanted)),
        )
        .order_by_asc(grant::Column::Id);
    if tx.filtered() {
        let read: Vec<uuid::Uuid> = tx
            .scope()
            .read
            .iter()
            .map(taisho_domain::OrgId::as_uuid)
            .collect();
        q = q.filter(
            Condition::any()
                .add(grant::Column::GrantorOrgId.is_in(read.clone()))
                .add(grant::Column::GranteeOrgId.is_in(read)),
        );
    }
    q.all(tx.conn()).await?.into_iter().map(to_grant).collect()
}
