//! The request pipeline around the schema, for HTTP requests and WebSocket operations alike:
//!
//! 1. the caller (request data, else the socket's connection data, else anonymous) and its
//!    per-request context ([`RequestCtx`]);
//! 2. the query text's size, tokens and nesting ([`crate::limits::check_text`], one cheap pass),
//!    then our own parse, off the async threads (`spawn_blocking`), and the limits of
//!    [`crate::limits`] (a refused request never executes);
//! 3. execution by the schema, with the parsed document handed over (parsed once);
//! 4. the answer's size ([`crate::limits::check_response`]: over `max_response_bytes` it is
//!    replaced by a `RESPONSE_TOO_LARGE` error), error codes ([`crate::limits::normalise`]) and
//!    telemetry ([`crate::telemetry`]).
//!
//! A request refused by the limits (`QUERY_TOO_COMPLEX`, `RESPONSE_TOO_LARGE`) is reported to the
//! refusal hook ([`Api::on_refusal`]), which the server uses to charge the caller's rate limits.
//!
//! This is a wrapper rather than async-graphql extensions on purpose: with any extension
//! registered, async-graphql runs every field through the extension chain (a registry look-up
//! and boxed futures per field), which was about a tenth of the server's CPU on a matrix request.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::futures_util::StreamExt as _;
use async_graphql::futures_util::stream::{self, BoxStream};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Data, Executor, Request, Response, ServerError};
use taisho_app::Services;
use taisho_app::audit::channel;
use taisho_app::auth::Caller;
use tracing::Instrument as _;

use crate::context::{RequestCtx, Session};
use crate::limits::{
    check, check_response, check_text, check_variables, is_limit_refusal, normalise,
};
use crate::telemetry;
use crate::{SchemaConfig, TaishoSchema};

/// The schema with Taisho's request pipeline. Cheap to clone.
#[derive(Clone)]
pub struct Api {
    schema: TaishoSchema,
    config: SchemaConfig,
    services: Services,
    parsed: Arc<ParseCache>,
    on_refusal: Option<RefusalHook>,
}

/// Called with the caller of every request the limits refuse.
pub type RefusalHook = Arc<dyn Fn(&Caller) + Send + Sync>;

/// Parsed documents by query text: clients send the same few queries again and again, and a
/// clone is cheaper than a parse. Only documents that parsed, of short queries, are kept; the
/// limits are still checked on every request (they depend on the variables).
#[derive(Default)]
struct ParseCache(Mutex<HashMap<String, ExecutableDocument>>);

impl ParseCache {
    const MAX_QUERY: usize = 16 * 1024;
    const MAX_ENTRIES: usize = 256;

    /// The parsed document of `query` (which passed [`check_text`]): from the cache, else parsed
    /// on a blocking thread, so a slow parse never holds an async worker.
    async fn parse(self: &Arc<Self>, query: &str) -> Option<ExecutableDocument> {
        if let Some(doc) = self.0.lock().ok().and_then(|m| m.get(query).cloned()) {
            return Some(doc);
        }
        let cache = Arc::clone(self);
        let query = query.to_owned();
        tokio::task::spawn_blocking(move || {
            let doc = async_graphql::parser::parse_query(&query).ok()?;
            if query.len() <= Self::MAX_QUERY
                && let Ok(mut m) = cache.0.lock()
            {
                if m.len() >= Self::MAX_ENTRIES {
                    m.clear();
                }
                m.insert(query, doc.clone());
            }
            Some(doc)
        })
        .await
        .ok()
        .flatten()
    }
}

/// A request refused before execution: the response to send and the operation type.
type Refusal = Box<(Response, &'static str)>;

/// A request that passed the checks, with what telemetry needs to know about it.
struct Prepared {
    request: Request,
    kind: &'static str,
    name: Option<String>,
    session: Arc<Session>,
}

impl Api {
    pub(crate) fn new(schema: TaishoSchema, config: SchemaConfig, services: Services) -> Api {
        Api {
            schema,
            config,
            services,
            parsed: Arc::default(),
            on_refusal: None,
        }
    }

    /// The same API, calling `hook` with the caller of every request the limits refuse (too
    /// large, too many tokens, too complex, too large an answer), whatever the transport.
    pub fn on_refusal(mut self, hook: RefusalHook) -> Api {
        self.on_refusal = Some(hook);
        self
    }

    /// The type of the operation `request` would run: `None` when its text is over the limits,
    /// does not parse, or names no operation of the document (execution reports those). Parses
    /// like [`Api::execute`] does (off the async threads, cached), so the HTTP layer can refuse a
    /// mutation over GET or a subscription over POST without a parse of its own.
    pub async fn operation_type(&self, request: &Request) -> Option<OperationType> {
        check_text(&request.query, &self.config).ok()?;
        let document = self.parsed.parse(&request.query).await?;
        let selected = request.operation_name.as_deref();
        match (&document.operations, selected) {
            (DocumentOperations::Single(op), _) => Some(op.node.ty),
            (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
                ops.values().next().map(|op| op.node.ty)
            }
            (DocumentOperations::Multiple(_), None) => None,
        }
    }

    /// Reports a refusal by the limits to the hook.
    fn refused(&self, caller: &Caller, response: &Response) {
        if let Some(hook) = &self.on_refusal
            && is_limit_refusal(response)
        {
            hook(caller);
        }
    }

    /// Step 4's size check: an answer over the limit becomes one `RESPONSE_TOO_LARGE` error.
    fn bounded(&self, response: Response) -> Response {
        match check_response(&response, self.config.max_response_bytes) {
            Ok(()) => response,
            Err(e) => {
                tracing::warn!(
                    limit = self.config.max_response_bytes,
                    "answer over the response size limit refused"
                );
                Response::from_errors(vec![e])
            }
        }
    }

    /// The schema itself (SDL, introspection in tests).
    pub fn schema(&self) -> &TaishoSchema {
        &self.schema
    }

    /// Runs one query or mutation. The caller is taken from the request data
    /// (`request.data(caller)`); without one the request runs as an anonymous caller.
    pub async fn execute(&self, request: Request) -> Response {
        let span = telemetry::operation_span();
        let started = Instant::now();
        let caller = caller_of(&request.data).cloned();
        let (response, kind) = async {
            match self.prepare(request, None).await {
                Err(refusal) => *refusal,
                Ok(p) => {
                    telemetry::record_operation(&tracing::Span::current(), p.kind, p.name);
                    let mut response = self.schema.execute(p.request).await;
                    record_text_reads(&p.session, &mut response, channel::ANALYSIS).await;
                    normalise(&mut response.errors);
                    if reached_execution(&response) {
                        telemetry::count_executed(p.kind);
                    }
                    (self.bounded(response), p.kind)
                }
            }
        }
        .instrument(span.clone())
        .await;
        self.refused(caller.as_ref().unwrap_or(&Caller::anonymous()), &response);
        telemetry::finish(&span, kind, started, response.errors.len());
        response
    }

    /// Starts a subscription (or a query sent over the socket) with the socket's `session_data`.
    pub fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let api = self.clone();
        stream::once(async move {
            let caller = caller_of(&request.data)
                .or_else(|| session_data.as_deref().and_then(caller_of))
                .cloned()
                .unwrap_or_else(Caller::anonymous);
            match api.prepare(request, session_data.as_deref()).await {
                Err(refusal) => {
                    let (response, _) = *refusal;
                    api.refused(&caller, &response);
                    stream::once(async move { response }).boxed()
                }
                Ok(p) => {
                    telemetry::count_executed(p.kind);
                    let bounded = api.clone();
                    let session = p.session;
                    Executor::execute_stream(&api.schema, p.request, session_data)
                        .then(move |mut response| {
                            let session = Arc::clone(&session);
                            let bounded = bounded.clone();
                            let caller = caller.clone();
                            async move {
                                record_text_reads(&session, &mut response, channel::SUBSCRIPTION)
                                    .await;
                                normalise(&mut response.errors);
                                let response = bounded.bounded(response);
                                bounded.refused(&caller, &response);
                                response
                            }
                        })
                        .boxed()
                }
            }
        })
        .flatten()
        .boxed()
    }

    /// Steps 1 and 2: the context, then our parse and limits. A refusal comes back as the
    /// response to send, with the operation type when it is known.
    async fn prepare(
        &self,
        mut request: Request,
        session: Option<&Data>,
    ) -> Result<Prepared, Refusal> {
        let caller = caller_of(&request.data)
            .or_else(|| session.and_then(caller_of))
            .cloned()
            .unwrap_or_else(Caller::anonymous);
        let no_introspection = self.config.production && caller.is_browser_session();
        if no_introspection {
            request = request.disable_introspection();
        }
        let ctx = RequestCtx::new(self.services.clone(), caller);
        let session = Arc::clone(ctx.session());
        request = request.data(ctx);
        // The text first: a document over the size, token or nesting limits is never parsed.
        if let Err(e) = check_text(&request.query, &self.config) {
            let mut errors = vec![e];
            normalise(&mut errors);
            return Err(Box::new((Response::from_errors(errors), "unknown")));
        }
        // Checked on our own parse first: async-graphql's parse step walks fragment spreads for
        // its recursion-depth check without a budget, which nested fragments make exponential.
        // A query that does not parse is left to the schema, which reports the syntax error.
        let Some(document) = self.parsed.parse(&request.query).await else {
            return Ok(Prepared {
                request,
                kind: "unknown",
                name: None,
                session,
            });
        };
        let (kind, name) = operation_of(&document, request.operation_name.as_deref());
        let refuse = |e: ServerError| {
            let mut errors = vec![e];
            normalise(&mut errors);
            Box::new((Response::from_errors(errors), kind))
        };
        check(
            &document,
            &request.variables,
            &self.config,
            no_introspection,
        )
        .map_err(refuse)?;
        check_variables(
            &document,
            &request.variables,
            request.operation_name.as_deref(),
        )
        .map_err(refuse)?;
        request.set_parsed_query(document);
        Ok(Prepared {
            request,
            kind,
            name,
            session,
        })
    }
}

/// Records the texts `response` returns in the audit log before it leaves (one entry per
/// version, see [`Session::record_text_reads`]); if that fails the answer is withheld and the
/// caller gets `UNAVAILABLE`: no text leaves unrecorded.
async fn record_text_reads(session: &Session, response: &mut Response, channel: &str) {
    if let Err(e) = session.record_text_reads(channel).await {
        *response = Response::from_errors(vec![
            crate::error::app(e).into_server_error(async_graphql::Pos::default()),
        ]);
    }
}

impl Executor for Api {
    async fn execute(&self, request: Request) -> Response {
        Api::execute(self, request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        Api::execute_stream(self, request, session_data)
    }
}

fn caller_of(data: &Data) -> Option<&Caller> {
    data.get(&TypeId::of::<Caller>())
        .and_then(|d| d.downcast_ref::<Caller>())
}

/// The type and name of the operation `selected` names (or the only one).
fn operation_of(
    document: &ExecutableDocument,
    selected: Option<&str>,
) -> (&'static str, Option<String>) {
    match (&document.operations, selected) {
        (DocumentOperations::Single(op), _) => (type_name(op.node.ty), None),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name).map_or(("unknown", None), |op| {
                (type_name(op.node.ty), Some(name.to_owned()))
            })
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.iter().next().map_or(("unknown", None), |(name, op)| {
                (type_name(op.node.ty), Some(name.to_string()))
            })
        }
        (DocumentOperations::Multiple(_), None) => ("unknown", None),
    }
}

fn type_name(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

/// Whether the schema executed the request: refusals before execution (parse and validation
/// errors) come back with no data and errors without a path; resolver errors carry their path.
fn reached_execution(response: &Response) -> bool {
    !(response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty()))
}
