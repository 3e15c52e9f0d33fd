//! Morpheme-level diffs and the 新旧対照表. (stub: owned by the diff work)
