//! A worker process for the durability test (`tests/worker/durability.rs`), which kills it with
//! SIGKILL every two seconds and starts it again. Not part of the product.
//!
//! Usage: `taisho-test-worker <database-url> <job-kind> <threads> <lease-ms> <max-sleep-ms>`
//!
//! Runs a pool whose handler sleeps a random time up to `max-sleep-ms` (so kills land mid-job) and
//! whose commit writes one `job_results` row (created by the test) per completion.

use std::process::ExitCode;
use std::time::Duration;

use taisho_store::sea_orm::{ConnectionTrait, Statement};
use taisho_store::{Store, Tx};
use taisho_worker::{
    ClaimedJob, Handlers, JobError, JobHandler, JobOutput, PoolConfig, Progress, Queue, QueueError,
    WorkerPool, default_worker_id,
};

struct Trivial {
    max_sleep_ms: u64,
    worker: String,
}

#[async_trait::async_trait]
impl JobHandler for Trivial {
    fn run(&self, _job: &ClaimedJob, progress: &Progress) -> Result<JobOutput, JobError> {
        progress.report("sleep", 50);
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..=self.max_sleep_ms)));
        Ok(serde_json::Value::Null)
    }

    async fn commit(
        &self,
        tx: &Tx,
        job: &ClaimedJob,
        _output: JobOutput,
    ) -> Result<(), QueueError> {
        tx.conn()
            .execute_raw(Statement::from_sql_and_values(
                tx.conn().get_database_backend(),
                "INSERT INTO job_results (job_id, worker, attempt) VALUES ($1, $2, $3)",
                [
                    job.id.as_uuid().into(),
                    self.worker.as_str().into(),
                    i64::from(job.attempt).into(),
                ],
            ))
            .await?;
        Ok(())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, kind, threads, lease_ms, max_sleep_ms] = args.as_slice() else {
        eprintln!(
            "usage: taisho-test-worker <database-url> <job-kind> <threads> <lease-ms> <max-sleep-ms>"
        );
        return ExitCode::from(2);
    };
    let (Ok(threads), Ok(lease_ms), Ok(max_sleep_ms)) = (
        threads.parse::<usize>(),
        lease_ms.parse::<u64>(),
        max_sleep_ms.parse::<u64>(),
    ) else {
        eprintln!("threads, lease-ms and max-sleep-ms must be numbers");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let store = match Store::connect(url).await {
            Ok(store) => store,
            Err(e) => {
                eprintln!("connect: {e}");
                return ExitCode::FAILURE;
            }
        };
        let worker = default_worker_id();
        let handlers = Handlers::new().with(
            kind.as_str(),
            Trivial {
                max_sleep_ms,
                worker: worker.clone(),
            },
        );
        let lease = Duration::from_millis(lease_ms);
        let pool = WorkerPool::start(
            Queue::new(store),
            handlers,
            PoolConfig {
                threads,
                per_tenant_cap: None,
                lease,
                heartbeat_every: lease / 3,
                poll_interval: Duration::from_millis(20),
                worker_id: worker,
            },
        );
        // Until killed; SIGTERM or Ctrl-C shut down gracefully.
        let _ = tokio::signal::ctrl_c().await;
        pool.shutdown(Duration::from_secs(5)).await;
        ExitCode::SUCCESS
    })
}
