//! The rule long-lived connections (WebSockets) are re-checked with: `auth::covers` compares the
//! scope a credential has now with the one the connection opened with, and the use-cases that can
//! shrink a scope announce it (`auth::credentials_changed`).

use taisho_app::auth::{covers, watch_credentials};
use taisho_store::Access;

use super::*;

taisho_testkit::backend_test! {
    async fn a_revoked_grant_or_lower_role_no_longer_covers_the_scope_before_it(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let grantor = org(store, &accounts).await;
        let grantee = org(store, &accounts).await;
        let grantor_admin = scope(store, grantor.admin, grantor.id).await;

        let before = scope(store, grantee.editor, grantee.id).await;
        assert!(covers(&before, &before), "an equal scope covers itself");
        assert!(covers(&scope(store, grantee.editor, grantee.id).await, &before));

        let mut changes = watch_credentials();
        let grant = services(store).grants().create(
        &grantor_admin, grantor.id, grantee.id, Access::Write, true,
        )
        .await
        .unwrap();
        let with_grant = scope(store, grantee.editor, grantee.id).await;
        // A grown scope still covers the one before it (the connection keeps its old scope).
        assert!(covers(&with_grant, &before));
        assert!(!covers(&before, &with_grant));

        services(store).grants().revoke(&grantor_admin, grant.id).await.unwrap();
        assert!(changes.has_changed().unwrap(), "grant revocation is announced");
        let revoked = scope(store, grantee.editor, grantee.id).await;
        assert!(!covers(&revoked, &with_grant), "a revoked grant shrinks the scope");
        assert!(covers(&revoked, &before));

        // A lower role: the editor becomes a viewer.
        changes.mark_unchanged();
        let own_admin = scope(store, grantee.admin, grantee.id).await;
        accounts.set_role(&own_admin, grantee.id, grantee.editor, Role::Viewer).await.unwrap();
        assert!(changes.has_changed().unwrap(), "a role change is announced");
        let demoted = scope(store, grantee.editor, grantee.id).await;
        assert!(!covers(&demoted, &before), "a lower role shrinks the scope");

        // Removal: nothing left.
        changes.mark_unchanged();
        accounts.remove_member(&own_admin, grantee.id, grantee.editor).await.unwrap();
        assert!(changes.has_changed().unwrap(), "a removal is announced");
        let removed = scope(store, grantee.editor, grantee.id).await;
        assert!(!covers(&removed, &demoted));

        // Another user's scope never covers this one, even when the organisations are the same.
        let viewer = scope(store, grantee.viewer, grantee.id).await;
        assert!(!covers(&viewer, &demoted));
    }
}
