#![doc = include_str!("../README.md")]

pub mod cli;
mod commands;
pub mod config;
pub mod http;
mod input;
pub mod output;
pub mod runtime;
pub mod startup;
pub mod telemetry;

pub use startup::{RunningServer, start};
