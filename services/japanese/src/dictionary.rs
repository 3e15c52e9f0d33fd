//! Locating the IPADIC source, building the lindera dictionary once into a cache, loading it.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::{DICTIONARY_FORMAT_VERSION, Metadata};
use lindera_dictionary::dictionary::{Dictionary, UserDictionary};

use crate::error::DictionaryError;

/// Environment variable naming the IPADIC source directory.
pub const ENV_IPADIC_SRC: &str = "TAISHO_IPADIC_SRC";
/// Environment variable naming the directory that holds built dictionaries.
pub const ENV_DICT_DIR: &str = "TAISHO_DICT_DIR";
/// Where Debian's `mecab-ipadic` package puts the source.
pub const DEFAULT_IPADIC_SRC: &str = "/usr/share/mecab/dic/ipadic";

/// Encoding the IPADIC source is read with.
///
/// Fixed on purpose: decoding the EUC-JP source directly (encoding_rs, WHATWG mapping) and
/// converting it with iconv first disagree on a handful of symbols (～ U+FF5E vs 〜 U+301C), and
/// token keys feed diffs that must be stable from one build to the next. Changing this requires
/// bumping [`FORMAT_VERSION`].
pub const ENCODING: &str = "EUC-JP";

/// Version of the choices this crate makes when building (metadata, encoding, layout of the cache).
/// Bump it whenever a build would produce different bytes, so stale caches are never reused.
pub const FORMAT_VERSION: u32 = 1;

/// `metadata.json` of the `lindera-ipadic` 6.2.0 crate (MIT; see `data/ipadic-metadata.LICENSE.txt`).
/// `Metadata::default()` differs from it (schema, default ids), so we ship the real one.
const METADATA_JSON: &str = include_str!("../data/ipadic-metadata.json");

/// The domain user dictionary, 13-column IPADIC form with real context ids.
pub const USER_DICT_CSV: &str = include_str!("../data/user_dict.csv");

/// Where to find the IPADIC source and where to cache the built dictionary.
///
/// Unset fields are resolved from the environment, then from defaults (see
/// [`DictionaryConfig::source_dir`] and [`DictionaryConfig::cache_root`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DictionaryConfig {
    /// IPADIC source directory (the `*.csv`, `matrix.def`, `char.def`, `unk.def` files).
    pub ipadic_src: Option<PathBuf>,
    /// Directory under which built dictionaries are kept, one subdirectory per cache key.
    pub cache_dir: Option<PathBuf>,
}

impl DictionaryConfig {
    /// The IPADIC source directory: explicit → `TAISHO_IPADIC_SRC` → `/usr/share/mecab/dic/ipadic`.
    pub fn source_dir(&self) -> PathBuf {
        self.ipadic_src
            .clone()
            .or_else(|| env_path(ENV_IPADIC_SRC))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_IPADIC_SRC))
    }

    /// The cache root: explicit → `TAISHO_DICT_DIR` → `$XDG_CACHE_HOME/taisho` → `~/.cache/taisho`
    /// → `<system temp dir>/taisho`.
    pub fn cache_root(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(|| env_path(ENV_DICT_DIR))
            .or_else(|| env_path("XDG_CACHE_HOME").map(|p| p.join("taisho")))
            .or_else(|| env_path("HOME").map(|p| p.join(".cache").join("taisho")))
            .unwrap_or_else(|| std::env::temp_dir().join("taisho"))
    }

    /// The directory the built dictionary lives in (it may not exist yet).
    pub fn dictionary_dir(&self) -> PathBuf {
        self.cache_root().join(cache_key())
    }
}

/// A non-empty, absolute-or-relative path from the environment; empty values count as unset so
/// `TAISHO_DICT_DIR=` does not silently mean "the current directory".
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Names one build: everything that changes the built bytes is in it, so two versions of the
/// program never share (or fight over) one directory. The user dictionary is not in the key
/// because it is compiled in memory at load time, never cached.
pub fn cache_key() -> String {
    let mut hash = Fnv64::new();
    hash.write(METADATA_JSON.as_bytes());
    hash.write(ENCODING.as_bytes());
    format!(
        "ipadic-lindera{}-f{}-t{}-{:016x}",
        lindera::get_version(),
        DICTIONARY_FORMAT_VERSION,
        FORMAT_VERSION,
        hash.finish()
    )
}

/// The lindera metadata for building from the IPADIC source.
pub(crate) fn metadata() -> Result<Metadata, DictionaryError> {
    let mut metadata: Metadata =
        serde_json::from_str(METADATA_JSON).map_err(|e| DictionaryError::Metadata {
            reason: e.to_string(),
        })?;
    ENCODING.clone_into(&mut metadata.encoding);
    Ok(metadata)
}

/// Returns the built dictionary directory, building it from the IPADIC source first if needed.
///
/// Safe to call from several processes at once: each builds into its own temporary directory
/// and renames it into place; the first rename wins and the others discard their copy. A
/// dictionary already in the cache is used without looking at the source at all, so an image
/// can ship a pre-built cache (`TAISHO_DICT_DIR`) without the source.
pub fn ensure_built(config: &DictionaryConfig) -> Result<PathBuf, DictionaryError> {
    let root = config.cache_root();
    let key = cache_key();
    let target = root.join(&key);
    if target.is_dir() {
        return Ok(target);
    }

    let source = config.source_dir();
    check_source(&source)?;

    fs::create_dir_all(&root).map_err(|e| cache_error(&root, &e))?;
    remove_abandoned_builds(&root);
    let tmp = root.join(temp_name(&key));
    let built = metadata().and_then(|metadata| {
        DictionaryBuilder::new(metadata)
            .build_dictionary(&source, &tmp)
            .map_err(|e| DictionaryError::Build {
                source_dir: source.clone(),
                reason: e.to_string(),
            })
    });
    if let Err(e) = built {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }

    match fs::rename(&tmp, &target) {
        Ok(()) => Ok(target),
        // Another process finished first (the rename onto a non-empty directory fails): use theirs.
        Err(_) if target.is_dir() => {
            let _ = fs::remove_dir_all(&tmp);
            Ok(target)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(cache_error(&target, &e))
        }
    }
}

/// The system dictionary, memory-mapped from the cache (building it first if needed).
pub(crate) fn load_system(
    config: &DictionaryConfig,
) -> Result<(Dictionary, PathBuf), DictionaryError> {
    let dir = ensure_built(config)?;
    let dictionary =
        lindera::dictionary::load_fs_dictionary_with_options(&dir, true).map_err(|e| {
            DictionaryError::Load {
                path: dir.clone(),
                reason: e.to_string(),
            }
        })?;
    Ok((dictionary, dir))
}

/// The domain user dictionary, compiled in memory (~120 rows: well under a millisecond).
pub(crate) fn load_user() -> Result<UserDictionary, DictionaryError> {
    let metadata = metadata()?;
    DictionaryBuilder::new(metadata)
        .build_user_dict_from_reader(USER_DICT_CSV.as_bytes())
        .map_err(|e| DictionaryError::UserDictionary {
            reason: e.to_string(),
        })
}

/// The source must at least have the files every build reads; checking them up front turns a
/// missing package into one clear error instead of a lindera I/O error deep in the build.
fn check_source(source: &Path) -> Result<(), DictionaryError> {
    let not_found = || DictionaryError::SourceNotFound {
        path: source.to_path_buf(),
    };
    for required in ["matrix.def", "char.def", "unk.def"] {
        if !source.join(required).is_file() {
            return Err(not_found());
        }
    }
    let has_csv = fs::read_dir(source)
        .map_err(|_| not_found())?
        .filter_map(Result::ok)
        .any(|entry| entry.path().extension().is_some_and(|ext| ext == "csv"));
    if has_csv { Ok(()) } else { Err(not_found()) }
}

/// A build takes seconds; a temporary directory an hour old belongs to a process that was
/// killed mid-build. Each is ~47 MB, so they must not pile up. Best effort: errors are ignored.
fn remove_abandoned_builds(root: &Path) {
    const ABANDONED_AFTER: Duration = Duration::from_secs(60 * 60);
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let is_temp = entry.file_name().to_string_lossy().starts_with(".tmp-");
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        if is_temp && age.is_some_and(|a| a > ABANDONED_AFTER) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn temp_name(key: &str) -> OsString {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // Process id, a clock reading and a counter: unique across processes and across threads of
    // one process that race before the process-wide tokenizer is set.
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(".tmp-{key}-{}-{nanos}-{n}", std::process::id()).into()
}

fn cache_error(path: &Path, e: &std::io::Error) -> DictionaryError {
    DictionaryError::Cache {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// FNV-1a: a stable hash (std's `DefaultHasher` may change between Rust releases, and the key
/// must not).
struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
