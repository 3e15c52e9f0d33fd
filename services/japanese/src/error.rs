use std::path::PathBuf;

/// Why the Japanese tokenizer could not be made ready.
///
/// Every variant is a setup problem (missing files, an unwritable cache, a broken build), never a
/// problem with a document: once a [`crate::JapaneseTokenizer`] exists, segmenting cannot fail on
/// account of the dictionary. Reasons coming from lindera are kept as text so this type stays
/// `Clone` (the process-wide tokenizer caches its construction result) and lindera's error types
/// stay out of our public API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DictionaryError {
    #[error(
        "IPADIC source not found at {}: install Debian's mecab-ipadic (apt-get install mecab-ipadic) or set TAISHO_IPADIC_SRC",
        path.display()
    )]
    SourceNotFound { path: PathBuf },

    #[error("dictionary cache directory {} is not usable: {reason}", path.display())]
    Cache { path: PathBuf, reason: String },

    #[error("building the IPADIC dictionary from {} failed: {reason}", source_dir.display())]
    Build { source_dir: PathBuf, reason: String },

    #[error(
        "loading the dictionary at {} failed: {reason} (delete that directory to rebuild it)",
        path.display()
    )]
    Load { path: PathBuf, reason: String },

    #[error("the bundled domain user dictionary is invalid: {reason}")]
    UserDictionary { reason: String },

    #[error("the bundled IPADIC metadata is invalid: {reason}")]
    Metadata { reason: String },
}
