//! Who is calling: an API key (`Authorization: Bearer tsk_…`), a browser session (the
//! `taisho_session` cookie), or nobody. [`authenticate`] turns the credential a request carried into
//! a [`Caller`]; every later check goes through `taisho_store::scope_for(&caller.principal, …)`.

use std::net::IpAddr;

use taisho_domain::{ApiKeyId, OrgId, UserId};
use taisho_store::{Principal, TenantScope};

use crate::error::Result;
use crate::services::Services;

/// The name of the browser session cookie.
pub const SESSION_COOKIE: &str = "taisho_session";

/// The credential a request carried.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// An `Authorization` header value (`Bearer tsk_…`) or the bare key.
    Bearer(&'a str),
    /// The value of the session cookie.
    Session(&'a str),
    None,
}

impl std::fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credential::Bearer(_) => "Bearer(<redacted>)",
            Credential::Session(_) => "Session(<redacted>)",
            Credential::None => "None",
        })
    }
}

/// How the caller authenticated, with the organisation it acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    ApiKey { key: ApiKeyId, org: OrgId },
    Session { user: UserId, org: OrgId },
    Anonymous,
}

/// An authenticated caller (or an anonymous one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub kind: CallerKind,
    /// The principal's scope when authentication already read it (API keys: same transaction as
    /// the key); otherwise it is resolved on first use.
    pub scope: Option<TenantScope>,
    /// The network address the request came from (HTTP only), recorded with every audit entry.
    pub client: Option<IpAddr>,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller {
            principal: Principal::Anonymous,
            kind: CallerKind::Anonymous,
            scope: None,
            client: None,
        }
    }

    /// A caller for a user acting for `org` (a session).
    pub fn session(user: UserId, org: OrgId) -> Caller {
        Caller {
            principal: Principal::User {
                user,
                acting_org: Some(org),
            },
            kind: CallerKind::Session { user, org },
            scope: None,
            client: None,
        }
    }

    /// A caller for an API key of `org`.
    pub fn api_key(key: ApiKeyId, org: OrgId) -> Caller {
        Caller {
            principal: Principal::ApiKey { key },
            kind: CallerKind::ApiKey { key, org },
            scope: None,
            client: None,
        }
    }

    /// This caller with its scope already resolved.
    pub fn with_scope(mut self, scope: TenantScope) -> Caller {
        self.scope = Some(scope.with_client(self.client));
        self
    }

    /// This caller coming from the network address `client` (its scope, resolved or not, carries
    /// it into the audit log).
    pub fn with_client(mut self, client: Option<IpAddr>) -> Caller {
        self.client = client;
        self.scope = self.scope.take().map(|s| s.with_client(client));
        self
    }

    /// The caller's tenant scope, resolved now unless authentication already did; it carries the
    /// client address.
    pub async fn resolve_scope(&self, store: &taisho_store::Store) -> Result<TenantScope> {
        match &self.scope {
            Some(scope) => Ok(scope.clone()),
            None => Ok(taisho_store::scope_for(&self.principal, store)
                .await?
                .with_client(self.client)),
        }
    }

    /// The organisation the caller acts for.
    pub fn org(&self) -> Option<OrgId> {
        match self.kind {
            CallerKind::ApiKey { org, .. } | CallerKind::Session { org, .. } => Some(org),
            CallerKind::Anonymous => None,
        }
    }

    /// The signed-in user, for sessions.
    pub fn user(&self) -> Option<UserId> {
        match self.kind {
            CallerKind::Session { user, .. } => Some(user),
            _ => None,
        }
    }

    /// Whether the caller is a browser (cookie session): introspection is off for them in
    /// production, and cookie-borne requests need the server's CSRF checks.
    pub fn is_browser_session(&self) -> bool {
        matches!(self.kind, CallerKind::Session { .. })
    }

    pub fn is_anonymous(&self) -> bool {
        matches!(self.kind, CallerKind::Anonymous)
    }
}

/// Authenticates `credential`. Bad credentials of either kind are `UNAUTHENTICATED`
/// ([`crate::AppError::InvalidKey`] / [`crate::AppError::InvalidCredentials`]); no credential is
/// the anonymous caller (which sees nothing).
pub async fn authenticate(services: &Services, credential: Credential<'_>) -> Result<Caller> {
    authenticate_from(services, credential, None).await
}

/// [`authenticate`] for a request from the network address `client`: the caller (and so every
/// audit entry of its request) carries it, and so does a rejected key's audit entry.
pub async fn authenticate_from(
    services: &Services,
    credential: Credential<'_>,
    client: Option<IpAddr>,
) -> Result<Caller> {
    let caller = match credential {
        Credential::None => Caller::anonymous(),
        Credential::Bearer(value) => {
            let (key, scope) = services.keys.authenticate_key_from(value, client).await?;
            Caller::api_key(key.id, key.org_id).with_scope(scope)
        }
        Credential::Session(token) => services.sessions.resolve(token).await?,
    };
    Ok(caller.with_client(client))
}
