//! Demo data for the embedded mode: a prefecture (デモ県) with a dozen member bodies whose policies
//! the synthetic generator writes (the national model with realistic edits), uploaded through
//! [`upload_version`] so the worker pool analyses them like any other upload.
//!
//! Idempotent: the demo prefecture's admin account is the marker. On the first start everything is
//! created and the sign-ins (random passwords) are returned once, for the caller to show; on later
//! starts nothing is created and the uploads are repeated as no-ops (identical bytes), which also
//! completes a first start that was interrupted halfway through its uploads.

use taisho_domain::OrgId;
use taisho_guideline::{Catalog, EditionId};
use taisho_store::{
    Access, Mode, OrgKind, Organisation, Principal, Role, Store, grants, orgs, provision,
    scope_for, users,
};
use taisho_synth::{self as synth, SyntheticBody};

use crate::accounts::PasswordHasher;
use crate::documents::{DocumentRef, Upload, Uploaded, upload_version};
use crate::error::{AppError, Result};
use secrecy::SecretString;

pub const PREFECTURE: &str = "デモ県";
pub const CONSULTANCY: &str = "デモ情報セキュリティ監査株式会社";
pub const ADMIN_EMAIL: &str = "admin@demo-ken.example";
pub const COORDINATOR_EMAIL: &str = "coordinator@demo-ken.example";
/// Admin of the first member body (the one that grants the consultancy access): the demo's body
/// user, who uploads its policies in the browser.
pub const MEMBER_ADMIN_EMAIL: &str = "member-admin@demo-ken.example";
pub const CONSULTANT_EMAIL: &str = "consultant@demo-ken.example";
/// Title of each member's policy document.
pub const DOCUMENT_TITLE: &str = "情報セキュリティポリシー";
pub const MEMBERS: usize = 12;
const SEED: u64 = 0x7a15_0d3e;

/// A sign-in created at first start. The password is shown once and stored only as its hash.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub role: &'static str,
    pub email: &'static str,
    pub password: SecretString,
}

/// What [`ensure`] found or did.
#[derive(Debug, Clone)]
pub struct Demo {
    /// True on the first start (everything was created now).
    pub created: bool,
    pub prefecture: OrgId,
    pub members: Vec<Organisation>,
    pub consultancy: Option<OrgId>,
    /// Only on the first start.
    pub sign_ins: Vec<SignIn>,
    /// One per member; `created` false when the policy was uploaded before.
    pub uploads: Vec<(OrgId, Uploaded)>,
}

/// The demo bodies: `MEMBERS` generated policies with distinct names, deterministic.
pub fn bodies(catalog: &Catalog) -> Vec<SyntheticBody> {
    bodies_n(catalog, MEMBERS)
}

/// `n` generated policies with distinct names, deterministic; the first `k` are the same for
/// every `n ≥ k`. Fewer if the generator runs out of distinct names.
pub fn bodies_n(catalog: &Catalog, n: usize) -> Vec<SyntheticBody> {
    let bases = synth::model_bases(catalog);
    let mut out: Vec<SyntheticBody> = Vec::with_capacity(n);
    let mut seed = SEED;
    let mut attempts = 0usize;
    while out.len() < n && attempts < n.saturating_mul(100).max(1000) && !bases.is_empty() {
        let base = &bases[(seed % bases.len() as u64) as usize];
        let body = synth::body(seed, base);
        seed = seed.wrapping_add(1);
        attempts += 1;
        if !out.iter().any(|b| b.name == body.name) {
            out.push(body);
        }
    }
    out
}

fn kind_of(name: &str) -> OrgKind {
    if name.ends_with("一部事務組合") || name.ends_with("企業団") {
        OrgKind::Union
    } else {
        OrgKind::Municipality
    }
}

/// 20 characters from a 56-symbol alphabet without look-alikes (≈ 116 bits).
fn random_password() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut buf = [0u8; 32];
        getrandom::fill(&mut buf).map_err(|e| AppError::Hashing(format!("OS RNG: {e}")))?;
        // Rejection sampling keeps every symbol equally likely.
        let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
        for b in buf {
            if b < limit && out.len() < 20 {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// Creates the demo data on the first call and uploads (or re-confirms) the members' policies.
pub async fn ensure(store: &Store, hasher: &PasswordHasher, edition: EditionId) -> Result<Demo> {
    ensure_members(store, hasher, edition, MEMBERS).await
}

/// [`ensure`] with `members` member bodies (the first start decides; later starts keep them).
pub async fn ensure_members(
    store: &Store,
    hasher: &PasswordHasher,
    edition: EditionId,
    members: usize,
) -> Result<Demo> {
    let catalog = Catalog::builtin(edition)
        .map_err(|e| AppError::Unavailable(format!("model {edition}: {e}")))?;
    let bodies = bodies_n(&catalog, members.max(1));
    let mut demo = match users::id_by_email(store, ADMIN_EMAIL).await? {
        Some(admin) => existing(store, admin).await?,
        None => create(store, hasher, &bodies).await?,
    };
    for member in &demo.members {
        let Some(body) = bodies.iter().find(|b| b.name == member.name) else {
            continue;
        };
        let scope = scope_for(&Principal::Worker { org: member.id }, store).await?;
        let uploaded = upload_version(
            store,
            &scope,
            Upload {
                org: member.id,
                document: DocumentRef::ByTitle(DOCUMENT_TITLE.to_owned()),
                bytes: body.text.clone().into_bytes(),
                file_name: Some("policy.txt".to_owned()),
            },
            edition,
        )
        .await?;
        demo.uploads.push((member.id, uploaded));
    }
    Ok(demo)
}

async fn existing(store: &Store, admin: taisho_domain::UserId) -> Result<Demo> {
    let scope = scope_for(
        &Principal::User {
            user: admin,
            acting_org: None,
        },
        store,
    )
    .await?;
    let tx = store.begin(&scope, Mode::Read).await?;
    let readable = orgs::list_readable(&tx).await?;
    let Some(prefecture) = readable
        .iter()
        .find(|o| o.kind == OrgKind::Prefecture && o.name == PREFECTURE)
    else {
        return Err(AppError::Invalid(format!(
            "{ADMIN_EMAIL} exists but is not an admin of {PREFECTURE}: the demo data was changed by hand"
        )));
    };
    let members = orgs::prefecture_members(&tx, prefecture.id).await?;
    tx.rollback().await?;
    Ok(Demo {
        created: false,
        prefecture: prefecture.id,
        members,
        consultancy: None,
        sign_ins: Vec::new(),
        uploads: Vec::new(),
    })
}

async fn create(store: &Store, hasher: &PasswordHasher, bodies: &[SyntheticBody]) -> Result<Demo> {
    let admin_password = random_password()?;
    let coordinator_password = random_password()?;
    let member_password = random_password()?;
    // Hashed before the transaction: a write transaction held across Argon2 would block writers.
    let admin_hash = hasher.hash(&admin_password).await?;
    let coordinator_hash = hasher.hash(&coordinator_password).await?;
    let member_hash = hasher.hash(&member_password).await?;

    let tx = store.begin_system(Mode::Write).await?;
    let prefecture =
        provision::create_organisation(&tx, OrgKind::Prefecture, PREFECTURE, None).await?;
    let mut member_ids = Vec::with_capacity(bodies.len());
    for body in bodies {
        let id =
            provision::create_organisation(&tx, kind_of(&body.name), &body.name, Some(prefecture))
                .await?;
        member_ids.push(id);
    }
    let consultancy =
        provision::create_organisation(&tx, OrgKind::Consultancy, CONSULTANCY, None).await?;
    let coordinator = provision::create_user(
        &tx,
        COORDINATOR_EMAIL,
        "デモ県 調整担当",
        Some(&coordinator_hash),
    )
    .await?;
    provision::add_membership(&tx, coordinator, prefecture, Role::Viewer).await?;
    let grantor = *member_ids
        .first()
        .ok_or_else(|| AppError::Invalid("no demo members".into()))?;
    let member_admin = provision::create_user(
        &tx,
        MEMBER_ADMIN_EMAIL,
        "構成団体 管理者",
        Some(&member_hash),
    )
    .await?;
    provision::add_membership(&tx, member_admin, grantor, Role::Admin).await?;
    let consultant = provision::create_user(&tx, CONSULTANT_EMAIL, "監査担当", None).await?;
    provision::add_membership(&tx, consultant, consultancy, Role::Editor).await?;
    // The marker goes in last, in the same transaction: it exists only if everything else does.
    let admin =
        provision::create_user(&tx, ADMIN_EMAIL, "デモ県 管理者", Some(&admin_hash)).await?;
    provision::add_membership(&tx, admin, prefecture, Role::Admin).await?;
    tx.commit().await?;

    // The grant is the member body's own act, in its admin's scope.
    let scope = scope_for(
        &Principal::User {
            user: member_admin,
            acting_org: Some(grantor),
        },
        store,
    )
    .await?;
    let tx = store.begin(&scope, Mode::Write).await?;
    grants::create(&tx, grantor, consultancy, Access::Read, false).await?;
    tx.commit().await?;

    // Each member read in its own (worker) scope: no single principal created here reads them all.
    let members = member_list(store, &member_ids).await?;
    Ok(Demo {
        created: true,
        prefecture,
        members,
        consultancy: Some(consultancy),
        sign_ins: vec![
            SignIn {
                role: "県管理者 (admin)",
                email: ADMIN_EMAIL,
                password: admin_password.into(),
            },
            SignIn {
                role: "県調整担当 (coordinator)",
                email: COORDINATOR_EMAIL,
                password: coordinator_password.into(),
            },
            SignIn {
                role: "構成団体管理者 (member)",
                email: MEMBER_ADMIN_EMAIL,
                password: member_password.into(),
            },
        ],
        uploads: Vec::new(),
    })
}

async fn member_list(store: &Store, ids: &[OrgId]) -> Result<Vec<Organisation>> {
    let mut out = Vec::with_capacity(ids.len());
    for &org in ids {
        let scope = scope_for(&Principal::Worker { org }, store).await?;
        let tx = store.begin(&scope, Mode::Read).await?;
        out.push(orgs::get(&tx, org).await?);
        tx.rollback().await?;
    }
    Ok(out)
}
