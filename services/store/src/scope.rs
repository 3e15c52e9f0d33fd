//! `Principal` → `TenantScope`: the only way to obtain a scope.

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use taisho_domain::{ApiKeyId, OrgId};
use uuid::Uuid;

use crate::entity::{api_key, membership, user};
use crate::error::Result;
use crate::store::{Backend, Store, Tx};
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
            scope.own_write.insert(*org);
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
            let k = api_key::Entity::find_by_id(key.as_uuid())
                .one(tx.conn())
                .await?;
            let scope = match k {
                Some(k) => api_key_scope(&tx, &k).await?,
                None => TenantScope::empty(Actor::ApiKey(*key)),
            };
            tx.rollback().await?;
            Ok(scope)
        }
    }
}

/// The scope of API key row `k`, read in the auth transaction `tx` (empty when revoked or expired).
pub(crate) async fn api_key_scope(tx: &Tx, k: &api_key::Model) -> Result<TenantScope> {
    let mut scope = TenantScope::empty(Actor::ApiKey(ApiKeyId::from_uuid(k.id)));
    let now = Utc::now();
    if k.revoked_at.is_some() || k.expires_at.is_some_and(|e| e <= now) {
        return Ok(scope);
    }
    scope.acting_org = Some(OrgId::from_uuid(k.org_id));
    add_org(tx, &mut scope, k.org_id, k.access == "write", false).await?;
    Ok(scope)
}

/// Adds a member organisation `org` (own data), what it coordinates (a prefecture's members) and
/// what was granted to it. One statement: it runs on every authenticated request.
async fn add_org(
    tx: &Tx,
    scope: &mut TenantScope,
    org: Uuid,
    can_write: bool,
    is_admin: bool,
) -> Result<()> {
    const OWN: i32 = 0;
    const MEMBER: i32 = 1;
    const GRANTOR: i32 = 2;
    let backend = tx.backend();
    let p = match backend {
        Backend::Postgres => "$1",
        Backend::Sqlite => "?",
    };
    let sql = format!(
        "SELECT {OWN} AS rel, o.id AS org, '' AS access, 0 AS text_access \
           FROM organisations o WHERE o.id = {p} \
         UNION ALL \
         SELECT {MEMBER}, m.id, '', 0 FROM organisations pr \
           JOIN organisations m ON m.prefecture_id = pr.id \
           WHERE pr.id = {p} AND pr.kind = 'prefecture' \
         UNION ALL \
         SELECT {GRANTOR}, g.grantor_org_id, g.access, CASE WHEN g.text_access THEN 1 ELSE 0 END \
           FROM grants g WHERE g.grantee_org_id = {p} AND g.revoked_at IS NULL"
    );
    let values: Vec<sea_orm::Value> = match backend {
        Backend::Postgres => vec![org.into()],
        Backend::Sqlite => vec![org.into(), org.into(), org.into()],
    };
    let rows = tx
        .conn()
        .query_all_raw(Statement::from_sql_and_values(backend.db(), sql, values))
        .await?;
    // Without its own row the organisation is gone, and so is everything it reached.
    if !rows
        .iter()
        .any(|r| r.try_get::<i32>("", "rel").ok() == Some(OWN))
    {
        return Ok(());
    }
    for r in &rows {
        let rel: i32 = r.try_get("", "rel")?;
        let id = OrgId::from_uuid(r.try_get::<Uuid>("", "org")?);
        match rel {
            OWN => {
                scope.read.insert(id);
                scope.text.insert(id);
                if can_write {
                    scope.write.insert(id);
                    scope.own_write.insert(id);
                }
                if is_admin {
                    scope.admin.insert(id);
                }
            }
            // Coordinators read their members' statuses, and text only of published documents.
            MEMBER => {
                scope.read.insert(id);
                scope.text_published.insert(id);
            }
            _ => {
                let access: String = r.try_get("", "access")?;
                let text: i32 = r.try_get("", "text_access")?;
                scope.read.insert(id);
                if access == "write" && can_write {
                    scope.write.insert(id);
                }
                if text != 0 {
                    scope.text.insert(id);
                } else {
                    scope.text_published.insert(id);
                }
            }
        }
    }
    Ok(())
}
