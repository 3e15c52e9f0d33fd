//! Queue semantics: enqueue in the caller's transaction, uniqueness, exclusive claims, leases and
//! fencing, retries with backoff, dead jobs, per-tenant caps, progress, release.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use taisho_store::{Mode, Principal, scope_for};
use taisho_worker::{Backoff, Enqueued, FailOutcome, JobState, QueueError, Retry, enqueue};

use crate::*;

const LONG: Duration = Duration::from_secs(60);

taisho_testkit::backend_test! {
    async fn enqueue_in_a_rolled_back_transaction_leaves_no_job(db) {
        let k = kind();
        let org = org(&db.store).await;
        let scope = scope_for(&Principal::Worker { org }, &db.store).await.unwrap();
        let tx = db.store.begin(&scope, Mode::Write).await.unwrap();
        enqueue(&tx, org, spec(&k, 1)).await.unwrap();
        tx.rollback().await.unwrap();
        let tx = db.store.begin(&scope, Mode::Write).await.unwrap();
        enqueue(&tx, org, spec(&k, 2)).await.unwrap();
        drop(tx); // dropped without commit: rolled back too
        let mine: Vec<_> = queue(&db).all_jobs().await.unwrap().into_iter().filter(|j| j.org_id == org).collect();
        assert!(mine.is_empty(), "{mine:?}");
    }
}

taisho_testkit::backend_test! {
    async fn enqueue_of_an_existing_unique_key_returns_the_existing_job(db) {
        let k = kind();
        let org = org(&db.store).await;
        let first = enqueue_one(&db.store, org, spec(&k, 1).unique_key("analysis:v1:2025")).await;
        let again = enqueue_one(&db.store, org, spec(&k, 2).unique_key("analysis:v1:2025")).await;
        assert!(matches!(first, Enqueued::Created(_)));
        assert_eq!(again, Enqueued::Existing(first.id()));
        // Still one job after it ran and finished.
        let q = queue(&db);
        let job = q.claim("w", &kinds(&k), LONG, None).await.unwrap().unwrap();
        q.begin_completion(&job).await.unwrap().commit().await.unwrap();
        let third = enqueue_one(&db.store, org, spec(&k, 3).unique_key("analysis:v1:2025")).await;
        assert_eq!(third, Enqueued::Existing(first.id()));
        // Same key in another tenant is another job.
        let other = org_in(&db).await;
        let theirs = enqueue_one(&db.store, other, spec(&k, 4).unique_key("analysis:v1:2025")).await;
        assert!(matches!(theirs, Enqueued::Created(id) if id != first.id()));
    }
}

async fn org_in(db: &taisho_testkit::TestDb) -> taisho_domain::OrgId {
    org(&db.store).await
}

taisho_testkit::backend_test! {
    async fn enqueue_for_an_organisation_outside_the_write_scope_is_refused(db) {
        let k = kind();
        let mine = org(&db.store).await;
        let theirs = org(&db.store).await;
        let scope = scope_for(&Principal::Worker { org: mine }, &db.store).await.unwrap();
        let tx = db.store.begin(&scope, Mode::Write).await.unwrap();
        let err = enqueue(&tx, theirs, spec(&k, 1)).await.unwrap_err();
        assert!(matches!(err, QueueError::Forbidden), "{err:?}");
    }
}

taisho_testkit::backend_test! {
    async fn concurrent_claimers_each_get_a_job_exactly_once(db) {
        let k = kind();
        let org = org(&db.store).await;
        let mut ids = Vec::new();
        for n in 0..40 {
            ids.push(enqueue_one(&db.store, org, spec(&k, n)).await.id());
        }
        let q = queue(&db);
        let claims = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for w in 0..6 {
            let q = q.clone();
            let claims = Arc::clone(&claims);
            let k = k.clone();
            tasks.push(tokio::spawn(async move {
                let worker = format!("w{w}");
                loop {
                    match q.claim(&worker, &kinds(&k), LONG, None).await {
                        Ok(Some(job)) => {
                            claims.lock().unwrap().push(job.id);
                            q.begin_completion(&job).await.unwrap().commit().await.unwrap();
                        }
                        Ok(None) => break,
                        // SQLite: a claimer may time out waiting for the write lock; try again.
                        Err(QueueError::Db(_)) => tokio::time::sleep(Duration::from_millis(5)).await,
                        Err(e) => panic!("{e}"),
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let claims = claims.lock().unwrap().clone();
        let mut per_job: HashMap<_, usize> = HashMap::new();
        for id in &claims {
            *per_job.entry(*id).or_default() += 1;
        }
        assert_eq!(per_job.len(), ids.len());
        assert!(per_job.values().all(|n| *n == 1), "a job was claimed twice");
        for id in ids {
            let row = q.job(id).await.unwrap().unwrap();
            assert_eq!((row.state, row.fence, row.attempts), (JobState::Done, 1, 1));
        }
    }
}

taisho_testkit::backend_test! {
    async fn expired_lease_is_reclaimed_under_a_new_fence(db) {
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1)).await.id();
        let q = queue(&db);
        let first = q.claim("a", &kinds(&k), Duration::from_millis(150), None).await.unwrap().unwrap();
        assert_eq!(first.id, id);
        // Still leased: nobody else gets it.
        assert!(q.claim("b", &kinds(&k), LONG, None).await.unwrap().is_none());
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = q.claim("b", &kinds(&k), LONG, None).await.unwrap().unwrap();
        assert_eq!(second.id, id);
        assert_eq!(second.fence, first.fence + 1);
        assert_eq!(second.attempt, 2);
        assert_eq!(q.job(id).await.unwrap().unwrap().worker_id.as_deref(), Some("b"));
    }
}

taisho_testkit::backend_test! {
    async fn a_stale_workers_late_writes_are_rejected(db) {
        let k = kind();
        ensure_results_table(&db).await;
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1)).await.id();
        let q = queue(&db);
        let stale = q.claim("a", &kinds(&k), Duration::from_millis(100), None).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
        let fresh = q.claim("b", &kinds(&k), LONG, None).await.unwrap().unwrap();

        assert!(matches!(q.heartbeat(&stale, LONG, Some(("late", 50))).await, Err(QueueError::StaleLease(j)) if j == id));
        assert!(matches!(q.begin_completion(&stale).await, Err(QueueError::StaleLease(_))));
        assert!(matches!(q.fail(&stale, "late failure", Retry::Allowed).await, Err(QueueError::StaleLease(_))));
        assert!(matches!(q.release(&stale).await, Err(QueueError::StaleLease(_))));

        let completion = q.begin_completion(&fresh).await.unwrap();
        write_result(completion.tx(), &fresh, "b").await.unwrap();
        completion.commit().await.unwrap();
        // After completion the stale holder still cannot write anything.
        assert!(matches!(q.begin_completion(&stale).await, Err(QueueError::StaleLease(_))));
        assert_eq!(result_count(&db.store, id).await, 1);
        let row = q.job(id).await.unwrap().unwrap();
        assert_eq!(row.state, JobState::Done);
        assert_eq!(row.progress_stage, None, "the stale heartbeat's progress was not written");
    }
}

taisho_testkit::backend_test! {
    async fn failures_are_retried_after_a_jittered_exponential_backoff(db) {
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1).max_attempts(4)).await.id();
        let backoff = Backoff { base: Duration::from_millis(400), cap: Duration::from_secs(1) };
        let q = queue(&db).with_backoff(backoff);
        for attempt in 1..=3u32 {
            // Wait until the job is due again (the previous run_at).
            let job = loop {
                if let Some(job) = q.claim("w", &kinds(&k), LONG, None).await.unwrap() {
                    break job;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            assert_eq!(job.attempt, attempt);
            let outcome = q.fail(&job, "transient", Retry::Allowed).await.unwrap();
            let FailOutcome::Retrying { after_ms } = outcome else { panic!("{outcome:?}") };
            let ceiling = i64::try_from(backoff.ceiling(attempt).as_millis()).unwrap();
            assert!((0..=ceiling).contains(&after_ms), "attempt {attempt}: {after_ms} ms outside [0, {ceiling}]");
            let row = q.job(id).await.unwrap().unwrap();
            assert_eq!(row.state, JobState::Queued);
            assert_eq!(row.last_error.as_deref(), Some("transient"));
            // run_at is the failure time plus the delay (both from the database clock).
            let wait = row.run_at_ms - row.updated_at_ms;
            assert!((after_ms - 5..=after_ms + 5).contains(&wait), "{wait} vs {after_ms}");
        }
        assert_eq!(backoff.ceiling(1), Duration::from_millis(400));
        assert_eq!(backoff.ceiling(2), Duration::from_millis(800));
        assert_eq!(backoff.ceiling(3), Duration::from_secs(1));
    }
}

taisho_testkit::backend_test! {
    async fn the_last_failed_attempt_leaves_the_job_dead_with_its_reason(db) {
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1).max_attempts(2)).await.id();
        let q = queue(&db).with_backoff(Backoff { base: Duration::ZERO, cap: Duration::ZERO });
        let job = q.claim("w", &kinds(&k), LONG, None).await.unwrap().unwrap();
        assert!(matches!(q.fail(&job, "first", Retry::Allowed).await.unwrap(), FailOutcome::Retrying { .. }));
        let job = q.claim("w", &kinds(&k), LONG, None).await.unwrap().unwrap();
        assert_eq!(q.fail(&job, "文字コードを判別できません", Retry::Allowed).await.unwrap(), FailOutcome::Dead);
        let row = q.job(id).await.unwrap().unwrap();
        assert_eq!((row.state, row.attempts), (JobState::Dead, 2));
        assert_eq!(row.last_error.as_deref(), Some("文字コードを判別できません"));
        assert!(q.claim("w", &kinds(&k), LONG, None).await.unwrap().is_none(), "dead jobs are not claimed");
    }
}

taisho_testkit::backend_test! {
    async fn a_permanent_error_is_dead_at_once(db) {
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1).max_attempts(5)).await.id();
        let q = queue(&db);
        let job = q.claim("w", &kinds(&k), LONG, None).await.unwrap().unwrap();
        assert_eq!(q.fail(&job, "bad input", Retry::Never).await.unwrap(), FailOutcome::Dead);
        assert_eq!(q.job(id).await.unwrap().unwrap().state, JobState::Dead);
    }
}

taisho_testkit::backend_test! {
    async fn a_lease_lost_on_the_last_attempt_leaves_the_job_dead_with_a_reason(db) {
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1).max_attempts(1)).await.id();
        let q = queue(&db);
        q.claim("crashed-worker", &kinds(&k), Duration::from_millis(100), None).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(q.claim("w", &kinds(&k), LONG, None).await.unwrap().is_none());
        let row = q.job(id).await.unwrap().unwrap();
        assert_eq!(row.state, JobState::Dead);
        let reason = row.last_error.unwrap();
        assert!(reason.contains("lease expired") && reason.contains("crashed-worker"), "{reason}");
    }
}

taisho_testkit::backend_test! {
    async fn claims_skip_tenants_at_their_cap(db) {
        let k = kind();
        let bulk = org(&db.store).await;
        let small = org(&db.store).await;
        for n in 0..5 {
            enqueue_one(&db.store, bulk, spec(&k, n)).await;
        }
        let small_job = enqueue_one(&db.store, small, spec(&k, 99)).await.id();
        let q = queue(&db);
        let cap = Some(2);
        let a = q.claim("w", &kinds(&k), LONG, cap).await.unwrap().unwrap();
        let b = q.claim("w", &kinds(&k), LONG, cap).await.unwrap().unwrap();
        assert_eq!((a.org_id, b.org_id), (bulk, bulk));
        // The bulk tenant is at its cap: the small tenant's later job comes next.
        let c = q.claim("w", &kinds(&k), LONG, cap).await.unwrap().unwrap();
        assert_eq!(c.id, small_job);
        assert!(q.claim("w", &kinds(&k), LONG, cap).await.unwrap().is_none());
        // A finished job frees a slot.
        q.begin_completion(&a).await.unwrap().commit().await.unwrap();
        let d = q.claim("w", &kinds(&k), LONG, cap).await.unwrap().unwrap();
        assert_eq!(d.org_id, bulk);
    }
}

taisho_testkit::backend_test! {
    async fn heartbeats_extend_the_lease_and_record_progress(db) {
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1)).await.id();
        let q = queue(&db);
        let job = q.claim("w", &kinds(&k), Duration::from_millis(200), None).await.unwrap().unwrap();
        let before = q.job(id).await.unwrap().unwrap().lease_until_ms.unwrap();
        q.heartbeat(&job, Duration::from_secs(30), Some(("tokenise", 40))).await.unwrap();
        let row = q.job(id).await.unwrap().unwrap();
        assert!(row.lease_until_ms.unwrap() >= before + 29_000);
        assert_eq!((row.progress_stage.as_deref(), row.progress_pct), (Some("tokenise"), Some(40)));
        // A heartbeat without progress keeps the last progress.
        q.heartbeat(&job, Duration::from_secs(30), None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(q.claim("other", &kinds(&k), LONG, None).await.unwrap().is_none(), "the extended lease holds");
        let row = q.job(id).await.unwrap().unwrap();
        assert_eq!((row.progress_stage.as_deref(), row.progress_pct), (Some("tokenise"), Some(40)));
    }
}

taisho_testkit::backend_test! {
    async fn release_requeues_without_counting_the_attempt(db) {
        let k = kind();
        let org = org(&db.store).await;
        let id = enqueue_one(&db.store, org, spec(&k, 1)).await.id();
        let q = queue(&db);
        let job = q.claim("w", &kinds(&k), LONG, None).await.unwrap().unwrap();
        q.release(&job).await.unwrap();
        let row = q.job(id).await.unwrap().unwrap();
        assert_eq!((row.state, row.attempts), (JobState::Queued, 0));
        // The released holder's fence is dead.
        assert!(matches!(q.begin_completion(&job).await, Err(QueueError::StaleLease(_))));
        let again = q.claim("w2", &kinds(&k), LONG, None).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempt), (id, 1));
    }
}
