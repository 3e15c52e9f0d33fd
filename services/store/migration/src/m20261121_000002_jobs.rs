//! The job queue (`taisho-worker`): one row per job, moved between states by fenced UPDATEs.
//!
//! Times are epoch milliseconds (`bigint`) written from the database clock, not `{ts}`: lease expiry is
//! compared by every worker on every claim, and integer arithmetic on one clock is the same SQL on both
//! backends and immune to skew between worker machines.
//!
//! Uniqueness is a plain `UNIQUE (org_id, unique_key)` over all states, not a partial index over
//! non-dead jobs: "the same analysis is never queued twice" then holds for the life of the row, and
//! running a dead job again is an explicit requeue of that row rather than a second job. The org is part
//! of the key so one tenant's keys can never collide with (or reveal) another's.

use sea_orm_migration::prelude::*;

use crate::pg::{self, Policy, SYSTEM, orgs};
use crate::sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = r"
CREATE TABLE jobs (
    id {uuid} PRIMARY KEY,
    org_id {uuid} NOT NULL REFERENCES organisations (id),
    kind text NOT NULL,
    payload {json} NOT NULL,
    unique_key text NULL,
    state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts integer NOT NULL,
    max_attempts integer NOT NULL CHECK (max_attempts >= 1),
    run_at bigint NOT NULL,
    lease_until bigint NULL,
    fence bigint NOT NULL,
    worker_id text NULL,
    heartbeat_at bigint NULL,
    progress_stage text NULL,
    progress_pct integer NULL CHECK (progress_pct BETWEEN 0 AND 100),
    last_error text NULL,
    trace_context text NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (org_id, unique_key)
);
CREATE INDEX jobs_queued ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_running ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_org_running ON jobs (org_id) WHERE state = 'running';
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::exec(manager, TABLES).await?;
        let read = format!("{SYSTEM} OR org_id = ANY ({})", orgs("taisho.read"));
        let write = format!("{SYSTEM} OR org_id = ANY ({})", orgs("taisho.write"));
        // Tenants enqueue (in their upload transaction) and read their jobs' progress; only the
        // worker's system scope moves jobs between states. No DELETE: pruning old jobs is maintenance
        // run by the owner.
        pg::secure_table(
            manager,
            "jobs",
            "SELECT, INSERT, UPDATE",
            &[
                Policy {
                    name: "jobs_select",
                    command: "SELECT",
                    using: Some(&read),
                    check: None,
                },
                Policy {
                    name: "jobs_insert",
                    command: "INSERT",
                    using: None,
                    check: Some(&write),
                },
                Policy {
                    name: "jobs_update",
                    command: "UPDATE",
                    using: Some(SYSTEM),
                    check: Some(SYSTEM),
                },
            ],
        )
        .await?;
        Ok(())
    }
}
