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

// The repository's test data (`testdata/`): the real seeds, fixtures and labels the tests run on.
// `seed(prefix)` is the seed's bytes.
pub use taisho_testkit::{SEEDS, seed_bytes as seed, testdata};
