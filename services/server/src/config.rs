//! Typed configuration of the service commands. Each setting comes from, in rising priority: its
//! default, the TOML file (`--config FILE` or `TAISHO_CONFIG`), an environment variable, a flag.
//!
//! A bad value is an error naming where it came from (the file and key, the variable, or the flag);
//! an unknown key in the file is an error naming the key. Secrets (the API key server secret, a
//! database URL's password) never appear in `Debug` output.
//!
//! ```toml
//! # taisho.toml: every key is optional
//! database_url = "postgres://taisho_app@db/taisho"   # absent: embedded SQLite in data_dir
//! data_dir = ".data"
//! edition = "R5.3"
//! worker_threads = 2
//! key_secret = "…at least 32 bytes…"
//! listen = "127.0.0.1:8080"
//! env = "production"              # production | development
//! demo = false
//! demo_members = 12
//! shutdown_grace_seconds = 20
//! trusted_proxies = ["10.0.0.0/8"]   # X-Forwarded-For/-Proto are read only from these peers
//!
//! [limits]
//! body_bytes = 1048576            # JSON requests
//! upload_bytes = 8388608          # one uploaded file (multipart)
//!
//! [rate_limits]                   # token buckets: requests per second + burst; rate 0 = off
//! per_ip = { rate = 20, burst = 40 }
//! per_key = { rate = 20, burst = 40 }
//! per_org = { rate = 50, burst = 100 }
//!
//! [graphql]
//! max_depth = 15
//! max_complexity = 2000
//! max_aliases = 30
//! max_page_size = 100
//! max_query_bytes = 32768         # the query text, whatever the transport
//! max_tokens = 4000               # lexical tokens of the query text, counted before parsing
//! max_response_bytes = 8388608    # the serialised answer
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use taisho_app::runtime::{StoreLocation, redact_url};
use taisho_guideline::EditionId;

pub const ENV_CONFIG: &str = "TAISHO_CONFIG";
pub const ENV_DATABASE_URL: &str = "TAISHO_DATABASE_URL";
pub const ENV_DATA_DIR: &str = "TAISHO_DATA_DIR";
pub const ENV_WORKER_THREADS: &str = "TAISHO_WORKER_THREADS";
pub const ENV_KEY_SECRET: &str = "TAISHO_KEY_SECRET";
pub const ENV_EDITION: &str = "TAISHO_EDITION";
pub const ENV_LISTEN: &str = "TAISHO_LISTEN";
pub const ENV_ENV: &str = "TAISHO_ENV";
pub const ENV_DEMO: &str = "TAISHO_DEMO";
pub const ENV_DEMO_MEMBERS: &str = "TAISHO_DEMO_MEMBERS";
pub const ENV_SHUTDOWN_GRACE: &str = "TAISHO_SHUTDOWN_GRACE";
pub const ENV_BODY_LIMIT: &str = "TAISHO_BODY_LIMIT";
pub const ENV_UPLOAD_LIMIT: &str = "TAISHO_UPLOAD_LIMIT";
pub const ENV_RATE_LIMIT_IP: &str = "TAISHO_RATE_LIMIT_IP";
pub const ENV_RATE_LIMIT_KEY: &str = "TAISHO_RATE_LIMIT_KEY";
pub const ENV_RATE_LIMIT_ORG: &str = "TAISHO_RATE_LIMIT_ORG";
pub const ENV_TRUSTED_PROXIES: &str = "TAISHO_TRUSTED_PROXIES";
pub const ENV_GRAPHQL_MAX_DEPTH: &str = "TAISHO_GRAPHQL_MAX_DEPTH";
pub const ENV_GRAPHQL_MAX_COMPLEXITY: &str = "TAISHO_GRAPHQL_MAX_COMPLEXITY";
pub const ENV_GRAPHQL_MAX_ALIASES: &str = "TAISHO_GRAPHQL_MAX_ALIASES";
pub const ENV_GRAPHQL_MAX_PAGE_SIZE: &str = "TAISHO_GRAPHQL_MAX_PAGE_SIZE";
pub const ENV_GRAPHQL_MAX_QUERY_BYTES: &str = "TAISHO_GRAPHQL_MAX_QUERY_BYTES";
pub const ENV_GRAPHQL_MAX_TOKENS: &str = "TAISHO_GRAPHQL_MAX_TOKENS";
pub const ENV_GRAPHQL_MAX_RESPONSE_BYTES: &str = "TAISHO_GRAPHQL_MAX_RESPONSE_BYTES";

/// Embedded mode's data directory when neither `--data-dir` nor `TAISHO_DATA_DIR` is given.
pub const DEFAULT_DATA_DIR: &str = ".data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DEMO_MEMBERS: usize = 12;
pub const MAX_DEMO_MEMBERS: usize = 200;
/// How long running analyses may finish after a shutdown signal before they go back to the queue.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// A secret value: usable, never printed (`secrecy` redacts its `Debug`).
#[derive(Debug, Clone)]
pub struct Secret(secrecy::SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into().into())
    }

    pub fn expose(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.0)
    }
}

/// Flags shared by `serve`, `work`, `migrate`, `import` and `keys` (each `None` when not given).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StoreFlags {
    /// TOML configuration file (flags and environment variables win over it). Env: TAISHO_CONFIG.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// PostgreSQL URL (production); without it the embedded SQLite store in the data directory.
    /// Env: TAISHO_DATABASE_URL.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Data directory of the embedded mode (default `.data`). Env: TAISHO_DATA_DIR.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Model edition analyses use (R5.3, R6.10, R7.3; default R5.3). Env: TAISHO_EDITION.
    #[arg(long)]
    pub edition: Option<String>,
}

/// Every flag that feeds the configuration.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub store: StoreFlags,
    pub threads: Option<usize>,
    pub listen: Option<String>,
    /// `--demo` (Some(true)) / `--no-demo` (Some(false)).
    pub demo: Option<bool>,
}

/// Production or development: production sets `Secure` on cookies, hides GraphiQL and refuses
/// introspection from browser sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Production,
    Development,
}

impl Environment {
    pub fn is_production(self) -> bool {
        self == Environment::Production
    }
}

/// Size limits of HTTP requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// A JSON (or GET) request.
    pub body_bytes: usize,
    /// One uploaded file of a multipart request.
    pub upload_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            body_bytes: 1024 * 1024,
            upload_bytes: 8 * 1024 * 1024,
        }
    }
}

/// A token bucket's shape: `rate` requests per second on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub rate: f64,
    pub burst: u32,
}

impl Rate {
    pub const fn new(rate: f64, burst: u32) -> Rate {
        Rate { rate, burst }
    }

    /// A rate of 0 switches the limit off.
    pub fn enabled(&self) -> bool {
        self.rate > 0.0
    }
}

/// Rate limits per client address, per API key and per organisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    pub per_ip: Rate,
    pub per_key: Rate,
    pub per_org: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_ip: Rate::new(20.0, 40),
            per_key: Rate::new(20.0, 40),
            per_org: Rate::new(50.0, 100),
        }
    }
}

/// Limits of GraphQL operations (see `taisho_graphql::SchemaConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_page_size: usize,
    /// The query text (bytes), whatever the transport.
    pub max_query_bytes: usize,
    /// Lexical tokens of the query text, counted before it is parsed.
    pub max_tokens: usize,
    /// The serialised answer (bytes).
    pub max_response_bytes: usize,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        GraphqlLimits {
            max_depth: 15,
            max_complexity: 2000,
            max_aliases: 30,
            max_page_size: 100,
            max_query_bytes: 32 * 1024,
            max_tokens: 4000,
            max_response_bytes: 8 * 1024 * 1024,
        }
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub store: StoreLocation,
    pub data_dir: PathBuf,
    pub edition: EditionId,
    /// Analysis worker threads (default: the number of cores).
    pub threads: Option<usize>,
    /// Server secret for API key hashes (checked for strength when given). Without it the embedded
    /// mode generates one into `<data_dir>/key-secret`; with a database URL it is required.
    pub key_secret: Option<Secret>,
    /// Address the HTTP server binds (`HOST:PORT`; port 0 picks a free one).
    pub listen: String,
    pub env: Environment,
    /// Seed the demo data (default: in the embedded mode only).
    pub demo: bool,
    /// Member bodies of the demo prefecture (1..=200).
    pub demo_members: usize,
    pub shutdown_grace: Duration,
    pub limits: HttpLimits,
    pub rate_limits: RateLimits,
    pub graphql: GraphqlLimits,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed (default none:
    /// the peer is the client).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// A configuration error: which setting (flag, variable, or `FILE: key`), and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

fn err(setting: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.to_owned(),
        problem: problem.into(),
    }
}

/// The TOML file: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    edition: Option<String>,
    worker_threads: Option<usize>,
    key_secret: Option<String>,
    listen: Option<String>,
    env: Option<String>,
    demo: Option<bool>,
    demo_members: Option<usize>,
    shutdown_grace_seconds: Option<u64>,
    trusted_proxies: Option<Vec<String>>,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    rate_limits: FileRates,
    #[serde(default)]
    graphql: FileGraphql,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    body_bytes: Option<usize>,
    upload_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRates {
    per_ip: Option<Rate>,
    per_key: Option<Rate>,
    per_org: Option<Rate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileGraphql {
    max_depth: Option<usize>,
    max_complexity: Option<usize>,
    max_aliases: Option<usize>,
    max_page_size: Option<usize>,
    max_query_bytes: Option<usize>,
    max_tokens: Option<usize>,
    max_response_bytes: Option<usize>,
}

/// One setting looked up in flag > environment > file order, with the name of its source.
struct Lookup<'a, E: Fn(&str) -> Option<String>> {
    env: &'a E,
    file_name: String,
}

impl<E: Fn(&str) -> Option<String>> Lookup<'_, E> {
    /// The first value given, parsed, with errors naming its source.
    fn pick<T, F>(
        &self,
        flag: Option<(&str, String)>,
        var: &str,
        file: Option<(&str, String)>,
        parse: F,
    ) -> Result<Option<T>, ConfigError>
    where
        F: Fn(&str) -> Result<T, String>,
    {
        if let Some((name, value)) = flag {
            return parse(&value).map(Some).map_err(|p| err(name, p));
        }
        if let Some(value) = (self.env)(var) {
            return parse(&value).map(Some).map_err(|p| err(var, p));
        }
        if let Some((key, value)) = file {
            return parse(&value)
                .map(Some)
                .map_err(|p| err(&format!("{}: {key}", self.file_name), p));
        }
        Ok(None)
    }

    fn file_key(&self, key: &str) -> String {
        format!("{}: {key}", self.file_name)
    }
}

fn parse_count(lo: usize, hi: usize) -> impl Fn(&str) -> Result<usize, String> {
    move |v: &str| match v.trim().parse::<usize>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number from {lo} to {hi}, got {v:?}"
        )),
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, got {v:?}")),
    }
}

fn parse_env(v: &str) -> Result<Environment, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "production" | "prod" => Ok(Environment::Production),
        "development" | "dev" => Ok(Environment::Development),
        _ => Err(format!("expected production or development, got {v:?}")),
    }
}

/// `HOST:PORT` with a numeric port (`[::1]:8080`, `0.0.0.0:0`, `localhost:8080`).
fn parse_listen(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.parse::<std::net::SocketAddr>().is_ok() {
        return Ok(v.to_owned());
    }
    match v.rsplit_once(':') {
        Some((host, port))
            if !host.is_empty() && !host.contains(['/', ' ']) && port.parse::<u16>().is_ok() =>
        {
            Ok(v.to_owned())
        }
        _ => Err(format!("expected HOST:PORT, got {v:?}")),
    }
}

/// `RATE` or `RATE/BURST` (requests per second; burst defaults to twice the rate); `0` or `off`
/// switches the limit off.
pub fn parse_rate(v: &str) -> Result<Rate, String> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("off") {
        return Ok(Rate::new(0.0, 0));
    }
    let (rate, burst) = match v.split_once('/') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let bad = || format!("expected RATE or RATE/BURST (requests per second), or off; got {v:?}");
    let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
    if !rate.is_finite() || !(0.0..=1_000_000.0).contains(&rate) {
        return Err(bad());
    }
    let burst = match burst {
        Some(b) => b.trim().parse::<u32>().map_err(|_| bad())?,
        None => (rate * 2.0).ceil().min(f64::from(u32::MAX)) as u32,
    };
    check_rate(Rate::new(rate, burst))
}

fn check_rate(r: Rate) -> Result<Rate, String> {
    if !r.rate.is_finite() || r.rate < 0.0 {
        return Err(format!("rate must be 0 or more, got {}", r.rate));
    }
    if r.enabled() && r.burst == 0 {
        return Err("burst must be at least 1 when the rate is above 0".into());
    }
    Ok(r)
}

fn parse_edition(value: &str) -> Result<EditionId, String> {
    value
        .trim()
        .parse::<EditionId>()
        .map_err(|_| format!("unknown model edition {value:?} (expected R5.3, R6.10 or R7.3)"))
}

fn parse_database_url(u: &str) -> Result<String, String> {
    if taisho_app::runtime::Backend::from_url(u).is_err() {
        return Err(format!(
            "unsupported database URL {} (expected postgres://… or sqlite:…)",
            redact_url(u)
        ));
    }
    Ok(u.to_owned())
}

fn parse_secret(s: &str) -> Result<Secret, String> {
    taisho_app::keys::KeyConfig::new(s.as_bytes()).map_err(|e| e.to_string())?;
    Ok(Secret::new(s))
}

/// Reads and parses the configuration file; errors name the file (and the key).
fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let name = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| err(&name, format!("cannot read: {e}")))?;
    toml::from_str::<FileConfig>(&text).map_err(|e| err(&name, e.to_string().trim().to_owned()))
}

impl Config {
    /// Resolves store flags (and `--threads`) over the process environment and the config file.
    pub fn from_env(flags: &StoreFlags, threads: Option<usize>) -> Result<Config, ConfigError> {
        Config::load(
            &Flags {
                store: flags.clone(),
                threads,
                ..Flags::default()
            },
            |k| std::env::var(k).ok(),
        )
    }

    /// Resolves `flags` over the process environment and the config file.
    pub fn from_flags(flags: &Flags) -> Result<Config, ConfigError> {
        Config::load(flags, |k| std::env::var(k).ok())
    }

    /// Resolves with `env` as the environment (tests pass a map).
    pub fn load(
        flags: &Flags,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let config_path = match (&flags.store.config, env(ENV_CONFIG)) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(p)) => Some(PathBuf::from(p)),
            (None, None) => None,
        };
        let (file, file_name) = match &config_path {
            Some(p) => (read_file(p)?, p.display().to_string()),
            None => (FileConfig::default(), String::new()),
        };
        let l = Lookup {
            env: &env,
            file_name,
        };
        let s = |v: &Option<String>| v.clone();
        let f = |key: &'static str, v: Option<String>| v.map(|v| (key, v));
        let n = |v: Option<usize>| v.map(|n| n.to_string());

        let url = l.pick(
            flags
                .store
                .database_url
                .clone()
                .map(|u| ("--database-url", u)),
            ENV_DATABASE_URL,
            f("database_url", s(&file.database_url)),
            parse_database_url,
        )?;
        let data_dir = l
            .pick(
                flags
                    .store
                    .data_dir
                    .as_ref()
                    .map(|d| ("--data-dir", d.display().to_string())),
                ENV_DATA_DIR,
                f(
                    "data_dir",
                    file.data_dir.as_ref().map(|d| d.display().to_string()),
                ),
                |v| Ok(PathBuf::from(v)),
            )?
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let edition = l
            .pick(
                flags.store.edition.clone().map(|e| ("--edition", e)),
                ENV_EDITION,
                f("edition", s(&file.edition)),
                parse_edition,
            )?
            .unwrap_or(EditionId::DEFAULT);
        let threads = l.pick(
            flags.threads.map(|t| ("--threads", t.to_string())),
            ENV_WORKER_THREADS,
            f("worker_threads", n(file.worker_threads)),
            parse_count(1, 1024),
        )?;
        let key_secret = l.pick(
            None,
            ENV_KEY_SECRET,
            f("key_secret", s(&file.key_secret)),
            parse_secret,
        )?;
        let listen = l
            .pick(
                flags.listen.clone().map(|v| ("--listen", v)),
                ENV_LISTEN,
                f("listen", s(&file.listen)),
                parse_listen,
            )?
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let environment = l
            .pick(None, ENV_ENV, f("env", s(&file.env)), parse_env)?
            .unwrap_or(if url.is_some() {
                Environment::Production
            } else {
                Environment::Development
            });
        let demo = l
            .pick(
                flags
                    .demo
                    .map(|d| (if d { "--demo" } else { "--no-demo" }, d.to_string())),
                ENV_DEMO,
                f("demo", file.demo.map(|d| d.to_string())),
                parse_bool,
            )?
            .unwrap_or(url.is_none());
        let demo_members = l
            .pick(
                None,
                ENV_DEMO_MEMBERS,
                f("demo_members", n(file.demo_members)),
                parse_count(1, MAX_DEMO_MEMBERS),
            )?
            .unwrap_or(DEFAULT_DEMO_MEMBERS);
        let shutdown_grace = l
            .pick(
                None,
                ENV_SHUTDOWN_GRACE,
                f(
                    "shutdown_grace_seconds",
                    file.shutdown_grace_seconds.map(|g| g.to_string()),
                ),
                |v| {
                    parse_count(0, 3600)(v)
                        .map(|s| Duration::from_secs(s as u64))
                        .map_err(|e| format!("{e} (seconds)"))
                },
            )?
            .unwrap_or(DEFAULT_SHUTDOWN_GRACE);

        let mut limits = HttpLimits::default();
        let byte_range = parse_count(1024, 1024 * 1024 * 1024);
        if let Some(v) = l.pick(
            None,
            ENV_BODY_LIMIT,
            f("limits.body_bytes", n(file.limits.body_bytes)),
            &byte_range,
        )? {
            limits.body_bytes = v;
        }
        if let Some(v) = l.pick(
            None,
            ENV_UPLOAD_LIMIT,
            f("limits.upload_bytes", n(file.limits.upload_bytes)),
            &byte_range,
        )? {
            limits.upload_bytes = v;
        }

        let mut rate_limits = RateLimits::default();
        for (var, key, from_file, slot) in [
            (
                ENV_RATE_LIMIT_IP,
                "rate_limits.per_ip",
                file.rate_limits.per_ip,
                &mut rate_limits.per_ip,
            ),
            (
                ENV_RATE_LIMIT_KEY,
                "rate_limits.per_key",
                file.rate_limits.per_key,
                &mut rate_limits.per_key,
            ),
            (
                ENV_RATE_LIMIT_ORG,
                "rate_limits.per_org",
                file.rate_limits.per_org,
                &mut rate_limits.per_org,
            ),
        ] {
            if let Some(v) = env(var) {
                *slot = parse_rate(&v).map_err(|p| err(var, p))?;
            } else if let Some(r) = from_file {
                *slot = check_rate(r).map_err(|p| err(&l.file_key(key), p))?;
            }
        }

        let mut graphql = GraphqlLimits::default();
        for (var, key, from_file, slot, lo, hi) in [
            (
                ENV_GRAPHQL_MAX_DEPTH,
                "graphql.max_depth",
                file.graphql.max_depth,
                &mut graphql.max_depth,
                2,
                100,
            ),
            (
                ENV_GRAPHQL_MAX_COMPLEXITY,
                "graphql.max_complexity",
                file.graphql.max_complexity,
                &mut graphql.max_complexity,
                10,
                1_000_000,
            ),
            (
                ENV_GRAPHQL_MAX_ALIASES,
                "graphql.max_aliases",
                file.graphql.max_aliases,
                &mut graphql.max_aliases,
                1,
                10_000,
            ),
            (
                ENV_GRAPHQL_MAX_PAGE_SIZE,
                "graphql.max_page_size",
                file.graphql.max_page_size,
                &mut graphql.max_page_size,
                1,
                10_000,
            ),
            (
                ENV_GRAPHQL_MAX_QUERY_BYTES,
                "graphql.max_query_bytes",
                file.graphql.max_query_bytes,
                &mut graphql.max_query_bytes,
                1024,
                1024 * 1024,
            ),
            (
                ENV_GRAPHQL_MAX_TOKENS,
                "graphql.max_tokens",
                file.graphql.max_tokens,
                &mut graphql.max_tokens,
                100,
                1_000_000,
            ),
            (
                ENV_GRAPHQL_MAX_RESPONSE_BYTES,
                "graphql.max_response_bytes",
                file.graphql.max_response_bytes,
                &mut graphql.max_response_bytes,
                16 * 1024,
                1024 * 1024 * 1024,
            ),
        ] {
            if let Some(v) = l.pick(None, var, f(key, n(from_file)), parse_count(lo, hi))? {
                *slot = v;
            }
        }

        let trusted_proxies = match (env(ENV_TRUSTED_PROXIES), &file.trusted_proxies) {
            (Some(v), _) => v
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(crate::http::client::parse_proxy)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|p| err(ENV_TRUSTED_PROXIES, p))?,
            (None, Some(list)) => list
                .iter()
                .map(|p| crate::http::client::parse_proxy(p))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|p| err(&l.file_key("trusted_proxies"), p))?,
            (None, None) => Vec::new(),
        };

        let store = match url {
            Some(u) => StoreLocation::Url(u),
            None => StoreLocation::Embedded(data_dir.clone()),
        };
        Ok(Config {
            store,
            data_dir,
            edition,
            threads,
            key_secret,
            listen,
            env: environment,
            demo,
            demo_members,
            shutdown_grace,
            limits,
            rate_limits,
            graphql,
            trusted_proxies,
        })
    }

    pub fn embedded(&self) -> bool {
        matches!(self.store, StoreLocation::Embedded(_))
    }
}

/// Name of the generated key secret in the embedded mode's data directory.
pub const KEY_SECRET_FILE: &str = "key-secret";

/// The API key server secret: the configured one; in the embedded mode without one, the secret in
/// `<data_dir>/key-secret`, generated (64 random hex characters, mode 0600) on first use. With a
/// database URL a configured secret is required.
pub fn key_secret(config: &Config) -> anyhow::Result<Secret> {
    use anyhow::Context;
    if let Some(s) = &config.key_secret {
        return Ok(s.clone());
    }
    if !config.embedded() {
        anyhow::bail!(
            "{ENV_KEY_SECRET} (or key_secret in the config file) is required with a database URL: \
             at least {} bytes, the same on every server",
            taisho_app::keys::MIN_SERVER_SECRET
        );
    }
    let path = config.data_dir.join(KEY_SECRET_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let s = existing.trim();
        parse_secret(s).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        return Ok(Secret::new(s));
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("OS RNG: {e}"))?;
    let secret = hex::encode(bytes);
    write_private(&path, secret.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(Secret::new(secret))
}

/// Creates `path` with mode 0600 (owner only) and writes `bytes`; fails if it exists.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(
        flags: &StoreFlags,
        threads: Option<usize>,
        env: &[(&str, &str)],
    ) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load(
            &Flags {
                store: flags.clone(),
                threads,
                ..Flags::default()
            },
            |k| env.get(k).cloned(),
        )
    }

    #[test]
    fn defaults_to_the_embedded_store_in_dot_data() {
        let c = resolve(&StoreFlags::default(), None, &[]).expect("config");
        assert_eq!(c.store, StoreLocation::Embedded(PathBuf::from(".data")));
        assert_eq!(c.edition, EditionId::DEFAULT);
        assert_eq!(c.threads, None);
        assert_eq!(c.listen, DEFAULT_LISTEN);
        assert_eq!(c.env, Environment::Development);
        assert!(c.demo);
        assert_eq!(c.demo_members, DEFAULT_DEMO_MEMBERS);
        assert_eq!(c.limits, HttpLimits::default());
    }

    #[test]
    fn a_database_url_means_production_without_demo_data() {
        let c = resolve(
            &StoreFlags::default(),
            None,
            &[(ENV_DATABASE_URL, "postgres://app@db/taisho")],
        )
        .expect("config");
        assert_eq!(c.env, Environment::Production);
        assert!(!c.demo);
    }

    #[test]
    fn flags_win_over_environment_variables() {
        let flags = StoreFlags {
            data_dir: Some("/tmp/flag".into()),
            edition: Some("R7.3".into()),
            ..StoreFlags::default()
        };
        let env = [
            (ENV_DATA_DIR, "/tmp/env"),
            (ENV_EDITION, "R6.10"),
            (ENV_WORKER_THREADS, "3"),
        ];
        let c = resolve(&flags, Some(5), &env).expect("config");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/flag"));
        assert_eq!(c.edition.to_string(), "R7.3");
        assert_eq!(c.threads, Some(5));
        let c = resolve(&StoreFlags::default(), None, &env).expect("config");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/env"));
        assert_eq!(c.threads, Some(3));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let e = resolve(
            &StoreFlags::default(),
            None,
            &[(ENV_WORKER_THREADS, "many")],
        )
        .expect_err("threads");
        assert_eq!(e.setting, ENV_WORKER_THREADS);
        let e = resolve(
            &StoreFlags::default(),
            None,
            &[(ENV_DATABASE_URL, "mysql://x")],
        )
        .expect_err("url");
        assert_eq!(e.setting, ENV_DATABASE_URL);
        let e = resolve(&StoreFlags::default(), None, &[(ENV_KEY_SECRET, "short")])
            .expect_err("secret");
        assert_eq!(e.setting, ENV_KEY_SECRET);
        let e = resolve(&StoreFlags::default(), None, &[(ENV_EDITION, "R99")]).expect_err("ed");
        assert!(e.to_string().starts_with("TAISHO_EDITION: "));
        for (var, value) in [
            (ENV_LISTEN, "nowhere"),
            (ENV_ENV, "staging"),
            (ENV_DEMO_MEMBERS, "0"),
            (ENV_DEMO_MEMBERS, "201"),
            (ENV_RATE_LIMIT_KEY, "fast"),
            (ENV_RATE_LIMIT_IP, "5/0"),
            (ENV_BODY_LIMIT, "-1"),
            (ENV_GRAPHQL_MAX_DEPTH, "0"),
        ] {
            let e = resolve(&StoreFlags::default(), None, &[(var, value)]).expect_err(var);
            assert_eq!(e.setting, var, "{e}");
        }
    }

    #[test]
    fn query_text_and_response_limits_come_from_the_file_or_the_environment() {
        let c = resolve(&StoreFlags::default(), None, &[]).expect("config");
        assert_eq!(c.graphql.max_query_bytes, 32 * 1024);
        assert_eq!(c.graphql.max_tokens, 4000);
        assert_eq!(c.graphql.max_response_bytes, 8 * 1024 * 1024);
        let file =
            "[graphql]\nmax_query_bytes = 4096\nmax_tokens = 500\nmax_response_bytes = 65536\n";
        let c =
            with_file(file, &[(ENV_GRAPHQL_MAX_TOKENS, "700")], Flags::default()).expect("config");
        assert_eq!(c.graphql.max_query_bytes, 4096);
        assert_eq!(c.graphql.max_tokens, 700);
        assert_eq!(c.graphql.max_response_bytes, 65536);
        for (var, value) in [
            (ENV_GRAPHQL_MAX_QUERY_BYTES, "10"),
            (ENV_GRAPHQL_MAX_TOKENS, "many"),
            (ENV_GRAPHQL_MAX_RESPONSE_BYTES, "0"),
        ] {
            let e = resolve(&StoreFlags::default(), None, &[(var, value)]).expect_err(var);
            assert_eq!(e.setting, var, "{e}");
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let secret = "a-very-long-server-secret-of-more-than-32-bytes!";
        let c = resolve(
            &StoreFlags::default(),
            None,
            &[
                (ENV_KEY_SECRET, secret),
                (ENV_DATABASE_URL, "postgres://app:hunter2@db/taisho"),
            ],
        )
        .expect("config");
        let debug = format!("{c:?}");
        assert!(
            !debug.contains(secret) && !debug.contains("hunter2"),
            "{debug}"
        );
        assert_eq!(c.key_secret.as_ref().map(Secret::expose), Some(secret));
    }

    fn with_file(toml: &str, env: &[(&str, &str)], flags: Flags) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("taisho.toml");
        std::fs::write(&path, toml).expect("write config");
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .chain([(ENV_CONFIG.to_owned(), path.display().to_string())])
            .collect();
        Config::load(&flags, |k| env.get(k).cloned())
    }

    #[test]
    fn the_file_is_overridden_by_the_environment_which_is_overridden_by_flags() {
        let file = r#"
            listen = "127.0.0.1:7001"
            data_dir = "/tmp/file"
            demo_members = 3
            env = "production"
            [rate_limits]
            per_key = { rate = 100, burst = 200 }
            [limits]
            body_bytes = 2048
            [graphql]
            max_depth = 9
        "#;
        let c = with_file(file, &[], Flags::default()).expect("config");
        assert_eq!(c.listen, "127.0.0.1:7001");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/file"));
        assert_eq!(c.demo_members, 3);
        assert_eq!(c.env, Environment::Production);
        assert_eq!(c.rate_limits.per_key, Rate::new(100.0, 200));
        assert_eq!(c.rate_limits.per_ip, RateLimits::default().per_ip);
        assert_eq!(c.limits.body_bytes, 2048);
        assert_eq!(c.graphql.max_depth, 9);

        let env = [
            (ENV_LISTEN, "127.0.0.1:7002"),
            (ENV_DATA_DIR, "/tmp/env"),
            (ENV_RATE_LIMIT_KEY, "5/6"),
            (ENV_ENV, "development"),
        ];
        let c = with_file(file, &env, Flags::default()).expect("config");
        assert_eq!(c.listen, "127.0.0.1:7002");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/env"));
        assert_eq!(c.rate_limits.per_key, Rate::new(5.0, 6));
        assert_eq!(c.env, Environment::Development);
        assert_eq!(c.demo_members, 3);

        let flags = Flags {
            store: StoreFlags {
                data_dir: Some("/tmp/flag".into()),
                ..StoreFlags::default()
            },
            listen: Some("127.0.0.1:7003".into()),
            ..Flags::default()
        };
        let c = with_file(file, &env, flags).expect("config");
        assert_eq!(c.listen, "127.0.0.1:7003");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/flag"));
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error_naming_the_key_and_the_file() {
        for (file, key) in [
            ("listne = \"127.0.0.1:1\"", "listne"),
            ("[limits]\nbody = 5", "body"),
            (
                "[rate_limits]\nper_ip = { rate = 1, burst = 2, extra = 3 }",
                "extra",
            ),
        ] {
            let e = with_file(file, &[], Flags::default()).expect_err(key);
            assert!(e.setting.ends_with("taisho.toml"), "{e}");
            assert!(e.problem.contains(key), "{e}");
        }
    }

    #[test]
    fn bad_values_in_the_file_name_the_file_and_key() {
        let e = with_file("demo_members = 500", &[], Flags::default()).expect_err("members");
        assert!(e.setting.ends_with("taisho.toml: demo_members"), "{e}");
        let e = with_file(
            "[rate_limits]\nper_org = { rate = 1, burst = 0 }",
            &[],
            Flags::default(),
        )
        .expect_err("burst");
        assert!(
            e.setting.ends_with("taisho.toml: rate_limits.per_org"),
            "{e}"
        );
        let e = with_file("listen = 8080", &[], Flags::default()).expect_err("type");
        assert!(e.setting.ends_with("taisho.toml"), "{e}");
    }

    #[test]
    fn trusted_proxies_come_from_the_file_or_the_environment_and_bad_ones_are_named() {
        let c = with_file(
            "trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.1\"]",
            &[],
            Flags::default(),
        )
        .expect("file");
        assert_eq!(c.trusted_proxies.len(), 2);
        let c = with_file(
            "",
            &[(ENV_TRUSTED_PROXIES, "127.0.0.1, ::1")],
            Flags::default(),
        )
        .expect("env");
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(
            with_file("", &[], Flags::default())
                .unwrap()
                .trusted_proxies
                .is_empty()
        );
        let e = with_file("trusted_proxies = [\"proxy.local\"]", &[], Flags::default())
            .expect_err("hostname");
        assert!(e.setting.ends_with("trusted_proxies"), "{e}");
        assert!(e.problem.contains("proxy.local"), "{e}");
        let e = with_file(
            "",
            &[(ENV_TRUSTED_PROXIES, "10.0.0.0/33")],
            Flags::default(),
        )
        .expect_err("prefix");
        assert_eq!(e.setting, ENV_TRUSTED_PROXIES);
    }

    #[test]
    fn a_secret_from_the_file_is_redacted_too() {
        let secret = "file-secret-that-is-long-enough-for-hmac-keys";
        let c = with_file(
            &format!("key_secret = \"{secret}\"\ndatabase_url = \"postgres://a:pw-in-file@db/t\""),
            &[],
            Flags::default(),
        )
        .expect("config");
        let debug = format!("{c:?}");
        assert!(
            !debug.contains(secret) && !debug.contains("pw-in-file"),
            "{debug}"
        );
    }

    #[test]
    fn embedded_mode_generates_a_private_key_secret_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let c = resolve(
            &StoreFlags {
                data_dir: Some(dir.path().to_owned()),
                ..StoreFlags::default()
            },
            None,
            &[],
        )
        .expect("config");
        let first = key_secret(&c).expect("generated");
        let again = key_secret(&c).expect("reused");
        assert_eq!(first.expose(), again.expose());
        assert!(first.expose().len() >= taisho_app::keys::MIN_SERVER_SECRET);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_SECRET_FILE))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let with_url = resolve(
            &StoreFlags::default(),
            None,
            &[(ENV_DATABASE_URL, "postgres://app@db/taisho")],
        )
        .expect("config");
        assert!(key_secret(&with_url).is_err());
    }

    #[test]
    fn rates_parse_with_and_without_burst() {
        assert_eq!(parse_rate("10").unwrap(), Rate::new(10.0, 20));
        assert_eq!(parse_rate("2.5/7").unwrap(), Rate::new(2.5, 7));
        assert!(!parse_rate("off").unwrap().enabled());
        assert!(!parse_rate("0").unwrap().enabled());
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("NaN").is_err());
    }
}
