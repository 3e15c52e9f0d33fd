//! Browser session rows. A session is found by the SHA-256 of its token (the caller hashes it; the
//! token never reaches the store). Like API keys, sessions are used before any principal exists:
//! [`find_by_hash`] reads in the auth scope, [`create`], [`extend`] and [`revoke_by_hash`] write in
//! the system scope, each on the one row named by the caller-supplied hash or id.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use taisho_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::entity::{membership, user};
use crate::error::Result;
use crate::store::{Mode, Store};

pub(crate) mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub token_hash: String,
        pub user_id: Uuid,
        pub org_id: Uuid,
        pub created_at: ChronoDateTimeUtc,
        pub expires_at: ChronoDateTimeUtc,
        pub revoked_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A session row with what authentication needs to know about its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: Uuid,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The user exists and is not disabled.
    pub user_active: bool,
    /// The user is (still) a member of `org_id`.
    pub member: bool,
}

impl SessionRecord {
    /// Usable at `now`: not revoked, not expired, its user active and still a member.
    pub fn is_valid(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now && self.user_active && self.member
    }
}

/// Stores a new session of `user` acting for `org`. The caller has authenticated the user.
pub async fn create(
    store: &Store,
    token_hash: &str,
    user: UserId,
    org: OrgId,
    expires_at: DateTime<Utc>,
) -> Result<Uuid> {
    let tx = store.begin_system(Mode::Write).await?;
    let id = Uuid::now_v7();
    session::ActiveModel {
        id: Set(id),
        token_hash: Set(token_hash.to_owned()),
        user_id: Set(user.as_uuid()),
        org_id: Set(org.as_uuid()),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The session whose token hashes to `token_hash`, whatever its state (the caller checks it with
/// [`SessionRecord::is_valid`] and answers every failure alike).
pub async fn find_by_hash(store: &Store, token_hash: &str) -> Result<Option<SessionRecord>> {
    let tx = store.begin_auth().await?;
    let Some(s) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .one(tx.conn())
        .await?
    else {
        tx.rollback().await?;
        return Ok(None);
    };
    let u = user::Entity::find_by_id(s.user_id).one(tx.conn()).await?;
    let m = membership::Entity::find_by_id((s.user_id, s.org_id))
        .one(tx.conn())
        .await?;
    tx.rollback().await?;
    Ok(Some(SessionRecord {
        id: s.id,
        user_id: UserId::from_uuid(s.user_id),
        org_id: OrgId::from_uuid(s.org_id),
        created_at: s.created_at,
        expires_at: s.expires_at,
        revoked_at: s.revoked_at,
        user_active: u.is_some_and(|u| u.disabled_at.is_none()),
        member: m.is_some(),
    }))
}

/// Moves the expiry of live session `id` to `expires_at` (never earlier than it is). Returns
/// whether it wrote.
pub async fn extend(store: &Store, id: Uuid, expires_at: DateTime<Utc>) -> Result<bool> {
    let tx = store.begin_system(Mode::Write).await?;
    let res = session::Entity::update_many()
        .col_expr(
            session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(expires_at),
        )
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.lt(expires_at))
        .exec(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(res.rows_affected > 0)
}

/// Revokes the session whose token hashes to `token_hash`. Returns the session's user and
/// organisation when this call revoked it (unknown or already revoked: `None`).
pub async fn revoke_by_hash(store: &Store, token_hash: &str) -> Result<Option<(UserId, OrgId)>> {
    let tx = store.begin_system(Mode::Write).await?;
    let Some(s) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::RevokedAt.is_null())
        .one(tx.conn())
        .await?
    else {
        tx.rollback().await?;
        return Ok(None);
    };
    let who = (UserId::from_uuid(s.user_id), OrgId::from_uuid(s.org_id));
    let mut am: session::ActiveModel = s.into();
    am.revoked_at = Set(Some(Utc::now()));
    am.update(tx.conn()).await?;
    tx.commit().await?;
    Ok(Some(who))
}

/// Deletes sessions that expired or were revoked before `before` (maintenance). Returns how many.
pub async fn prune(store: &Store, before: DateTime<Utc>) -> Result<u64> {
    let tx = store.begin_system(Mode::Write).await?;
    let res = session::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(session::Column::ExpiresAt.lt(before))
                .add(session::Column::RevokedAt.lt(before)),
        )
        .exec(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(res.rows_affected)
}
