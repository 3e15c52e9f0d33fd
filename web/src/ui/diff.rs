//! `GET /documents/{document}/diff?from=N&to=M`: the 新旧対照表 of two versions of a document
//! (default: the two latest). 改正後 on the left, 改正前 on the right, 傍線 under the changed
//! morphemes on both sides, headings kept, a moved provision marked with its numbering before the
//! amendment (「（改正前の８から移動）」), runs of unchanged text collapsed into 「（略）」 unless
//! `all=1`. Printed on A4 landscape with the table header repeated on every page.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use taisho_app::analyses::{Span, SpanOp};
use taisho_app::diff::{DiffRow, DiffSide, RowKind};
use taisho_app::home::Comparison;
use taisho_app::records::Version;
use taisho_domain::DocumentId;

use super::format::{self, Chrome};
use super::{SignedIn, WebError, WebState, assets, page};

/// A run of text; `mark`: 傍線 (changed).
struct Piece {
    text: String,
    mark: bool,
}

/// One cell: a heading's numbering label, runs of text, then a note in brackets (（新設）,
/// （改正前の８から移動）…).
#[derive(Default)]
struct Cell {
    label: String,
    pieces: Vec<Piece>,
    note: Option<String>,
}

/// One row of the table, or 「（略）」 for a run of unchanged text.
struct TableRow {
    omitted: bool,
    heading: bool,
    /// 改正後.
    left: Cell,
    /// 改正前.
    right: Cell,
}

struct VersionChoice {
    seq: i32,
    label: String,
    from: bool,
    to: bool,
}

#[derive(Template)]
#[template(path = "ui/diff.html")]
struct DiffPage {
    css: &'static str,
    chrome: Option<Chrome>,
    org_name: String,
    title: String,
    /// `/documents/{id}/diff`.
    path: String,
    /// 「第2版（2025年3月1日 登録）」.
    to_label: String,
    from_label: String,
    /// Links to the reports of both versions.
    to_href: String,
    from_href: String,
    choices: Vec<VersionChoice>,
    /// `none` (fewer than two versions), `hidden` (no text access) or `done`.
    state: &'static str,
    all: bool,
    degraded: Option<String>,
    changes: usize,
    rows: Vec<TableRow>,
}

/// The page's parameters: version numbers and whether to show unchanged text.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
    all: Option<String>,
}

/// A version number from the query (`None` when absent or empty); anything else is NotFound.
fn seq(v: Option<&str>) -> Result<Option<i32>, WebError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| WebError::NotFound),
    }
}

fn pieces(spans: &[Span]) -> Vec<Piece> {
    spans
        .iter()
        .map(|s| Piece {
            text: s.text.clone(),
            mark: s.op != SpanOp::Equal,
        })
        .collect()
}

fn cell(side: &DiffSide) -> Cell {
    Cell {
        label: side.label.clone(),
        pieces: pieces(&side.spans),
        note: None,
    }
}

fn note(text: &str) -> Cell {
    Cell {
        label: String::new(),
        pieces: Vec::new(),
        note: Some(text.to_owned()),
    }
}

/// Where a provision was (or went), in the body's own numbering.
fn place(side: Option<&DiffSide>) -> String {
    side.map(|s| format::numbering(&s.path))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "別の箇所".to_owned())
}

fn table_row(row: &DiffRow) -> TableRow {
    let (left, right) = match (row.kind, &row.new, &row.old) {
        (RowKind::Moved, Some(new), Some(old)) => {
            let mut left = cell(new);
            left.note = Some(format!("（改正前の{}から移動）", place(Some(old))));
            let mut right = cell(old);
            right.note = Some(format!("（改正後の{}へ移動）", place(Some(new))));
            (left, right)
        }
        (_, Some(new), Some(old)) => (cell(new), cell(old)),
        (_, Some(new), None) => (cell(new), note("（新設）")),
        (_, None, Some(old)) => (note("（削除）"), cell(old)),
        (_, None, None) => (Cell::default(), Cell::default()),
    };
    TableRow {
        omitted: false,
        heading: row.heading,
        left,
        right,
    }
}

/// Every numbering path that holds a change: the paths of the changed rows' sides and their
/// ancestors (`第１章/５/(2)` → `第１章`, `第１章/５`, `第１章/５/(2)`).
fn changed_paths(rows: &[DiffRow]) -> HashSet<&str> {
    let mut out = HashSet::new();
    for row in rows.iter().filter(|r| r.kind != RowKind::Equal) {
        for side in [&row.old, &row.new].into_iter().flatten() {
            let path = side.path.as_str();
            for (i, c) in path.char_indices() {
                if c == '/' {
                    out.insert(&path[..i]);
                }
            }
            out.insert(path);
        }
    }
    out
}

/// The rows of the table. Unless `all`, unchanged text is collapsed into 「（略）」 as in a printed
/// 新旧対照表: headings stay only where a change lies below them (so the reader knows where it is).
fn table_rows(rows: &[DiffRow], all: bool) -> Vec<TableRow> {
    let changed = if all {
        HashSet::new()
    } else {
        changed_paths(rows)
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut omitted = false;
    for row in rows {
        let kept_heading = row.heading
            && [&row.new, &row.old]
                .into_iter()
                .flatten()
                .any(|s| !s.path.is_empty() && changed.contains(s.path.as_str()));
        if !all && row.kind == RowKind::Equal && !kept_heading {
            if !omitted {
                out.push(TableRow {
                    omitted: true,
                    heading: false,
                    left: Cell::default(),
                    right: Cell::default(),
                });
                omitted = true;
            }
            continue;
        }
        omitted = false;
        out.push(table_row(row));
    }
    out
}

fn version_label(v: Option<&Version>) -> String {
    v.map_or_else(String::new, |v| {
        format!("第{}版（{} 登録）", v.seq, format::date(v.created_at))
    })
}

fn build(c: Comparison, all: bool, chrome: Chrome) -> DiffPage {
    let document = c.document.id;
    let report = |v: Option<&Version>| {
        v.map_or_else(String::new, |v| {
            format!("/documents/{document}/versions/{}", v.seq)
        })
    };
    let from = c.from.as_ref().map(|v| v.seq);
    let to = c.to.as_ref().map(|v| v.seq);
    let state = match (&c.from, c.text_visible) {
        (None, _) => "none",
        (Some(_), false) => "hidden",
        (Some(_), true) => "done",
    };
    let (degraded, changes, rows) = match &c.diff {
        Some(d) => (d.degraded.clone(), d.changes, table_rows(&d.rows, all)),
        None => (None, 0, Vec::new()),
    };
    DiffPage {
        css: assets::css_path(),
        chrome: Some(chrome),
        org_name: c.org.name.clone(),
        title: c.document.title.clone(),
        path: format!("/documents/{document}/diff"),
        to_label: version_label(c.to.as_ref()),
        from_label: version_label(c.from.as_ref()),
        to_href: report(c.to.as_ref()),
        from_href: report(c.from.as_ref()),
        choices: c
            .versions
            .iter()
            .rev()
            .map(|v| VersionChoice {
                seq: v.seq,
                label: version_label(Some(v)),
                from: from == Some(v.seq),
                to: to == Some(v.seq),
            })
            .collect(),
        state,
        all,
        degraded,
        changes,
        rows,
    }
}

/// `GET /documents/{document}/diff`.
pub async fn diff(
    signed: SignedIn,
    path: web::Path<String>,
    params: web::Query<Params>,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    let document: DocumentId = path.parse().map_err(|_| WebError::NotFound)?;
    let (from, to) = (seq(params.from.as_deref())?, seq(params.to.as_deref())?);
    let all = params.all.as_deref().is_some_and(|v| v == "1");
    let comparison = state
        .services
        .home()
        .comparison(&signed.viewer.scope, document, from, to)
        .await?;
    let body = build(comparison, all, signed.chrome()).render()?;
    Ok(page(StatusCode::OK, body))
}
