//! The LSSCP API: an async-graphql schema on axum.
//!
//! Resolvers are thin: they parse arguments, call one domain service with the caller's
//! [`domain::Actor`], and map the result (`error`). Authorisation lives in the services.

pub mod auth;
pub mod edge;
pub mod error;
pub mod graphql;
pub mod guard;
pub mod http;
pub mod parsed_documents;
pub mod socket;

use axum::Router;
use axum::routing::get;
use edge::Edge;
use graphql::Limits;
use guard::CodedSchema;
use infra::JobQueue;
use std::sync::Arc;

/// How many distinct operation texts keep their parsed document (see
/// [`parsed_documents`]): far more than a client app sends.
const PARSED_DOCUMENTS: usize = 512;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub services: domain::Context,
    pub queue: JobQueue,
    pub schema: CodedSchema,
    pub introspection: bool,
    pub edge: Arc<Edge>,
}

impl AppState {
    pub fn new(services: domain::Context, queue: JobQueue, limits: Limits, edge: Edge) -> Self {
        let documents = Arc::new(parsed_documents::ParsedDocuments::new(PARSED_DOCUMENTS));
        Self {
            schema: CodedSchema::new(
                graphql::build(services.clone(), limits),
                documents,
                guard::DocumentLimits::from(&edge.settings),
            ),
            services,
            queue,
            introspection: limits.introspection,
            edge: Arc::new(edge),
        }
    }
}

/// The HTTP routes.
pub fn router(state: AppState) -> Router {
    let edge = state.edge.clone();
    Router::new()
        .route("/", get(http::graphiql))
        .route("/graphiql/init.js", get(http::graphiql_init))
        .route("/graphql", get(http::graphiql).post(http::graphql))
        .route("/graphql/ws", get(socket::graphql_ws))
        .route("/documents/{id}", get(http::document))
        .route("/credentials/status/{purpose}", get(http::status_list))
        .route("/reports/{file}", get(http::report_csv))
        .route("/healthz", get(http::healthz))
        .route("/readyz", get(http::readyz))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            edge.clone(),
            edge::bounded,
        ))
        .layer(axum::middleware::from_fn_with_state(
            edge.clone(),
            edge::cors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            edge,
            edge::security_headers,
        ))
}

/// Serves the API on `listener` until `stop` turns true, within the edge's connection
/// bounds.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let settings = &state.edge.settings;
    let max_connections = settings.max_connections;
    let header_timeout = std::time::Duration::from_secs(settings.header_read_timeout_secs.max(1));
    edge::serve::serve(
        listener,
        router(state),
        max_connections,
        header_timeout,
        stop,
    )
    .await;
}
