use taisho_store::{Access, Mode, Principal, StoreError, documents, grants, scope_for};
use taisho_testkit::backend_test;

use crate::common::{World, user_scope};

backend_test! {
    async fn member_reads_and_writes_only_its_own_body(db) {
        let w = World::build(&db.store, 2, 1).await;
        let s = user_scope(&db.store, w.members[0].admin).await;
        assert!(s.can_read(w.members[0].org) && s.can_write(w.members[0].org) && s.is_admin(w.members[0].org));
        assert!(!s.can_read(w.members[1].org) && !s.can_read(w.prefecture) && !s.can_read(w.unrelated[0].org));
        let viewer = user_scope(&db.store, w.members[0].viewer).await;
        assert!(viewer.can_read(w.members[0].org) && !viewer.can_write(w.members[0].org));
    }
}

backend_test! {
    async fn coordinator_reads_members_statuses_but_unpublished_text_stays_hidden(db) {
        let w = World::build(&db.store, 2, 1).await;
        let s = user_scope(&db.store, w.coordinator).await;
        for m in &w.members {
            assert!(s.can_read(m.org) && !s.can_write(m.org));
            assert!(s.can_read_text(m.org, false) && !s.can_read_text(m.org, true));
        }
        assert!(!s.can_read(w.unrelated[0].org) && !s.can_read(w.consultancy));
        let tx = db.store.begin(&s, Mode::Read).await.unwrap();
        // versions[0..2] belong to the published document, [2..4] to the unpublished one.
        let published = documents::text(&tx, w.members[1].versions[1]).await.unwrap();
        assert!(published.contains("基本方針"));
        assert!(matches!(documents::text(&tx, w.members[1].versions[3]).await, Err(StoreError::NotFound)));
        assert!(matches!(documents::original(&tx, w.members[1].versions[3]).await, Err(StoreError::NotFound)));
        // Statuses of the unpublished document are visible.
        documents::get_version(&tx, w.members[1].versions[3]).await.unwrap();
    }
}

backend_test! {
    async fn text_access_grant_opens_unpublished_text_to_the_coordinator(db) {
        let w = World::build(&db.store, 1, 0).await;
        let admin = user_scope(&db.store, w.members[0].admin).await;
        let tx = db.store.begin(&admin, Mode::Write).await.unwrap();
        grants::create(&tx, w.members[0].org, w.prefecture, Access::Read, true).await.unwrap();
        tx.commit().await.unwrap();
        let s = user_scope(&db.store, w.coordinator).await;
        let tx = db.store.begin(&s, Mode::Read).await.unwrap();
        documents::text(&tx, w.members[0].versions[3]).await.unwrap();
    }
}

backend_test! {
    async fn consultancy_key_reads_granted_body_until_the_grant_is_revoked(db) {
        let w = World::build(&db.store, 2, 0).await;
        let key = Principal::ApiKey { key: w.consultancy_key };
        let s = scope_for(&key, &db.store).await.unwrap();
        assert!(s.can_read(w.members[0].org) && !s.can_write(w.members[0].org));
        assert!(!s.can_read(w.members[1].org) && !s.can_read(w.prefecture));
        assert!(s.can_read_text(w.members[0].org, false) && !s.can_read_text(w.members[0].org, true));
        let tx = db.store.begin(&s, Mode::Write).await.unwrap();
        assert!(matches!(documents::create(&tx, w.members[0].org, "x", false).await, Err(StoreError::Forbidden)));
        drop(tx);

        let admin = user_scope(&db.store, w.members[0].admin).await;
        let tx = db.store.begin(&admin, Mode::Write).await.unwrap();
        let g = grants::revoke(&tx, w.grant).await.unwrap();
        assert!(g.revoked_at.is_some());
        tx.commit().await.unwrap();
        let s = scope_for(&key, &db.store).await.unwrap();
        assert!(!s.can_read(w.members[0].org));
    }
}

backend_test! {
    async fn write_grant_lets_consultancy_editors_upload(db) {
        let w = World::build(&db.store, 1, 0).await;
        let admin = user_scope(&db.store, w.members[0].admin).await;
        let tx = db.store.begin(&admin, Mode::Write).await.unwrap();
        grants::revoke(&tx, w.grant).await.unwrap();
        grants::create(&tx, w.members[0].org, w.consultancy, Access::Write, false).await.unwrap();
        tx.commit().await.unwrap();
        let s = user_scope(&db.store, w.consultancy_user).await;
        assert!(s.can_write(w.members[0].org));
        let tx = db.store.begin(&s, Mode::Write).await.unwrap();
        let doc = documents::create(&tx, w.members[0].org, "委託作成", false).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(doc.org_id, w.members[0].org);
    }
}

backend_test! {
    async fn anonymous_and_unknown_principals_see_nothing(db) {
        let w = World::build(&db.store, 1, 0).await;
        for p in [
            Principal::Anonymous,
            Principal::User { user: taisho_domain::UserId::new(), acting_org: None },
            Principal::ApiKey { key: taisho_domain::ApiKeyId::new() },
            // A real user acting for an organisation it is not a member of.
            Principal::User { user: w.members[0].admin, acting_org: Some(w.prefecture) },
        ] {
            let s = scope_for(&p, &db.store).await.unwrap();
            assert_eq!(s.readable().count(), 0, "{p:?}");
        }
    }
}
