# Taisho tasks. A fresh machine starts with `infra/dev <task>`, which installs `just` and system packages.
set shell := ["bash", "-euo", "pipefail", "-c"]

default:
    @just --list

# Run Taisho with embedded defaults on demo data.
run:
    cargo build --release -p taisho-server
    mkdir -p .data
    ./target/release/taisho demo --out .data

# Every test of the workspace.
test:
    cargo test --workspace --locked

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Criterion benchmarks (figures are ratios against the named baselines in each bench).
bench:
    cargo bench --workspace

# Fuzz decode + parse for SECONDS (needs cargo-fuzz).
fuzz seconds="60":
    cd services/engine/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run read -- -max_total_time={{seconds}}
