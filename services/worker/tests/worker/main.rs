//! Integration tests of the queue and the pool, each on SQLite and PostgreSQL
//! (`taisho_testkit::backend_test!`).

mod durability;
mod pool;
mod queue;

use std::time::Duration;

use taisho_domain::{JobId, OrgId};
use taisho_store::sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use taisho_store::{Backend, Mode, OrgKind, Store};
use taisho_testkit::{Tenants, TestDb, worker_scope};
use taisho_worker::{ClaimedJob, Enqueued, JobSpec, Queue, QueueError, enqueue};

/// A fresh organisation (its own tenant for this test).
pub async fn org(store: &Store) -> OrgId {
    let tenants = Tenants::begin(store).await;
    let id = tenants
        .organisation(OrgKind::Municipality, "テスト町", None)
        .await;
    tenants.commit().await;
    id
}

/// Enqueues `spec` for `org` in its own committed transaction, scoped like an upload of that org.
pub async fn enqueue_one(store: &Store, org: OrgId, spec: JobSpec) -> Enqueued {
    let scope = worker_scope(store, org).await;
    let tx = store.begin(&scope, Mode::Write).await.expect("tx");
    let e = enqueue(&tx, org, spec).await.expect("enqueue");
    tx.commit().await.expect("commit");
    e
}

/// A job kind of its own per test: on PostgreSQL the tests of one run share a database, and a test
/// must claim only its own jobs.
pub fn kind() -> String {
    format!("test-{}", JobId::new())
}

pub fn kinds(kind: &str) -> Vec<String> {
    vec![kind.to_owned()]
}

pub fn spec(kind: &str, n: usize) -> JobSpec {
    JobSpec::new(kind, serde_json::json!({ "n": n }))
}

/// The results table the test handlers write (no unique constraint: duplicates must be countable).
/// On PostgreSQL the runtime role cannot create tables, so the admin creates it once per database.
pub async fn ensure_results_table(db: &TestDb) {
    let ddl = |uuid: &str| {
        format!(
            "CREATE TABLE IF NOT EXISTS job_results (job_id {uuid} NOT NULL, worker text NOT NULL, \
             attempt integer NOT NULL)"
        )
    };
    match db.backend() {
        Backend::Sqlite => {
            db.store
                .connection()
                .execute_unprepared(&ddl("blob"))
                .await
                .expect("create job_results");
        }
        Backend::Postgres => {
            let admin = Database::connect(db.owner_url())
                .await
                .expect("admin connection");
            // Concurrent tests race on IF NOT EXISTS (catalog unique violation): retry once.
            for _ in 0..3 {
                if admin.execute_unprepared(&ddl("uuid")).await.is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            admin
                .execute_unprepared("GRANT SELECT, INSERT ON job_results TO taisho_app")
                .await
                .expect("grant job_results");
            let _ = admin.close().await;
        }
    }
}

/// Writes a result row in the completion transaction.
pub async fn write_result(
    tx: &taisho_store::Tx,
    job: &ClaimedJob,
    worker: &str,
) -> Result<(), QueueError> {
    tx.conn()
        .execute_raw(Statement::from_sql_and_values(
            tx.conn().get_database_backend(),
            "INSERT INTO job_results (job_id, worker, attempt) VALUES ($1, $2, $3)",
            [
                job.id.as_uuid().into(),
                worker.into(),
                i64::from(job.attempt).into(),
            ],
        ))
        .await?;
    Ok(())
}

pub async fn result_count(store: &Store, job: JobId) -> i64 {
    let conn = store.connection();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM job_results WHERE job_id = $1",
            [job.as_uuid().into()],
        ))
        .await
        .expect("count results")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

pub fn queue(db: &TestDb) -> Queue {
    Queue::new(db.store.clone())
}

pub fn is_pg(store: &Store) -> bool {
    store.connection().get_database_backend() == DbBackend::Postgres
}
