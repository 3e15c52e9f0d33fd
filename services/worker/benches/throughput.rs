//! Jobs per second through the queue with trivial job bodies, on SQLite and PostgreSQL.
//!
//! `cargo bench -p taisho-worker --bench throughput [-- JOBS]` (default 2,000 jobs per backend).
//! Measures, on a fresh database per backend: enqueue rate (100 jobs per transaction), and end-to-end
//! rate through one pool (claim → run an empty handler on a pool thread → fenced completion with a
//! one-row result write), with 2 threads and 8 threads (the latter shows the claim path's ceiling,
//! since the handlers do nothing). Prints one line per measurement.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use taisho_store::{Backend, Mode, OrgKind, Principal, Tx, provision, scope_for};
use taisho_testkit::testdb::fresh;
use taisho_worker::{
    ClaimedJob, Handlers, JobError, JobHandler, JobOutput, JobSpec, PoolConfig, Progress, Queue,
    QueueError, WorkerPool, enqueue,
};

struct Empty {
    done: Arc<AtomicU64>,
}

#[async_trait::async_trait]
impl JobHandler for Empty {
    fn run(&self, _job: &ClaimedJob, _progress: &Progress) -> Result<JobOutput, JobError> {
        Ok(serde_json::Value::Null)
    }

    async fn commit(
        &self,
        _tx: &Tx,
        _job: &ClaimedJob,
        _output: JobOutput,
    ) -> Result<(), QueueError> {
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

async fn run(
    backend: Backend,
    jobs: usize,
    threads: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let db = fresh(backend).await;
    let store = db.store.clone();
    let tx = store.begin_system(Mode::Write).await?;
    let org = provision::create_organisation(&tx, OrgKind::Municipality, "bench", None).await?;
    tx.commit().await?;
    let scope = scope_for(&Principal::Worker { org }, &store).await?;
    let kind = format!("bench-{threads}");

    let started = Instant::now();
    for chunk in 0..jobs.div_ceil(100) {
        let tx = store.begin(&scope, Mode::Write).await?;
        for n in 0..100.min(jobs - chunk * 100) {
            enqueue(
                &tx,
                org,
                JobSpec::new(kind.as_str(), serde_json::json!({ "n": n })),
            )
            .await?;
        }
        tx.commit().await?;
    }
    let enqueue_secs = started.elapsed().as_secs_f64();

    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let pool = WorkerPool::start(
        Queue::new(store.clone()),
        Handlers::new().with(
            kind.as_str(),
            Empty {
                done: Arc::clone(&done),
            },
        ),
        PoolConfig {
            threads,
            per_tenant_cap: None,
            lease: Duration::from_secs(30),
            heartbeat_every: Duration::from_secs(10),
            poll_interval: Duration::from_millis(10),
            ..PoolConfig::default()
        },
    );
    while done.load(Ordering::Relaxed) < jobs as u64 {
        if started.elapsed() > Duration::from_secs(300) {
            return Err("timed out".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let run_secs = started.elapsed().as_secs_f64();
    pool.shutdown(Duration::from_secs(5)).await;
    println!(
        "{backend:?}: {jobs} jobs, threads={threads}: enqueue {:.0} jobs/s; claim+run+complete {:.0} jobs/s ({run_secs:.2} s)",
        jobs as f64 / enqueue_secs,
        jobs as f64 / run_secs,
    );
    Ok(())
}

fn main() {
    let jobs = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(2000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for threads in [2, 8] {
            if let Err(e) = runtime.block_on(run(backend, jobs, threads)) {
                eprintln!("{backend:?}: {e}");
                std::process::exit(1);
            }
        }
    }
}
