//! Use-case helpers over the append-only audit log (`taisho_store::audit`). Each entry names the
//! actor (user or key, from the transaction's scope), the organisation it acted for, the target
//! organisation, the object and the outcome. Nothing identifying beyond ids goes in: no emails, no
//! document text, no secrets.
//!
//! Entries recorded in a use-case's own transaction commit or roll back with it, which is what a
//! successful action wants. A refusal rolls its transaction back, so [`denied`] records in a
//! transaction of its own.

use taisho_domain::{ApiKeyId, GrantId, OrgId, UserId, VersionId};
use taisho_store::{Grant, Mode, Store, TenantScope, Tx, Version, audit};
use uuid::Uuid;

use crate::error::Result;

/// The actions the log records. The strings are the stored, stable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    SignIn,
    PasswordChange,
    KeyAuthenticate,
    KeyCreate,
    KeyRevoke,
    UserCreate,
    MemberAdd,
    MemberRole,
    MemberRemove,
    GrantCreate,
    GrantRevoke,
    DocumentRead,
    DocumentExport,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::PasswordChange => "password.change",
            Action::KeyAuthenticate => "api_key.authenticate",
            Action::KeyCreate => "api_key.create",
            Action::KeyRevoke => "api_key.revoke",
            Action::UserCreate => "user.create",
            Action::MemberAdd => "member.add",
            Action::MemberRole => "member.role",
            Action::MemberRemove => "member.remove",
            Action::GrantCreate => "grant.create",
            Action::GrantRevoke => "grant.revoke",
            Action::DocumentRead => "document.read",
            Action::DocumentExport => "document.export",
        }
    }
}

/// Outcomes: `ok` for done, `denied` for refused (forbidden, foreign or missing object, bad
/// credentials).
pub const OK: &str = "ok";
pub const DENIED: &str = "denied";

/// Records a successful `action` on `object` of `target` in the use-case's transaction.
pub async fn ok(
    tx: &Tx,
    action: Action,
    target: Option<OrgId>,
    object: Option<Uuid>,
) -> Result<()> {
    audit::record(tx, action.as_str(), target, object, OK).await?;
    Ok(())
}

/// Records a refused `action` for `scope` in its own committed transaction (the refused use-case's
/// transaction rolls back and would take the entry with it).
pub async fn denied(
    store: &Store,
    scope: &TenantScope,
    action: Action,
    target: Option<OrgId>,
    object: Option<Uuid>,
) -> Result<()> {
    let tx = store.begin(scope, Mode::Write).await?;
    audit::record(&tx, action.as_str(), target, object, DENIED).await?;
    tx.commit().await?;
    Ok(())
}

/// A version's text or bytes were read (viewer, diff, evidence display).
pub async fn document_read(tx: &Tx, version: &Version) -> Result<()> {
    ok(
        tx,
        Action::DocumentRead,
        Some(version.org_id),
        Some(version.id.as_uuid()),
    )
    .await
}

/// A version (or a report on it) left the system as a file.
pub async fn document_export(tx: &Tx, org: OrgId, version: VersionId) -> Result<()> {
    ok(
        tx,
        Action::DocumentExport,
        Some(org),
        Some(version.as_uuid()),
    )
    .await
}

pub async fn grant_created(tx: &Tx, grant: &Grant) -> Result<()> {
    ok(
        tx,
        Action::GrantCreate,
        Some(grant.grantor_org_id),
        Some(grant.id.as_uuid()),
    )
    .await
}

pub async fn grant_revoked(tx: &Tx, grantor: OrgId, grant: GrantId) -> Result<()> {
    ok(
        tx,
        Action::GrantRevoke,
        Some(grantor),
        Some(grant.as_uuid()),
    )
    .await
}

pub(crate) async fn key_event(tx: &Tx, action: Action, org: OrgId, key: ApiKeyId) -> Result<()> {
    ok(tx, action, Some(org), Some(key.as_uuid())).await
}

pub(crate) async fn member_event(tx: &Tx, action: Action, org: OrgId, user: UserId) -> Result<()> {
    ok(tx, action, Some(org), Some(user.as_uuid())).await
}

/// Runs `result`'s error through the log: a refusal ([`crate::AppError::is_denial`]) is recorded as
/// `denied` for `scope`; the error is returned unchanged. Recording failures are ignored so the
/// caller sees the original error (the refusal happened either way).
pub async fn on_denial<T>(
    store: &Store,
    scope: &TenantScope,
    action: Action,
    target: Option<OrgId>,
    object: Option<Uuid>,
    result: Result<T>,
) -> Result<T> {
    if let Err(e) = &result
        && e.is_denial()
    {
        let _ = denied(store, scope, action, target, object).await;
    }
    result
}
