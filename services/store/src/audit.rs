//! The append-only audit log: who (user or key), from which client address, acting for which
//! organisation, did what to which organisation's object, and whether it was allowed. The runtime
//! role may only INSERT and SELECT (PostgreSQL); on SQLite triggers refuse UPDATE and DELETE.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use taisho_domain::OrgId;
use uuid::Uuid;

use crate::entity::audit;
use crate::error::{Result, StoreError, write_err};
use crate::store::Tx;
use crate::tenancy::Actor;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_key_id: Option<Uuid>,
    pub acting_org_id: Option<OrgId>,
    pub target_org_id: Option<OrgId>,
    pub action: String,
    pub object_id: Option<Uuid>,
    pub outcome: String,
    /// The client's network address (HTTP requests only).
    pub client_addr: Option<String>,
    /// A stable code qualifying the action (an error code, `unchanged`, a read channel).
    pub detail: Option<String>,
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
    record_detail(tx, action, target_org, object_id, outcome, None).await
}

/// [`record`] with a `detail` code (never document text, emails or secrets). The client address
/// comes from the transaction's scope ([`crate::TenantScope::with_client`]).
pub async fn record_detail(
    tx: &Tx,
    action: &str,
    target_org: Option<OrgId>,
    object_id: Option<Uuid>,
    outcome: &str,
    detail: Option<&str>,
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
        client_addr: Set(scope.client().map(|a| a.to_string())),
        detail: Set(detail.map(str::to_owned)),
    };
    // Without RETURNING: on PostgreSQL a returned row must also pass the SELECT policy, which
    // admits only admins, so a viewer's or a key's entry would be refused.
    audit::Entity::insert(entry)
        .exec_without_returning(tx.conn())
        .await
        .map_err(write_err)?;
    Ok(())
}

/// Which entries of an organisation's log to read (all `None`: every entry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exact action name (`document.read`).
    pub action: Option<String>,
    /// Entries by this user or key (its id).
    pub actor: Option<Uuid>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
}

fn of_org(org: OrgId, filter: &AuditFilter) -> Condition {
    let mut c = Condition::all().add(
        Condition::any()
            .add(audit::Column::ActingOrgId.eq(org.as_uuid()))
            .add(audit::Column::TargetOrgId.eq(org.as_uuid())),
    );
    if let Some(action) = &filter.action {
        c = c.add(audit::Column::Action.eq(action.as_str()));
    }
    if let Some(actor) = filter.actor {
        c = c.add(
            Condition::any()
                .add(audit::Column::ActorUserId.eq(actor))
                .add(audit::Column::ActorKeyId.eq(actor)),
        );
    }
    if let Some(since) = filter.since {
        c = c.add(audit::Column::At.gte(since));
    }
    if let Some(until) = filter.until {
        c = c.add(audit::Column::At.lt(until));
    }
    c
}

fn entry(m: audit::Model) -> AuditEntry {
    AuditEntry {
        id: m.id,
        at: m.at,
        actor_user_id: m.actor_user_id,
        actor_key_id: m.actor_key_id,
        acting_org_id: m.acting_org_id.map(OrgId::from_uuid),
        target_org_id: m.target_org_id.map(OrgId::from_uuid),
        action: m.action,
        object_id: m.object_id,
        outcome: m.outcome,
        client_addr: m.client_addr,
        detail: m.detail,
    }
}

/// Entries acting for or targeting `org`, newest first; admins of `org` only.
pub async fn list(tx: &Tx, org: OrgId, limit: u64) -> Result<Vec<AuditEntry>> {
    if !tx.app_allows(tx.scope().is_admin(org)) {
        return Err(StoreError::NotFound);
    }
    Ok(page(tx, org, &AuditFilter::default(), 0, limit).await?.0)
}

/// One page of `org`'s entries passing `filter`, newest first (ids are time-ordered UUIDv7), and
/// the number of entries passing it. Admins of `org` only: `Forbidden` for other readers of `org`,
/// `NotFound` for anyone else (like a missing organisation).
pub async fn page(
    tx: &Tx,
    org: OrgId,
    filter: &AuditFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<AuditEntry>, u64)> {
    let scope = tx.scope();
    if !tx.app_allows(scope.can_read(org)) {
        return Err(StoreError::NotFound);
    }
    if !tx.app_allows(scope.is_admin(org)) {
        return Err(StoreError::Forbidden);
    }
    let query = audit::Entity::find().filter(of_org(org, filter));
    let total = query.clone().count(tx.conn()).await?;
    let list = query
        .order_by_desc(audit::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(entry)
        .collect();
    Ok((list, total))
}
