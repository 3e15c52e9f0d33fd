#![doc = include_str!("../README.md")]

mod comparison;
mod diff_table;
mod report;
pub mod session;
mod ui;

pub use comparison::comparison_page;
pub use diff_table::diff_table_page;
pub use report::analysis_page;
pub use ui::{
    CSP, ClientAddr, QUERY_CSP, Scheme, SignedIn, WebError, WebState, configure, not_found_page,
    query_page,
};

/// A page could not be rendered (a value failed to format; never seen with the engine's types).
#[derive(Debug, thiserror::Error)]
#[error("rendering the {page} page: {source}")]
pub struct RenderError {
    page: &'static str,
    #[source]
    source: askama::Error,
}

impl RenderError {
    fn of(page: &'static str) -> impl FnOnce(askama::Error) -> RenderError {
        move |source| RenderError { page, source }
    }
}
