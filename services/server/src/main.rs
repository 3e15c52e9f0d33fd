//! The `taisho` binary: parses the command line and hands over to [`taisho_server::cli::run`].

use std::process::ExitCode;

use clap::Parser;
use taisho_server::{cli, output};

// glibc's malloc took a third of the server's CPU under concurrent API load (many small
// allocations per GraphQL field, freed on other threads); see infra/bench/README.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", output::describe_error(&err));
            ExitCode::FAILURE
        }
    }
}
