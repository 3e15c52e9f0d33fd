use taisho_store::{Mode, StoreError, documents};
use taisho_testkit::backend_test;

use crate::common::{World, user_scope, version};

backend_test! {
    async fn identical_content_twice_creates_no_new_version(db) {
        let w = World::build(&db.store, 1, 0).await;
        let s = user_scope(&db.store, w.members[0].admin).await;
        let tx = db.store.begin(&s, Mode::Write).await.unwrap();
        let doc = documents::create(&tx, w.members[0].org, "基本方針", false).await.unwrap();
        let (v1, c1) = documents::add_version(&tx, doc.id, version("本文 A")).await.unwrap();
        let (v2, c2) = documents::add_version(&tx, doc.id, version("本文 A")).await.unwrap();
        let (v3, c3) = documents::add_version(&tx, doc.id, version("本文 B")).await.unwrap();
        assert!(c1 && !c2 && c3);
        assert_eq!(v1.id, v2.id);
        assert_eq!((v1.seq, v3.seq), (1, 2));
        assert_eq!(v1.content_hash, documents::content_hash("本文 A".as_bytes()));
        assert_eq!(v1.uploaded_by, Some(w.members[0].admin));
        let list = documents::list_versions(&tx, doc.id).await.unwrap();
        assert_eq!(list.iter().map(|v| v.seq).collect::<Vec<_>>(), vec![1, 2]);
        tx.commit().await.unwrap();
    }
}

backend_test! {
    async fn original_bytes_are_kept_unchanged(db) {
        let w = World::build(&db.store, 1, 0).await;
        let s = user_scope(&db.store, w.members[0].admin).await;
        let tx = db.store.begin(&s, Mode::Write).await.unwrap();
        let doc = documents::create(&tx, w.members[0].org, "対策基準", true).await.unwrap();
        // Shift_JIS bytes with a BOM-like prefix and a NUL: nothing may be normalised.
        let bytes = vec![0xEF, 0xBB, 0xBF, 0x93, 0xFA, 0x96, 0x7B, 0x00, 0x0D, 0x0A];
        let new = taisho_store::NewVersion { original: bytes.clone(), text: "日本".into(), encoding: "shift_jis".into(), format: "text".into(), layers: taisho_store::Layers::Taisaku };
        let (v, _) = documents::add_version(&tx, doc.id, new).await.unwrap();
        tx.commit().await.unwrap();
        let tx = db.store.begin(&s, Mode::Read).await.unwrap();
        assert_eq!(documents::original(&tx, v.id).await.unwrap(), bytes);
        assert_eq!(documents::text(&tx, v.id).await.unwrap(), "日本");
        assert_eq!(documents::get_version(&tx, v.id).await.unwrap().byte_len, 10);
    }
}

backend_test! {
    async fn viewer_cannot_write_and_empty_input_is_rejected(db) {
        let w = World::build(&db.store, 1, 0).await;
        let viewer = user_scope(&db.store, w.members[0].viewer).await;
        let tx = db.store.begin(&viewer, Mode::Write).await.unwrap();
        assert!(matches!(documents::create(&tx, w.members[0].org, "x", false).await, Err(StoreError::Forbidden)));
        assert!(matches!(documents::add_version(&tx, w.members[0].docs[0], version("new")).await, Err(StoreError::Forbidden)));
        assert!(matches!(documents::set_unpublished(&tx, w.members[0].docs[0], true).await, Err(StoreError::Forbidden)));
        drop(tx);
        let admin = user_scope(&db.store, w.members[0].admin).await;
        let tx = db.store.begin(&admin, Mode::Write).await.unwrap();
        assert!(matches!(documents::create(&tx, w.members[0].org, "  ", false).await, Err(StoreError::Invalid(_))));
        assert!(matches!(documents::add_version(&tx, w.members[0].docs[0], version("")).await, Err(StoreError::Invalid(_))));
        let d = documents::set_unpublished(&tx, w.members[0].docs[0], true).await.unwrap();
        assert!(d.unpublished);
        let docs = documents::list(&tx, w.members[0].org).await.unwrap();
        assert_eq!(docs.len(), 2);
    }
}
