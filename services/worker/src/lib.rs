//! Durable job queue and worker pool (work in progress).
pub mod backoff;
