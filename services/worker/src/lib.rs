#![doc = include_str!("../README.md")]

pub mod backoff;
pub mod pool;
pub mod queue;
pub mod trace;

pub use backoff::Backoff;
pub use pool::{
    Handlers, JobError, JobHandler, JobOutput, PoolConfig, PoolStats, Progress, ShutdownReport,
    WorkerPool, default_worker_id,
};
pub use queue::{
    ClaimedJob, Completion, Enqueued, FailOutcome, JobRow, JobSpec, JobState, Queue, QueueError,
    Retry, enqueue,
};
