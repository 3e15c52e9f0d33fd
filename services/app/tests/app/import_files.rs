//! `taisho import`: the seed policies for one organisation, idempotent.

use taisho_app::import::{Outcome, collect_files, import_files, resolve_org};
use taisho_store::{Mode, documents};

use crate::flow::{EDITION, bodies, jobs_of, testdata, worker_scope};

taisho_testkit::backend_test! {
    async fn importing_the_seeds_loads_each_file_once(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let files = collect_files(&[testdata().join("seeds")]).expect("files");
        assert_eq!(files.len(), 5, "README is skipped: {files:?}");

        let mut lines = Vec::new();
        let first = import_files(store, b.member, &files, EDITION, |i| lines.push(i.line()))
            .await
            .expect("import");
        assert!(first.iter().all(|i| matches!(i.outcome, Outcome::New(_))), "{lines:?}");
        assert!(lines.iter().all(|l| l.contains("new version")));

        let again = import_files(store, b.member, &files, EDITION, |_| {}).await.expect("import");
        let shown: Vec<String> = again.iter().map(taisho_app::import::Imported::line).collect();
        assert!(again.iter().all(|i| matches!(i.outcome, Outcome::Unchanged(_))), "{shown:?}");
        assert_eq!(jobs_of(store, b.member).await.len(), 5);

        let scope = worker_scope(store, b.member).await;
        let tx = store.begin(&scope, Mode::Read).await.expect("tx");
        let docs = documents::list(&tx, b.member).await.expect("documents");
        tx.rollback().await.expect("rollback");
        assert_eq!(docs.len(), 5);
        assert!(docs.iter().any(|d| d.title.starts_with("004_")));

        // A bad file is reported and the others still load.
        let dir = std::env::temp_dir().join(format!("taisho_import_{}", crate::tag()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("broken.pdf"), b"%PDF-1.7\n\0\0binary").expect("write");
        let mixed = [dir.join("broken.pdf"), dir.join("missing.txt"), files[0].clone()];
        let out = import_files(store, b.member, &mixed, EDITION, |_| {}).await.expect("import");
        let shown: Vec<String> = out.iter().map(taisho_app::import::Imported::line).collect();
        assert!(matches!(out[0].outcome, Outcome::Failed(_)), "{shown:?}");
        assert!(matches!(out[1].outcome, Outcome::Failed(_)), "{shown:?}");
        assert!(matches!(out[2].outcome, Outcome::Unchanged(_)), "{shown:?}");
        let _ = std::fs::remove_dir_all(&dir);

        assert_eq!(resolve_org(store, &b.member.to_string()).await.expect("by id"), b.member);
        let tx = store.begin(&scope, Mode::Read).await.expect("tx");
        let name = taisho_store::orgs::get(&tx, b.member).await.expect("org").name;
        tx.rollback().await.expect("rollback");
        assert_eq!(resolve_org(store, &name).await.expect("by name"), b.member);
        assert!(resolve_org(store, "存在しない町").await.is_err());
    }
}
