//! Command-line interface of the `taisho` binary: the command list. Each command's arguments and
//! work live in its module under [`crate::commands`].

use clap::{Parser, Subcommand};

use crate::commands::{
    analyze, bench, compare, demo, diff, eval, import, keys, migrate, parse, serve, tokens, work,
};

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
    Parse(parse::Args),
    /// Print the morphemes of a policy document with their offsets.
    Tokens(tokens::Args),
    /// Compare two versions of a policy: morpheme diff, or the 新旧対照表 as HTML.
    Diff(diff::Args),
    /// Run the engine over the demo data and write the results to a directory.
    Demo(demo::Args),
    /// Check a policy against the national model: covered / weakened / omitted per item.
    Analyze(analyze::Args),
    /// Score the analysis against a label file; exits non-zero below the accuracy targets.
    Eval(eval::Args),
    /// Compare many policies: bodies × items statuses and which bodies share whose text.
    Compare(compare::Args),
    /// Run the service: the store (embedded SQLite in the data directory by default, created and
    /// migrated on first start, with demo data), the analysis workers and the HTTP API (GraphQL);
    /// until Ctrl-C or SIGTERM.
    Serve(serve::Args),
    /// API keys: `taisho keys create --org ORG` prints a new key (shown once).
    Keys(keys::Args),
    /// Standalone analysis workers against a shared PostgreSQL (start any number, on any machine).
    Work(work::Args),
    /// Apply pending database migrations (on PostgreSQL, connect as the owner role).
    Migrate(migrate::Args),
    /// Load policy files (or directories of them) as document versions of one organisation.
    Import(import::Args),
    /// Benchmarks on synthetic data.
    Bench(bench::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    // The service commands log (and export spans when OTEL_* asks for it); offline commands stay
    // quiet.
    let _telemetry = match &cli.command {
        Command::Serve(_)
        | Command::Work(_)
        | Command::Migrate(_)
        | Command::Import(_)
        | Command::Keys(_) => Some(crate::telemetry::init(
            &crate::telemetry::TelemetryConfig::from_env(),
        )?),
        _ => None,
    };
    match cli.command {
        Command::Parse(args) => parse::run(args),
        Command::Tokens(args) => tokens::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Keys(args) => keys::run(args),
        Command::Work(args) => work::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Import(args) => import::run(args),
        Command::Bench(args) => bench::run(args),
    }
}
