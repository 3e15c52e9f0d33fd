#![doc = include_str!("../README.md")]

pub mod accounts;
pub mod analyses;
pub mod api;
pub mod audit;
pub mod catalog;
pub mod connection;
pub mod context;
pub mod diff;
pub mod documents;
pub mod error;
pub mod extend;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod matrix;
pub mod node;
pub mod progress;
pub mod telemetry;

use async_graphql::{MergedObject, MergedSubscription, Schema};

/// Limits of the schema. `max_complexity` also bounds the number of selections in a document
/// (fragments expanded), checked before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaConfig {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_page_size: usize,
    /// The longest query text (bytes), whatever the transport; checked before anything else.
    pub max_query_bytes: usize,
    /// The most lexical tokens a query text may have; counted before it is parsed.
    pub max_tokens: usize,
    /// The largest answer (serialised JSON bytes); a larger one is refused with
    /// `RESPONSE_TOO_LARGE`.
    pub max_response_bytes: usize,
    /// Production: introspection is refused to browser sessions.
    pub production: bool,
}

impl Default for SchemaConfig {
    fn default() -> Self {
        SchemaConfig {
            max_depth: 15,
            max_complexity: 2000,
            max_aliases: 30,
            max_page_size: 100,
            max_query_bytes: 32 * 1024,
            max_tokens: 4000,
            max_response_bytes: 8 * 1024 * 1024,
            production: false,
        }
    }
}

/// The query root, merged from the areas' query objects.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    accounts::AccountsQuery,
    node::NodeQuery,
    documents::DocumentsQuery,
    analyses::AnalysesQuery,
    catalog::CatalogQuery,
    matrix::MatrixQuery,
    diff::DiffQuery,
);

/// The mutation root, merged from the areas' mutation objects.
#[derive(MergedObject, Default)]
pub struct MutationRoot(accounts::AccountsMutation, documents::DocumentsMutation);

/// The subscription root, merged from the areas' subscriptions.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(progress::ProgressSubscription);

pub type TaishoSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
}

pub use api::Api;

/// The API over `services`: the schema inside Taisho's request pipeline ([`api`]). Every request
/// should carry the caller (`request.data(taisho_app::auth::Caller)`, or the WebSocket connection
/// data); without one it runs as an anonymous caller, who sees nothing.
pub fn build(services: taisho_app::Services, config: SchemaConfig) -> Api {
    let schema = builder()
        .limit_depth(config.max_depth)
        .limit_complexity(config.max_complexity)
        .limit_recursive_depth(config.max_depth.saturating_mul(4).max(32))
        .limit_directives(16)
        .disable_suggestions()
        .data(services.clone())
        .data(config.clone())
        .finish();
    Api::new(schema, config, services)
}

/// The schema in SDL (what `graphql/schema.graphql` holds).
pub fn sdl() -> String {
    builder().finish().sdl()
}
