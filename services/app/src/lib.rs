#![doc = include_str!("../README.md")]

pub mod accounts;
pub mod analysis;
pub mod audit;
pub mod demo;
pub mod documents;
pub mod error;
pub mod import;
pub mod keys;
pub mod matrix;
pub mod runtime;

pub use error::{AppError, Result};
