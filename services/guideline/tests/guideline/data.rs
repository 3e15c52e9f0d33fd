//! The built-in data: coverage of the outline and the seed labels, and the facts the gap
//! analysis depends on (pitfalls note).

use std::collections::BTreeSet;
use std::fmt::Write;

use taisho_guideline::{Catalog, EditionId, Kind, Layer, Modality, Status};

use crate::testdata;

fn r5_3() -> Catalog {
    Catalog::builtin(EditionId::R5_3).expect("built-in R5.3 loads")
}

/// IDs in the first column of the outline's table rows.
fn outline_ids() -> BTreeSet<String> {
    let text = std::fs::read_to_string(testdata().join("guideline/outline.md")).expect("outline");
    text.lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|rest| rest.split(" |").next())
        .map(str::trim)
        .filter(|id| id.starts_with("KH-") || id.starts_with("TK-"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_outline_id_exists_in_r5_3_or_in_the_edition_that_introduced_it() {
    let ids = outline_ids();
    assert!(
        ids.len() > 350,
        "outline parse found only {} IDs",
        ids.len()
    );
    let base = r5_3();
    let r6_10 = Catalog::builtin(EditionId::R6_10).expect("R6.10 loads");
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| {
            base.item(id).is_none()
                && r6_10.item(id).and_then(|i| i.since) != Some(EditionId::R6_10)
        })
        .collect();
    assert!(missing.is_empty(), "not in the catalog: {missing:?}");
    // And nothing in the catalog that the outline does not know (the product may add IDs,
    // but today every one comes from the outline).
    let extra: Vec<&str> = r6_10
        .items
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| !ids.contains(*id))
        .collect();
    assert!(extra.is_empty(), "IDs not in the outline: {extra:?}");
}

#[test]
fn every_seed_label_id_exists_in_r5_3() {
    let text =
        std::fs::read_to_string(testdata().join("eval/seed-labels.tsv")).expect("seed labels");
    let catalog = r5_3();
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let id = line.split('\t').nth(1).expect("item column");
        assert!(
            catalog.item(id).is_some(),
            "seed label names unknown item {id}"
        );
        checked += 1;
    }
    assert!(checked > 100, "only {checked} labels read");
}

#[test]
fn r5_3_has_both_layers_in_model_order() {
    let catalog = r5_3();
    assert_eq!(catalog.items_in(Layer::Kihon).count(), 47);
    assert_eq!(catalog.items_in(Layer::Taisaku).count(), 336);
    assert_eq!(catalog.items[0].id, "KH-1");
    assert_eq!(
        catalog
            .items_in(Layer::Taisaku)
            .next()
            .map(|i| i.id.as_str()),
        Some("TK-1-1")
    );
    assert!(catalog.items.iter().all(|i| i.since.is_none()));
}

#[test]
fn every_item_has_text_elements_and_a_summary() {
    for item in &r5_3().items {
        assert!(!item.elements.is_empty(), "{}", item.id);
        assert!(
            !item.title.is_empty() && !item.text.is_empty(),
            "{}",
            item.id
        );
        // One or two sentences in the administrative style, not a copied passage.
        assert!(
            item.text.chars().count() <= 260,
            "{} text too long",
            item.id
        );
        assert!(
            item.text
                .chars()
                .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
            "{}",
            item.id
        );
        assert!(
            item.summary.is_ascii() || item.summary.contains(' '),
            "{}",
            item.id
        );
    }
}

#[test]
fn lead_items_are_parents_of_their_sub_items() {
    let catalog = r5_3();
    let threats: Vec<&str> = catalog.children("KH-3").map(|i| i.id.as_str()).collect();
    assert_eq!(threats, ["KH-3-1", "KH-3-2", "KH-3-3", "KH-3-4", "KH-3-5"]);
    assert!(catalog.children("KH-3").all(|i| i.kind == Kind::Threat));
    assert_eq!(
        catalog.item("KH-6-3-1").and_then(|i| i.parent.as_deref()),
        Some("KH-6-3")
    );
    assert_eq!(
        catalog.item("KH-6-9-1").and_then(|i| i.parent.as_deref()),
        Some("KH-6")
    );
}

#[test]
fn native_hedges_of_the_model_are_recorded() {
    let catalog = r5_3();
    let hedges = |id: &str| {
        catalog
            .item(id)
            .map(|i| i.hedges.clone())
            .unwrap_or_default()
    };
    assert_eq!(hedges("KH-6-3-1"), ["原則として"]);
    assert_eq!(hedges("KH-6-8-1"), ["必要に応じて"]);
    assert_eq!(hedges("KH-6-9-2"), ["適宜"]);
    // 001's 「原則として」 in KH-6-3-3 is an added hedge because the model has none there.
    assert!(hedges("KH-6-3-3").is_empty());
    assert_eq!(hedges("TK-5.3-2"), ["できる限り"]);
    assert_eq!(hedges("TK-2-8-1"), ["やむを得ない場合を除き"]);
}

#[test]
fn audit_requires_both_frequency_words_and_is_not_inspection() {
    let catalog = r5_3();
    for id in ["KH-7", "KH-6-9-1"] {
        let item = catalog.item(id).expect(id);
        assert_eq!(item.frequency, ["定期的", "必要に応じて"], "{id}");
        let audit = item
            .elements
            .iter()
            .find(|e| e.term == "監査")
            .expect("監査 element");
        assert!(audit.false_friends.contains(&"点検".to_owned()));
        assert!(!audit.surfaces().any(|s| s == "点検"));
    }
    assert_eq!(
        catalog.item("TK-8.1-1").map(|i| i.frequency.clone()),
        Some(vec!["常時".into()])
    );
}

#[test]
fn threat_and_room_synonyms_from_the_seeds_are_accepted() {
    let catalog = r5_3();
    let surfaces = |id: &str, term: &str| -> Vec<String> {
        catalog
            .item(id)
            .and_then(|i| i.elements.iter().find(|e| e.term == term))
            .map(|e| e.surfaces().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    assert!(surfaces("KH-3-4", "疾病").contains(&"疫病".to_owned()));
    assert!(surfaces("KH-3-5", "電力供給の途絶").contains(&"停電".to_owned()));
    assert!(surfaces("KH-6-4", "情報システム室").contains(&"管理区域".to_owned()));
    assert!(surfaces("KH-6-3-1", "住民情報").contains(&"契約者情報".to_owned()));
    // The physical-measures item lists four objects, all required (000 omits 情報システム室).
    let objects = catalog
        .item("KH-6-4")
        .map(|i| i.required_elements().count());
    assert_eq!(objects, Some(4));
}

#[test]
fn password_strength_is_qualitative_with_a_good_practice_minimum() {
    let catalog = r5_3();
    let item = catalog.item("TK-6.4-3-2").expect("password item");
    let t = &item.thresholds[0];
    assert_eq!(t.parameter, "password_length");
    assert_eq!(t.min, None, "the model sets no number");
    assert_eq!(t.qualitative.as_deref(), Some("十分な長さ"));
    assert_eq!(t.good_practice_min, Some(8));
    let training = catalog.item("TK-6.2-2b").expect("training item");
    assert_eq!(training.thresholds[0].min, Some(1));
}

#[test]
fn unverified_items_are_marked_so_they_are_never_reported_as_omitted() {
    let catalog = r5_3();
    let placeholder = catalog.item("TK-7.1-22").expect("TK-7.1-22");
    assert_eq!(placeholder.status, Status::Placeholder);
    assert_eq!(placeholder.modality, Modality::Unknown);
    assert_eq!(
        catalog.item("TK-6.4-3-x").map(|i| i.status),
        Some(Status::Lineage)
    );
    let normative = catalog
        .items
        .iter()
        .filter(|i| i.status == Status::Normative)
        .count();
    assert_eq!(normative, catalog.len() - 2);
}

#[test]
fn custom_directory_with_the_builtin_layout_loads_the_same_catalog() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    for edition in Catalog::builtin_editions() {
        let from_dir = Catalog::from_dir(&dir, edition).expect("data dir loads");
        let builtin = Catalog::builtin(edition).expect("builtin loads");
        assert_eq!(from_dir.items, builtin.items, "{edition}");
    }
}

#[test]
fn catalog_summary_snapshot() {
    let mut out = String::new();
    let catalog = r5_3();
    for item in &catalog.items {
        let secondary = item
            .secondary_modality
            .map(|m| format!("+{}", m.code()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {} {} {}{} el={} req={} hedges={} freq={} ev={} cf={}",
            item.id,
            item.path,
            item.kind.as_str(),
            item.modality.code(),
            secondary,
            item.elements.len(),
            item.required_elements().count(),
            item.hedges.join(","),
            item.frequency.join(","),
            item.evidence
                .iter()
                .map(|e| e.code())
                .collect::<Vec<_>>()
                .join(","),
            item.confidence.code(),
        );
    }
    insta::assert_snapshot!(out);
}

#[test]
fn item_serialises_with_codes_as_in_the_data_files() {
    let catalog = r5_3();
    insta::assert_yaml_snapshot!(catalog.item("KH-6-3-1"));
}

#[test]
fn the_model_text_contains_every_required_element() {
    // The evidence view highlights the elements in the model's own text; an element that the
    // text does not contain would point at nothing.
    for edition in Catalog::builtin_editions() {
        let catalog = Catalog::builtin(edition).expect("loads");
        for item in catalog
            .items
            .iter()
            .filter(|i| i.status == Status::Normative)
        {
            for element in item.required_elements() {
                assert!(
                    element.surfaces().any(|s| item.text.contains(s)),
                    "{edition} {}: text lacks element {}",
                    item.id,
                    element.term
                );
            }
        }
    }
}
