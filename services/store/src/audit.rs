//! The append-only audit log: who (user or key), acting for which organisation, did what to which
//! organisation's object, and whether it was allowed. The runtime role may only INSERT and SELECT.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use taisho_domain::OrgId;
use uuid::Uuid;

use crate::entity::audit;
use crate::error::{Result, StoreError, write_err};
use crate::store::Tx;
use crate::tenancy::Actor;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_key_id: Option<Uuid>,
    pub acting_org_id: Option<OrgId>,
    pub target_org_id: Option<OrgId>,
    pub action: String,
    pub object_id: Option<Uuid>,
    pub outcome: String,
}

/// Appends an entry for the transaction's actor. Record denials in their own transaction: a
/// rolled-back transaction takes its audit rows with it.
pub async fn record(
    tx: &Tx,
    action: &str,
    target_org: Option<OrgId>,
    object_id: Option<Uuid>,
    outcome: &str,
) -> Result<()> {
    let scope = tx.scope();
    let (user, key) = match scope.actor() {
        Actor::User(u) => (Some(u.as_uuid()), None),
        Actor::ApiKey(k) => (None, Some(k.as_uuid())),
        _ => (None, None),
    };
    let entry = audit::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(Utc::now()),
        actor_user_id: Set(user),
        actor_key_id: Set(key),
        acting_org_id: Set(scope.acting_org().map(|o| o.as_uuid())),
        target_org_id: Set(target_org.map(|o| o.as_uuid())),
        action: Set(action.to_owned()),
        object_id: Set(object_id),
        outcome: Set(outcome.to_owned()),
    };
    // Without RETURNING: on PostgreSQL a returned row must also pass the SELECT policy, which
    // admits only admins, so a viewer's or a key's entry would be refused.
    audit::Entity::insert(entry)
        .exec_without_returning(tx.conn())
        .await
        .map_err(write_err)?;
    Ok(())
}

/// Entries acting for or targeting `org`, newest first; admins of `org` only.
pub async fn list(tx: &Tx, org: OrgId, limit: u64) -> Result<Vec<AuditEntry>> {
    if !tx.app_allows(tx.scope().is_admin(org)) {
        return Err(StoreError::NotFound);
    }
    use sea_orm::QuerySelect;
    Ok(audit::Entity::find()
        .filter(
            Condition::any()
                .add(audit::Column::ActingOrgId.eq(org.as_uuid()))
                .add(audit::Column::TargetOrgId.eq(org.as_uuid())),
        )
        .order_by_desc(audit::Column::Id)
        .limit(limit)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| AuditEntry {
            at: m.at,
            actor_user_id: m.actor_user_id,
            actor_key_id: m.actor_key_id,
            acting_org_id: m.acting_org_id.map(OrgId::from_uuid),
            target_org_id: m.target_org_id.map(OrgId::from_uuid),
            action: m.action,
            object_id: m.object_id,
            outcome: m.outcome,
        })
        .collect())
}
