#![doc = include_str!("../README.md")]

pub mod dictionary;
mod error;
mod tokenizer;

pub use dictionary::DictionaryConfig;
pub use error::DictionaryError;
pub use tokenizer::{JapaneseTokenizer, map_pos};
