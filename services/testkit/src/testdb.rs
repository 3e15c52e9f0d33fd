//! Fresh, migrated databases on both backends.
//!
//! - SQLite: a new file per [`TestDb`], removed when it drops.
//! - PostgreSQL: one fresh database per test binary run (`taisho_t_<pid>_<time>`), created and
//!   migrated as the admin user of `TAISHO_TEST_PG_URL` (default
//!   `postgres://postgres@127.0.0.1:5432/test`); every [`TestDb`] connects its own pool to it as the
//!   runtime role `taisho_app`. Tests make their own tenants (fresh ids), so they share it safely.
//!   Databases of earlier runs whose process is gone are dropped at the start of a run (Rust tests
//!   have no global teardown).
//!
//! Use [`crate::backend_test!`] to run one test body on both backends.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use taisho_migration::{Migrator, MigratorTrait};
use taisho_store::sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use taisho_store::{Backend, Store, StoreOptions, sqlite_url};

/// A migrated database for one test.
#[derive(Debug)]
pub struct TestDb {
    pub store: Store,
    /// The URL the store connected with (the runtime role on PostgreSQL).
    pub url: String,
    sqlite_file: Option<PathBuf>,
}

impl TestDb {
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// The URL of this database for its owner, who may do what the runtime role may not (create
    /// tables, move times, update audit rows). On SQLite there is no role: the store's own URL.
    pub fn owner_url(&self) -> String {
        match self.backend() {
            Backend::Sqlite => self.url.clone(),
            Backend::Postgres => {
                let name = self.url.rsplit('/').next().unwrap_or_default();
                pg_url_as(&pg_admin_url(), admin_user(), name)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

pub async fn sqlite() -> TestDb {
    fresh_with(Backend::Sqlite, &StoreOptions::default()).await
}

pub async fn postgres() -> TestDb {
    fresh_with(Backend::Postgres, &StoreOptions::default()).await
}

pub async fn fresh(backend: Backend) -> TestDb {
    fresh_with(backend, &StoreOptions::default()).await
}

/// A fresh database for `backend` with explicit pool options. Panics with a clear message when the
/// database cannot be reached: this is test setup, not input handling.
pub async fn fresh_with(backend: Backend, options: &StoreOptions) -> TestDb {
    match backend {
        Backend::Sqlite => {
            static N: AtomicU64 = AtomicU64::new(0);
            let path = std::env::temp_dir().join(format!(
                "taisho_t_{}_{}.sqlite",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let url = sqlite_url(&path);
            let store = Store::connect_with(&url, options)
                .await
                .unwrap_or_else(|e| panic!("test SQLite database {}: {e}", path.display()));
            Migrator::up(store.connection(), None)
                .await
                .unwrap_or_else(|e| panic!("migrating test SQLite database: {e}"));
            TestDb {
                store,
                url,
                sqlite_file: Some(path),
            }
        }
        Backend::Postgres => {
            let url = match pg_database() {
                Ok(url) => url.clone(),
                Err(e) => panic!("{e}"),
            };
            let store = Store::connect_with(&url, options)
                .await
                .unwrap_or_else(|e| {
                    panic!("connecting to the test PostgreSQL database as taisho_app: {e}")
                });
            TestDb {
                store,
                url,
                sqlite_file: None,
            }
        }
    }
}

/// The admin URL of the PostgreSQL server used by tests.
pub fn pg_admin_url() -> String {
    std::env::var("TAISHO_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// `url` with its user and database replaced (no password: tests use trust authentication).
pub fn pg_url_as(url: &str, user: &str, database: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = host_and_path
        .split(['/', '?'])
        .next()
        .unwrap_or("127.0.0.1:5432");
    format!("postgres://{user}@{host}/{database}")
}

/// Creates an empty (unmigrated) PostgreSQL database and returns its name; dropped with the others
/// of this process at the start of a later run.
pub async fn pg_create_database() -> Result<String, String> {
    static N: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "taisho_t_{}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let admin_url = pg_admin_url();
    let admin = Database::connect(admin_url.as_str()).await.map_err(|e| {
        format!(
            "PostgreSQL test server unreachable at {admin_url} ({e}); start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set TAISHO_TEST_PG_URL"
        )
    })?;
    drop_stale_databases(&admin).await;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
    let _ = admin.close().await;
    Ok(name)
}

/// A new PostgreSQL database of its own, migrated by its owner: the URL of the runtime role on it
/// (what `taisho serve --database-url` takes in production).
pub async fn pg_migrated_database() -> Result<String, String> {
    let name = pg_create_database().await?;
    let owner_url = pg_url_as(&pg_admin_url(), admin_user(), &name);
    taisho_store::migrate(&owner_url)
        .await
        .map_err(|e| format!("migrating {name}: {e}"))?;
    Ok(pg_url_as(&pg_admin_url(), taisho_migration::pg::APP, &name))
}

fn pg_database() -> &'static Result<String, String> {
    static DB: OnceLock<Result<String, String>> = OnceLock::new();
    DB.get_or_init(|| {
        // Its own thread and runtime: the caller's runtime belongs to one test and a pool must not
        // outlive the runtime it was made on.
        std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(pg_migrated_database())
        })
        .join()
        .unwrap_or_else(|_| Err("PostgreSQL setup thread panicked".to_owned()))
    })
}

/// The user of [`pg_admin_url`], who owns the databases the tests create.
fn admin_user() -> &'static str {
    static USER: OnceLock<String> = OnceLock::new();
    USER.get_or_init(|| {
        let url = pg_admin_url();
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        rest.rsplit_once('@').map_or_else(
            || "postgres".to_owned(),
            |(user, _)| user.split(':').next().unwrap_or("postgres").to_owned(),
        )
    })
}

/// Best effort: drops `taisho_t_<pid>_…` databases whose process no longer runs.
async fn drop_stale_databases(admin: &taisho_store::sea_orm::DatabaseConnection) {
    let Ok(rows) = admin
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT datname FROM pg_database WHERE datname LIKE 'taisho\\_t\\_%'",
        ))
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// Runs one async test body on SQLite and on PostgreSQL: expands to a module `name` with the tests
/// `name::sqlite` and `name::postgres`. The calling crate needs `tokio` (with `macros`) among its
/// dev-dependencies.
///
/// ```ignore
/// taisho_testkit::backend_test! {
///     async fn creates_documents(db) {
///         let store = &db.store;
///         // ...
///     }
/// }
/// ```
#[macro_export]
macro_rules! backend_test {
    ($(#[$meta:meta])* async fn $name:ident($db:ident) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports, reason = "the macro cannot know whether the test module uses its parent's items")]
            use super::*;

            async fn body($db: $crate::testdb::TestDb) $(-> $ret)? $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() $(-> $ret)? {
                body($crate::testdb::sqlite().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() $(-> $ret)? {
                body($crate::testdb::postgres().await).await
            }
        }
    };
}
