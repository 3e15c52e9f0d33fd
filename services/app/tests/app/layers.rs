//! The app is the one door into the store: no crate above it (GraphQL, the server, the web UI, or
//! anything built on them) names `taisho-store` as a dependency of any kind. Checked over
//! `cargo metadata`, so a new dependency line fails here rather than in review.

use std::process::Command;

use serde_json::Value;

/// The crates above the app; whatever depends on one of them is above it too.
const ABOVE_APP: &[&str] = &["taisho-graphql", "taisho-web", "taisho-server"];

fn dependencies(package: &Value) -> impl Iterator<Item = &Value> {
    package["dependencies"].as_array().into_iter().flatten()
}

#[test]
fn no_crate_above_the_app_depends_on_the_store() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let name = |p: &Value| p["name"].as_str().unwrap_or_default().to_owned();
    let above: Vec<&Value> = packages
        .iter()
        .filter(|p| {
            ABOVE_APP.contains(&name(p).as_str())
                || dependencies(p).any(|d| ABOVE_APP.contains(&d["name"].as_str().unwrap_or("")))
        })
        .collect();
    // Not vacuous: the crates this guards are found.
    for guarded in ["taisho-graphql", "taisho-server"] {
        assert!(
            above.iter().any(|p| name(p) == guarded),
            "{guarded} is not in the workspace metadata"
        );
    }
    let offenders: Vec<String> = above
        .iter()
        .flat_map(|p| {
            dependencies(p)
                .filter(|d| d["name"] == "taisho-store")
                .map(move |d| {
                    let kind = d["kind"].as_str().unwrap_or("normal");
                    format!("{} ({kind})", name(p))
                })
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "crates above the app depend on taisho-store: {offenders:?}; reach the store through \
         taisho-app (its use-cases, `records`, `runtime`, and `testing` for tests)"
    );
}
