//! Use-case helpers over the append-only audit log (`taisho_store::audit`). Each entry names the
//! actor (user or key, from the transaction's scope), the organisation it acted for, the target
//! organisation, the object and the outcome. Nothing identifying beyond ids goes in: no emails, no
//! document text, no secrets.
//!
//! Entries recorded in a use-case's own transaction commit or roll back with it, which is what a
//! successful action wants. A refusal rolls its transaction back, so [`denied`] records in a
//! transaction of its own.

use taisho_domain::{ApiKeyId, DocumentId, GrantId, OrgId, UserId, VersionId};
pub use taisho_store::audit::{AuditEntry, AuditFilter};
use taisho_store::{Document, Grant, Mode, Store, TenantScope, Tx, Version, audit};
use uuid::Uuid;

use crate::error::Result;
use crate::services::Services;

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
    DocumentUpload,
    DocumentSetUnpublished,
    AnalysisReanalyse,
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
            Action::DocumentUpload => "document.upload",
            Action::DocumentSetUnpublished => "document.set_unpublished",
            Action::AnalysisReanalyse => "analysis.reanalyse",
        }
    }
}

/// Details of `document.read` entries: the channel the text left through. `diff` records none.
pub mod channel {
    /// Evidence (policy text, diff spans) or local additions of an analysis, in a query or
    /// mutation answer.
    pub const ANALYSIS: &str = "analysis";
    /// The same, delivered through a subscription.
    pub const SUBSCRIPTION: &str = "subscription";
}

/// Outcomes: `ok` for done, `denied` for refused (forbidden, foreign or missing object, bad
/// credentials).
pub const OK: &str = "ok";
pub const DENIED: &str = "denied";
/// Refused for its input (an unreadable or invalid upload); the detail holds the error code.
pub const REFUSED: &str = "refused";

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
pub(crate) async fn denied(
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

/// A document was marked unpublished (detail `unpublished`) or published (`published`), in the
/// change's transaction.
pub async fn document_unpublished_set(tx: &Tx, document: &Document) -> Result<()> {
    let detail = if document.unpublished {
        "unpublished"
    } else {
        "published"
    };
    audit::record_detail(
        tx,
        Action::DocumentSetUnpublished.as_str(),
        Some(document.org_id),
        Some(document.id.as_uuid()),
        OK,
        Some(detail),
    )
    .await?;
    Ok(())
}

/// An upload was stored: the version (`new_version`) or the identical existing one
/// (`unchanged`), in the upload's transaction.
pub async fn upload_stored(tx: &Tx, org: OrgId, version: VersionId, created: bool) -> Result<()> {
    let detail = if created { "new_version" } else { "unchanged" };
    audit::record_detail(
        tx,
        Action::DocumentUpload.as_str(),
        Some(org),
        Some(version.as_uuid()),
        OK,
        Some(detail),
    )
    .await?;
    Ok(())
}

/// An upload was refused (nothing stored): `denied` for a refusal of access, `refused` for its
/// input, with the error code as the detail, in a transaction of its own. The object is the
/// existing document it was meant for, if any.
pub(crate) async fn upload_refused(
    store: &Store,
    scope: &TenantScope,
    org: OrgId,
    document: Option<DocumentId>,
    error: &crate::AppError,
) -> Result<()> {
    let outcome = if error.is_denial() { DENIED } else { REFUSED };
    let tx = store.begin(scope, Mode::Write).await?;
    audit::record_detail(
        &tx,
        Action::DocumentUpload.as_str(),
        Some(org),
        document.map(|d| d.as_uuid()),
        outcome,
        Some(error.code().as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An analysis of `version` was asked for again (detail: the edition), in the enqueueing
/// transaction.
pub async fn reanalysed(tx: &Tx, version: &Version, edition: &str) -> Result<()> {
    audit::record_detail(
        tx,
        Action::AnalysisReanalyse.as_str(),
        Some(version.org_id),
        Some(version.id.as_uuid()),
        OK,
        Some(edition),
    )
    .await?;
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

/// The audit log use-cases ([`Services::audit`]).
#[derive(Debug, Clone, Copy)]
pub struct AuditLog<'a>(pub(crate) &'a Services);

impl AuditLog<'_> {
    /// Texts of the versions `read` (organisation, version) were returned to the caller through
    /// `channel` ([`channel`](crate::audit::channel)): one `document.read` entry per version, all in one transaction. The
    /// GraphQL layer calls it once per operation (per event batch for subscriptions) with every
    /// version whose evidence or local additions it answered with, before the answer leaves.
    pub async fn texts_read(
        &self,
        scope: &TenantScope,
        read: &[(OrgId, VersionId)],
        channel: &str,
    ) -> Result<()> {
        if read.is_empty() {
            return Ok(());
        }
        let tx = self.0.store.begin(scope, Mode::Write).await?;
        for (org, version) in read {
            audit::record_detail(
                &tx,
                Action::DocumentRead.as_str(),
                Some(*org),
                Some(version.as_uuid()),
                OK,
                Some(channel),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One page of `org`'s audit log passing `filter`, newest first, and the number of entries passing
    /// it. Admins of `org` only (anyone else: NotFound, like a missing organisation).
    pub async fn list(
        &self,
        scope: &TenantScope,
        org: OrgId,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AuditEntry>, u64)> {
        let tx = self.0.store.begin(scope, Mode::Read).await?;
        let page = audit::page(&tx, org, filter, offset, limit).await?;
        tx.rollback().await?;
        Ok(page)
    }
}
