//! Opening the store: embedded mode migrates, a URL must be migrated already.

use taisho_app::AppError;
use taisho_app::runtime::{StoreLocation, job_counts, open_store};
use taisho_store::{StoreError, StoreOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmigrated_database_url_is_refused_naming_taisho_migrate() {
    let dir = std::env::temp_dir().join(format!("taisho_rt_{}", crate::tag()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("empty.sqlite").display());
    let err = open_store(&StoreLocation::Url(url), &StoreOptions::default())
        .await
        .expect_err("unmigrated");
    assert!(
        matches!(&err, AppError::Store(StoreError::PendingMigrations(p)) if !p.is_empty()),
        "{err:?}"
    );
    assert!(err.to_string().contains("taisho migrate"), "{err}");

    // The embedded mode creates and migrates on first start, and starts again on the same file.
    let embedded = StoreLocation::Embedded(dir.join("data"));
    for _ in 0..2 {
        let store = open_store(&embedded, &StoreOptions::default())
            .await
            .expect("embedded");
        assert_eq!(job_counts(&store).await.expect("counts").pending(), 0);
        store.close().await.expect("close");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
