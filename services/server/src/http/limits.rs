//! Request limits: bounded body reading, and token-bucket rate limits per client address, per API
//! key and per organisation.
//!
//! Buckets live in a few mutex-guarded shards. Memory is bounded: a bucket idle long enough to be
//! full again is the same as no bucket, so sweeps drop those; a shard at its capacity after a sweep
//! drops its least recently used half.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;

use crate::config::Rate;
use crate::http::errors::ApiError;

const SHARDS: usize = 16;
/// Buckets per shard before a sweep (so at most `SHARDS × SHARD_CAPACITY` per limiter).
const SHARD_CAPACITY: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by `K`.
#[derive(Debug)]
pub struct Limiter<K> {
    rate: Rate,
    shards: Vec<Mutex<HashMap<K, Bucket>>>,
    hasher: std::collections::hash_map::RandomState,
    capacity: usize,
}

impl<K: Hash + Eq + Copy> Limiter<K> {
    /// `None` when the rate is 0 (the limit is off).
    pub fn new(rate: Rate) -> Option<Limiter<K>> {
        Limiter::with_capacity(rate, SHARD_CAPACITY)
    }

    fn with_capacity(rate: Rate, capacity: usize) -> Option<Limiter<K>> {
        rate.enabled().then(|| Limiter {
            rate,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
            capacity,
        })
    }

    /// `key`'s bucket, refilled up to `now`, handed to `f` under its shard's lock.
    fn with_bucket<R>(&self, key: K, now: Instant, f: impl FnOnce(&mut Bucket) -> R) -> R {
        let shard = (self.hasher.hash_one(key) as usize) % self.shards.len();
        // A poisoned shard (a panic while holding it) is still a valid map.
        let mut map = self.shards[shard]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let burst = f64::from(self.rate.burst.max(1));
        if map.len() >= self.capacity && !map.contains_key(&key) {
            self.sweep(&mut map, now);
        }
        let bucket = map.entry(key).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate.rate).min(burst);
        bucket.last = now;
        f(bucket)
    }

    /// Takes one token for `key`: `Err(wait)` when the bucket is empty, with the time until a
    /// token is back.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        let rate = self.rate.rate;
        self.with_bucket(key, now, |bucket| {
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                Ok(())
            } else {
                let wait = (1.0 - bucket.tokens) / rate;
                Err(Duration::from_secs_f64(wait.max(0.0)))
            }
        })
    }

    /// Takes up to `tokens` more tokens from `key`'s bucket (never below empty): the cost of a
    /// refused request on top of the one [`Limiter::check`] took.
    pub fn charge(&self, key: K, now: Instant, tokens: u32) {
        self.with_bucket(key, now, |bucket| {
            bucket.tokens = (bucket.tokens - f64::from(tokens)).max(0.0);
        });
    }

    /// Drops full buckets; if the shard is still at capacity, its least recently used half.
    fn sweep(&self, map: &mut HashMap<K, Bucket>, now: Instant) {
        let refill = Duration::from_secs_f64(f64::from(self.rate.burst.max(1)) / self.rate.rate);
        map.retain(|_, b| now.saturating_duration_since(b.last) < refill);
        if map.len() >= self.capacity {
            let mut lasts: Vec<Instant> = map.values().map(|b| b.last).collect();
            lasts.sort_unstable();
            let cut = lasts[lasts.len() / 2];
            map.retain(|_, b| b.last > cut);
        }
    }

    /// Buckets held (for tests).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |m| m.len()))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let limiter = Limiter::new(Rate::new(2.0, 3)).expect("enabled");
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(1u32, t0).is_ok());
        }
        let wait = limiter.check(1u32, t0).expect_err("empty");
        assert!(wait <= Duration::from_millis(500), "{wait:?}");
        assert_eq!(retry_after(wait), 1);
        // Another key has its own bucket.
        assert!(limiter.check(2u32, t0).is_ok());
        assert!(limiter.check(1u32, t0 + Duration::from_millis(500)).is_ok());
        assert!(
            limiter
                .check(1u32, t0 + Duration::from_millis(500))
                .is_err()
        );
    }

    #[test]
    fn a_charge_empties_the_bucket_faster_but_never_below_empty() {
        let limiter = Limiter::new(Rate::new(1.0, 10)).expect("enabled");
        let t0 = Instant::now();
        assert!(limiter.check(1u32, t0).is_ok());
        limiter.charge(1u32, t0, 5);
        // 10 - 1 - 5 = 4 left.
        for _ in 0..4 {
            assert!(limiter.check(1u32, t0).is_ok());
        }
        assert!(limiter.check(1u32, t0).is_err());
        limiter.charge(1u32, t0, 100);
        // Empty, not in debt: one second brings one token back.
        assert!(limiter.check(1u32, t0 + Duration::from_secs(1)).is_ok());
        // Another key is untouched.
        assert!(limiter.check(2u32, t0).is_ok());
    }

    #[test]
    fn a_zero_rate_is_no_limiter() {
        assert!(Limiter::<u32>::new(Rate::new(0.0, 0)).is_none());
    }

    #[test]
    fn memory_stays_bounded_under_many_keys() {
        let limiter = Limiter::with_capacity(Rate::new(1.0, 1), 64).expect("enabled");
        let t0 = Instant::now();
        for k in 0..100_000u32 {
            let _ = limiter.check(k, t0 + Duration::from_micros(u64::from(k)));
        }
        assert!(limiter.len() <= SHARDS * 64, "{}", limiter.len());
    }
}
