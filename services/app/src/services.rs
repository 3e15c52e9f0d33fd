//! [`Services`]: everything a request needs, built once by the server and cloned per request.

use std::fmt;
use std::sync::Arc;

use taisho_guideline::EditionId;
use taisho_store::Store;

use crate::accounts::{Accounts, PasswordConfig};
use crate::engine::Engine;
use crate::error::Result;
use crate::keys::{ApiKeys, KeyConfig};
use crate::sessions::{SessionConfig, Sessions};

/// The use-cases a request can reach, sharing one store. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub accounts: Arc<Accounts>,
    pub keys: Arc<ApiKeys>,
    pub sessions: Arc<Sessions>,
    /// Tokenizer and prepared models, injected by the caller (the server wires the dictionary).
    pub engine: Arc<Engine>,
    /// The default model edition.
    pub edition: EditionId,
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
#[derive(Clone)]
pub struct ServicesConfig {
    pub passwords: PasswordConfig,
    /// The API keys' HMAC secret (≥ 32 bytes).
    pub key_secret: Vec<u8>,
    pub sessions: SessionConfig,
}

impl fmt::Debug for ServicesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServicesConfig")
            .field("passwords", &self.passwords)
            .field("key_secret", &"<redacted>")
            .field("sessions", &self.sessions)
            .finish()
    }
}

impl ServicesConfig {
    /// Default password and session settings with the given key secret.
    pub fn with_key_secret(key_secret: impl Into<Vec<u8>>) -> ServicesConfig {
        ServicesConfig {
            passwords: PasswordConfig::default(),
            key_secret: key_secret.into(),
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
            KeyConfig::new(&config.key_secret)?,
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
