# Taisho tasks. A fresh machine starts with `infra/dev <task>`, which installs `just` and system packages.
set shell := ["bash", "-euo", "pipefail", "-c"]

default:
    @just --list

# Run Taisho with embedded defaults (SQLite in .data/, demo data, the API on http://127.0.0.1:8080).
run:
    cargo run --release -p taisho-server -- serve

# Print a new API key (read access) of an organisation of the embedded store; default the demo prefecture.
key org="デモ県":
    cargo run --release -q -p taisho-server -- keys create --org "{{org}}" --role viewer

# Every test of the workspace; then every snapshot file must have been checked by one of them.
test:
    #!/usr/bin/env bash
    set -euo pipefail
    refs=$(mktemp)
    trap 'rm -f "$refs"' EXIT
    INSTA_SNAPSHOT_REFERENCES_FILE="$refs" cargo test --workspace --locked
    infra/check-snapshots "$refs"

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Dependency policy (deny.toml): licences, bans and sources. Advisories need the RustSec database
# from GitHub, which this workplace cannot reach: `just advisories` where it can.
deny:
    cargo deny --locked check licenses bans sources

advisories:
    cargo deny --locked check advisories

# Criterion benchmarks (figures are ratios against the named baselines in each bench).
bench:
    cargo bench --workspace

# Fuzz decode + parse for SECONDS (needs cargo-fuzz).
fuzz seconds="60":
    cd services/engine/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run read -- -max_total_time={{seconds}}
