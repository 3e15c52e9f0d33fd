//! User management: admins manage members; editors, viewers and strangers cannot.

use taisho_app::AppError;
use taisho_app::accounts::NewUser;
use taisho_store::{Role, StoreError};

use super::*;

taisho_testkit::backend_test! {
    async fn an_admin_creates_adds_promotes_and_removes_members_with_audit_entries(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let other = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;

        let t = tag();
        let email = format!("New-{t}@Example.jp");
        let new = accounts
            .create_user(&admin, o.id, NewUser {
                email: &email,
                display_name: "新規 職員",
                password: "a long enough password",
                role: Role::Viewer,
            })
            .await
            .unwrap();
        let p = accounts
            .sign_in(&email, "a long enough password", None)
            .await
            .unwrap();
        assert_eq!(p, Principal::User { user: new, acting_org: Some(o.id) });

        // The other organisation's viewer joins as editor, then becomes admin, then leaves.
        let m = accounts
            .add_member(&admin, o.id, &other.viewer_email, Role::Editor)
            .await
            .unwrap();
        assert_eq!((m.user_id, m.role), (other.viewer, Role::Editor));
        let m = accounts.set_role(&admin, o.id, other.viewer, Role::Admin).await.unwrap();
        assert_eq!(m.role, Role::Admin);
        let members = accounts.list_members(&admin, o.id).await.unwrap();
        assert_eq!(members.len(), 5);
        accounts.remove_member(&admin, o.id, other.viewer).await.unwrap();
        let members = accounts.list_members(&admin, o.id).await.unwrap();
        assert_eq!(members.len(), 4);
        assert!(!members.iter().any(|m| m.user_id == other.viewer));

        let log = audit_log(store, &o).await;
        for action in ["user.create", "member.add", "member.role", "member.remove"] {
            let e = entries(&log, action, "ok");
            assert_eq!(e.len(), 1, "{action}");
            assert_eq!(e[0].actor_user_id, Some(o.admin.as_uuid()));
            assert_eq!(e[0].acting_org_id, Some(o.id));
            assert_eq!(e[0].target_org_id, Some(o.id));
        }
    }
}

taisho_testkit::backend_test! {
    async fn editors_viewers_and_strangers_cannot_manage_members_and_are_audited(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let stranger_org = org(store, &accounts).await;
        let stranger = scope(store, stranger_org.admin, stranger_org.id).await;

        for (who, scope) in [
            ("editor", scope(store, o.editor, o.id).await),
            ("viewer", scope(store, o.viewer, o.id).await),
        ] {
            let r = accounts.set_role(&scope, o.id, o.viewer, Role::Admin).await;
            assert!(matches!(r, Err(AppError::Store(StoreError::Forbidden))), "{who}: {r:?}");
            let r = accounts.remove_member(&scope, o.id, o.admin).await;
            assert!(matches!(r, Err(AppError::Store(StoreError::Forbidden))), "{who}: {r:?}");
            let r = accounts.add_member(&scope, o.id, &stranger_org.viewer_email, Role::Admin).await;
            assert!(matches!(r, Err(AppError::Store(StoreError::Forbidden))), "{who}: {r:?}");
            let r = accounts
                .create_user(&scope, o.id, NewUser {
                    email: &format!("x-{}@example.jp", tag()),
                    display_name: "x",
                    password: "a long enough password",
                    role: Role::Admin,
                })
                .await;
            assert!(matches!(r, Err(AppError::Store(StoreError::Forbidden))), "{who}: {r:?}");
            // Members may read the list.
            assert_eq!(accounts.list_members(&scope, o.id).await.unwrap().len(), 3);
        }
        // Another organisation's admin: the organisation does not exist for them.
        let r = accounts.set_role(&stranger, o.id, o.viewer, Role::Admin).await;
        assert!(matches!(r, Err(AppError::Store(StoreError::NotFound))), "{r:?}");
        let r = accounts.list_members(&stranger, o.id).await;
        assert!(matches!(r, Err(AppError::Store(StoreError::NotFound))), "{r:?}");

        // Nothing changed.
        let admin = scope(store, o.admin, o.id).await;
        let roles: Vec<_> = accounts
            .list_members(&admin, o.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.user_id, m.role))
            .collect();
        assert_eq!(roles, [(o.admin, Role::Admin), (o.editor, Role::Editor), (o.viewer, Role::Viewer)]);

        // Refusals are in the log, with who tried.
        let log = audit_log(store, &o).await;
        let denied: Vec<_> = log.iter().filter(|e| e.outcome == "denied").collect();
        assert_eq!(denied.len(), 9, "{denied:?}");
        for e in &denied {
            assert!(e.target_org_id == Some(o.id));
        }
        assert!(denied.iter().any(|e| e.actor_user_id == Some(stranger_org.admin.as_uuid())
            && e.action == "member.role"));
        assert_eq!(
            denied.iter().filter(|e| e.actor_user_id == Some(o.viewer.as_uuid())).count(),
            4
        );
    }
}

taisho_testkit::backend_test! {
    async fn the_last_admin_can_be_neither_removed_nor_demoted(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;
        let r = accounts.set_role(&admin, o.id, o.admin, Role::Viewer).await;
        assert!(matches!(r, Err(AppError::Store(StoreError::Invalid(_)))), "{r:?}");
        let r = accounts.remove_member(&admin, o.id, o.admin).await;
        assert!(matches!(r, Err(AppError::Store(StoreError::Invalid(_)))), "{r:?}");
        // With a second admin, the first may step down.
        accounts.set_role(&admin, o.id, o.editor, Role::Admin).await.unwrap();
        accounts.set_role(&admin, o.id, o.admin, Role::Viewer).await.unwrap();
    }
}

taisho_testkit::backend_test! {
    async fn weak_passwords_and_duplicate_emails_are_refused(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;
        let (accounts, admin, org_id) = (&accounts, &admin, o.id);
        let new = |email: String, password: &'static str| async move {
            accounts
                .create_user(admin, org_id, NewUser {
                    email: &email,
                    display_name: "職員",
                    password,
                    role: Role::Viewer,
                })
                .await
        };
        let r = new(format!("short-{}@example.jp", tag()), "1234567").await;
        assert!(matches!(r, Err(AppError::Invalid(_))), "{r:?}");
        let r = new(o.viewer_email.to_uppercase(), "a long enough password").await;
        assert!(matches!(r, Err(AppError::Invalid(_))), "{r:?}");
        let r = new("not an email".into(), "a long enough password").await;
        assert!(matches!(r, Err(AppError::Invalid(_))), "{r:?}");
    }
}
