//! PostgreSQL catalog checks: the second lock is really there.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use taisho_testkit::testdb;

async fn rows(db: &testdb::TestDb, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.store
        .connection()
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
}

/// Every table except the migration bookkeeping is a tenant table (including tables later
/// migrations add, like `jobs`): each must have ENABLE and FORCE ROW LEVEL SECURITY.
#[tokio::test]
async fn every_table_has_forced_row_level_security() {
    let db = testdb::postgres().await;
    let tables = rows(
        &db,
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'seaql_migrations' \
         ORDER BY c.relname",
    )
    .await;
    let mut names = Vec::new();
    for r in &tables {
        let name: String = r.try_get("", "relname").unwrap();
        let enabled: bool = r.try_get("", "relrowsecurity").unwrap();
        let forced: bool = r.try_get("", "relforcerowsecurity").unwrap();
        assert!(
            enabled && forced,
            "{name}: ENABLE {enabled}, FORCE {forced}"
        );
        names.push(name);
    }
    for expected in [
        "analyses",
        "api_keys",
        "audit_log",
        "document_versions",
        "documents",
        "findings",
        "grants",
        "memberships",
        "organisations",
        "users",
        "version_contents",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn runtime_role_cannot_bypass_row_level_security() {
    let db = testdb::postgres().await;
    let r = rows(
        &db,
        "SELECT current_user AS who, r.rolsuper, r.rolbypassrls, \
           (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) AS owned, \
           (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid) AS member_of \
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .await;
    let r = &r[0];
    assert_eq!(r.try_get::<String>("", "who").unwrap(), "taisho_app");
    assert!(!r.try_get::<bool>("", "rolsuper").unwrap());
    assert!(!r.try_get::<bool>("", "rolbypassrls").unwrap());
    assert_eq!(
        r.try_get::<i64>("", "owned").unwrap(),
        0,
        "taisho_app owns relations"
    );
    // Membership in another role (e.g. the owner) would inherit its rights.
    assert_eq!(r.try_get::<i64>("", "member_of").unwrap(), 0);
}

#[tokio::test]
async fn runtime_role_cannot_change_or_delete_the_audit_log() {
    let db = testdb::postgres().await;
    for sql in [
        "UPDATE audit_log SET outcome = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = db
            .store
            .connection()
            .execute_unprepared(sql)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
}

/// Without settings (a connection outside any scoped transaction) tenant tables look empty.
#[tokio::test]
async fn connection_without_scope_sees_no_tenant_rows() {
    let db = testdb::postgres().await;
    let w = crate::common::World::build(&db.store, 1, 0).await;
    assert!(!w.members[0].docs.is_empty());
    for table in [
        "organisations",
        "documents",
        "document_versions",
        "version_contents",
        "analyses",
        "grants",
    ] {
        let r = rows(&db, &format!("SELECT count(*) AS n FROM {table}")).await;
        assert_eq!(r[0].try_get::<i64>("", "n").unwrap(), 0, "{table}");
    }
}
