//! A database outage, through a TCP proxy between the server and PostgreSQL that the test cuts:
//! `/readyz` answers within a second whatever the database does, and queries fail as a retryable
//! `UNAVAILABLE` (503 with `Retry-After`), not as 500 `INTERNAL`; when the database is back, the
//! server recovers without a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::client::Client;
use crate::harness::{Server, ServerOptions};

const PASS: u8 = 0;
/// The database is down: open connections are cut, new ones closed at once.
const DOWN: u8 = 1;
/// A partition: connections are accepted and held, nothing goes through.
const HOLD: u8 = 2;

/// A TCP proxy to the test PostgreSQL server whose behaviour the test switches.
struct Proxy {
    addr: String,
    mode: Arc<AtomicU8>,
    /// Bumped on every switch: connections of an earlier generation end.
    cut: watch::Sender<u64>,
}

impl Proxy {
    async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let addr = listener.local_addr().expect("proxy addr").to_string();
        let mode = Arc::new(AtomicU8::new(PASS));
        let (cut, _) = watch::channel(0u64);
        let proxy = Proxy {
            addr,
            mode: mode.clone(),
            cut: cut.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let mut gone = cut.subscribe();
                match mode.load(Ordering::SeqCst) {
                    DOWN => drop(client),
                    HOLD => {
                        tokio::spawn(async move {
                            let _held = client;
                            let _ = gone.changed().await;
                        });
                    }
                    _ => {
                        tokio::spawn(async move {
                            let Ok(server) = TcpStream::connect("127.0.0.1:5432").await else {
                                return;
                            };
                            tokio::select! {
                                () = pipe(client, server) => {}
                                _ = gone.changed() => {}
                            }
                        });
                    }
                }
            }
        });
        proxy
    }

    fn switch(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        self.cut.send_modify(|g| *g += 1);
    }
}

async fn pipe(mut a: TcpStream, mut b: TcpStream) {
    let (mut ar, mut aw) = a.split();
    let (mut br, mut bw) = b.split();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = ar.read(&mut buf).await {
            if n == 0 || bw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = br.read(&mut buf).await {
            if n == 0 || aw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! { () = up => {}, () = down => {} }
}

/// `/readyz`: its status and how long it took.
async fn ready(client: &Client) -> (u16, Duration) {
    let t = Instant::now();
    let r = Client::send(client.raw(reqwest::Method::GET, "/readyz")).await;
    (r.status, t.elapsed())
}

pub async fn database_outage_is_unavailable_and_readiness_answers_at_once() {
    let proxy = Proxy::start().await;
    let server = Server::start_with(
        crate::harness::Backend::Postgres,
        ServerOptions {
            database_host: Some(proxy.addr.clone()),
            ..ServerOptions::default()
        },
    )
    .await;
    let key = server.create_key("デモ県", "viewer");
    let client = server.client();
    let api = client.with_bearer(&key);
    let query = "{ viewer { actingOrganisation { name } } }";
    assert_eq!(ready(&client).await.0, 200);
    assert!(api.gql(query, json!({})).await.errors().is_empty());

    for (mode, what) in [(DOWN, "down"), (HOLD, "partitioned")] {
        proxy.switch(mode);
        for _ in 0..3 {
            let (status, took) = ready(&client).await;
            assert_eq!(status, 503, "readyz while the database is {what}");
            assert!(
                took < Duration::from_secs(1),
                "readyz took {took:?} while the database is {what}"
            );
        }
        if mode == DOWN {
            let r = api.gql(query, json!({})).await;
            assert_eq!(r.status, 503, "{:?}", r.text);
            assert_eq!(r.code(), Some("UNAVAILABLE"), "{:?}", r.text);
            let retry: u64 = r
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .expect("Retry-After");
            assert!(retry >= 1);
        }
    }

    // Back: the pool reconnects by itself.
    proxy.switch(PASS);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = ready(&client).await;
        let r = api.gql(query, json!({})).await;
        if status == 200 && r.errors().is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery: readyz {status}, {:?}\n{}",
            r.text,
            server.stderr_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[test]
fn database_outage_is_unavailable_and_readiness_answers_at_once_on_postgres() {
    crate::harness::run(crate::harness::Backend::Postgres, |_| {
        database_outage_is_unavailable_and_readiness_answers_at_once()
    });
}
