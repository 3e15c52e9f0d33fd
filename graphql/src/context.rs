//! Per-request state: the caller, its tenant scope (resolved once, on first use) and the request's
//! DataLoaders. The request pipeline ([`crate::api`]) inserts a [`RequestCtx`] into every
//! request, built from the [`Caller`] the HTTP layer put in the request data (or the WebSocket
//! connection data); without one the caller is anonymous.

use std::any::{Any, TypeId};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;
use taisho_app::Services;
use taisho_app::auth::Caller;
use taisho_app::records::TenantScope;
use taisho_domain::{OrgId, VersionId};
use tokio::sync::OnceCell;

use crate::error::{self, ResultExt};

/// The caller and its scope; shared by the request's loaders.
#[derive(Debug)]
pub struct Session {
    pub services: Services,
    pub caller: Caller,
    scope: OnceCell<TenantScope>,
    texts: Mutex<TextReads>,
}

/// Versions whose text (evidence, local additions) this operation returned: recorded in the audit
/// log once per version when the answer is complete ([`Session::record_text_reads`]).
#[derive(Debug, Default)]
struct TextReads {
    pending: BTreeSet<(OrgId, VersionId)>,
    /// Already recorded (a subscription records each version once over all its events).
    recorded: BTreeSet<(OrgId, VersionId)>,
}

impl Session {
    pub fn new(services: Services, caller: Caller) -> Session {
        let scope = OnceCell::new_with(caller.scope.clone());
        Session {
            services,
            caller,
            scope,
            texts: Mutex::default(),
        }
    }

    /// The caller's tenant scope (with the client address); `UNAUTHENTICATED` for an anonymous
    /// caller.
    pub async fn scope(&self) -> async_graphql::Result<&TenantScope> {
        if self.caller.is_anonymous() {
            return Err(error::unauthenticated());
        }
        self.scope
            .get_or_try_init(|| self.caller.resolve_scope(&self.services))
            .await
            .gql()
    }

    /// Notes that the text of `version` (of `org`) is part of the answer.
    pub fn text_returned(&self, org: OrgId, version: VersionId) {
        let mut texts = self
            .texts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !texts.recorded.contains(&(org, version)) {
            texts.pending.insert((org, version));
        }
    }

    /// Records the texts returned since the last call (one `document.read` entry per version,
    /// with `channel`), in one transaction. Nothing to record costs nothing. An error means the
    /// answer must not leave.
    pub async fn record_text_reads(&self, channel: &str) -> Result<(), taisho_app::AppError> {
        let pending: Vec<(OrgId, VersionId)> = {
            let mut texts = self
                .texts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let pending = std::mem::take(&mut texts.pending);
            texts.recorded.extend(pending.iter().copied());
            pending.into_iter().collect()
        };
        if pending.is_empty() {
            return Ok(());
        }
        // Text was returned, so the scope was resolved.
        let Some(scope) = self.scope.get() else {
            return Ok(());
        };
        let result = self
            .services
            .audit()
            .texts_read(scope, &pending, channel)
            .await;
        if result.is_err() {
            // Not recorded: a later answer with these texts must try again.
            let mut texts = self
                .texts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for read in pending {
                texts.recorded.remove(&read);
                texts.pending.insert(read);
            }
        }
        result
    }
}

type AnyLoader = Arc<dyn Any + Send + Sync>;

/// What every resolver reaches with [`request`].
pub struct RequestCtx {
    session: Arc<Session>,
    loaders: Mutex<HashMap<TypeId, AnyLoader>>,
}

impl std::fmt::Debug for RequestCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestCtx")
            .field("caller", &self.session.caller)
            .finish_non_exhaustive()
    }
}

impl RequestCtx {
    pub fn new(services: Services, caller: Caller) -> RequestCtx {
        RequestCtx {
            session: Arc::new(Session::new(services, caller)),
            loaders: Mutex::new(HashMap::new()),
        }
    }

    pub fn services(&self) -> &Services {
        &self.session.services
    }

    pub fn caller(&self) -> &Caller {
        &self.session.caller
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The caller's tenant scope (resolved once per request).
    pub async fn scope(&self) -> async_graphql::Result<&TenantScope> {
        self.session.scope().await
    }

    /// This request's DataLoader of `L`, made by `make` on first use. Loaders are per request
    /// because they read in the caller's scope.
    pub fn loader<L: Send + Sync + 'static>(
        &self,
        make: impl FnOnce(Arc<Session>) -> L,
    ) -> Arc<DataLoader<L>> {
        let mut loaders = self
            .loaders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = loaders.entry(TypeId::of::<L>()).or_insert_with(|| {
            // Batches run on spawned tasks: they keep the span of the resolver that started
            // them, so their store spans stay in the request's trace.
            Arc::new(DataLoader::new(make(Arc::clone(&self.session)), |fut| {
                tokio::spawn(tracing::Instrument::in_current_span(fut))
            })) as AnyLoader
        });
        Arc::clone(entry)
            .downcast::<DataLoader<L>>()
            .unwrap_or_else(|_| unreachable!("loaders are keyed by their type"))
    }
}

/// The request's context. Always present when the schema was built by [`crate::build`].
pub fn request<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a RequestCtx> {
    ctx.data_opt::<RequestCtx>().ok_or_else(|| {
        error::internal(&"RequestCtx missing: schema not built by taisho_graphql::build")
    })
}
