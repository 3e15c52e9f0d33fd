//! The case generator and synthetic bodies, without the analysis: the
//! generated-case test that runs them through the analysis is `services/server/tests/server/generated.rs`.

use std::collections::BTreeMap;

use taisho_engine::fold::fold_str;
use taisho_synth::{
    self as synth, CaseSpec, EditKind, ExpectedStatus, FormRewrite, ITEMS, ModelClause, ReasonKind,
};

use crate::seed;

fn base() -> String {
    String::from_utf8(seed("004")).expect("seed 004 is UTF-8")
}

#[test]
fn cases_are_deterministic() {
    let b = base();
    let a = synth::cases(&b).expect("cases");
    let again = synth::cases(&b).expect("cases");
    assert_eq!(a, again);
}

#[test]
fn at_least_100_item_edit_cases_over_every_edit_kind() {
    let cases = synth::cases(&base()).expect("every anchor of seed 004 is found");
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &cases {
        let k = c.edit_kind().map_or("form", EditKind::as_str);
        *per_kind.entry(k).or_default() += 1;
    }
    let edits: usize = cases.iter().filter(|c| c.edit_kind().is_some()).count();
    assert!(edits >= 100, "{edits} item edits: {per_kind:?}");
    for k in EditKind::ALL {
        assert!(
            per_kind.get(k.as_str()).is_some_and(|&n| n > 0),
            "no {k:?} case"
        );
    }
    assert_eq!(per_kind["form"], synth::FORM_CASES);
    insta::assert_yaml_snapshot!("synth_case_counts", per_kind);
}

#[test]
fn case_names_are_unique() {
    let cases = synth::cases(&base()).expect("cases");
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n);
}

#[test]
fn every_edit_changes_the_text_and_states_its_outcome() {
    let b = base();
    for c in synth::cases(&b).expect("cases") {
        assert_ne!(c.text, b, "{} left the text as it was", c.name);
        match c.edit_kind() {
            None | Some(EditKind::Paraphrase) => assert_eq!(c.expected.item, None, "{}", c.name),
            Some(EditKind::Delete) => {
                // Omitted, unless the model's twin still answers part of the item.
                let twin = c.expected.status == ExpectedStatus::Weakened
                    && c.expected.reason == Some(ReasonKind::ElementMissing)
                    && c.expected.element.is_some();
                assert!(
                    c.expected.status == ExpectedStatus::Omitted || twin,
                    "{}",
                    c.name
                );
                assert!(c.text.len() < b.len());
            }
            Some(kind) => {
                assert_eq!(c.expected.status, ExpectedStatus::Weakened, "{}", c.name);
                let reason = match kind {
                    EditKind::Downgrade => ReasonKind::ModalityDowngrade,
                    EditKind::Hedge => ReasonKind::HedgeAdded,
                    EditKind::DropFrequency => ReasonKind::FrequencyRemoved,
                    EditKind::NarrowScope => ReasonKind::ScopeNarrowed,
                    EditKind::ChangeActor => ReasonKind::ActorChanged,
                    _ => ReasonKind::ElementMissing,
                };
                assert_eq!(c.expected.reason, Some(reason), "{}", c.name);
            }
        }
    }
}

#[test]
fn dropped_elements_are_gone_from_the_edited_clause_region() {
    let b = base();
    for c in synth::cases(&b).expect("cases") {
        if let Some(term) = &c.expected.element {
            // The term still occurs elsewhere in the document (a definition, another item),
            // but one occurrence fewer than in the base.
            assert!(
                c.text.matches(term.as_str()).count() < b.matches(term.as_str()).count(),
                "{}: {term} not removed",
                c.name
            );
        }
    }
}

#[test]
fn an_edit_of_an_unknown_item_is_an_error() {
    let spec = CaseSpec::Edit {
        item: "KH-99".into(),
        edit: EditKind::Delete,
        variant: 0,
    };
    assert!(synth::apply(&base(), &spec).is_err());
}

#[test]
fn an_anchor_missing_from_the_base_is_an_error_not_a_silent_no_op() {
    let spec = CaseSpec::Edit {
        item: "KH-6-4".into(),
        edit: EditKind::DropElement,
        variant: 0,
    };
    let err = synth::apply("全く別の文書である。", &spec).expect_err("no anchor");
    assert!(err.to_string().contains("KH-6-4"), "{err}");
}

#[test]
fn items_cover_every_basic_policy_section() {
    for section in 1..=10 {
        let prefix = format!("KH-{section}");
        assert!(
            ITEMS
                .iter()
                .any(|i| i.id == prefix || i.id.starts_with(&format!("{prefix}-"))),
            "no item of section {section}"
        );
    }
}

#[test]
fn notation_variants_fold_to_their_canonical_spelling() {
    for (canonical, variant) in synth::NOTATION_VARIANTS {
        assert_eq!(
            fold_str(variant),
            fold_str(canonical),
            "{variant} / {canonical}"
        );
    }
}

#[test]
fn notation_and_line_breaks_leave_the_folded_text_unchanged() {
    let b = base();
    for rewrites in [
        vec![FormRewrite::Notation],
        vec![FormRewrite::LineBreaks],
        vec![FormRewrite::Notation, FormRewrite::LineBreaks],
    ] {
        let text = synth::rewrite_form(&b, &rewrites, 7).expect("rewrite");
        assert_ne!(text, b);
        assert_eq!(fold_str(&text), fold_str(&b), "{rewrites:?}");
    }
}

#[test]
fn reiki_style_turns_sections_into_articles() {
    let text = synth::rewrite_form(&base(), &[FormRewrite::Reiki], 1).expect("rewrite");
    assert!(text.contains("第1条　目的"));
    assert!(text.contains("第10条　情報セキュリティ実施手順の策定"));
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with('#') || l.starts_with("- "))
    );
}

#[test]
fn full_width_rewrites_digits_and_labels() {
    let text = synth::rewrite_form(&base(), &[FormRewrite::FullWidth], 1).expect("rewrite");
    assert!(text.contains("（１２）"));
    assert!(text.contains("ＬＧＷＡＮ"));
    assert!(!text.chars().any(|c| c.is_ascii_digit()));
}

#[test]
fn reorder_renumbers_shuffled_sections_and_keeps_every_line() {
    let b = base();
    let text = synth::rewrite_form(&b, &[FormRewrite::Reorder], 3).expect("rewrite");
    assert_ne!(text, b);
    // The same sentences, in another order.
    let sorted = |t: &str| {
        let mut v: Vec<String> = t
            .lines()
            .filter(|l| l.contains('。'))
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&text), sorted(&b));
    // Numbering stays in sequence: (1)…(12) in order under 2.
    let nine = text.find("### 9. ").expect("a section 9");
    let ten = text.find("### 10. ").expect("a section 10");
    assert!(nine < ten);
    assert!(
        text[nine..ten].contains("実施手順の策定"),
        "9 and 10 swapped"
    );
}

#[test]
fn page_numbers_are_decorated_lines() {
    let text = synth::rewrite_form(&base(), &[FormRewrite::PageNumbers], 5).expect("rewrite");
    let pages = text
        .lines()
        .filter(|l| {
            let t = l.trim_matches(['-', '－', ' ']);
            !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) && l.contains(['-', '－'])
        })
        .count();
    assert!(pages >= 2, "{pages} page numbers");
}

#[test]
fn bodies_are_deterministic_named_and_vary() {
    let b = base();
    let one = synth::body(42, &b);
    assert_eq!(one, synth::body(42, &b));
    assert!(
        ["市", "町", "村", "組合", "企業団"]
            .iter()
            .any(|s| one.name.ends_with(s)),
        "{}",
        one.name
    );
    assert!(one.text.starts_with(&one.name));
    let corpus = synth::corpus(50, 9, &[&b]);
    let distinct: std::collections::BTreeSet<&str> =
        corpus.iter().map(|c| c.text.as_str()).collect();
    assert!(distinct.len() > 40, "{} distinct texts", distinct.len());
    assert!(corpus.iter().any(|c| !c.edits.is_empty()));
}

#[test]
fn corpus_sizes_follow_the_bases_weights() {
    let small = "1. 目的\n\n本市は、情報資産を守る。\n".to_owned();
    let large = small.repeat(20);
    let corpus = synth::corpus(500, 1, &[&small, &small, &small, &small, &large]);
    let big = corpus
        .iter()
        .filter(|c| c.text.len() > 10 * small.len())
        .count();
    assert!((60..=140).contains(&big), "{big} large bodies of 500");
}

#[test]
fn rendered_model_has_numbered_headings_and_texts() {
    let clauses = vec![
        ModelClause {
            path: "1".into(),
            title: "目的".into(),
            text: "本市は、目的を定める。".into(),
        },
        ModelClause {
            path: "4/(2)".into(),
            title: "情報資産の範囲".into(),
            text: "対象とする情報資産は、次のとおりとする。".into(),
        },
        ModelClause {
            path: "4/(2)/①".into(),
            title: "機器".into(),
            text: "ネットワーク及び情報システム".into(),
        },
    ];
    let text = synth::render_model(&[("情報セキュリティ基本方針", &clauses)]);
    insta::assert_snapshot!("synth_rendered_model", text);
}
