#![doc = include_str!("../README.md")]

mod analyze;
mod bench;
pub mod cli;
mod compare;
pub mod config;
pub mod http;
mod keys;
mod offline;
pub mod output;
pub mod serve;
pub mod service;
pub mod telemetry;
mod work;

pub use service::{RunningServer, start};
