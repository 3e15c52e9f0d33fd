//! Durability: a real worker process killed with SIGKILL every two seconds loses no job and writes
//! no result twice; enqueues in transactions that randomly roll back leave exactly the committed jobs.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use taisho_store::sea_orm::{ConnectionTrait, Statement};
use taisho_store::{Mode, Principal, scope_for};
use taisho_worker::{JobState, enqueue};
use uuid::Uuid;

use crate::*;

const JOBS: usize = 1000;
const KILL_EVERY: Duration = Duration::from_secs(2);
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn spawn_worker(url: &str, kind: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_taisho-test-worker"))
        .args([url, kind, "2", "1000", "60"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn taisho-test-worker")
}

taisho_testkit::backend_test! {
    async fn jobs_survive_a_worker_process_killed_every_two_seconds(db) {
        ensure_results_table(&db).await;
        let k = kind();
        let org = org(&db.store).await;
        let scope = scope_for(&Principal::Worker { org }, &db.store).await.unwrap();
        for chunk in 0..10 {
            let tx = db.store.begin(&scope, Mode::Write).await.unwrap();
            for n in 0..JOBS / 10 {
                enqueue(&tx, org, spec(&k, chunk * 1000 + n).max_attempts(10)).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
        let q = queue(&db);
        let started = Instant::now();
        let mut kills = 0;
        let mut child = spawn_worker(&db.url, &k);
        let mut last_spawn = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let open = q
                .all_jobs()
                .await
                .unwrap()
                .iter()
                .filter(|j| j.kind == k && matches!(j.state, JobState::Queued | JobState::Running))
                .count();
            if open == 0 || started.elapsed() > TIME_LIMIT {
                break;
            }
            if last_spawn.elapsed() >= KILL_EVERY {
                child.kill().expect("SIGKILL worker"); // SIGKILL on Unix
                let _ = child.wait();
                kills += 1;
                child = spawn_worker(&db.url, &k);
                last_spawn = Instant::now();
            }
        }
        child.kill().expect("SIGKILL worker");
        let _ = child.wait();
        let elapsed = started.elapsed();

        let jobs: Vec<_> = q.all_jobs().await.unwrap().into_iter().filter(|j| j.kind == k).collect();
        assert_eq!(jobs.len(), JOBS);
        let conn = db.store.connection();
        let rows = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT job_id FROM job_results",
            ))
            .await
            .unwrap();
        let mut results: HashMap<Uuid, usize> = HashMap::new();
        for r in rows {
            *results.entry(r.try_get::<Uuid>("", "job_id").unwrap()).or_default() += 1;
        }
        let done = jobs.iter().filter(|j| j.state == JobState::Done).count();
        let dead = jobs.iter().filter(|j| j.state == JobState::Dead).count();
        let dead_without_reason = jobs.iter().filter(|j| j.state == JobState::Dead && j.last_error.is_none()).count();
        let lost = JOBS - done - (dead - dead_without_reason);
        let duplicates = jobs.iter().filter(|j| results.get(&j.id.as_uuid()).copied().unwrap_or(0) > 1).count();
        let done_without_result = jobs.iter().filter(|j| j.state == JobState::Done && !results.contains_key(&j.id.as_uuid())).count();
        let result_without_done = jobs.iter().filter(|j| j.state != JobState::Done && results.contains_key(&j.id.as_uuid())).count();
        let ran_twice = jobs.iter().filter(|j| j.fence > 1).count();
        let max_claims = jobs.iter().map(|j| j.fence).max().unwrap_or(0);
        println!(
            "durability[{:?}]: jobs={JOBS} kills={kills} done={done} dead={dead} lost={lost} \
             duplicates={duplicates} ran_twice={ran_twice} max_claims={max_claims} elapsed={:.1}s",
            db.backend(),
            elapsed.as_secs_f64()
        );
        assert!(kills >= 3, "the run must actually kill the worker (kills={kills})");
        assert_eq!(lost, 0, "jobs neither done nor dead with a reason");
        assert_eq!(duplicates, 0);
        assert_eq!(done_without_result, 0);
        assert_eq!(result_without_done, 0);
    }
}

taisho_testkit::backend_test! {
    async fn enqueues_in_randomly_rolled_back_uploads_leave_exactly_the_committed_jobs(db) {
        let k = kind();
        let org = org(&db.store).await;
        let scope = scope_for(&Principal::Worker { org }, &db.store).await.unwrap();
        let mut rng = fastrand::Rng::with_seed(4);
        let mut committed = 0;
        for n in 0..400 {
            let tx = db.store.begin(&scope, Mode::Write).await.unwrap();
            enqueue(&tx, org, spec(&k, n).unique_key(format!("upload:{n}"))).await.unwrap();
            match rng.u8(0..3) {
                0 => tx.rollback().await.unwrap(),
                1 => drop(tx), // a failed upload: the transaction is dropped without commit
                _ => {
                    tx.commit().await.unwrap();
                    committed += 1;
                }
            }
        }
        let jobs = queue(&db).all_jobs().await.unwrap().into_iter().filter(|j| j.kind == k).count();
        println!("rollback injection[{:?}]: uploads=400 committed={committed} jobs={jobs}", db.backend());
        assert!(committed > 100 && committed < 300);
        assert_eq!(jobs, committed);
    }
}
