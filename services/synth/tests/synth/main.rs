//! The synth crate's one integration-test binary.

mod cases;

use std::path::PathBuf;

/// `../shared` beside the checkout: the real seeds the cases are generated from.
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
