//! Tenancy, documents, versions, analyses, findings, API keys and the audit log; PostgreSQL roles,
//! settings functions and row-level security for each of them.

use sea_orm_migration::prelude::*;

use crate::pg::{self, APP, AUTH, OWNER, Policy, SYSTEM, orgs};
use crate::sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = r"
CREATE TABLE organisations (
    id {uuid} PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('prefecture', 'municipality', 'union', 'consultancy')),
    name text NOT NULL,
    prefecture_id {uuid} NULL REFERENCES organisations (id),
    created_at {ts} NOT NULL
);
CREATE INDEX organisations_prefecture ON organisations (prefecture_id);
CREATE TABLE users (
    id {uuid} PRIMARY KEY,
    email text NOT NULL UNIQUE,
    display_name text NOT NULL,
    password_hash text NULL,
    created_at {ts} NOT NULL,
    disabled_at {ts} NULL
);
CREATE TABLE memberships (
    user_id {uuid} NOT NULL REFERENCES users (id),
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    role text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at {ts} NOT NULL,
    PRIMARY KEY (user_id, org_id)
);
CREATE INDEX memberships_org ON memberships (org_id);
CREATE TABLE grants (
    id {uuid} PRIMARY KEY,
    grantor_org_id {uuid} NOT NULL REFERENCES organisations (id),
    grantee_org_id {uuid} NOT NULL REFERENCES organisations (id),
    access text NOT NULL CHECK (access IN ('read', 'write')),
    text_access boolean NOT NULL,
    created_by {uuid} NULL REFERENCES users (id),
    created_at {ts} NOT NULL,
    revoked_at {ts} NULL,
    CHECK (grantor_org_id <> grantee_org_id)
);
CREATE INDEX grants_grantor ON grants (grantor_org_id);
CREATE INDEX grants_grantee ON grants (grantee_org_id);
CREATE TABLE api_keys (
    id {uuid} PRIMARY KEY,
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    name text NOT NULL,
    prefix text NOT NULL UNIQUE,
    key_hash text NOT NULL UNIQUE,
    access text NOT NULL CHECK (access IN ('read', 'write')),
    expires_at {ts} NULL,
    revoked_at {ts} NULL,
    created_by {uuid} NULL REFERENCES users (id),
    created_at {ts} NOT NULL,
    last_used_at {ts} NULL
);
CREATE INDEX api_keys_org ON api_keys (org_id);
CREATE TABLE documents (
    id {uuid} PRIMARY KEY,
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    title text NOT NULL,
    unpublished boolean NOT NULL,
    created_at {ts} NOT NULL
);
CREATE INDEX documents_org ON documents (org_id);
CREATE TABLE document_versions (
    id {uuid} PRIMARY KEY,
    document_id {uuid} NOT NULL REFERENCES documents (id),
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    seq integer NOT NULL,
    content_hash text NOT NULL,
    byte_len bigint NOT NULL,
    encoding text NOT NULL,
    format text NOT NULL,
    layers text NOT NULL CHECK (layers IN ('kihon', 'taisaku', 'both')),
    uploaded_by {uuid} NULL REFERENCES users (id),
    created_at {ts} NOT NULL,
    UNIQUE (document_id, content_hash),
    UNIQUE (document_id, seq)
);
CREATE INDEX document_versions_org ON document_versions (org_id);
CREATE TABLE version_contents (
    version_id {uuid} PRIMARY KEY REFERENCES document_versions (id),
    document_id {uuid} NOT NULL REFERENCES documents (id),
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    original {bytes} NOT NULL,
    text text NOT NULL
);
CREATE INDEX version_contents_org ON version_contents (org_id);
CREATE TABLE analyses (
    id {uuid} PRIMARY KEY,
    version_id {uuid} NOT NULL REFERENCES document_versions (id),
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    edition text NOT NULL,
    status text NOT NULL CHECK (status IN ('done', 'failed')),
    result {json} NOT NULL,
    created_at {ts} NOT NULL,
    UNIQUE (version_id, edition)
);
CREATE INDEX analyses_org ON analyses (org_id);
CREATE TABLE findings (
    analysis_id {uuid} NOT NULL REFERENCES analyses (id),
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    item_id text NOT NULL,
    status text NOT NULL,
    reasons {json} NOT NULL,
    PRIMARY KEY (analysis_id, item_id)
);
CREATE INDEX findings_org ON findings (org_id);
CREATE TABLE audit_log (
    id {uuid} PRIMARY KEY,
    at {ts} NOT NULL,
    actor_user_id {uuid} NULL,
    actor_key_id {uuid} NULL,
    acting_org_id {uuid} NULL,
    target_org_id {uuid} NULL,
    action text NOT NULL,
    object_id {uuid} NULL,
    outcome text NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target_org_id, at);
CREATE INDEX audit_log_acting ON audit_log (acting_org_id, at);
";

/// Settings readers used by every policy. A missing or empty setting means "nothing": a connection
/// that has not set them (or a transaction that ended) sees no tenant rows at all.
const FUNCTIONS: &[&str] = &[
    "CREATE OR REPLACE FUNCTION taisho_orgs(setting text) RETURNS uuid[] LANGUAGE sql STABLE AS $$
       SELECT coalesce(string_to_array(nullif(current_setting(setting, true), ''), ',')::uuid[], '{}'::uuid[])
     $$",
    "CREATE OR REPLACE FUNCTION taisho_flag(setting text) RETURNS boolean LANGUAGE sql STABLE AS $$
       SELECT coalesce(current_setting(setting, true), '') = 'on'
     $$",
    "CREATE OR REPLACE FUNCTION taisho_actor() RETURNS uuid LANGUAGE sql STABLE AS $$
       SELECT nullif(current_setting('taisho.actor', true), '')::uuid
     $$",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        pg::ensure_role(
            manager,
            OWNER,
            "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
        )
        .await?;
        pg::ensure_role(
            manager,
            APP,
            "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
        )
        .await?;
        sql::exec(manager, TABLES).await?;
        for f in FUNCTIONS {
            pg::exec(manager, f).await?;
        }
        for f in ["taisho_orgs(text)", "taisho_flag(text)", "taisho_actor()"] {
            pg::exec(manager, &format!("ALTER FUNCTION {f} OWNER TO {OWNER}")).await?;
        }
        // `serve` checks for pending migrations as the runtime role.
        pg::exec(
            manager,
            &format!("GRANT SELECT ON seaql_migrations TO {APP}"),
        )
        .await?;

        let read = orgs("taisho.read");
        let write = orgs("taisho.write");
        let admin = orgs("taisho.admin");
        let text = orgs("taisho.text");
        let text_published = orgs("taisho.text_published");

        let org_select = format!("{SYSTEM} OR {AUTH} OR id = ANY ({read})");
        pg::secure_table(
            manager,
            "organisations",
            "SELECT, INSERT, UPDATE",
            &[
                select("organisations_select", &org_select),
                system_write("organisations_insert", "INSERT"),
                system_write("organisations_update", "UPDATE"),
            ],
        )
        .await?;

        let users_select = format!("{SYSTEM} OR {AUTH} OR id = taisho_actor()");
        let users_update = format!("{SYSTEM} OR id = taisho_actor()");
        pg::secure_table(
            manager,
            "users",
            "SELECT, INSERT, UPDATE",
            &[
                select("users_select", &users_select),
                system_write("users_insert", "INSERT"),
                both("users_update", "UPDATE", &users_update),
            ],
        )
        .await?;

        let m_select =
            format!("{SYSTEM} OR {AUTH} OR org_id = ANY ({read}) OR user_id = taisho_actor()");
        let m_write = format!("{SYSTEM} OR org_id = ANY ({admin})");
        pg::secure_table(
            manager,
            "memberships",
            "SELECT, INSERT, UPDATE, DELETE",
            &[
                select("memberships_select", &m_select),
                check("memberships_insert", "INSERT", &m_write),
                both("memberships_update", "UPDATE", &m_write),
                using("memberships_delete", "DELETE", &m_write),
            ],
        )
        .await?;

        let g_select = format!(
            "{SYSTEM} OR {AUTH} OR grantor_org_id = ANY ({read}) OR grantee_org_id = ANY ({read})"
        );
        let g_write = format!("{SYSTEM} OR grantor_org_id = ANY ({admin})");
        pg::secure_table(
            manager,
            "grants",
            "SELECT, INSERT, UPDATE",
            &[
                select("grants_select", &g_select),
                check("grants_insert", "INSERT", &g_write),
                both("grants_update", "UPDATE", &g_write),
            ],
        )
        .await?;

        let k_select = format!("{SYSTEM} OR {AUTH} OR org_id = ANY ({admin})");
        let k_write = format!("{SYSTEM} OR org_id = ANY ({admin})");
        pg::secure_table(
            manager,
            "api_keys",
            "SELECT, INSERT, UPDATE",
            &[
                select("api_keys_select", &k_select),
                check("api_keys_insert", "INSERT", &k_write),
                both("api_keys_update", "UPDATE", &k_write),
            ],
        )
        .await?;

        let t_read = format!("{SYSTEM} OR org_id = ANY ({read})");
        let t_write = format!("{SYSTEM} OR org_id = ANY ({write})");
        pg::secure_table(
            manager,
            "documents",
            "SELECT, INSERT, UPDATE",
            &[
                select("documents_select", &t_read),
                check("documents_insert", "INSERT", &t_write),
                both("documents_update", "UPDATE", &t_write),
            ],
        )
        .await?;
        // Versions, analyses and findings are immutable: no UPDATE or DELETE for the runtime role.
        for table in ["document_versions", "analyses", "findings"] {
            pg::secure_table(
                manager,
                table,
                "SELECT, INSERT",
                &[
                    select(&format!("{table}_select"), &t_read),
                    check(&format!("{table}_insert"), "INSERT", &t_write),
                ],
            )
            .await?;
        }
        // The text lock: full text for `taisho.text` orgs, published documents only for
        // `taisho.text_published` orgs (prefectural coordinators, grants without text access).
        let c_select = format!(
            "{SYSTEM} OR org_id = ANY ({text}) OR (org_id = ANY ({text_published}) AND EXISTS (
               SELECT 1 FROM documents d WHERE d.id = version_contents.document_id AND NOT d.unpublished))"
        );
        pg::secure_table(
            manager,
            "version_contents",
            "SELECT, INSERT",
            &[
                select("version_contents_select", &c_select),
                check("version_contents_insert", "INSERT", &t_write),
            ],
        )
        .await?;

        let a_select =
            format!("{SYSTEM} OR acting_org_id = ANY ({admin}) OR target_org_id = ANY ({admin})");
        pg::secure_table(
            manager,
            "audit_log",
            "SELECT, INSERT",
            &[
                select("audit_log_select", &a_select),
                check("audit_log_insert", "INSERT", "true"),
            ],
        )
        .await?;
        Ok(())
    }
}

fn select<'a>(name: &'a str, expr: &'a str) -> Policy<'a> {
    using(name, "SELECT", expr)
}

fn using<'a>(name: &'a str, command: &'a str, expr: &'a str) -> Policy<'a> {
    Policy {
        name,
        command,
        using: Some(expr),
        check: None,
    }
}

fn check<'a>(name: &'a str, command: &'a str, expr: &'a str) -> Policy<'a> {
    Policy {
        name,
        command,
        using: None,
        check: Some(expr),
    }
}

fn both<'a>(name: &'a str, command: &'a str, expr: &'a str) -> Policy<'a> {
    Policy {
        name,
        command,
        using: Some(expr),
        check: Some(expr),
    }
}

fn system_write<'a>(name: &'a str, command: &'a str) -> Policy<'a> {
    let (using, check) = match command {
        "INSERT" => (None, Some(SYSTEM)),
        _ => (Some(SYSTEM), Some(SYSTEM)),
    };
    Policy {
        name,
        command,
        using,
        check,
    }
}
