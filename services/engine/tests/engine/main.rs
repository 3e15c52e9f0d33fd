//! The engine's one integration-test binary; one module per stage, and the layering rules.
#![expect(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the I/O-free rule (clippy.toml) is for the library; tests read fixtures and run cargo"
)]

mod decode;
mod diff;
mod fold;
mod layering;
mod normalize;
mod structure;
mod tokenize;

use std::path::PathBuf;

/// `../shared` beside the checkout: the real seeds, fixtures and labels the tests run on.
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
pub fn seed(prefix: &str) -> Vec<u8> {
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
    std::fs::read(path).expect("seed readable")
}

pub const SEEDS: [&str; 5] = ["000", "001", "002", "003", "004"];
