//! 10,000 alternating-tenant transactions on a pool of 2 connections, a fifth of them cancelled
//! (timeouts at arbitrary points, futures dropped after one poll) and a tenth panicking: every
//! transaction observes exactly its own tenant settings and rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use taisho_store::{Backend, Mode, Store, StoreOptions, TenantScope, Tx, documents};
use taisho_testkit::TestDb;

use crate::common::{World, user_scope};

const TRANSACTIONS: usize = 10_000;

static CANCELLED: AtomicUsize = AtomicUsize::new(0);

struct Tenant {
    scope: TenantScope,
    org: taisho_domain::OrgId,
    other: taisho_domain::OrgId,
    read_setting: String,
}

/// What a transaction observes must be its own tenant's, and nothing else.
async fn observe(tx: &Tx, t: &Tenant) {
    if tx.backend() == Backend::Postgres {
        let r = tx
            .conn()
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT current_setting('taisho.read', true) AS r, \
                 current_setting('taisho.system', true) AS s, \
                 (SELECT count(*) FROM documents) AS n",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.try_get::<String>("", "r").unwrap(), t.read_setting);
        assert_eq!(r.try_get::<String>("", "s").unwrap(), "off");
        assert_eq!(
            r.try_get::<i64>("", "n").unwrap(),
            2,
            "rows visible through RLS"
        );
    }
    assert_eq!(documents::list(tx, t.org).await.unwrap().len(), 2);
    assert!(documents::list(tx, t.other).await.is_err());
}

async fn one(store: &Store, t: &Tenant, i: usize) {
    match i % 10 {
        // Cancelled by a timeout at some point: in BEGIN, in the settings, mid-query, or while
        // the transaction is open.
        7 | 8 => {
            let micros = (i * 7919 % 3000) as u64;
            let run = tokio::time::timeout(Duration::from_micros(micros), async {
                let tx = store.begin(&t.scope, Mode::Read).await.unwrap();
                observe(&tx, t).await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            })
            .await;
            if run.is_err() {
                CANCELLED.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Dropped after its first poll.
        9 if i % 20 == 9 => {
            let mut fut = Box::pin(async {
                let tx = store.begin(&t.scope, Mode::Read).await.unwrap();
                observe(&tx, t).await;
            });
            let waker = std::task::Waker::noop();
            let _ = fut
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker));
            drop(fut);
        }
        // Panics with the transaction open (resume_unwind skips the panic hook: no output).
        9 => {
            let store = store.clone();
            let scope = t.scope.clone();
            let handle = tokio::spawn(async move {
                let _tx = store.begin(&scope, Mode::Read).await.unwrap();
                std::panic::resume_unwind(Box::new("tenant task panicked"));
            });
            assert!(handle.await.unwrap_err().is_panic());
        }
        _ => {
            let tx = store.begin(&t.scope, Mode::Read).await.unwrap();
            observe(&tx, t).await;
            if i.is_multiple_of(2) {
                tx.commit().await.unwrap();
            } else {
                tx.rollback().await.unwrap();
            }
        }
    }
}

use std::future::Future;

async fn run(db: TestDb) {
    // A separate pool of exactly two connections on the same database.
    let options = StoreOptions {
        max_connections: 2,
        ..Default::default()
    };
    let store = Store::connect_with(&db.url, &options).await.unwrap();
    let w = World::build(&store, 1, 1).await;
    let st = &store;
    let mk = |org, other, user| async move {
        let scope = user_scope(st, user).await;
        Tenant {
            read_setting: org_list(&scope),
            scope,
            org,
            other,
        }
    };
    let a = mk(w.members[0].org, w.unrelated[0].org, w.members[0].admin).await;
    let b = mk(w.unrelated[0].org, w.members[0].org, w.unrelated[0].admin).await;
    let tenants = Arc::new([a, b]);
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (store, tenants, next) = (store.clone(), tenants.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= TRANSACTIONS {
                    break;
                }
                one(&store, &tenants[i % 2], i).await;
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    // The pooled connections, outside any transaction, carry no tenant setting.
    if store.backend() == Backend::Postgres {
        for _ in 0..4 {
            let r = store
                .connection()
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT coalesce(current_setting('taisho.read', true), '') AS r, \
                     (SELECT count(*) FROM documents) AS n",
                ))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(r.try_get::<String>("", "r").unwrap(), "");
            assert_eq!(r.try_get::<i64>("", "n").unwrap(), 0);
        }
    }
    // Every cancellable transaction was cancelled somewhere (the 5 ms sleep outlasts every timeout).
    assert!(
        CANCELLED.load(Ordering::Relaxed) >= 1_000,
        "{}",
        CANCELLED.load(Ordering::Relaxed)
    );
    // Every transaction ran to one of its ends; the pool still works.
    let tx = store.begin(&tenants[0].scope, Mode::Read).await.unwrap();
    observe(&tx, &tenants[0]).await;
    let _ = store
        .connection()
        .execute_unprepared("SELECT 1")
        .await
        .unwrap();
}

fn org_list(scope: &TenantScope) -> String {
    scope
        .readable()
        .map(|o| o.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

taisho_testkit::backend_test! {
    async fn alternating_tenants_never_see_each_others_settings(db) {
        run(db).await;
    }
}
