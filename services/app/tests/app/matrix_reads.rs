//! The coordinator matrix from compact summaries (with the finding-row fallback), its filters and
//! coverage; the catalog use-cases.

use serde_json::json;
use taisho_app::catalog::{self, ItemFilter};
use taisho_app::documents::{DocumentRef, Upload};
use taisho_app::matrix::{self, MatrixQuery};
use taisho_domain::{ErrorCode, OrgId};
use taisho_engine::analysis::FindingStatus;
use taisho_guideline::{EditionId, Kind};
use taisho_store::{AnalysisStatus, Mode, OrgKind, Store, analyses, provision};

use crate::flow::{EDITION, bodies, seed, user_scope, worker_scope};
use crate::services;

/// Uploads seed 004 for `org` (its job is never run) and records an analysis whose findings
/// cover the whole catalog with `status_of(index)`, in model order or `reversed`.
async fn analysed(
    store: &Store,
    editor: &taisho_store::TenantScope,
    org: OrgId,
    status_of: impl Fn(usize) -> &'static str,
    reversed: bool,
) -> taisho_domain::VersionId {
    let (name, bytes) = seed("004");
    let up = services(store)
        .documents()
        .upload_version(
            editor,
            Upload {
                org,
                document: DocumentRef::ByTitle("ポリシー".into()),
                bytes,
                file_name: Some(name),
            },
            EDITION,
        )
        .await
        .expect("upload");
    let cat = catalog::catalog(EDITION).expect("catalog");
    let mut findings: Vec<analyses::Finding> = cat
        .items
        .iter()
        .enumerate()
        .map(|(n, i)| analyses::Finding {
            item_id: i.id.clone(),
            status: status_of(n).to_owned(),
            reasons: json!([]),
        })
        .collect();
    if reversed {
        findings.reverse();
    }
    let worker = worker_scope(store, org).await;
    let tx = store.begin(&worker, Mode::Write).await.expect("tx");
    analyses::record(
        &tx,
        up.version,
        &EDITION.to_string(),
        AnalysisStatus::Done,
        json!({}),
        &findings,
    )
    .await
    .expect("record");
    tx.commit().await.expect("commit");
    up.version
}

const CYCLE: [&str; 4] = ["covered", "weakened", "omitted", "out_of_scope"];

taisho_testkit::backend_test! {
    async fn matrix_reads_compact_summaries_with_filters_and_coverage(db) {
        let store = &db.store;
        let b = bodies(store).await;
        // A second member of the same prefecture, and a third without any analysis.
        let tx = store.begin_system(Mode::Write).await.expect("system");
        let t = crate::tag();
        let second = provision::create_organisation(&tx, OrgKind::Municipality, &format!("村{t}"), Some(b.prefecture)).await.expect("org");
        let third = provision::create_organisation(&tx, OrgKind::Municipality, &format!("町{t}"), Some(b.prefecture)).await.expect("org");
        let editor2 = provision::create_user(&tx, &format!("e2-{t}@example.jp"), "e2", None).await.expect("user");
        provision::add_membership(&tx, editor2, second, taisho_store::Role::Editor).await.expect("member");
        tx.commit().await.expect("commit");

        let editor = user_scope(store, b.editor, b.member).await;
        let v1 = analysed(store, &editor, b.member, |n| CYCLE[n % 4], false).await;
        // Recorded in reverse order: the summary does not line up with the catalog and the matrix
        // falls back to the finding rows, with the same answer.
        let editor2 = user_scope(store, editor2, second).await;
        let v2 = analysed(store, &editor2, second, |_| "covered", true).await;

        let coordinator = user_scope(store, b.coordinator, b.prefecture).await;
        let query = MatrixQuery { prefecture: Some(b.prefecture), ..Default::default() };
        let m = services(store).matrix().get(&coordinator, &query, EDITION).await.expect("matrix");
        let n = catalog::catalog(EDITION).expect("catalog").items.len();
        assert_eq!(m.items.len(), n);
        assert_eq!(m.rows.len(), 3);
        let row = |org| m.rows.iter().find(|r| r.org == org).expect("row");
        let expected: String = (0..n).map(|i| ['C', 'W', 'O', 'S'][i % 4]).collect();
        assert_eq!(row(b.member).statuses, expected);
        assert_eq!(row(b.member).version, Some(v1));
        assert_eq!(row(second).statuses, "C".repeat(n));
        assert_eq!(row(second).version, Some(v2));
        assert_eq!(row(third).statuses, "-".repeat(n));
        assert_eq!(row(third).version, None);
        assert_eq!(row(third).coverage, None);
        assert_eq!(row(second).coverage, Some(1.0));
        let c = row(b.member).coverage.expect("coverage");
        assert!((c - 1.0 / 3.0).abs() < 0.01, "{c}");
        // Item 0 is covered by both bodies; item 2 omitted by one, covered by the other.
        assert_eq!(m.items[0].coverage, Some(1.0));
        assert_eq!(m.items[2].coverage, Some(0.5));
        assert_eq!(m.items[3].coverage, Some(1.0));
        assert!(row(b.member).cells().zip(expected.chars()).all(|(s, c)| matrix::letter(s) == c));

        // Filters: section and kind pick columns; status keeps the items someone has in it.
        let q = MatrixQuery { filter: ItemFilter { section: Some("KH-3".into()), kind: None }, ..query.clone() };
        let by_section = services(store).matrix().get(&coordinator, &q, EDITION).await.expect("section");
        assert!(!by_section.items.is_empty() && by_section.items.iter().all(|i| i.id.starts_with("KH-3")));
        assert!(by_section.rows.iter().all(|r| r.statuses.len() == by_section.items.len()));
        let q = MatrixQuery { filter: ItemFilter { section: None, kind: Some(Kind::Threat) }, ..query.clone() };
        let threats = services(store).matrix().get(&coordinator, &q, EDITION).await.expect("kind");
        assert!(!threats.items.is_empty() && threats.items.iter().all(|i| i.kind == Kind::Threat));
        let q = MatrixQuery { status: Some(FindingStatus::Omitted), ..query.clone() };
        let omitted = services(store).matrix().get(&coordinator, &q, EDITION).await.expect("status");
        assert_eq!(omitted.items.len(), (0..n).filter(|i| i % 4 == 2).count());
        assert!(row_of(&omitted, b.member).chars().all(|c| c == 'O'));

        // A set of organisations; the body's own editor reads its row, not its neighbour's.
        let q = MatrixQuery { organisations: Some(vec![second, b.member]), ..Default::default() };
        let pair = services(store).matrix().get(&coordinator, &q, EDITION).await.expect("orgs");
        assert_eq!(pair.rows.len(), 2);
        let own = MatrixQuery { organisations: Some(vec![b.member]), ..Default::default() };
        assert_eq!(services(store).matrix().get(&editor, &own, EDITION).await.expect("own").rows.len(), 1);
        let neighbour = MatrixQuery { organisations: Some(vec![second]), ..Default::default() };
        let refused = services(store).matrix().get(&editor, &neighbour, EDITION).await.expect_err("neighbour");
        let missing = MatrixQuery { organisations: Some(vec![OrgId::new()]), ..Default::default() };
        let absent = services(store).matrix().get(&editor, &missing, EDITION).await.expect_err("missing");
        assert_eq!((refused.code(), refused.to_string()), (absent.code(), absent.to_string()));
        assert_eq!(refused.code(), ErrorCode::NotFound);

        // Another prefecture's coordinator: the prefecture looks missing; a member body is no
        // prefecture.
        let other = bodies(store).await;
        let outsider = user_scope(store, other.coordinator, other.prefecture).await;
        let foreign = services(store).matrix().get(&outsider, &query, EDITION).await.expect_err("foreign");
        let nowhere = MatrixQuery { prefecture: Some(OrgId::new()), ..Default::default() };
        let nowhere = services(store).matrix().get(&outsider, &nowhere, EDITION).await.expect_err("missing");
        assert_eq!((foreign.code(), foreign.to_string()), (nowhere.code(), nowhere.to_string()));
        let not_pref = MatrixQuery { prefecture: Some(b.member), ..Default::default() };
        assert_eq!(services(store).matrix().get(&coordinator, &not_pref, EDITION).await.expect_err("member").code(), ErrorCode::NotFound);

    }
}

fn row_of(m: &matrix::Matrix, org: OrgId) -> String {
    m.rows
        .iter()
        .find(|r| r.org == org)
        .map(|r| r.statuses.clone())
        .unwrap_or_default()
}

#[test]
fn catalog_lists_editions_items_and_changes() {
    let editions = catalog::editions().expect("editions");
    let ids: Vec<String> = editions.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids, ["R5.3", "R6.10", "R7.3"]);
    assert_eq!(
        catalog::edition(None, EditionId::DEFAULT).expect("default"),
        EditionId::R5_3
    );
    assert_eq!(
        catalog::edition(Some("令和6年10月版"), EditionId::DEFAULT).expect("ja"),
        EditionId::R6_10
    );
    assert_eq!(
        catalog::edition(Some("R9.9"), EditionId::DEFAULT)
            .expect_err("unknown")
            .code(),
        ErrorCode::InvalidArgument
    );

    let all = catalog::items(EDITION, &ItemFilter::default()).expect("items");
    assert!(all.len() > 300);
    let tk2 = catalog::items(
        EDITION,
        &ItemFilter {
            section: Some("TK-2".into()),
            kind: None,
        },
    )
    .expect("TK-2");
    assert!(!tk2.is_empty() && tk2.iter().all(|i| catalog::section_of(i) == "TK-2"));
    let tk6 = catalog::items(
        EDITION,
        &ItemFilter {
            section: Some("tk-6".into()),
            kind: None,
        },
    )
    .expect("TK-6");
    assert!(
        tk6.iter()
            .any(|i| catalog::section_of(i).starts_with("TK-6."))
    );
    assert!(catalog::item(EDITION, "KH-1").is_ok());
    assert_eq!(
        catalog::item(EDITION, "XX-1").expect_err("missing").code(),
        ErrorCode::NotFound
    );
    let changes = catalog::changes(EditionId::R5_3, EditionId::R6_10).expect("changes");
    assert!(!changes.is_empty());
}

/// Opt-in timing of the matrix use-case on PostgreSQL: a prefecture of 60 bodies × every item,
/// 32 concurrent callers (`cargo test -p taisho-app --test app matrix_of_60 -- --ignored
/// --nocapture`). Prints the sequential latency and p50/p99 under load; no assertion, since test
/// builds of the workspace crates are unoptimised (the release benchmark is
/// `infra/bench/matrix-load.sh`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run explicitly"]
async fn matrix_of_60_bodies_is_fast_under_32_concurrent_callers() {
    let db = taisho_testkit::testdb::postgres().await;
    let store = &db.store;
    let b = bodies(store).await;
    let tx = store.begin_system(Mode::Write).await.expect("system");
    let t = crate::tag();
    let mut members = vec![(b.member, b.editor)];
    for n in 1..60 {
        let org = provision::create_organisation(
            &tx,
            OrgKind::Municipality,
            &format!("町{n}-{t}"),
            Some(b.prefecture),
        )
        .await
        .expect("org");
        let u = provision::create_user(&tx, &format!("e{n}-{t}@example.jp"), "e", None)
            .await
            .expect("user");
        provision::add_membership(&tx, u, org, taisho_store::Role::Editor)
            .await
            .expect("member");
        members.push((org, u));
    }
    tx.commit().await.expect("commit");
    for (n, (org, user)) in members.iter().enumerate() {
        let editor = user_scope(store, *user, *org).await;
        analysed(store, &editor, *org, move |i| CYCLE[(i + n) % 4], false).await;
    }
    let coordinator = user_scope(store, b.coordinator, b.prefecture).await;
    let query = MatrixQuery {
        prefecture: Some(b.prefecture),
        ..Default::default()
    };
    let m = services(store)
        .matrix()
        .get(&coordinator, &query, EDITION)
        .await
        .expect("warm");
    assert_eq!(m.rows.len(), 60);
    let seq_start = std::time::Instant::now();
    for _ in 0..50 {
        services(store)
            .matrix()
            .get(&coordinator, &query, EDITION)
            .await
            .expect("matrix");
    }
    println!("sequential: {:?} per call", seq_start.elapsed() / 50);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = store.clone();
        let scope = coordinator.clone();
        let query = query.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for _ in 0..40 {
                let start = std::time::Instant::now();
                services(&store)
                    .matrix()
                    .get(&scope, &query, EDITION)
                    .await
                    .expect("matrix");
                times.push(start.elapsed());
            }
            times
        }));
    }
    let started = std::time::Instant::now();
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.expect("task"));
    }
    let wall = started.elapsed();
    times.sort();
    let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "matrix 60 bodies: {} calls in {wall:?} ({:.0}/s), p50 {:?}, p99 {:?}",
        times.len(),
        times.len() as f64 / wall.as_secs_f64(),
        p(0.5),
        p(0.99)
    );
}
