//! Browser sessions: sign in, resolve, expire, sign out, disabled and removed users.

use std::sync::Arc;

use taisho_app::AppError;
use taisho_app::auth::CallerKind;
use taisho_app::sessions::{SessionConfig, Sessions};
use taisho_store::sea_orm::{ConnectionTrait, Statement};
use taisho_store::{Backend, Mode, Principal, scope_for};

use super::*;

fn sessions(store: &Store, config: SessionConfig) -> Sessions {
    Sessions::new(store.clone(), Arc::new(accounts(store)), config)
}

/// Runs `sql` as the database owner (tests only: moves times, disables users).
async fn admin_exec(db: &taisho_testkit::TestDb, sql: &str) {
    match db.backend() {
        Backend::Sqlite => {
            db.store.connection().execute_unprepared(sql).await.unwrap();
        }
        Backend::Postgres => {
            let admin = taisho_store::sea_orm::Database::connect(db.owner_url())
                .await
                .unwrap();
            admin
                .execute_raw(Statement::from_string(
                    admin.get_database_backend(),
                    sql.to_owned(),
                ))
                .await
                .unwrap();
            admin.close().await.unwrap();
        }
    }
}

fn uuid_literal(db: &taisho_testkit::TestDb, id: uuid::Uuid) -> String {
    match db.backend() {
        Backend::Sqlite => format!("X'{}'", id.simple()),
        Backend::Postgres => format!("'{id}'"),
    }
}

taisho_testkit::backend_test! {
    async fn signing_in_opens_a_session_that_resolves_to_the_user(db) {
        let store = &db.store;
        let s = sessions(store, SessionConfig::default());
        let o = org(store, &accounts(store)).await;
        let (token, caller) = s.sign_in(&o.admin_email, PASSWORD, None, None).await.unwrap();
        assert_eq!(token.expose().len(), 43);
        assert_eq!(caller.kind, CallerKind::Session { user: o.admin, org: o.id });
        assert!(caller.is_browser_session());
        let resolved = s.resolve(token.expose()).await.unwrap();
        assert_eq!(resolved, caller);
        assert_eq!(
            resolved.principal,
            Principal::User { user: o.admin, acting_org: Some(o.id) }
        );
        let scope = scope_for(&resolved.principal, store).await.unwrap();
        assert!(scope.is_admin(o.id));
        // Only the hash is stored.
        let tx = store.begin_system(Mode::Read).await.unwrap();
        let rows = tx
            .conn()
            .query_all_raw(Statement::from_string(
                tx.conn().get_database_backend(),
                "SELECT token_hash FROM sessions",
            ))
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert!(!rows.is_empty());
        for row in rows {
            let h: String = row.try_get("", "token_hash").unwrap();
            assert_ne!(h, token.expose());
            assert_eq!(h.len(), 64);
        }
    }
}

taisho_testkit::backend_test! {
    async fn wrong_passwords_and_bad_tokens_are_refused_alike(db) {
        let store = &db.store;
        let s = sessions(store, SessionConfig::default());
        let o = org(store, &accounts(store)).await;
        assert!(matches!(
            s.sign_in(&o.admin_email, "wrong password!", None, None).await,
            Err(AppError::InvalidCredentials)
        ));
        for bad in ["", "x", &"A".repeat(43), &"A".repeat(44), "あ"] {
            assert!(matches!(s.resolve(bad).await, Err(AppError::InvalidSession)), "{bad:?}");
        }
    }
}

taisho_testkit::backend_test! {
    async fn signed_out_sessions_no_longer_resolve(db) {
        let store = &db.store;
        let s = sessions(store, SessionConfig::default());
        let o = org(store, &accounts(store)).await;
        let (token, _) = s.sign_in(&o.viewer_email, PASSWORD, Some(o.id), None).await.unwrap();
        let (other, _) = s.sign_in(&o.viewer_email, PASSWORD, Some(o.id), None).await.unwrap();
        s.sign_out(token.expose()).await.unwrap();
        s.sign_out(token.expose()).await.unwrap();
        s.sign_out("garbage").await.unwrap();
        assert!(matches!(s.resolve(token.expose()).await, Err(AppError::InvalidSession)));
        // The user's other session lives on.
        assert!(s.resolve(other.expose()).await.is_ok());
        let log = audit_log(store, &o).await;
        assert_eq!(entries(&log, "sign_out", "ok").len(), 1);
    }
}

taisho_testkit::backend_test! {
    async fn ended_sessions_are_pruned_and_live_ones_kept(db) {
        let store = &db.store;
        let s = sessions(store, SessionConfig::default());
        let o = org(store, &accounts(store)).await;
        let (ended, _) = s.sign_in(&o.admin_email, PASSWORD, None, None).await.unwrap();
        let (live, _) = s.sign_in(&o.admin_email, PASSWORD, None, None).await.unwrap();
        s.sign_out(ended.expose()).await.unwrap();
        // Sign-out stamps `revoked_at` now; pruning deletes what ended before its own now.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(s.prune_ended().await.unwrap() >= 1);
        assert!(s.resolve(live.expose()).await.is_ok());
        assert!(s.resolve(ended.expose()).await.is_err());
    }
}

taisho_testkit::backend_test! {
    async fn sessions_expire_when_idle_and_slide_when_used(db) {
        let store = &db.store;
        let config = SessionConfig {
            idle: chrono::Duration::seconds(2),
            absolute: chrono::Duration::days(1),
            refresh_after: chrono::Duration::milliseconds(100),
        };
        let s = sessions(store, config);
        let o = org(store, &accounts(store)).await;
        let (token, _) = s.sign_in(&o.admin_email, PASSWORD, None, None).await.unwrap();
        // Used within the idle time, it stays alive beyond its first expiry.
        for _ in 0..3 {
            tokio::time::sleep(std::time::Duration::from_millis(900)).await;
            s.resolve(token.expose()).await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
        assert!(matches!(s.resolve(token.expose()).await, Err(AppError::InvalidSession)));
    }
}

taisho_testkit::backend_test! {
    async fn sessions_end_at_the_absolute_limit_even_when_used(db) {
        let store = &db.store;
        let o = org(store, &accounts(store)).await;
        let s = sessions(store, SessionConfig::default());
        let (token, _) = s.sign_in(&o.admin_email, PASSWORD, None, None).await.unwrap();
        s.resolve(token.expose()).await.unwrap();
        // Signed in eight days ago (the row's times moved back; the expiry still ahead).
        let past = match db.backend() {
            Backend::Sqlite => "'2000-01-01T00:00:00+00:00'".to_owned(),
            Backend::Postgres => "now() - interval '8 days'".to_owned(),
        };
        admin_exec(
            &db,
            &format!(
                "UPDATE sessions SET created_at = {past} WHERE user_id = {}",
                uuid_literal(&db, o.admin.as_uuid())
            ),
        )
        .await;
        assert!(matches!(s.resolve(token.expose()).await, Err(AppError::InvalidSession)));
    }
}

taisho_testkit::backend_test! {
    async fn disabled_or_removed_users_lose_their_sessions(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let s = sessions(store, SessionConfig::default());
        let o = org(store, &accounts).await;
        let (viewer, _) = s.sign_in(&o.viewer_email, PASSWORD, None, None).await.unwrap();
        let (admin, _) = s.sign_in(&o.admin_email, PASSWORD, None, None).await.unwrap();
        // Removed from the organisation: the session no longer resolves.
        let admin_scope = scope(store, o.admin, o.id).await;
        accounts.remove_member(&admin_scope, o.id, o.viewer).await.unwrap();
        assert!(matches!(s.resolve(viewer.expose()).await, Err(AppError::InvalidSession)));
        // Disabled: same.
        s.resolve(admin.expose()).await.unwrap();
        let now = match db.backend() {
            Backend::Sqlite => "'2020-01-01T00:00:00+00:00'",
            Backend::Postgres => "now()",
        };
        admin_exec(
            &db,
            &format!(
                "UPDATE users SET disabled_at = {now} WHERE id = {}",
                uuid_literal(&db, o.admin.as_uuid())
            ),
        )
        .await;
        assert!(matches!(s.resolve(admin.expose()).await, Err(AppError::InvalidSession)));
    }
}

taisho_testkit::backend_test! {
    async fn on_postgres_a_scope_sees_only_its_own_sessions_and_cannot_write_them(db) {
        let store = &db.store;
        if db.backend() != Backend::Postgres {
            return;
        }
        let s = sessions(store, SessionConfig::default());
        let a = org(store, &accounts(store)).await;
        let b = org(store, &accounts(store)).await;
        s.sign_in(&a.viewer_email, PASSWORD, None, None).await.unwrap();
        s.sign_in(&a.admin_email, PASSWORD, None, None).await.unwrap();
        s.sign_in(&b.admin_email, PASSWORD, None, None).await.unwrap();
        let count = async |scope: &taisho_store::TenantScope, sql: &str| -> i64 {
            let tx = store.begin(scope, Mode::Read).await.unwrap();
            let row = tx
                .conn()
                .query_one_raw(Statement::from_string(tx.conn().get_database_backend(), sql.to_owned()))
                .await
                .unwrap()
                .unwrap();
            tx.rollback().await.unwrap();
            row.try_get::<i64>("", "n").unwrap()
        };
        // Row-level security alone: even the organisation's admin sees only its own session.
        let admin = scope(store, a.admin, a.id).await;
        assert_eq!(count(&admin, "SELECT count(*) AS n FROM sessions").await, 1);
        let viewer = scope(store, a.viewer, a.id).await;
        assert_eq!(count(&viewer, "SELECT count(*) AS n FROM sessions").await, 1);
        // A tenant scope cannot create sessions (only the system scope does, after sign-in).
        let tx = store.begin(&admin, Mode::Write).await.unwrap();
        let insert = format!(
            "INSERT INTO sessions (id, token_hash, user_id, org_id, created_at, expires_at) \
             VALUES ('{}', 'x', '{}', '{}', now(), now() + interval '1 hour')",
            uuid::Uuid::now_v7(),
            a.viewer.as_uuid(),
            a.id.as_uuid()
        );
        assert!(tx.conn().execute_unprepared(&insert).await.is_err());
        tx.rollback().await.unwrap();
        // Users of organisations the scope reads are visible; others are not.
        assert_eq!(
            count(&viewer, &format!("SELECT count(*) AS n FROM users WHERE id IN ('{}', '{}')", a.admin.as_uuid(), b.admin.as_uuid())).await,
            1
        );
    }
}
