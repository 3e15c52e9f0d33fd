//! Reading the files the offline commands are given: size checked before reading, errors naming
//! the file.

use std::path::Path;

use anyhow::Context;
use taisho_engine::pipeline::{Pipeline, Tokenised};
use taisho_engine::{Document, Limits};

/// The bytes of `path`; refused before reading when larger than the engine accepts, so a huge
/// file never lands in memory.
pub fn read_bytes(path: &Path, limits: &Limits) -> anyhow::Result<Vec<u8>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("{} を開けません", path.display()))?;
    if meta.len() > limits.max_input_bytes as u64 {
        return Err(taisho_engine::EngineError::InputTooLarge {
            size: meta.len() as usize,
            limit: limits.max_input_bytes,
        })
        .with_context(|| path.display().to_string());
    }
    std::fs::read(path).with_context(|| format!("{} を読めません", path.display()))
}

/// The file name: a hint for the engine's format detection (which reads the bytes first).
pub fn hint(path: &Path) -> Option<&str> {
    path.file_name().and_then(|n| n.to_str())
}

/// Reads and structures one file.
pub fn read_file(path: &Path, limits: &Limits) -> anyhow::Result<Document> {
    let bytes = read_bytes(path, limits)?;
    taisho_engine::read(&bytes, hint(path), limits).with_context(|| path.display().to_string())
}

/// Reads, structures and tokenises one file with the IPADIC tokenizer.
pub fn read_tokenised(path: &Path, limits: &Limits) -> anyhow::Result<Tokenised> {
    let bytes = read_bytes(path, limits)?;
    let tokenizer = crate::runtime::tokenizer()?;
    Pipeline::new(tokenizer.as_ref(), limits)
        .tokenise(&bytes, hint(path))
        .with_context(|| path.display().to_string())
}
