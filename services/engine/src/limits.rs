//! Explicit bounds on every engine run.
//!
//! The engine runs untrusted input on shared CPUs, so each stage checks these bounds and stops with
//! a stated reason (an error, or a labelled fallback) instead of running unbounded.

use std::time::{Duration, Instant};

use crate::error::{EngineError, Stage};

/// Bounds for one engine run. The defaults fit the largest real policies (~70 KB) with a wide margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes, before decoding. Default 8 MiB.
    pub max_input_bytes: usize,
    /// Largest number of tokens in one document. Default 2,000,000.
    pub max_tokens: usize,
    /// Wall-clock budget of one run (read, tokenise, analyse or diff). Default 10 s.
    pub deadline: Duration,
}

impl Limits {
    pub const DEFAULT_MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;
    pub const DEFAULT_MAX_TOKENS: usize = 2_000_000;
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

    /// Starts the clock for one run.
    pub fn start(&self) -> Deadline {
        Deadline {
            at: Instant::now() + self.deadline,
            budget: self.deadline,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: Self::DEFAULT_MAX_INPUT_BYTES,
            max_tokens: Self::DEFAULT_MAX_TOKENS,
            deadline: Self::DEFAULT_DEADLINE,
        }
    }
}

/// A started clock; stages call [`Deadline::check`] between units of work.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// A deadline that never passes in practice; for callers that bound work elsewhere.
    pub fn unbounded() -> Self {
        let budget = Duration::from_secs(60 * 60 * 24 * 365);
        Self {
            at: Instant::now() + budget,
            budget,
        }
    }

    pub fn check(&self, stage: Stage) -> Result<(), EngineError> {
        if self.expired() {
            Err(EngineError::DeadlineExceeded {
                stage,
                budget_ms: self.budget.as_millis() as u64,
            })
        } else {
            Ok(())
        }
    }

    pub fn expired(&self) -> bool {
        Instant::now() >= self.at
    }

    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }
}
