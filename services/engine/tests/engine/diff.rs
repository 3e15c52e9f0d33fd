//! Tests of the diff stage.

use taisho_engine::CharClassTokenizer;
use taisho_engine::diff::{self, DocDiff, OpTag, RowKind};
use taisho_engine::tokenize::tokenize;
use taisho_engine::{Document, Limits};

use crate::fold::plain_doc;

fn compare_texts(old: &str, new: &str) -> DocDiff {
    compare_docs(&plain_doc(old), &plain_doc(new), &Limits::default())
}

fn compare_docs(old: &Document, new: &Document, limits: &Limits) -> DocDiff {
    let l = Limits::default();
    let a = tokenize(old, &CharClassTokenizer, &l).expect("tokenises");
    let b = tokenize(new, &CharClassTokenizer, &l).expect("tokenises");
    diff::compare((old, &a), (new, &b), limits)
}

const OLD: &str = "\
# 1 目的

本市は、情報資産を守るため、ハードウエアの管理を行う。職員は、情報セキュリティポリシーを遵守しなければならない。

# 2 監査

定期的又は必要に応じて監査を実施する。監査の結果は、CISOに報告する。

# 3 評価

情報セキュリティポリシーを見直す。
";

#[test]
fn notation_width_and_line_breaks_alone_produce_no_change() {
    let new = "\
# １ 目的

企業団は、情報資産を守るため、ハードウェアの
管理を行う。職員は、情報セキュリティポリシーを順守し
なければならない。

# ２ 監査

定期的または必要に応じて監査を実施する。監査の結果は、ＣＩＳＯに
報告する。

# ３ 評価

情報セキュリティポリシーを見直す。
";
    let d = compare_texts(OLD, new);
    assert!(!d.has_changes(), "{}", d.to_text());
    assert_eq!(d.to_text(), "");
    assert_eq!(d.stats.equal, 8);
    assert!(d.degraded.is_none());
}

#[test]
fn a_moved_section_is_reported_as_moved() {
    let new = "\
# 2 監査

定期的又は必要に応じて監査を実施する。監査の結果は、CISOに報告する。

# 3 評価

情報セキュリティポリシーを見直す。

# 1 目的

本市は、情報資産を守るため、ハードウエアの管理を行う。職員は、情報セキュリティポリシーを遵守しなければならない。
";
    let d = compare_texts(OLD, new);
    assert_eq!(d.stats.moved, 3, "{}", d.to_text());
    assert_eq!(
        (d.stats.inserted, d.stats.deleted, d.stats.changed),
        (0, 0, 0)
    );
    let moved: Vec<&str> = d
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Moved)
        .filter_map(|r| r.new.as_ref().map(|s| s.text.as_str()))
        .collect();
    assert_eq!(moved[0], "1 目的");
}

#[test]
fn a_moved_and_slightly_edited_sentence_is_still_a_move() {
    let old =
        "甲を定める。乙を定める。丙を定める。情報資産の管理について、必要な事項を別に定める。";
    let new =
        "情報資産の管理について、必要な事項を別途定める。甲を定める。乙を定める。丙を定める。";
    let d = compare_texts(old, new);
    assert_eq!(d.stats.moved, 1, "{}", d.to_text());
    assert_eq!((d.stats.inserted, d.stats.deleted), (0, 0));
    let row = d
        .rows
        .iter()
        .find(|r| r.kind == RowKind::Moved)
        .expect("moved row");
    assert!(row.ops.iter().any(|o| o.tag == OpTag::Replace));
}

const NEW_EDITED: &str = "\
# 1 目的

本市は、情報資産を守るため、ハードウェアの管理を行う。職員は、情報セキュリティポリシーを遵守するものとする。

# 2 監査

必要に応じて監査を実施する。監査の結果は、CISOに報告する。

# 3 評価

情報セキュリティポリシーを見直す。
必要に応じて、リスク分析を行う。
";

#[test]
fn real_changes_are_reported_on_original_surfaces() {
    let d = compare_texts(OLD, NEW_EDITED);
    assert_eq!(d.stats.changed, 2, "{}", d.to_text());
    assert_eq!(d.stats.inserted, 1);
    let dropped = d
        .rows
        .iter()
        .flat_map(|r| &r.ops)
        .find(|o| o.tag == OpTag::Delete)
        .and_then(|o| o.old.as_ref())
        .expect("a deletion");
    assert_eq!(dropped.text, "定期的又は");
    assert_eq!(&OLD[dropped.byte.clone()], "定期的又は");
}

#[test]
fn json_ops_snapshot() {
    let d = compare_texts(OLD, NEW_EDITED);
    let changes: Vec<_> = d.rows.iter().filter(|r| r.is_change()).collect();
    insta::assert_json_snapshot!("diff_json_ops", changes);
}

#[test]
fn text_view_snapshot() {
    let d = compare_texts(OLD, NEW_EDITED);
    insta::assert_snapshot!("diff_text_view", d.to_text());
}

#[test]
fn past_the_deadline_the_diff_degrades_with_a_label() {
    let limits = Limits {
        deadline: std::time::Duration::ZERO,
        ..Limits::default()
    };
    let d = compare_docs(&plain_doc(OLD), &plain_doc(NEW_EDITED), &limits);
    let degraded = d.degraded.as_ref().expect("degraded");
    assert_eq!(degraded.reason, "deadline");
    assert!(d.to_text().starts_with("# degraded (deadline)"));
    // Still a usable, coarser diff: the unchanged sentences are aligned, the changed ones are
    // reported whole.
    assert!(d.has_changes());
    assert_eq!(d.stats.equal, 6);
    assert!(d.rows.iter().all(|r| r.kind != RowKind::Moved));
}

#[test]
fn empty_documents_compare_equal() {
    let d = compare_texts("", "");
    assert!(!d.has_changes());
    assert!(d.rows.is_empty());
}

/// Seed 004 re-spelt: notation variants, full-width digits, re-wrapped lines.
pub fn respelt(text: &str) -> String {
    let text = text
        .replace("遵守", "順守")
        .replace("強靱", "強靭")
        .replace("ハードウェア", "ハードウエア")
        .replace("ソフトウェア", "ソフトウエア")
        .replace("及び", "および")
        .replace("又は", "または")
        .replace("講じる", "講ずる");
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut col = 0;
    for (i, &c) in chars.iter().enumerate() {
        let c = match c {
            '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        };
        out.push(c);
        col = if c == '\n' { 0 } else { col + 1 };
        // Re-wrap long lines the way a PDF does, between two kanji or hiragana (a line starting
        // with ・, ア or （１） would rightly read as a new item).
        let joinable = |c: char| matches!(c, '\u{3041}'..='\u{309F}' | '\u{4E00}'..='\u{9FFF}');
        if col >= 23 && joinable(c) && chars.get(i + 1).is_some_and(|&n| joinable(n)) {
            out.push('\n');
            col = 0;
        }
    }
    out
}

#[test]
fn seed_004_against_a_respelt_copy_has_no_changes() {
    let original = crate::seed("004");
    let text = String::from_utf8(original.clone()).expect("utf-8 seed");
    let limits = Limits::default();
    let old = taisho_engine::read(&original, None, &limits).expect("reads");
    let new = taisho_engine::read(respelt(&text).as_bytes(), None, &limits).expect("reads");
    assert!(old.sentences.len() > 50, "structure parsed");
    let d = compare_docs(&old, &new, &limits);
    assert!(!d.has_changes(), "{}", d.to_text());
}

/// The old-side texts a diff deletes: whole deleted sentences and deleted or replaced spans.
pub fn deleted_texts(d: &DocDiff) -> Vec<String> {
    let mut out = Vec::new();
    for r in &d.rows {
        match r.kind {
            RowKind::Deleted => out.extend(r.old.as_ref().map(|s| s.text.clone())),
            RowKind::Changed | RowKind::Moved => out.extend(
                r.ops
                    .iter()
                    .filter(|o| matches!(o.tag, OpTag::Delete | OpTag::Replace))
                    .filter_map(|o| o.old.as_ref().map(|s| s.text.clone())),
            ),
            _ => {}
        }
    }
    out
}

#[test]
fn seed_004_against_000_shows_the_real_differences_with_the_fallback_tokenizer() {
    let limits = Limits::default();
    let old = taisho_engine::read(&crate::seed("004"), None, &limits).expect("reads");
    let new = taisho_engine::read(&crate::seed("000"), None, &limits).expect("reads");
    let d = compare_docs(&old, &new, &limits);
    let deleted = deleted_texts(&d);
    for expected in [
        // definitions (8)–(12) are missing from 000
        "マイナンバー利用事務系（個人番号利用事務系）",
        "LGWAN接続系",
        "インターネット接続系",
        "通信経路の分割",
        "無害化通信",
        // so is the 強靱性 section
        "情報システム全体の強靱性の向上",
        // section 7 drops the frequency
        "定期的又は",
        // and 6 (4) drops 情報システム室
        "情報システム室、",
    ] {
        assert!(
            deleted.iter().any(|t| t == expected),
            "{expected} not deleted:\n{}",
            d.to_text()
        );
    }
    // The body placeholder is a slot: 企業団 vs 本組合 is not a change in section 1's last use.
    assert!(!deleted.iter().any(|t| t == "企業団"), "{deleted:?}");
    assert_eq!(d.stats.moved, 0);
}

#[test]
fn sentences_split_differently_are_equal() {
    let old = "甲を定め\n\nる。乙を定める。";
    let new = "甲を定める。乙を\n\n定める。";
    let d = compare_texts(old, new);
    assert!(!d.has_changes(), "{}", d.to_text());
    let first = &d.rows[0];
    assert_eq!(first.old.as_ref().map(|s| s.sentences), Some(2));
    assert_eq!(
        first.old.as_ref().map(|s| s.text.as_str()),
        Some("甲を定める。")
    );
}
