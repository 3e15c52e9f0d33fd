//! `taisho serve`: the store, the analysis worker pool, the demo data (embedded mode or `--demo`)
//! and the HTTP server, until Ctrl-C or SIGTERM.

use crate::config::{Config, Flags, StoreFlags};
use crate::runtime::{log, report_progress, shutdown_signal, tokio_runtime};
use secrecy::ExposeSecret;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreFlags,
    /// Analysis worker threads (default: cores). Env: TAISHO_WORKER_THREADS.
    #[arg(long)]
    threads: Option<usize>,
    /// Address to listen on, HOST:PORT (default 127.0.0.1:8080; port 0 picks a free one).
    /// Env: TAISHO_LISTEN.
    #[arg(long)]
    listen: Option<String>,
    /// Seed the demo data (the default in the embedded mode). Env: TAISHO_DEMO.
    #[arg(long, conflicts_with = "no_demo")]
    demo: bool,
    /// Do not seed the demo data.
    #[arg(long)]
    no_demo: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let flags = Flags {
        store: args.store,
        threads: args.threads,
        listen: args.listen,
        demo: match (args.demo, args.no_demo) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    };
    serve(&Config::from_flags(&flags)?)
}

pub fn serve(config: &Config) -> anyhow::Result<()> {
    tokio_runtime()?.block_on(async {
        let server = crate::startup::start(config).await?;
        if let Some(d) = server.demo()
            && !d.sign_ins.is_empty()
        {
            // Shown once, on stdout: only the hashes are stored.
            println!("Demo sign-ins (shown once; store them now):");
            for s in &d.sign_ins {
                println!(
                    "  {:<28} {}  password: {}",
                    s.role,
                    s.email,
                    s.password.expose_secret()
                );
            }
        }
        let progress = tokio::spawn(report_progress(server.store().clone()));
        let prune = tokio::spawn(prune_sessions(server.services().clone()));
        log("running; Ctrl-C or SIGTERM stops");
        shutdown_signal().await;
        progress.abort();
        prune.abort();
        log(format_args!(
            "stopping: no new requests; running analyses get {} s to finish",
            config.shutdown_grace.as_secs()
        ));
        let report = server.shutdown().await?;
        log(format_args!(
            "stopped: {} finished, {} released to the queue",
            report.finished, report.released
        ));
        Ok(())
    })
}

/// Deletes ended sessions at start and then every hour (they can never be used again).
async fn prune_sessions(services: taisho_app::Services) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        match services.sessions().prune_ended().await {
            Ok(n) => tracing::info!(deleted = n, "ended sessions pruned"),
            Err(e) => tracing::warn!(error = %e, "pruning ended sessions failed"),
        }
    }
}
