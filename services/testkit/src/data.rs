//! The repository's test data (`testdata/` at the top of the checkout): the five seeds, their PDF and
//! DOCX renderings, the hand-made labels and the guideline outline. Tests read them from here and
//! nowhere else; `testdata/README.md` says where each file comes from.

use std::path::{Path, PathBuf};

/// The prefixes of the five seeds, in file-name order.
pub const SEEDS: [&str; 5] = ["000", "001", "002", "003", "004"];

/// The `testdata/` folder of this checkout. Its layout is the one of `../shared` (`seeds/`,
/// `fixtures/`, `eval/seed-labels.tsv`, `guideline/outline.md`).
pub fn testdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// The seed whose file name starts with `prefix` (e.g. `"004"`): `testdata/seeds/<prefix>_….txt`.
pub fn seed_path(prefix: &str) -> PathBuf {
    let dir = testdata().join("seeds");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("the test data {}: {e}", dir.display()));
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".txt"))
        })
        .collect();
    found.sort();
    match found.as_slice() {
        [one] => one.clone(),
        [] => panic!("no seed {prefix} in {}", dir.display()),
        many => panic!("seed prefix {prefix} is ambiguous: {many:?}"),
    }
}

/// The seed's file name (e.g. `004_fa25c78c324100d4.txt`).
pub fn seed_name(prefix: &str) -> String {
    let path = seed_path(prefix);
    path.file_name().and_then(|n| n.to_str()).map_or_else(
        || panic!("seed file name {}", path.display()),
        str::to_owned,
    )
}

/// The seed's file name and bytes.
pub fn seed(prefix: &str) -> (String, Vec<u8>) {
    (seed_name(prefix), seed_bytes(prefix))
}

/// The seed's bytes, as a body would upload them.
pub fn seed_bytes(prefix: &str) -> Vec<u8> {
    let path = seed_path(prefix);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The seed's text (every seed is UTF-8).
pub fn seed_text(prefix: &str) -> String {
    String::from_utf8(seed_bytes(prefix)).unwrap_or_else(|_| panic!("seed {prefix} is not UTF-8"))
}
