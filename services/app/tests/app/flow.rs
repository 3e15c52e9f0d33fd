//! Helpers of the upload → job → analysis tests.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use taisho_app::engine::Engine;
use taisho_app::runtime::{WorkerConfig, Workers};
use taisho_domain::{JobId, OrgId, UserId};
use taisho_engine::Limits;
use taisho_guideline::EditionId;
use taisho_store::{Mode, OrgKind, Principal, Role, Store, TenantScope, provision, scope_for};
use taisho_worker::{JobRow, JobState, PoolConfig, Queue};

pub const EDITION: EditionId = EditionId::DEFAULT;

pub fn shared_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        dir.join("seeds").is_dir(),
        "the shared data is missing: expected {} beside the checkout",
        dir.display()
    );
    dir
}

/// The bytes of the seed whose file name starts with `prefix` (e.g. `"004"`).
pub fn seed(prefix: &str) -> (String, Vec<u8>) {
    let dir = shared_dir().join("seeds");
    let entry = std::fs::read_dir(&dir)
        .expect("seeds directory")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no seed {prefix}"));
    let name = entry.file_name().to_string_lossy().into_owned();
    (name, std::fs::read(entry.path()).expect("seed bytes"))
}

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
    let t = crate::tag();
    let tx = store.begin_system(Mode::Write).await.expect("system tx");
    let prefecture =
        provision::create_organisation(&tx, OrgKind::Prefecture, &format!("県{t}"), None)
            .await
            .expect("prefecture");
    let member = provision::create_organisation(
        &tx,
        OrgKind::Municipality,
        &format!("市{t}"),
        Some(prefecture),
    )
    .await
    .expect("member");
    let user = async |who: &str, org: OrgId, role: Role| {
        let u = provision::create_user(&tx, &format!("{who}-{t}@example.jp"), who, None)
            .await
            .expect("user");
        provision::add_membership(&tx, u, org, role)
            .await
            .expect("membership");
        u
    };
    let editor = user("editor", member, Role::Editor).await;
    let viewer = user("viewer", member, Role::Viewer).await;
    let coordinator = user("coordinator", prefecture, Role::Viewer).await;
    tx.commit().await.expect("commit");
    Bodies {
        prefecture,
        member,
        editor,
        viewer,
        coordinator,
    }
}

pub async fn user_scope(store: &Store, user: UserId, org: OrgId) -> TenantScope {
    crate::scope(store, user, org).await
}

pub async fn worker_scope(store: &Store, org: OrgId) -> TenantScope {
    scope_for(&Principal::Worker { org }, store)
        .await
        .expect("scope")
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

/// The process-wide engine over the IPADIC tokenizer (the binary builds its own the same way).
pub fn engine() -> std::sync::Arc<Engine> {
    static ENGINE: std::sync::OnceLock<std::sync::Arc<Engine>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let tokenizer =
                taisho_japanese::JapaneseTokenizer::shared().expect("the IPADIC dictionary builds");
            std::sync::Arc::new(Engine::new(tokenizer))
        })
        .clone()
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
