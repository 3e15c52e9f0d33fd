//! Memberships, API key rows, sign-in look-ups and audit entries by any actor (the store side of
//! `taisho-app`'s accounts and keys). Foreign ids must be indistinguishable from missing ones with
//! the application filter, with row-level security alone, and with both.

use chrono::{Duration, Utc};
use taisho_domain::{ApiKeyId, OrgId, UserId};
use taisho_store::keys::{self, NewKey};
use taisho_store::{
    Access, Backend, Mode, Principal, Role, Store, StoreError, audit, members, provision,
    scope_for, users,
};
use taisho_testkit::testdb;

use crate::common::{World, user_scope};

/// The outcome's shape: `Ok(<n rows>)` or the error, which is all a caller learns.
fn shape<T>(r: Result<T, StoreError>, n: impl Fn(&T) -> usize) -> String {
    match r {
        Ok(v) => format!("Ok({})", n(&v)),
        Err(e) => format!("Err({e})"),
    }
}

fn one<T>(_: &T) -> usize {
    1
}

/// A stranger (another body's admin) probes the memberships and keys of the prefecture's first
/// member and of the consultancy; every answer must equal the answer for a random missing id, and
/// nothing may change.
async fn probe_foreign_accounts(store: &Store, w: &World) {
    let stranger = user_scope(store, w.unrelated[0].admin).await;
    let target = &w.members[0];
    let missing = OrgId::new();
    let mut probes = 0;
    // Each call in its own transaction: a refused statement aborts a PostgreSQL transaction.
    macro_rules! same {
        ($tx:ident => $foreign:expr, $missing:expr, $n:expr) => {{
            let $tx = store.begin(&stranger, Mode::Write).await.unwrap();
            let f = shape($foreign.await, $n);
            drop($tx);
            let $tx = store.begin(&stranger, Mode::Write).await.unwrap();
            let m = shape($missing.await, $n);
            drop($tx);
            assert_eq!(f, m, "{}", stringify!($foreign));
            assert!(
                !f.starts_with("Ok(") || f == "Ok(0)",
                "{}: {f}",
                stringify!($foreign)
            );
            probes += 1;
        }};
    }
    for org in [target.org, w.consultancy] {
        same!(tx => members::list(&tx, org), members::list(&tx, missing), Vec::len);
        same!(tx =>
            members::add(&tx, org, w.unrelated[0].viewer, Role::Admin),
            members::add(&tx, missing, w.unrelated[0].viewer, Role::Admin),
            one
        );
        same!(tx =>
            members::set_role(&tx, org, target.viewer, Role::Admin),
            members::set_role(&tx, missing, target.viewer, Role::Admin),
            one
        );
        same!(tx =>
            members::remove(&tx, org, target.admin),
            members::remove(&tx, missing, target.admin),
            one
        );
        same!(tx => keys::list(&tx, org), keys::list(&tx, missing), Vec::len);
        let new = |prefix: &'static str| NewKey {
            name: "probe",
            prefix,
            key_hash: prefix,
            access: Access::Write,
            expires_at: None,
        };
        same!(tx =>
            keys::create(&tx, org, new("tsk_probe001")),
            keys::create(&tx, missing, new("tsk_probe002")),
            one
        );
    }
    same!(tx =>
        keys::get(&tx, w.consultancy_key),
        keys::get(&tx, ApiKeyId::new()),
        one
    );
    same!(tx =>
        keys::revoke(&tx, w.consultancy_key),
        keys::revoke(&tx, ApiKeyId::new()),
        one
    );
    assert_eq!(probes, 14);

    // Nothing changed: the target's roles, the consultancy's key.
    let admin = user_scope(store, target.admin).await;
    let tx = store.begin(&admin, Mode::Read).await.unwrap();
    let roles: Vec<_> = members::list(&tx, target.org)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.user_id, m.role))
        .collect();
    assert_eq!(
        roles,
        [(target.admin, Role::Admin), (target.viewer, Role::Viewer)]
    );
    drop(tx);
    let key_scope = scope_for(
        &Principal::ApiKey {
            key: w.consultancy_key,
        },
        store,
    )
    .await
    .unwrap();
    assert!(key_scope.can_write(w.consultancy), "the key was revoked");
}

taisho_testkit::backend_test! {
    async fn foreign_memberships_and_keys_are_indistinguishable_from_missing_ones(db) {
        let w = World::build(&db.store, 1, 1).await;
        probe_foreign_accounts(&db.store, &w).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_memberships_and_keys_stay_hidden_with_row_level_security_alone() {
    let db = testdb::postgres().await;
    let w = World::build(&db.store, 1, 1).await;
    let rls_only = db.store.clone().without_app_filter();
    assert_eq!(rls_only.backend(), Backend::Postgres);
    probe_foreign_accounts(&rls_only, &w).await;
}

taisho_testkit::backend_test! {
    async fn viewers_see_members_but_neither_change_them_nor_see_keys(db) {
        let store = &db.store;
        let w = World::build(store, 1, 0).await;
        let b = &w.members[0];
        let viewer = user_scope(store, b.viewer).await;
        let tx = store.begin(&viewer, Mode::Write).await.unwrap();
        assert_eq!(members::list(&tx, b.org).await.unwrap().len(), 2);
        let r = members::set_role(&tx, b.org, b.viewer, Role::Admin).await;
        assert!(matches!(r, Err(StoreError::Forbidden)), "{r:?}");
        let r = members::remove(&tx, b.org, b.admin).await;
        assert!(matches!(r, Err(StoreError::Forbidden)), "{r:?}");
        let r = keys::list(&tx, b.org).await;
        assert!(matches!(r, Err(StoreError::Forbidden)), "{r:?}");
    }
}

taisho_testkit::backend_test! {
    async fn admins_manage_members_but_keep_one_admin(db) {
        let store = &db.store;
        let w = World::build(store, 1, 1).await;
        let b = &w.members[0];
        let admin = user_scope(store, b.admin).await;
        let tx = store.begin(&admin, Mode::Write).await.unwrap();
        let m = members::add(&tx, b.org, w.unrelated[0].viewer, Role::Editor).await.unwrap();
        assert_eq!(m.role, Role::Editor);
        let r = members::add(&tx, b.org, w.unrelated[0].viewer, Role::Editor).await;
        assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
        let r = members::remove(&tx, b.org, b.admin).await;
        assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
        members::set_role(&tx, b.org, b.viewer, Role::Admin).await.unwrap();
        members::remove(&tx, b.org, b.admin).await.unwrap();
        members::remove(&tx, b.org, w.unrelated[0].viewer).await.unwrap();
        let r = members::remove(&tx, b.org, w.unrelated[0].viewer).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        tx.commit().await.unwrap();
        // A failed statement aborts a PostgreSQL transaction: the unknown user gets its own.
        let tx = store.begin(&admin, Mode::Write).await.unwrap();
        let r = members::add(&tx, b.org, UserId::new(), Role::Editor).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    }
}

taisho_testkit::backend_test! {
    async fn keys_are_found_by_prefix_and_touched_at_most_once_per_interval(db) {
        let store = &db.store;
        let w = World::build(store, 1, 0).await;
        let b = &w.members[0];
        let admin = user_scope(store, b.admin).await;
        let prefix = format!("tsk_{}", &uuid::Uuid::now_v7().simple().to_string()[24..]);
        let tx = store.begin(&admin, Mode::Write).await.unwrap();
        let k = keys::create(&tx, b.org, NewKey {
            name: " CI ",
            prefix: &prefix,
            key_hash: "0011",
            access: Access::Read,
            expires_at: None,
        })
        .await
        .unwrap();
        assert_eq!(k.name, "CI");
        assert_eq!(k.created_by, Some(b.admin));
        tx.commit().await.unwrap();

        let found = keys::find_by_prefix(store, &prefix).await.unwrap().unwrap();
        assert_eq!((found.key.id, found.key_hash.as_str()), (k.id, "0011"));
        assert!(keys::find_by_prefix(store, "tsk_nothing0").await.unwrap().is_none());

        let now = Utc::now();
        assert!(keys::touch(store, k.id, now, Duration::minutes(1)).await.unwrap());
        assert!(!keys::touch(store, k.id, now + Duration::seconds(30), Duration::minutes(1)).await.unwrap());
        assert!(keys::touch(store, k.id, now + Duration::seconds(61), Duration::minutes(1)).await.unwrap());

        let tx = store.begin(&admin, Mode::Write).await.unwrap();
        let (revoked, first) = keys::revoke(&tx, k.id).await.unwrap();
        assert!(first && revoked.revoked_at.is_some() && !revoked.is_active(Utc::now()));
        let (again, first) = keys::revoke(&tx, k.id).await.unwrap();
        assert!(!first);
        assert_eq!(again.revoked_at, revoked.revoked_at);
        tx.commit().await.unwrap();
    }
}

taisho_testkit::backend_test! {
    async fn sign_in_credentials_list_memberships(db) {
        let store = &db.store;
        let t = uuid::Uuid::now_v7().simple().to_string();
        let email = format!("cred-{t}@example.jp");
        let w = World::build(store, 2, 0).await;
        let tx = store.begin_system(Mode::Write).await.unwrap();
        let u = provision::create_user(&tx, &email, "職員", Some("$argon2id$x")).await.unwrap();
        provision::add_membership(&tx, u, w.members[1].org, Role::Viewer).await.unwrap();
        provision::add_membership(&tx, u, w.members[0].org, Role::Admin).await.unwrap();
        tx.commit().await.unwrap();
        let all = users::credentials(store, &email).await.unwrap();
        assert_eq!(all.len(), 1);
        let c = &all[0];
        assert_eq!(c.user, u);
        assert_eq!(c.password_hash.as_deref(), Some("$argon2id$x"));
        assert!(!c.disabled);
        assert_eq!(c.memberships.len(), 2);
        assert!(c.memberships.contains(&(w.members[0].org, Role::Admin)));
        assert!(users::credentials(store, &format!("none-{t}@example.jp")).await.unwrap().is_empty());
        assert_eq!(users::id_by_email(store, &email).await.unwrap(), Some(u));
    }
}

taisho_testkit::backend_test! {
    async fn any_actor_can_append_to_the_audit_log_and_only_admins_read_it(db) {
        let store = &db.store;
        let w = World::build(store, 1, 0).await;
        let b = &w.members[0];
        // A viewer, a key and the coordinator (no admin anywhere) record; on PostgreSQL the
        // inserted row is not readable by them, which must not fail the insert.
        let viewer = user_scope(store, b.viewer).await;
        let key = scope_for(&Principal::ApiKey { key: w.consultancy_key }, store).await.unwrap();
        let coordinator = user_scope(store, w.coordinator).await;
        for scope in [&viewer, &key, &coordinator] {
            let tx = store.begin(scope, Mode::Write).await.unwrap();
            audit::record(&tx, "document.read", Some(b.org), Some(b.versions[0].as_uuid()), "ok")
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        users::record_authentication(store, taisho_store::Actor::Anonymous, None, Some(b.org), "sign_in", None, "denied", None)
            .await
            .unwrap();
        let admin = user_scope(store, b.admin).await;
        let tx = store.begin(&admin, Mode::Read).await.unwrap();
        let log = audit::list(&tx, b.org, 100).await.unwrap();
        assert_eq!(log.iter().filter(|e| e.action == "document.read").count(), 3);
        assert!(log.iter().any(|e| e.actor_key_id == Some(w.consultancy_key.as_uuid())
            && e.acting_org_id == Some(w.consultancy)));
        assert!(log.iter().any(|e| e.action == "sign_in" && e.actor_user_id.is_none()));
        drop(tx);
        let tx = store.begin(&viewer, Mode::Read).await.unwrap();
        assert!(matches!(audit::list(&tx, b.org, 100).await, Err(StoreError::NotFound)));
    }
}

taisho_testkit::backend_test! {
    async fn audit_rows_cannot_be_updated_or_deleted(db) {
        use taisho_store::sea_orm::ConnectionTrait;
        let store = &db.store;
        let w = World::build(store, 1, 0).await;
        let b = &w.members[0];
        let client: std::net::IpAddr = "192.0.2.7".parse().unwrap();
        let admin = user_scope(store, b.admin).await.with_client(Some(client));
        let tx = store.begin(&admin, Mode::Write).await.unwrap();
        audit::record_detail(&tx, "document.read", Some(b.org), None, "ok", Some("analysis"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Even the organisation's admin, in a write transaction, can neither edit nor delete it.
        for sql in [
            "UPDATE audit_log SET outcome = 'forged'",
            "UPDATE audit_log SET client_addr = NULL",
            "DELETE FROM audit_log",
        ] {
            let tx = store.begin(&admin, Mode::Write).await.unwrap();
            let r = tx.conn().execute_unprepared(sql).await;
            assert!(r.is_err(), "{sql} succeeded on {:?}", db.backend());
            tx.rollback().await.unwrap();
        }
        let tx = store.begin(&admin, Mode::Read).await.unwrap();
        let log = audit::list(&tx, b.org, 100).await.unwrap();
        let e = log.iter().find(|e| e.detail.as_deref() == Some("analysis")).expect("entry kept");
        assert_eq!(e.outcome, "ok");
        assert_eq!(e.client_addr.as_deref(), Some("192.0.2.7"));
        assert_eq!(e.actor_user_id, Some(b.admin.as_uuid()));
    }
}

taisho_testkit::backend_test! {
    async fn audit_log_pages_filter_by_action_actor_and_time(db) {
        let store = &db.store;
        let w = World::build(store, 1, 1).await;
        let b = &w.members[0];
        let admin = user_scope(store, b.admin).await;
        let viewer = user_scope(store, b.viewer).await;
        let start = chrono::Utc::now() - Duration::seconds(1);
        for (scope, action) in [(&admin, "a.one"), (&viewer, "a.two"), (&viewer, "a.two"), (&admin, "a.two")] {
            let tx = store.begin(scope, Mode::Write).await.unwrap();
            audit::record(&tx, action, Some(b.org), None, "ok").await.unwrap();
            tx.commit().await.unwrap();
        }
        let tx = store.begin(&admin, Mode::Read).await.unwrap();
        let all = audit::AuditFilter::default();
        let (first, total) = audit::page(&tx, b.org, &all, 0, 2).await.unwrap();
        let (rest, _) = audit::page(&tx, b.org, &all, 2, 100).await.unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(total as usize, first.len() + rest.len());
        assert!(first[0].id > first[1].id && first[1].id > rest[0].id, "newest first");
        let two = audit::AuditFilter { action: Some("a.two".into()), ..Default::default() };
        assert_eq!(audit::page(&tx, b.org, &two, 0, 100).await.unwrap().1, 3);
        let by_viewer = audit::AuditFilter { actor: Some(b.viewer.as_uuid()), ..two.clone() };
        assert_eq!(audit::page(&tx, b.org, &by_viewer, 0, 100).await.unwrap().1, 2);
        let later = audit::AuditFilter { since: Some(chrono::Utc::now() + Duration::hours(1)), ..Default::default() };
        assert_eq!(audit::page(&tx, b.org, &later, 0, 100).await.unwrap().1, 0);
        let earlier = audit::AuditFilter { until: Some(start), ..two };
        assert_eq!(audit::page(&tx, b.org, &earlier, 0, 100).await.unwrap().1, 0);
        drop(tx);
        // A viewer of the organisation is refused; another organisation's admin finds nothing.
        let tx = store.begin(&viewer, Mode::Read).await.unwrap();
        assert!(matches!(audit::page(&tx, b.org, &all, 0, 10).await, Err(StoreError::Forbidden)));
        drop(tx);
        let other = user_scope(store, w.unrelated[0].admin).await;
        let tx = store.begin(&other, Mode::Read).await.unwrap();
        assert!(matches!(audit::page(&tx, b.org, &all, 0, 10).await, Err(StoreError::NotFound)));
    }
}
