//! The read use-cases behind the API: documents, versions, analyses as typed values, progress,
//! re-analysis and the diff of two versions; foreign ids answer like missing ones, and text is
//! withheld from coordinators on unpublished documents.

use std::time::Duration;

use taisho_app::documents::{DocumentRef, Upload};
use taisho_app::progress::{ProgressState, WatchOptions};
use taisho_app::{AppError, analyses};
use taisho_domain::{DocumentId, ErrorCode, VersionId};
use taisho_engine::analysis::FindingStatus;
use taisho_engine::diff::RowKind;
use taisho_store::StoreError;

use crate::flow::{EDITION, bodies, seed, user_scope, wait_finished, workers};
use crate::{services, services_with};

fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> (ErrorCode, String) {
    let e = r.expect_err("expected an error");
    (e.code(), e.to_string())
}

fn upload(org: taisho_domain::OrgId, document: DocumentRef, bytes: Vec<u8>) -> Upload {
    Upload {
        org,
        document,
        bytes,
        file_name: Some("policy.txt".into()),
    }
}

taisho_testkit::backend_test! {
    async fn documents_and_versions_are_listed_and_foreign_ids_look_missing(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let editor = user_scope(store, b.editor, b.member).await;
        let (name, bytes) = seed("004");
        let up = services(store).documents().upload_version(
            &editor,
            Upload { org: b.member, document: DocumentRef::ByTitle("基本方針".into()), bytes, file_name: Some(name) },
            EDITION,
        )
        .await
        .expect("upload");

        let docs = services(store).documents().list(&editor, b.member).await.expect("list");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].title, "基本方針");
        let versions = services(store).documents().versions(&editor, up.document).await.expect("versions");
        assert_eq!(versions.len(), 1);
        let v = services(store).documents().version(&editor, up.version).await.expect("version");
        assert_eq!((v.format.as_str(), v.encoding.as_str()), ("markdown", "utf8"));
        assert!(v.byte_len > 1000);
        let many = services(store).documents().versions_by_id(&editor, &[up.version, VersionId::new()])
            .await
            .expect("batch");
        assert_eq!(many.len(), 1);

        // Another prefecture's body: its ids answer exactly like ids that do not exist.
        let other = bodies(store).await;
        let outsider = user_scope(store, other.editor, other.member).await;
        let foreign = code(services(store).documents().version(&outsider, up.version).await);
        let missing = code(services(store).documents().version(&outsider, VersionId::new()).await);
        assert_eq!(foreign, missing);
        assert_eq!(foreign.0, ErrorCode::NotFound);
        assert_eq!(
            code(services(store).documents().get(&outsider, up.document).await),
            code(services(store).documents().get(&outsider, DocumentId::new()).await)
        );
        assert_eq!(
            code(services(store).documents().list(&outsider, b.member).await).0,
            ErrorCode::NotFound
        );
        assert!(services(store).documents().get_many(&outsider, &[up.document]).await.expect("batch").is_empty());

        // Viewers may not unpublish; editors may.
        let viewer = user_scope(store, b.viewer, b.member).await;
        assert_eq!(
            code(services(store).documents().set_unpublished(&viewer, up.document, true).await).0,
            ErrorCode::Forbidden
        );
        let d = services(store).documents().set_unpublished(&editor, up.document, true).await.expect("unpublish");
        assert!(d.unpublished);
        assert_eq!(
            code(services(store).documents().set_unpublished(&outsider, up.document, false).await),
            code(services(store).documents().set_unpublished(&outsider, DocumentId::new(), false).await)
        );
    }
}

taisho_testkit::backend_test! {
    async fn analysis_reads_as_typed_findings_and_hides_text_of_unpublished_documents(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let editor = user_scope(store, b.editor, b.member).await;
        let (_, bytes) = seed("004");
        let up = services(store).documents().upload_version(
            &editor,
            upload(b.member, DocumentRef::New { title: "基本方針".into(), unpublished: true }, bytes),
            EDITION,
        )
        .await
        .expect("upload");

        let queued = services(store).progress().get(&editor, up.version, EDITION).await.expect("progress").expect("queued");
        assert_eq!(queued.state, ProgressState::Queued);
        assert!(queued.analysis.is_none());
        // The subscription's stream: first reading at once, ends after a final state.
        let mut stream = services(store).progress().watch(
            editor.clone(),
            up.version,
            EDITION,
            WatchOptions { poll: Duration::from_millis(50), max_lifetime: Duration::from_secs(240) },
        );
        let first = stream.recv().await.expect("first").expect("reading");
        assert_eq!(first.state, ProgressState::Queued);

        let pool = workers(store).await;
        wait_finished(store, &[up.job], Duration::from_secs(180)).await;
        pool.shutdown(Duration::from_secs(5)).await;
        let mut readings = vec![first];
        while let Some(r) = stream.recv().await {
            readings.push(r.expect("reading"));
        }
        let last = readings.last().expect("readings");
        assert_eq!(last.state, ProgressState::Done, "{readings:?}");
        assert_eq!(last.percent, 100);
        assert!(last.analysis.is_some());

        let a = services(store).analyses().of_version(&editor, up.version, EDITION)
            .await
            .expect("analysis")
            .expect("recorded");
        assert!(a.text_visible);
        assert_eq!(a.version, up.version);
        let kihon: Vec<_> = a.findings.iter().filter(|f| f.item.starts_with("KH")).collect();
        assert!(kihon.len() > 40);
        assert!(kihon.iter().all(|f| f.status == FindingStatus::Covered));
        assert!(kihon.iter().all(|f| f.evidence.policy_text.as_deref().is_some_and(|t| !t.is_empty())));
        assert!(kihon.iter().all(|f| !f.evidence.locations.is_empty()));
        assert!(kihon.iter().any(|f| !f.evidence.diff.is_empty()));
        assert_eq!(a.summary.covered as usize, kihon.len());
        assert_eq!(a.summary.coverage, Some(1.0));
        let out = a
            .findings(&analyses::FindingFilter { status: Some(FindingStatus::OutOfScope), ..Default::default() })
            .expect("filter");
        assert!(!out.is_empty() && out.iter().all(|f| f.item.starts_with("TK")));
        let section = a
            .findings(&analyses::FindingFilter { section: Some("KH-3".into()), ..Default::default() })
            .expect("filter");
        assert!(!section.is_empty() && section.iter().all(|f| f.item.starts_with("KH-3")));
        assert_eq!(a.finding("KH-1").map(|f| f.status).ok(), Some(FindingStatus::Covered));
        assert!(a.finding("NO-SUCH-ITEM").is_err());

        // The coordinator reads statuses, not the text of the unpublished document.
        let coordinator = user_scope(store, b.coordinator, b.prefecture).await;
        let seen = services(store).analyses().get(&coordinator, a.id).await.expect("coordinator reads");
        assert!(!seen.text_visible);
        assert_eq!(seen.findings.len(), a.findings.len());
        assert!(seen.findings.iter().all(|f| f.evidence.policy_text.is_none() && f.evidence.diff.is_empty()));
        assert!(seen.local_additions.is_empty());
        assert!(seen.findings.iter().all(|f| !f.evidence.model_text.is_empty()));

        // Foreign analysis ids look missing.
        let other = bodies(store).await;
        let outsider = user_scope(store, other.editor, other.member).await;
        assert_eq!(
            code(services(store).analyses().get(&outsider, a.id).await),
            code(services(store).analyses().get(&outsider, taisho_domain::AnalysisId::new()).await)
        );
        assert_eq!(
            code(services(store).progress().get(&outsider, up.version, EDITION).await).0,
            ErrorCode::NotFound
        );

        // Re-analysis: idempotent for editors, refused to viewers, NotFound for outsiders.
        let again = services(store).analyses().reanalyse(&editor, up.version, EDITION).await.expect("reanalyse");
        assert_eq!(again.state, ProgressState::Done);
        let viewer = user_scope(store, b.viewer, b.member).await;
        assert_eq!(
            code(services(store).analyses().reanalyse(&viewer, up.version, EDITION).await).0,
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(services(store).analyses().reanalyse(&outsider, up.version, EDITION).await),
            code(services(store).analyses().reanalyse(&outsider, VersionId::new(), EDITION).await)
        );
        // Another edition is queued once.
        let r6 = taisho_guideline::EditionId::R6_10;
        let queued = services(store).analyses().reanalyse(&editor, up.version, r6).await.expect("queue R6.10");
        assert_eq!(queued.state, ProgressState::Queued);
        let twice = services(store).analyses().reanalyse(&editor, up.version, r6).await.expect("again");
        assert_eq!(twice.state, ProgressState::Queued);
        let jobs = crate::flow::jobs_of(store, b.member).await;
        assert_eq!(jobs.len(), 2);
    }
}

taisho_testkit::backend_test! {
    async fn diff_of_two_versions_gives_rows_with_marked_spans_and_needs_text_access(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let editor = user_scope(store, b.editor, b.member).await;
        let (_, bytes) = seed("004");
        let text = String::from_utf8(bytes.clone()).expect("utf-8 seed");
        let changed = text.replacen("しなければならない", "するよう努める", 1);
        assert_ne!(text, changed);
        let first = services(store).documents().upload_version(
            &editor,
            upload(b.member, DocumentRef::New { title: "基本方針".into(), unpublished: true }, bytes),
            EDITION,
        )
        .await
        .expect("first");
        let second = services(store).documents().upload_version(
            &editor,
            upload(b.member, DocumentRef::Existing(first.document), changed.into_bytes()),
            EDITION,
        )
        .await
        .expect("second");
        assert_eq!(second.seq, 2);

        let engine = tokio::task::spawn_blocking(crate::flow::engine).await.expect("engine");
        let services = services_with(store, engine);
        let d = services.diffs().between(&editor, first.version, second.version)
            .await
            .expect("diff");
        assert_eq!((d.from, d.to), (first.version, second.version));
        assert_eq!(d.degraded, None);
        {
            assert_eq!(d.changes, 1, "one sentence changed");
            let row = d.rows.iter().find(|r| r.kind == RowKind::Changed).expect("changed row");
            let old = row.old.as_ref().expect("old side");
            let new = row.new.as_ref().expect("new side");
            assert!(old.spans.iter().any(|s| s.op == analyses::SpanOp::Delete && s.text.contains("なければならない")));
            assert!(new.spans.iter().any(|s| s.op == analyses::SpanOp::Insert && s.text.contains("努める")));
            assert!(d.rows.iter().filter(|r| r.kind == RowKind::Equal).count() > 10);
        }

        // The coordinator may not read the unpublished text: the diff is NotFound, like a
        // missing version.
        let coordinator = user_scope(store, b.coordinator, b.prefecture).await;
        let hidden = code(services.diffs().between(&coordinator, first.version, second.version).await);
        let missing = code(services.diffs().between(&coordinator, VersionId::new(), second.version).await);
        assert_eq!(hidden, missing);
        assert_eq!(hidden.0, ErrorCode::NotFound);
        assert!(matches!(
            services.diffs().between(&coordinator, first.version, second.version).await,
            Err(AppError::Store(StoreError::NotFound))
        ));
    }
}
