//! Helpers of the upload → job → analysis tests.

use std::time::{Duration, Instant};

use taisho_app::runtime::{WorkerConfig, Workers};
use taisho_domain::{JobId, OrgId, UserId};
use taisho_engine::Limits;
use taisho_guideline::EditionId;
use taisho_store::{OrgKind, Role, Store};
use taisho_testkit::Tenants;
pub use taisho_testkit::{engine, seed, testdata, user_scope, worker_scope};
use taisho_worker::{JobRow, JobState, PoolConfig, Queue};

pub const EDITION: EditionId = EditionId::DEFAULT;

/// A prefecture with one member body; an editor of the member and a coordinator (viewer) of the
/// prefecture.
#[derive(Debug, Clone, Copy)]
pub struct Bodies {
    pub prefecture: OrgId,
    pub member: OrgId,
    pub editor: UserId,
    pub viewer: UserId,
    pub coordinator: UserId,
}

pub async fn bodies(store: &Store) -> Bodies {
    let tenants = Tenants::begin(store).await;
    let t = tenants.tag().to_owned();
    let prefecture = tenants
        .organisation(OrgKind::Prefecture, &format!("県{t}"), None)
        .await;
    let member = tenants
        .organisation(OrgKind::Municipality, &format!("市{t}"), Some(prefecture))
        .await;
    let user =
        async |who: &str, org: OrgId, role: Role| tenants.member(org, role, who, who).await.id;
    let editor = user("editor", member, Role::Editor).await;
    let viewer = user("viewer", member, Role::Viewer).await;
    let coordinator = user("coordinator", prefecture, Role::Viewer).await;
    tenants.commit().await;
    Bodies {
        prefecture,
        member,
        editor,
        viewer,
        coordinator,
    }
}

/// The jobs of `org` (system view).
pub async fn jobs_of(store: &Store, org: OrgId) -> Vec<JobRow> {
    Queue::new(store.clone())
        .all_jobs()
        .await
        .expect("jobs")
        .into_iter()
        .filter(|j| j.org_id == org)
        .collect()
}

/// A pool of two threads with a short poll, so tests do not wait on idle sleeps.
pub async fn workers(store: &Store) -> Workers {
    let engine = tokio::task::spawn_blocking(engine).await.expect("join");
    Workers::start(
        store.clone(),
        engine,
        WorkerConfig {
            pool: PoolConfig {
                threads: 2,
                per_tenant_cap: None,
                poll_interval: Duration::from_millis(50),
                ..PoolConfig::default()
            },
            // Unoptimised test builds are slower than the service.
            limits: Limits {
                deadline: Duration::from_secs(120),
                ..Limits::default()
            },
            warm: vec![EDITION],
        },
    )
    .await
    .expect("workers")
}

/// Waits until every job in `ids` is done or dead; panics after `timeout`.
pub async fn wait_finished(store: &Store, ids: &[JobId], timeout: Duration) -> Vec<JobRow> {
    let queue = Queue::new(store.clone());
    let started = Instant::now();
    loop {
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            rows.push(queue.job(*id).await.expect("job").expect("job exists"));
        }
        if rows
            .iter()
            .all(|j| matches!(j.state, JobState::Done | JobState::Dead))
        {
            return rows;
        }
        assert!(
            started.elapsed() < timeout,
            "jobs not finished after {timeout:?}: {:?}",
            rows.iter()
                .map(|j| (j.state, &j.last_error))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
