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

// The real seeds of the repository's test data; `seed(prefix)` is the seed's text.
pub use taisho_testkit::{SEEDS, seed_text as seed};

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
