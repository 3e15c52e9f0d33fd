//! The analysis job through a real worker pool: findings stored, the coordinator matrix reads them,
//! at most one result per version × edition.

use std::time::Duration;

use taisho_app::documents::{DocumentRef, Upload};
use taisho_app::engine::{ANALYSIS_JOB, AnalysisHandler};
use taisho_app::matrix::{self, MatrixQuery};
use taisho_engine::Limits;
use taisho_engine::analysis::FindingStatus;
use taisho_store::{AnalysisStatus, Mode, analyses};
use taisho_worker::{ClaimedJob, JobHandler, JobState, Progress, Queue};

use crate::flow::{EDITION, bodies, seed, user_scope, wait_finished, worker_scope, workers};
use crate::services;

fn of_prefecture(prefecture: taisho_domain::OrgId) -> MatrixQuery {
    MatrixQuery {
        prefecture: Some(prefecture),
        ..MatrixQuery::default()
    }
}

taisho_testkit::backend_test! {
    async fn seed_004_is_analysed_by_the_pool_and_the_coordinator_matrix_shows_it(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let editor = user_scope(store, b.editor, b.member).await;
        let (name, bytes) = seed("004");
        let up = services(store).documents().upload_version(
            &editor,
            Upload {
                org: b.member,
                document: DocumentRef::ByTitle("基本方針".into()),
                bytes,
                file_name: Some(name),
            },
            EDITION,
        )
        .await
        .expect("upload");

        let pool = workers(store).await;
        let rows = wait_finished(store, &[up.job], Duration::from_secs(120)).await;
        pool.shutdown(Duration::from_secs(5)).await;
        assert_eq!(rows[0].state, JobState::Done, "{:?}", rows[0].last_error);

        let tx = store.begin(&editor, Mode::Read).await.expect("tx");
        let analysis = analyses::get(&tx, up.version, &EDITION.to_string()).await.expect("analysis");
        assert_eq!(analysis.status, AnalysisStatus::Done);
        assert_eq!(analysis.result["edition"], EDITION.to_string());
        let findings = analyses::findings(&tx, analysis.id).await.expect("findings");
        tx.rollback().await.expect("rollback");
        let kihon: Vec<_> = findings.iter().filter(|f| f.item_id.starts_with("KH")).collect();
        assert!(kihon.len() > 40, "{} KH findings", kihon.len());
        for f in &kihon {
            assert_eq!(f.status, "covered", "{}", f.item_id);
        }
        // Seed 004 has no 対策基準: its items are out of scope, not omitted.
        assert!(findings
            .iter()
            .filter(|f| f.item_id.starts_with("TK"))
            .all(|f| f.status == "out_of_scope"));

        let coordinator = user_scope(store, b.coordinator, b.prefecture).await;
        let m = services(store).matrix().get(&coordinator, &of_prefecture(b.prefecture), EDITION)
            .await
            .expect("matrix");
        assert_eq!(m.rows.len(), 1);
        assert_eq!(m.rows[0].org, b.member);
        assert_eq!(m.rows[0].version, Some(up.version));
        assert_eq!(m.items.len(), findings.len());
        let letters: Vec<char> = m.rows[0].statuses.chars().collect();
        assert!(findings.iter().all(|f| {
            let column = m.items.iter().position(|i| i.id == f.item_id).expect("item column");
            letters[column] == matrix::letter(FindingStatus::parse(&f.status))
        }));

        // Another prefecture's member sees nothing of it.
        let other = bodies(store).await;
        let outsider = user_scope(store, other.coordinator, other.prefecture).await;
        assert!(services(store).matrix().get(&outsider, &of_prefecture(b.prefecture), EDITION).await.is_err());
        let member = MatrixQuery { organisations: Some(vec![b.member]), ..MatrixQuery::default() };
        assert!(services(store).matrix().get(&outsider, &member, EDITION).await.is_err());
    }
}

taisho_testkit::backend_test! {
    async fn a_version_and_edition_never_get_two_results(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let editor = user_scope(store, b.editor, b.member).await;
        let mut versions = Vec::new();
        for prefix in ["004", "000"] {
            let (name, bytes) = seed(prefix);
            let up = services(store).documents().upload_version(
                &editor,
                Upload {
                    org: b.member,
                    document: DocumentRef::ByTitle("基本方針".into()),
                    bytes,
                    file_name: Some(name),
                },
                EDITION,
            )
            .await
            .expect("upload");
            versions.push(up);
        }
        assert_eq!(versions[1].seq, 2);

        // Each version's job run and committed twice, as a retried or duplicated job would be.
        let engine = tokio::task::spawn_blocking(crate::flow::engine)
            .await
            .expect("join");
        let handler = std::sync::Arc::new(
            AnalysisHandler::new(store.clone(), engine, Limits {
                deadline: Duration::from_secs(120),
                ..Limits::default()
            })
            .expect("handler"),
        );
        let queue = Queue::new(store.clone());
        for up in &versions {
            let row = queue.job(up.job).await.expect("job").expect("exists");
            assert_eq!(row.kind, ANALYSIS_JOB);
            let job = ClaimedJob {
                id: up.job,
                org_id: b.member,
                kind: ANALYSIS_JOB.into(),
                payload: serde_json::json!({
                    "version": up.version, "edition": EDITION
                }),
                attempt: 1,
                max_attempts: 5,
                fence: 1,
                trace_context: None,
            };
            for _ in 0..2 {
                let h = std::sync::Arc::clone(&handler);
                let j = job.clone();
                let output = tokio::task::spawn_blocking(move || h.run(&j, &Progress::default()))
                    .await
                    .expect("join")
                    .expect("run");
                let tx = store
                    .begin(&worker_scope(store, b.member).await, Mode::Write)
                    .await
                    .expect("tx");
                handler.commit(&tx, &job, output).await.expect("commit");
                tx.commit().await.expect("commit tx");
            }
        }

        // Then the pool runs the queued jobs as well: still one result each.
        let pool = workers(store).await;
        let jobs: Vec<_> = versions.iter().map(|v| v.job).collect();
        let rows = wait_finished(store, &jobs, Duration::from_secs(120)).await;
        pool.shutdown(Duration::from_secs(5)).await;
        assert!(rows.iter().all(|r| r.state == JobState::Done));

        let tx = store.begin(&editor, Mode::Read).await.expect("tx");
        for up in &versions {
            let all = analyses::list_for_version(&tx, up.version).await.expect("list");
            assert_eq!(all.len(), 1, "version {}", up.seq);
        }
        tx.rollback().await.expect("rollback");

        // The matrix shows the latest analysed version only.
        let coordinator = user_scope(store, b.coordinator, b.prefecture).await;
        let m = services(store).matrix().get(&coordinator, &of_prefecture(b.prefecture), EDITION)
            .await
            .expect("matrix");
        assert_eq!(m.rows.len(), 1);
        assert_eq!(m.rows[0].version, Some(versions[1].version));
    }
}
