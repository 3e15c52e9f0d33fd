//! The `taisho` binary: parses the command line and hands over to [`taisho_server::cli::run`].

use std::process::ExitCode;

use clap::Parser;
use taisho_server::{cli, output};

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
