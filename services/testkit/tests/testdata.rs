//! The repository's `testdata/` against its source: byte for byte the same as the test data of
//! `../shared` beside the checkout, when that folder is there; and complete in itself (every seed
//! with its fixtures and labels), always.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use taisho_testkit::{SEEDS, seed_name, seed_path, testdata};

/// The folders of `../shared` the tests read; its `notes/` and `hooks/` are not test data.
const COPIED: [&str; 4] = ["seeds", "fixtures", "eval", "guideline"];

/// `../shared` beside the checkout (or `TAISHO_SHARED_DIR`), if it exists.
fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("TAISHO_SHARED_DIR")
        .map_or_else(|| testdata().join("../../shared"), PathBuf::from);
    std::fs::canonicalize(&dir).ok().filter(|d| d.is_dir())
}

/// Every file below `root/<folder>` for the copied folders: relative path → bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .expect("below the root")
                    .to_string_lossy()
                    .into_owned();
                let bytes =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    for folder in COPIED {
        walk(root, &root.join(folder), &mut out);
    }
    out
}

#[test]
fn testdata_is_a_byte_identical_copy_of_shared() {
    let Some(shared) = shared() else {
        println!(
            "skipped: no ../shared beside the checkout of {} (a plain clone); testdata/ is not compared",
            testdata().display()
        );
        return;
    };
    let ours = files(&testdata());
    let theirs = files(&shared);
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&ours),
        names(&theirs),
        "testdata/ and {} hold different files",
        shared.display()
    );
    let differ: Vec<&String> = ours
        .iter()
        .filter(|(name, bytes)| theirs.get(*name) != Some(*bytes))
        .map(|(name, _)| name)
        .collect();
    assert!(
        differ.is_empty(),
        "differ from {}: {differ:?}",
        shared.display()
    );
    println!(
        "testdata/: {} files identical to {}",
        ours.len(),
        shared.display()
    );
}

#[test]
fn every_seed_has_its_fixtures_and_labels() {
    let labels =
        std::fs::read_to_string(testdata().join("eval/seed-labels.tsv")).expect("labels readable");
    for prefix in SEEDS {
        let name = seed_name(prefix);
        assert!(seed_path(prefix).is_file(), "{name}");
        let stem = name.trim_end_matches(".txt");
        for ext in ["pdf", "docx"] {
            let fixture = testdata().join(format!("fixtures/{ext}/{stem}.{ext}"));
            assert!(fixture.is_file(), "missing {}", fixture.display());
        }
        assert!(
            labels.lines().any(|l| l.starts_with(&format!("{name}\t"))),
            "no labels for {name}"
        );
    }
    assert!(testdata().join("guideline/outline.md").is_file());
}
