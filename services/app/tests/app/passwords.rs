//! Argon2id parameters, hashing and the concurrency cap.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use taisho_app::AppError;
use taisho_app::accounts::{PasswordConfig, PasswordHasher, PasswordParams};

#[test]
fn params_below_the_owasp_floor_are_rejected() {
    let floor = PasswordParams::FLOOR;
    assert_eq!(
        (floor.m_cost_kib, floor.t_cost, floor.p_cost),
        (19 * 1024, 2, 1)
    );
    assert!(floor.validate().is_ok());
    assert_eq!(PasswordParams::default(), floor);
    for weak in [
        PasswordParams {
            m_cost_kib: 19 * 1024 - 1,
            ..floor
        },
        PasswordParams { t_cost: 1, ..floor },
        PasswordParams { p_cost: 0, ..floor },
        // A common trade (more passes for less memory) is still below the memory floor.
        PasswordParams {
            m_cost_kib: 8 * 1024,
            t_cost: 10,
            p_cost: 1,
        },
    ] {
        let err = weak.validate().unwrap_err();
        assert!(matches!(err, AppError::Config(_)), "{weak:?}: {err}");
        let config = PasswordConfig {
            params: weak,
            max_concurrent: 1,
        };
        assert!(PasswordHasher::new(&config).is_err(), "{weak:?}");
    }
    assert!(
        PasswordParams {
            m_cost_kib: 64 * 1024,
            t_cost: 3,
            p_cost: 2
        }
        .validate()
        .is_ok()
    );
}

#[test]
fn a_zero_hash_cap_is_rejected() {
    let config = PasswordConfig {
        max_concurrent: 0,
        ..PasswordConfig::default()
    };
    assert!(matches!(
        PasswordHasher::new(&config),
        Err(AppError::Config(_))
    ));
}

#[tokio::test]
async fn hashes_are_argon2id_with_the_configured_params_and_verify_only_their_password() {
    let hasher = PasswordHasher::new(&PasswordConfig::default()).unwrap();
    let a = hasher.hash("パスワード1234").await.unwrap();
    let b = hasher.hash("パスワード1234").await.unwrap();
    assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
    assert_ne!(a, b, "every hash has its own salt");
    assert!(hasher.verify("パスワード1234", &a).await.unwrap());
    assert!(!hasher.verify("パスワード1235", &a).await.unwrap());
    assert!(!hasher.verify("", &a).await.unwrap());
    assert!(!hasher.verify("パスワード1234", "not a hash").await.unwrap());
    assert!(!hasher.verify_dummy("パスワード1234").await.unwrap());
}

#[tokio::test]
async fn stronger_params_are_recorded_in_the_hash() {
    let config = PasswordConfig {
        params: PasswordParams {
            m_cost_kib: 32 * 1024,
            t_cost: 3,
            p_cost: 1,
        },
        max_concurrent: 1,
    };
    let hasher = PasswordHasher::new(&config).unwrap();
    let h = hasher.hash("long enough").await.unwrap();
    assert!(h.starts_with("$argon2id$v=19$m=32768,t=3,p=1$"), "{h}");
    // A hasher with other settings still verifies it: the PHC string carries its parameters.
    let other = PasswordHasher::new(&PasswordConfig::default()).unwrap();
    assert!(other.verify("long enough", &h).await.unwrap());
}

/// On a single-threaded runtime, a ticker keeps running while hashes are computed: the work is on
/// blocking threads, not on the executor.
#[tokio::test(flavor = "current_thread")]
async fn hashing_does_not_block_the_async_executor() {
    let hasher = PasswordHasher::new(&PasswordConfig {
        max_concurrent: 1,
        ..PasswordConfig::default()
    })
    .unwrap();
    let ticks = Arc::new(AtomicUsize::new(0));
    let t = Arc::clone(&ticks);
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
            t.fetch_add(1, Ordering::SeqCst);
        }
    });
    let started = std::time::Instant::now();
    for _ in 0..3 {
        hasher.hash("a password of sorts").await.unwrap();
    }
    let elapsed = started.elapsed();
    ticker.abort();
    let n = ticks.load(Ordering::SeqCst);
    // Three hashes take tens of milliseconds; a blocked executor would tick at most a few times.
    assert!(
        n * 4 >= elapsed.as_millis() as usize / 2,
        "{n} ticks in {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_hashes_never_exceed_the_cap_even_when_callers_give_up() {
    let hasher = PasswordHasher::new(&PasswordConfig {
        max_concurrent: 2,
        ..PasswordConfig::default()
    })
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let h = hasher.clone();
        tasks.push(tokio::spawn(async move {
            if i % 4 == 0 {
                // Cancelled callers: their hash keeps its slot until it finishes.
                let _ = tokio::time::timeout(Duration::from_millis(5), h.hash("cancelled")).await;
            } else {
                h.hash("password").await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Let the cancelled callers' hashes finish.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        hasher.peak_concurrency() <= 2,
        "{}",
        hasher.peak_concurrency()
    );
    assert!(hasher.peak_concurrency() >= 1);
}
