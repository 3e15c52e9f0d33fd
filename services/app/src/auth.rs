//! Who is calling: an API key (`Authorization: Bearer tsk_…`), a browser session (the
//! `taisho_session` cookie), or nobody. [`authenticate`] turns the credential a request carried into
//! a [`Caller`]; every later check goes through `taisho_store::scope_for(&caller.principal, …)`.

use std::net::IpAddr;

use taisho_domain::{ApiKeyId, OrgId, UserId};
use taisho_store::{Principal, Role, TenantScope};

use crate::error::Result;
use crate::services::Services;
use secrecy::{ExposeSecret, SecretString};

/// The name of the browser session cookie in development (plain HTTP on a local address: browsers
/// refuse `__Host-` cookies without `Secure`).
pub const SESSION_COOKIE: &str = "taisho_session";
/// The name of the browser session cookie in production: the `__Host-` prefix makes browsers
/// accept it only with `Secure`, `Path=/` and no `Domain`, so a sibling host cannot plant one.
pub const SESSION_COOKIE_SECURE: &str = "__Host-taisho_session";

/// The session cookie's name: [`SESSION_COOKIE_SECURE`] in production, [`SESSION_COOKIE`]
/// otherwise. The one place both the JSON sign-in and the browser UI take it from; each mode reads
/// only its own name.
pub fn session_cookie_name(production: bool) -> &'static str {
    if production {
        SESSION_COOKIE_SECURE
    } else {
        SESSION_COOKIE
    }
}

/// The credential a request carried. Borrowed from the request and never printed: it has no
/// `Debug` (keep it with [`HeldCredential`], which redacts).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// An `Authorization` header value (`Bearer tsk_…`) or the bare key.
    Bearer(&'a str),
    /// The value of the session cookie.
    Session(&'a str),
    None,
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
    pub async fn resolve_scope(&self, services: &Services) -> Result<TenantScope> {
        match &self.scope {
            Some(scope) => Ok(scope.clone()),
            None => Ok(services
                .scope_of(&self.principal)
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
            let (key, scope) = services.keys().authenticate_key_from(value, client).await?;
            Caller::api_key(key.id, key.org_id).with_scope(scope)
        }
        Credential::Session(token) => services.sessions().resolve(token).await?,
    };
    Ok(caller.with_client(client))
}

// ---------------------------------------------------------------------------------------------
// Long-lived connections (WebSockets)

/// The credential a long-lived connection was opened with, kept so it can be authenticated again.
/// Its `Debug` is redacted.
#[derive(Debug, Clone)]
pub enum HeldCredential {
    /// An API key (`Bearer tsk_…` or the bare key).
    Bearer(SecretString),
    /// A session token (the cookie's value).
    Session(SecretString),
}

impl HeldCredential {
    /// The credential to keep; `None` for no credential.
    pub fn new(credential: Credential<'_>) -> Option<HeldCredential> {
        match credential {
            Credential::Bearer(v) => Some(HeldCredential::Bearer(v.into())),
            Credential::Session(v) => Some(HeldCredential::Session(v.into())),
            Credential::None => None,
        }
    }

    pub fn credential(&self) -> Credential<'_> {
        match self {
            HeldCredential::Bearer(v) => Credential::Bearer(v.expose_secret()),
            HeldCredential::Session(v) => Credential::Session(v.expose_secret()),
        }
    }
}

/// What a long-lived connection (a WebSocket) may do: the caller its credential authenticated when
/// it opened, with the tenant scope resolved then. Everything the connection runs uses that scope
/// (a grant made later is seen after reconnecting); [`Authority::recheck`] tells whether the
/// credential still grants it.
#[derive(Debug, Clone)]
pub struct Authority {
    credential: HeldCredential,
    caller: Caller,
    /// The connection's network address (for the audit entries of its checks).
    client: Option<std::net::IpAddr>,
}

/// The outcome of [`Authority::recheck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The credential is valid, for the same caller, and its scope covers the connection's.
    Holds,
    /// Signed out, revoked, expired, no longer a member, or a scope that lost something the
    /// connection had (a revoked grant, a lower role): the connection must end.
    Lost,
}

impl Authority {
    /// Authenticates `credential` and resolves its scope. No credential, and an anonymous caller,
    /// are [`crate::AppError::InvalidSession`] (`UNAUTHENTICATED`).
    pub async fn establish(
        services: &Services,
        credential: Credential<'_>,
        client: Option<std::net::IpAddr>,
    ) -> Result<Authority> {
        let held = HeldCredential::new(credential).ok_or(crate::AppError::InvalidSession)?;
        let caller = with_scope(
            services,
            authenticate_from(services, credential, client).await?,
        )
        .await?;
        if caller.is_anonymous() {
            return Err(crate::AppError::InvalidSession);
        }
        Ok(Authority {
            credential: held,
            caller,
            client,
        })
    }

    /// The caller, with the scope resolved when the connection opened.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Authenticates the held credential again (one auth read: the key with its scope, or the
    /// session and the user's scope) and compares the caller and scope with the connection's.
    /// A credential that no longer authenticates is [`Standing::Lost`]; store failures are errors
    /// (the caller decides what an outage means for the connection).
    pub async fn recheck(&self, services: &Services) -> Result<Standing> {
        let now = match authenticate_from(services, self.credential.credential(), self.client).await
        {
            Ok(c) => with_scope(services, c).await?,
            Err(e) if e.code() == taisho_domain::ErrorCode::Unauthenticated => {
                return Ok(Standing::Lost);
            }
            Err(e) => return Err(e),
        };
        let (Some(granted), Some(current)) = (&self.caller.scope, &now.scope) else {
            return Ok(Standing::Lost);
        };
        if now.kind == self.caller.kind && covers(current, granted) {
            Ok(Standing::Holds)
        } else {
            Ok(Standing::Lost)
        }
    }
}

/// `caller` with its scope resolved (read now when authentication did not already).
async fn with_scope(services: &Services, caller: Caller) -> Result<Caller> {
    if caller.scope.is_some() {
        return Ok(caller);
    }
    let scope = services.scope_of(&caller.principal).await?;
    Ok(caller.with_scope(scope))
}

/// The role a scope has in `org`, as the API shows it: admins are ADMIN, other writers EDITOR,
/// readers VIEWER (so an API key is EDITOR with write access and VIEWER with read access).
pub fn role_in(scope: &TenantScope, org: OrgId) -> Role {
    if scope.is_admin(org) {
        Role::Admin
    } else if scope.can_write(org) {
        Role::Editor
    } else {
        Role::Viewer
    }
}

/// Whether `current` allows everything `granted` allowed: the same actor acting for the same
/// organisation, and per organisation `granted` reads, at least the same reading, writing,
/// administration and text access. Equal scopes cover each other; a revoked grant, a removed
/// membership or a lower role does not cover the scope before it.
pub fn covers(current: &TenantScope, granted: &TenantScope) -> bool {
    current.actor() == granted.actor()
        && current.acting_org() == granted.acting_org()
        && granted.readable().all(|org| {
            current.can_read(org)
                && (!granted.can_write(org) || current.can_write(org))
                && (!granted.is_admin(org) || current.is_admin(org))
                && (!granted.can_read_text(org, true) || current.can_read_text(org, true))
                && (!granted.can_read_text(org, false) || current.can_read_text(org, false))
        })
}

/// Process-wide news that some credential or scope may have shrunk: sign-out, API key revocation,
/// a membership removed or its role changed, a grant revoked. Long-lived connections watch it and
/// [`Authority::recheck`] at once instead of waiting for their periodic check. It carries no
/// detail on purpose: a spurious wake costs one re-check, and the re-check is the rule. Changes
/// made by other processes reach a connection through its periodic check.
static CHANGES: std::sync::LazyLock<tokio::sync::watch::Sender<u64>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::Sender::new(0));

/// Tells every connection of this process to re-check its credential (called by the use-cases
/// after their change committed).
pub fn credentials_changed() {
    CHANGES.send_modify(|n| *n = n.wrapping_add(1));
}

/// A receiver that wakes after each [`credentials_changed`].
pub fn watch_credentials() -> tokio::sync::watch::Receiver<u64> {
    CHANGES.subscribe()
}
