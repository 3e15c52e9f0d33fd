//! API keys: `tsk_<public id>_<secret>`, e.g. `tsk_Ab12Cd34_<43 base62 characters>`.
//!
//! - The secret is 43 base62 characters from the OS RNG: 43 × log2(62) ≈ 256.03 bits.
//! - The public id (8 base62 characters) is stored as the visible `prefix` (`tsk_Ab12Cd34`) and
//!   finds the row; the whole key is stored only as HMAC-SHA256 under a server secret, so a copy of
//!   the database does not yield usable keys (and, unlike a plain hash, cannot be checked offline
//!   without the server secret either).
//! - The full key is returned once, by [`ApiKeys::create`]; nothing can show it again.
//! - Malformed, unknown, wrong, expired and revoked keys all fail with [`AppError::InvalidKey`].
//! - A key's name is a [`KeyName`] (1 to 100 characters, no control characters), checked before
//!   anything is stored.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use taisho_domain::{ApiKeyId, KeyName, OrgId};
use taisho_store::keys::{self, ApiKey};
use taisho_store::{Access, Actor, Mode, Principal, Role, Store, TenantScope, users};

use crate::audit::{self, Action};
use crate::error::{AppError, Result};
use secrecy::{ExposeSecret, SecretString};

pub const KEY_PREFIX: &str = "tsk_";
pub const PUBLIC_ID_LEN: usize = 8;
pub const SECRET_LEN: usize = 43;
/// `tsk_` + public id + `_` + secret.
pub const KEY_LEN: usize = KEY_PREFIX.len() + PUBLIC_ID_LEN + 1 + SECRET_LEN;
/// Shortest accepted server secret (HMAC key), in bytes.
pub const MIN_SERVER_SECRET: usize = 32;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Bits of entropy in a key's secret part.
pub fn secret_bits() -> f64 {
    SECRET_LEN as f64 * 62f64.log2()
}

/// A full API key. Its `Debug` is redacted so it cannot leak through logs; [`Secret::expose`] is
/// the one way to read it.
#[derive(Debug, Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// A key just created: its metadata and the full key, shown to the user this once.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: Secret,
}

/// Configuration of API keys. `Hmac`'s `Debug` prints no key material.
#[derive(Debug, Clone)]
pub struct KeyConfig {
    /// HMAC-SHA256 keyed with the server secret, cloned for each key hashed.
    mac: Hmac<Sha256>,
    /// `last_used_at` is written at most once per key per this interval.
    pub last_used_granularity: chrono::Duration,
}

impl KeyConfig {
    /// `server_secret` keys the HMAC; at least [`MIN_SERVER_SECRET`] bytes. Changing it invalidates
    /// every key.
    pub fn new(server_secret: &[u8]) -> Result<KeyConfig> {
        if server_secret.len() < MIN_SERVER_SECRET {
            return Err(AppError::Config(format!(
                "the API key server secret must be at least {MIN_SERVER_SECRET} bytes"
            )));
        }
        let mac = Hmac::<Sha256>::new_from_slice(server_secret)
            .map_err(|e| AppError::Config(format!("API key server secret: {e}")))?;
        Ok(KeyConfig {
            mac,
            last_used_granularity: chrono::Duration::minutes(1),
        })
    }
}

/// `n` uniformly random base62 characters from the OS RNG (rejection sampling: bytes ≥ 248 are
/// dropped so every character is equally likely).
pub(crate) fn random_base62(n: usize) -> Result<String> {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut buf).map_err(|e| AppError::Hashing(format!("OS RNG: {e}")))?;
        for b in buf {
            if out.len() == n {
                break;
            }
            if b < 248 {
                out.push(char::from(BASE62[usize::from(b % 62)]));
            }
        }
    }
    Ok(out)
}

/// Splits `tsk_<id>_<secret>` into the stored prefix `tsk_<id>`; `None` for anything else.
fn parse(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    if key.len() != KEY_LEN || !key.is_ascii() {
        return None;
    }
    let (id, secret) = rest.split_at(PUBLIC_ID_LEN);
    let secret = secret.strip_prefix('_')?;
    let base62 = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !base62(id) || !base62(secret) {
        return None;
    }
    Some(&key[..KEY_PREFIX.len() + PUBLIC_ID_LEN])
}

/// The access a key with `role` gets: a viewer reads, an editor also writes. Keys are never admins
/// (memberships, grants and keys need a signed-in admin): `Admin` is refused as invalid input.
pub fn access_for(role: Role) -> Result<Access> {
    match role {
        Role::Viewer => Ok(Access::Read),
        Role::Editor => Ok(Access::Write),
        Role::Admin => Err(AppError::Invalid(
            "API キーに管理者の権限は付与できません。".into(),
        )),
    }
}

/// API key issuance, management and authentication.
#[derive(Debug, Clone)]
pub struct ApiKeys {
    store: Store,
    config: KeyConfig,
}

impl ApiKeys {
    pub fn new(store: Store, config: KeyConfig) -> ApiKeys {
        ApiKeys { store, config }
    }

    fn mac(&self, key: &str) -> Hmac<Sha256> {
        let mut mac = self.config.mac.clone();
        mac.update(key.as_bytes());
        mac
    }

    /// The stored form of `key`: hex HMAC-SHA256 under the server secret.
    fn keyed_hash(&self, key: &str) -> String {
        hex::encode(self.mac(key).finalize().into_bytes())
    }

    /// An admin of `org` creates a key. The returned [`IssuedKey::secret`] is the only copy.
    pub async fn create(
        &self,
        scope: &TenantScope,
        org: OrgId,
        name: &str,
        access: Access,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<IssuedKey> {
        let result = async {
            let name = KeyName::parse(name)?;
            if expires_at.is_some_and(|e| e <= Utc::now()) {
                return Err(AppError::Invalid("有効期限が過去の日時です。".into()));
            }
            let public_id = random_base62(PUBLIC_ID_LEN)?;
            let secret = random_base62(SECRET_LEN)?;
            let prefix = format!("{KEY_PREFIX}{public_id}");
            let full = format!("{prefix}_{secret}");
            let key_hash = self.keyed_hash(&full);
            let key = self
                .store
                .tx(scope, Mode::Write, async |tx| -> Result<ApiKey> {
                    let key = keys::create(
                        tx,
                        org,
                        keys::NewKey {
                            name: name.as_str(),
                            prefix: &prefix,
                            key_hash: &key_hash,
                            access,
                            expires_at,
                        },
                    )
                    .await?;
                    audit::key_event(tx, Action::KeyCreate, org, key.id).await?;
                    Ok(key)
                })
                .await?;
            Ok(IssuedKey {
                key,
                secret: Secret(full.into()),
            })
        }
        .await;
        audit::on_denial(
            &self.store,
            scope,
            Action::KeyCreate,
            Some(org),
            None,
            result,
        )
        .await
    }

    /// An admin of the key's organisation revokes it (idempotent; audited when it takes effect).
    pub async fn revoke(&self, scope: &TenantScope, id: ApiKeyId) -> Result<ApiKey> {
        let result = self
            .store
            .tx(scope, Mode::Write, async |tx| -> Result<ApiKey> {
                let (key, revoked) = keys::revoke(tx, id).await?;
                if revoked {
                    audit::key_event(tx, Action::KeyRevoke, key.org_id, key.id).await?;
                }
                Ok(key)
            })
            .await;
        if result.is_ok() {
            crate::auth::credentials_changed();
        }
        let object = Some(id.as_uuid());
        audit::on_denial(&self.store, scope, Action::KeyRevoke, None, object, result).await
    }

    /// The key `id` (metadata only), for the admins of its organisation; `NotFound` otherwise.
    pub async fn get(&self, scope: &TenantScope, id: ApiKeyId) -> Result<ApiKey> {
        self.store
            .tx(scope, Mode::Read, async |tx| -> Result<ApiKey> {
                Ok(keys::get(tx, id).await?)
            })
            .await
    }

    /// Keys of `org` (metadata only), for its admins.
    pub async fn list(&self, scope: &TenantScope, org: OrgId) -> Result<Vec<ApiKey>> {
        self.store
            .tx(scope, Mode::Read, async |tx| -> Result<Vec<ApiKey>> {
                Ok(keys::list(tx, org).await?)
            })
            .await
    }

    /// Authenticates an `Authorization` header value (`Bearer tsk_…` or the bare key). Every failure
    /// is [`AppError::InvalidKey`]. Failures of an existing key (wrong secret, revoked, expired)
    /// are audited with the key's id; malformed and unknown keys name nothing and are not, so
    /// anonymous noise cannot flood the log.
    pub async fn authenticate(&self, header_value: &str) -> Result<Principal> {
        let key = self.authenticate_key(header_value).await?;
        Ok(Principal::ApiKey { key: key.id })
    }

    /// [`ApiKeys::authenticate`], returning the key's metadata (its organisation and access).
    pub async fn authenticate_key(&self, header_value: &str) -> Result<ApiKey> {
        Ok(self.authenticate_key_with_scope(header_value).await?.0)
    }

    /// [`ApiKeys::authenticate_key`] with the key's tenant scope, read in the same transaction as
    /// the key (one transaction per request for both).
    pub async fn authenticate_key_with_scope(
        &self,
        header_value: &str,
    ) -> Result<(ApiKey, TenantScope)> {
        self.authenticate_key_from(header_value, None).await
    }

    /// [`ApiKeys::authenticate_key_with_scope`] for a request from the network address `client`:
    /// a refusal's audit entry and the returned scope carry it.
    pub async fn authenticate_key_from(
        &self,
        header_value: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<(ApiKey, TenantScope)> {
        let value = header_value.trim();
        let key = match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => value,
        };
        let Some(prefix) = parse(key) else {
            return Err(AppError::InvalidKey);
        };
        let Some((creds, scope)) = keys::find_by_prefix_with_scope(&self.store, prefix).await?
        else {
            return Err(AppError::InvalidKey);
        };
        let stored = hex::decode(&creds.key_hash).unwrap_or_default();
        // `verify_slice` compares in constant time.
        let hash_ok = self.mac(key).verify_slice(&stored).is_ok();
        let now = Utc::now();
        let k = &creds.key;
        if !hash_ok || !k.is_active(now) {
            users::record_authentication(
                &self.store,
                Actor::ApiKey(k.id),
                None,
                Some(k.org_id),
                Action::KeyAuthenticate.as_str(),
                Some(k.id.as_uuid()),
                audit::DENIED,
                client,
            )
            .await?;
            return Err(AppError::InvalidKey);
        }
        let granularity = self.config.last_used_granularity;
        if k.last_used_at.is_none_or(|t| t < now - granularity) {
            keys::touch(&self.store, k.id, now, granularity).await?;
        }
        Ok((creds.key, scope.with_client(client)))
    }
}

impl ApiKeys {
    /// An operator with direct access to the store (the `taisho keys create` command) creates a key
    /// of `org` outside any tenant scope; audited as the system. The returned secret is the only
    /// copy.
    pub async fn create_by_operator(
        &self,
        org: OrgId,
        name: &str,
        access: Access,
    ) -> Result<IssuedKey> {
        let name = KeyName::parse(name)?;
        let public_id = random_base62(PUBLIC_ID_LEN)?;
        let secret = random_base62(SECRET_LEN)?;
        let prefix = format!("{KEY_PREFIX}{public_id}");
        let full = format!("{prefix}_{secret}");
        let key_hash = self.keyed_hash(&full);
        let tx = self.store.begin_system(Mode::Write).await?;
        let id = taisho_store::provision::create_api_key(
            &tx,
            org,
            name.as_str(),
            &prefix,
            &key_hash,
            access,
            None,
        )
        .await?;
        audit::key_event(&tx, Action::KeyCreate, org, id).await?;
        tx.commit().await?;
        Ok(IssuedKey {
            key: ApiKey {
                id,
                org_id: org,
                name: name.into_string(),
                prefix,
                access,
                expires_at: None,
                revoked_at: None,
                created_by: None,
                created_at: Utc::now(),
                last_used_at: None,
            },
            secret: Secret(full.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_the_issued_shape_only() {
        let good = format!("tsk_Ab12Cd34_{}", "x".repeat(SECRET_LEN));
        assert_eq!(parse(&good), Some("tsk_Ab12Cd34"));
        for bad in [
            String::new(),
            "tsk_".into(),
            format!("tsk_Ab12Cd34_{}", "x".repeat(SECRET_LEN - 1)),
            format!("tsk_Ab12Cd34_{}", "x".repeat(SECRET_LEN + 1)),
            format!("tsk_Ab12Cd34-{}", "x".repeat(SECRET_LEN)),
            format!("tsx_Ab12Cd34_{}", "x".repeat(SECRET_LEN)),
            format!("tsk_Ab12Cd3_{}", "x".repeat(SECRET_LEN + 1)),
            format!("tsk_Ab12Cd34_{}-", "x".repeat(SECRET_LEN - 1)),
            format!("tsk_Ab12Cd34_{}あ", "x".repeat(SECRET_LEN - 3)),
        ] {
            assert_eq!(parse(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn random_base62_has_requested_length_and_alphabet() {
        let s = random_base62(1000).unwrap();
        assert_eq!(s.len(), 1000);
        assert!(s.bytes().all(|b| BASE62.contains(&b)));
    }
}
