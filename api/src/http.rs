//! HTTP endpoints: `POST /graphql`, GraphiQL at `/`, `/healthz` and `/readyz`.

use crate::AppState;
use crate::auth::{self, Caller};
use crate::graphql::loaders::Loaders;
use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, Executor, ServerError};
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
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> Response {
    let peer = peer.map(|p| (p.0).0);
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
    let client = crate::graphql::car::ClientInfo {
        ip: client_ip(&headers, peer),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let request = app
        .documents
        .prepare(request)
        .data(actor)
        .data(client)
        .data(Loaders::new(&app.services));
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

/// Downloads a document the caller may read (`Authorization: Bearer …`).
pub async fn document(
    State(app): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            "No such document, or you may not read it.",
        )
            .into_response()
    };
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let actor = match auth::caller(&app.services, &headers).await {
        Ok(Caller::Known(actor)) => actor,
        Ok(Caller::Rejected) => {
            return (
                StatusCode::UNAUTHORIZED,
                "This sign-in has expired or was ended. Sign in again.",
            )
                .into_response();
        }
        Err(e) => {
            let err = crate::error::to_gql(e);
            return (StatusCode::INTERNAL_SERVER_ERROR, err.message).into_response();
        }
    };
    match domain::services::documents::open(&app.services, &actor, id).await {
        Ok((doc, bytes)) => {
            let disposition = format!(
                "attachment; filename=\"{}\"",
                doc.filename.replace(['"', '\\'], "_")
            );
            let mut response = bytes.into_response();
            let h = response.headers_mut();
            if let Ok(v) = doc.content_type.parse() {
                h.insert(axum::http::header::CONTENT_TYPE, v);
            }
            if let Ok(v) = disposition.parse() {
                h.insert(axum::http::header::CONTENT_DISPOSITION, v);
            }
            if let Ok(v) = "nosniff".parse() {
                h.insert("x-content-type-options", v);
            }
            response
        }
        Err(domain::DomainError::NotFound(_)) => not_found(),
        Err(domain::DomainError::Unauthenticated) => {
            (StatusCode::UNAUTHORIZED, "Sign in to read documents.").into_response()
        }
        Err(e) => {
            let err = crate::error::to_gql(e);
            (StatusCode::INTERNAL_SERVER_ERROR, err.message).into_response()
        }
    }
}

/// The client's address: the first `X-Forwarded-For` hop when a proxy set one, else the
/// connection's peer.
fn client_ip(headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> Option<String> {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .or_else(|| peer.map(|p| p.ip().to_string()))
}

/// A public status list credential (`revocation` or `message`), for verifiers.
pub async fn status_list(
    State(app): State<AppState>,
    axum::extract::Path(purpose): axum::extract::Path<String>,
) -> Response {
    let purpose = match purpose.as_str() {
        "revocation" => credentials::StatusPurpose::Revocation,
        "message" => credentials::StatusPurpose::Message,
        _ => return (StatusCode::NOT_FOUND, "No such status list.").into_response(),
    };
    match domain::services::credentials::status_list(&app.services, purpose).await {
        Ok(list) => {
            let mut response = Json(list).into_response();
            if let Ok(v) = "public, max-age=300".parse() {
                response
                    .headers_mut()
                    .insert(axum::http::header::CACHE_CONTROL, v);
            }
            response
        }
        Err(e) => {
            let err = crate::error::to_gql(e);
            (StatusCode::INTERNAL_SERVER_ERROR, err.message).into_response()
        }
    }
}

/// GraphQL subscriptions over WebSocket (graphql-ws and the older graphql-transport-ws
/// protocols). The bearer token travels in the `connection_init` payload as
/// `{"Authorization": "Bearer <token>"}`, since browsers cannot set headers on a WebSocket.
pub async fn graphql_ws(
    State(app): State<AppState>,
    protocol: async_graphql_axum::GraphQLProtocol,
    upgrade: axum::extract::WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            let services = app.services.clone();
            async_graphql_axum::GraphQLWebSocket::new(stream, app.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let token = payload
                        .as_object()
                        .and_then(|o| {
                            o.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                        })
                        .and_then(|(_, v)| v.as_str())
                        .map(str::to_owned);
                    let mut headers = HeaderMap::new();
                    if let Some(t) = token
                        && let Ok(v) = t.parse()
                    {
                        headers.insert(axum::http::header::AUTHORIZATION, v);
                    }
                    let actor = match auth::caller(&services, &headers).await {
                        Ok(Caller::Known(actor)) => actor,
                        Ok(Caller::Rejected) => {
                            return Err(async_graphql::Error::new(
                                "This sign-in has expired or was ended. Sign in again.",
                            ));
                        }
                        Err(e) => return Err(crate::error::to_gql(e)),
                    };
                    let mut data = async_graphql::Data::default();
                    data.insert(actor);
                    data.insert(Loaders::new(&services));
                    Ok(data)
                })
                .serve()
        })
}

/// A report as CSV (`GET /reports/{name}.csv`). Staff only.
pub async fn report_csv(
    State(app): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let Some(name) = file.strip_suffix(".csv") else {
        return (StatusCode::NOT_FOUND, "Reports are served as <name>.csv.").into_response();
    };
    let actor = match auth::caller(&app.services, &headers).await {
        Ok(Caller::Known(actor)) => actor,
        Ok(Caller::Rejected) => {
            return (
                StatusCode::UNAUTHORIZED,
                "This sign-in has expired or was ended. Sign in again.",
            )
                .into_response();
        }
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                crate::error::to_gql(e).message,
            )
                .into_response();
        }
    };
    match domain::services::reports::report(&app.services, &actor, name).await {
        Ok(table) => {
            let mut response = table.to_csv().into_response();
            let h = response.headers_mut();
            if let Ok(v) = "text/csv; charset=utf-8".parse() {
                h.insert(axum::http::header::CONTENT_TYPE, v);
            }
            if let Ok(v) = format!("attachment; filename=\"{name}.csv\"").parse() {
                h.insert(axum::http::header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(domain::DomainError::NotFound(_)) => {
            (StatusCode::NOT_FOUND, "No such report.").into_response()
        }
        Err(domain::DomainError::Unauthenticated) => {
            (StatusCode::UNAUTHORIZED, "Sign in to read reports.").into_response()
        }
        Err(domain::DomainError::Forbidden(m)) => (StatusCode::FORBIDDEN, m).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            crate::error::to_gql(e).message,
        )
            .into_response(),
    }
}
