//! The 新旧対照表 (comparison table) as a standalone HTML document.
//!
//! Follows the drafting convention of Japanese 例規 amendments: one row per aligned clause,
//! 改正後 (new) on the left and 改正前 (old) on the right, changed spans underlined (傍線), headings
//! kept, and runs of unchanged body text collapsed into 「（略）」. The page is self-contained
//! (inline CSS, no scripts, no external resources) and `lang="ja"`; the template escapes every
//! text it is given.

use askama::Template;
use taisho_engine::diff::{DocDiff, OpTag, Row, RowKind, Side};

use crate::RenderError;

/// Renders the 新旧対照表 of `diff`. `old_title` / `new_title` name the two documents (e.g. file
/// names or 「令和6年3月版」).
pub fn diff_table_page(
    diff: &DocDiff,
    old_title: &str,
    new_title: &str,
) -> Result<String, RenderError> {
    DiffTablePage {
        degraded_rows: diff.degraded.as_ref().map(|d| d.rows),
        old_title,
        new_title,
        rows: table_rows(diff),
    }
    .render()
    .map_err(RenderError::of("新旧対照表"))
}

#[derive(Template)]
#[template(path = "diff_table.html")]
struct DiffTablePage<'a> {
    /// Rows shown as whole-sentence replacements because the diff ran out of time.
    degraded_rows: Option<usize>,
    old_title: &'a str,
    new_title: &'a str,
    rows: Vec<TableRow>,
}

/// One row of the table: an aligned pair of cells, or 「（略）」 for a run of unchanged text.
struct TableRow {
    omitted: bool,
    heading: bool,
    /// 改正後.
    left: Cell,
    /// 改正前.
    right: Cell,
}

/// One cell: the numbering label of a heading, then runs of text.
#[derive(Default)]
struct Cell {
    label: Option<String>,
    pieces: Vec<Piece>,
}

/// A run of text, with the class of the `<span>` that marks it (none: plain text).
struct Piece {
    class: Option<&'static str>,
    text: String,
}

impl Piece {
    fn plain(text: &str) -> Piece {
        Piece {
            class: None,
            text: text.to_owned(),
        }
    }

    fn underlined(text: &str) -> Piece {
        Piece {
            class: Some("underline"),
            text: text.to_owned(),
        }
    }

    fn note(text: String) -> Piece {
        Piece {
            class: Some("note"),
            text,
        }
    }
}

fn table_rows(diff: &DocDiff) -> Vec<TableRow> {
    let mut rows = Vec::with_capacity(diff.rows.len());
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
                rows.push(TableRow {
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
        rows.push(table_row(row, heading));
    }
    rows
}

fn table_row(row: &Row, heading: bool) -> TableRow {
    let (old, new) = if row.ops.is_empty() {
        // Whole sentences: underlined when the row is an insertion or deletion.
        let whole = row.kind != RowKind::Equal;
        let f = |s: &Option<Side>| {
            s.as_ref().map(|s| {
                vec![if whole {
                    Piece::underlined(&s.text)
                } else {
                    Piece::plain(&s.text)
                }]
            })
        };
        (f(&row.old), f(&row.new))
    } else {
        op_pieces(row)
    };
    // Headings keep their article/item number, as a printed 新旧対照表 does.
    let cell = |side: &Option<Side>, pieces: Option<Vec<Piece>>| {
        pieces.map(|pieces| Cell {
            label: side
                .as_ref()
                .filter(|s| heading && !s.label.is_empty())
                .map(|s| s.label.clone()),
            pieces,
        })
    };
    let (old, new) = (cell(&row.old, old), cell(&row.new, new));
    let line = |s: &Option<Side>| s.as_ref().map_or(0, |s| s.line);
    let left = match (row.kind, new) {
        (RowKind::Moved, Some(mut c)) => {
            c.pieces.push(Piece::note(format!(
                "（移動：改正前{}行目から）",
                line(&row.old)
            )));
            c
        }
        (_, Some(c)) => c,
        (_, None) => Cell {
            label: None,
            pieces: vec![Piece::note("（削除）".to_owned())],
        },
    };
    let right = match (row.kind, old) {
        (RowKind::Moved, Some(mut c)) => {
            c.pieces.push(Piece::note(format!(
                "（移動：改正後{}行目へ）",
                line(&row.new)
            )));
            c
        }
        (_, Some(c)) => c,
        (_, None) => Cell {
            label: None,
            pieces: vec![Piece::note("（新設）".to_owned())],
        },
    };
    TableRow {
        omitted: false,
        heading,
        left,
        right,
    }
}

/// The texts of both sides, piece by piece, changed pieces underlined.
fn op_pieces(row: &Row) -> (Option<Vec<Piece>>, Option<Vec<Piece>>) {
    let mut old = Vec::new();
    let mut new = Vec::new();
    for op in &row.ops {
        let changed = op.tag != OpTag::Equal;
        for (span, out) in [(&op.old, &mut old), (&op.new, &mut new)] {
            if let Some(span) = span {
                out.push(if changed {
                    Piece::underlined(&span.text)
                } else {
                    Piece::plain(&span.text)
                });
            }
        }
    }
    (row.old.as_ref().map(|_| old), row.new.as_ref().map(|_| new))
}
