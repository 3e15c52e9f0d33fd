//! The analysis of one policy as a self-contained Japanese report: the counts, then one row per
//! model item in scope with its status, the reason, where it was found and the morpheme diff from
//! the model's text to the policy's (deleted words struck, added ones marked).

use askama::Template;
use taisho_engine::analysis::{Analysis, Finding, FindingStatus};
use taisho_engine::diff::OpTag;

use crate::RenderError;

/// Renders `analysis` of the document named `title`.
pub fn analysis_page(analysis: &Analysis, title: &str) -> Result<String, RenderError> {
    AnalysisPage {
        title,
        analysis,
        findings: analysis
            .findings
            .iter()
            .filter(|f| f.status != FindingStatus::OutOfScope)
            .collect(),
    }
    .render()
    .map_err(RenderError::of("点検結果"))
}

#[derive(Template)]
#[template(path = "analysis.html")]
struct AnalysisPage<'a> {
    title: &'a str,
    analysis: &'a Analysis,
    /// The findings shown: every item in scope.
    findings: Vec<&'a Finding>,
}
