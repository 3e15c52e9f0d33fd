//! Demo data: created once, analysed by the pool, nothing more on a second start.

use std::time::Duration;

use taisho_app::accounts::{PasswordConfig, PasswordHasher};
use taisho_app::demo;
use taisho_app::matrix::MatrixQuery;
use taisho_domain::JobId;
use taisho_store::{OrgKind, Principal, Store, scope_for, users};
use taisho_worker::JobState;

use crate::flow::{EDITION, jobs_of, wait_finished, workers};
use taisho_app::ExposeSecret;

async fn demo_jobs(store: &Store, d: &demo::Demo) -> Vec<taisho_worker::JobRow> {
    let mut out = Vec::new();
    for m in &d.members {
        out.extend(jobs_of(store, m.id).await);
    }
    out
}

taisho_testkit::backend_test! {
    async fn demo_data_is_created_once_and_every_policy_is_analysed(db) {
        let store = &db.store;
        // On PostgreSQL the tests of one run share a database and the demo accounts are fixed:
        // only this test creates demo data.
        assert!(users::id_by_email(store, demo::ADMIN_EMAIL).await.expect("lookup").is_none());
        let hasher = PasswordHasher::new(&PasswordConfig::default()).expect("hasher");
        let first = demo::ensure(store, &hasher, EDITION).await.expect("demo");
        assert!(first.created);
        assert_eq!(first.members.len(), demo::MEMBERS);
        for m in &first.members {
            assert_eq!(m.prefecture_id, Some(first.prefecture));
            let union = m.name.ends_with("一部事務組合") || m.name.ends_with("企業団");
            assert!(union || ["市", "町", "村"].iter().any(|s| m.name.ends_with(s)), "{}", m.name);
            let kind = if union { OrgKind::Union } else { OrgKind::Municipality };
            assert_eq!(m.kind, kind, "{}", m.name);
        }
        assert_eq!(first.uploads.len(), demo::MEMBERS);
        assert!(first.uploads.iter().all(|(_, u)| u.created && u.job_created));
        assert_eq!(first.sign_ins.len(), 3);
        assert!(first.sign_ins.iter().all(|s| s.password.expose_secret().len() >= 16));
        assert!(!format!("{first:?}").contains(first.sign_ins[0].password.expose_secret()));

        let pool = workers(store).await;
        let jobs: Vec<JobId> = first.uploads.iter().map(|(_, u)| u.job).collect();
        let rows = wait_finished(store, &jobs, Duration::from_secs(300)).await;
        pool.shutdown(Duration::from_secs(5)).await;
        assert!(rows.iter().all(|r| r.state == JobState::Done), "{rows:?}");

        let second = demo::ensure(store, &hasher, EDITION).await.expect("demo again");
        assert!(!second.created);
        assert!(second.sign_ins.is_empty());
        assert_eq!(second.prefecture, first.prefecture);
        assert_eq!(second.members.len(), demo::MEMBERS);
        assert!(second.uploads.iter().all(|(_, u)| !u.created && !u.job_created));
        assert_eq!(demo_jobs(store, &second).await.len(), demo::MEMBERS);

        // The prefecture's admin sees every member's analysed policy in the matrix.
        let admin = users::id_by_email(store, demo::ADMIN_EMAIL).await.expect("lookup").expect("admin");
        let scope = scope_for(&Principal::User { user: admin, acting_org: Some(first.prefecture) }, store)
            .await
            .expect("scope");
        let query = MatrixQuery { prefecture: Some(first.prefecture), ..MatrixQuery::default() };
        let m = crate::services(store).matrix().get(&scope, &query, EDITION).await.expect("matrix");
        assert_eq!(m.rows.len(), demo::MEMBERS);
        assert!(m.rows.iter().all(|r| r.analysis.is_some()));
        // Generated edits leave most items covered and some not: real results.
        let statuses: std::collections::BTreeSet<char> =
            m.rows.iter().flat_map(|r| r.statuses.chars()).collect();
        assert!(statuses.contains(&'C'));
    }
}
