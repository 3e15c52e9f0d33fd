//! One upload traced end to end: a global subscriber with an OpenTelemetry layer over an in-memory
//! span exporter, the server in-process, a seed uploaded through the HTTP API (GraphQL multipart),
//! the analysis waited for. The upload's trace must hold `http.request` → `graphql.operation` →
//! `store.tx`, `job.enqueue` → (through `jobs.trace_context`) `job.run` → the engine stages, all in
//! one trace id; no span attribute, span event or log event may contain document text.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::{Value, json};
use taisho_app::runtime::Backend;
use taisho_server::config::{Config, Flags, StoreFlags};
use taisho_server::start;
use taisho_testkit::testdb;
use tracing_subscriber::layer::SubscriberExt as _;

const KEY_SECRET: &str = "test-key-secret-of-at-least-thirty-two-bytes";
const SEED: &str = "001_270bba27b3f7ce94.txt";

/// Every event's fields, rendered, from the whole test binary.
#[derive(Default)]
struct Events(Mutex<Vec<String>>);

struct EventLayer(Arc<Events>);

struct Render<'a>(&'a mut String);

impl tracing::field::Visit for Render<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for EventLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut line = event.metadata().target().to_owned();
        event.record(&mut Render(&mut line));
        if let Ok(mut events) = self.0.0.lock() {
            events.push(line);
        }
    }
}

struct Telemetry {
    exporter: InMemorySpanExporter,
    provider: SdkTracerProvider,
    events: Arc<Events>,
}

/// Installs the binary's global subscriber once (info and up, as the server's default filter).
fn telemetry() -> &'static Telemetry {
    static TELEMETRY: OnceLock<Telemetry> = OnceLock::new();
    TELEMETRY.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let events = Arc::new(Events::default());
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("info"))
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("trace-test")))
            .with(EventLayer(Arc::clone(&events)));
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the server test binary");
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        Telemetry {
            exporter,
            provider,
            events,
        }
    })
}

fn seed_bytes() -> Vec<u8> {
    let path = taisho_testkit::testdata().join("seeds").join(SEED);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every 8-character window of `text` that is clearly document text (no whitespace, at least half
/// non-ASCII): a match anywhere in telemetry means text leaked.
fn windows(text: &str) -> HashSet<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(8)
        .filter(|w| w.iter().all(|c| !c.is_whitespace()))
        .filter(|w| w.iter().filter(|c| !c.is_ascii()).count() >= 4)
        .map(|w| w.iter().collect())
        .collect()
}

fn leaks<'a>(value: &str, windows: &'a HashSet<String>) -> Option<&'a String> {
    // Windows are 8 chars; checking each 8-char slice of the value is linear in its length.
    let chars: Vec<char> = value.chars().collect();
    chars.windows(8).find_map(|w| {
        let s: String = w.iter().collect();
        windows.get(&s)
    })
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

async fn upload_is_one_trace(backend: Backend) {
    let telemetry = telemetry();
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(testdb::pg_migrated_database().await.expect("PostgreSQL")),
    };
    let flags = Flags {
        store: StoreFlags {
            data_dir: Some(dir.path().to_owned()),
            database_url,
            ..StoreFlags::default()
        },
        threads: Some(1),
        listen: Some("127.0.0.1:0".into()),
        demo: Some(true),
    };
    let env = |k: &str| match k {
        "TAISHO_KEY_SECRET" => Some(KEY_SECRET.to_owned()),
        "TAISHO_DEMO_MEMBERS" => Some("1".to_owned()),
        "TAISHO_ENV" => Some("development".to_owned()),
        _ => None,
    };
    let config = Config::load(&flags, env).expect("config");
    let server = start(&config).await.expect("server starts");
    let demo = server.demo().expect("demo data");
    let key = server
        .services()
        .keys()
        .create_by_operator(demo.prefecture, "trace", taisho_app::records::Access::Write)
        .await
        .expect("API key");
    let key = key.secret.expose().to_owned();
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", server.url());

    let viewer: Value = client
        .post(&url)
        .bearer_auth(&key)
        .json(&json!({ "query": "{ viewer { actingOrganisation { id } } }" }))
        .send()
        .await
        .expect("viewer")
        .json()
        .await
        .expect("json");
    let org = viewer["data"]["viewer"]["actingOrganisation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no acting organisation: {viewer}"))
        .to_owned();

    let bytes = seed_bytes();
    let text = String::from_utf8(bytes.clone()).expect("the seed is UTF-8");
    let operations = json!({
        "query": "mutation TraceUpload($input: UploadVersionInput!) { uploadVersion(input: $input) { version { id } created } }",
        "operationName": "TraceUpload",
        "variables": { "input": { "organisation": org, "title": "trace", "file": null } }
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", r#"{"0":["variables.input.file"]}"#)
        .part(
            "0",
            reqwest::multipart::Part::bytes(bytes).file_name(SEED.to_owned()),
        );
    let uploaded: Value = client
        .post(&url)
        .bearer_auth(&key)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    assert!(
        uploaded["data"]["uploadVersion"]["version"]["id"].is_string(),
        "{uploaded}"
    );

    // The upload's trace: the one of its graphql.operation span.
    let spans_of = || telemetry.exporter.get_finished_spans().expect("spans");
    let deadline = Instant::now() + Duration::from_secs(180);
    let trace: TraceId = loop {
        let found = spans_of().into_iter().find(|s| {
            s.name == "graphql.operation"
                && attr(s, "graphql.operation.name").as_deref() == Some("TraceUpload")
        });
        if let Some(s) = found {
            break s.span_context.trace_id();
        }
        assert!(Instant::now() < deadline, "no graphql.operation span");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Wait for the analysis: its job.run span ends after the fenced completion.
    let ours = loop {
        let ours: Vec<SpanData> = spans_of()
            .into_iter()
            .filter(|s| s.span_context.trace_id() == trace)
            .collect();
        if ours.iter().any(|s| s.name == "job.run") && ours.iter().any(|s| s.name == "engine.diff")
        {
            break ours;
        }
        assert!(
            Instant::now() < deadline,
            "the analysis did not finish in its trace: {:?}",
            ours.iter().map(|s| s.name.as_ref()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = telemetry.provider.force_flush();
    server.shutdown().await.expect("shutdown");

    // One trace, every span's parent inside it (only the root has none).
    let by_id: HashMap<SpanId, &SpanData> =
        ours.iter().map(|s| (s.span_context.span_id(), s)).collect();
    let parent = |s: &SpanData| by_id.get(&s.parent_span_id).copied();
    let ancestors = |s: &SpanData| {
        let mut names = Vec::new();
        let mut cur = parent(s);
        while let Some(p) = cur {
            names.push(p.name.to_string());
            cur = parent(p);
        }
        names
    };
    if std::env::var_os("TRACE_TEST_PRINT").is_some() {
        for s in &ours {
            eprintln!("{} <- {:?} {:?}", s.name, ancestors(s), s.attributes);
        }
    }
    let roots: Vec<&SpanData> = ours.iter().filter(|s| parent(s).is_none()).collect();
    assert_eq!(
        roots.iter().map(|s| s.name.as_ref()).collect::<Vec<_>>(),
        ["http.request"],
        "the upload's trace has one root, its HTTP request"
    );
    for s in &ours {
        if s.name != "http.request" {
            assert_ne!(
                s.parent_span_id,
                SpanId::INVALID,
                "{} has no parent",
                s.name
            );
        }
    }
    let named = |name: &str| -> Vec<&SpanData> { ours.iter().filter(|s| s.name == name).collect() };
    let expect_under = |name: &str, ancestor: &str| {
        let spans = named(name);
        assert!(!spans.is_empty(), "no {name} span in the upload's trace");
        assert!(
            spans
                .iter()
                .any(|s| ancestors(s).iter().any(|a| a == ancestor)),
            "no {name} span under {ancestor}: {:?}",
            spans.iter().map(|s| ancestors(s)).collect::<Vec<_>>()
        );
    };
    expect_under("graphql.operation", "http.request");
    expect_under("store.tx", "graphql.operation");
    expect_under("job.enqueue", "graphql.operation");
    expect_under("job.run", "job.enqueue");
    for stage in [
        "engine.decode",
        "engine.structure",
        "engine.tokenise",
        "engine.align",
        "engine.diff",
    ] {
        expect_under(stage, "job.run");
    }
    expect_under("store.tx", "job.run");
    // The job's engine stages are siblings under job.run, one each.
    for stage in ["engine.tokenise", "engine.align", "engine.diff"] {
        let under_job = named(stage)
            .into_iter()
            .filter(|s| parent(s).is_some_and(|p| p.name == "job.run"))
            .count();
        assert_eq!(
            under_job, 1,
            "{stage} once per document, directly under job.run"
        );
    }

    // No document text anywhere: span names, attributes and events (every span of the binary),
    // and every log event.
    let windows = windows(&text);
    assert!(windows.len() > 1000, "the seed yields text windows");
    for s in spans_of() {
        assert!(leaks(&s.name, &windows).is_none(), "span name {}", s.name);
        for kv in &s.attributes {
            let v = kv.value.to_string();
            if let Some(w) = leaks(&v, &windows) {
                panic!(
                    "{} attribute {} contains document text {w:?}",
                    s.name, kv.key
                );
            }
        }
        for e in s.events.iter() {
            for v in std::iter::once(e.name.to_string())
                .chain(e.attributes.iter().map(|kv| kv.value.to_string()))
            {
                if let Some(w) = leaks(&v, &windows) {
                    panic!("an event of {} contains document text {w:?}", s.name);
                }
            }
        }
    }
    let events = telemetry.events.0.lock().expect("events").clone();
    for line in &events {
        if let Some(w) = leaks(line, &windows) {
            panic!("a log event contains document text {w:?}: {line}");
        }
    }
}

mod upload_is_one_trace_without_document_text {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        upload_is_one_trace(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        upload_is_one_trace(Backend::Postgres).await;
    }
}
