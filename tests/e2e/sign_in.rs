//! Sign-in throttling per account (an address that guesses is slowed, the owner elsewhere is not),
//! client addresses from trusted proxies only, and the origin check comparing the scheme too.

use serde_json::json;

use crate::client::{Client, Resp};
use crate::harness::{Backend, RAISED_RATE_LIMITS, Server, ServerOptions};

async fn attempt(client: &Client, from: &str, email: &str, password: &str) -> Resp {
    Client::send(
        client
            .raw(reqwest::Method::POST, "/auth/sign-in")
            .header("X-Forwarded-For", from)
            .json(&json!({ "email": email, "password": password })),
    )
    .await
}

/// A server for which the test client (127.0.0.1) is a trusted proxy: the addresses and the scheme
/// come from `X-Forwarded-For` and `X-Forwarded-Proto`.
async fn behind_a_trusted_proxy(backend: Backend) -> Server {
    Server::start_with(
        backend,
        ServerOptions {
            config_toml: Some(format!(
                "trusted_proxies = [\"127.0.0.1\"]\n{RAISED_RATE_LIMITS}"
            )),
            ..ServerOptions::default()
        },
    )
    .await
}

async fn sign_in_is_throttled_per_account_without_locking_out_the_owner(backend: Backend) {
    // The test client is the trusted proxy; the addresses are in X-Forwarded-For.
    let server = behind_a_trusted_proxy(backend).await;
    let admin = server.sign_in_for("admin").clone();
    let client = server.client();
    let guesser = "203.0.113.66";
    for n in 0..5 {
        let r = attempt(&client, guesser, &admin.email, &format!("wrong guess {n}")).await;
        assert_eq!(r.status, 401, "{}", r.text);
    }
    // The guessing address now waits, even with the right password, and is told how long.
    let r = attempt(&client, guesser, &admin.email, &admin.password).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.code(), Some("RATE_LIMITED"));
    assert!(r.header("retry-after").is_some());
    // The owner, from another address, signs in at once.
    let r = attempt(&client, "198.51.100.20", &admin.email, &admin.password).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Another account from the guessing address is not affected.
    let coordinator = server.sign_in_for("coordinator").clone();
    let r = attempt(&client, guesser, &coordinator.email, &coordinator.password).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

e2e_test!(
    sign_in_is_throttled_per_account_without_locking_out_the_owner,
    sign_in_is_throttled_per_account_without_locking_out_the_owner
);

async fn forwarded_addresses_are_ignored_from_untrusted_peers(backend: Backend) {
    // No trusted proxies: X-Forwarded-For is the client's own claim and changes nothing, so the
    // guesses from "different addresses" all count against the one real address.
    let server = Server::start(backend).await;
    let admin = server.sign_in_for("admin").clone();
    let client = server.client();
    for n in 0..5 {
        let r = attempt(&client, &format!("203.0.113.{n}"), &admin.email, "wrong").await;
        assert_eq!(r.status, 401, "{}", r.text);
    }
    let r = attempt(&client, "198.51.100.20", &admin.email, &admin.password).await;
    assert_eq!(r.status, 429, "{}", r.text);
}

e2e_test!(
    forwarded_addresses_are_ignored_from_untrusted_peers,
    forwarded_addresses_are_ignored_from_untrusted_peers
);

async fn the_origin_check_compares_the_scheme(backend: Backend) {
    let server = behind_a_trusted_proxy(backend).await;
    let admin = server.sign_in_for("admin").clone();
    let client = server.client();
    let host = server.base.trim_start_matches("http://").to_owned();
    let send = |origin: String, proto: Option<&'static str>| {
        let mut rb = client
            .raw(reqwest::Method::POST, "/auth/sign-in")
            .header("Origin", origin)
            .json(&json!({ "email": admin.email, "password": admin.password }));
        if let Some(p) = proto {
            rb = rb.header("X-Forwarded-Proto", p);
        }
        Client::send(rb)
    };
    // An https page is another origin than this plain-http server.
    let r = send(format!("https://{host}"), None).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = send(format!("http://{host}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Behind a TLS proxy that says so, https is the server's own scheme, and http is not.
    let r = send(format!("https://{host}"), Some("https")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(format!("http://{host}"), Some("https")).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

e2e_test!(
    the_origin_check_compares_the_scheme,
    the_origin_check_compares_the_scheme
);
