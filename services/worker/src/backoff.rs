//! Retry delays: exponential with full jitter, capped.
//!
//! Full jitter (a uniform draw in `[0, min(cap, base·2^(n-1))]`) rather than "exponential plus a little
//! noise" because after a shared failure (database restart, a bad deploy) every worker retries its jobs
//! at once; spreading each retry over the whole window is what keeps them from arriving as a herd.

use std::time::Duration;

/// How long a failed job waits before its next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the first retry's window.
    pub base: Duration,
    /// No retry waits longer than this.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(10 * 60),
        }
    }
}

impl Backoff {
    /// Upper bound of the wait after the `attempt`-th failed attempt (1-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        // 2^31 · base overflows nothing useful: beyond ~40 doublings every base is past any cap.
        let doublings = attempt.saturating_sub(1).min(40);
        let factor = 1u64 << doublings;
        let base_ms = u64::try_from(self.base.as_millis()).unwrap_or(u64::MAX);
        let cap_ms = u64::try_from(self.cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(base_ms.saturating_mul(factor).min(cap_ms))
    }

    /// The wait after the `attempt`-th failed attempt: uniform in `[0, ceiling(attempt)]`.
    pub fn delay(&self, attempt: u32, rng: &mut fastrand::Rng) -> Duration {
        let ceiling = u64::try_from(self.ceiling(attempt).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.u64(0..=ceiling))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_stops_at_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
        };
        let secs: Vec<u64> = (1..=8).map(|n| b.ceiling(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn delay_stays_inside_the_window_and_spreads_over_it() {
        let b = Backoff::default();
        let mut rng = fastrand::Rng::with_seed(7);
        let ceiling = b.ceiling(3);
        let draws: Vec<Duration> = (0..1000).map(|_| b.delay(3, &mut rng)).collect();
        assert!(draws.iter().all(|d| *d <= ceiling));
        // Full jitter: both halves of the window are used.
        assert!(draws.iter().any(|d| *d < ceiling / 4));
        assert!(draws.iter().any(|d| *d > ceiling * 3 / 4));
    }
}
