//! The pool: jobs run once on dedicated threads, results commit once, progress is recorded, the
//! per-tenant cap holds, and shutdown finishes or releases held jobs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use taisho_domain::{JobId, OrgId};
use taisho_worker::{
    ClaimedJob, Handlers, JobError, JobHandler, JobOutput, JobState, PoolConfig, Progress, Queue,
    QueueError, WorkerPool,
};

use crate::*;

type RunFn = dyn Fn(&ClaimedJob, &Progress) -> Result<JobOutput, JobError> + Send + Sync;

/// Runs a closure; commits a `job_results` row.
struct FnHandler(Arc<RunFn>);

#[async_trait::async_trait]
impl JobHandler for FnHandler {
    fn run(&self, job: &ClaimedJob, progress: &Progress) -> Result<JobOutput, JobError> {
        (self.0)(job, progress)
    }

    async fn commit(
        &self,
        tx: &taisho_store::Tx,
        job: &ClaimedJob,
        _output: JobOutput,
    ) -> Result<(), QueueError> {
        write_result(tx, job, "pool").await
    }
}

fn start(
    db: &taisho_testkit::TestDb,
    kind: &str,
    threads: usize,
    cap: Option<u32>,
    run: impl Fn(&ClaimedJob, &Progress) -> Result<JobOutput, JobError> + Send + Sync + 'static,
) -> WorkerPool {
    let handlers = Handlers::new().with(kind, FnHandler(Arc::new(run)));
    WorkerPool::start(
        queue(db),
        handlers,
        PoolConfig {
            threads,
            per_tenant_cap: cap,
            lease: Duration::from_secs(10),
            heartbeat_every: Duration::from_millis(500),
            poll_interval: Duration::from_millis(20),
            ..PoolConfig::default()
        },
    )
}

async fn wait_for(
    q: &Queue,
    id: JobId,
    what: impl Fn(&taisho_worker::JobRow) -> bool,
) -> taisho_worker::JobRow {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = q.job(id).await.unwrap().unwrap();
        if what(&row) {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting; job is {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

taisho_testkit::backend_test! {
    async fn the_pool_runs_every_job_once_and_commits_each_result_once(db) {
        ensure_results_table(&db).await;
        let k = kind();
        let org = org(&db.store).await;
        let mut ids = Vec::new();
        for n in 0..30 {
            ids.push(enqueue_one(&db.store, org, spec(&k, n)).await.id());
        }
        let threads_seen = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&threads_seen);
        let pool = start(&db, &k, 2, None, move |_, _| {
            seen.lock().unwrap().push(std::thread::current().name().unwrap_or("").to_owned());
            std::thread::sleep(Duration::from_millis(5));
            Ok(serde_json::json!({}))
        });
        let q = queue(&db);
        for id in &ids {
            wait_for(&q, *id, |r| r.state == JobState::Done).await;
        }
        pool.shutdown(Duration::from_secs(5)).await;
        for id in ids {
            assert_eq!(result_count(&db.store, id).await, 1);
        }
        // CPU work ran on the pool's own threads, never on tokio's.
        assert!(threads_seen.lock().unwrap().iter().all(|n| n.starts_with("taisho-job-")));
    }
}

taisho_testkit::backend_test! {
    async fn the_pool_records_progress_while_a_job_runs(db) {
        ensure_results_table(&db).await;
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1)).await.id();
        let go = Arc::new(AtomicBool::new(false));
        let go2 = Arc::clone(&go);
        let pool = start(&db, &k, 1, None, move |_, progress| {
            progress.report("tokenise", 40);
            let until = Instant::now() + Duration::from_secs(20);
            while !go2.load(Ordering::Acquire) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(serde_json::json!({}))
        });
        let q = queue(&db);
        let row = wait_for(&q, id, |r| r.progress_stage.is_some()).await;
        assert_eq!((row.state, row.progress_stage.as_deref(), row.progress_pct), (JobState::Running, Some("tokenise"), Some(40)));
        go.store(true, Ordering::Release);
        let row = wait_for(&q, id, |r| r.state == JobState::Done).await;
        assert_eq!(row.progress_pct, Some(100));
        pool.shutdown(Duration::from_secs(5)).await;
    }
}

taisho_testkit::backend_test! {
    async fn one_tenants_bulk_upload_stays_under_its_cap_and_does_not_starve_others(db) {
        ensure_results_table(&db).await;
        let k = kind();
        let bulk = org(&db.store).await;
        let small = org(&db.store).await;
        let mut bulk_ids = Vec::new();
        for n in 0..8 {
            bulk_ids.push(enqueue_one(&db.store, bulk, spec(&k, n)).await.id());
        }
        let small_id = enqueue_one(&db.store, small, spec(&k, 100)).await.id();
        let running: Arc<Mutex<HashMap<OrgId, usize>>> = Arc::default();
        let max_bulk = Arc::new(AtomicUsize::new(0));
        let (r, m) = (Arc::clone(&running), Arc::clone(&max_bulk));
        let pool = start(&db, &k, 3, Some(2), move |job, _| {
            {
                let mut running = r.lock().unwrap();
                let n = running.entry(job.org_id).or_default();
                *n += 1;
                if job.org_id == bulk {
                    m.fetch_max(*n, Ordering::Relaxed);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
            *r.lock().unwrap().entry(job.org_id).or_default() -= 1;
            Ok(serde_json::json!({}))
        });
        let q = queue(&db);
        wait_for(&q, small_id, |r| r.state == JobState::Done).await;
        // The small tenant's job, enqueued last, finished while most of the bulk was still waiting.
        let mut bulk_done = 0;
        for id in &bulk_ids {
            if q.job(*id).await.unwrap().unwrap().state == JobState::Done {
                bulk_done += 1;
            }
        }
        assert!(bulk_done <= 4, "{bulk_done} bulk jobs done before the small tenant's");
        for id in &bulk_ids {
            wait_for(&q, *id, |r| r.state == JobState::Done).await;
        }
        pool.shutdown(Duration::from_secs(5)).await;
        assert_eq!(max_bulk.load(Ordering::Relaxed), 2, "cap 2 reached, never exceeded");
    }
}

taisho_testkit::backend_test! {
    async fn graceful_shutdown_releases_jobs_that_do_not_finish_in_time(db) {
        ensure_results_table(&db).await;
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1)).await.id();
        let pool = start(&db, &k, 1, None, |_, progress| {
            let until = Instant::now() + Duration::from_secs(20);
            while !progress.is_cancelled() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(serde_json::json!({}))
        });
        let q = queue(&db);
        wait_for(&q, id, |r| r.state == JobState::Running).await;
        let report = pool.shutdown(Duration::from_millis(200)).await;
        assert_eq!((report.finished, report.released), (0, 1));
        let row = q.job(id).await.unwrap().unwrap();
        assert_eq!((row.state, row.attempts), (JobState::Queued, 0));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(result_count(&db.store, id).await, 0, "the released job's result was discarded");
    }
}

taisho_testkit::backend_test! {
    async fn graceful_shutdown_lets_running_jobs_finish_within_the_grace(db) {
        ensure_results_table(&db).await;
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1)).await.id();
        let pool = start(&db, &k, 1, None, |_, _| {
            std::thread::sleep(Duration::from_millis(300));
            Ok(serde_json::json!({}))
        });
        let q = queue(&db);
        wait_for(&q, id, |r| r.state == JobState::Running).await;
        let report = pool.shutdown(Duration::from_secs(10)).await;
        assert_eq!((report.finished, report.released), (1, 0));
        assert_eq!(q.job(id).await.unwrap().unwrap().state, JobState::Done);
        assert_eq!(result_count(&db.store, id).await, 1);
    }
}

taisho_testkit::backend_test! {
    async fn a_panicking_handler_counts_as_a_failed_attempt(db) {
        ensure_results_table(&db).await;
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1).max_attempts(1)).await.id();
        let pool = start(&db, &k, 1, None, |_, _| panic!("handler bug"));
        let q = queue(&db);
        let row = wait_for(&q, id, |r| r.state == JobState::Dead).await;
        assert_eq!(row.last_error.as_deref(), Some("handler panicked"));
        pool.shutdown(Duration::from_secs(5)).await;
    }
}
