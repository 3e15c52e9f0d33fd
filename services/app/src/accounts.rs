//! Accounts: password hashing (Argon2id), sign-in, and user management by organisation admins.
//!
//! Hashing is deliberately expensive (≥ 19 MiB and two passes per attempt), so it runs on tokio's
//! blocking threads, never on async executor threads, behind a semaphore: a burst of sign-ins queues
//! instead of allocating 19 MiB per request until memory runs out.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use taisho_domain::{DisplayName, EmailAddress, OrgId, UserId};
use taisho_store::members::{self, Member};
use taisho_store::{
    Actor, Mode, Principal, Role, Store, StoreError, TenantScope, provision, users,
};
use tokio::sync::{OnceCell, Semaphore};

use crate::audit::{self, Action};
use crate::error::{AppError, Result};
use crate::throttle::{SignInThrottle, ThrottleConfig};
use secrecy::{ExposeSecret, SecretString};

/// Argon2id cost parameters. The OWASP floor (m = 19 MiB, t = 2, p = 1) is enforced: weaker
/// settings are a configuration error, not a trade-off this service offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes over memory.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl PasswordParams {
    /// OWASP Password Storage Cheat Sheet, Argon2id minimum.
    pub const FLOOR: PasswordParams = PasswordParams {
        m_cost_kib: 19 * 1024,
        t_cost: 2,
        p_cost: 1,
    };

    /// The argon2 parameters, or [`AppError::Config`] if any cost is below the floor.
    pub fn validate(&self) -> Result<Params> {
        let floor = Self::FLOOR;
        if self.m_cost_kib < floor.m_cost_kib
            || self.t_cost < floor.t_cost
            || self.p_cost < floor.p_cost
        {
            return Err(AppError::Config(format!(
                "Argon2id parameters m={} KiB, t={}, p={} are below the floor m={} KiB, t={}, p={}",
                self.m_cost_kib,
                self.t_cost,
                self.p_cost,
                floor.m_cost_kib,
                floor.t_cost,
                floor.p_cost
            )));
        }
        Params::new(self.m_cost_kib, self.t_cost, self.p_cost, None)
            .map_err(|e| AppError::Config(format!("Argon2id parameters: {e}")))
    }
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::FLOOR
    }
}

/// Password hashing configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordConfig {
    pub params: PasswordParams,
    /// Hashes computed at once; each holds `m_cost_kib` of memory while it runs.
    pub max_concurrent: usize,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        PasswordConfig {
            params: PasswordParams::default(),
            max_concurrent: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        }
    }
}

/// Shortest and longest accepted passwords. The upper bound is about request size, not strength.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Argon2id on blocking threads with a cap on concurrent hashes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    stats: Arc<Stats>,
    /// A hash of a random password with the current parameters: unknown users are verified against
    /// it so they take as long as known ones.
    dummy: Arc<OnceCell<String>>,
}

#[derive(Debug, Default)]
struct Stats {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    completed: AtomicUsize,
}

impl PasswordHasher {
    pub fn new(config: &PasswordConfig) -> Result<PasswordHasher> {
        if config.max_concurrent == 0 {
            return Err(AppError::Config(
                "max_concurrent password hashes must be at least 1".into(),
            ));
        }
        Ok(PasswordHasher {
            params: config.params.validate()?,
            permits: Arc::new(Semaphore::new(config.max_concurrent)),
            stats: Arc::default(),
            dummy: Arc::default(),
        })
    }

    /// The PHC string (`$argon2id$v=19$m=…`) of `password` with a fresh random salt.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.run(move || {
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| AppError::Hashing(e.to_string()))
        })
        .await?
    }

    /// Whether `password` matches the PHC string `hash` (with the parameters recorded in it). A
    /// malformed stored hash does not match.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool> {
        let password = password.to_owned();
        let hash = hash.to_owned();
        self.run(move || {
            Argon2::default()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
    }

    /// Spends the time of one verification and returns `false`: the answer for unknown users.
    pub async fn verify_dummy(&self, password: &str) -> Result<bool> {
        let dummy = self
            .dummy
            .get_or_try_init(|| async {
                let mut random = [0u8; 32];
                getrandom::fill(&mut random).map_err(|e| AppError::Hashing(e.to_string()))?;
                self.hash(&hex::encode(random)).await
            })
            .await?
            .clone();
        // The dummy's password is random and never known, so this is false in practice; it is
        // computed anyway so the work is real.
        let _ = self.verify(password, &dummy).await?;
        Ok(false)
    }

    /// The most hashes that ran at once since this hasher was made (shared by its clones).
    pub fn peak_concurrency(&self) -> usize {
        self.stats.peak.load(Ordering::SeqCst)
    }

    /// Hashes and verifications completed since this hasher was made (shared by its clones).
    pub fn completed(&self) -> usize {
        self.stats.completed.load(Ordering::SeqCst)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| AppError::Hashing(e.to_string()))?;
        let stats = Arc::clone(&self.stats);
        // The permit moves into the blocking task: if the caller's future is dropped mid-hash, the
        // hash still finishes and holds its slot (and memory) until then, so the cap stays true.
        tokio::task::spawn_blocking(move || {
            let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            stats.peak.fetch_max(now, Ordering::SeqCst);
            let out = work();
            stats.in_flight.fetch_sub(1, Ordering::SeqCst);
            stats.completed.fetch_add(1, Ordering::SeqCst);
            drop(permit);
            out
        })
        .await
        .map_err(|e| AppError::Hashing(e.to_string()))
    }
}

/// Lower-cased and trimmed: addresses are compared case-insensitively. (New addresses are parsed
/// with [`EmailAddress::parse`], which also checks them.)
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub(crate) fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::Invalid(format!(
            "パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください。"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::Invalid("パスワードが長すぎます。".into()));
    }
    Ok(())
}

/// The store's verdict, ahead of the store: NotFound for an organisation the scope cannot read,
/// Forbidden for one it reads without being an admin.
fn require_admin(scope: &TenantScope, org: OrgId) -> Result<()> {
    if !scope.can_read(org) {
        return Err(StoreError::NotFound.into());
    }
    if !scope.is_admin(org) {
        return Err(StoreError::Forbidden.into());
    }
    Ok(())
}

/// Length of generated initial passwords (base62: ≈ 119 bits).
pub const INITIAL_PASSWORD_LEN: usize = 20;

/// A generated initial password, shown once. Its `Debug` is redacted (`secrecy`).
#[derive(Debug, Clone)]
pub struct InitialPassword(SecretString);

impl InitialPassword {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// A user an admin creates in their organisation.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: Role,
}

/// Sign-in and user management.
#[derive(Debug, Clone)]
pub struct Accounts {
    store: Store,
    hasher: PasswordHasher,
    throttle: Arc<SignInThrottle>,
}

impl Accounts {
    pub fn new(store: Store, config: &PasswordConfig) -> Result<Accounts> {
        Ok(Accounts {
            store,
            hasher: PasswordHasher::new(config)?,
            throttle: Arc::new(SignInThrottle::new(ThrottleConfig::default())),
        })
    }

    /// [`Accounts::sign_in`] from the client address `client`, throttled per account
    /// ([`crate::throttle`]): a throttled attempt is [`AppError::Throttled`] before any password
    /// work, whatever the password.
    pub async fn sign_in_from(
        &self,
        email: &str,
        password: &str,
        org: Option<OrgId>,
        client: Option<IpAddr>,
    ) -> Result<Principal> {
        let now = std::time::Instant::now();
        if let Err(wait) = self.throttle.check(email, client, now) {
            return Err(AppError::Throttled(wait));
        }
        let result = self.check_password(email, password, org, client).await;
        match &result {
            Err(AppError::InvalidCredentials) => self.throttle.failed(email, client, now),
            Ok(_) | Err(AppError::ChooseOrganisation(_)) => self.throttle.succeeded(email, client),
            Err(_) => {}
        }
        result
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// The failed-attempt throttle (sign-ins, and password changes keyed by user).
    pub(crate) fn throttle(&self) -> &SignInThrottle {
        &self.throttle
    }

    /// Checks `email` and `password` and returns the principal acting for `org` (or for the user's
    /// only organisation when `org` is `None`). Every failure (unknown email, wrong password,
    /// disabled user, not a member of `org`) is [`AppError::InvalidCredentials`] after the same
    /// Argon2 work, and is audited: with the user's id when the email is known, with no actor
    /// otherwise (the email itself never goes into the log).
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        org: Option<OrgId>,
    ) -> Result<Principal> {
        self.sign_in_from(email, password, org, None).await
    }

    /// The password check of [`Accounts::sign_in_from`], unthrottled, audited with the network
    /// address `client`.
    async fn check_password(
        &self,
        email: &str,
        password: &str,
        org: Option<OrgId>,
        client: Option<IpAddr>,
    ) -> Result<Principal> {
        // `target` is the organisation whose admins should see the failure: the one the user asked
        // for, if they belong to it.
        let deny = async |actor: Actor, target: Option<OrgId>| -> Result<Principal> {
            users::record_authentication(
                &self.store,
                actor,
                None,
                target,
                Action::SignIn.as_str(),
                None,
                audit::DENIED,
                client,
            )
            .await?;
            Err(AppError::InvalidCredentials)
        };
        if password.len() > MAX_PASSWORD_BYTES {
            return deny(Actor::Anonymous, None).await;
        }
        // An address that could never have been registered (a NUL byte, 300 bytes, no `@`) is an
        // unknown user: same work, same answer, and it never reaches the store.
        let Ok(email) = EmailAddress::parse(email) else {
            self.hasher.verify_dummy(password).await?;
            return deny(Actor::Anonymous, None).await;
        };
        let candidates = users::credentials(&self.store, email.as_str()).await?;
        if candidates.is_empty() {
            self.hasher.verify_dummy(password).await?;
            return deny(Actor::Anonymous, None).await;
        }
        // An address may have an account in several organisations: the one whose password this
        // is, a member of the organisation asked for, wins; then one whose password it is; then
        // the oldest (for the failure's audit entry).
        let mut chosen: Option<(users::Credentials, bool, u8)> = None;
        for c in candidates {
            let ok = match &c.password_hash {
                Some(hash) => self.hasher.verify(password, hash).await?,
                None => self.hasher.verify_dummy(password).await?,
            };
            let fits = org.is_none_or(|o| c.memberships.iter().any(|(m, _)| *m == o));
            let rank = u8::from(ok) * 2 + u8::from(ok && fits);
            if chosen.as_ref().is_none_or(|(_, _, r)| rank > *r) {
                chosen = Some((c, ok, rank));
            }
        }
        let Some((creds, matches, _)) = chosen else {
            return deny(Actor::Anonymous, None).await;
        };
        let actor = Actor::User(creds.user);
        let member_of = |o: OrgId| creds.memberships.iter().any(|(m, _)| *m == o);
        let requested = match org {
            Some(o) if member_of(o) => Some(o),
            Some(_) => None,
            None => match creds.memberships.as_slice() {
                [(only, _)] => Some(*only),
                _ => None,
            },
        };
        if !matches || creds.disabled {
            return deny(actor, requested).await;
        }
        let acting = match org {
            Some(o) if member_of(o) => o,
            Some(_) => return deny(actor, None).await,
            None => match creds.memberships.as_slice() {
                [(only, _)] => *only,
                [] => return deny(actor, None).await,
                many => {
                    return Err(AppError::ChooseOrganisation(
                        many.iter().map(|(o, _)| *o).collect(),
                    ));
                }
            },
        };
        users::record_authentication(
            &self.store,
            actor,
            Some(acting),
            Some(acting),
            Action::SignIn.as_str(),
            None,
            audit::OK,
            client,
        )
        .await?;
        Ok(Principal::User {
            user: creds.user,
            acting_org: Some(acting),
        })
    }

    /// An admin of `org` creates a user with a password and makes it a member of `org`.
    pub async fn create_user(
        &self,
        scope: &TenantScope,
        org: OrgId,
        new: NewUser<'_>,
    ) -> Result<UserId> {
        let result = self.create_user_inner(scope, org, new).await;
        audit::on_denial(
            &self.store,
            scope,
            Action::UserCreate,
            Some(org),
            None,
            result,
        )
        .await
    }

    async fn create_user_inner(
        &self,
        scope: &TenantScope,
        org: OrgId,
        new: NewUser<'_>,
    ) -> Result<UserId> {
        // Refuse before spending a hash on a request that cannot succeed.
        require_admin(scope, org)?;
        // Parsed before any hashing or storage: the store never sees a NUL byte or an overlong name.
        let email = EmailAddress::parse(new.email)?;
        let display_name = DisplayName::parse(new.display_name)?;
        check_password(new.password)?;
        // An address is "already registered" only among the admin's own organisations: another
        // organisation's users are not the admin's to learn about, so an address used elsewhere
        // simply gets an account of its own here.
        let tx = self.store.begin(scope, Mode::Read).await?;
        let administered: Vec<OrgId> = scope.administered().collect();
        let taken = users::email_taken_in(&tx, email.as_str(), &administered).await?;
        tx.rollback().await?;
        if taken {
            return Err(AppError::Invalid(
                "このメールアドレスは登録済みです。".into(),
            ));
        }
        // Hash outside any transaction: a write transaction held across 19 MiB of Argon2 work would
        // serialise every other writer on SQLite.
        let hash = self.hasher.hash(new.password).await?;

        // The user row is a system object (no organisation owns it); the membership that gives it
        // access is written in the admin's own scope, with its audit entry.
        let tx = self.store.begin_system(Mode::Write).await?;
        let user =
            provision::create_user(&tx, email.as_str(), display_name.as_str(), Some(&hash)).await?;
        tx.commit().await?;

        let tx = self.store.begin(scope, Mode::Write).await?;
        members::add(&tx, org, user, new.role).await?;
        audit::member_event(&tx, Action::UserCreate, org, user).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// An admin of `org` creates a user with a random initial password (shown once to the admin,
    /// who hands it over) and makes it a member of `org` with `role`.
    pub async fn create_user_with_initial_password(
        &self,
        scope: &TenantScope,
        org: OrgId,
        email: &str,
        display_name: &str,
        role: Role,
    ) -> Result<(UserId, InitialPassword)> {
        let password = InitialPassword(crate::keys::random_base62(INITIAL_PASSWORD_LEN)?.into());
        let user = self
            .create_user(
                scope,
                org,
                NewUser {
                    email,
                    display_name,
                    password: password.expose(),
                    role,
                },
            )
            .await?;
        Ok((user, password))
    }

    /// An admin of `org` adds the existing user with `email`. An unknown email is `NotFound`.
    pub async fn add_member(
        &self,
        scope: &TenantScope,
        org: OrgId,
        email: &str,
        role: Role,
    ) -> Result<Member> {
        let result = async {
            // Checked before the look-up so a non-admin cannot use this to learn which emails exist.
            require_admin(scope, org)?;
            let email = EmailAddress::parse(email)?;
            let user = users::id_by_email(&self.store, email.as_str())
                .await?
                .ok_or(StoreError::NotFound)?;
            let tx = self.store.begin(scope, Mode::Write).await?;
            let m = members::add(&tx, org, user, role).await?;
            audit::member_event(&tx, Action::MemberAdd, org, user).await?;
            tx.commit().await?;
            Ok(m)
        }
        .await;
        audit::on_denial(
            &self.store,
            scope,
            Action::MemberAdd,
            Some(org),
            None,
            result,
        )
        .await
    }

    /// An admin of `org` changes the role of a member.
    pub async fn set_role(
        &self,
        scope: &TenantScope,
        org: OrgId,
        user: UserId,
        role: Role,
    ) -> Result<Member> {
        let result = self
            .store
            .tx(scope, Mode::Write, async |tx| -> Result<Member> {
                let m = members::set_role(tx, org, user, role).await?;
                audit::member_event(tx, Action::MemberRole, org, user).await?;
                Ok(m)
            })
            .await;
        if result.is_ok() {
            crate::auth::credentials_changed();
        }
        let object = Some(user.as_uuid());
        audit::on_denial(
            &self.store,
            scope,
            Action::MemberRole,
            Some(org),
            object,
            result,
        )
        .await
    }

    /// An admin of `org` removes a member.
    pub async fn remove_member(&self, scope: &TenantScope, org: OrgId, user: UserId) -> Result<()> {
        let result = self
            .store
            .tx(scope, Mode::Write, async |tx| -> Result<()> {
                members::remove(tx, org, user).await?;
                audit::member_event(tx, Action::MemberRemove, org, user).await?;
                Ok(())
            })
            .await;
        if result.is_ok() {
            crate::auth::credentials_changed();
        }
        let object = Some(user.as_uuid());
        audit::on_denial(
            &self.store,
            scope,
            Action::MemberRemove,
            Some(org),
            object,
            result,
        )
        .await
    }

    /// Members of each of `orgs` the scope reads, in one query (organisations it cannot read are
    /// absent from the map).
    pub async fn list_members_of(
        &self,
        scope: &TenantScope,
        orgs: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, Vec<Member>>> {
        let all = self
            .store
            .tx(scope, Mode::Read, async |tx| -> Result<Vec<Member>> {
                Ok(members::list_many(tx, orgs).await?)
            })
            .await?;
        let mut by_org: std::collections::HashMap<OrgId, Vec<Member>> = orgs
            .iter()
            .filter(|o| scope.can_read(**o))
            .map(|o| (*o, Vec::new()))
            .collect();
        for m in all {
            by_org.entry(m.org_id).or_default().push(m);
        }
        Ok(by_org)
    }

    /// The users of `ids` as the scope may see them (itself, members of organisations it reads),
    /// by id (for batch loaders); the others are absent.
    pub async fn profiles(
        &self,
        scope: &TenantScope,
        ids: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, users::UserProfile>> {
        let found = self
            .store
            .tx(
                scope,
                Mode::Read,
                async |tx| -> Result<Vec<users::UserProfile>> {
                    Ok(users::profiles(tx, ids).await?)
                },
            )
            .await?;
        Ok(found.into_iter().map(|u| (u.id, u)).collect())
    }

    /// Members of `org`, for anyone who reads it.
    pub async fn list_members(&self, scope: &TenantScope, org: OrgId) -> Result<Vec<Member>> {
        self.store
            .tx(scope, Mode::Read, async |tx| -> Result<Vec<Member>> {
                Ok(members::list(tx, org).await?)
            })
            .await
    }
}
