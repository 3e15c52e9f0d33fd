//! [`Services`]: everything a request needs, built once by the server and cloned per request.

use std::fmt;
use std::sync::Arc;

use taisho_guideline::EditionId;
use taisho_store::{Store, TenantScope};

use crate::accounts::{Accounts, PasswordConfig};
use crate::analyses::Analyses;
use crate::audit::AuditLog;
use crate::diff::Diffs;
use crate::documents::Documents;
use crate::engine::Engine;
use crate::error::Result;
use crate::grants::Grants;
use crate::home::Home;
use crate::keys::{ApiKeys, KeyConfig};
use crate::matrix::Matrices;
use crate::orgs::Orgs;
use crate::progress::Progress;
use crate::sessions::{SessionConfig, Sessions};
use secrecy::{ExposeSecret, SecretSlice};

/// The use-cases a request can reach, sharing one store. Cheap to clone.
///
/// One style for every use-case: a handle per area (`services.documents()`, `services.grants()`,
/// `services.keys()`, …) whose methods take the caller's [`TenantScope`] first. The store stays
/// inside: the layers above reach it only through these handles.
#[derive(Clone)]
pub struct Services {
    pub(crate) store: Store,
    accounts: Arc<Accounts>,
    keys: Arc<ApiKeys>,
    sessions: Arc<Sessions>,
    /// Tokenizer and prepared models, injected by the caller (the server wires the dictionary).
    engine: Arc<Engine>,
    /// The default model edition.
    edition: EditionId,
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services")
            .field("backend", &self.store.backend())
            .field("edition", &self.edition)
            .finish_non_exhaustive()
    }
}

/// What [`Services::new`] needs besides the store and the engine.
#[derive(Debug, Clone)]
pub struct ServicesConfig {
    pub passwords: PasswordConfig,
    /// The API keys' HMAC secret (≥ 32 bytes).
    pub key_secret: SecretSlice<u8>,
    pub sessions: SessionConfig,
}

impl ServicesConfig {
    /// Default password and session settings with the given key secret.
    pub fn with_key_secret(key_secret: impl Into<Vec<u8>>) -> ServicesConfig {
        ServicesConfig {
            passwords: PasswordConfig::default(),
            key_secret: key_secret.into().into(),
            sessions: SessionConfig::default(),
        }
    }
}

impl Services {
    /// Builds the services over `store`. Fails with [`crate::AppError::Config`] on settings below
    /// the security floor (password hashing parameters, a short key secret).
    pub fn new(
        store: Store,
        engine: Arc<Engine>,
        edition: EditionId,
        config: &ServicesConfig,
    ) -> Result<Services> {
        let accounts = Arc::new(Accounts::new(store.clone(), &config.passwords)?);
        let keys = Arc::new(ApiKeys::new(
            store.clone(),
            KeyConfig::new(config.key_secret.expose_secret())?,
        ));
        let sessions = Arc::new(Sessions::new(
            store.clone(),
            Arc::clone(&accounts),
            config.sessions.clone(),
        ));
        Ok(Services {
            store,
            accounts,
            keys,
            sessions,
            engine,
            edition,
        })
    }
}

impl Services {
    /// Sign-in, users and memberships.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// API keys: issue, revoke, list, authenticate.
    pub fn keys(&self) -> &ApiKeys {
        &self.keys
    }

    /// Browser sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Organisations as the caller sees them.
    pub fn orgs(&self) -> Orgs<'_> {
        Orgs(self)
    }

    /// Access grants between organisations.
    pub fn grants(&self) -> Grants<'_> {
        Grants(self)
    }

    /// What the browser UI's pages show: the signed-in viewer, the home page, a version's report.
    pub fn home(&self) -> Home<'_> {
        Home(self)
    }

    /// Documents, versions and uploads.
    pub fn documents(&self) -> Documents<'_> {
        Documents(self)
    }

    /// Stored analyses and re-analysis.
    pub fn analyses(&self) -> Analyses<'_> {
        Analyses(self)
    }

    /// Where analyses stand (one reading, or a stream of changes).
    pub fn progress(&self) -> Progress<'_> {
        Progress(self)
    }

    /// The bodies × items matrix.
    pub fn matrix(&self) -> Matrices<'_> {
        Matrices(self)
    }

    /// Diffs between versions.
    pub fn diffs(&self) -> Diffs<'_> {
        Diffs(self)
    }

    /// The audit log: reading it, and recording the texts an answer returned.
    pub fn audit(&self) -> AuditLog<'_> {
        AuditLog(self)
    }

    /// The tokenizer and the prepared models.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The default model edition.
    pub fn edition(&self) -> EditionId {
        self.edition
    }

    /// The tenant scope of `principal` (its organisations, roles and grants, read now).
    pub async fn scope_of(&self, principal: &crate::records::Principal) -> Result<TenantScope> {
        Ok(taisho_store::scope_for(principal, &self.store).await?)
    }

    /// Whether the database answers (readiness); a failure is logged, never returned.
    pub async fn database_reachable(&self) -> bool {
        match self.store.ping().await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "readiness: database unreachable");
                false
            }
        }
    }

    /// Whether the database has every migration applied (readiness); a failure to read them is
    /// logged and counts as not.
    pub async fn migrations_current(&self) -> bool {
        match self.store.pending_migrations().await {
            Ok(pending) => pending.is_empty(),
            Err(e) => {
                tracing::warn!(error = %e, "readiness: reading migrations failed");
                false
            }
        }
    }
}
