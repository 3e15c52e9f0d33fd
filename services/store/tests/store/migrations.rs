use taisho_store::{Backend, Mode, OrgKind, provision};
use taisho_testkit::backend_test;

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

/// The SQLite rebuild of `users` (migration 6) on a database that already holds users, members and
/// sessions: rows and references survive, foreign keys hold, and an address may now repeat.
#[tokio::test]
async fn user_email_migration_keeps_existing_users_and_their_references_on_sqlite() {
    use taisho_migration::{Migrator, MigratorTrait};
    use taisho_store::sea_orm::{ConnectionTrait, Statement};
    let dir = std::env::temp_dir().join(format!("taisho_t_usermig_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/upgrade.sqlite?mode=rwc", dir.display());
    let store = taisho_store::Store::connect(&url).await.unwrap();
    Migrator::up(store.connection(), Some(5)).await.unwrap();
    let tx = store.begin_system(Mode::Write).await.unwrap();
    let org = provision::create_organisation(&tx, OrgKind::Municipality, "C町", None)
        .await
        .unwrap();
    let user = provision::create_user(&tx, "same@example.jp", "職員", None)
        .await
        .unwrap();
    provision::add_membership(&tx, user, org, taisho_store::Role::Admin)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!(
        store.pending_migrations().await.unwrap(),
        Vec::<String>::new()
    );
    let db = store.connection();
    let count = |sql: &'static str| async move {
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
    };
    assert_eq!(count("SELECT count(*) FROM users").await, 1);
    assert_eq!(
        count("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id").await,
        1
    );
    assert_eq!(
        count("SELECT count(*) FROM pragma_foreign_key_check").await,
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM pragma_foreign_keys WHERE foreign_keys = 1").await,
        1
    );
    // The same address again, for another organisation.
    let tx = store.begin_system(Mode::Write).await.unwrap();
    provision::create_user(&tx, "same@example.jp", "職員", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count("SELECT count(*) FROM users").await, 2);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
