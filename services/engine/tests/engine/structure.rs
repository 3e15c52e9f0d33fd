//! Tests of the structure stage: numbering schemes, hierarchy, headings, sentences, tables, 例規
//! layout (条・項・号), and the shape of the five real seeds.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use taisho_engine::document::{Document, Node, NodeKind, Scheme, SentenceRole};
use taisho_engine::structure::PREFACE_PATH as PREFACE;
use taisho_engine::{Limits, read};

use crate::{SEEDS, seed};

fn doc(text: &str) -> Document {
    read(text.as_bytes(), Some("policy.txt"), &Limits::default()).expect("readable")
}

fn seed_doc(prefix: &str) -> Document {
    read(&seed(prefix), Some("policy.txt"), &Limits::default()).expect("seed readable")
}

fn children<'a>(d: &'a Document, n: &Node) -> Vec<&'a Node> {
    n.children.iter().map(|&c| d.node(c)).collect()
}

fn sections<'a>(d: &'a Document, n: &Node) -> Vec<&'a Node> {
    children(d, n)
        .into_iter()
        .filter(|c| c.kind == NodeKind::Section)
        .collect()
}

fn paths(nodes: &[&Node]) -> Vec<String> {
    nodes.iter().map(|n| n.path.clone()).collect()
}

fn node<'a>(d: &'a Document, path: &str) -> &'a Node {
    d.find(path)
        .unwrap_or_else(|| panic!("no node {path}; have {:?}", all_paths(d)))
}

fn all_paths(d: &Document) -> Vec<&str> {
    d.walk().map(|n| n.path.as_str()).collect()
}

fn body_text(d: &Document, n: &Node) -> Vec<String> {
    d.body(n.id)
        .map(|s| d.sentence_text(s).to_owned())
        .collect()
}

fn descendants<'a>(d: &'a Document, n: &'a Node) -> Vec<&'a Node> {
    let mut out = Vec::new();
    let mut stack: Vec<&Node> = children(d, n);
    while let Some(c) = stack.pop() {
        stack.extend(children(d, c));
        out.push(c);
    }
    out
}

// ------------------------------------------------------------------ numbering schemes

#[test]
fn chapters_articles_and_paragraph_numbers_nest_in_order_of_appearance() {
    let d = doc(
        "第１章 総則\n第１条 目的\nこの規程は定める。\n第２条 定義\n第２章 管理\n第３条 体制\n本文。\n",
    );
    assert_eq!(paths(&sections(&d, d.root())), ["第１章", "第２章"]);
    assert_eq!(
        paths(&sections(&d, node(&d, "第１章"))),
        ["第１章/第１条", "第１章/第２条"]
    );
    let art = node(&d, "第２章/第３条");
    assert_eq!(
        art.label.as_ref().map(|l| (l.scheme, l.ordinal)),
        Some((Scheme::Article, 3))
    );
    assert_eq!(d.heading_text(art.id), Some("体制"));
}

#[test]
fn kanji_numbered_chapters_are_labels() {
    let d = doc("第一章 総則\n本文。\n第十二章 雑則\n本文。\n");
    let ords: Vec<u32> = sections(&d, d.root())
        .iter()
        .filter_map(|n| n.label.as_ref().map(|l| l.ordinal))
        .collect();
    assert_eq!(ords, [1, 12]);
}

#[test]
fn arabic_labels_in_every_width_and_form_are_one_scheme() {
    let d = doc(
        "1 目的\n本文。\n２ 定義\n本文。\n3. 範囲\n本文。\n４． 義務\n本文。\n10 手順\n本文。\n",
    );
    let top = sections(&d, d.root());
    assert_eq!(paths(&top), ["1", "２", "3", "４", "10"]);
    assert!(
        top.iter()
            .all(|n| n.label.as_ref().is_some_and(|l| l.scheme == Scheme::Arabic))
    );
}

#[test]
fn parenthesised_numbers_of_either_width_give_stable_half_width_bracket_paths() {
    let d = doc("1 定義\n（１） ネットワーク\n通信網をいう。\n(２) 情報システム\n仕組みをいう。\n");
    assert_eq!(paths(&sections(&d, node(&d, "1"))), ["1/(１)", "1/(２)"]);
    let n = node(&d, "1/(１)");
    assert_eq!(n.label.as_ref().map(|l| l.text.as_str()), Some("（１）"));
    assert_eq!(d.heading_text(n.id), Some("ネットワーク"));
}

#[test]
fn circled_numbers_are_labels_with_or_without_a_space() {
    let d = doc("(2) 範囲\n①ネットワーク及び設備\n② 情報\n⑳ 最後\n");
    let items = sections(&d, node(&d, "(2)"));
    assert_eq!(paths(&items), ["(2)/①", "(2)/②", "(2)/⑳"]);
    assert_eq!(items[2].label.as_ref().map(|l| l.ordinal), Some(20));
    // A leaf's text is its content, not a heading.
    assert_eq!(body_text(&d, items[0]), ["ネットワーク及び設備"]);
}

#[test]
fn katakana_and_bracketed_katakana_are_separate_levels() {
    let d = doc(
        "① 管理\nア 責任\n(ア) 管理者は保管する。\n(イ) 管理者は廃棄する。\nイ 表示\n職員は表示する。\n",
    );
    assert_eq!(paths(&sections(&d, node(&d, "①"))), ["①/ア", "①/イ"]);
    assert_eq!(
        paths(&sections(&d, node(&d, "①/ア"))),
        ["①/ア/(ア)", "①/ア/(イ)"]
    );
    assert_eq!(
        node(&d, "①/ア/(イ)").label.as_ref().map(|l| l.scheme),
        Some(Scheme::ParenKatakana)
    );
}

#[test]
fn katakana_words_at_line_start_are_not_labels() {
    let d = doc("1 目的\nアクセス制御を行う。\nイメージを保存する。\n");
    assert!(sections(&d, node(&d, "1")).is_empty());
    assert_eq!(body_text(&d, node(&d, "1")).len(), 2);
}

#[test]
fn small_roman_numerals_nest_under_katakana() {
    let d = doc(
        "イ 利用者ＩＤの取扱い\nⅰ 管理者は定める。\nⅱ 職員は通知する。\nⅲ 管理者は点検する。\nウ 特権\n",
    );
    let items = sections(&d, node(&d, "イ"));
    assert_eq!(paths(&items), ["イ/ⅰ", "イ/ⅱ", "イ/ⅲ"]);
    assert!(
        items
            .iter()
            .all(|n| n.label.as_ref().is_some_and(|l| l.scheme == Scheme::Roman))
    );
    assert!(d.find("ウ").is_some());
}

#[test]
fn numbering_outranks_markdown_heading_depth() {
    let d = doc(
        "## 1. 目的\n本文。\n## 2. 定義\n### (1) 甲\n甲をいう。\n#### (2) 乙\n乙をいう。\n### 3. 範囲\n本文。\n",
    );
    assert_eq!(paths(&sections(&d, d.root())), ["1", "2", "3"]);
    assert_eq!(paths(&sections(&d, node(&d, "2"))), ["2/(1)", "2/(2)"]);
}

#[test]
fn unnumbered_markdown_headings_nest_by_level() {
    let d = doc("# 方針\n## 目的\n本文。\n### 詳細\n詳細。\n## 範囲\n範囲。\n");
    assert_eq!(paths(&sections(&d, d.root())), ["#1"]);
    assert_eq!(paths(&sections(&d, node(&d, "#1"))), ["#1/#1", "#1/#2"]);
    assert_eq!(d.heading_text(node(&d, "#1/#2").id), Some("範囲"));
    assert_eq!(
        node(&d, "#1/#1/#1").label.as_ref().map(|l| l.scheme),
        Some(Scheme::MarkdownHeading)
    );
}

#[test]
fn bullets_are_numbered_children_and_a_bullet_with_a_label_takes_the_label() {
    let d = doc("(3) 項目\n・障害の内容\n・障害の原因\n");
    let kids = sections(&d, node(&d, "(3)"));
    assert_eq!(paths(&kids), ["(3)/・1", "(3)/・2"]);
    assert_eq!(
        kids[0].label.as_ref().map(|l| l.scheme),
        Some(Scheme::Bullet)
    );
    // `- (1)` is a numbered item written as a Markdown list item: the number is the label.
    let d = doc("1 脅威\n- (1) 攻撃等\n- (2) 事故等\n");
    assert_eq!(paths(&sections(&d, node(&d, "1"))), ["1/(1)", "1/(2)"]);
}

#[test]
fn same_scheme_sits_at_different_depths_in_different_documents() {
    let a = doc("1 目的\n(1) 甲\n本文。\n");
    let b = doc("第１章 総則\n(1) 甲\n本文。\n");
    assert!(a.find("1/(1)").is_some());
    assert!(b.find("第１章/(1)").is_some());
}

#[test]
fn numbers_inside_sentences_are_not_labels() {
    let d = doc(
        "6 対策\n上記３の脅威から保護する。\n第２章に定める基準による。\n(1)の分類に基づき管理する。\n３の脅威は重大である。\n",
    );
    assert!(sections(&d, node(&d, "6")).is_empty());
    assert_eq!(body_text(&d, node(&d, "6")).len(), 4);
}

#[test]
fn a_label_alone_on_its_line_takes_the_next_short_line_as_heading() {
    let d = doc("第１章\n総則\n本文。\n");
    let n = node(&d, "第１章");
    assert_eq!(d.heading_text(n.id), Some("総則"));
    assert_eq!(body_text(&d, n), ["本文。"]);
}

#[test]
fn label_followed_by_a_sentence_is_body_not_heading() {
    let d = doc("(1) 適用範囲は、全ての情報資産とする。\n(2) 範囲\n本文。\n");
    let n = node(&d, "(1)");
    assert_eq!(n.heading, None);
    assert_eq!(body_text(&d, n), ["適用範囲は、全ての情報資産とする。"]);
    assert_eq!(d.heading_text(node(&d, "(2)").id), Some("範囲"));
}

#[test]
fn repeated_labels_under_one_parent_get_unique_paths() {
    let d = doc("(1) 甲\n(1) 乙\n(1) 丙\n");
    assert_eq!(paths(&sections(&d, d.root())), ["(1)", "(1)~2", "(1)~3"]);
}

// ------------------------------------------------------------------ sentences, preface, tables

#[test]
fn body_splits_at_maru_but_not_inside_quotes_or_brackets() {
    let d = doc("1 目的\n職員等（以下「職員」という。）は遵守する。また、「例。」を守る。\n");
    assert_eq!(
        body_text(&d, node(&d, "1")),
        [
            "職員等（以下「職員」という。）は遵守する。",
            "また、「例。」を守る。"
        ]
    );
}

#[test]
fn text_before_the_first_label_is_the_preface() {
    let d = doc("情報セキュリティ基本方針\n令和8年3月\n1 目的\n本文。\n");
    let pre = &children(&d, d.root())[0];
    assert_eq!(pre.kind, NodeKind::Preface);
    assert_eq!(pre.path, "序");
    assert_eq!(
        body_text(&d, pre),
        ["情報セキュリティ基本方針", "令和8年3月"]
    );
}

#[test]
fn a_table_header_opens_a_table_whose_rows_are_sentences() {
    let d = doc(
        "① 機密性による分類\n分類 分類基準 取扱制限\n機密性３ 秘密文書に相当する情報資産\n・作業禁止\n・暗号化\n機密性２ それ以外\n② 完全性による分類\n本文。\n",
    );
    let table = node(&d, "①/表1");
    assert_eq!(table.kind, NodeKind::Table);
    let rows = body_text(&d, table);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0], "分類 分類基準 取扱制限");
    assert!(rows[1].starts_with("機密性３") && rows[1].ends_with("・暗号化"));
    assert!(d.find("②").is_some(), "the next label ends the table");
}

#[test]
fn sentence_and_node_ranges_map_back_to_the_original() {
    let text = "1 目的 \r\n 本基本方針は、情報資産の機密性を維持するた\r\n\r\nめ、定める。\r\n";
    let d = doc(text);
    let n = node(&d, "1");
    let s = d.body(n.id).next().expect("a body sentence");
    let sent = d.sentence(s);
    assert_eq!(
        d.sentence_text(s),
        "本基本方針は、情報資産の機密性を維持するため、定める。"
    );
    assert_eq!(
        &d.original[sent.range.clone()],
        "本基本方針は、情報資産の機密性を維持するた\r\n\r\nめ、定める。"
    );
    assert!(d.original[n.range.clone()].starts_with("1 目的"));
    assert_eq!(sent.role, SentenceRole::Body);
}

// ------------------------------------------------------------------ seeds

#[test]
fn seed_004_has_ten_sections_and_twelve_definitions_despite_inconsistent_markdown() {
    let d = seed_doc("004");
    let top = sections(&d, d.root());
    assert_eq!(
        paths(&top),
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
    );
    let defs = sections(&d, node(&d, "2"));
    assert_eq!(defs.len(), 12);
    // 「#### (12)」 beside 「### (11)」 is still the twelfth definition.
    assert_eq!(d.heading_text(node(&d, "2/(12)").id), Some("無害化通信"));
    // 「### 3.」 beside 「## 1.」 is still a top-level section.
    assert_eq!(d.heading_text(node(&d, "3").id), Some("対象とする脅威"));
    assert_eq!(sections(&d, node(&d, "3")).len(), 5);
    assert_eq!(sections(&d, node(&d, "6")).len(), 9);
}

#[test]
fn seed_002_definitions_have_thirteen_items() {
    let d = seed_doc("002");
    assert_eq!(d.heading_text(node(&d, "２").id), Some("定義"));
    let defs = sections(&d, node(&d, "２"));
    assert_eq!(defs.len(), 13);
    assert_eq!(d.heading_text(node(&d, "２/(13)").id), Some("無害化通信"));
    assert_eq!(sections(&d, d.root()).len(), 10);
}

#[test]
fn seed_003_has_preface_two_chapters_and_three_classification_tables() {
    let d = seed_doc("003");
    let top = children(&d, d.root());
    assert_eq!(top[0].kind, NodeKind::Preface);
    assert!(body_text(&d, top[0])[0].starts_with("序"));
    assert_eq!(paths(&sections(&d, d.root())), ["第１章", "第２章"]);
    assert_eq!(sections(&d, node(&d, "第１章")).len(), 12);
    assert_eq!(sections(&d, node(&d, "第２章")).len(), 7);
    let tables: Vec<&Node> = descendants(&d, node(&d, "第２章/２/(１)"))
        .into_iter()
        .filter(|n| n.kind == NodeKind::Table)
        .collect();
    assert_eq!(tables.len(), 3);
    assert!(d.find("第２章/５/(４)/②/イ").is_some());
}

#[test]
fn seed_003_password_rule_is_one_sentence() {
    let d = seed_doc("003");
    let n = node(&d, "第２章/４/(４)/②/イ");
    assert_eq!(
        body_text(&d, n),
        ["パスワードは基本的に4文字以上とし、文字列は想像しにくいものにしなければならない。"]
    );
}

#[test]
fn seed_001_own_table_of_contents_is_not_parsed_as_sections() {
    let d = seed_doc("001");
    let top = sections(&d, d.root());
    assert_eq!(paths(&top), ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    // Each section appears once, with its body (not the TOC line).
    assert!(!body_text(&d, node(&d, "1")).is_empty());
    assert_eq!(sections(&d, node(&d, "2")).len(), 8);
    assert_eq!(sections(&d, node(&d, "6/(2)")).len(), 5);
}

#[test]
fn seed_000_has_ten_sections_joined_sentences_and_no_page_numbers() {
    let d = seed_doc("000");
    let top = sections(&d, d.root());
    assert_eq!(
        paths(&top),
        ["１", "２", "３", "４", "５", "６", "７", "８", "９", "１０"]
    );
    assert_eq!(
        body_text(&d, node(&d, "７")),
        [
            "情報セキュリティポリシーの遵守状況を検証するため、必要に応じて情報セキュリティ監査及び自己点検を実施する。"
        ]
    );
    let all: Vec<&str> = (0..d.sentences.len())
        .map(|i| d.sentence_text(taisho_engine::SentenceId(i as u32)))
        .collect();
    assert!(
        all.iter()
            .any(|s| s.contains("適宜情報セキュリティポリシーの見直しを行う。"))
    );
    assert!(
        all.iter()
            .all(|s| !s.ends_with("セキュ") && !s.ends_with("情報セキュリテ"))
    );
    assert!(all.iter().all(|s| s.chars().any(|c| !c.is_ascii_digit())));
}

#[test]
fn seed_trees_snapshot() {
    for s in SEEDS {
        let d = seed_doc(s);
        insta::assert_yaml_snapshot!(format!("tree_{s}"), d.tree());
    }
}

// ------------------------------------------------------------------ 例規 (条・項・号)

fn label_of(n: &Node) -> Option<(Scheme, u32, &str)> {
    n.label
        .as_ref()
        .map(|l| (l.scheme, l.ordinal, l.text.as_str()))
}

#[test]
fn kanji_numbered_items_are_go_of_the_article() {
    let d = doc(
        "第２条　次の各号に掲げる用語の意義は、当該各号に定めるところによる。\n一　ネットワーク　通信網をいう。\n二　情報システム　仕組みをいう。\n十一　通信経路の分割　分離することをいう。\n",
    );
    let items = sections(&d, node(&d, "第２条"));
    assert_eq!(paths(&items), ["第２条/一", "第２条/二", "第２条/十一"]);
    assert_eq!(label_of(items[2]), Some((Scheme::KanjiNumeral, 11, "十一")));
    assert_eq!(body_text(&d, items[0]), ["ネットワーク　通信網をいう。"]);
}

#[test]
fn kanji_words_at_line_start_stay_body_text() {
    let d = doc("第１条　目的\n一部事務組合は定める。\n十分な対策を講じる。\n一、総則\n");
    assert!(sections(&d, node(&d, "第１条")).is_empty());
    assert_eq!(body_text(&d, node(&d, "第１条")).len(), 3);
}

#[test]
fn a_tab_after_a_label_separates_like_a_space() {
    let d = doc(
        "第１条\tこの方針は定める。\n一\t本文である。\n二\t本文である。\n２\t前項の規定による。\n",
    );
    assert_eq!(
        paths(&sections(&d, node(&d, "第１条"))),
        ["第１条/一", "第１条/二", "第１条/２"]
    );
    assert_eq!(body_text(&d, node(&d, "第１条")), ["この方針は定める。"]);
    assert_eq!(body_text(&d, node(&d, "第１条/一")), ["本文である。"]);
}

#[test]
fn branch_articles_are_siblings_of_the_articles_around_them() {
    let d = doc(
        "第３条　職員は守る。\n第３条の２　職員は報告する。\n第４条　町長は定める。\n第４条の規定により処理する。\n",
    );
    assert_eq!(
        paths(&sections(&d, d.root())),
        ["第３条", "第３条の２", "第４条"]
    );
    assert_eq!(
        label_of(node(&d, "第３条の２")),
        Some((Scheme::Article, 3, "第３条の２"))
    );
    // 「第４条の規定により」 is a reference, so body text.
    assert_eq!(body_text(&d, node(&d, "第４条")).len(), 2);
}

#[test]
fn a_caption_line_heads_the_article_below_it() {
    let d = doc("（目的）\n第１条　この方針は定める。\n（定義）\n第２条　用語の意義による。\n");
    assert!(d.find(PREFACE).is_none(), "{:?}", all_paths(&d));
    let first = node(&d, "第１条");
    assert_eq!(d.heading_text(first.id), Some("目的"));
    assert_eq!(body_text(&d, first), ["この方針は定める。"]);
    assert!(d.original[first.range.clone()].starts_with("（目的）"));
    assert_eq!(d.heading_text(node(&d, "第２条").id), Some("定義"));
}

#[test]
fn a_caption_makes_the_short_text_of_its_article_body() {
    let d = doc("（削除）\n第３条　削除\n");
    let n = node(&d, "第３条");
    assert_eq!(d.heading_text(n.id), Some("削除"));
    assert_eq!(body_text(&d, n), ["削除"]);
}

#[test]
fn a_caption_written_after_the_article_number_is_its_heading() {
    let d = doc("第１条（目的）　この方針は定める。\n第２条（定義）\n用語の意義による。\n");
    assert_eq!(d.heading_text(node(&d, "第１条").id), Some("目的"));
    assert_eq!(body_text(&d, node(&d, "第１条")), ["この方針は定める。"]);
    assert_eq!(d.heading_text(node(&d, "第２条").id), Some("定義"));
    assert_eq!(body_text(&d, node(&d, "第２条")), ["用語の意義による。"]);
}

#[test]
fn a_bracketed_line_not_followed_by_an_article_stays_where_it_was() {
    let d = doc("1 目的\n本文。\n（注）\n2 範囲\n本文。\n（参考）\n");
    assert_eq!(body_text(&d, node(&d, "1")), ["本文。", "（注）"]);
    assert_eq!(body_text(&d, node(&d, "2")), ["本文。", "（参考）"]);
    // Alone after a label, it is still that label's heading.
    let d = doc("第１章\n（総則）\n本文。\n");
    assert_eq!(d.heading_text(node(&d, "第１章").id), Some("（総則）"));
}

#[test]
fn numbered_paragraphs_nest_under_their_article_and_go_under_the_paragraph() {
    let d = doc(
        "第４条　この方針は適用する。\n一　甲をいう。\n二　乙をいう。\n２　前項の規定にかかわらず、次のとおりとする。\n一　丙をいう。\n3　半角の項である。\n第５条　職員は守る。\n２　職員は報告する。\n",
    );
    assert_eq!(
        paths(&sections(&d, node(&d, "第４条"))),
        ["第４条/一", "第４条/二", "第４条/２", "第４条/3"]
    );
    assert_eq!(
        paths(&sections(&d, node(&d, "第４条/２"))),
        ["第４条/２/一"]
    );
    assert_eq!(
        label_of(node(&d, "第４条/２")),
        Some((Scheme::Paragraph, 2, "２"))
    );
    assert_eq!(body_text(&d, node(&d, "第４条")), ["この方針は適用する。"]);
    assert_eq!(paths(&sections(&d, node(&d, "第５条"))), ["第５条/２"]);
}

#[test]
fn bare_numbers_outside_articles_stay_arabic_sections() {
    let d = doc("1 目的\n本文。\n２　定義\n本文。\n");
    assert_eq!(paths(&sections(&d, d.root())), ["1", "２"]);
    assert_eq!(label_of(node(&d, "２")).map(|l| l.0), Some(Scheme::Arabic));
}

#[test]
fn a_circle_glued_to_the_first_line_is_a_title_not_a_bullet() {
    for title in ["○○○町情報セキュリティ基本方針", "○情報セキュリティポリシー"]
    {
        let d = doc(&format!("{title}\n（目的）\n第１条　この方針は定める。\n"));
        assert_eq!(body_text(&d, node(&d, PREFACE)), [title]);
        assert_eq!(
            paths(&sections(&d, d.root())),
            ["第１条"],
            "{:?}",
            all_paths(&d)
        );
    }
    // After a label, or with a space after it, ○ is still a bullet.
    let d = doc("1 項目\n○障害の内容\n○ 障害の原因\n");
    assert_eq!(paths(&sections(&d, node(&d, "1"))), ["1/・1", "1/・2"]);
    let d = doc("○ 障害の内容\n");
    assert_eq!(
        label_of(sections(&d, d.root())[0]).map(|l| l.0),
        Some(Scheme::Bullet)
    );
}

#[test]
fn supplementary_provisions_and_appendices_leave_the_articles() {
    let d = doc(
        "第１条　職員は守る。\n２　職員は報告する。\n別表（第１条関係）\n(1)\t重要性分類Ⅰ\n第２条　町長は定める。\n附　則\nこの訓令は、公布の日から施行する。\n附　則（令和７年訓令第３号）\nこの訓令は、令和７年４月１日から施行する。\n",
    );
    assert_eq!(
        paths(&sections(&d, d.root())),
        ["第１条", "別表", "第２条", "附則", "附則~2"]
    );
    assert_eq!(paths(&sections(&d, node(&d, "別表"))), ["別表/(1)"]);
    assert_eq!(
        label_of(node(&d, "附則")),
        Some((Scheme::SupplementaryProvisions, 1, "附　則"))
    );
    assert_eq!(
        body_text(&d, node(&d, "附則")),
        ["この訓令は、公布の日から施行する。"]
    );
    assert_eq!(
        d.heading_text(node(&d, "附則~2").id),
        Some("（令和７年訓令第３号）")
    );
}

fn reiki_html() -> Document {
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/engine/decode/reiki.html"),
    )
    .expect("fixture readable");
    read(&bytes, Some("reiki.html"), &Limits::default()).expect("readable")
}

fn reiki_kihon() -> Document {
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/engine/structure/reiki_kihon.txt"),
    )
    .expect("fixture readable");
    read(&bytes, Some("reiki_kihon.txt"), &Limits::default()).expect("readable")
}

#[test]
fn reiki_page_keeps_articles_paragraphs_and_items() {
    let d = reiki_html();
    assert_eq!(
        all_paths(&d),
        [
            "",
            "序",
            "第１条",
            "第２条",
            "第２条/一",
            "第２条/二",
            "第２条/２",
            "第２条/３",
            "別表",
            "別表/(1)",
            "別表/(2)",
            "第３条",
            "第３条の２",
            "附則",
        ]
    );
    assert_eq!(
        body_text(&d, node(&d, PREFACE)),
        [
            "○○町情報セキュリティ基本方針",
            "平成２７年３月３１日",
            "訓令第５号"
        ]
    );
    let art = node(&d, "第１条");
    assert_eq!(d.heading_text(art.id), Some("目的"));
    assert!(body_text(&d, art)[0].starts_with("この方針は、○○町（以下「本町」という。）"));
    // The node's range starts at the caption in the HTML source.
    assert!(d.original[art.range.clone()].starts_with("（目的）"));
    assert_eq!(d.heading_text(node(&d, "第２条").id), Some("定義"));
    assert_eq!(
        body_text(&d, node(&d, "第２条")),
        ["この方針において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。"]
    );
    assert_eq!(
        label_of(node(&d, "第２条/二")),
        Some((Scheme::KanjiNumeral, 2, "二"))
    );
    assert_eq!(
        label_of(node(&d, "第２条/３")),
        Some((Scheme::Paragraph, 3, "３"))
    );
    assert_eq!(body_text(&d, node(&d, "第３条")), ["削除"]);
    assert_eq!(
        body_text(&d, node(&d, "第３条の２")),
        ["職員は、情報セキュリティポリシーを遵守しなければならない。"]
    );
    insta::assert_yaml_snapshot!("tree_reiki_html", d.tree());
}

#[test]
fn reiki_kihon_houshin_has_ten_articles_with_captions_paragraphs_and_items() {
    let d = reiki_kihon();
    let top = sections(&d, d.root());
    assert_eq!(
        paths(&top),
        [
            "第１条",
            "第２条",
            "第３条",
            "第４条",
            "第５条",
            "第５条の２",
            "第６条",
            "第７条",
            "第８条",
            "第９条",
            "第１０条",
            "附則",
        ]
    );
    // Every article has its caption as heading.
    assert!(
        top.iter()
            .filter(|n| n
                .label
                .as_ref()
                .is_some_and(|l| l.scheme == Scheme::Article))
            .all(|n| d.heading_text(n.id).is_some())
    );
    assert_eq!(
        d.heading_text(node(&d, "第６条").id),
        Some("情報セキュリティ対策")
    );
    assert_eq!(sections(&d, node(&d, "第２条")).len(), 12);
    assert_eq!(
        body_text(&d, node(&d, "第２条/十二"))[0],
        "無害化通信　インターネットメール本文のテキスト化や端末への画面転送等により、コンピュータウイルス等の不正プログラムの付着がないなど、安全が確保された通信をいう。"
    );
    assert_eq!(sections(&d, node(&d, "第３条")).len(), 5);
    assert_eq!(paths(&sections(&d, node(&d, "第４条"))), ["第４条/２"]);
    assert_eq!(sections(&d, node(&d, "第４条/２")).len(), 3);
    assert_eq!(
        paths(&sections(&d, node(&d, "第６条")))[7..],
        ["第６条/２", "第６条/３"]
    );
    assert_eq!(
        paths(&sections(&d, node(&d, "第６条/３"))),
        ["第６条/３/一", "第６条/３/二"]
    );
    assert_eq!(paths(&sections(&d, node(&d, "第１０条"))), ["第１０条/２"]);
    assert_eq!(
        body_text(&d, node(&d, PREFACE)),
        [
            "○○○町情報セキュリティ基本方針",
            "令和７年３月３１日",
            "訓令第３号"
        ]
    );
    insta::assert_yaml_snapshot!("tree_reiki_kihon", d.tree());
}

// ------------------------------------------------------------------ limits and robustness

#[test]
fn one_endless_line_of_four_megabytes_finishes_quickly() {
    let text = "情報資産を保護する".repeat(4 * 1024 * 1024 / 27);
    let started = Instant::now();
    let d = doc(&text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(d.sentences.len(), 1);
}

#[test]
fn a_hundred_thousand_lines_of_the_same_label_finish_quickly() {
    let text = "(1)\n".repeat(100_000);
    let started = Instant::now();
    let d = doc(&text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(d.nodes.len(), 100_001);
    assert_eq!(d.nodes[100_000].path, "(1)~100000");
}

#[test]
fn an_expired_deadline_is_a_clear_error() {
    let limits = Limits {
        deadline: Duration::ZERO,
        ..Limits::default()
    };
    let err = read("1 目的\n本文。\n".as_bytes(), None, &limits).expect_err("no time");
    assert!(matches!(
        err,
        taisho_engine::EngineError::DeadlineExceeded { .. }
    ));
}

fn check_ranges(d: &Document) -> Result<(), TestCaseError> {
    let original = d.original.as_str();
    let clean = d.clean.as_str();
    for n in &d.nodes {
        prop_assert!(n.range.start <= n.range.end && n.range.end <= original.len());
        prop_assert!(original.is_char_boundary(n.range.start));
        prop_assert!(original.is_char_boundary(n.range.end));
    }
    for s in &d.sentences {
        prop_assert!(s.range.start <= s.range.end && s.range.end <= original.len());
        prop_assert!(original.is_char_boundary(s.range.start));
        prop_assert!(original.is_char_boundary(s.range.end));
        prop_assert!(s.clean.start <= s.clean.end && s.clean.end <= clean.len());
        prop_assert!(clean.is_char_boundary(s.clean.start));
        prop_assert!(clean.is_char_boundary(s.clean.end));
    }
    for a in &d.artefacts {
        prop_assert!(a.range.end <= original.len());
        prop_assert!(original.is_char_boundary(a.range.start));
        prop_assert!(original.is_char_boundary(a.range.end));
    }
    Ok(())
}

/// Lines made of the pieces real policies are made of, so the parser's branches all get hit.
fn policy_like() -> impl Strategy<Value = String> {
    let fixed = proptest::sample::select(vec![
        "第２章 ",
        "１ ",
        "10 ",
        "(1) ",
        "（１）",
        "① ",
        "ア ",
        "(ア) ",
        "ⅰ ",
        "## ",
        "- ",
        "・",
        "情報セキュ",
        "リティ",
        "を",
        "、",
        "。",
        "「",
        "」",
        "（",
        "）",
        "\n",
        "\n\n",
        "\r\n",
        " ",
        "\u{3000}",
        "\t",
        "12",
        "- 3 -",
        "……",
        "分類 分類基準 取扱制限",
        "目次",
        "第３条の２　",
        "一　",
        "十一\t",
        "２　",
        "（目的）",
        "○",
        "附　則",
        "別表（第２条関係）",
    ])
    .prop_map(str::to_owned);
    let piece = prop_oneof![6 => fixed, 1 => "[a-zａ-ｚ0-9]{1,3}"];
    proptest::collection::vec(piece, 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics_and_ranges_stay_in_bounds(s in any::<String>()) {
        if let Ok(d) = read(s.as_bytes(), None, &Limits::default()) {
            check_ranges(&d)?;
        }
    }

    #[test]
    fn policy_like_text_never_panics_and_ranges_stay_in_bounds(s in policy_like()) {
        if let Ok(d) = read(s.as_bytes(), Some("policy.txt"), &Limits::default()) {
            check_ranges(&d)?;
            let _ = serde_json::to_string(&d.tree());
        }
    }
}
