use taisho_store::{Backend, Mode, OrgKind, backend_test, provision};

backend_test! {
    async fn fresh_database_has_no_pending_migrations(db) {
        assert_eq!(db.store.pending_migrations().await.unwrap(), Vec::<String>::new());
        db.store.ensure_migrated().await.unwrap();
    }
}

backend_test! {
    async fn system_transaction_provisions_organisations(db) {
        let tx = db.store.begin_system(Mode::Write).await.unwrap();
        let pref = provision::create_organisation(&tx, OrgKind::Prefecture, "A県", None).await.unwrap();
        provision::create_organisation(&tx, OrgKind::Municipality, "B市", Some(pref)).await.unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn unmigrated_database_reports_every_migration_and_serve_refuses() {
    let dir = std::env::temp_dir().join(format!("taisho_t_unmigrated_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/empty.sqlite?mode=rwc", dir.display());
    let store = taisho_store::Store::connect(&url).await.unwrap();
    let pending = store.pending_migrations().await.unwrap();
    assert!(pending.iter().any(|m| m.contains("tenancy")), "{pending:?}");
    let err = store.ensure_migrated().await.unwrap_err().to_string();
    assert!(
        err.contains("taisho migrate") && err.contains("m20261121_000001_tenancy"),
        "{err}"
    );
    assert_eq!(store.backend(), Backend::Sqlite);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
