//! The engine's one integration-test binary; one module per stage.

mod decode;
mod diff;
mod fold;
mod normalize;
mod structure;
mod synth;
mod tokens;

// The repository's test data (`testdata/`): the real seeds, fixtures and labels the tests run on.
// `seed(prefix)` is the seed's bytes.
pub use taisho_testkit::{SEEDS, seed_bytes as seed, testdata};
