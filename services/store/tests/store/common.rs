//! Tenant fixtures shared by the tests: a prefecture with member bodies, a consultancy with a grant
//! from one member, unrelated bodies; each body with a published and an unpublished document, two
//! versions each, analysed.

use serde_json::json;
use taisho_domain::{AnalysisId, ApiKeyId, DocumentId, GrantId, OrgId, UserId, VersionId};
use taisho_store::analyses::{self, Finding};
use taisho_store::{
    Access, AnalysisStatus, Layers, Mode, NewVersion, OrgKind, Role, Store, TenantScope, documents,
    grants, provision,
};
use taisho_testkit::Tenants;

pub const EDITION: &str = "r6";

#[derive(Debug, Clone)]
pub struct Body {
    pub org: OrgId,
    pub admin: UserId,
    pub viewer: UserId,
    pub docs: Vec<DocumentId>,
    pub versions: Vec<VersionId>,
    pub analyses: Vec<AnalysisId>,
}

#[derive(Debug, Clone)]
pub struct World {
    pub prefecture: OrgId,
    pub coordinator: UserId,
    /// Members of the prefecture; `members[0]` granted the consultancy read access.
    pub members: Vec<Body>,
    pub consultancy: OrgId,
    pub consultancy_user: UserId,
    pub consultancy_key: ApiKeyId,
    pub grant: GrantId,
    /// Bodies outside the prefecture, with no grants.
    pub unrelated: Vec<Body>,
}

/// The scope of `user` acting for no organisation in particular.
pub async fn user_scope(store: &Store, user: UserId) -> TenantScope {
    taisho_testkit::user_scope(store, user, None).await
}

pub fn version(text: &str) -> NewVersion {
    NewVersion {
        original: text.as_bytes().to_vec(),
        text: text.to_owned(),
        encoding: "utf-8".into(),
        format: "text".into(),
        layers: Layers::Both,
    }
}

async fn body(store: &Store, kind: OrgKind, name: &str, prefecture: Option<OrgId>) -> Body {
    let tenants = Tenants::begin(store).await;
    let t = tenants.tag().to_owned();
    let org = tenants.organisation(kind, name, prefecture).await;
    let admin = tenants.member(org, Role::Admin, "admin", "管理者").await.id;
    let viewer = tenants
        .member(org, Role::Viewer, "viewer", "閲覧者")
        .await
        .id;
    tenants.commit().await;

    let scope = user_scope(store, admin).await;
    let tx = store.begin(&scope, Mode::Write).await.unwrap();
    let mut b = Body {
        org,
        admin,
        viewer,
        docs: vec![],
        versions: vec![],
        analyses: vec![],
    };
    for (title, unpublished) in [("基本方針", false), ("対策基準", true)] {
        let doc = documents::create(&tx, org, title, unpublished)
            .await
            .unwrap();
        b.docs.push(doc.id);
        for n in 1..=2 {
            let text = format!("{name} {title} 第{n}版 本文 {t}");
            let (v, created) = documents::add_version(&tx, doc.id, version(&text))
                .await
                .unwrap();
            assert!(created);
            b.versions.push(v.id);
            let findings = [
                Finding {
                    item_id: "1.1".into(),
                    status: "present".into(),
                    reasons: json!([]),
                },
                Finding {
                    item_id: "2.3".into(),
                    status: if n == 1 { "missing" } else { "present" }.into(),
                    reasons: json!(["証跡"]),
                },
            ];
            let (a, _) = analyses::record(
                &tx,
                v.id,
                EDITION,
                AnalysisStatus::Done,
                json!({"v": n}),
                &findings,
            )
            .await
            .unwrap();
            b.analyses.push(a);
        }
    }
    tx.commit().await.unwrap();
    b
}

impl World {
    pub async fn build(store: &Store, members: usize, unrelated: usize) -> World {
        let tenants = Tenants::begin(store).await;
        let t = tenants.tag().to_owned();
        let prefecture = tenants
            .organisation(OrgKind::Prefecture, &format!("県{t}"), None)
            .await;
        let coordinator = tenants
            .member(prefecture, Role::Editor, "coord", "県担当")
            .await
            .id;
        let consultancy = tenants
            .organisation(OrgKind::Consultancy, &format!("コンサル{t}"), None)
            .await;
        let consultancy_user = tenants
            .member(consultancy, Role::Editor, "cons", "コンサル")
            .await
            .id;
        let consultancy_key = provision::create_api_key(
            tenants.tx(),
            consultancy,
            "ci",
            &format!("tsk_test_{}", &t[16..]),
            &format!("hash-{t}"),
            Access::Write,
            None,
        )
        .await
        .unwrap();
        tenants.commit().await;

        let mut m = Vec::new();
        for i in 0..members {
            m.push(
                body(
                    store,
                    OrgKind::Municipality,
                    &format!("市{i}"),
                    Some(prefecture),
                )
                .await,
            );
        }
        let mut u = Vec::new();
        for i in 0..unrelated {
            u.push(body(store, OrgKind::Municipality, &format!("他町{i}"), None).await);
        }
        let scope = user_scope(store, m[0].admin).await;
        let tx = store.begin(&scope, Mode::Write).await.unwrap();
        let grant = grants::create(&tx, m[0].org, consultancy, Access::Read, false)
            .await
            .unwrap()
            .id;
        tx.commit().await.unwrap();
        World {
            prefecture,
            coordinator,
            members: m,
            consultancy,
            consultancy_user,
            consultancy_key,
            grant,
            unrelated: u,
        }
    }
}
