#![doc = include_str!("../README.md")]

pub mod accounts;
pub mod audit;
pub mod error;
pub mod keys;

pub use error::{AppError, Result};
