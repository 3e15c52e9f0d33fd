//! Users as authentication sees them. Sign-in happens before any principal exists, so
//! [`credentials`] and [`id_by_email`] read in the auth scope (read-only, the `taisho.auth` flag the
//! policies of users and memberships honour) and [`record_authentication`] appends to the audit log
//! for an actor that has no scope yet.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use taisho_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::entity::{membership, user};
use crate::error::Result;
use crate::model::Role;
use crate::store::{Mode, Store};
use crate::tenancy::{Actor, TenantScope};

/// What sign-in needs to know about the user with an email address.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: UserId,
    /// PHC string; `None` for users who cannot sign in with a password.
    pub password_hash: Option<String>,
    pub disabled: bool,
    /// Organisations the user belongs to, in membership order.
    pub memberships: Vec<(OrgId, Role)>,
}

/// Accounts one e-mail address may have (one per organisation that created one for it); a sign-in
/// checks at most this many.
pub const MAX_ACCOUNTS_PER_EMAIL: u64 = 8;

/// The accounts with `email` (exact match: callers normalise), oldest first. An address has one
/// account per organisation that created a user with it (organisations cannot see each other's
/// addresses, so none can be refused for being used elsewhere).
pub async fn credentials(store: &Store, email: &str) -> Result<Vec<Credentials>> {
    let tx = store.begin_auth().await?;
    let users = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .order_by_asc(user::Column::CreatedAt)
        .order_by_asc(user::Column::Id)
        .limit(MAX_ACCOUNTS_PER_EMAIL)
        .all(tx.conn())
        .await?;
    let mut out = Vec::with_capacity(users.len());
    for u in users {
        let memberships = membership::Entity::find()
            .filter(membership::Column::UserId.eq(u.id))
            .order_by_asc(membership::Column::CreatedAt)
            .order_by_asc(membership::Column::OrgId)
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|m| Ok((OrgId::from_uuid(m.org_id), Role::parse(&m.role)?)))
            .collect::<Result<Vec<_>>>()?;
        out.push(Credentials {
            user: UserId::from_uuid(u.id),
            password_hash: u.password_hash,
            disabled: u.disabled_at.is_some(),
            memberships,
        });
    }
    tx.rollback().await?;
    Ok(out)
}

/// The id of the oldest user with `email`, for an admin adding an existing user to an
/// organisation.
pub async fn id_by_email(store: &Store, email: &str) -> Result<Option<UserId>> {
    Ok(credentials(store, email)
        .await?
        .into_iter()
        .next()
        .map(|c| c.user))
}

/// Whether a member of one of `orgs` (organisations the scope administers; others are ignored) has
/// the address `email`: the only "already registered" an admin may learn.
pub async fn email_taken_in(tx: &crate::Tx, email: &str, orgs: &[OrgId]) -> Result<bool> {
    let scope = tx.scope();
    let orgs: Vec<Uuid> = orgs
        .iter()
        .filter(|o| tx.app_allows(scope.is_admin(**o)))
        .map(taisho_domain::OrgId::as_uuid)
        .collect();
    if orgs.is_empty() {
        return Ok(false);
    }
    let members: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::OrgId.is_in(orgs))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    if members.is_empty() {
        return Ok(false);
    }
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .filter(user::Column::Id.is_in(members))
        .one(tx.conn())
        .await?
        .is_some())
}

/// Appends an authentication event (a sign-in, a rejected key) to the audit log in its own
/// committed transaction, for `actor` acting for `acting_org` (none before authentication
/// succeeded) on `target_org`. The transaction's scope grants nothing: the audit log's insert policy
/// accepts any scope. `client` is the caller's network address (none outside HTTP).
#[expect(
    clippy::too_many_arguments,
    reason = "one audited write: every column of the authentication record"
)]
pub async fn record_authentication(
    store: &Store,
    actor: Actor,
    acting_org: Option<OrgId>,
    target_org: Option<OrgId>,
    action: &str,
    object_id: Option<Uuid>,
    outcome: &str,
    client: Option<std::net::IpAddr>,
) -> Result<()> {
    let mut scope = TenantScope::empty(actor);
    scope.acting_org = acting_org;
    scope.client = client;
    let tx = store.begin(&scope, Mode::Write).await?;
    crate::audit::record(&tx, action, target_org, object_id, outcome).await?;
    tx.commit().await
}

/// A user as the organisations it belongs to see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UserProfile {
    pub id: UserId,
    /// Only for the user itself and the admins of its organisations.
    pub email: Option<String>,
    pub display_name: String,
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The users among `ids` the scope may see: the scope's own user, and members of organisations it
/// reads (on PostgreSQL the `users_select_members` policy says the same). Others are left out.
pub async fn profiles(tx: &crate::Tx, ids: &[UserId]) -> Result<Vec<UserProfile>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<Uuid> = ids.iter().map(taisho_domain::UserId::as_uuid).collect();
    let visible: Vec<Uuid> = if tx.filtered() {
        let scope = tx.scope();
        let read: Vec<Uuid> = scope.readable().map(|o| o.as_uuid()).collect();
        let mut visible: Vec<Uuid> = membership::Entity::find()
            .filter(membership::Column::UserId.is_in(wanted.clone()))
            .filter(membership::Column::OrgId.is_in(read))
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        if let Some(me) = scope.user()
            && wanted.contains(&me.as_uuid())
        {
            visible.push(me.as_uuid());
        }
        visible.sort_unstable();
        visible.dedup();
        visible
    } else {
        wanted
    };
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    // E-mail addresses are personal data: the user's own, and those of members of organisations
    // the scope administers. Coordinators and grantees see names only.
    let scope = tx.scope();
    let administered: Vec<Uuid> = scope.administered().map(|o| o.as_uuid()).collect();
    let mut with_email: Vec<Uuid> = if administered.is_empty() {
        Vec::new()
    } else {
        membership::Entity::find()
            .filter(membership::Column::UserId.is_in(visible.clone()))
            .filter(membership::Column::OrgId.is_in(administered))
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect()
    };
    if let Some(me) = scope.user() {
        with_email.push(me.as_uuid());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(visible))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|u| UserProfile {
            id: UserId::from_uuid(u.id),
            email: with_email.contains(&u.id).then_some(u.email),
            display_name: u.display_name,
            disabled: u.disabled_at.is_some(),
            created_at: u.created_at,
        })
        .collect())
}

/// The password hash of `user` (`None`: no password, or no such user), read in the auth scope like
/// [`credentials`]: a password change checks the current password with it.
pub async fn password_hash(store: &Store, user: UserId) -> Result<Option<String>> {
    let tx = store.begin_auth().await?;
    let u = user::Entity::find_by_id(user.as_uuid())
        .one(tx.conn())
        .await?;
    tx.rollback().await?;
    Ok(u.filter(|u| u.disabled_at.is_none())
        .and_then(|u| u.password_hash))
}

/// Replaces the password hash of `user` (a PHC string the caller computed) and revokes every
/// other session of the user (all but the one hashing to `keep_session`), in one system
/// transaction. Returns how many sessions were revoked.
pub async fn set_password_hash(
    store: &Store,
    user: UserId,
    hash: &str,
    keep_session: &str,
) -> Result<u64> {
    use sea_orm::sea_query::Expr;

    use crate::sessions::session;

    let tx = store.begin_system(Mode::Write).await?;
    let res = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash.to_owned()))
        .filter(user::Column::Id.eq(user.as_uuid()))
        .exec(tx.conn())
        .await?;
    if res.rows_affected == 0 {
        tx.rollback().await?;
        return Err(crate::StoreError::NotFound);
    }
    let revoked = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(chrono::Utc::now()))
        .filter(session::Column::UserId.eq(user.as_uuid()))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::TokenHash.ne(keep_session))
        .exec(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(revoked.rows_affected)
}
