//! The audit log: use-case helpers, visibility, append-only on PostgreSQL.

use taisho_app::audit;
use taisho_store::sea_orm::{ConnectionTrait, DbBackend, Statement};
use taisho_store::{Access, Layers, Mode, NewVersion, StoreError, documents, grants};
use taisho_testkit::testdb;

use super::*;

taisho_testkit::backend_test! {
    async fn document_reads_exports_and_grants_are_recorded_with_actor_and_organisations(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let consultancy = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;

        let (version, grant) = store
            .tx(&admin, Mode::Write, async |tx| -> taisho_app::Result<_> {
                let doc = documents::create(tx, o.id, "基本方針", false).await?;
                let (v, _) = documents::add_version(tx, doc.id, NewVersion {
                    original: "本文".as_bytes().to_vec(),
                    text: "本文".into(),
                    encoding: "utf-8".into(),
                    format: "text".into(),
                    layers: Layers::Kihon,
                })
                .await?;
                let g = grants::create(tx, o.id, consultancy.id, Access::Read, false).await?;
                audit::grant_created(tx, &g).await?;
                Ok((v, g))
            })
            .await
            .unwrap();

        // The consultancy's editor reads and exports the granted body's document.
        let reader = scope(store, consultancy.editor, consultancy.id).await;
        store
            .tx(&reader, Mode::Write, async |tx| -> taisho_app::Result<()> {
                let v = documents::get_version(tx, version.id).await?;
                documents::text(tx, v.id).await?;
                audit::document_read(tx, &v).await?;
                audit::document_export(tx, v.org_id, v.id).await?;
                Ok(())
            })
            .await
            .unwrap();
        store
            .tx(&admin, Mode::Write, async |tx| -> taisho_app::Result<()> {
                grants::revoke(tx, grant.id).await?;
                audit::grant_revoked(tx, o.id, grant.id).await
            })
            .await
            .unwrap();

        let log = audit_log(store, &o).await;
        let read = entries(&log, "document.read", "ok");
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].actor_user_id, Some(consultancy.editor.as_uuid()));
        assert_eq!(read[0].acting_org_id, Some(consultancy.id));
        assert_eq!(read[0].target_org_id, Some(o.id));
        assert_eq!(read[0].object_id, Some(version.id.as_uuid()));
        let export = entries(&log, "document.export", "ok");
        assert_eq!(export.len(), 1);
        assert_eq!(export[0].object_id, Some(version.id.as_uuid()));
        for action in ["grant.create", "grant.revoke"] {
            let e = entries(&log, action, "ok");
            assert_eq!(e.len(), 1, "{action}");
            assert_eq!(e[0].actor_user_id, Some(o.admin.as_uuid()));
            assert_eq!(e[0].object_id, Some(grant.id.as_uuid()));
        }
        // The consultancy's admin sees the reads its people did (acting org), not o's grant admin.
        let cons_admin = scope(store, consultancy.admin, consultancy.id).await;
        let tx = store.begin(&cons_admin, Mode::Read).await.unwrap();
        let theirs = taisho_store::audit::list(&tx, consultancy.id, 100).await.unwrap();
        assert!(theirs.iter().any(|e| e.action == "document.read"));
        assert!(theirs.iter().all(|e| e.acting_org_id == Some(consultancy.id)
            || e.target_org_id == Some(consultancy.id)));
        // A viewer does not read the log.
        let viewer = scope(store, o.viewer, o.id).await;
        let tx = store.begin(&viewer, Mode::Read).await.unwrap();
        let r = taisho_store::audit::list(&tx, o.id, 100).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    }
}

taisho_testkit::backend_test! {
    async fn a_refusal_is_recorded_even_though_its_transaction_rolls_back(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let viewer = scope(store, o.viewer, o.id).await;
        let result: taisho_app::Result<()> = store
            .tx(&viewer, Mode::Write, async |tx| -> taisho_app::Result<()> {
                documents::create(tx, o.id, "x", false).await?;
                Ok(())
            })
            .await;
        let result = audit::on_denial(store, &viewer, audit::Action::DocumentExport, Some(o.id), None, result).await;
        assert!(matches!(result, Err(taisho_app::AppError::Store(StoreError::Forbidden))));
        let log = audit_log(store, &o).await;
        let denied = entries(&log, "document.export", "denied");
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].actor_user_id, Some(o.viewer.as_uuid()));
    }
}

/// The runtime role may only INSERT and SELECT audit rows: UPDATE, DELETE and TRUNCATE fail, even
/// in the scope of the organisation's admin and in the system scope.
#[tokio::test]
async fn audit_rows_cannot_be_updated_or_deleted_on_postgres() {
    let db = testdb::postgres().await;
    let store = &db.store;
    let accounts = accounts(store);
    let o = org(store, &accounts).await;
    accounts
        .sign_in(&o.admin_email, PASSWORD, Some(o.id))
        .await
        .unwrap();
    let before = audit_log(store, &o).await;
    assert!(!before.is_empty());
    let admin = scope(store, o.admin, o.id).await;
    for sql in [
        "UPDATE audit_log SET outcome = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        for system in [false, true] {
            let tx = if system {
                store.begin_system(Mode::Write).await.unwrap()
            } else {
                store.begin(&admin, Mode::Write).await.unwrap()
            };
            let err = tx
                .conn()
                .execute_raw(Statement::from_string(DbBackend::Postgres, sql))
                .await
                .unwrap_err();
            assert!(
                err.to_string().contains("permission denied"),
                "{sql}: {err}"
            );
        }
    }
    assert_eq!(audit_log(store, &o).await, before);
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "the use-cases take an optional client address"
)]
fn client() -> Option<std::net::IpAddr> {
    Some("198.51.100.4".parse().expect("address"))
}

fn upload_of(
    org: taisho_domain::OrgId,
    document: taisho_app::documents::DocumentRef,
    bytes: Vec<u8>,
) -> taisho_app::documents::Upload {
    taisho_app::documents::Upload {
        org,
        document,
        bytes,
        file_name: Some("policy.txt".into()),
    }
}

taisho_testkit::backend_test! {
    async fn uploads_are_recorded_as_new_unchanged_or_refused_with_the_error_code(db) {
        use taisho_app::documents::DocumentRef;
        use crate::flow::{EDITION, seed};
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let editor = scope(store, o.editor, o.id).await.with_client(client());
        let bytes = seed("004").1;
        let new = DocumentRef::New { title: "基本方針".into(), unpublished: false };
        let first = services(store).documents().upload_version(&editor, upload_of(o.id, new, bytes.clone()), EDITION)
            .await
            .expect("upload");
        let existing = DocumentRef::Existing(first.document);
        let again = services(store).documents().upload_version(&editor, upload_of(o.id, existing.clone(), bytes.clone()), EDITION)
            .await
            .expect("same bytes");
        assert!(first.created && !again.created);
        let refused = services(store).documents().upload_version(&editor, upload_of(o.id, existing.clone(), Vec::new()), EDITION)
            .await
            .expect_err("empty upload");
        let viewer = scope(store, o.viewer, o.id).await;
        let denied = services(store).documents().upload_version(&viewer, upload_of(o.id, existing, bytes), EDITION)
            .await
            .expect_err("viewer");
        assert_eq!(denied.code().as_str(), "FORBIDDEN");
        // Refusals stored no version.
        assert_eq!(services(store).documents().versions(&editor, first.document).await.expect("versions").len(), 1);

        let log = audit_log(store, &o).await;
        let ok = entries(&log, "document.upload", "ok");
        assert_eq!(ok.len(), 2, "{log:#?}");
        assert_eq!(ok[1].detail.as_deref(), Some("new_version"));
        assert_eq!(ok[0].detail.as_deref(), Some("unchanged"));
        for e in &ok {
            assert_eq!(e.object_id, Some(first.version.as_uuid()));
            assert_eq!(e.actor_user_id, Some(o.editor.as_uuid()));
            assert_eq!(e.target_org_id, Some(o.id));
            assert_eq!(e.client_addr.as_deref(), Some("198.51.100.4"));
        }
        let r = entries(&log, "document.upload", "refused");
        assert_eq!(r.len(), 1, "{log:#?}");
        assert_eq!(r[0].detail.as_deref(), Some(refused.code().as_str()));
        assert_eq!(r[0].object_id, Some(first.document.as_uuid()));
        assert_eq!(r[0].client_addr.as_deref(), Some("198.51.100.4"));
        let d = entries(&log, "document.upload", "denied");
        assert_eq!(d.len(), 1, "{log:#?}");
        assert_eq!(d[0].detail.as_deref(), Some("FORBIDDEN"));
        assert_eq!(d[0].actor_user_id, Some(o.viewer.as_uuid()));
    }
}

taisho_testkit::backend_test! {
    async fn publication_changes_and_reanalyses_are_recorded(db) {
        use taisho_app::documents::DocumentRef;
        use crate::flow::{EDITION, seed};
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let editor = scope(store, o.editor, o.id).await.with_client(client());
        let new = DocumentRef::New { title: "対策基準".into(), unpublished: false };
        let up = services(store).documents().upload_version(&editor, upload_of(o.id, new, seed("004").1), EDITION)
            .await
            .expect("upload");
        services(store).documents().set_unpublished(&editor, up.document, true).await.expect("unpublish");
        services(store).documents().set_unpublished(&editor, up.document, false).await.expect("publish");
        services(store).analyses().reanalyse(&editor, up.version, EDITION)
            .await
            .expect("reanalyse");
        let viewer = scope(store, o.viewer, o.id).await;
        let err = services(store).analyses().reanalyse(&viewer, up.version, EDITION)
            .await
            .expect_err("viewer");
        assert_eq!(err.code().as_str(), "FORBIDDEN");

        let log = audit_log(store, &o).await;
        let changes = entries(&log, "document.set_unpublished", "ok");
        assert_eq!(changes.len(), 2, "{log:#?}");
        assert_eq!(changes[1].detail.as_deref(), Some("unpublished"));
        assert_eq!(changes[0].detail.as_deref(), Some("published"));
        for e in &changes {
            assert_eq!(e.object_id, Some(up.document.as_uuid()));
            assert_eq!(e.actor_user_id, Some(o.editor.as_uuid()));
            assert_eq!(e.client_addr.as_deref(), Some("198.51.100.4"));
        }
        let re = entries(&log, "analysis.reanalyse", "ok");
        assert_eq!(re.len(), 1, "{log:#?}");
        assert_eq!(re[0].object_id, Some(up.version.as_uuid()));
        assert_eq!(re[0].detail.as_deref(), Some(EDITION.to_string().as_str()));
        let refused = entries(&log, "analysis.reanalyse", "denied");
        assert_eq!(refused.len(), 1, "{log:#?}");
        assert_eq!(refused[0].actor_user_id, Some(o.viewer.as_uuid()));
    }
}

taisho_testkit::backend_test! {
    async fn sign_ins_and_rejected_keys_carry_the_client_address(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        accounts
            .sign_in_from(&o.admin_email, PASSWORD, Some(o.id), client())
            .await
            .expect("sign in");
        accounts
            .sign_in_from(&o.admin_email, "wrong password", Some(o.id), client())
            .await
            .expect_err("wrong password");
        let log = audit_log(store, &o).await;
        for outcome in ["ok", "denied"] {
            let e = entries(&log, "sign_in", outcome);
            assert_eq!(e.len(), 1, "{outcome}: {log:#?}");
            assert_eq!(e[0].client_addr.as_deref(), Some("198.51.100.4"));
        }
    }
}
