//! Isolation probes: four kinds of principal call every tenant entry point of the store with ids of
//! other tenants, and with random missing ids. A probe leaks when it returns anything of an
//! organisation the principal may not read; it is distinguishable when the foreign id's outcome
//! differs from the missing id's. Runs on SQLite (application filter), on PostgreSQL with row-level
//! security alone (the filter switched off), and on PostgreSQL with both.

use std::collections::BTreeSet;

use serde_json::json;
use taisho_domain::{AnalysisId, DocumentId, GrantId, OrgId, VersionId};
use taisho_store::analyses::{self, Finding};
use taisho_store::{
    Access, AnalysisStatus, Backend, Mode, Principal, Store, StoreError, Tx, audit, documents,
    grants, orgs, scope_for,
};
use taisho_testkit::testdb::{self, TestDb};

use crate::common::{EDITION, World, user_scope, version};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Id {
    Org(OrgId),
    Doc(DocumentId),
    Version(VersionId),
    Analysis(AnalysisId),
    Grant(GrantId),
}

impl Id {
    fn random_like(self) -> Id {
        match self {
            Id::Org(_) => Id::Org(OrgId::new()),
            Id::Doc(_) => Id::Doc(DocumentId::new()),
            Id::Version(_) => Id::Version(VersionId::new()),
            Id::Analysis(_) => Id::Analysis(AnalysisId::new()),
            Id::Grant(_) => Id::Grant(GrantId::new()),
        }
    }

    fn ops(self) -> &'static [Op] {
        use Op::*;
        match self {
            Id::Org(_) => &[
                OrgGet,
                OrgMembers,
                DocList,
                DocCreate,
                Matrix,
                GrantCreate,
                GrantList,
                AuditList,
            ],
            Id::Doc(_) => &[DocGet, SetUnpublished, AddVersion, ListVersions],
            Id::Version(_) => &[
                VersionGet,
                Original,
                Text,
                Record,
                AnalysisGet,
                AnalysisList,
            ],
            Id::Analysis(_) => &[Findings],
            Id::Grant(_) => &[GrantGet, GrantRevoke],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    OrgGet,
    OrgMembers,
    DocList,
    DocCreate,
    Matrix,
    GrantCreate,
    GrantList,
    AuditList,
    DocGet,
    SetUnpublished,
    AddVersion,
    ListVersions,
    VersionGet,
    Original,
    Text,
    Record,
    AnalysisGet,
    AnalysisList,
    Findings,
    GrantGet,
    GrantRevoke,
}

/// What a probe returned: the organisations whose data came back, or the error.
type Seen = Result<Vec<OrgId>, StoreError>;

/// Calls `op` on `id`. `owner` is the organisation the id belongs to (for results that do not carry
/// one, like text); `own` is an organisation of the principal's (or a fresh id) for the second
/// argument of grant creation.
async fn call(tx: &Tx, op: Op, id: Id, owner: OrgId, own: OrgId, read: &BTreeSet<OrgId>) -> Seen {
    let one = |o: OrgId| vec![o];
    // A grant is the data of both sides: it counts as readable when either side is.
    let side = |g: &taisho_store::Grant| {
        if read.contains(&g.grantee_org_id) {
            g.grantee_org_id
        } else {
            g.grantor_org_id
        }
    };
    Ok(match (op, id) {
        (Op::OrgGet, Id::Org(o)) => one(orgs::get(tx, o).await?.id),
        (Op::OrgMembers, Id::Org(o)) => orgs::prefecture_members(tx, o)
            .await?
            .iter()
            .map(|x| x.id)
            .collect(),
        (Op::DocList, Id::Org(o)) => documents::list(tx, o)
            .await?
            .iter()
            .map(|d| d.org_id)
            .collect(),
        (Op::DocCreate, Id::Org(o)) => one(documents::create(tx, o, "probe", false).await?.org_id),
        (Op::Matrix, Id::Org(o)) => analyses::matrix(tx, &[o], EDITION)
            .await?
            .iter()
            .map(|c| c.org_id)
            .collect(),
        (Op::GrantCreate, Id::Org(o)) => one(grants::create(tx, o, own, Access::Write, true)
            .await?
            .grantor_org_id),
        (Op::GrantList, Id::Org(o)) => grants::list(tx, o).await?.iter().map(side).collect(),
        (Op::AuditList, Id::Org(o)) => audit::list(tx, o, 100)
            .await?
            .iter()
            .flat_map(|e| e.acting_org_id.into_iter().chain(e.target_org_id))
            .collect(),
        (Op::DocGet, Id::Doc(d)) => one(documents::get(tx, d).await?.org_id),
        (Op::SetUnpublished, Id::Doc(d)) => {
            one(documents::set_unpublished(tx, d, false).await?.org_id)
        }
        (Op::AddVersion, Id::Doc(d)) => one(documents::add_version(tx, d, version("probe"))
            .await?
            .0
            .org_id),
        (Op::ListVersions, Id::Doc(d)) => documents::list_versions(tx, d)
            .await?
            .iter()
            .map(|v| v.org_id)
            .collect(),
        (Op::VersionGet, Id::Version(v)) => one(documents::get_version(tx, v).await?.org_id),
        (Op::Original, Id::Version(v)) => {
            documents::original(tx, v).await?;
            one(owner)
        }
        (Op::Text, Id::Version(v)) => {
            documents::text(tx, v).await?;
            one(owner)
        }
        (Op::Record, Id::Version(v)) => {
            let f = [Finding {
                item_id: "1.1".into(),
                status: "missing".into(),
                reasons: json!([]),
            }];
            analyses::record(tx, v, "probe", AnalysisStatus::Done, json!({}), &f).await?;
            one(owner)
        }
        (Op::AnalysisGet, Id::Version(v)) => one(analyses::get(tx, v, EDITION).await?.org_id),
        (Op::AnalysisList, Id::Version(v)) => analyses::list_for_version(tx, v)
            .await?
            .iter()
            .map(|a| a.org_id)
            .collect(),
        (Op::Findings, Id::Analysis(a)) => {
            if analyses::findings(tx, a).await?.is_empty() {
                vec![]
            } else {
                one(owner)
            }
        }
        (Op::GrantGet, Id::Grant(g)) => one(side(&grants::get(tx, g).await?)),
        (Op::GrantRevoke, Id::Grant(g)) => one(side(&grants::revoke(tx, g).await?)),
        (op, id) => panic!("no probe {op:?} for {id:?}"),
    })
}

fn class(seen: &Seen) -> String {
    match seen {
        Ok(v) if v.is_empty() => "empty".into(),
        Ok(_) => "data".into(),
        Err(StoreError::NotFound) => "not_found".into(),
        Err(StoreError::Forbidden) => "forbidden".into(),
        Err(e) => format!("error: {e}"),
    }
}

/// Runs one call in its own transaction and rolls it back, so probes cannot change the world.
async fn probe(
    store: &Store,
    scope: &taisho_store::TenantScope,
    op: Op,
    id: Id,
    owner: OrgId,
    own: OrgId,
    read: &BTreeSet<OrgId>,
) -> Seen {
    let tx = store.begin(scope, Mode::Write).await.unwrap();
    let seen = call(&tx, op, id, owner, own, read).await;
    tx.rollback().await.unwrap();
    seen
}

#[derive(Debug, Default)]
struct Report {
    probes: usize,
    leaks: Vec<String>,
    distinguishable: Vec<String>,
}

struct Subject {
    name: &'static str,
    principal: Principal,
    /// What the principal may read, from the fixture's design (not from `scope_for`).
    read: BTreeSet<OrgId>,
    own: OrgId,
}

async fn run(store: &Store, w: &World, extra_grant: GrantId) -> Report {
    // Every id in the world, with its owner; grants are owned by their grantor.
    let mut ids: Vec<(Id, OrgId, Option<OrgId>)> = vec![
        (Id::Org(w.prefecture), w.prefecture, None),
        (Id::Org(w.consultancy), w.consultancy, None),
        (Id::Grant(w.grant), w.members[0].org, Some(w.consultancy)),
        (
            Id::Grant(extra_grant),
            w.unrelated[0].org,
            Some(w.unrelated[1].org),
        ),
    ];
    for b in w.members.iter().chain(&w.unrelated) {
        ids.push((Id::Org(b.org), b.org, None));
        ids.extend(b.docs.iter().map(|d| (Id::Doc(*d), b.org, None)));
        ids.extend(b.versions.iter().map(|v| (Id::Version(*v), b.org, None)));
        ids.extend(b.analyses.iter().map(|a| (Id::Analysis(*a), b.org, None)));
    }
    let m0 = w.members[0].org;
    let subjects = [
        Subject {
            name: "municipality user",
            principal: Principal::User {
                user: w.members[0].admin,
                acting_org: None,
            },
            read: [m0].into(),
            own: m0,
        },
        Subject {
            name: "prefectural coordinator",
            principal: Principal::User {
                user: w.coordinator,
                acting_org: None,
            },
            read: [w.prefecture]
                .into_iter()
                .chain(w.members.iter().map(|m| m.org))
                .collect(),
            own: w.prefecture,
        },
        Subject {
            name: "consultancy key",
            principal: Principal::ApiKey {
                key: w.consultancy_key,
            },
            read: [w.consultancy, m0].into(),
            own: w.consultancy,
        },
        Subject {
            name: "anonymous",
            principal: Principal::Anonymous,
            read: BTreeSet::new(),
            own: OrgId::new(),
        },
    ];
    let mut report = Report::default();
    for s in &subjects {
        let scope = scope_for(&s.principal, store).await.unwrap();
        assert_eq!(
            scope.readable().collect::<BTreeSet<_>>(),
            s.read,
            "{}: scope",
            s.name
        );
        for &(id, owner, other) in &ids {
            let foreign = !s.read.contains(&owner) && other.is_none_or(|o| !s.read.contains(&o));
            if !foreign {
                continue;
            }
            for &op in id.ops() {
                report.probes += 1;
                let seen = probe(store, &scope, op, id, owner, s.own, &s.read).await;
                if let Ok(orgs) = &seen
                    && orgs.iter().any(|o| !s.read.contains(o))
                {
                    report
                        .leaks
                        .push(format!("{}: {op:?} {id:?} returned {orgs:?}", s.name));
                }
                // Only the principal's own data came back (e.g. its grant to this organisation,
                // listed under the grantee's id when RLS alone filters): nothing to tell apart.
                if matches!(&seen, Ok(orgs) if !orgs.is_empty()) {
                    continue;
                }
                let missing =
                    probe(store, &scope, op, id.random_like(), owner, s.own, &s.read).await;
                if class(&seen) != class(&missing) {
                    report.distinguishable.push(format!(
                        "{}: {op:?} {id:?}: foreign {} vs missing {}",
                        s.name,
                        class(&seen),
                        class(&missing)
                    ));
                }
            }
        }
        // Listing everything readable returns nothing foreign.
        let tx = store.begin(&scope, Mode::Read).await.unwrap();
        let all = orgs::list_readable(&tx).await.unwrap();
        report.probes += 1;
        if let Some(o) = all.iter().find(|o| !s.read.contains(&o.id)) {
            report
                .leaks
                .push(format!("{}: list_readable returned {:?}", s.name, o.id));
        }
    }
    // Readable but not permitted: unpublished text for coordinator and read-only grantee, writes
    // through read-only access.
    let unpublished_v = w.members[0].versions[3];
    let doc = w.members[0].docs[0];
    for s in &subjects[1..3] {
        let scope = scope_for(&s.principal, store).await.unwrap();
        for (op, id) in [
            (Op::Text, Id::Version(unpublished_v)),
            (Op::Original, Id::Version(unpublished_v)),
            (Op::DocCreate, Id::Org(m0)),
            (Op::AddVersion, Id::Doc(doc)),
            (Op::SetUnpublished, Id::Doc(doc)),
            (Op::Record, Id::Version(unpublished_v)),
            (Op::GrantCreate, Id::Org(m0)),
            (Op::GrantRevoke, Id::Grant(w.grant)),
            (Op::AuditList, Id::Org(m0)),
        ] {
            report.probes += 1;
            let seen = probe(store, &scope, op, id, m0, s.own, &s.read).await;
            // An empty audit list (RLS alone) withholds nothing; everything else must fail.
            let ok = match (&seen, op) {
                (Ok(v), Op::AuditList) => v.is_empty(),
                (Ok(_), _) => false,
                (Err(StoreError::NotFound | StoreError::Forbidden), _) => true,
                (Err(_), _) => false,
            };
            if !ok {
                report.leaks.push(format!(
                    "{}: {op:?} {id:?} on readable data gave {}",
                    s.name,
                    class(&seen)
                ));
            }
        }
    }
    // Positive controls: the probes are not vacuous, own data is reachable through the same paths.
    let scope = user_scope(store, w.members[0].admin).await;
    for (op, id) in [
        (Op::DocGet, Id::Doc(doc)),
        (Op::Text, Id::Version(unpublished_v)),
        (Op::Findings, Id::Analysis(w.members[0].analyses[0])),
        (Op::GrantGet, Id::Grant(w.grant)),
        (Op::Matrix, Id::Org(m0)),
    ] {
        let seen = probe(store, &scope, op, id, m0, m0, &[m0].into()).await;
        assert_eq!(class(&seen), "data", "positive control {op:?}");
    }
    report
}

async fn world(db: &TestDb) -> (World, GrantId) {
    let w = World::build(&db.store, 3, 10).await;
    let scope = user_scope(&db.store, w.unrelated[0].admin).await;
    let tx = db.store.begin(&scope, Mode::Write).await.unwrap();
    let g = grants::create(
        &tx,
        w.unrelated[0].org,
        w.unrelated[1].org,
        Access::Read,
        false,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (w, g.id)
}

fn check(report: &Report, mode: &str) {
    eprintln!(
        "isolation probes ({mode}): {} probes, {} leaks, {} distinguishable",
        report.probes,
        report.leaks.len(),
        report.distinguishable.len()
    );
    assert!(report.probes >= 2000, "only {} probes", report.probes);
    assert!(
        report.leaks.is_empty(),
        "leaks:\n{}",
        report.leaks.join("\n")
    );
    assert!(
        report.distinguishable.is_empty(),
        "distinguishable:\n{}",
        report.distinguishable.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_leaks_on_sqlite_with_the_application_filter() {
    let db = testdb::sqlite().await;
    let (w, g) = world(&db).await;
    check(&run(&db.store, &w, g).await, "SQLite, application filter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_leaks_on_postgres_with_row_level_security_alone() {
    let db = testdb::postgres().await;
    let (w, g) = world(&db).await;
    let rls_only = db.store.clone().without_app_filter();
    assert_eq!(rls_only.backend(), Backend::Postgres);
    check(&run(&rls_only, &w, g).await, "PostgreSQL, RLS only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_leaks_on_postgres_with_filter_and_row_level_security() {
    let db = testdb::postgres().await;
    let (w, g) = world(&db).await;
    check(&run(&db.store, &w, g).await, "PostgreSQL, filter and RLS");
}

/// The switch really switches: without the filter and without RLS (SQLite), probes must leak. This
/// keeps the RLS-only pass honest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_detect_leaks_when_both_locks_are_off() {
    let db = testdb::sqlite().await;
    let w = World::build(&db.store, 1, 1).await;
    let store = db.store.clone().without_app_filter();
    let scope = user_scope(&store, w.members[0].admin).await;
    let seen = probe(
        &store,
        &scope,
        Op::DocGet,
        Id::Doc(w.unrelated[0].docs[0]),
        w.unrelated[0].org,
        w.members[0].org,
        &[w.members[0].org].into(),
    )
    .await;
    assert_eq!(seen.unwrap(), vec![w.unrelated[0].org]);
}
