//! Creating organisations, users and memberships: done by the system (sign-up, `taisho import`,
//! demo data, tests), in a [`Store::begin_system`](crate::Store::begin_system) transaction.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use taisho_domain::{OrgId, UserId};

use crate::entity::{membership, organisation, user};
use crate::error::{Result, StoreError};
use crate::model::{OrgKind, Role};
use crate::store::Tx;

fn require_system(tx: &Tx) -> Result<()> {
    if tx.scope().system {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

/// The organisations an operator names with `arg`: the one whose id it is, or (when it is not an
/// id) those whose name is exactly `arg`. Several ids mean the name is ambiguous.
pub async fn find_organisations(tx: &Tx, arg: &str) -> Result<Vec<OrgId>> {
    require_system(tx)?;
    let filter = match OrgId::parse(arg) {
        Ok(id) => organisation::Column::Id.eq(id.as_uuid()),
        Err(_) => organisation::Column::Name.eq(arg),
    };
    Ok(organisation::Entity::find()
        .filter(filter)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| OrgId::from_uuid(m.id))
        .collect())
}

pub async fn create_organisation(
    tx: &Tx,
    kind: OrgKind,
    name: &str,
    prefecture: Option<OrgId>,
) -> Result<OrgId> {
    require_system(tx)?;
    let id = OrgId::new();
    organisation::ActiveModel {
        id: Set(id.as_uuid()),
        kind: Set(kind.as_str().to_owned()),
        name: Set(name.to_owned()),
        prefecture_id: Set(prefecture.map(|p| p.as_uuid())),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    Ok(id)
}

pub async fn create_user(
    tx: &Tx,
    email: &str,
    display_name: &str,
    password_hash: Option<&str>,
) -> Result<UserId> {
    require_system(tx)?;
    let id = UserId::new();
    user::ActiveModel {
        id: Set(id.as_uuid()),
        email: Set(email.to_owned()),
        display_name: Set(display_name.to_owned()),
        password_hash: Set(password_hash.map(str::to_owned)),
        created_at: Set(Utc::now()),
        disabled_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    Ok(id)
}

pub async fn add_membership(tx: &Tx, user: UserId, org: OrgId, role: Role) -> Result<()> {
    require_system(tx)?;
    membership::ActiveModel {
        user_id: Set(user.as_uuid()),
        org_id: Set(org.as_uuid()),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// Inserts an API key row whose secret the caller already hashed (keyed hash, never the key). The
/// accounts module builds key generation and verification on this.
pub async fn create_api_key(
    tx: &Tx,
    org: OrgId,
    name: &str,
    prefix: &str,
    key_hash: &str,
    access: crate::model::Access,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> Result<taisho_domain::ApiKeyId> {
    require_system(tx)?;
    let id = taisho_domain::ApiKeyId::new();
    crate::entity::api_key::ActiveModel {
        id: Set(id.as_uuid()),
        org_id: Set(org.as_uuid()),
        name: Set(name.to_owned()),
        prefix: Set(prefix.to_owned()),
        key_hash: Set(key_hash.to_owned()),
        access: Set(access.as_str().to_owned()),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        created_by: Set(None),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    Ok(id)
}
