//! `Organisation.auditLog`: the organisation's audit log (entries acting for it or targeting it),
//! newest first, for its admins only (other readers of the organisation get `FORBIDDEN`, anyone
//! else `NOT_FOUND` as for a missing organisation). Filters: action, actor (a user's or an API
//! key's id), time range; Relay paging like every list.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use taisho_app::audit::{AuditEntry as AppEntry, AuditFilter};
use taisho_domain::{ApiKeyId, DocumentId, GrantId, OrgId, UserId, VersionId};

use crate::connection::{self, Page, PageArgs};
use crate::context::request;
use crate::error::{self, ResultExt};
use crate::ids::{self, Kind};

/// The organisation's part of `Organisation` that reads its audit log.
pub struct OrganisationAudit(pub OrgId);

#[Object]
impl OrganisationAudit {
    /// The organisation's audit log, newest first: sign-ins, key and member management, grants,
    /// uploads, publication changes, re-analyses and every read of a document's text. Admins of the
    /// organisation only. `action` is an exact action name (`document.read`); `actor` a user's or
    /// an API key's id; `since` inclusive, `until` exclusive.
    #[graphql(complexity = "crate::limits::list_cost(first, child_complexity)")]
    #[expect(
        clippy::too_many_arguments,
        reason = "a resolver takes one parameter per GraphQL argument"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        action: Option<String>,
        actor: Option<ID>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Page<AuditEntry>> {
        let args = PageArgs::parse(ctx, first, after)?;
        let actor = match actor {
            None => None,
            Some(id) => match ids::parse(&id)? {
                (Kind::User | Kind::ApiKey, uuid) => Some(uuid),
                _ => return Err(error::not_found()),
            },
        };
        if action.as_ref().is_some_and(|a| a.len() > 64) {
            return Err(error::invalid("action は64文字以内で指定してください。"));
        }
        let filter = AuditFilter {
            action,
            actor,
            since,
            until,
        };
        let rc = request(ctx)?;
        let scope = rc.scope().await?;
        let (list, total) = rc
            .services()
            .audit()
            .list(
                scope,
                self.0,
                &filter,
                args.offset as u64,
                args.limit as u64,
            )
            .await
            .gql()?;
        Ok(connection::page(
            args,
            usize::try_from(total).unwrap_or(usize::MAX),
            list.into_iter().map(AuditEntry),
        ))
    }
}

/// One entry of an audit log. Ids only: never emails, secrets or document text.
pub struct AuditEntry(pub AppEntry);

#[Object]
impl AuditEntry {
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// `sign_in`, `sign_out`, `api_key.create`, `api_key.revoke`, `api_key.authenticate`,
    /// `user.create`, `member.add`, `member.role`, `member.remove`, `grant.create`,
    /// `grant.revoke`, `document.upload`, `document.set_unpublished`, `analysis.reanalyse`,
    /// `document.read`, `document.export`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// `ok`, `denied` (access refused) or `refused` (input refused; `detail` holds the code).
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }

    /// A stable code qualifying the action: the error code of a refusal, `new_version` /
    /// `unchanged` for uploads, `unpublished` / `published`, the edition of a re-analysis, the
    /// channel of a read (`analysis`, `subscription`).
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// The network address the request came from (null for the command line and the workers).
    async fn client_address(&self) -> Option<&str> {
        self.0.client_addr.as_deref()
    }

    /// The user who acted (an id; null for keys, the system and unknown sign-ins).
    async fn actor_user(&self) -> Option<ID> {
        self.0.actor_user_id.map(|u| ids::id(UserId::from_uuid(u)))
    }

    /// The API key that acted (an id).
    async fn actor_key(&self) -> Option<ID> {
        self.0.actor_key_id.map(|k| ids::id(ApiKeyId::from_uuid(k)))
    }

    /// The organisation the actor acted for (an id).
    async fn acting_organisation(&self) -> Option<ID> {
        self.0.acting_org_id.map(ids::id)
    }

    /// The organisation whose object it was (an id).
    async fn target_organisation(&self) -> Option<ID> {
        self.0.target_org_id.map(ids::id)
    }

    /// The object acted on, as the id of its type (a version, document, grant, key or user).
    async fn object(&self) -> Option<ID> {
        let uuid = self.0.object_id?;
        Some(match self.0.action.as_str() {
            "document.read" | "document.export" | "analysis.reanalyse" => {
                ids::id(VersionId::from_uuid(uuid))
            }
            "document.upload" if self.0.outcome == "ok" => ids::id(VersionId::from_uuid(uuid)),
            "document.upload" | "document.set_unpublished" => ids::id(DocumentId::from_uuid(uuid)),
            "grant.create" | "grant.revoke" => ids::id(GrantId::from_uuid(uuid)),
            "api_key.create" | "api_key.revoke" | "api_key.authenticate" => {
                ids::id(ApiKeyId::from_uuid(uuid))
            }
            "user.create" | "member.add" | "member.role" | "member.remove" | "password.change" => {
                ids::id(UserId::from_uuid(uuid))
            }
            _ => ID(uuid.to_string()),
        })
    }
}
