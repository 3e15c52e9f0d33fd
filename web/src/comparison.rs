//! Many policies side by side as a self-contained Japanese page: the items × bodies matrix with a
//! coloured cell per status and each body's counts, then how much text every pair of bodies
//! shares (Jaccard, and containment in both directions: who copied whom).

use askama::Template;
use taisho_engine::analysis::FindingStatus;
use taisho_engine::comparison::Comparison;

use crate::RenderError;

/// Renders `comparison`.
pub fn comparison_page(comparison: &Comparison) -> Result<String, RenderError> {
    ComparisonPage {
        c: comparison,
        rows: comparison
            .matrix
            .iter()
            .map(|row| MatrixRow {
                item: &row.item,
                title: &row.title,
                cells: row.statuses.iter().map(|&s| StatusCell::of(s)).collect(),
            })
            .collect(),
        pairs: comparison
            .similarity
            .iter()
            .map(|p| PairRow {
                a: &p.a,
                b: &p.b,
                jaccard: ratio(p.jaccard),
                a_in_b: ratio(p.a_in_b),
                b_in_a: ratio(p.b_in_a),
            })
            .collect(),
    }
    .render()
    .map_err(RenderError::of("団体間比較"))
}

#[derive(Template)]
#[template(path = "comparison.html")]
struct ComparisonPage<'a> {
    c: &'a Comparison,
    rows: Vec<MatrixRow<'a>>,
    pairs: Vec<PairRow<'a>>,
}

/// One model item across the bodies.
struct MatrixRow<'a> {
    item: &'a str,
    title: &'a str,
    cells: Vec<StatusCell>,
}

/// A status, with the class the page's style colours it by.
struct StatusCell {
    class: &'static str,
    label: &'static str,
}

impl StatusCell {
    fn of(s: FindingStatus) -> StatusCell {
        let class = match s {
            FindingStatus::Covered => "c",
            FindingStatus::Weakened => "w",
            FindingStatus::Omitted => "o",
            FindingStatus::OutOfScope => "n",
        };
        StatusCell {
            class,
            label: s.label_ja(),
        }
    }
}

/// Two bodies and the shares of text they have in common.
struct PairRow<'a> {
    a: &'a str,
    b: &'a str,
    jaccard: String,
    a_in_b: String,
    b_in_a: String,
}

/// A share as the page prints it: three decimals.
fn ratio(x: f64) -> String {
    format!("{x:.3}")
}
