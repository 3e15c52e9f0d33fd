//! Finding (or building) the `taisho` binary and running it as a child process on a fresh store.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, mpsc};
use std::time::{Duration, Instant, SystemTime};

use crate::client::Client;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One scenario at a time: each starts a server with its own worker pool on a 2-core machine.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs one async scenario on `backend` (used by `e2e_test!`).
pub fn run<F, Fut>(backend: Backend, scenario: F)
where
    F: FnOnce(Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    let _one_at_a_time = serial();
    taisho_bin();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(scenario(backend));
}

// ---------------------------------------------------------------------------------------------
// The binary

/// `target/<profile>/taisho`, built once per test run when missing or older than the sources.
pub fn taisho_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // An explicit binary (e.g. a release build, or a snapshot while the sources are in flux).
        if let Some(bin) = std::env::var_os("TAISHO_E2E_BIN") {
            let bin = PathBuf::from(bin);
            assert!(
                bin.exists(),
                "TAISHO_E2E_BIN={} does not exist",
                bin.display()
            );
            return bin;
        }
        let exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/e2e-<hash>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test executable under target/<profile>/deps")
            .to_path_buf();
        let bin = profile_dir.join("taisho");
        let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
        let newest = newest_source(&repo_root());
        if built.is_none_or(|b| b < newest) {
            build(&profile_dir);
        }
        assert!(bin.exists(), "{} missing after the build", bin.display());
        bin
    })
}

fn newest_source(root: &Path) -> SystemTime {
    fn walk(dir: &Path, newest: &mut SystemTime) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.filter_map(Result::ok) {
            let path = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "target" || name == "snapshots" {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                walk(&path, newest);
            } else if let Ok(m) = meta.modified()
                && m > *newest
            {
                *newest = m;
            }
        }
    }
    let mut newest = SystemTime::UNIX_EPOCH;
    for top in ["services", "graphql", "web"] {
        walk(&root.join(top), &mut newest);
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        if let Ok(m) = std::fs::metadata(root.join(file)).and_then(|m| m.modified())
            && m > newest
        {
            newest = m;
        }
    }
    newest
}

fn build(profile_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(repo_root())
        .args(["build", "-p", "taisho-server", "--bin", "taisho"]);
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
    }
    eprintln!("e2e: building the taisho binary: {cmd:?}");
    let status = cmd.status().expect("running cargo build");
    assert!(status.success(), "cargo build of the taisho binary failed");
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL databases

fn pg_server() -> String {
    std::env::var("TAISHO_E2E_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn pg_host() -> String {
    let s = pg_server();
    let rest = s.split_once("://").map_or(s.as_str(), |(_, r)| r);
    rest.rsplit_once('@')
        .map_or(rest, |(_, h)| h)
        .trim_end_matches('/')
        .to_owned()
}

fn psql(sql: &str) -> String {
    let out = Command::new("psql")
        .arg(format!("{}/postgres", pg_server()))
        .args(["-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        .output()
        .expect("psql runs (PostgreSQL client installed)");
    assert!(
        out.status.success(),
        "psql {sql}: {} (start PostgreSQL with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`)",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A database `taisho_e2e_<pid>_<n>`, dropped on drop (and by later runs if this process died).
pub struct PgDb {
    pub name: String,
}

impl PgDb {
    pub fn create() -> PgDb {
        static ONCE: OnceLock<()> = OnceLock::new();
        ONCE.get_or_init(drop_stale_databases);
        let name = format!(
            "taisho_e2e_{}_{}",
            std::process::id(),
            fastrand::u32(..1_000_000_000)
        );
        psql(&format!("CREATE DATABASE {name}"));
        PgDb { name }
    }

    /// URL as the owner role (migrations): the admin user here.
    pub fn owner_url(&self) -> String {
        format!("{}/{}", pg_server(), self.name)
    }

    /// URL as the runtime role (no BYPASSRLS), as production serves.
    pub fn app_url(&self) -> String {
        self.app_url_at(&pg_host())
    }

    /// URL as the runtime role through `host` (`HOST:PORT`), e.g. a test's TCP proxy.
    pub fn app_url_at(&self, host: &str) -> String {
        format!("postgres://taisho_app@{host}/{}", self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(format!("{}/postgres", pg_server()))
            .args([
                "-At",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

fn drop_stale_databases() {
    let list = psql("SELECT datname FROM pg_database WHERE datname LIKE 'taisho\\_e2e\\_%'");
    for name in list.lines() {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
            let _ = Command::new("psql")
                .arg(format!("{}/postgres", pg_server()))
                .args([
                    "-At",
                    "-c",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .output();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server process

#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub production: bool,
    pub demo_members: usize,
    /// Contents of a TOML config file passed with `--config`.
    pub config_toml: Option<String>,
    pub env: Vec<(String, String)>,
    /// PostgreSQL: the server reaches the database at this `HOST:PORT` (a test's proxy) instead of
    /// the test server's own address. Migrations still go direct.
    pub database_host: Option<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            production: false,
            demo_members: 4,
            config_toml: Some(RAISED_RATE_LIMITS.to_owned()),
            env: Vec::new(),
            database_host: None,
        }
    }
}

/// The scenarios send requests back to back from one IP and one key.
pub const RAISED_RATE_LIMITS: &str = "[rate_limits]
per_ip = { rate = 5000, burst = 10000 }
per_key = { rate = 5000, burst = 10000 }
per_org = { rate = 5000, burst = 10000 }
";

/// A demo sign-in printed on first start.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub role: String,
    pub email: String,
    pub password: String,
}

pub struct Server {
    pub backend: Backend,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub sign_ins: Vec<SignIn>,
    child: Child,
    store_args: Vec<String>,
    store_env: Vec<(String, String)>,
    stderr: Arc<Mutex<Vec<String>>>,
    // Dropped after the child is killed (field order).
    _pg: Option<PgDb>,
    dir: tempfile::TempDir,
}

/// 64 hex characters: a valid `TAISHO_KEY_SECRET`.
fn random_secret() -> String {
    (0..64)
        .map(|_| char::from_digit(fastrand::u32(..16), 16).unwrap_or('0'))
        .collect()
}

const CLEARED_ENV: &[&str] = &[
    "TAISHO_DATABASE_URL",
    "TAISHO_DATA_DIR",
    "TAISHO_WORKER_THREADS",
    "TAISHO_KEY_SECRET",
    "TAISHO_EDITION",
    "TAISHO_LISTEN",
    "TAISHO_CONFIG",
    "TAISHO_ENV",
    "TAISHO_DEMO_MEMBERS",
    "TAISHO_DEMO",
    "TAISHO_SHUTDOWN_GRACE",
    "TAISHO_BODY_LIMIT",
    "TAISHO_UPLOAD_LIMIT",
    "TAISHO_RATE_LIMIT_IP",
    "TAISHO_RATE_LIMIT_KEY",
    "TAISHO_RATE_LIMIT_ORG",
    "TAISHO_GRAPHQL_MAX_DEPTH",
    "TAISHO_GRAPHQL_MAX_COMPLEXITY",
    "TAISHO_GRAPHQL_MAX_ALIASES",
    "TAISHO_GRAPHQL_MAX_PAGE_SIZE",
    "TAISHO_TRUSTED_PROXIES",
    "TAISHO_GRAPHQL_MAX_QUERY_BYTES",
    "TAISHO_GRAPHQL_MAX_TOKENS",
    "TAISHO_GRAPHQL_MAX_RESPONSE_BYTES",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_TRACES_EXPORTER",
];

impl Server {
    pub async fn start(backend: Backend) -> Server {
        Server::start_with(backend, ServerOptions::default()).await
    }

    pub async fn start_with(backend: Backend, options: ServerOptions) -> Server {
        let bin = taisho_bin().to_path_buf();
        tokio::task::spawn_blocking(move || Server::spawn(&bin, backend, options))
            .await
            .expect("server start")
    }

    fn spawn(bin: &Path, backend: Backend, options: ServerOptions) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        let mut store_args = vec![
            "--data-dir".to_owned(),
            data_dir.to_string_lossy().into_owned(),
        ];
        let mut store_env = Vec::new();
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let db = PgDb::create();
                let out = Command::new(bin)
                    .current_dir(dir.path())
                    .env_clear_taisho()
                    .args(["migrate", "--database-url", &db.owner_url()])
                    .output()
                    .expect("taisho migrate runs");
                assert!(
                    out.status.success(),
                    "taisho migrate: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let url = match &options.database_host {
                    Some(host) => db.app_url_at(host),
                    None => db.app_url(),
                };
                store_args.extend(["--database-url".to_owned(), url]);
                store_env.push(("TAISHO_KEY_SECRET".to_owned(), random_secret()));
                Some(db)
            }
        };
        let mut cmd = Command::new(bin);
        cmd.current_dir(dir.path())
            .env_clear_taisho()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--demo",
                "--threads",
                "2",
            ])
            .args(&store_args)
            .envs(store_env.iter().map(|(k, v)| (k, v)))
            .env("TAISHO_DEMO_MEMBERS", options.demo_members.to_string())
            .env(
                "TAISHO_ENV",
                if options.production {
                    "production"
                } else {
                    "development"
                },
            )
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(toml) = &options.config_toml {
            let path = dir.path().join("taisho.toml");
            std::fs::write(&path, toml).expect("config file written");
            cmd.arg("--config").arg(path);
        }
        let mut child = cmd.spawn().expect("taisho serve starts");

        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let stdout_lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let (tx, rx) = mpsc::channel::<String>();
        {
            let pipe = child.stderr.take().expect("stderr piped");
            let lines = stderr_lines.clone();
            let echo = std::env::var_os("TAISHO_E2E_LOG").is_some();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if echo {
                        eprintln!("[taisho] {line}");
                    }
                    if let Some(url) = line
                        .split("taisho: listening on ")
                        .nth(1)
                        .map(|u| u.trim().trim_end_matches('/').to_owned())
                    {
                        let _ = tx.send(url);
                    }
                    lines
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(line);
                }
            });
        }
        {
            let pipe = child.stdout.take().expect("stdout piped");
            let lines = stdout_lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    lines
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(300);
        let base = loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(200)) {
                break url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "taisho serve exited with {status} before listening:\n{}",
                    stderr_lines
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .join("\n")
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("taisho serve did not print its listening line in 300 s");
            }
        };
        // The demo sign-ins (first start): printed while seeding, before or after the bind.
        let deadline = Instant::now() + Duration::from_secs(120);
        let sign_ins = loop {
            let found = parse_sign_ins(
                &stdout_lines
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            if found.len() >= 2 || Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        Server {
            backend,
            base,
            sign_ins,
            child,
            store_args,
            store_env,
            stderr: stderr_lines,
            _pg: pg,
            dir,
        }
    }

    pub fn sign_in_for(&self, role_word: &str) -> &SignIn {
        self.sign_ins
            .iter()
            .find(|s| s.role.contains(role_word))
            .unwrap_or_else(|| panic!("no demo sign-in for {role_word}: {:?}", self.sign_ins))
    }

    /// `taisho keys create --org ORG --role ROLE` against the same store; the printed key.
    pub fn create_key(&self, org: &str, role: &str) -> String {
        let out = Command::new(taisho_bin())
            .current_dir(self.dir.path())
            .env_clear_taisho()
            .envs(self.store_env.iter().map(|(k, v)| (k, v)))
            .args([
                "keys", "create", "--org", org, "--name", "e2e", "--role", role,
            ])
            .args(&self.store_args)
            .output()
            .expect("taisho keys create runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "taisho keys create --org {org}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key = stdout.lines().last().unwrap_or("").trim().to_owned();
        assert!(key.starts_with("tsk_"), "unexpected key output {stdout:?}");
        key
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// The server process' resident memory (`VmRSS` of `/proc/<pid>/status`), in bytes.
    pub fn resident_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status of the server");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .expect("VmRSS in /proc/<pid>/status")
    }

    pub fn stderr_tail(&self, n: usize) -> String {
        let lines = self
            .stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- taisho serve ({:?}) stderr, last lines ---\n{}",
                self.backend,
                self.stderr_tail(60)
            );
        }
    }
}

trait ClearTaishoEnv {
    fn env_clear_taisho(&mut self) -> &mut Self;
}

impl ClearTaishoEnv for Command {
    fn env_clear_taisho(&mut self) -> &mut Self {
        for k in CLEARED_ENV {
            self.env_remove(k);
        }
        self
    }
}

/// `  <role words…> <email>  password: <pw>` lines.
pub fn parse_sign_ins(lines: &[String]) -> Vec<SignIn> {
    lines
        .iter()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "password:")?;
            let email = words.get(at.checked_sub(1)?)?;
            let password = words.get(at + 1)?;
            email.contains('@').then(|| SignIn {
                role: words[..at - 1].join(" "),
                email: (*email).to_owned(),
                password: (*password).to_owned(),
            })
        })
        .collect()
}
