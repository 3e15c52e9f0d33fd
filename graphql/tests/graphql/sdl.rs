//! `graphql/schema.graphql` is the schema the code builds.

use std::path::Path;

#[test]
fn schema_file_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let sdl = taisho_graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some_and(|v| v == "1") {
        std::fs::write(&path, &sdl).expect("writing schema.graphql");
        return;
    }
    let file = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        file == sdl,
        "graphql/schema.graphql differs from taisho_graphql::sdl(); run \
         `UPDATE_SCHEMA=1 cargo test -p taisho-graphql --test graphql sdl` and review the diff"
    );
}
