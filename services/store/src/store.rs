//! Connections, migrations and scoped transactions.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use taisho_migration::{Migrator, MigratorTrait};

use crate::error::{Result, StoreError};
use crate::read_cache::ReadCache;
use crate::tenancy::{Actor, TenantScope};

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    pub(crate) fn db(self) -> DbBackend {
        match self {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }
}

/// Connection options beyond the URL.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// SQLite: how long a writer waits for the write lock before failing with "database is locked".
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(30),
            busy_timeout: Duration::from_secs(10),
        }
    }
}

/// How a transaction starts. On SQLite a transaction that will write must take the write lock at
/// `BEGIN` (`BEGIN IMMEDIATE`): upgrading a read transaction to a write one fails at once with
/// `SQLITE_BUSY` when another writer is active, whatever the busy timeout. On PostgreSQL a read
/// transaction is `READ ONLY`: a write in it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
}

/// The connection pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    app_filter: bool,
    pub(crate) reads: Arc<ReadCache>,
}

impl Store {
    /// Connects without migrating. For the production `serve`, follow with
    /// [`Store::ensure_migrated`].
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, &StoreOptions::default()).await
    }

    pub async fn connect_with(url: &str, options: &StoreOptions) -> Result<Store> {
        let backend = Backend::from_url(url)?;
        let db = Database::connect(connect_options(url, options)).await?;
        Ok(Store {
            db,
            backend,
            app_filter: true,
            reads: Arc::default(),
        })
    }

    /// The embedded mode: `<data_dir>/taisho.sqlite`, created and migrated on first start.
    pub async fn open_embedded(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Invalid(format!("data directory: {e}")))?;
        let url = sqlite_url(&data_dir.join("taisho.sqlite"));
        let store = Store::connect(&url).await?;
        Migrator::up(&store.db, None).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn app_filter_on(&self) -> bool {
        self.app_filter
    }

    /// Names of migrations the database has not applied yet.
    pub async fn pending_migrations(&self) -> Result<Vec<String>> {
        pending_on(&self.db).await
    }

    /// Fails with [`StoreError::PendingMigrations`] naming the missing ones: production `serve`
    /// refuses to start on an unmigrated schema.
    pub async fn ensure_migrated(&self) -> Result<()> {
        let pending = self.pending_migrations().await?;
        if pending.is_empty() {
            Ok(())
        } else {
            Err(StoreError::PendingMigrations(pending))
        }
    }

    /// Opens a transaction for `scope`. On PostgreSQL its first statement sets the row-level
    /// security settings, transaction-locally, so they vanish at commit, rollback or a dropped
    /// connection and can never leak into the next transaction on the same connection.
    ///
    /// Traced as the span `store.tx` from here to commit, rollback or drop, with the scope's kind,
    /// the acting organisation and the mode (never SQL).
    pub async fn begin(&self, scope: &TenantScope, mode: Mode) -> Result<Tx> {
        // System transactions outside any span (the pool's claims, the queue sampling) are
        // debug-level: they would otherwise make a root trace per poll.
        macro_rules! tx_span {
            ($level:expr) => {
                tracing::span!(
                    $level,
                    "store.tx",
                    scope = scope_kind(scope),
                    org = tracing::field::Empty,
                    mode = match mode {
                        Mode::Read => "read",
                        Mode::Write => "write",
                    },
                    outcome = tracing::field::Empty,
                )
            };
        }
        let span = if scope.system && tracing::Span::current().is_none() {
            tx_span!(tracing::Level::DEBUG)
        } else {
            tx_span!(tracing::Level::INFO)
        };
        if let Some(org) = scope.acting_org {
            span.record("org", tracing::field::display(org));
        }
        let options = TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: match (self.backend, mode) {
                (Backend::Sqlite, Mode::Write) => Some(SqliteTransactionMode::Immediate),
                _ => None,
            },
        };
        let txn = self.db.begin_with_options(options).await?;
        if self.backend == Backend::Postgres {
            txn.execute_raw(settings_statement(scope, mode)).await?;
        }
        Ok(Tx {
            txn,
            scope: scope.clone(),
            backend: self.backend,
            app_filter: self.app_filter,
            mode,
            reads: Arc::clone(&self.reads),
            reads_changed: AtomicBool::new(false),
            span,
        })
    }

    /// Runs `f` in a transaction for `scope`; commits on `Ok`, rolls back on `Err` (and on panic or
    /// cancellation, when the transaction is dropped).
    pub async fn tx<T, E, F>(&self, scope: &TenantScope, mode: Mode, f: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&Tx) -> Result<T, E>,
        E: From<StoreError>,
    {
        let tx = self.begin(scope, mode).await?;
        let value = f(&tx).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// A transaction in the system scope: row-level security lets it see every tenant's rows, tenant
    /// functions refuse it. Only for the worker's claim/heartbeat/complete path and provisioning
    /// (creating organisations, users, memberships).
    pub async fn begin_system(&self, mode: Mode) -> Result<Tx> {
        self.begin(&TenantScope::system(), mode).await
    }

    /// Read-only look-ups that resolve a principal into a scope.
    pub(crate) async fn begin_auth(&self) -> Result<Tx> {
        self.begin(&TenantScope::auth(), Mode::Read).await
    }

    /// Test-only: turn the application filter off so only row-level security stands between a
    /// scope and foreign rows. Every scope check in the store goes through [`Tx::app_allows`].
    #[cfg(feature = "test-switches")]
    #[doc(hidden)]
    pub fn without_app_filter(mut self) -> Store {
        self.app_filter = false;
        self
    }

    /// One round trip to the database (`SELECT 1`): whether it answers, for readiness probes.
    pub async fn ping(&self) -> Result<()> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// The raw pool, for the test databases (`taisho-testkit`) and the worker's queue (which keeps its own SQL on the
    /// `jobs` table). Tenant tables must be reached through a [`Tx`].
    #[doc(hidden)]
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn close(self) -> Result<()> {
        self.db.close().await?;
        Ok(())
    }
}

/// What kind of principal a scope belongs to, for the `store.tx` span.
fn scope_kind(scope: &TenantScope) -> &'static str {
    if scope.system {
        return "system";
    }
    if scope.auth {
        return "auth";
    }
    match scope.actor {
        Actor::User(_) => "user",
        Actor::ApiKey(_) => "api_key",
        Actor::Worker => "worker",
        Actor::System => "system",
        Actor::Anonymous => "anonymous",
    }
}

/// A transaction bound to one scope.
#[derive(Debug)]
pub struct Tx {
    txn: DatabaseTransaction,
    scope: TenantScope,
    backend: Backend,
    app_filter: bool,
    mode: Mode,
    reads: Arc<ReadCache>,
    /// Set by writes that change what cached matrix reads saw; bumps the cache at commit.
    reads_changed: AtomicBool,
    /// `store.tx`, closed when the transaction ends.
    span: tracing::Span,
}

impl Tx {
    pub fn scope(&self) -> &TenantScope {
        &self.scope
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The underlying connection, for SQL on non-tenant tables in the same transaction (e.g. the
    /// worker enqueuing a job together with the upload that needs it).
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub async fn commit(self) -> Result<()> {
        let span = self.span.clone();
        let changed = self.reads_changed.load(Ordering::Acquire);
        let reads = Arc::clone(&self.reads);
        let result = self.txn.commit().await;
        span.record("outcome", if result.is_ok() { "commit" } else { "error" });
        result?;
        if changed {
            reads.bump();
        }
        Ok(())
    }

    /// This transaction changes what the matrix reads; cached reads end when it commits.
    pub(crate) fn changes_matrix_reads(&self) {
        self.reads_changed.store(true, Ordering::Release);
    }

    pub async fn rollback(self) -> Result<()> {
        let span = self.span.clone();
        if self.backend == Backend::Postgres && self.mode == Mode::Read {
            // A read-only transaction has nothing to undo: dropping it queues the ROLLBACK on the
            // connection, which the pool flushes with its release check instead of a round trip
            // of its own on the request's path.
            drop(self.txn);
            span.record("outcome", "rollback");
            return Ok(());
        }
        let result = self.txn.rollback().await;
        span.record("outcome", if result.is_ok() { "rollback" } else { "error" });
        result?;
        Ok(())
    }

    /// The `store.tx` span of this transaction (to parent work done inside it).
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// The application filter: `allowed` is the scope's verdict. With the filter switched off (tests
    /// only) every check passes and row-level security alone must hide foreign rows.
    pub(crate) fn app_allows(&self, allowed: bool) -> bool {
        allowed || !self.app_filter
    }

    pub(crate) fn filtered(&self) -> bool {
        self.app_filter
    }
}

/// `SELECT set_config(...)` with `is_local = true`: the scope's settings for row-level security, and for [`Mode::Read`] `transaction_read_only`
/// (a read transaction that tries to write fails), in one statement: it runs at the start of
/// every transaction.
fn settings_statement(scope: &TenantScope, mode: Mode) -> Statement {
    fn list(set: &std::collections::BTreeSet<taisho_domain::OrgId>) -> String {
        let mut s = String::new();
        for (i, org) in set.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{org}");
        }
        s
    }
    let actor = match scope.actor {
        Actor::User(u) => u.to_string(),
        _ => String::new(),
    };
    let flag = |on: bool| if on { "on" } else { "off" }.to_owned();
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('taisho.read', $1, true), set_config('taisho.write', $2, true), \
         set_config('taisho.admin', $3, true), set_config('taisho.text', $4, true), \
         set_config('taisho.text_published', $5, true), set_config('taisho.actor', $6, true), \
         set_config('taisho.system', $7, true), set_config('taisho.auth', $8, true), \
         set_config('transaction_read_only', $9, true)",
        [
            list(&scope.read).into(),
            list(&scope.write).into(),
            list(&scope.admin).into(),
            list(&scope.text).into(),
            list(&scope.text_published).into(),
            actor.into(),
            flag(scope.system).into(),
            flag(scope.auth).into(),
            flag(mode == Mode::Read).into(),
        ],
    )
}

fn connect_options(url: &str, options: &StoreOptions) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(options.max_connections)
        .min_connections(0)
        .acquire_timeout(options.acquire_timeout)
        .sqlx_logging(false);
    let busy = options.busy_timeout;
    opts.map_sqlx_sqlite_opts(move |o| {
        o.create_if_missing(true)
            .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy)
    });
    opts
}

/// The URL of the SQLite database file at `path`, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

async fn pending_on(db: &DatabaseConnection) -> Result<Vec<String>> {
    // The read-only variant never creates the migrations table, which the runtime role may not do.
    Ok(Migrator::get_pending_migrations_read_only(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// Applies every pending migration using `url` (an owner or admin connection, not the runtime
/// role). The `taisho migrate` command.
pub async fn migrate(url: &str) -> Result<()> {
    let store = Store::connect_with(
        url,
        &StoreOptions {
            max_connections: 1,
            ..Default::default()
        },
    )
    .await?;
    Migrator::up(&store.db, None).await?;
    store.close().await
}

/// Names of the migrations `url`'s database has not applied.
pub async fn pending_migrations(url: &str) -> Result<Vec<String>> {
    let store = Store::connect_with(
        url,
        &StoreOptions {
            max_connections: 1,
            ..Default::default()
        },
    )
    .await?;
    let pending = store.pending_migrations().await;
    store.close().await?;
    pending
}
