//! The synth crate's one integration-test binary.

mod cases;

/// The bytes of the seed whose file name starts with `prefix` (e.g. `"004"`), from the
/// repository's `testdata/`.
pub fn seed(prefix: &str) -> Vec<u8> {
    taisho_testkit::seed_bytes(prefix)
}
