#![doc = include_str!("../README.md")]

mod analyze;
mod bench;
mod cli;
mod compare;
mod config;
mod offline;
mod output;
mod serve;
mod work;

use std::process::ExitCode;

use clap::Parser;

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
