//! The `graphql.operation` span and the operation metrics.
//!
//! - Span `graphql.operation` around each request, with `graphql.operation.type` and
//!   `graphql.operation.name` only: never the query text nor the variables.
//! - Histogram `taisho_graphql_operation_seconds{type}`: every request, rejected ones included
//!   (`type` is `unknown` when the document did not parse).
//! - Counter `taisho_graphql_operations_executed_total{type}`: incremented when execution starts,
//!   so a request rejected by parsing, the limits or validation never counts.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Response, ServerResult, Variables};
use tracing::Instrument as _;

/// The schema extension (register it first, so its span covers the other extensions' work).
#[derive(Debug, Clone, Copy, Default)]
pub struct Telemetry;

impl ExtensionFactory for Telemetry {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TelemetryExtension::default())
    }
}

/// One request's state (async-graphql creates the extension per request).
#[derive(Default)]
struct TelemetryExtension {
    /// Operation names and types of the parsed document.
    operations: Mutex<Vec<(Option<String>, OperationType)>>,
    span: Mutex<Option<tracing::Span>>,
    kind: Mutex<Option<&'static str>>,
}

fn type_name(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

impl TelemetryExtension {
    /// The type of the operation `name` selects (the only one when the document has one).
    fn select(&self, name: Option<&str>) -> Option<(Option<String>, OperationType)> {
        let operations = self.operations.lock().ok()?;
        match (operations.as_slice(), name) {
            ([only], None) => Some(only.clone()),
            (all, Some(name)) => all
                .iter()
                .find(|(n, _)| n.as_deref() == Some(name))
                .cloned(),
            _ => None,
        }
    }

    fn record(&self, name: Option<&str>) -> &'static str {
        let Some((op_name, ty)) = self.select(name) else {
            return "unknown";
        };
        let kind = type_name(ty);
        if let Ok(mut k) = self.kind.lock() {
            *k = Some(kind);
        }
        if let Ok(span) = self.span.lock()
            && let Some(span) = span.as_ref()
        {
            span.record("graphql.operation.type", kind);
            if let Some(op_name) = op_name.as_deref() {
                span.record("graphql.operation.name", op_name);
            }
        }
        kind
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for TelemetryExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let span = tracing::info_span!(
            "graphql.operation",
            "graphql.operation.type" = tracing::field::Empty,
            "graphql.operation.name" = tracing::field::Empty,
            errors = tracing::field::Empty,
        );
        if let Ok(mut s) = self.span.lock() {
            *s = Some(span.clone());
        }
        let started = Instant::now();
        let response = next.run(ctx).instrument(span.clone()).await;
        let kind = self.kind.lock().ok().and_then(|k| *k).unwrap_or("unknown");
        span.record("errors", response.errors.len());
        metrics::histogram!("taisho_graphql_operation_seconds", "type" => kind)
            .record(started.elapsed().as_secs_f64());
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let operations: Vec<(Option<String>, OperationType)> = match &document.operations {
            DocumentOperations::Single(op) => vec![(None, op.node.ty)],
            DocumentOperations::Multiple(ops) => ops
                .iter()
                .map(|(name, op)| (Some(name.to_string()), op.node.ty))
                .collect(),
        };
        if let Ok(mut o) = self.operations.lock() {
            *o = operations;
        }
        // A lone operation's type is known before validation, so rejected requests carry it.
        self.record(None);
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let kind = self.record(operation_name);
        if let (Some(name), Ok(span)) = (operation_name, self.span.lock())
            && let Some(span) = span.as_ref()
        {
            span.record("graphql.operation.name", name);
        }
        metrics::counter!("taisho_graphql_operations_executed_total", "type" => kind).increment(1);
        next.run(ctx, operation_name).await
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
    use metrics_exporter_prometheus::PrometheusBuilder;

    use super::Telemetry;

    struct Query;

    #[Object]
    impl Query {
        async fn answer(&self) -> i32 {
            42
        }
    }

    /// Runs `queries` through a schema with the extension and returns the exposition.
    fn run(queries: &[&str]) -> String {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
                .extension(Telemetry)
                .finish();
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            for q in queries {
                rt.block_on(schema.execute(*q));
            }
        });
        handle.render()
    }

    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    #[test]
    fn executed_operations_are_counted_and_rejected_ones_are_not() {
        let text = run(&["{ answer }", "query Named { answer }"]);
        assert_eq!(
            value(
                &text,
                "taisho_graphql_operations_executed_total{type=\"query\"}"
            ),
            Some(2.0),
            "{text}"
        );
        let text = run(&["{ answer", "{ nosuchfield }", "{ answer } { answer }"]);
        assert!(
            !text.contains("taisho_graphql_operations_executed_total"),
            "{text}"
        );
        assert!(
            text.contains("taisho_graphql_operation_seconds"),
            "rejected operations are still timed: {text}"
        );
    }
}
