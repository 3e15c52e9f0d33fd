//! The whole service in-process: store, analysis workers, demo data and the HTTP server. `taisho
//! serve` runs it until a signal; tests start it on port 0 and stop it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use taisho_app::accounts::{PasswordConfig, PasswordHasher};
use taisho_app::demo::{self, Demo};
use taisho_app::runtime::{self, Store, Workers};
use taisho_app::services::{Services, ServicesConfig};
use taisho_worker::ShutdownReport;

use crate::config::{self, Config};
use crate::http::{self, RunningHttp};
use crate::runtime::{log, open_store, worker_config};

/// A running service. [`RunningServer::shutdown`] stops it gracefully.
pub struct RunningServer {
    http: RunningHttp,
    workers: Arc<Mutex<Option<Workers>>>,
    services: Services,
    /// The store the services were built over: the server opened it and closes it.
    store: Store,
    demo: Option<Demo>,
    config: Config,
}

impl RunningServer {
    /// The bound address (the real port with `listen = "127.0.0.1:0"`).
    pub fn addr(&self) -> SocketAddr {
        self.http.addr()
    }

    /// `http://HOST:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The demo data, when it was seeded (its sign-ins only on the first start).
    pub fn demo(&self) -> Option<&Demo> {
        self.demo.as_ref()
    }

    /// Stops accepting requests and drains the in-flight ones, then gives running analyses the
    /// configured grace to finish before releasing them to the queue, then closes the store.
    pub async fn shutdown(self) -> anyhow::Result<ShutdownReport> {
        self.http.stop().await;
        let workers = self.workers.lock().ok().and_then(|mut w| w.take());
        let report = match workers {
            Some(w) => w.shutdown(self.config.shutdown_grace).await,
            None => ShutdownReport::default(),
        };
        self.store.close().await?;
        Ok(report)
    }
}

/// Starts the service: opens (and in the embedded mode migrates) the store, loads the engine,
/// starts the workers, seeds the demo data when configured, then binds and serves HTTP. Logs
/// `taisho: listening on http://HOST:PORT` once bound.
pub async fn start(config: &Config) -> anyhow::Result<RunningServer> {
    // The metrics recorder must exist before the first request counts.
    let _ = crate::telemetry::render_metrics();
    let listener = http::bind(config)?;
    let store = open_store(config).await?;
    let secret = config::key_secret(config)?;
    log(format_args!(
        "loading the dictionary and the {} model",
        config.edition
    ));
    let engine = runtime::load_engine(crate::runtime::engine, &[config.edition]).await?;
    let services = Services::new(
        store.clone(),
        engine,
        config.edition,
        &ServicesConfig::with_key_secret(secret.expose().as_bytes()),
    )
    .context("setting up the services")?;
    let wc = worker_config(config);
    let threads = wc.pool.threads;
    let workers = Workers::start(store.clone(), Arc::clone(services.engine()), wc).await?;
    log(format_args!("worker pool: {threads} threads"));
    let demo = if config.demo {
        Some(seed_demo(&store, config).await?)
    } else {
        None
    };
    let workers = Arc::new(Mutex::new(Some(workers)));
    let probe = {
        let workers = Arc::clone(&workers);
        Arc::new(move || {
            workers
                .lock()
                .ok()
                .is_some_and(|w| w.as_ref().is_some_and(|w| w.pool().alive()))
        })
    };
    let production = config.env.is_production();
    let api = taisho_graphql::build(
        services.clone(),
        http::schema_config(&config.graphql, production),
    );
    let drain = config
        .shutdown_grace
        .min(std::time::Duration::from_secs(30));
    let http = match http::start(listener, config, services.clone(), api, probe, drain).await {
        Ok(h) => h,
        Err(e) => {
            let w = workers.lock().ok().and_then(|mut w| w.take());
            if let Some(w) = w {
                w.shutdown(std::time::Duration::ZERO).await;
            }
            return Err(e);
        }
    };
    log(format_args!("listening on http://{}", http.addr()));
    Ok(RunningServer {
        http,
        workers,
        services,
        store,
        demo,
        config: config.clone(),
    })
}

async fn seed_demo(store: &Store, config: &Config) -> anyhow::Result<Demo> {
    let hasher = PasswordHasher::new(&PasswordConfig::default())?;
    let d = demo::ensure_members(store, &hasher, config.edition, config.demo_members)
        .await
        .context("creating the demo data")?;
    if d.created {
        log(format_args!(
            "demo data created: {} with {} member bodies, {} policies queued for analysis",
            demo::PREFECTURE,
            d.members.len(),
            d.uploads.iter().filter(|(_, u)| u.job_created).count()
        ));
    } else {
        log(format_args!(
            "demo data present ({}, {} member bodies)",
            demo::PREFECTURE,
            d.members.len()
        ));
    }
    Ok(d)
}
