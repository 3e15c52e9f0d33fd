//! Notation folding for matching (never for display). (stub: owned by the diff work)
