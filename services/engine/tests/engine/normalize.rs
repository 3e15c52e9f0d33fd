//! Tests of the normalize stage: artefact removal and line joining with offsets kept.

use taisho_engine::document::ArtefactKind;
use taisho_engine::normalize::{Normalized, normalize};
use taisho_engine::text::MappedText;
use taisho_engine::{Deadline, Limits, read};

use crate::{SEEDS, seed};

fn norm(text: &str) -> Normalized {
    normalize(&MappedText::identity(text), Deadline::unbounded()).expect("normalises")
}

fn clean(text: &str) -> String {
    norm(text).clean.as_str().to_owned()
}

fn artefacts(text: &str) -> Vec<(ArtefactKind, String)> {
    norm(text)
        .artefacts
        .iter()
        .map(|a| (a.kind, text[a.range.clone()].to_owned()))
        .collect()
}

/// A line of `n` full-width chars, the width of a typical wrapped PDF line when `n` is ~38.
fn filler(n: usize) -> String {
    "情報資産の保護".chars().cycle().take(n).collect()
}

// ------------------------------------------------------------------ whitespace

#[test]
fn trailing_spaces_carriage_returns_and_leading_full_width_spaces_are_not_content() {
    assert_eq!(
        clean("１ 目的 \r\n\u{3000}本方針は定める。 \r\n"),
        "１ 目的\n本方針は定める。"
    );
}

#[test]
fn blank_lines_disappear_and_logical_lines_are_separated_by_one_newline() {
    assert_eq!(
        clean("\n\n甲とする。\n\n \n\n乙とする。\n\n"),
        "甲とする。\n乙とする。"
    );
}

// ------------------------------------------------------------------ page numbers

#[test]
fn a_bare_number_between_page_breaks_that_breaks_the_sequence_is_a_page_number() {
    let text = "１ 目的\n本方針は定める。\n\n\n12\n\n\n２ 定義\n";
    assert_eq!(
        artefacts(text),
        [(ArtefactKind::PageNumber, "12".to_owned())]
    );
    assert_eq!(clean(text), "１ 目的\n本方針は定める。\n２ 定義");
}

#[test]
fn a_bare_number_continuing_the_numbering_before_a_short_line_is_a_heading_label() {
    let text = "１ 目的\n本方針は定める。\n\n２\n定義\n用語の意義は次のとおり。\n";
    assert!(artefacts(text).is_empty());
    assert_eq!(
        clean(text),
        "１ 目的\n本方針は定める。\n２\n定義\n用語の意義は次のとおり。"
    );
}

#[test]
fn decorated_page_numbers_are_removed() {
    let text = "甲とする。\n- 3 -\n乙とする。\nⅰ- 2\n丙とする。\n3 / 12\n丁とする。\n";
    let kinds: Vec<ArtefactKind> = artefacts(text).into_iter().map(|a| a.0).collect();
    assert_eq!(kinds, [ArtefactKind::PageNumber; 3]);
    assert_eq!(
        clean(text),
        "甲とする。\n乙とする。\n丙とする。\n丁とする。"
    );
}

#[test]
fn a_page_number_inside_a_broken_sentence_is_removed_and_the_sentence_joined() {
    let line = format!(
        "情報システム管理者は、パソコン等の端末の持ち出しについて、{}",
        filler(8)
    );
    let text = format!("{line}\n\n12\n\n保管しなければならない。\n");
    let mut many = String::new();
    for _ in 0..5 {
        many.push_str(&format!("{}\n", filler(37)));
    }
    let full = format!("{many}。\n{text}");
    let out = clean(&full);
    assert!(
        out.ends_with(&format!("{line}保管しなければならない。")),
        "{out}"
    );
}

// ------------------------------------------------------------------ tables of contents

#[test]
fn a_table_of_contents_with_tabs_and_page_numbers_is_an_artefact() {
    let text = "目的の文書\n\n1\t目的\t1\n2\t定義\t1\n\t(1) 情報セキュリティ\t1\n3\t範囲\t2\n\n1 目的\n本文。\n";
    let found = artefacts(text);
    assert_eq!(found.len(), 4);
    assert!(found.iter().all(|a| a.0 == ArtefactKind::TableOfContents));
    assert_eq!(found[2].1, "(1) 情報セキュリティ\t1");
    assert_eq!(clean(text), "目的の文書\n1 目的\n本文。");
}

#[test]
fn a_table_of_contents_with_dot_leaders_and_its_title_is_an_artefact() {
    let text = "目　次\n第１章 総則……………1\n第２章 管理………………5\n第１章 総則\n本文。\n";
    let found = artefacts(text);
    assert_eq!(found.len(), 3);
    assert_eq!(
        found[0],
        (ArtefactKind::TableOfContents, "目　次".to_owned())
    );
    assert_eq!(clean(text), "第１章 総則\n本文。");
}

#[test]
fn a_single_line_ending_in_a_number_is_not_a_table_of_contents() {
    let text = "パスワードは8文字以上　12\n本文。\n";
    assert!(artefacts(text).is_empty());
}

// ------------------------------------------------------------------ running headers

#[test]
fn a_short_line_recurring_on_every_page_is_a_running_header() {
    let mut text = String::from("成田市情報セキュリティポリシー\n");
    for i in 1..=5 {
        text.push_str(&format!(
            "第{i}条 規定\n本文{i}。\n成田市情報セキュリティポリシー\n"
        ));
    }
    let found = artefacts(&text);
    assert_eq!(found.len(), 5, "the first line (the title) stays");
    assert!(found.iter().all(|a| a.0 == ArtefactKind::RunningHeader));
    assert!(clean(&text).starts_with("成田市情報セキュリティポリシー\n第1条 規定"));
}

#[test]
fn running_headers_with_page_numbers_match_each_other() {
    let mut text = String::new();
    for i in 1..=4 {
        text.push_str(&format!("本文{i}。\n基本方針 {i}/4\n"));
    }
    assert_eq!(artefacts(&text).len(), 4);
}

#[test]
fn a_line_recurring_three_times_is_kept() {
    let text = "・バックアップ\n本文。\n・バックアップ\n本文。\n注記あり\n注記あり\n注記あり\n";
    assert!(artefacts(text).is_empty());
}

// ------------------------------------------------------------------ line joining

#[test]
fn a_word_broken_across_lines_is_joined_into_one_sentence() {
    let text = "７ 監査\n 情報セキュリティポリシーの遵守状況を検証するため、必要に応じて情報セキュリテ \nィ監査及び自己点検を実施する。 \n";
    assert_eq!(
        clean(text),
        "７ 監査\n情報セキュリティポリシーの遵守状況を検証するため、必要に応じて情報セキュリティ監査及び自己点検を実施する。"
    );
}

#[test]
fn full_width_lines_are_joined_across_blank_lines_but_headings_stay_alone() {
    let mut text = String::from("１ 目的\n\n");
    let mut expected = String::from("１ 目的\n");
    for i in 0..4 {
        let line = format!("{}{}", filler(36), i);
        text.push_str(&format!("{line}\n\n"));
        expected.push_str(&line);
    }
    text.push_str("とする。\n\n２ 定義\n");
    expected.push_str("とする。\n２ 定義");
    assert_eq!(clean(&text), expected);
}

#[test]
fn a_line_ending_in_a_comma_or_inside_brackets_continues() {
    assert_eq!(
        clean("規定違反、\n\n設計の不備等\n"),
        "規定違反、設計の不備等"
    );
    assert_eq!(
        clean("構成機器（ハードウエア及び\nソフトウエア）をいう。\n"),
        "構成機器（ハードウエア及びソフトウエア）をいう。"
    );
}

#[test]
fn a_closing_bracket_ends_the_line_unless_a_particle_follows() {
    assert_eq!(
        clean("「ポリシー」(以下「方針」という。)\nは、定める。\n"),
        "「ポリシー」(以下「方針」という。)は、定める。"
    );
    assert_eq!(clean("(基本方針)\n令和8年3月\n"), "(基本方針)\n令和8年3月");
}

#[test]
fn a_short_heading_is_not_joined_to_its_body() {
    assert_eq!(
        clean("(1) ネットワーク\nコンピュータ等を接続する通信網をいう。\n"),
        "(1) ネットワーク\nコンピュータ等を接続する通信網をいう。"
    );
    assert_eq!(
        clean("情報セキュリティ基本方針\n山武郡市広域水道企業団\n"),
        "情報セキュリティ基本方針\n山武郡市広域水道企業団"
    );
}

#[test]
fn a_line_is_never_joined_onto_a_following_label_or_markdown_heading() {
    assert_eq!(
        clean("情報資産の漏えい・破壊・消去等\n(3) 地震\n"),
        "情報資産の漏えい・破壊・消去等\n(3) 地震"
    );
    assert_eq!(
        clean("## 2. 定義\n### (1) ネットワーク\n"),
        "## 2. 定義\n### (1) ネットワーク"
    );
}

#[test]
fn latin_words_broken_across_lines_get_a_space_back() {
    assert_eq!(
        clean("接続系、LGWAN\nand more、\nです。\n"),
        "接続系、LGWAN\nand more、です。"
    );
    assert_eq!(
        clean("Local Government、\nWide Area Network。\n"),
        "Local Government、Wide Area Network。"
    );
}

#[test]
fn every_clean_byte_maps_into_the_original() {
    let text = " 本基本方針は、本組合が保有する情報資産の機密性、完全性及び可用性を維持するた \nめ、定める。 \r\n\n- 2 -\n";
    let n = norm(text);
    let c = n.clean.as_str();
    assert_eq!(
        &text[n.clean.to_original(0..c.len())],
        "本基本方針は、本組合が保有する情報資産の機密性、完全性及び可用性を維持するた \nめ、定める。"
    );
    assert_eq!(
        n.artefacts[0].range,
        text.find("- 2 -").map(|s| s..s + 5).unwrap_or_default()
    );
}

// ------------------------------------------------------------------ seeds

fn seed_artefacts(prefix: &str) -> Vec<(ArtefactKind, String)> {
    let d = read(&seed(prefix), Some("policy.txt"), &Limits::default()).expect("seed readable");
    d.artefacts
        .iter()
        .map(|a| (a.kind, d.original[a.range.clone()].to_owned()))
        .collect()
}

#[test]
fn seed_001_table_of_contents_lines_are_artefacts() {
    let found = seed_artefacts("001");
    assert_eq!(found.len(), 27);
    assert!(found.iter().all(|a| a.0 == ArtefactKind::TableOfContents));
    assert_eq!(found[0].1, "1\t目的\t1");
}

#[test]
fn seed_003_page_number_is_removed_and_the_sentence_around_it_joined() {
    let found = seed_artefacts("003");
    assert_eq!(found, [(ArtefactKind::PageNumber, "12".to_owned())]);
    let d = read(&seed("003"), Some("policy.txt"), &Limits::default()).expect("seed readable");
    assert!(d.clean.as_str().contains(
        "情報システム管理者は、パソコン等の端末の持ち出しについて、記録を作成し、保管しなければならない。"
    ));
}

#[test]
fn seed_000_and_002_have_no_broken_words_left() {
    for s in ["000", "002"] {
        let d = read(&seed(s), Some("policy.txt"), &Limits::default()).expect("seed readable");
        for line in d.clean.as_str().lines() {
            assert!(
                !line.ends_with("セキュ")
                    && !line.ends_with("セキュリ")
                    && !line.ends_with("情報セキュリテ"),
                "seed {s}: broken line {line}"
            );
        }
        assert!(d.clean.as_str().contains("情報セキュリティ"));
    }
}

#[test]
fn seed_artefacts_snapshot() {
    for s in SEEDS {
        insta::assert_yaml_snapshot!(format!("artefacts_{s}"), seed_artefacts(s));
    }
}

#[test]
fn seed_clean_text_snapshot() {
    for s in SEEDS {
        let d = read(&seed(s), Some("policy.txt"), &Limits::default()).expect("seed readable");
        insta::assert_snapshot!(format!("clean_{s}"), d.clean.as_str());
    }
}

#[test]
fn pathological_repetitions_of_artefact_shapes_stay_linear() {
    let started = std::time::Instant::now();
    for text in [
        "目次\n1\t目的\t1\n".repeat(50_000),
        "12\n\n\n".repeat(100_000),
        "成田市\n".repeat(100_000),
        format!("{}\n", "情報".repeat(40)).repeat(50_000),
    ] {
        let n = norm(&text);
        assert!(n.clean.len() <= text.len() + text.len() / 2);
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
