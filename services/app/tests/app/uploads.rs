//! Uploads: a version and its analysis job in one transaction, idempotent by content.

use taisho_app::AppError;
use taisho_app::documents::{DocumentRef, Upload, prepare_upload, record_upload};
use taisho_app::engine::unique_key;
use taisho_store::{Layers, Mode, StoreError, documents};
use taisho_worker::JobState;

use crate::flow::{EDITION, bodies, jobs_of, seed, user_scope};
use crate::services;

fn upload(org: taisho_domain::OrgId, document: DocumentRef, prefix: &str) -> Upload {
    let (name, bytes) = seed(prefix);
    Upload {
        org,
        document,
        bytes,
        file_name: Some(name),
    }
}

fn new_doc() -> DocumentRef {
    DocumentRef::New {
        title: "情報セキュリティ基本方針".into(),
        unpublished: false,
    }
}

taisho_testkit::backend_test! {
    async fn upload_of_a_seed_creates_a_version_and_one_queued_job(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let scope = user_scope(store, b.editor, b.member).await;
        let up = services(store).documents().upload_version(&scope, upload(b.member, new_doc(), "004"), EDITION)
            .await
            .expect("upload");
        assert!(up.created && up.job_created);
        assert_eq!(up.seq, 1);
        assert_eq!(up.layers, Layers::Kihon);

        let tx = store.begin(&scope, Mode::Read).await.expect("tx");
        let versions = documents::list_versions(&tx, up.document).await.expect("versions");
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].uploaded_by, Some(b.editor));
        assert_eq!(documents::original(&tx, up.version).await.expect("original"), seed("004").1);
        tx.rollback().await.expect("rollback");

        let jobs = jobs_of(store, b.member).await;
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].id, up.job);
        assert_eq!(jobs[0].state, JobState::Queued);
        assert_eq!(jobs[0].unique_key.as_deref(), Some(unique_key(up.version, EDITION).as_str()));
    }
}

taisho_testkit::backend_test! {
    async fn identical_upload_creates_neither_version_nor_job(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let scope = user_scope(store, b.editor, b.member).await;
        let first = services(store).documents().upload_version(&scope, upload(b.member, new_doc(), "004"), EDITION)
            .await
            .expect("first upload");
        let again = services(store).documents().upload_version(
            &scope,
            upload(b.member, DocumentRef::Existing(first.document), "004"),
            EDITION,
        )
        .await
        .expect("second upload");
        assert!(!again.created && !again.job_created);
        assert_eq!((again.version, again.job), (first.version, first.job));

        // Different bytes for the same document: a second version and its own job.
        let other = services(store).documents().upload_version(
            &scope,
            upload(b.member, DocumentRef::Existing(first.document), "000"),
            EDITION,
        )
        .await
        .expect("new version");
        assert!(other.created && other.job_created);
        assert_eq!(other.seq, 2);
        assert_eq!(jobs_of(store, b.member).await.len(), 2);
    }
}

taisho_testkit::backend_test! {
    async fn bad_upload_stores_nothing(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let scope = user_scope(store, b.editor, b.member).await;
        let mut bytes: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        bytes[10] = 0;
        for bad in [bytes, Vec::new()] {
            let err = services(store).documents().upload_version(
                &scope,
                Upload { org: b.member, document: new_doc(), bytes: bad, file_name: Some("x.bin".into()) },
                EDITION,
            )
            .await
            .expect_err("binary bytes are refused");
            assert!(matches!(err, AppError::Document(_)), "{err:?}");
        }
        let tx = store.begin(&scope, Mode::Read).await.expect("tx");
        assert!(documents::list(&tx, b.member).await.expect("list").is_empty());
        tx.rollback().await.expect("rollback");
        assert!(jobs_of(store, b.member).await.is_empty());
    }
}

taisho_testkit::backend_test! {
    async fn upload_needs_write_access_and_hides_foreign_orgs(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let other = bodies(store).await;
        let viewer = user_scope(store, b.viewer, b.member).await;
        let err = services(store).documents().upload_version(&viewer, upload(b.member, new_doc(), "004"), EDITION)
            .await
            .expect_err("viewer");
        assert!(matches!(err, AppError::Store(StoreError::Forbidden)), "{err:?}");
        let editor = user_scope(store, b.editor, b.member).await;
        let err = services(store).documents().upload_version(&editor, upload(other.member, new_doc(), "004"), EDITION)
            .await
            .expect_err("foreign org");
        assert!(matches!(err, AppError::Store(StoreError::NotFound)), "{err:?}");
        // A foreign document under one's own organisation: NotFound as well.
        let theirs = services(store).documents().upload_version(&user_scope(store, other.editor, other.member).await,
            upload(other.member, new_doc(), "004"),
            EDITION,
        )
        .await
        .expect("their upload");
        let err = services(store).documents().upload_version(
            &editor,
            upload(b.member, DocumentRef::Existing(theirs.document), "000"),
            EDITION,
        )
        .await
        .expect_err("foreign document");
        assert!(matches!(err, AppError::Store(StoreError::NotFound)), "{err:?}");
        assert!(jobs_of(store, b.member).await.is_empty());
        assert_eq!(jobs_of(store, other.member).await.len(), 1);
    }
}

taisho_testkit::backend_test! {
    async fn uploads_with_injected_rollbacks_leave_exactly_one_job_per_committed_upload(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let scope = user_scope(store, b.editor, b.member).await;
        let (name, base) = seed("004");
        let mut committed = 0usize;
        for i in 0..60u32 {
            // Distinct content per upload, so each committed one is a new version.
            let mut bytes = base.clone();
            bytes.extend_from_slice(format!("\n附記 第{i}版\n").as_bytes());
            let prepared = prepare_upload(
                &scope,
                Upload {
                    org: b.member,
                    document: DocumentRef::ByTitle("情報セキュリティ基本方針".into()),
                    bytes,
                    file_name: Some(name.clone()),
                },
            )
            .await
            .expect("prepare");
            let tx = store.begin(&scope, Mode::Write).await.expect("tx");
            record_upload(&tx, prepared, EDITION).await.expect("record");
            // Injected failures: an explicit rollback, or a transaction dropped mid-flight (a
            // crashed request); the rest commit.
            match i % 3 {
                0 => {
                    tx.commit().await.expect("commit");
                    committed += 1;
                }
                1 => tx.rollback().await.expect("rollback"),
                _ => drop(tx),
            }
        }
        let jobs = jobs_of(store, b.member).await;
        assert_eq!(jobs.len(), committed, "one job per committed upload, none for rolled-back ones");
        let tx = store.begin(&scope, Mode::Read).await.expect("tx");
        let docs = documents::list(&tx, b.member).await.expect("docs");
        let mut versions = 0;
        for d in docs {
            versions += documents::list_versions(&tx, d.id).await.expect("versions").len();
        }
        tx.rollback().await.expect("rollback");
        assert_eq!(versions, committed);
    }
}

taisho_testkit::backend_test! {
    async fn exporting_a_version_is_recorded_in_the_audit_log(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let editor = user_scope(store, b.editor, b.member).await;
        let up = services(store).documents().upload_version(&editor, upload(b.member, new_doc(), "004"), EDITION)
            .await
            .expect("upload");
        let viewer = user_scope(store, b.viewer, b.member).await;
        let bytes = services(store).documents().export_original(&viewer, up.version)
            .await
            .expect("export");
        assert_eq!(bytes, seed("004").1);

        // Another body's reader sees a missing version, and nothing of it is recorded as exported.
        let other = bodies(store).await;
        let outsider = user_scope(store, other.viewer, other.member).await;
        let err = services(store).documents().export_original(&outsider, up.version).await.unwrap_err();
        assert!(matches!(err, AppError::Store(StoreError::NotFound)), "{err:?}");

        let admin = {
            let tx = store.begin_system(Mode::Write).await.expect("tx");
            let u = taisho_store::provision::create_user(&tx, &format!("admin-{}@example.jp", up.version), "admin", None)
                .await
                .expect("user");
            taisho_store::provision::add_membership(&tx, u, b.member, taisho_store::Role::Admin)
                .await
                .expect("membership");
            tx.commit().await.expect("commit");
            user_scope(store, u, b.member).await
        };
        let tx = store.begin(&admin, Mode::Read).await.expect("tx");
        let log = taisho_store::audit::list(&tx, b.member, 100).await.expect("audit");
        tx.rollback().await.expect("rollback");
        let exports: Vec<_> = log.iter().filter(|e| e.action == "document.export").collect();
        assert_eq!(exports.len(), 1, "{log:?}");
        assert_eq!(exports[0].actor_user_id, Some(b.viewer.as_uuid()));
        assert_eq!(exports[0].object_id, Some(up.version.as_uuid()));
    }
}
