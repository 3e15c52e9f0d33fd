//! The crate's one integration-test binary; one module per concern.

mod build;
mod diff;
mod offsets;
mod snapshots;
mod terms;
mod threads;

use std::path::PathBuf;
use std::sync::Arc;

use taisho_japanese::JapaneseTokenizer;
use taisho_morph::{Morpheme, Tokenizer};

/// The process-wide tokenizer (built into the user's cache on first use, like the product).
pub fn tokenizer() -> Arc<JapaneseTokenizer> {
    match JapaneseTokenizer::shared() {
        Ok(t) => t,
        Err(e) => panic!("tokenizer unavailable: {e}"),
    }
}

pub fn segment(tokenizer: &JapaneseTokenizer, text: &str) -> Vec<Morpheme> {
    let mut out = Vec::new();
    tokenizer
        .segment(text, &mut out)
        .expect("segmenting never fails on valid UTF-8");
    out
}

/// `../shared` beside the checkout: the real seeds.
pub fn shared_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        dir.join("seeds").is_dir(),
        "the shared data is missing: expected {} beside the checkout",
        dir.display()
    );
    dir
}

/// The text of the seed whose file name starts with `prefix` (e.g. `"004"`).
pub fn seed(prefix: &str) -> String {
    let dir = shared_dir().join("seeds");
    let path = std::fs::read_dir(&dir)
        .expect("seeds dir readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".txt"))
        })
        .unwrap_or_else(|| panic!("no seed {prefix} in {}", dir.display()));
    std::fs::read_to_string(path).expect("seed is UTF-8")
}

pub const SEEDS: [&str; 5] = ["000", "001", "002", "003", "004"];

/// A fresh, empty directory under the system temp dir, unique to this call.
pub fn fresh_temp_dir(label: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "taisho-japanese-test-{label}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir creatable");
    dir
}
