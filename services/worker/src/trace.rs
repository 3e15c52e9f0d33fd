//! Trace context carried through the job row: the enqueuing request's W3C `traceparent` is stored
//! in `jobs.trace_context`, and the worker's `job.run` span continues that trace, so one trace shows
//! an upload from the HTTP request to the last engine stage.
//!
//! Without an OpenTelemetry layer in the subscriber there is no context to carry: nothing is stored
//! and `job.run` starts its own (local) trace.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::queue::ClaimedJob;

const TRACEPARENT: &str = "traceparent";

/// The W3C `traceparent` of the current span, when it belongs to an OpenTelemetry trace.
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// Makes the remote span named by `traceparent` the parent of `span` (a malformed or empty value
/// is ignored: the span stays a root).
pub fn set_remote_parent(span: &tracing::Span, traceparent: &str) {
    let mut carrier: HashMap<String, String> = HashMap::new();
    carrier.insert(TRACEPARENT.to_owned(), traceparent.to_owned());
    let cx = TraceContextPropagator::new().extract(&carrier);
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
}

/// The `job.run` span of a claimed job (ids, kind and attempt; the outcome is recorded at the end),
/// child of the trace context stored with the job.
pub fn job_run_span(job: &ClaimedJob) -> tracing::Span {
    let span = tracing::info_span!(
        parent: None,
        "job.run",
        job = %job.id,
        org = %job.org_id,
        kind = %job.kind,
        attempt = job.attempt,
        outcome = tracing::field::Empty,
    );
    if let Some(traceparent) = job.trace_context.as_deref() {
        set_remote_parent(&span, traceparent);
    }
    span
}
