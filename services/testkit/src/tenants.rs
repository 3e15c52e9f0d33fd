//! Tenants for a test: organisations, their users and memberships, made in one system
//! transaction, and the scopes the tests act in.
//!
//! On PostgreSQL the tests of one run share a database, so everything a test makes is new: every
//! e-mail address carries the builder's [`tag`], and tests name organisations after it where the
//! name must be unique.

use taisho_domain::{OrgId, UserId};
use taisho_store::{Mode, OrgKind, Principal, Role, Store, TenantScope, Tx, provision, scope_for};

/// A fresh tag (a UUIDv7 without dashes), unique per call.
pub fn tag() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A user made by [`Tenants::member`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: UserId,
    pub email: String,
}

/// Makes organisations and members in one system transaction; [`Tenants::commit`] ends it.
#[derive(Debug)]
pub struct Tenants {
    tx: Tx,
    tag: String,
    password_hash: Option<String>,
}

impl Tenants {
    /// A new system transaction with a fresh [`tag`].
    pub async fn begin(store: &Store) -> Tenants {
        Tenants {
            tx: store.begin_system(Mode::Write).await.expect("system tx"),
            tag: tag(),
            password_hash: None,
        }
    }

    /// Members made from now on sign in with the password of `hash` (a PHC string).
    #[must_use]
    pub fn with_password_hash(mut self, hash: String) -> Tenants {
        self.password_hash = Some(hash);
        self
    }

    /// This builder's tag, part of every e-mail address it makes.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The open system transaction, for anything else the setup needs.
    pub fn tx(&self) -> &Tx {
        &self.tx
    }

    pub async fn organisation(
        &self,
        kind: OrgKind,
        name: &str,
        prefecture: Option<OrgId>,
    ) -> OrgId {
        provision::create_organisation(&self.tx, kind, name, prefecture)
            .await
            .expect("organisation")
    }

    /// A new user `<local>-<tag>@example.jp` named `name`, a member of `org` with `role`.
    pub async fn member(&self, org: OrgId, role: Role, local: &str, name: &str) -> Member {
        let email = format!("{local}-{}@example.jp", self.tag);
        let id = provision::create_user(&self.tx, &email, name, self.password_hash.as_deref())
            .await
            .expect("user");
        provision::add_membership(&self.tx, id, org, role)
            .await
            .expect("membership");
        Member { id, email }
    }

    pub async fn commit(self) {
        self.tx.commit().await.expect("commit");
    }
}

/// The scope of `user` acting for `acting_org` (or, with `None`, for none in particular).
pub async fn user_scope(
    store: &Store,
    user: UserId,
    acting_org: impl Into<Option<OrgId>>,
) -> TenantScope {
    scope_for(
        &Principal::User {
            user,
            acting_org: acting_org.into(),
        },
        store,
    )
    .await
    .expect("scope")
}

/// The scope of the worker running a job of `org`.
pub async fn worker_scope(store: &Store, org: OrgId) -> TenantScope {
    scope_for(&Principal::Worker { org }, store)
        .await
        .expect("scope")
}
