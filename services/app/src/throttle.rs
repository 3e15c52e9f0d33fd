//! Per-account sign-in throttling that slows password guessing without letting anyone lock the
//! account's owner out.
//!
//! Two rules, both checked before any password work:
//! - **Per account and address.** After [`ThrottleConfig::pair_free`] failures from one address,
//!   that address waits 1 s, 2 s, 4 s, … (at most [`ThrottleConfig::pair_max_wait`]) after each
//!   further failure on the account. Other addresses are not affected, so an attacker slows only
//!   itself.
//! - **Per account, any address.** After [`ThrottleConfig::account_free`] failures on the account
//!   within [`ThrottleConfig::window`] (a guess spread over many addresses), addresses that have
//!   never signed in to the account successfully wait between attempts, growing to at most
//!   [`ThrottleConfig::account_max_wait`]. Addresses the owner signed in from before are exempt, and
//!   the wait is short and bounded, so the rule cannot become a lockout.
//!
//! The state is in memory, per process (several servers each apply it: an attacker gets a few
//! times the attempts, still far from a useful guessing rate). It is bounded: accounts idle for a
//! window are swept when the map is full. Emails are kept as SHA-256 digests only.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The throttle's settings.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Failures from one address on one account before it waits.
    pub pair_free: u32,
    /// The longest wait of one address on one account.
    pub pair_max_wait: Duration,
    /// Failures on one account (any address) within `window` before unknown addresses wait.
    pub account_free: usize,
    /// The longest wait of an unknown address under the account-wide rule.
    pub account_max_wait: Duration,
    pub window: Duration,
    /// Accounts tracked at most (then idle ones are swept, then the oldest half).
    pub capacity: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            pair_free: 5,
            pair_max_wait: Duration::from_secs(15 * 60),
            account_free: 20,
            account_max_wait: Duration::from_secs(30),
            window: Duration::from_secs(15 * 60),
            capacity: 100_000,
        }
    }
}

/// Addresses remembered per account as "signed in from here before".
const KNOWN_ADDRESSES: usize = 16;

#[derive(Debug, Default)]
struct Pair {
    failures: u32,
    last: Option<Instant>,
}

#[derive(Debug)]
struct Account {
    pairs: HashMap<Option<IpAddr>, Pair>,
    /// Failure times within the window, oldest first.
    recent: VecDeque<Instant>,
    known: VecDeque<IpAddr>,
    last_seen: Instant,
}

impl Account {
    fn new(now: Instant) -> Account {
        Account {
            pairs: HashMap::new(),
            recent: VecDeque::new(),
            known: VecDeque::new(),
            last_seen: now,
        }
    }

    fn prune(&mut self, now: Instant, window: Duration) {
        while self
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > window)
        {
            self.recent.pop_front();
        }
    }
}

/// `2^(n) seconds`, at most `max`.
fn doubling(n: u32, max: Duration) -> Duration {
    Duration::from_secs(1u64 << n.min(20)).min(max)
}

/// The sign-in throttle (one per [`crate::accounts::Accounts`]).
#[derive(Debug)]
pub struct SignInThrottle {
    config: ThrottleConfig,
    accounts: Mutex<HashMap<[u8; 32], Account>>,
}

impl SignInThrottle {
    pub fn new(config: ThrottleConfig) -> SignInThrottle {
        SignInThrottle {
            config,
            accounts: Mutex::new(HashMap::new()),
        }
    }

    fn key(email: &str) -> [u8; 32] {
        Sha256::digest(email.trim().to_lowercase().as_bytes()).into()
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<[u8; 32], Account>) -> R) -> R {
        // A poisoned lock (a panic elsewhere while holding it) still holds a valid map.
        let mut map = self
            .accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut map)
    }

    /// `Err(wait)` when `client` must wait before trying `email` again.
    pub fn check(&self, email: &str, client: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let c = &self.config;
        self.with(|map| {
            let Some(a) = map.get_mut(&Self::key(email)) else {
                return Ok(());
            };
            a.prune(now, c.window);
            let mut wait_until: Option<Instant> = None;
            if let Some(p) = a.pairs.get(&client)
                && p.failures >= c.pair_free
                && let Some(last) = p.last
            {
                wait_until = Some(last + doubling(p.failures - c.pair_free, c.pair_max_wait));
            }
            let known = client.is_some_and(|ip| a.known.contains(&ip));
            if !known
                && a.recent.len() >= c.account_free
                && let Some(last) = a.recent.back()
            {
                let over = u32::try_from((a.recent.len() - c.account_free) / 5).unwrap_or(u32::MAX);
                let until = *last + doubling(over, c.account_max_wait);
                wait_until = Some(wait_until.map_or(until, |w| w.max(until)));
            }
            match wait_until {
                Some(until) if until > now => Err(until - now),
                _ => Ok(()),
            }
        })
    }

    /// A wrong password (or unknown account) for `email` from `client`.
    pub fn failed(&self, email: &str, client: Option<IpAddr>, now: Instant) {
        let c = &self.config;
        self.with(|map| {
            if map.len() >= c.capacity {
                map.retain(|_, a| now.saturating_duration_since(a.last_seen) < c.window);
                if map.len() >= c.capacity {
                    let mut seen: Vec<Instant> = map.values().map(|a| a.last_seen).collect();
                    seen.sort_unstable();
                    let cut = seen[seen.len() / 2];
                    map.retain(|_, a| a.last_seen > cut);
                }
            }
            let a = map
                .entry(Self::key(email))
                .or_insert_with(|| Account::new(now));
            a.last_seen = now;
            a.prune(now, c.window);
            a.recent.push_back(now);
            let p = a.pairs.entry(client).or_default();
            p.failures = p.failures.saturating_add(1);
            p.last = Some(now);
        });
    }

    /// A successful sign-in: the address's failures are forgotten and it becomes known.
    pub fn succeeded(&self, email: &str, client: Option<IpAddr>) {
        self.with(|map| {
            let Some(a) = map.get_mut(&Self::key(email)) else {
                if let Some(ip) = client {
                    let mut a = Account::new(Instant::now());
                    a.known.push_back(ip);
                    map.insert(Self::key(email), a);
                }
                return;
            };
            a.pairs.remove(&client);
            if let Some(ip) = client
                && !a.known.contains(&ip)
            {
                if a.known.len() >= KNOWN_ADDRESSES {
                    a.known.pop_front();
                }
                a.known.push_back(ip);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(
        clippy::unnecessary_wraps,
        reason = "the throttle takes an optional client address"
    )]
    fn ip(n: u8) -> Option<IpAddr> {
        Some(IpAddr::from([203, 0, 113, n]))
    }

    #[test]
    fn one_address_is_slowed_after_its_free_failures_and_others_are_not() {
        let t = SignInThrottle::new(ThrottleConfig::default());
        let now = Instant::now();
        for _ in 0..5 {
            assert!(t.check("a@example.jp", ip(1), now).is_ok());
            t.failed("a@example.jp", ip(1), now);
        }
        let wait = t.check("a@example.jp", ip(1), now).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(t.check("a@example.jp", ip(2), now).is_ok());
        assert!(t.check("b@example.jp", ip(1), now).is_ok());
        // Waits double with each further failure.
        t.failed("a@example.jp", ip(1), now);
        assert_eq!(
            t.check("a@example.jp", ip(1), now).unwrap_err(),
            Duration::from_secs(2)
        );
        assert!(
            t.check("A@Example.jp ", ip(1), now).is_err(),
            "case and blanks"
        );
    }

    #[test]
    fn many_addresses_slow_unknown_addresses_but_never_the_owners_known_one() {
        let t = SignInThrottle::new(ThrottleConfig::default());
        let now = Instant::now();
        t.succeeded("a@example.jp", ip(200));
        for n in 0..40 {
            t.failed("a@example.jp", ip(n), now);
        }
        assert!(t.check("a@example.jp", ip(100), now).is_err());
        let wait = t.check("a@example.jp", ip(100), now).unwrap_err();
        assert!(wait <= Duration::from_secs(30), "{wait:?}");
        assert!(t.check("a@example.jp", ip(200), now).is_ok());
        assert!(
            t.check("a@example.jp", ip(100), now + Duration::from_secs(31))
                .is_ok()
        );
    }
}
