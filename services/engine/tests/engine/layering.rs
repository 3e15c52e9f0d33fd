//! The engine's I/O-freedom as a checked rule over its dependency graph, with the seam around it.
//!
//! `clippy.toml` keeps the engine's own code from touching files, the network, the environment
//! or the clock; these tests keep it from pulling in a runtime, a database or HTTP through a
//! dependency, and keep the tokenizer seam (`taisho-morph`) between the engine and the
//! dictionary-backed tokenizer (`taisho-japanese`), so that neither rebuilds the other.

use std::process::Command;

/// Crate families no I/O-free crate may reach: async runtime, databases, HTTP. A name matches
/// the family and its parts (`tokio-util`, `sqlx-core`, `sea-orm-macros`, `hyper-util`, …).
const FORBIDDEN: [&str; 6] = ["tokio", "sqlx", "sea-orm", "actix", "hyper", "reqwest"];

/// The package names in `package`'s normal (non-dev, non-build) dependency graph, itself included.
fn normal_graph(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["tree", "--locked", "-p", package, "-e", "normal"])
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let graph: Vec<String> = String::from_utf8(out.stdout)
        .expect("cargo tree prints UTF-8")
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert!(
        graph.iter().any(|name| name == package),
        "cargo tree -p {package} printed no graph: {graph:?}"
    );
    graph
}

fn forbidden_in(graph: &[String]) -> Vec<&str> {
    graph
        .iter()
        .map(String::as_str)
        .filter(|name| {
            FORBIDDEN
                .iter()
                .any(|f| name == f || name.strip_prefix(f).is_some_and(|r| r.starts_with('-')))
        })
        .collect()
}

#[test]
fn the_engine_depends_on_no_runtime_database_or_http() {
    let graph = normal_graph("taisho-engine");
    assert_eq!(forbidden_in(&graph), Vec::<&str>::new(), "{graph:?}");
}

#[test]
fn the_tokenizer_seam_depends_on_no_runtime_database_or_http() {
    let graph = normal_graph("taisho-morph");
    assert_eq!(forbidden_in(&graph), Vec::<&str>::new(), "{graph:?}");
}

#[test]
fn engine_and_tokenizer_meet_only_at_the_seam() {
    let japanese = normal_graph("taisho-japanese");
    assert!(japanese.iter().any(|n| n == "taisho-morph"), "{japanese:?}");
    assert!(
        !japanese.iter().any(|n| n == "taisho-engine"),
        "{japanese:?}"
    );
    let engine = normal_graph("taisho-engine");
    assert!(!engine.iter().any(|n| n == "taisho-japanese"), "{engine:?}");
}

#[test]
fn the_family_match_catches_parts_and_spares_look_alikes() {
    let graph: Vec<String> = [
        "tokio-util",
        "hyper",
        "sqlx-core",
        "hyperlocal2",
        "tokiox",
        "serde",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(forbidden_in(&graph), ["tokio-util", "hyper", "sqlx-core"]);
}
