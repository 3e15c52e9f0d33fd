//! The 新旧対照表.

use taisho_engine::CharClassTokenizer;
use taisho_engine::diff::{self, DocDiff};
use taisho_engine::tokenize::tokenize;
use taisho_engine::{Document, Limits};
use taisho_web::diff_table_page;

use crate::read;

fn compare_docs(old: &Document, new: &Document) -> DocDiff {
    let l = Limits::default();
    let a = tokenize(old, &CharClassTokenizer, &l).expect("tokenises");
    let b = tokenize(new, &CharClassTokenizer, &l).expect("tokenises");
    diff::compare((old, &a), (new, &b), &l)
}

fn compare_texts(old: &str, new: &str) -> DocDiff {
    compare_docs(&read(old), &read(new))
}

const OLD: &str = "\
# 1 目的

本市は、情報資産を守るため、ハードウエアの管理を行う。職員は、情報セキュリティポリシーを遵守しなければならない。

# 2 監査

定期的又は必要に応じて監査を実施する。監査の結果は、CISOに報告する。

# 3 評価

情報セキュリティポリシーを見直す。
";

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
fn the_table_is_a_standalone_escaped_document() {
    let old = "<b>甲</b>を定める。&乙を定める。";
    let new = "<b>甲</b>を定めない。&乙を定める。丙も定める。";
    let d = compare_texts(old, new);
    let html = diff_table_page(&d, "旧<規程>", "新&規程").expect("renders");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("<caption>新旧対照表</caption>"));
    assert!(html.contains("旧&#60;規程&#62;") && html.contains("新&#38;規程"));
    assert!(!html.contains("<b>"), "document text is escaped");
    assert!(html.contains("&#60;b&#62;甲&#60;/b&#62;"));
    assert!(html.contains("<span class=\"underline\">"));
    assert!(html.contains("（新設）"));
    // 改正後 is the left column.
    let after = html.find("<th>改正後</th>").expect("改正後 header");
    let before = html.find("<th>改正前</th>").expect("改正前 header");
    assert!(after < before);
    assert!(!html.contains("<script") && !html.contains("http"));
    assert_eq!(html.matches("<tr>").count(), html.matches("</tr>").count());
}

#[test]
fn unchanged_runs_collapse_and_headings_stay() {
    let d = compare_texts(OLD, NEW_EDITED);
    let html = diff_table_page(&d, "旧規程", "新規程").expect("renders");
    assert!(html.contains("<td class=\"omitted\">（略）</td>"));
    assert!(html.contains("<td class=\"heading\">"));
    assert!(!html.contains("class=\"degraded\""), "a full diff");
}

#[test]
fn past_the_deadline_the_table_says_so() {
    let limits = Limits {
        deadline: std::time::Duration::ZERO,
        ..Limits::default()
    };
    let (old, new) = (read(OLD), read(NEW_EDITED));
    let l = Limits::default();
    let a = tokenize(&old, &CharClassTokenizer, &l).expect("tokenises");
    let b = tokenize(&new, &CharClassTokenizer, &l).expect("tokenises");
    let d = diff::compare((&old, &a), (&new, &b), &limits);
    let rows = d.degraded.as_ref().expect("degraded").rows;
    let html = diff_table_page(&d, "旧規程", "新規程").expect("renders");
    assert!(html.contains(&format!(
        "<p class=\"degraded\">時間内に比較を完了できなかったため、{rows}行は文単位の置き換えとして表示しています。</p>\n<table>"
    )));
}

#[test]
fn table_snapshot() {
    let d = compare_texts(OLD, NEW_EDITED);
    insta::assert_snapshot!(
        "diff_table",
        diff_table_page(&d, "旧規程", "新規程").expect("renders")
    );
}
