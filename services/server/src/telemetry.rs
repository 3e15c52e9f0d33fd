//! Logs, traces and metrics for the `taisho` binary.
//!
//! - Logs: `tracing` events formatted to stderr, filtered by `RUST_LOG` (default `info`).
//! - Traces: an OpenTelemetry layer exporting over OTLP (HTTP/protobuf) when the standard variables
//!   ask for it (`OTEL_TRACES_EXPORTER=otlp` or `OTEL_EXPORTER_OTLP_ENDPOINT` /
//!   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set), never when `OTEL_SDK_DISABLED=true`; off by default.
//!   The W3C trace-context propagator is installed in every case.
//! - Metrics: a Prometheus recorder behind the `metrics` facade, rendered by [`render_metrics`]
//!   (the server's `GET /metrics`); no listener of its own.
//!
//! Attributes and fields are ids, counts and codes: document text never goes into a span, an event or
//! a metric.

use std::sync::OnceLock;

use anyhow::Context as _;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Default `service.name` when `OTEL_SERVICE_NAME` is not set.
pub const DEFAULT_SERVICE_NAME: &str = "taisho";
/// Default log filter when `RUST_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// Histogram buckets (seconds) shared by every latency histogram.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// What [`init`] sets up, read from the standard `OTEL_*` variables and `RUST_LOG`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// Export spans over OTLP (HTTP/protobuf; the endpoint comes from the `OTEL_EXPORTER_OTLP_*`
    /// variables, default `http://localhost:4318`).
    pub otlp: bool,
    /// `service.name` of the exported resource.
    pub service_name: String,
    /// `tracing_subscriber::EnvFilter` directives for logs and spans.
    pub log_filter: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            otlp: false,
            service_name: DEFAULT_SERVICE_NAME.to_owned(),
            log_filter: DEFAULT_LOG_FILTER.to_owned(),
        }
    }
}

impl TelemetryConfig {
    /// From the process environment.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// From any variable source (tests pass a map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let disabled = set("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let exporter = set("OTEL_TRACES_EXPORTER").map(|v| v.to_ascii_lowercase());
        let endpoint = set("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
            || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some();
        let otlp = !disabled
            && match exporter.as_deref() {
                Some("none") => false,
                Some(list) => list.split(',').any(|e| e.trim() == "otlp"),
                None => endpoint,
            };
        Self {
            otlp,
            service_name: set("OTEL_SERVICE_NAME")
                .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned()),
            log_filter: set("RUST_LOG").unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned()),
        }
    }
}

/// Keeps the exporter alive; dropping it flushes and shuts the span exporter down.
#[must_use = "dropping the guard shuts the exporter down"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Flush the spans ended so far (they are exported in batches).
    pub fn flush(&self) {
        if let Some(provider) = &self.provider
            && let Err(err) = provider.force_flush()
        {
            eprintln!("taisho: could not flush spans: {err}");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("taisho: could not flush spans: {err}");
        }
    }
}

/// Install the global subscriber (logs to stderr, spans over OTLP when configured), the W3C
/// trace-context propagator and the Prometheus recorder.
///
/// When a global subscriber is already installed (a test that installed its own), that one stays and
/// only the propagator and the metrics recorder are set up.
pub fn init(config: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let _ = metrics_handle();

    let filter = EnvFilter::try_new(&config.log_filter)
        .with_context(|| format!("invalid RUST_LOG filter {:?}", config.log_filter))?;
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);

    let provider = if config.otlp {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .context("could not build the OTLP span exporter")?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(config.service_name.clone())
            .build();
        Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource)
                .build(),
        )
    } else {
        None
    };

    let otel = provider.as_ref().map(|provider| {
        opentelemetry::global::set_tracer_provider(provider.clone());
        tracing_opentelemetry::layer().with_tracer(provider.tracer("taisho"))
    });
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
    if installed.is_err() {
        tracing::debug!("a global subscriber was already installed; keeping it");
    }
    if config.otlp
        && std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL").is_ok_and(|p| p.starts_with("grpc"))
    {
        tracing::warn!(
            "OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported; exporting over http/protobuf"
        );
    }
    Ok(TelemetryGuard { provider })
}

/// The process-wide Prometheus handle, installing the recorder on first use. If another recorder was
/// installed first (a test's), the handle renders an empty exposition.
fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = || {
            PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new())
        };
        builder()
            .install_recorder()
            .unwrap_or_else(|_| builder().build_recorder().handle())
    })
}

/// The current metrics in the Prometheus text exposition format.
pub fn render_metrics() -> String {
    let handle = metrics_handle();
    handle.run_upkeep();
    handle.render()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> TelemetryConfig {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        TelemetryConfig::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn otlp_is_off_by_default() {
        assert_eq!(config(&[]), TelemetryConfig::default());
    }

    #[test]
    fn otlp_is_on_with_an_endpoint_or_the_exporter_variable() {
        assert!(config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).otlp);
        assert!(config(&[("OTEL_TRACES_EXPORTER", "otlp")]).otlp);
        assert!(
            !config(&[
                ("OTEL_TRACES_EXPORTER", "none"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "x")
            ])
            .otlp
        );
    }

    #[test]
    fn sdk_disabled_wins() {
        let c = config(&[
            ("OTEL_SDK_DISABLED", "true"),
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        ]);
        assert!(!c.otlp);
    }

    #[test]
    fn service_name_and_filter_come_from_the_environment() {
        let c = config(&[("OTEL_SERVICE_NAME", "taisho-work"), ("RUST_LOG", "debug")]);
        assert_eq!(c.service_name, "taisho-work");
        assert_eq!(c.log_filter, "debug");
    }

    #[test]
    fn metrics_render_as_prometheus_text() {
        let _ = metrics_handle();
        metrics::counter!("taisho_telemetry_selftest_total").increment(1);
        let text = render_metrics();
        assert!(text.contains("taisho_telemetry_selftest_total 1"), "{text}");
    }
}
