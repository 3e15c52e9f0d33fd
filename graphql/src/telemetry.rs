//! The `graphql.operation` span and the operation metrics.
//!
//! - Span `graphql.operation` around each request, with `graphql.operation.type` and
//!   `graphql.operation.name` only: never the query text nor the variables.
//! - Histogram `taisho_graphql_operation_seconds{type}`: every request, rejected ones included
//!   (`type` is `unknown` when the document did not parse).
//! - Counter `taisho_graphql_operations_executed_total{type}`: requests the schema executed, so a
//!   request rejected by parsing, the limits or validation never counts.
//!
//! Called by the pipeline in [`crate::api`].

use std::time::Instant;

/// The `graphql.operation` span of one request (fields recorded as they become known).
pub(crate) fn operation_span() -> tracing::Span {
    tracing::info_span!(
        "graphql.operation",
        "graphql.operation.type" = tracing::field::Empty,
        "graphql.operation.name" = tracing::field::Empty,
        errors = tracing::field::Empty,
    )
}

/// Records the operation's type and name (the name as the client wrote it, never the query).
pub(crate) fn record_operation(span: &tracing::Span, kind: &'static str, name: Option<String>) {
    span.record("graphql.operation.type", kind);
    if let Some(name) = name.as_deref() {
        span.record("graphql.operation.name", name);
    }
}

pub(crate) fn count_executed(kind: &'static str) {
    metrics::counter!("taisho_graphql_operations_executed_total", "type" => kind).increment(1);
}

/// Closes the request: error count on the span, latency in the histogram.
pub(crate) fn finish(span: &tracing::Span, kind: &'static str, started: Instant, errors: usize) {
    span.record("graphql.operation.type", kind);
    span.record("errors", errors);
    metrics::histogram!("taisho_graphql_operation_seconds", "type" => kind)
        .record(started.elapsed().as_secs_f64());
}
