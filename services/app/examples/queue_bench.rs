//! Queue throughput with real analyses of the generated corpus, on SQLite and PostgreSQL.
//!
//! ```sh
//! cargo run --release -p taisho-app --example queue_bench -- --bodies 200 [--threads N] [--backend sqlite|postgres|both]
//! ```
//!
//! Per backend: a fresh migrated database (`taisho-testkit`; PostgreSQL from
//! `TAISHO_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/test`, as the runtime role), one
//! organisation per body (each body is its own tenant, as in production), every body uploaded
//! through `upload_version` (engine read + version + job in one transaction), then a worker pool
//! drains the queue: claim → read → tokenise → analyse → fenced completion with the findings.

use std::time::{Duration, Instant};

use taisho_app::documents::{DocumentRef, Upload};
use taisho_app::runtime::{WorkerConfig, Workers, job_counts};
use taisho_app::{Services, ServicesConfig};
use taisho_guideline::{Catalog, EditionId};
use taisho_store::{Backend, Mode, OrgKind, Principal, provision, scope_for};
use taisho_synth as synth;
use taisho_testkit::testdb::{TestDb, fresh};
use taisho_worker::PoolConfig;

struct Args {
    bodies: usize,
    threads: usize,
    backends: Vec<Backend>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        bodies: 200,
        threads: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        backends: vec![Backend::Sqlite, Backend::Postgres],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--bodies" => a.bodies = value()?.parse().map_err(|e| format!("--bodies: {e}"))?,
            "--threads" => a.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--backend" => {
                a.backends = match value()?.as_str() {
                    "sqlite" => vec![Backend::Sqlite],
                    "postgres" => vec![Backend::Postgres],
                    "both" => vec![Backend::Sqlite, Backend::Postgres],
                    other => return Err(format!("--backend: unknown {other:?}")),
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

async fn run(db: TestDb, corpus: &[synth::SyntheticBody], threads: usize) -> Result<(), String> {
    let store = &db.store;
    let edition = EditionId::DEFAULT;
    let tx = store
        .begin_system(Mode::Write)
        .await
        .map_err(|e| e.to_string())?;
    let mut orgs = Vec::with_capacity(corpus.len());
    for body in corpus {
        orgs.push(
            provision::create_organisation(&tx, OrgKind::Municipality, &body.name, None)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    tx.commit().await.map_err(|e| e.to_string())?;

    // The dictionary and the model are loaded before the clock starts (once per process anyway).
    let engine = taisho_app::runtime::load_engine(
        || {
            let tokenizer = taisho_japanese::JapaneseTokenizer::shared()
                .map_err(|e| taisho_app::AppError::Unavailable(e.to_string()))?;
            Ok(std::sync::Arc::new(taisho_app::engine::Engine::new(
                tokenizer,
            )))
        },
        &[edition],
    )
    .await
    .map_err(|e| e.to_string())?;
    let services = Services::new(
        store.clone(),
        std::sync::Arc::clone(&engine),
        edition,
        &ServicesConfig::with_key_secret(b"queue bench: a key secret of 32 bytes or more".to_vec()),
    )
    .map_err(|e| e.to_string())?;
    let started = Instant::now();
    for (body, &org) in corpus.iter().zip(&orgs) {
        let scope = scope_for(&Principal::Worker { org }, store)
            .await
            .map_err(|e| e.to_string())?;
        services
            .documents()
            .upload_version(
                &scope,
                Upload {
                    org,
                    document: DocumentRef::New {
                        title: "情報セキュリティポリシー".into(),
                        unpublished: false,
                    },
                    bytes: body.text.clone().into_bytes(),
                    file_name: Some("policy.txt".into()),
                },
                edition,
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    let upload_time = started.elapsed();

    let pool = PoolConfig {
        threads,
        poll_interval: Duration::from_millis(50),
        ..PoolConfig::default()
    };
    let config = WorkerConfig {
        pool,
        warm: vec![edition],
        ..WorkerConfig::default()
    };
    let started = Instant::now();
    let workers = Workers::start(store.clone(), engine, config)
        .await
        .map_err(|e| e.to_string())?;
    let counts = loop {
        let c = job_counts(store).await.map_err(|e| e.to_string())?;
        if c.pending() == 0 {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let drain = started.elapsed();
    workers.shutdown(Duration::from_secs(5)).await;
    let name = match db.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!(
        "{name:<10} {} bodies: upload {:.1}/s ({:.2} s), analyses {:.1}/s ({:.2} s, {threads} threads), done {}, dead {}",
        corpus.len(),
        corpus.len() as f64 / upload_time.as_secs_f64(),
        upload_time.as_secs_f64(),
        counts.done as f64 / drain.as_secs_f64(),
        drain.as_secs_f64(),
        counts.done,
        counts.dead,
    );
    Ok(())
}

fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("queue_bench: {e}");
            std::process::exit(2);
        }
    };
    let catalog = match Catalog::builtin(EditionId::DEFAULT) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("queue_bench: model: {e}");
            std::process::exit(1);
        }
    };
    let bases = synth::model_bases(&catalog);
    let refs: Vec<&str> = bases.iter().map(String::as_str).collect();
    let corpus = synth::corpus(args.bodies, 1788, &refs);
    let chars: usize = corpus.iter().map(|b| b.text.chars().count()).sum();
    println!(
        "corpus: {} bodies, {:.2} M chars; threads {}",
        corpus.len(),
        chars as f64 / 1e6,
        args.threads
    );
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("queue_bench: runtime: {e}");
            std::process::exit(1);
        }
    };
    for backend in args.backends {
        let result = rt.block_on(async { run(fresh(backend).await, &corpus, args.threads).await });
        if let Err(e) = result {
            eprintln!("queue_bench: {backend:?}: {e}");
            std::process::exit(1);
        }
    }
}
