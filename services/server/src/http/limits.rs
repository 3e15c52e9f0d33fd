//! Request limits: bounded body reading, and token-bucket rate limits per client address, per API
//! key and per organisation.
//!
//! The buckets are `governor`'s keyed GCRA limiter (a token bucket without a timer per key).
//! Memory is bounded: once a limiter holds more than its capacity of keys, keys whose bucket is
//! full again are dropped (`retain_recent`: they are the same as no bucket), so it holds at most
//! its capacity plus the keys seen within one refill time (burst / rate), which the request rate
//! bounds.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::config::Rate;
use crate::http::errors::ApiError;

/// Keys a limiter holds before it sheds idle ones.
const CAPACITY: usize = 65_536;
/// How many checks pass between two looks at the key count (counting a `DashMap` visits every
/// shard).
const LOOK_EVERY: u32 = 1024;

/// Token buckets keyed by `K`, on the clock `C` (the real one outside tests).
pub struct Limiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    inner: RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<C::Instant>>,
    capacity: usize,
    checks: AtomicU32,
}

impl<K: Hash + Eq + Clone, C: Clock> std::fmt::Debug for Limiter<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("keys", &self.inner.len())
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// `None` when the rate is 0 (the limit is off).
    pub fn new(rate: Rate) -> Option<Limiter<K>> {
        Limiter::with_clock(rate, DefaultClock::default(), CAPACITY)
    }
}

impl<K: Hash + Eq + Clone, C: Clock> Limiter<K, C> {
    fn with_clock(rate: Rate, clock: C, capacity: usize) -> Option<Limiter<K, C>> {
        if !rate.enabled() {
            return None;
        }
        // One token every 1/rate seconds, at least a nanosecond apart.
        let period = Duration::from_secs_f64(1.0 / rate.rate).max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(Limiter {
            inner: RateLimiter::dashmap_with_clock(quota, clock),
            capacity,
            checks: AtomicU32::new(0),
        })
    }

    /// Takes one token for `key`: `Err(wait)` when the bucket is empty, with the time until a
    /// token is back.
    pub fn check(&self, key: K) -> Result<(), Duration> {
        self.bound_memory();
        self.inner
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.inner.clock().now()))
    }

    /// Takes up to `tokens` more tokens from `key`'s bucket (never below empty): the cost of a
    /// refused request on top of the one [`Limiter::check`] took.
    pub fn charge(&self, key: K, tokens: u32) {
        for _ in 0..tokens {
            if self.inner.check_key(&key).is_err() {
                break;
            }
        }
    }

    fn bound_memory(&self) {
        if !self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(LOOK_EVERY)
        {
            return;
        }
        if self.inner.len() > self.capacity {
            self.inner.retain_recent();
            self.inner.shrink_to_fit();
        }
    }

    /// Keys held (for tests).
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

/// `Retry-After` seconds for a wait: rounded up, at least 1.
pub fn retry_after(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// Refuses a request whose `Content-Length` is over `limit`, before reading it.
pub fn check_length(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(ApiError::too_large(limit)),
        _ => Ok(()),
    }
}

/// The longest a client may take to send a request body (a slow sender holds a connection).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads the whole body, refusing it with 413 as soon as it passes `limit` bytes, and with 408 when
/// it takes longer than [`BODY_TIMEOUT`].
pub async fn read_body(payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    read_body_sized(payload, limit, 0).await
}

/// [`read_body`] into a buffer of `expected` bytes (the declared length, at most `limit`), so a
/// large body is not copied through doubling buffers.
pub async fn read_body_sized(
    payload: Payload,
    limit: usize,
    expected: usize,
) -> Result<Bytes, ApiError> {
    tokio::time::timeout(
        BODY_TIMEOUT,
        read_limited(payload, limit, expected.min(limit)),
    )
    .await
    .unwrap_or_else(|_| Err(ApiError::timeout()))
}

async fn read_limited(
    mut payload: Payload,
    limit: usize,
    expected: usize,
) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::with_capacity(expected);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("要求の本文を読み取れません。"))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limiter(rate: Rate) -> (Limiter<u32, FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let limiter = Limiter::with_clock(rate, clock.clone(), CAPACITY).expect("enabled");
        (limiter, clock)
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let (limiter, clock) = limiter(Rate::new(2.0, 3));
        for _ in 0..3 {
            assert!(limiter.check(1).is_ok());
        }
        let wait = limiter.check(1).expect_err("empty");
        assert!(wait <= Duration::from_millis(500), "{wait:?}");
        assert_eq!(retry_after(wait), 1);
        // Another key has its own bucket.
        assert!(limiter.check(2).is_ok());
        clock.advance(Duration::from_millis(500));
        assert!(limiter.check(1).is_ok());
        assert!(limiter.check(1).is_err());
    }

    #[test]
    fn a_charge_empties_the_bucket_faster_but_never_below_empty() {
        let (limiter, clock) = limiter(Rate::new(1.0, 10));
        assert!(limiter.check(1).is_ok());
        limiter.charge(1, 5);
        // 10 - 1 - 5 = 4 left.
        for _ in 0..4 {
            assert!(limiter.check(1).is_ok());
        }
        assert!(limiter.check(1).is_err());
        limiter.charge(1, 100);
        // Empty, not in debt: one second brings one token back.
        clock.advance(Duration::from_secs(1));
        assert!(limiter.check(1).is_ok());
        // Another key is untouched.
        assert!(limiter.check(2).is_ok());
    }

    #[test]
    fn a_zero_rate_is_no_limiter() {
        assert!(Limiter::<u32>::new(Rate::new(0.0, 0)).is_none());
    }

    #[test]
    fn memory_stays_bounded_under_many_keys() {
        let clock = FakeRelativeClock::default();
        let limiter = Limiter::with_clock(Rate::new(1.0, 1), clock.clone(), 64).expect("enabled");
        // 100,000 addresses, one new every millisecond; a bucket is full again after a second.
        for k in 0..100_000u32 {
            clock.advance(Duration::from_millis(1));
            let _ = limiter.check(k);
        }
        // Held: the keys of about the last refill time and look interval, not all 100,000.
        assert!(limiter.len() <= 5_000, "{}", limiter.len());
    }
}
