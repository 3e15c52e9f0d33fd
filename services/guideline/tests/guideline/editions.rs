//! Edition resolution and the differences between editions.

use taisho_guideline::{Catalog, CatalogError, EditionId};

#[test]
fn builtin_editions_are_listed_oldest_first() {
    assert_eq!(
        Catalog::builtin_editions(),
        [EditionId::R5_3, EditionId::R6_10, EditionId::R7_3]
    );
}

#[test]
fn default_baseline_is_r5_3() {
    let catalog = Catalog::builtin_default().expect("default loads");
    assert_eq!(catalog.edition, EditionId::R5_3);
    assert_eq!(catalog.lineage.len(), 1);
    assert_eq!(catalog.lineage[0].base, None);
}

#[test]
fn r6_10_has_the_3a_3b_3c_classification_and_r5_3_does_not() {
    let old = Catalog::builtin(EditionId::R5_3).expect("R5.3");
    let new = Catalog::load("r6.10".parse().expect("edition")).expect("R6.10");
    let terms = |c: &Catalog| -> Vec<String> {
        c.items
            .iter()
            .flat_map(|i| {
                i.elements
                    .iter()
                    .flat_map(|e| e.surfaces().map(str::to_owned))
            })
            .collect()
    };
    for label in ["自治体機密性3A", "自治体機密性3B", "自治体機密性3C"] {
        assert!(
            terms(&new).iter().any(|t| t == label),
            "R6.10 lacks {label}"
        );
        assert!(!terms(&old).iter().any(|t| t == label), "R5.3 has {label}");
    }
    assert!(old.item("TK-3-1-1").is_some() && old.item("TK-3-1-1n").is_none());
    assert!(new.item("TK-3-1-1").is_none());
    let retired = new.retired("TK-3-1-1").expect("retirement recorded");
    assert_eq!(retired.edition, EditionId::R6_10);
    assert_eq!(retired.replaced_by.as_deref(), Some("TK-3-1-1n"));
    // The replacement takes the retired item's place in model order.
    let position = |id: &str| new.items.iter().position(|i| i.id == id);
    assert_eq!(position("TK-3-1-1n").map(|p| p + 1), position("TK-3-1-2"));
    assert_eq!(
        new.item("TK-4.2-2").and_then(|i| i.since),
        Some(EditionId::R6_10)
    );
}

#[test]
fn r7_3_resolves_through_r6_10_to_r5_3() {
    let catalog = Catalog::builtin(EditionId::R7_3).expect("R7.3");
    let chain: Vec<EditionId> = catalog.lineage.iter().map(|e| e.id).collect();
    assert_eq!(chain, [EditionId::R5_3, EditionId::R6_10, EditionId::R7_3]);
    assert_eq!(catalog.lineage[2].base, Some(EditionId::R6_10));
    assert!(
        catalog.item("TK-3-1-1n").is_some(),
        "R6.10 additions carry forward"
    );
}

#[test]
fn unknown_edition_is_a_clear_error() {
    let edition: EditionId = "R9.9".parse().expect("well-formed");
    let err = Catalog::builtin(edition).expect_err("no such edition");
    assert!(matches!(err, CatalogError::UnknownEdition { .. }));
    let message = err.to_string();
    assert!(
        message.contains("R9.9") && message.contains("R5.3, R6.10, R7.3"),
        "{message}"
    );
}

#[test]
fn edition_names_parse_from_common_spellings_and_reject_others() {
    assert_eq!("R6.10".parse::<EditionId>(), Ok(EditionId::R6_10));
    assert_eq!("r6.10".parse::<EditionId>(), Ok(EditionId::R6_10));
    let err = "6.10".parse::<EditionId>().expect_err("no R prefix");
    assert!(err.to_string().contains("`6.10` is not an edition"));
}

#[test]
fn changes_between_editions_snapshot() {
    let r5 = Catalog::builtin(EditionId::R5_3).expect("R5.3");
    let r6 = Catalog::builtin(EditionId::R6_10).expect("R6.10");
    let r7 = Catalog::builtin(EditionId::R7_3).expect("R7.3");
    insta::assert_yaml_snapshot!("r5_3_to_r6_10", r6.changes_since(&r5));
    insta::assert_yaml_snapshot!("r6_10_to_r7_3", r7.changes_since(&r6));
    let across = r7.changes_since(&r5);
    assert!(across.changed.iter().any(|c| c.id == "TK-4.1-4"));
    assert!(across.added.contains(&"TK-4.2-2".to_owned()));
    assert!(r5.changes_since(&r5).is_empty());
}
