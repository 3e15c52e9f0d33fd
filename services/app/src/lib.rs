#![doc = include_str!("../README.md")]

pub mod accounts;
pub mod analyses;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod demo;
pub mod diff;
pub mod documents;
pub mod engine;
pub mod error;
pub mod grants;
pub mod home;
pub mod import;
pub mod keys;
pub mod matrix;
pub mod orgs;
pub mod progress;
pub mod records;
pub mod runtime;
pub mod services;
pub mod sessions;
pub mod throttle;

pub use error::{AppError, Result};
pub use services::{Services, ServicesConfig};

/// Secrets (keys, tokens, passwords) are `secrecy` types; this is how callers read them.
pub use secrecy::{ExposeSecret, SecretString};
