//! Typed configuration of the service commands: command-line flags over environment variables over
//! defaults. A bad value is an error naming the flag or variable it came from; secrets never appear
//! in `Debug` output.

use std::path::PathBuf;

use taisho_app::runtime::{StoreLocation, redact_url};
use taisho_guideline::EditionId;

pub const ENV_DATABASE_URL: &str = "TAISHO_DATABASE_URL";
pub const ENV_DATA_DIR: &str = "TAISHO_DATA_DIR";
pub const ENV_WORKER_THREADS: &str = "TAISHO_WORKER_THREADS";
pub const ENV_KEY_SECRET: &str = "TAISHO_KEY_SECRET";
pub const ENV_EDITION: &str = "TAISHO_EDITION";

/// Embedded mode's data directory when neither `--data-dir` nor `TAISHO_DATA_DIR` is given.
pub const DEFAULT_DATA_DIR: &str = ".data";

/// A secret value: usable, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Flags shared by `serve`, `work`, `migrate` and `import` (each `None` when not given).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StoreFlags {
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

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    pub store: StoreLocation,
    pub data_dir: PathBuf,
    pub edition: EditionId,
    /// Analysis worker threads (default: the number of cores).
    pub threads: Option<usize>,
    /// Server secret for API key hashes (checked for strength when given).
    pub key_secret: Option<Secret>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("store", &self.store)
            .field("data_dir", &self.data_dir)
            .field("edition", &self.edition)
            .field("threads", &self.threads)
            .field("key_secret", &self.key_secret)
            .finish()
    }
}

/// A configuration error: which setting, and what is wrong with it.
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

impl Config {
    /// Resolves `flags` (and `--threads`) over the process environment.
    pub fn from_env(flags: &StoreFlags, threads: Option<usize>) -> Result<Config, ConfigError> {
        Config::resolve(flags, threads, |k| std::env::var(k).ok())
    }

    /// Resolves with `env` as the environment (tests pass a map).
    pub fn resolve(
        flags: &StoreFlags,
        threads: Option<usize>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let (url, url_source) = match (&flags.database_url, env(ENV_DATABASE_URL)) {
            (Some(u), _) => (Some(u.clone()), "--database-url"),
            (None, Some(u)) => (Some(u), ENV_DATABASE_URL),
            (None, None) => (None, ""),
        };
        if let Some(u) = &url
            && taisho_store::Backend::from_url(u).is_err()
        {
            return Err(err(
                url_source,
                format!(
                    "unsupported database URL {} (expected postgres://… or sqlite:…)",
                    redact_url(u)
                ),
            ));
        }
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env(ENV_DATA_DIR).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let edition = match (&flags.edition, env(ENV_EDITION)) {
            (Some(e), _) => parse_edition("--edition", e)?,
            (None, Some(e)) => parse_edition(ENV_EDITION, &e)?,
            (None, None) => EditionId::DEFAULT,
        };
        let threads = match (threads, env(ENV_WORKER_THREADS)) {
            (Some(0), _) => return Err(err("--threads", "must be at least 1")),
            (Some(n), _) => Some(n),
            (None, Some(v)) => match v.trim().parse::<usize>() {
                Ok(n) if (1..=1024).contains(&n) => Some(n),
                _ => {
                    return Err(err(
                        ENV_WORKER_THREADS,
                        format!("expected a number of threads from 1 to 1024, got {v:?}"),
                    ));
                }
            },
            (None, None) => None,
        };
        let key_secret = match env(ENV_KEY_SECRET) {
            Some(s) => {
                taisho_app::keys::KeyConfig::new(s.as_bytes())
                    .map_err(|e| err(ENV_KEY_SECRET, e.to_string()))?;
                Some(Secret(s))
            }
            None => None,
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
        })
    }

    pub fn embedded(&self) -> bool {
        matches!(self.store, StoreLocation::Embedded(_))
    }
}

fn parse_edition(setting: &str, value: &str) -> Result<EditionId, ConfigError> {
    value.trim().parse::<EditionId>().map_err(|_| {
        err(
            setting,
            format!("unknown model edition {value:?} (expected R5.3, R6.10 or R7.3)"),
        )
    })
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
        Config::resolve(flags, threads, |k| env.get(k).cloned())
    }

    #[test]
    fn defaults_to_the_embedded_store_in_dot_data() {
        let c = resolve(&StoreFlags::default(), None, &[]).expect("config");
        assert_eq!(c.store, StoreLocation::Embedded(PathBuf::from(".data")));
        assert_eq!(c.edition, EditionId::DEFAULT);
        assert_eq!(c.threads, None);
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
}
