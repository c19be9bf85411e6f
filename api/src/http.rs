//! HTTP endpoints: `POST /graphql`, GraphiQL at `/`, `/healthz` and `/readyz`.

use crate::AppState;
use crate::auth::{self, Caller};
use crate::graphql::loaders::Loaders;
use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, ServerError};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

fn error_response(code: &'static str, message: &str) -> Response {
    let mut error = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    error.extensions = Some(ext);
    GraphQLResponse::from(async_graphql::Response::from_errors(vec![error])).into_response()
}

/// Executes one GraphQL operation. Batches (a JSON array) are refused: a batch would let
/// one HTTP request carry unbounded work past the per-request limits.
pub async fn graphql(
    State(app): State<AppState>,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> Response {
    let request = match request.into_inner() {
        BatchRequest::Single(r) => r,
        BatchRequest::Batch(_) => {
            return error_response(
                "BATCH_NOT_SUPPORTED",
                "Send one operation per request; batched requests are not accepted.",
            );
        }
    };
    let actor = match auth::caller(&app.services, &headers).await {
        Ok(Caller::Known(actor)) => actor,
        Ok(Caller::Rejected) => {
            return error_response(
                "UNAUTHENTICATED",
                "This sign-in has expired or was ended. Sign in again.",
            );
        }
        Err(e) => {
            let err = crate::error::to_gql(e);
            let mut server = ServerError::new(err.message, None);
            server.extensions = err.extensions;
            return GraphQLResponse::from(async_graphql::Response::from_errors(vec![server]))
                .into_response();
        }
    };
    let request = request.data(actor).data(Loaders::new(&app.services));
    GraphQLResponse::from(app.schema.execute(request).await).into_response()
}

/// The GraphiQL IDE, when introspection is on.
pub async fn graphiql(State(app): State<AppState>) -> Response {
    if !app.introspection {
        return (
            StatusCode::NOT_FOUND,
            "GraphiQL is disabled on this server.",
        )
            .into_response();
    }
    Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response()
}

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database and the queue answer.
pub async fn readyz(State(app): State<AppState>) -> Response {
    let database = infra::database::ping(&app.services.db).await;
    let queue = app.queue.ping().await;
    let body = json!({
        "database": database.as_ref().map(|_| "ok").unwrap_or("unreachable"),
        "queue": queue.as_ref().map(|_| "ok").unwrap_or("unreachable"),
    });
    if let Err(e) = &database {
        tracing::warn!(error = %e, "readiness: database unreachable");
    }
    if let Err(e) = &queue {
        tracing::warn!(error = %e, "readiness: queue unreachable");
    }
    let status = if database.is_ok() && queue.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
