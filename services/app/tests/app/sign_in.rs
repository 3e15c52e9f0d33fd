//! Sign-in: success, indistinguishable failures, audit entries, the hash cap under a burst.

use taisho_app::AppError;
use taisho_app::accounts::{Accounts, PasswordConfig};
use taisho_store::sea_orm::{ConnectionTrait, Statement};
use taisho_store::{Backend, Mode, Principal, Role, provision};

use super::*;

taisho_testkit::backend_test! {
    async fn a_member_signs_in_for_their_organisation_and_it_is_audited(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let p = accounts
            .sign_in(&o.admin_email.to_uppercase(), PASSWORD, Some(o.id))
            .await
            .unwrap();
        assert_eq!(p, Principal::User { user: o.admin, acting_org: Some(o.id) });
        // A user with one organisation need not name it.
        let p = accounts.sign_in(&o.viewer_email, PASSWORD, None).await.unwrap();
        assert_eq!(p, Principal::User { user: o.viewer, acting_org: Some(o.id) });

        let log = audit_log(store, &o).await;
        let ok = entries(&log, "sign_in", "ok");
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].actor_user_id, Some(o.admin.as_uuid()));
        assert_eq!(ok[1].acting_org_id, Some(o.id));
        assert_eq!(ok[1].target_org_id, Some(o.id));
        assert_eq!(ok[0].actor_user_id, Some(o.viewer.as_uuid()));
    }
}

taisho_testkit::backend_test! {
    async fn wrong_password_unknown_user_disabled_user_and_foreign_org_fail_alike(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let other = org(store, &accounts).await;

        // Disable the editor (no use-case yet: straight SQL in the system scope).
        let tx = store.begin_system(Mode::Write).await.unwrap();
        let sql = match db.backend() {
            Backend::Sqlite => "UPDATE users SET disabled_at = CURRENT_TIMESTAMP WHERE id = ?",
            Backend::Postgres => "UPDATE users SET disabled_at = now() WHERE id = $1",
        };
        tx.conn()
            .execute_raw(Statement::from_sql_and_values(
                tx.conn().get_database_backend(),
                sql,
                [o.editor.as_uuid().into()],
            ))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let editor_email = o.admin_email.replace("admin-", "editor-");

        let attempts: [(&str, &str, Option<OrgId>); 5] = [
            (&o.admin_email, "wrong password", Some(o.id)),
            ("nobody-at-all@example.jp", PASSWORD, Some(o.id)),
            ("nobody-at-all@example.jp", PASSWORD, None),
            (&editor_email, PASSWORD, Some(o.id)),
            (&o.admin_email, PASSWORD, Some(other.id)),
        ];
        // Make the dummy hash now, so each attempt below spends exactly one verification.
        assert!(!accounts.hasher().verify_dummy("warm-up").await.unwrap());
        let mut messages = Vec::new();
        for (email, password, acting) in attempts {
            let before = accounts.hasher().completed();
            let err = accounts.sign_in(email, password, acting).await.unwrap_err();
            assert!(matches!(err, AppError::InvalidCredentials), "{email}: {err:?}");
            // Every failure spends one Argon2 verification, known user or not.
            assert_eq!(accounts.hasher().completed(), before + 1, "{email}");
            messages.push(err.to_string());
        }
        messages.dedup();
        assert_eq!(messages.len(), 1, "{messages:?}");

        // Failures are audited with the user's id when known; nothing names the unknown email.
        let log = audit_log(store, &o).await;
        let denied = entries(&log, "sign_in", "denied");
        // The org's admins see failures of its members who asked for it (wrong password,
        // disabled), not those of strangers or of its admin asking for another org.
        let denied_users: Vec<_> = denied.iter().map(|e| e.actor_user_id).collect();
        assert_eq!(denied_users, [Some(o.editor.as_uuid()), Some(o.admin.as_uuid())]);
        assert!(denied.iter().all(|e| e.acting_org_id.is_none() && e.target_org_id == Some(o.id)));
        let tx = store.begin_system(Mode::Read).await.unwrap();
        let rows = tx
            .conn()
            .query_all_raw(Statement::from_string(
                tx.conn().get_database_backend(),
                "SELECT actor_user_id, action, outcome FROM audit_log WHERE action = 'sign_in' AND outcome = 'denied'",
            ))
            .await
            .unwrap();
        let actors: Vec<Option<uuid::Uuid>> = rows
            .iter()
            .map(|r| r.try_get::<Option<uuid::Uuid>>("", "actor_user_id").unwrap())
            .collect();
        for u in [o.admin, o.editor] {
            assert!(actors.contains(&Some(u.as_uuid())), "{u} not audited");
        }
        assert!(actors.contains(&None), "unknown-user failure not audited");
    }
}

taisho_testkit::backend_test! {
    async fn a_user_of_several_organisations_must_choose_one(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let a = org(store, &accounts).await;
        let b = org(store, &accounts).await;
        let tx = store.begin_system(Mode::Write).await.unwrap();
        provision::add_membership(&tx, a.admin, b.id, Role::Viewer).await.unwrap();
        tx.commit().await.unwrap();
        match accounts.sign_in(&a.admin_email, PASSWORD, None).await {
            Err(AppError::ChooseOrganisation(orgs)) => {
                assert_eq!(orgs.len(), 2);
                assert!(orgs.contains(&a.id) && orgs.contains(&b.id));
            }
            other => panic!("{other:?}"),
        }
        let p = accounts.sign_in(&a.admin_email, PASSWORD, Some(b.id)).await.unwrap();
        assert_eq!(p, Principal::User { user: a.admin, acting_org: Some(b.id) });
    }
}

taisho_testkit::backend_test! {
    async fn twenty_concurrent_sign_ins_with_cap_two_never_hash_more_than_two_at_once(db) {
        let store = &db.store;
        let accounts = Accounts::new(
            store.clone(),
            &PasswordConfig { max_concurrent: 2, ..PasswordConfig::default() },
        )
        .unwrap();
        let o = org(store, &accounts).await;
        let before = accounts.hasher().completed();
        let mut tasks = Vec::new();
        for i in 0..20 {
            let accounts = accounts.clone();
            let (email, password) = match i % 3 {
                0 => (o.admin_email.clone(), PASSWORD),
                1 => (o.admin_email.clone(), "wrong password"),
                _ => (format!("unknown-{i}@example.jp"), PASSWORD),
            };
            let org = o.id;
            tasks.push(tokio::spawn(async move {
                accounts.sign_in(&email, password, Some(org)).await.is_ok()
            }));
        }
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap());
        }
        assert_eq!(ok, 7);
        // 20 verifications, plus at most one to make the dummy hash.
        assert!(accounts.hasher().completed() - before >= 20);
        let peak = accounts.hasher().peak_concurrency();
        assert!((1..=2).contains(&peak), "peak {peak}");
    }
}
