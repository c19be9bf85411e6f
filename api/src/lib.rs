//! The LSSCP API: an async-graphql schema on axum.
//!
//! Resolvers are thin: they parse arguments, call one domain service with the caller's
//! [`domain::Actor`], and map the result (`error`). Authorisation lives in the services.

pub mod auth;
pub mod error;
pub mod graphql;
pub mod guard;
pub mod http;
pub mod parsed_documents;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use graphql::Limits;
use guard::CodedSchema;
use infra::JobQueue;

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
    pub documents: std::sync::Arc<parsed_documents::ParsedDocuments>,
}

impl AppState {
    pub fn new(services: domain::Context, queue: JobQueue, limits: Limits) -> Self {
        Self {
            schema: CodedSchema(graphql::build(services.clone(), limits)),
            services,
            queue,
            introspection: limits.introspection,
            documents: std::sync::Arc::new(parsed_documents::ParsedDocuments::new(
                PARSED_DOCUMENTS,
            )),
        }
    }
}

/// The HTTP routes.
pub fn router(state: AppState) -> Router {
    // Uploads travel inside GraphQL requests: allow the largest document plus the
    // multipart envelope, and no more.
    let body_limit = usize::try_from(state.services.config.documents.max_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1024 * 1024);
    Router::new()
        .route("/", get(http::graphiql))
        .route(
            "/graphql",
            get(http::graphiql)
                .post(http::graphql)
                .layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/graphql/ws", get(http::graphql_ws))
        .route("/documents/{id}", get(http::document))
        .route("/credentials/status/{purpose}", get(http::status_list))
        .route("/reports/{file}", get(http::report_csv))
        .route("/healthz", get(http::healthz))
        .route("/readyz", get(http::readyz))
        .with_state(state)
}
