//! Every loader rule rejects bad data with a message naming the file, the item and the field.

use taisho_guideline::{Catalog, CatalogError, EditionId, Problem};

use crate::TempDir;

const ITEM: &str = r#"
[[item]]
id = "KH-1"
path = "1"
title = "目的"
kind = "definition"
modality = "D"
evidence = ["S"]
confidence = "H"
summary = "Purpose of the policy."
text = "本市は、情報資産の機密性を維持する。"
elements = [{ term = "情報資産" }]
"#;

/// A one-edition catalog (R5.3) whose kihon file holds `items`.
fn base(items: &str) -> TempDir {
    let dir = TempDir::create();
    dir.write(
        "r5.3/edition.toml",
        "edition = \"R5.3\"\nfiles = [\"kihon.toml\"]\n",
    )
    .write("r5.3/kihon.toml", &format!("layer = \"kihon\"\n{items}"));
    dir
}

fn item_with(from: &str, to: &str) -> String {
    assert!(ITEM.contains(from), "fixture lacks {from}");
    ITEM.replace(from, to)
}

fn load_err(dir: &TempDir, edition: EditionId) -> CatalogError {
    match Catalog::from_dir(dir.path(), edition) {
        Ok(_) => panic!("bad data was accepted"),
        Err(e) => e,
    }
}

/// Asserts the error is a rule violation in `file` (suffix), on `item`, field `field`, and
/// that the message says so.
fn assert_names(err: &CatalogError, file: &str, item: Option<&str>, field: &str) -> Problem {
    let message = err.to_string();
    let CatalogError::Invalid {
        file: f,
        item: i,
        field: fl,
        problem,
    } = err
    else {
        panic!("expected a rule violation, got: {message}");
    };
    assert!(f.ends_with(file), "file {f} in: {message}");
    assert_eq!(i.as_deref(), item, "item in: {message}");
    assert_eq!(fl, field, "field in: {message}");
    assert!(message.contains(file), "{message}");
    if let Some(item) = item {
        assert!(message.contains(&format!("item {item}")), "{message}");
    }
    assert!(message.contains(&format!("field `{field}`")), "{message}");
    problem.as_ref().clone()
}

#[test]
fn minimal_catalog_loads() {
    let dir = base(ITEM);
    let catalog = Catalog::from_dir(dir.path(), EditionId::R5_3).expect("valid data loads");
    assert_eq!(catalog.len(), 1);
}

#[test]
fn duplicate_ids_are_rejected() {
    let dir = base(&format!(
        "{ITEM}{}",
        item_with("path = \"1\"", "path = \"2\"")
    ));
    let err = load_err(&dir, EditionId::R5_3);
    let problem = assert_names(&err, "r5.3/kihon.toml", Some("KH-1"), "id");
    assert_eq!(problem, Problem::DuplicateId("KH-1".into()));
}

#[test]
fn ids_outside_the_scheme_are_rejected() {
    let dir = base(&item_with("id = \"KH-1\"", "id = \"KH-1a\""));
    let err = load_err(&dir, EditionId::R5_3);
    assert_names(&err, "r5.3/kihon.toml", Some("KH-1a"), "id");
    assert!(err.to_string().contains("not a catalog ID"));
}

#[test]
fn ids_of_the_other_layer_are_rejected() {
    let dir = base(&item_with("id = \"KH-1\"", "id = \"TK-1-1\""));
    let err = load_err(&dir, EditionId::R5_3);
    let problem = assert_names(&err, "r5.3/kihon.toml", Some("TK-1-1"), "id");
    assert!(matches!(problem, Problem::WrongLayer { .. }));
}

#[test]
fn unknown_codes_are_rejected_with_the_expected_list() {
    let cases = [
        (
            "kind = \"definition\"",
            "kind = \"policy\"",
            "kind",
            "definition, threat",
        ),
        (
            "modality = \"D\"",
            "modality = \"Must\"",
            "modality",
            "M, D, F, P, W, Rec",
        ),
        (
            "evidence = [\"S\"]",
            "evidence = [\"S\", \"X\"]",
            "evidence[1]",
            "S-old",
        ),
        (
            "confidence = \"H\"",
            "confidence = \"high\"",
            "confidence",
            "H, M, L",
        ),
    ];
    for (from, to, field, expected) in cases {
        let dir = base(&item_with(from, to));
        let err = load_err(&dir, EditionId::R5_3);
        let problem = assert_names(&err, "r5.3/kihon.toml", Some("KH-1"), field);
        assert!(matches!(problem, Problem::UnknownCode { .. }), "{field}");
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn items_without_key_elements_are_rejected() {
    let dir = base(&item_with(
        "elements = [{ term = \"情報資産\" }]",
        "elements = []",
    ));
    let err = load_err(&dir, EditionId::R5_3);
    let problem = assert_names(&err, "r5.3/kihon.toml", Some("KH-1"), "elements");
    assert_eq!(problem, Problem::NoElements);
}

#[test]
fn elements_without_a_term_are_rejected() {
    let dir = base(&item_with(
        "elements = [{ term = \"情報資産\" }]",
        "elements = [{ term = \"情報資産\" }, { variants = [\"資産\"] }]",
    ));
    let err = load_err(&dir, EditionId::R5_3);
    assert_names(&err, "r5.3/kihon.toml", Some("KH-1"), "elements[1].term");
}

#[test]
fn empty_title_and_text_are_rejected() {
    for (from, to, field) in [
        ("title = \"目的\"", "title = \"  \"", "title"),
        (
            "text = \"本市は、情報資産の機密性を維持する。\"",
            "text = \"\"",
            "text",
        ),
    ] {
        let dir = base(&item_with(from, to));
        let err = load_err(&dir, EditionId::R5_3);
        let problem = assert_names(&err, "r5.3/kihon.toml", Some("KH-1"), field);
        assert_eq!(problem, Problem::Empty);
    }
}

#[test]
fn missing_fields_are_named() {
    let dir = base(&item_with("summary = \"Purpose of the policy.\"\n", ""));
    let err = load_err(&dir, EditionId::R5_3);
    let problem = assert_names(&err, "r5.3/kihon.toml", Some("KH-1"), "summary");
    assert_eq!(problem, Problem::Missing);
}

#[test]
fn unknown_modality_is_only_for_placeholders() {
    let dir = base(&item_with("modality = \"D\"", "modality = \"?\""));
    let err = load_err(&dir, EditionId::R5_3);
    assert_names(&err, "r5.3/kihon.toml", Some("KH-1"), "modality");
    let ok = base(&item_with(
        "modality = \"D\"",
        "modality = \"?\"\nstatus = \"placeholder\"",
    ));
    assert!(Catalog::from_dir(ok.path(), EditionId::R5_3).is_ok());
}

#[test]
fn thresholds_need_a_bound() {
    let dir = base(&format!(
        "{ITEM}thresholds = [{{ parameter = \"password_length\" }}]\n"
    ));
    let err = load_err(&dir, EditionId::R5_3);
    let problem = assert_names(&err, "r5.3/kihon.toml", Some("KH-1"), "thresholds[0]");
    assert_eq!(problem, Problem::ThresholdWithoutBound);
}

#[test]
fn paths_must_be_unique_within_a_layer() {
    let second = item_with("id = \"KH-1\"", "id = \"KH-2\"");
    let dir = base(&format!("{ITEM}{second}"));
    let err = load_err(&dir, EditionId::R5_3);
    let problem = assert_names(&err, "r5.3/kihon.toml", Some("KH-2"), "path");
    assert_eq!(
        problem,
        Problem::DuplicatePath {
            path: "1".into(),
            other: "KH-1".into()
        }
    );
}

#[test]
fn syntax_errors_name_the_file_and_line() {
    let dir = base("[[item]\nid = ");
    let err = load_err(&dir, EditionId::R5_3);
    assert!(matches!(err, CatalogError::Syntax { .. }));
    let message = err.to_string();
    assert!(
        message.contains("r5.3/kihon.toml") && message.contains("line 2"),
        "{message}"
    );
}

/// R5.3 with one item plus an R6.10 delta file.
fn with_delta(delta: &str) -> TempDir {
    let dir = base(ITEM);
    dir.write("r6.10.toml", delta);
    dir
}

#[test]
fn edition_base_must_exist() {
    let dir = with_delta("edition = \"R6.10\"\nbase = \"R4.3\"\n");
    let err = load_err(&dir, EditionId::R6_10);
    let problem = assert_names(&err, "r6.10.toml", None, "base");
    assert_eq!(problem, Problem::UnknownBase("R4.3".into()));

    let dir = with_delta("edition = \"R6.10\"\nbase = \"latest\"\n");
    let err = load_err(&dir, EditionId::R6_10);
    assert_names(&err, "r6.10.toml", None, "base");

    let dir = with_delta("edition = \"R6.10\"\n");
    let err = load_err(&dir, EditionId::R6_10);
    assert_eq!(
        assert_names(&err, "r6.10.toml", None, "base"),
        Problem::Missing
    );
}

#[test]
fn edition_cycles_are_rejected() {
    let dir = with_delta("edition = \"R6.10\"\nbase = \"R7.3\"\n");
    dir.write("r7.3.toml", "edition = \"R7.3\"\nbase = \"R6.10\"\n");
    let err = load_err(&dir, EditionId::R6_10);
    let problem = assert_names(&err, "r7.3.toml", None, "base");
    assert_eq!(problem, Problem::Cycle("R6.10 → R7.3 → R6.10".into()));
}

#[test]
fn edition_file_must_name_its_own_edition() {
    let dir = with_delta("edition = \"R6.9\"\nbase = \"R5.3\"\n");
    let err = load_err(&dir, EditionId::R6_10);
    let problem = assert_names(&err, "r6.10.toml", None, "edition");
    assert!(matches!(problem, Problem::EditionMismatch { .. }));
}

#[test]
fn changes_and_retirements_must_refer_to_existing_items() {
    let dir = with_delta(
        "edition = \"R6.10\"\nbase = \"R5.3\"\n[[change]]\nid = \"KH-9\"\ntitle = \"x\"\n",
    );
    let err = load_err(&dir, EditionId::R6_10);
    let problem = assert_names(&err, "r6.10.toml", Some("KH-9"), "id");
    assert_eq!(problem, Problem::NoSuchItem("KH-9".into()));

    let dir = with_delta("edition = \"R6.10\"\nbase = \"R5.3\"\n[[retire]]\nid = \"KH-8\"\n");
    let err = load_err(&dir, EditionId::R6_10);
    assert_names(&err, "r6.10.toml", Some("KH-8"), "id");

    let dir = with_delta(
        "edition = \"R6.10\"\nbase = \"R5.3\"\n[[retire]]\nid = \"KH-1\"\nreplaced_by = \"KH-99\"\n",
    );
    let err = load_err(&dir, EditionId::R6_10);
    assert_names(&err, "r6.10.toml", Some("KH-1"), "replaced_by");
}

#[test]
fn changes_are_validated_like_items() {
    let dir = with_delta(
        "edition = \"R6.10\"\nbase = \"R5.3\"\n[[change]]\nid = \"KH-1\"\nkind = \"rule\"\n",
    );
    let err = load_err(&dir, EditionId::R6_10);
    assert_names(&err, "r6.10.toml", Some("KH-1"), "kind");

    let dir = with_delta(
        "edition = \"R6.10\"\nbase = \"R5.3\"\n[[change]]\nid = \"KH-1\"\nelements = []\n",
    );
    let err = load_err(&dir, EditionId::R6_10);
    assert_eq!(
        assert_names(&err, "r6.10.toml", Some("KH-1"), "elements"),
        Problem::NoElements
    );
}

#[test]
fn additions_must_be_new_and_placed_after_an_existing_item() {
    let added = ITEM.replace("[[item]]", "[[add]]");
    let dir = with_delta(&format!("edition = \"R6.10\"\nbase = \"R5.3\"\n{added}"));
    let err = load_err(&dir, EditionId::R6_10);
    let problem = assert_names(&err, "r6.10.toml", Some("KH-1"), "id");
    assert_eq!(problem, Problem::AlreadyExists("KH-1".into()));

    let added = item_with("id = \"KH-1\"", "id = \"KH-2\"\nafter = \"KH-7\"")
        .replace("path = \"1\"", "path = \"2\"")
        .replace("[[item]]", "[[add]]");
    let dir = with_delta(&format!("edition = \"R6.10\"\nbase = \"R5.3\"\n{added}"));
    let err = load_err(&dir, EditionId::R6_10);
    assert_names(&err, "r6.10.toml", Some("KH-2"), "after");

    // The same addition with a valid place loads and is marked with its edition.
    let ok = with_delta(&format!(
        "edition = \"R6.10\"\nbase = \"R5.3\"\n{}",
        added.replace("after = \"KH-7\"", "after = \"KH-1\"")
    ));
    let catalog = Catalog::from_dir(ok.path(), EditionId::R6_10).expect("valid delta");
    assert_eq!(
        catalog.item("KH-2").and_then(|i| i.since),
        Some(EditionId::R6_10)
    );
}

#[test]
fn added_item_with_a_duplicate_path_is_rejected() {
    let added = item_with("id = \"KH-1\"", "id = \"KH-2\"").replace("[[item]]", "[[add]]");
    let dir = with_delta(&format!("edition = \"R6.10\"\nbase = \"R5.3\"\n{added}"));
    let err = load_err(&dir, EditionId::R6_10);
    assert_names(&err, "r6.10.toml", Some("KH-2"), "path");
}
