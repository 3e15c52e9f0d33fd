//! Locating the source, building into the cache, the error when the source is missing.

use std::path::Path;

use taisho_japanese::dictionary::{DEFAULT_IPADIC_SRC, ensure_built};
use taisho_japanese::{DictionaryConfig, DictionaryError, JapaneseTokenizer};

use crate::{fresh_temp_dir, segment};

#[test]
fn missing_source_gives_one_clear_error() {
    let empty = fresh_temp_dir("empty-src");
    let config = DictionaryConfig {
        ipadic_src: Some(empty.clone()),
        cache_dir: Some(fresh_temp_dir("empty-cache")),
    };
    let err = JapaneseTokenizer::new(&config).expect_err("no source, no cache");
    assert_eq!(
        err,
        DictionaryError::SourceNotFound {
            path: empty.clone()
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "IPADIC source not found at {}: install Debian's mecab-ipadic (apt-get install mecab-ipadic) or set TAISHO_IPADIC_SRC",
            empty.display()
        )
    );
}

#[test]
fn explicit_paths_win_over_environment_and_defaults() {
    let config = DictionaryConfig {
        ipadic_src: Some("/src".into()),
        cache_dir: Some("/cache".into()),
    };
    assert_eq!(config.source_dir(), Path::new("/src"));
    assert!(config.dictionary_dir().starts_with("/cache"));
    let key = taisho_japanese::dictionary::cache_key();
    assert!(key.starts_with("ipadic-lindera6."), "{key}");
    assert!(config.dictionary_dir().ends_with(&key));
}

/// Parallel test processes race to build the same cache entry; every racer must end up with a
/// complete dictionary and no temporary directory may be left behind.
#[test]
fn concurrent_builds_into_one_cache_all_succeed() {
    assert!(
        Path::new(DEFAULT_IPADIC_SRC).is_dir() || std::env::var_os("TAISHO_IPADIC_SRC").is_some(),
        "IPADIC source missing: apt-get install mecab-ipadic"
    );
    let cache = fresh_temp_dir("race-cache");
    let config = DictionaryConfig {
        ipadic_src: None,
        cache_dir: Some(cache.clone()),
    };
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let config = config.clone();
            std::thread::spawn(move || ensure_built(&config))
        })
        .collect();
    let dirs: Vec<_> = racers
        .into_iter()
        .map(|h| h.join().expect("racer finished").expect("racer built"))
        .collect();
    assert_eq!(dirs[0], dirs[1]);
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .expect("cache readable")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(entries.len(), 1, "leftovers in the cache: {entries:?}");

    // The built copy loads and segments.
    let tok = JapaneseTokenizer::new(&config).expect("loads from the fresh cache");
    assert_eq!(tok.dictionary_dir(), dirs[0]);
    assert_eq!(segment(&tok, "情報資産を守る").len(), 3);
    let _ = std::fs::remove_dir_all(&cache);
}
