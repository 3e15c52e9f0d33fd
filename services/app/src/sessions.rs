//! Browser sessions. Signing in with a password ([`Sessions::sign_in`], which reuses
//! [`Accounts::sign_in`] with its timing-safe checks and audit) yields a random token for the
//! `taisho_session` cookie: 32 bytes from the OS RNG, base64url (43 characters). Only its SHA-256
//! is stored, so a copy of the database yields no usable session; a token is found by that hash,
//! and with 256 random bits nothing about a valid token can be learnt from the look-up's timing.
//!
//! A session expires [`SessionConfig::idle`] after its last use (sliding, written at most once per
//! [`SessionConfig::refresh_after`]) and at the latest [`SessionConfig::absolute`] after sign-in.
//! A revoked (signed-out) or expired session, and one whose user was disabled or removed from the
//! organisation, all fail alike with [`AppError::InvalidSession`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use taisho_domain::OrgId;
use taisho_store::{Actor, Principal, Store, sessions, users};

use crate::accounts::Accounts;
use crate::audit;
use crate::auth::Caller;
use crate::error::{AppError, Result};
use secrecy::{ExposeSecret, SecretString};

/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;
/// Characters of a token (base64url without padding).
pub const TOKEN_LEN: usize = 43;

/// Session lifetime settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// A session expires this long after its last use.
    pub idle: chrono::Duration,
    /// …and at the latest this long after sign-in.
    pub absolute: chrono::Duration,
    /// The expiry is moved forward at most once per this interval.
    pub refresh_after: chrono::Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle: chrono::Duration::hours(12),
            absolute: chrono::Duration::days(7),
            refresh_after: chrono::Duration::minutes(5),
        }
    }
}

/// A session token. Its `Debug` is redacted (`secrecy`); [`SessionToken::expose`] is the one way
/// to read it.
#[derive(Debug, Clone)]
pub struct SessionToken(SecretString);

impl SessionToken {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `token` has the issued shape (so garbage never reaches the database).
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> Result<SessionToken> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Hashing(format!("OS RNG: {e}")))?;
    Ok(SessionToken(base64url(&bytes).into()))
}

/// Sign-in, resolution and sign-out of browser sessions.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: Store,
    accounts: Arc<Accounts>,
    config: SessionConfig,
}

impl Sessions {
    /// How long a browser should keep the session cookie: the longest a session can live (the
    /// store's idle and absolute expiry decide sooner).
    pub fn cookie_lifetime(&self) -> std::time::Duration {
        self.config.absolute.to_std().unwrap_or_default()
    }

    /// Deletes sessions that expired or were signed out (they can never be used again); the count.
    /// The server runs it every hour.
    pub async fn prune_ended(&self) -> Result<u64> {
        Ok(sessions::prune(&self.store, Utc::now()).await?)
    }

    pub fn new(store: Store, accounts: Arc<Accounts>, config: SessionConfig) -> Sessions {
        Sessions {
            store,
            accounts,
            config,
        }
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    fn expiry(&self, created: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        (now + self.config.idle).min(created + self.config.absolute)
    }

    /// Checks the password ([`Accounts::sign_in_from`]: same errors, same Argon2 work, audited,
    /// throttled per account and client address) and opens a session for the user acting for
    /// `org` (or its only organisation).
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        org: Option<OrgId>,
        client: Option<std::net::IpAddr>,
    ) -> Result<(SessionToken, Caller)> {
        let principal = self
            .accounts
            .sign_in_from(email, password, org, client)
            .await?;
        let Principal::User {
            user,
            acting_org: Some(org),
        } = principal
        else {
            return Err(AppError::InvalidCredentials);
        };
        let token = new_token()?;
        let now = Utc::now();
        sessions::create(
            &self.store,
            &token_hash(token.expose()),
            user,
            org,
            self.expiry(now, now),
        )
        .await?;
        Ok((token, Caller::session(user, org).with_client(client)))
    }

    /// The caller of a session token, moving its expiry forward. Every failure is
    /// [`AppError::InvalidSession`].
    pub async fn resolve(&self, token: &str) -> Result<Caller> {
        if !well_formed(token) {
            return Err(AppError::InvalidSession);
        }
        let Some(record) = sessions::find_by_hash(&self.store, &token_hash(token)).await? else {
            return Err(AppError::InvalidSession);
        };
        let now = Utc::now();
        if !record.is_valid(now) || record.created_at + self.config.absolute <= now {
            return Err(AppError::InvalidSession);
        }
        let expiry = self.expiry(record.created_at, now);
        if expiry - record.expires_at > self.config.refresh_after {
            sessions::extend(&self.store, record.id, expiry).await?;
        }
        Ok(Caller::session(record.user_id, record.org_id))
    }

    /// Ends the session of `token` (idempotent; unknown and malformed tokens are ignored). Audited
    /// as `sign_out` when it takes effect.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        self.sign_out_from(token, None).await
    }

    /// [`Sessions::sign_out`] from the network address `client` (recorded in the audit log).
    pub async fn sign_out_from(&self, token: &str, client: Option<std::net::IpAddr>) -> Result<()> {
        if !well_formed(token) {
            return Ok(());
        }
        if let Some((user, org)) = sessions::revoke_by_hash(&self.store, &token_hash(token)).await?
        {
            crate::auth::credentials_changed();
            users::record_authentication(
                &self.store,
                Actor::User(user),
                Some(org),
                Some(org),
                SIGN_OUT,
                None,
                audit::OK,
                client,
            )
            .await?;
        }
        Ok(())
    }
}

impl Sessions {
    /// The signed-in user of session `token` changes its password: the current one must match
    /// (a mismatch is [`AppError::InvalidCredentials`], throttled like a failed sign-in of the
    /// account from `client`), the new one must meet the password rules
    /// ([`AppError::Invalid`] with its Japanese sentence). The user's other sessions end; this one
    /// stays. Audited as `password.change` (refusals as `denied`).
    pub async fn change_password(
        &self,
        token: &str,
        current: &str,
        new: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<()> {
        let caller = self.resolve(token).await?;
        let (Some(user), Some(org)) = (caller.user(), caller.org()) else {
            return Err(AppError::InvalidSession);
        };
        // The throttle is keyed by account: the user id stands for the address here.
        let key = format!("user:{user}");
        let now = std::time::Instant::now();
        let throttle = self.accounts.throttle();
        if let Err(wait) = throttle.check(&key, client, now) {
            return Err(AppError::Throttled(wait));
        }
        let hasher = self.accounts.hasher();
        let ok = match users::password_hash(&self.store, user).await? {
            Some(hash) => hasher.verify(current, &hash).await?,
            None => hasher.verify_dummy(current).await?,
        };
        let audit = async |outcome: &str| {
            users::record_authentication(
                &self.store,
                Actor::User(user),
                Some(org),
                Some(org),
                crate::audit::Action::PasswordChange.as_str(),
                Some(user.as_uuid()),
                outcome,
                client,
            )
            .await
        };
        if !ok {
            throttle.failed(&key, client, now);
            audit(audit::DENIED).await?;
            return Err(AppError::InvalidCredentials);
        }
        throttle.succeeded(&key, client);
        crate::accounts::check_password(new)?;
        let hash = hasher.hash(new).await?;
        users::set_password_hash(&self.store, user, &hash, &token_hash(token)).await?;
        crate::auth::credentials_changed();
        audit(audit::OK).await?;
        Ok(())
    }
}

/// The audit log's action for a sign-out.
pub const SIGN_OUT: &str = "sign_out";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_characters() {
        let t = new_token().unwrap();
        assert_eq!(t.expose().len(), TOKEN_LEN);
        assert!(well_formed(t.expose()));
        assert!(!format!("{t:?}").contains(t.expose()));
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
        assert_eq!(base64url(b"Man"), "TWFu");
        assert!(!well_formed("short"));
        assert!(!well_formed(&"=".repeat(TOKEN_LEN)));
    }
}
