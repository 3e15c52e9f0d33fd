//! Who is asking, and which organisations that lets them see.
//!
//! A [`TenantScope`] is built only by [`scope_for`] from an authenticated [`Principal`]; every store
//! function that touches tenant data runs in a [`crate::Tx`], which can only be opened with a scope.

use std::collections::BTreeSet;
use std::net::IpAddr;

use taisho_domain::{ApiKeyId, OrgId, UserId};

/// An authenticated caller, as the web layer established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in user. `acting_org` is the organisation the user acts for in this request (it must
    /// be one of the user's memberships; otherwise the scope is empty).
    User {
        user: UserId,
        acting_org: Option<OrgId>,
    },
    /// An API key (authenticated by its keyed hash elsewhere).
    ApiKey {
        key: ApiKeyId,
    },
    /// The analysis worker running a job of `org`: reads that organisation's text, writes its results.
    Worker {
        org: OrgId,
    },
    Anonymous,
}

/// Who did it, for `uploaded_by` and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    ApiKey(ApiKeyId),
    Worker,
    System,
    Anonymous,
}

/// The organisations a principal may read, write and read the text of. Sets are small (own
/// organisations, a prefecture's members, grantors), so they travel as transaction settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantScope {
    pub(crate) actor: Actor,
    pub(crate) acting_org: Option<OrgId>,
    /// Statuses, metadata, analyses.
    pub(crate) read: BTreeSet<OrgId>,
    /// Create documents and versions, store analyses.
    pub(crate) write: BTreeSet<OrgId>,
    /// Organisations whose documents the caller manages as their own (admins and editors of the
    /// organisation itself, its write keys, its worker): a subset of `write` without what grants
    /// add. Publication of a document is decided here, never through a grant.
    pub(crate) own_write: BTreeSet<OrgId>,
    /// Manage memberships, grants and keys; read the audit log.
    pub(crate) admin: BTreeSet<OrgId>,
    /// Text and original bytes of every document.
    pub(crate) text: BTreeSet<OrgId>,
    /// Text and original bytes of documents not marked unpublished.
    pub(crate) text_published: BTreeSet<OrgId>,
    pub(crate) system: bool,
    pub(crate) auth: bool,
    /// The client's network address, for the audit log only (grants nothing).
    pub(crate) client: Option<IpAddr>,
}

impl TenantScope {
    pub(crate) fn empty(actor: Actor) -> Self {
        TenantScope {
            actor,
            acting_org: None,
            read: BTreeSet::new(),
            write: BTreeSet::new(),
            own_write: BTreeSet::new(),
            admin: BTreeSet::new(),
            text: BTreeSet::new(),
            text_published: BTreeSet::new(),
            system: false,
            auth: false,
            client: None,
        }
    }

    /// The worker's claim path and provisioning: tenant tables' policies let it through, tenant
    /// functions do not (its org sets are empty).
    pub(crate) fn system() -> Self {
        TenantScope {
            system: true,
            ..TenantScope::empty(Actor::System)
        }
    }

    /// Resolving a principal: read-only look-ups of memberships, grants, keys, organisations.
    pub(crate) fn auth() -> Self {
        TenantScope {
            auth: true,
            ..TenantScope::empty(Actor::System)
        }
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    pub fn acting_org(&self) -> Option<OrgId> {
        self.acting_org
    }

    pub fn can_read(&self, org: OrgId) -> bool {
        self.read.contains(&org)
    }

    pub fn can_write(&self, org: OrgId) -> bool {
        self.write.contains(&org)
    }

    /// Whether the caller writes `org`'s documents as a member of `org` (not through a grant).
    pub fn can_write_own(&self, org: OrgId) -> bool {
        self.own_write.contains(&org)
    }

    pub fn is_admin(&self, org: OrgId) -> bool {
        self.admin.contains(&org)
    }

    /// Whether the text of a document of `org` is readable, given whether it is unpublished.
    pub fn can_read_text(&self, org: OrgId, unpublished: bool) -> bool {
        self.text.contains(&org) || (!unpublished && self.text_published.contains(&org))
    }

    /// The organisations the scope administers.
    pub fn administered(&self) -> impl Iterator<Item = OrgId> + '_ {
        self.admin.iter().copied()
    }

    pub fn readable(&self) -> impl Iterator<Item = OrgId> + '_ {
        self.read.iter().copied()
    }

    /// This scope with the client address its requests come from (the HTTP layer knows it; the
    /// CLI and workers have none). Recorded with every audit entry; grants nothing.
    pub fn with_client(mut self, client: Option<IpAddr>) -> Self {
        self.client = client;
        self
    }

    /// The client address recorded in the audit log.
    pub fn client(&self) -> Option<IpAddr> {
        self.client
    }

    pub(crate) fn user(&self) -> Option<UserId> {
        match self.actor {
            Actor::User(u) => Some(u),
            _ => None,
        }
    }
}

pub use crate::scope::scope_for;
