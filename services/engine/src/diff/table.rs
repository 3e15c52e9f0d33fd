//! The 新旧対照表 (comparison table) as a standalone HTML document.
//!
//! Follows the drafting convention of Japanese 例規 amendments: one row per aligned clause,
//! 改正後 (new) on the left and 改正前 (old) on the right, changed spans underlined (傍線), headings
//! kept, and runs of unchanged body text collapsed into 「（略）」. The page is self-contained
//! (inline CSS, no scripts, no external resources), `lang="ja"`, and every document text is
//! HTML-escaped.

use super::{DocDiff, OpTag, Row, RowKind};

const STYLE: &str = "\
body{font-family:'Hiragino Mincho ProN','Yu Mincho','Noto Serif CJK JP',serif;margin:2em;color:#111}\
table{border-collapse:collapse;width:100%;table-layout:fixed}\
caption{font-size:1.3em;font-weight:bold;margin-bottom:.6em}\
th,td{border:1px solid #444;padding:.4em .6em;vertical-align:top;line-height:1.7;word-break:break-all}\
th{background:#eee;font-weight:normal}\
td.heading{font-weight:bold}\
td.omitted{text-align:center;color:#555}\
.underline{text-decoration:underline;text-decoration-thickness:1px;text-underline-offset:.25em}\
.note{font-size:.85em;color:#555}\
.degraded{border:1px solid #b00;padding:.5em;color:#b00}\
dl.legend{font-size:.9em}dl.legend dt{float:left;clear:left;width:7em}dl.legend dd{margin-left:7em}";

/// Renders the 新旧対照表 of `diff`. `old_title` / `new_title` name the two documents (e.g. file
/// names or 「令和6年3月版」); they are escaped like everything else.
pub fn render_html(diff: &DocDiff, old_title: &str, new_title: &str) -> String {
    let mut h = String::with_capacity(4096 + diff.rows.len() * 256);
    h.push_str("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<title>新旧対照表</title>\n<style>");
    h.push_str(STYLE);
    h.push_str("</style>\n</head>\n<body>\n");
    if let Some(d) = &diff.degraded {
        h.push_str(&format!(
            "<p class=\"degraded\">時間内に比較を完了できなかったため、{}行は文単位の置き換えとして表示しています。</p>\n",
            d.rows
        ));
    }
    h.push_str("<table>\n<caption>新旧対照表</caption>\n<colgroup><col><col></colgroup>\n");
    h.push_str(&format!(
        "<thead>\n<tr><th>改正後</th><th>改正前</th></tr>\n<tr><th class=\"note\">{}</th><th class=\"note\">{}</th></tr>\n</thead>\n<tbody>\n",
        escape(new_title),
        escape(old_title)
    ));
    let mut omitted = false;
    for row in &diff.rows {
        let heading = row
            .new
            .as_ref()
            .or(row.old.as_ref())
            .is_some_and(|s| s.heading);
        if row.kind == RowKind::Equal && !heading {
            // Unchanged body text is collapsed, as in a printed 新旧対照表.
            if !omitted {
                h.push_str(
                    "<tr><td class=\"omitted\">（略）</td><td class=\"omitted\">（略）</td></tr>\n",
                );
                omitted = true;
            }
            continue;
        }
        omitted = false;
        render_row(&mut h, row, heading);
    }
    h.push_str("</tbody>\n</table>\n");
    h.push_str(
        "<dl class=\"legend\">\n\
         <dt><span class=\"underline\">傍線</span></dt><dd>改正部分（追加・削除・変更された箇所）</dd>\n\
         <dt>（略）</dt><dd>改正のない部分</dd>\n\
         <dt>（移動）</dt><dd>改正前の別の位置から移動した規定</dd>\n\
         <dt>（新設）／（削除）</dt><dd>新たに設けた規定／削った規定</dd>\n\
         </dl>\n<p class=\"note\">表記の揺れ（遵守／順守、全角／半角など）、空白及び改行の違いは改正部分として扱っていません。</p>\n",
    );
    h.push_str("</body>\n</html>\n");
    h
}

fn render_row(h: &mut String, row: &Row, heading: bool) {
    let mark = |t: &str| format!("<span class=\"underline\">{}</span>", escape(t));
    let (old, new) = if row.ops.is_empty() {
        // Whole sentences: escape, and underline them when the row is an insertion or deletion.
        let whole = row.kind != RowKind::Equal;
        let f = |s: &Option<super::Side>| {
            s.as_ref().map(|s| {
                if whole {
                    mark(&s.text)
                } else {
                    escape(&s.text)
                }
            })
        };
        (f(&row.old), f(&row.new))
    } else {
        escaped_row_texts(row)
    };
    let class = if heading { " class=\"heading\"" } else { "" };
    // Headings keep their article/item number, as a printed 新旧対照表 does.
    let labelled = |side: &Option<super::Side>, text: Option<String>| match (side, text) {
        (Some(s), Some(t)) if heading && !s.label.is_empty() => {
            Some(format!("{}　{t}", escape(&s.label)))
        }
        (_, t) => t,
    };
    let (old, new) = (labelled(&row.old, old), labelled(&row.new, new));
    let note = |s: &str| format!("<span class=\"note\">{s}</span>");
    let left = match (row.kind, new) {
        (RowKind::Moved, Some(t)) => format!(
            "{t}{}",
            note(&format!(
                "（移動：改正前{}行目から）",
                row.old.as_ref().map_or(0, |s| s.line)
            ))
        ),
        (_, Some(t)) => t,
        (_, None) => note("（削除）"),
    };
    let right = match (row.kind, old) {
        (RowKind::Moved, Some(t)) => format!(
            "{t}{}",
            note(&format!(
                "（移動：改正後{}行目へ）",
                row.new.as_ref().map_or(0, |s| s.line)
            ))
        ),
        (_, Some(t)) => t,
        (_, None) => note("（新設）"),
    };
    h.push_str(&format!(
        "<tr><td{class}>{left}</td><td{class}>{right}</td></tr>\n"
    ));
}

/// Row texts with every piece escaped and changed pieces underlined.
fn escaped_row_texts(row: &Row) -> (Option<String>, Option<String>) {
    let mut old = String::new();
    let mut new = String::new();
    for op in &row.ops {
        let changed = op.tag != OpTag::Equal;
        for (span, out) in [(&op.old, &mut old), (&op.new, &mut new)] {
            if let Some(span) = span {
                if changed {
                    out.push_str("<span class=\"underline\">");
                }
                out.push_str(&escape(&span.text));
                if changed {
                    out.push_str("</span>");
                }
            }
        }
    }
    (row.old.as_ref().map(|_| old), row.new.as_ref().map(|_| new))
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
