//! Organisations visible to a scope.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use taisho_domain::OrgId;

use crate::entity::organisation;
use crate::error::{Result, StoreError};
use crate::model::{OrgKind, Organisation};
use crate::store::Tx;

pub(crate) fn to_model(m: organisation::Model) -> Result<Organisation> {
    Ok(Organisation {
        id: OrgId::from_uuid(m.id),
        kind: OrgKind::parse(&m.kind)?,
        name: m.name,
        prefecture_id: m.prefecture_id.map(OrgId::from_uuid),
        created_at: m.created_at,
    })
}

fn readable_ids(tx: &Tx) -> Vec<uuid::Uuid> {
    tx.scope()
        .read
        .iter()
        .map(taisho_domain::OrgId::as_uuid)
        .collect()
}

pub async fn get(tx: &Tx, id: OrgId) -> Result<Organisation> {
    if !tx.app_allows(tx.scope().can_read(id)) {
        return Err(StoreError::NotFound);
    }
    let m = organisation::Entity::find_by_id(id.as_uuid())
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
    to_model(m)
}

/// Every organisation the scope reads, by name.
pub async fn list_readable(tx: &Tx) -> Result<Vec<Organisation>> {
    let mut q = organisation::Entity::find().order_by_asc(organisation::Column::Name);
    if tx.filtered() {
        q = q.filter(organisation::Column::Id.is_in(readable_ids(tx)));
    }
    q.all(tx.conn()).await?.into_iter().map(to_model).collect()
}

/// The member bodies of a prefecture that the scope reads.
pub async fn prefecture_members(tx: &Tx, prefecture: OrgId) -> Result<Vec<Organisation>> {
    let pref = get(tx, prefecture).await?;
    if pref.kind != OrgKind::Prefecture {
        return Err(StoreError::NotFound);
    }
    let mut q = organisation::Entity::find()
        .filter(organisation::Column::PrefectureId.eq(prefecture.as_uuid()))
        .order_by_asc(organisation::Column::Name);
    if tx.filtered() {
        q = q.filter(organisation::Column::Id.is_in(readable_ids(tx)));
    }
    q.all(tx.conn()).await?.into_iter().map(to_model).collect()
}
