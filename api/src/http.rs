//! HTTP endpoints: `POST /graphql`, GraphiQL at `/`, `/healthz` and `/readyz`.

use crate::AppState;
use crate::auth::{self, Caller};
use crate::edge;
use crate::graphql::loaders::Loaders;
use async_graphql::{BatchRequest, Executor, ServerError};
use async_graphql_axum::GraphQLResponse;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

fn error_response(code: &'static str, message: &str) -> Response {
    GraphQLResponse::from(async_graphql::Response::from_errors(vec![
        crate::guard::coded(code, message),
    ]))
    .into_response()
}

/// Executes one GraphQL operation. The caller is known before the body is read, so an
/// anonymous upload is refused without reading it. Batches (a JSON array) are refused: a
/// batch would let one HTTP request carry unbounded work past the per-request limits.
pub async fn graphql(
    State(app): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    request: axum::extract::Request,
) -> Response {
    let peer = peer.map(|p| (p.0).0);
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let actor = match auth::caller(&app.services, &headers).await {
        Ok(Caller::Known(actor)) => actor,
        Ok(Caller::Rejected) => {
            return edge::refusal_closing(
                StatusCode::OK,
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
    let signed_in = !matches!(actor, domain::Actor::Anonymous);
    let request = match edge::body::read(&app.edge, &headers, body, signed_in).await {
        Ok(BatchRequest::Single(r)) => r,
        Ok(BatchRequest::Batch(_)) => {
            return error_response(
                "BATCH_NOT_SUPPORTED",
                "Send one operation per request; batched requests are not accepted.",
            );
        }
        Err(refused) => return *refused,
    };
    let client = crate::graphql::car::ClientInfo {
        ip: app
            .edge
            .proxies
            .client(&headers, peer.map(|p| p.ip()))
            .map(|ip| ip.to_string()),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| crate::guard::cut(ua, 256)),
    };
    let request = request
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
    edge::graphiql::page()
}

/// GraphiQL's start-up script.
pub async fn graphiql_init(State(app): State<AppState>) -> Response {
    if !app.introspection {
        return StatusCode::NOT_FOUND.into_response();
    }
    edge::graphiql::init_script()
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
            let disposition = content_disposition(&doc.filename);
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

/// `attachment` with the stored file name: an ASCII fallback, and the exact name in
/// RFC 8187 form, so no character of it can end the header or start another.
fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ._-()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = percent_encode(filename);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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
