use serde_json::json;
use taisho_store::analyses::{self, Finding};
use taisho_store::{AnalysisStatus, Mode, documents};
use taisho_testkit::{backend_test, testdb};

use crate::common::{EDITION, World, user_scope, version};

backend_test! {
    async fn result_is_stored_once_per_version_and_edition(db) {
        let w = World::build(&db.store, 1, 0).await;
        let s = user_scope(&db.store, w.members[0].admin).await;
        let v = w.members[0].versions[0];
        let tx = db.store.begin(&s, Mode::Write).await.unwrap();
        let again = [Finding { item_id: "9.9".into(), status: "missing".into(), reasons: json!([]) }];
        let (id, created) = analyses::record(&tx, v, EDITION, AnalysisStatus::Done, json!({"late": true}), &again).await.unwrap();
        assert!(!created);
        assert_eq!(id, w.members[0].analyses[0]);
        let (_, created) = analyses::record(&tx, v, "r7", AnalysisStatus::Done, json!({}), &again).await.unwrap();
        assert!(created);
        tx.commit().await.unwrap();
        let tx = db.store.begin(&s, Mode::Read).await.unwrap();
        let a = analyses::get(&tx, v, EDITION).await.unwrap();
        assert_eq!(a.result, json!({"v": 1}));
        let f = analyses::findings(&tx, a.id).await.unwrap();
        assert_eq!(f.iter().map(|f| f.item_id.as_str()).collect::<Vec<_>>(), vec!["1.1", "2.3"]);
        assert_eq!(analyses::list_for_version(&tx, v).await.unwrap().len(), 2);
    }
}

backend_test! {
    async fn matrix_shows_latest_analysed_version_per_document(db) {
        let w = World::build(&db.store, 2, 1).await;
        // A newer, not yet analysed version does not hide the analysed one.
        let admin = user_scope(&db.store, w.members[1].admin).await;
        let tx = db.store.begin(&admin, Mode::Write).await.unwrap();
        documents::add_version(&tx, w.members[1].docs[0], version("第3版")).await.unwrap();
        tx.commit().await.unwrap();

        let s = user_scope(&db.store, w.coordinator).await;
        let tx = db.store.begin(&s, Mode::Read).await.unwrap();
        let orgs = [w.members[0].org, w.members[1].org, w.unrelated[0].org];
        let cells = analyses::matrix(&tx, &orgs, EDITION).await.unwrap();
        // 2 members × 2 documents × 2 items, from version seq 2; the unrelated body is absent.
        assert_eq!(cells.len(), 8);
        assert!(cells.iter().all(|c| c.seq == 2 && c.org_id != w.unrelated[0].org));
        assert!(cells.iter().filter(|c| c.item_id == "2.3").all(|c| c.status == "present"));
        assert!(analyses::matrix(&tx, &orgs, "other-edition").await.unwrap().is_empty());
    }
}

/// An upload holds its document's row lock while it waits for the job row a worker is completing;
/// the worker's transaction references that document (foreign keys take KEY SHARE) and must not
/// wait for the upload, or the two deadlock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_an_analysis_is_not_blocked_by_an_upload_of_the_same_document_on_postgres() {
    let db = testdb::postgres().await;
    let w = World::build(&db.store, 1, 0).await;
    let s = user_scope(&db.store, w.members[0].admin).await;
    let doc = w.members[0].docs[0];

    // The upload: a new version of the document, transaction left open with the row lock held.
    let upload = db.store.begin(&s, Mode::Write).await.unwrap();
    let (v2, created) = documents::add_version(&upload, doc, version("第3版"))
        .await
        .unwrap();
    assert!(created);

    // Meanwhile a worker records the analysis of an existing version of the same document.
    let v = w.members[0].versions[0];
    let store = db.store.clone();
    let s2 = s.clone();
    let record = tokio::spawn(async move {
        let tx = store.begin(&s2, Mode::Write).await.unwrap();
        let f = [Finding {
            item_id: "1.1".into(),
            status: "covered".into(),
            reasons: json!([]),
        }];
        analyses::record(&tx, v, "r-lock", AnalysisStatus::Done, json!({}), &f)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    let done = tokio::time::timeout(std::time::Duration::from_secs(10), record).await;
    assert!(
        done.is_ok(),
        "the analysis waited for the upload's document lock"
    );
    done.unwrap().unwrap();
    upload.commit().await.unwrap();
    assert_ne!(v2.id, v);
}

backend_test! {
    async fn matrix_summaries_keep_the_highest_version_whatever_the_recording_order(db) {
        let w = World::build(&db.store, 1, 0).await;
        let s = user_scope(&db.store, w.members[0].admin).await;
        let org = w.members[0].org;
        // Versions 1 and 2 of the first document; another edition, recorded newest first.
        let (v1, v2) = (w.members[0].versions[0], w.members[0].versions[1]);
        let tx = db.store.begin(&s, Mode::Write).await.unwrap();
        let covered = [Finding { item_id: "1.1".into(), status: "covered".into(), reasons: json!([]) }];
        let omitted = [Finding { item_id: "1.1".into(), status: "omitted".into(), reasons: json!([]) }];
        let (a2, _) = analyses::record(&tx, v2, "late", AnalysisStatus::Done, json!({}), &covered).await.unwrap();
        analyses::record(&tx, v1, "late", AnalysisStatus::Done, json!({}), &omitted).await.unwrap();
        tx.commit().await.unwrap();

        let tx = db.store.begin(&s, Mode::Read).await.unwrap();
        let rows = analyses::summaries(&tx, &[org], "late").await.unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!((rows[0].analysis_id, rows[0].version_id, rows[0].seq), (a2, v2, 2));
        assert_eq!(rows[0].statuses, "C");
        // Both documents of the fixture edition, each at its latest version.
        let rows = analyses::summaries(&tx, &[org], EDITION).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.seq == 2), "{rows:?}");
        tx.rollback().await.unwrap();
    }
}

backend_test! {
    async fn cached_matrix_reads_see_every_committed_analysis_of_this_store_at_once(db) {
        let w = World::build(&db.store, 2, 0).await;
        let coordinator = user_scope(&db.store, w.coordinator).await;
        let member = user_scope(&db.store, w.members[0].admin).await;
        let read = |s| analyses::readable_with_summaries_cached(&db.store, s, "cache");
        assert!(read(&coordinator).await.unwrap().1.is_empty());
        // Cached now; a committed recording through this store ends the cached read at once.
        let v = w.members[0].versions[1];
        let tx = db.store.begin(&member, Mode::Write).await.unwrap();
        let f = [Finding { item_id: "1.1".into(), status: "covered".into(), reasons: json!([]) }];
        analyses::record(&tx, v, "cache", AnalysisStatus::Done, json!({}), &f).await.unwrap();
        // Not yet committed: the cached read still stands, and it is the truth.
        assert!(read(&coordinator).await.unwrap().1.is_empty());
        tx.commit().await.unwrap();
        let after = read(&coordinator).await.unwrap();
        assert_eq!(after.1.len(), 1);
        assert_eq!(after.1[0].version_id, v);
        // Another scope reads through its own key: the member sees itself only.
        let mine = read(&member).await.unwrap();
        assert_eq!(mine.0.iter().map(|o| o.id).collect::<Vec<_>>(), vec![w.members[0].org]);
        assert_eq!(mine.1.len(), 1);
        let other = user_scope(&db.store, w.members[1].admin).await;
        let theirs = read(&other).await.unwrap();
        assert!(theirs.1.is_empty(), "{theirs:?}");
    }
}

backend_test! {
    async fn cached_matrix_reads_see_other_processes_writes_within_the_max_age(db) {
        let w = World::build(&db.store, 1, 0).await;
        let coordinator = user_scope(&db.store, w.coordinator).await;
        let member = user_scope(&db.store, w.members[0].admin).await;
        let read = || analyses::readable_with_summaries_cached(&db.store, &coordinator, "elsewhere");
        assert!(read().await.unwrap().1.is_empty());
        // Another process (a second pool on the same database) records an analysis.
        let other = taisho_store::Store::connect(&db.url).await.unwrap();
        let tx = other.begin(&member, Mode::Write).await.unwrap();
        let f = [Finding { item_id: "1.1".into(), status: "covered".into(), reasons: json!([]) }];
        let v = w.members[0].versions[0];
        analyses::record(&tx, v, "elsewhere", AnalysisStatus::Done, json!({}), &f).await.unwrap();
        tx.commit().await.unwrap();
        tokio::time::sleep(taisho_store::read_cache::MAX_AGE).await;
        assert_eq!(read().await.unwrap().1.len(), 1);
    }
}
