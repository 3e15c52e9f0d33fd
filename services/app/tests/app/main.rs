//! Integration tests of the accounts, API keys and audit use-cases; those touching the database run
//! on SQLite and PostgreSQL (`taisho_testkit::backend_test!`).

mod analysis_jobs;
mod audit;
mod authority;
mod demo_data;
mod flow;
mod import_files;
mod keys;
mod layers;
mod matrix_reads;
mod members;
mod passwords;
mod reads;
mod runtime_store;
mod sessions;
mod sign_in;
mod uploads;
mod validation;
mod withheld;

use std::sync::Arc;

use taisho_app::accounts::{Accounts, PasswordConfig};
use taisho_app::engine::Engine;
use taisho_app::keys::{ApiKeys, KeyConfig};
use taisho_app::{Services, ServicesConfig};
use taisho_domain::{OrgId, UserId};
use taisho_store::audit::AuditEntry;
use taisho_store::{Mode, OrgKind, Principal, Role, Store, scope_for};
use taisho_testkit::Tenants;
pub use taisho_testkit::{tag, user_scope as scope};

pub const PASSWORD: &str = "correct horse battery staple";
pub const SERVER_SECRET: &[u8] = b"test server secret, 32 bytes or more!!";

/// An organisation with an admin, an editor and a viewer, each with [`PASSWORD`].
#[derive(Debug, Clone)]
pub struct Org {
    pub id: OrgId,
    pub admin: UserId,
    pub admin_email: String,
    pub editor: UserId,
    pub viewer: UserId,
    pub viewer_email: String,
}

pub fn accounts(store: &Store) -> Accounts {
    Accounts::new(store.clone(), &PasswordConfig::default()).expect("accounts")
}

pub fn api_keys(store: &Store) -> ApiKeys {
    ApiKeys::new(
        store.clone(),
        KeyConfig::new(SERVER_SECRET).expect("key config"),
    )
}

/// The use-cases over `store`, with an engine whose tokenizer needs no dictionary.
pub fn services(store: &Store) -> Services {
    services_with(store, taisho_testkit::char_class_engine())
}

/// The use-cases over `store` with `engine`.
pub fn services_with(store: &Store, engine: Arc<Engine>) -> Services {
    Services::new(
        store.clone(),
        engine,
        taisho_guideline::EditionId::DEFAULT,
        &ServicesConfig::with_key_secret(SERVER_SECRET),
    )
    .expect("services")
}

pub async fn org(store: &Store, accounts: &Accounts) -> Org {
    let hash = accounts.hasher().hash(PASSWORD).await.expect("hash");
    let tenants = Tenants::begin(store).await.with_password_hash(hash);
    let name = format!("町{}", tenants.tag());
    let id = tenants
        .organisation(OrgKind::Municipality, &name, None)
        .await;
    let admin = tenants.member(id, Role::Admin, "admin", "admin").await;
    let editor = tenants.member(id, Role::Editor, "editor", "editor").await;
    let viewer = tenants.member(id, Role::Viewer, "viewer", "viewer").await;
    tenants.commit().await;
    Org {
        id,
        admin: admin.id,
        admin_email: admin.email,
        editor: editor.id,
        viewer: viewer.id,
        viewer_email: viewer.email,
    }
}

/// The audit log of `org`, newest first, as its admin sees it.
pub async fn audit_log(store: &Store, org: &Org) -> Vec<AuditEntry> {
    let scope = scope(store, org.admin, org.id).await;
    let tx = store.begin(&scope, Mode::Read).await.expect("tx");
    let entries = taisho_store::audit::list(&tx, org.id, 1000)
        .await
        .expect("audit list");
    tx.rollback().await.expect("rollback");
    entries
}

/// Entries of `action` with `outcome`, newest first.
pub fn entries<'a>(log: &'a [AuditEntry], action: &str, outcome: &str) -> Vec<&'a AuditEntry> {
    log.iter()
        .filter(|e| e.action == action && e.outcome == outcome)
        .collect()
}
