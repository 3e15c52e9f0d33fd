//! `Principal` → `TenantScope`: the only way to obtain a scope.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use taisho_domain::OrgId;
use uuid::Uuid;

use crate::entity::{api_key, grant, membership, organisation, user};
use crate::error::Result;
use crate::store::{Store, Tx};
use crate::tenancy::{Actor, Principal, TenantScope};

/// Resolves what `principal` may see. Unknown, disabled, revoked or expired principals get an empty
/// scope (they see nothing) rather than an error, so the caller's error path is the usual NotFound.
pub async fn scope_for(principal: &Principal, store: &Store) -> Result<TenantScope> {
    match principal {
        Principal::Anonymous => Ok(TenantScope::empty(Actor::Anonymous)),
        Principal::Worker { org } => {
            let mut scope = TenantScope::empty(Actor::Worker);
            scope.acting_org = Some(*org);
            scope.read.insert(*org);
            scope.write.insert(*org);
            scope.text.insert(*org);
            Ok(scope)
        }
        Principal::User {
            user: user_id,
            acting_org,
        } => {
            let tx = store.begin_auth().await?;
            let mut scope = TenantScope::empty(Actor::User(*user_id));
            let Some(u) = user::Entity::find_by_id(user_id.as_uuid())
                .one(tx.conn())
                .await?
            else {
                return Ok(scope);
            };
            if u.disabled_at.is_some() {
                return Ok(scope);
            }
            let memberships = membership::Entity::find()
                .filter(membership::Column::UserId.eq(user_id.as_uuid()))
                .all(tx.conn())
                .await?;
            if let Some(acting) = acting_org
                && !memberships.iter().any(|m| m.org_id == acting.as_uuid())
            {
                return Ok(scope);
            }
            scope.acting_org = *acting_org;
            for m in memberships {
                if acting_org.is_some_and(|a| a.as_uuid() != m.org_id) {
                    continue;
                }
                let can_write = m.role == "admin" || m.role == "editor";
                add_org(&tx, &mut scope, m.org_id, can_write, m.role == "admin").await?;
            }
            tx.rollback().await?;
            Ok(scope)
        }
        Principal::ApiKey { key } => {
            let tx = store.begin_auth().await?;
            let mut scope = TenantScope::empty(Actor::ApiKey(*key));
            let Some(k) = api_key::Entity::find_by_id(key.as_uuid())
                .one(tx.conn())
                .await?
            else {
                return Ok(scope);
            };
            let now = Utc::now();
            if k.revoked_at.is_some() || k.expires_at.is_some_and(|e| e <= now) {
                return Ok(scope);
            }
            scope.acting_org = Some(OrgId::from_uuid(k.org_id));
            add_org(&tx, &mut scope, k.org_id, k.access == "write", false).await?;
            tx.rollback().await?;
            Ok(scope)
        }
    }
}

/// Adds a member organisation `org` (own data), what it coordinates (a prefecture's members) and
/// what was granted to it.
async fn add_org(
    tx: &Tx,
    scope: &mut TenantScope,
    org: Uuid,
    can_write: bool,
    is_admin: bool,
) -> Result<()> {
    let Some(o) = organisation::Entity::find_by_id(org).one(tx.conn()).await? else {
        return Ok(());
    };
    let own = OrgId::from_uuid(o.id);
    scope.read.insert(own);
    scope.text.insert(own);
    if can_write {
        scope.write.insert(own);
    }
    if is_admin {
        scope.admin.insert(own);
    }
    if o.kind == "prefecture" {
        // Coordinators read their members' statuses, and text only of published documents.
        let members = organisation::Entity::find()
            .filter(organisation::Column::PrefectureId.eq(o.id))
            .all(tx.conn())
            .await?;
        for m in members {
            let id = OrgId::from_uuid(m.id);
            scope.read.insert(id);
            scope.text_published.insert(id);
        }
    }
    let grants = grant::Entity::find()
        .filter(grant::Column::GranteeOrgId.eq(o.id))
        .filter(grant::Column::RevokedAt.is_null())
        .all(tx.conn())
        .await?;
    for g in grants {
        let grantor = OrgId::from_uuid(g.grantor_org_id);
        scope.read.insert(grantor);
        if g.access == "write" && can_write {
            scope.write.insert(grantor);
        }
        if g.text_access {
            scope.text.insert(grantor);
        } else {
            scope.text_published.insert(grantor);
        }
    }
    Ok(())
}
