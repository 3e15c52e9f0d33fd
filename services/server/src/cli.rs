//! Command-line interface of the `taisho` binary.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use taisho_engine::{Document, Limits};

#[derive(Debug, Parser)]
#[command(
    name = "taisho",
    version,
    about = "情報セキュリティポリシーの対照・点検ツール"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read a policy document and print its structure.
    Parse {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = ParseFormat::Tree)]
        format: ParseFormat,
    },
    /// Print the morphemes of a policy document with their offsets.
    Tokens {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = crate::offline::TokensFormat::Tsv)]
        format: crate::offline::TokensFormat,
    },
    /// Compare two versions of a policy: morpheme diff, or the 新旧対照表 as HTML.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long, value_enum, default_value_t = crate::offline::DiffFormat::Text)]
        format: crate::offline::DiffFormat,
    },
    /// Run the engine over the demo data and write the results to a directory.
    Demo {
        /// Where the demo data lives (the seed policies).
        #[arg(long, default_value = "../shared")]
        shared: PathBuf,
        #[arg(long, default_value = ".data")]
        out: PathBuf,
    },
    /// Check a policy against the national model: covered / weakened / omitted per item.
    Analyze {
        file: PathBuf,
        /// Edition of the model (R5.3, R6.10, R7.3); default R5.3.
        #[arg(long)]
        edition: Option<String>,
        #[arg(long, value_enum, default_value_t = crate::analyze::AnalyzeFormat::Text)]
        format: crate::analyze::AnalyzeFormat,
    },
    /// Score the analysis against a label file; exits non-zero below the accuracy targets.
    Eval {
        labels: PathBuf,
        #[arg(long)]
        edition: Option<String>,
        /// List every row that is not right.
        #[arg(long)]
        verbose: bool,
    },
    /// Compare many policies: bodies × items statuses and which bodies share whose text.
    Compare {
        /// Policy files, or directories of them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        edition: Option<String>,
        #[arg(long, value_enum, default_value_t = crate::compare::CompareFormat::Json)]
        format: crate::compare::CompareFormat,
    },
    /// Run the service: the store (embedded SQLite in the data directory by default, created and
    /// migrated on first start, with demo data), the analysis workers and the HTTP API (GraphQL);
    /// until Ctrl-C or SIGTERM.
    Serve {
        #[command(flatten)]
        store: crate::config::StoreFlags,
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
    },
    /// API keys: `taisho keys create --org ORG` prints a new key (shown once).
    Keys {
        #[command(subcommand)]
        keys: KeysCommand,
    },
    /// Standalone analysis workers against a shared PostgreSQL (start any number, on any machine).
    Work {
        #[command(flatten)]
        store: crate::config::StoreFlags,
        /// Analysis worker threads (default: cores). Env: TAISHO_WORKER_THREADS.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Apply pending database migrations (on PostgreSQL, connect as the owner role).
    Migrate {
        #[command(flatten)]
        store: crate::config::StoreFlags,
    },
    /// Load policy files (or directories of them) as document versions of one organisation.
    Import {
        /// The organisation: its id or its exact name.
        #[arg(long)]
        org: String,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        store: crate::config::StoreFlags,
    },
    /// Benchmarks on synthetic data.
    Bench {
        #[command(subcommand)]
        bench: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create an API key for an organisation and print it alone on one line of stdout.
    Create {
        /// The organisation: its id or its exact name.
        #[arg(long)]
        org: String,
        /// A name for the key (default: "cli").
        #[arg(long, default_value = "cli")]
        name: String,
        /// What the key may do.
        #[arg(long, value_enum, default_value_t = crate::keys::KeyRole::Viewer)]
        role: crate::keys::KeyRole,
        #[command(flatten)]
        store: crate::config::StoreFlags,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Generate N synthetic bodies and time read, tokenise and analyse over all of them.
    National {
        #[arg(long, default_value_t = 1788)]
        bodies: usize,
        /// Worker threads; default all cores.
        #[arg(long)]
        threads: Option<usize>,
        #[arg(long, default_value = "1788", value_parser = crate::bench::parse_seed)]
        seed: u64,
        #[arg(long)]
        edition: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ParseFormat {
    Json,
    Tree,
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let limits = Limits::default();
    // The service commands log (and export spans when OTEL_* asks for it); offline commands stay
    // quiet.
    let _telemetry = match &cli.command {
        Command::Serve { .. }
        | Command::Work { .. }
        | Command::Migrate { .. }
        | Command::Import { .. }
        | Command::Keys { .. } => Some(crate::telemetry::init(
            &crate::telemetry::TelemetryConfig::from_env(),
        )?),
        _ => None,
    };
    match cli.command {
        Command::Serve {
            store,
            threads,
            listen,
            demo,
            no_demo,
        } => {
            let flags = crate::config::Flags {
                store,
                threads,
                listen,
                demo: match (demo, no_demo) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
            };
            crate::serve::serve(&crate::config::Config::from_flags(&flags)?)?
        }
        Command::Keys {
            keys:
                KeysCommand::Create {
                    org,
                    name,
                    role,
                    store,
                },
        } => crate::keys::create(
            &crate::config::Config::from_env(&store, None)?,
            &org,
            &name,
            role,
        )?,
        Command::Work { store, threads } => {
            crate::work::work(&crate::config::Config::from_env(&store, threads)?)?
        }
        Command::Migrate { store } => {
            crate::work::migrate(&crate::config::Config::from_env(&store, None)?)?
        }
        Command::Import { org, paths, store } => crate::serve::import(
            &crate::config::Config::from_env(&store, None)?,
            &org,
            &paths,
        )?,
        Command::Compare {
            paths,
            edition,
            format,
        } => crate::compare::compare(&paths, edition.as_deref(), format, &limits)?,
        Command::Bench {
            bench:
                BenchCommand::National {
                    bodies,
                    threads,
                    seed,
                    edition,
                },
        } => crate::bench::national(bodies, threads, seed, edition.as_deref())?,
        Command::Parse { file, format } => {
            let doc = read_file(&file, &limits)?;
            match format {
                ParseFormat::Json => print_json(&parse_json(&doc))?,
                ParseFormat::Tree => print!("{}", tree_text(&doc)),
            }
        }
        Command::Tokens { file, format } => crate::offline::tokens_file(&file, format, &limits)?,
        Command::Diff { old, new, format } => {
            crate::offline::diff_files(&old, &new, format, &limits)?
        }
        Command::Demo { shared, out } => crate::offline::demo(&shared, &out, &limits)?,
        Command::Analyze {
            file,
            edition,
            format,
        } => crate::analyze::analyze_file(&file, edition.as_deref(), format, &limits)?,
        Command::Eval {
            labels,
            edition,
            verbose,
        } => crate::analyze::eval_labels(&labels, edition.as_deref(), verbose, &limits)?,
    }
    Ok(())
}

/// Reads and structures one file; the file name is only a hint, detection reads the bytes.
pub(crate) fn read_file(path: &Path, limits: &Limits) -> anyhow::Result<Document> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("{} を開けません", path.display()))?;
    // Refuse before reading, so a huge file never lands in memory.
    if meta.len() > limits.max_input_bytes as u64 {
        return Err(taisho_engine::EngineError::InputTooLarge {
            size: meta.len() as usize,
            limit: limits.max_input_bytes,
        })
        .with_context(|| path.display().to_string());
    }
    let bytes = std::fs::read(path).with_context(|| format!("{} を読めません", path.display()))?;
    let hint = path.file_name().and_then(|n| n.to_str());
    taisho_engine::read(&bytes, hint, limits).with_context(|| path.display().to_string())
}

fn parse_json(doc: &Document) -> serde_json::Value {
    serde_json::json!({
        "format_version": 1,
        "meta": doc.meta,
        "artefacts": doc.artefacts,
        "tree": doc.tree(),
    })
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let out = serde_json::to_string_pretty(value)?;
    println!("{out}");
    Ok(())
}

/// An indented outline: one line per node with its path, heading and sentence count.
fn tree_text(doc: &Document) -> String {
    let mut out = String::new();
    for node in doc.walk().skip(1) {
        let depth = node.path.split('/').count().saturating_sub(1);
        let heading = doc.heading_text(node.id).unwrap_or("");
        let label = if node.path.is_empty() {
            format!("{:?}", node.kind).to_lowercase()
        } else {
            node.path.rsplit('/').next().unwrap_or("").to_owned()
        };
        out.push_str(&format!(
            "{:indent$}{label} {heading} [{}文]\n",
            "",
            node.body.len(),
            indent = depth * 2
        ));
    }
    out
}
