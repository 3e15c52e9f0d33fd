//! The tokenisation stage: folded sentences through a [`crate::Tokenizer`], offsets mapped back. (stub)
