//! API keys: format and entropy, shown once, keyed hash only, scope, expiry, revocation.

use std::collections::HashSet;
use std::time::Duration;

use taisho_app::AppError;
use taisho_app::keys::{KEY_LEN, SECRET_LEN, secret_bits};
use taisho_store::sea_orm::{ConnectionTrait, Statement};
use taisho_store::{Access, Backend, Mode, StoreError, documents};

use super::*;

taisho_testkit::backend_test! {
    async fn keys_have_the_prefix_format_and_at_least_256_random_bits(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let keys = api_keys(store);
        let o = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;
        assert!(secret_bits() >= 256.0, "{}", secret_bits());
        let mut secrets = HashSet::new();
        let mut counts = [0usize; 128];
        for i in 0..50 {
            let issued = keys.create(&admin, o.id, &format!("key {i}"), Access::Read, None).await.unwrap();
            let s = issued.secret.expose();
            assert_eq!(s.len(), KEY_LEN);
            assert!(s.starts_with(&format!("{}_", issued.key.prefix)), "{s}");
            assert!(issued.key.prefix.starts_with("tsk_") && issued.key.prefix.len() == 12);
            let secret = &s[13..];
            assert_eq!(secret.len(), SECRET_LEN);
            for b in secret.bytes() {
                assert!(b.is_ascii_alphanumeric());
                counts[usize::from(b)] += 1;
            }
            assert!(secrets.insert(secret.to_owned()));
            // The Debug form never shows the key.
            assert!(!format!("{issued:?}").contains(secret));
        }
        // 2,150 characters over 62 symbols: every symbol appears (a biased or short alphabet would
        // leave some out; the chance that a uniform one does is below 1e-13).
        let used = counts.iter().filter(|c| **c > 0).count();
        assert_eq!(used, 62);
    }
}

/// Everything the database holds about keys and the audit log, as text.
async fn dump(db: &taisho_testkit::TestDb) -> Vec<u8> {
    match db.backend() {
        Backend::Sqlite => {
            let path = db.url.trim_start_matches("sqlite://");
            let path = path.split('?').next().unwrap();
            // A checkpoint moves WAL pages into the file; read both anyway.
            let mut bytes = Vec::new();
            for suffix in ["", "-wal"] {
                if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
                    bytes.extend(b);
                }
            }
            bytes
        }
        Backend::Postgres => {
            let tx = db.store.begin_system(Mode::Read).await.unwrap();
            let mut out = Vec::new();
            for table in ["api_keys", "audit_log"] {
                let rows = tx
                    .conn()
                    .query_all_raw(Statement::from_string(
                        tx.conn().get_database_backend(),
                        format!("SELECT t::text AS row FROM {table} t"),
                    ))
                    .await
                    .unwrap();
                for r in rows {
                    out.extend(r.try_get::<String>("", "row").unwrap().into_bytes());
                }
            }
            out
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

taisho_testkit::backend_test! {
    async fn the_key_is_shown_once_and_the_database_holds_only_its_keyed_hash(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let keys = api_keys(store);
        let o = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;
        let issued = keys.create(&admin, o.id, "CI", Access::Write, None).await.unwrap();
        let full = issued.secret.expose().to_owned();
        let secret = &full[13..];
        // Use it, so last_used_at and any audit rows are written too.
        keys.authenticate(&format!("Bearer {full}")).await.unwrap();
        let last = if full.ends_with('x') { "y" } else { "x" };
        keys.authenticate(&format!("{}{last}", &full[..KEY_LEN - 1])).await.unwrap_err();

        let listed = keys.list(&admin, o.id).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].prefix, issued.key.prefix);
        assert!(!format!("{listed:?}").contains(secret));

        let bytes = dump(&db).await;
        assert!(contains(&bytes, &issued.key.prefix), "the dump misses the prefix: it reads the wrong place");
        assert!(!contains(&bytes, secret), "the secret is in the database");
        assert!(!contains(&bytes, &full));
    }
}

taisho_testkit::backend_test! {
    async fn malformed_unknown_wrong_expired_and_revoked_keys_are_rejected_alike(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let keys = api_keys(store);
        let o = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;

        let good = keys.create(&admin, o.id, "good", Access::Read, None).await.unwrap();
        let revoked = keys.create(&admin, o.id, "revoked", Access::Read, None).await.unwrap();
        keys.revoke(&admin, revoked.key.id).await.unwrap();
        let expiring = keys
            .create(&admin, o.id, "expiring", Access::Read, Some(chrono::Utc::now() + chrono::Duration::milliseconds(800)))
            .await
            .unwrap();
        assert!(keys.authenticate(expiring.secret.expose()).await.is_ok());
        tokio::time::sleep(Duration::from_millis(900)).await;

        let g = good.secret.expose();
        let mut wrong_secret = g.to_owned();
        wrong_secret.replace_range(KEY_LEN - 1.., if g.ends_with('A') { "B" } else { "A" });
        let unknown = format!("tsk_ZZZZZZZZ_{}", &g[13..]);
        let bad: Vec<String> = vec![
            String::new(),
            "Bearer".into(),
            "Basic dXNlcjpwYXNz".into(),
            g[..KEY_LEN - 1].into(),
            format!("{g}0"),
            g.replace("tsk_", "tsx_"),
            format!("{}-{}", &g[..12], &g[13..]),
            unknown,
            wrong_secret,
            revoked.secret.expose().into(),
            expiring.secret.expose().into(),
        ];
        let mut messages = HashSet::new();
        for b in &bad {
            let err = keys.authenticate(b).await.unwrap_err();
            assert!(matches!(err, AppError::InvalidKey), "{b:?}: {err:?}");
            messages.insert(err.to_string());
        }
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(keys.authenticate(g).await.is_ok());
        assert!(keys.authenticate(&format!("  bearer   {g} ")).await.is_ok());

        // Failures of existing keys are audited against them; the wrong secret names the good key.
        let log = audit_log(store, &o).await;
        let denied = entries(&log, "api_key.authenticate", "denied");
        let ids: HashSet<_> = denied.iter().map(|e| e.actor_key_id).collect();
        assert_eq!(
            ids,
            HashSet::from([
                Some(good.key.id.as_uuid()),
                Some(revoked.key.id.as_uuid()),
                Some(expiring.key.id.as_uuid())
            ])
        );
        assert!(denied.iter().all(|e| e.target_org_id == Some(o.id) && e.object_id == e.actor_key_id));
    }
}

taisho_testkit::backend_test! {
    async fn a_read_key_cannot_write_and_a_write_key_can(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let keys = api_keys(store);
        let o = org(store, &accounts).await;
        let other = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;
        let read = keys.create(&admin, o.id, "read", Access::Read, None).await.unwrap();
        let write = keys.create(&admin, o.id, "write", Access::Write, None).await.unwrap();

        let p = keys.authenticate(read.secret.expose()).await.unwrap();
        let s = scope_for(&p, store).await.unwrap();
        assert!(s.can_read(o.id) && !s.can_write(o.id) && !s.can_read(other.id));
        assert_eq!(s.acting_org(), Some(o.id));
        let tx = store.begin(&s, Mode::Write).await.unwrap();
        let r = documents::create(&tx, o.id, "基本方針", false).await;
        assert!(matches!(r, Err(StoreError::Forbidden)), "{r:?}");
        let r = documents::create(&tx, other.id, "基本方針", false).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        drop(tx);

        let p = keys.authenticate(write.secret.expose()).await.unwrap();
        let s = scope_for(&p, store).await.unwrap();
        let tx = store.begin(&s, Mode::Write).await.unwrap();
        documents::create(&tx, o.id, "基本方針", false).await.unwrap();
        let r = documents::create(&tx, other.id, "基本方針", false).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        tx.commit().await.unwrap();
        // A key is not an admin: it cannot manage keys, even of its own organisation.
        let r = keys.create(&s, o.id, "escalate", Access::Write, None).await;
        assert!(matches!(r, Err(AppError::Store(StoreError::Forbidden))), "{r:?}");
        // Revocation takes effect at the next authentication.
        keys.revoke(&admin, write.key.id).await.unwrap();
        assert!(matches!(keys.authenticate(write.secret.expose()).await, Err(AppError::InvalidKey)));
        assert!(scope_for(&p, store).await.unwrap().readable().next().is_none());
    }
}

taisho_testkit::backend_test! {
    async fn last_used_is_recorded_at_most_once_a_minute(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let keys = api_keys(store);
        let o = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;
        let k = keys.create(&admin, o.id, "k", Access::Read, None).await.unwrap();
        assert_eq!(keys.list(&admin, o.id).await.unwrap()[0].last_used_at, None);
        keys.authenticate(k.secret.expose()).await.unwrap();
        let first = keys.list(&admin, o.id).await.unwrap()[0].last_used_at;
        assert!(first.is_some());
        tokio::time::sleep(Duration::from_millis(20)).await;
        for _ in 0..5 {
            keys.authenticate(k.secret.expose()).await.unwrap();
        }
        assert_eq!(keys.list(&admin, o.id).await.unwrap()[0].last_used_at, first);
    }
}

taisho_testkit::backend_test! {
    async fn only_admins_manage_keys_and_the_lifecycle_is_audited(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let keys = api_keys(store);
        let o = org(store, &accounts).await;
        let stranger_org = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;
        let k = keys.create(&admin, o.id, "k", Access::Read, None).await.unwrap();
        for (user, org, expected) in [
            (o.editor, o.id, "forbidden"),
            (o.viewer, o.id, "forbidden"),
            (stranger_org.admin, stranger_org.id, "not found"),
        ] {
            let s = scope(store, user, org).await;
            let r = keys.create(&s, o.id, "x", Access::Read, None).await;
            let e = r.unwrap_err().to_string();
            assert!(e.contains(expected) || e.contains("write access"), "{e}");
            // Key metadata is for admins: a viewer cannot see or revoke it either.
            let r = keys.revoke(&s, k.key.id).await;
            assert!(matches!(r, Err(AppError::Store(StoreError::NotFound))), "{r:?}");
            let r = keys.list(&s, o.id).await;
            assert!(r.is_err(), "{r:?}");
        }
        keys.revoke(&admin, k.key.id).await.unwrap();
        // Revoking twice is harmless and not logged twice.
        keys.revoke(&admin, k.key.id).await.unwrap();
        let log = audit_log(store, &o).await;
        let created = entries(&log, "api_key.create", "ok");
        let revoked = entries(&log, "api_key.revoke", "ok");
        assert_eq!((created.len(), revoked.len()), (1, 1));
        for e in [created[0], revoked[0]] {
            assert_eq!(e.actor_user_id, Some(o.admin.as_uuid()));
            assert_eq!(e.acting_org_id, Some(o.id));
            assert_eq!(e.target_org_id, Some(o.id));
            assert_eq!(e.object_id, Some(k.key.id.as_uuid()));
        }
        // Refused creations (editor, viewer) are in the log; so are the stranger's, targeting o.
        assert_eq!(entries(&log, "api_key.create", "denied").len(), 3);
    }
}
