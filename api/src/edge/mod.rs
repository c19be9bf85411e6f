//! The HTTP edge: what every request passes before a resolver sees it. Bodies are read
//! within bounds (`body`), connections are accepted within bounds (`serve`), every response
//! carries the security headers, cross-origin calls are allowed only from configured
//! origins, a request that runs too long or panics is answered, and the client's address
//! comes from `X-Forwarded-For` only when a trusted proxy set it.

pub mod body;
pub mod graphiql;
pub mod proxies;
pub mod scan;
pub mod serve;
pub mod shape;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

/// What the edge needs from the settings, resolved once.
#[derive(Debug)]
pub struct Edge {
    pub settings: infra::settings::EdgeSettings,
    pub proxies: proxies::TrustedProxies,
    /// Send `Strict-Transport-Security`: the API's public address is https.
    pub https: bool,
    /// The most a document upload may hold, from the programme's configuration.
    pub max_upload_bytes: usize,
    /// Open WebSockets: once upgraded, a socket no longer holds a connection slot of the
    /// accept loop, so it holds one of these instead (as many as `HTTP_MAX_CONNECTIONS`).
    pub sockets: Arc<tokio::sync::Semaphore>,
}

impl Edge {
    pub fn new(
        settings: infra::settings::EdgeSettings,
        public_url: &str,
        max_upload_bytes: u64,
    ) -> Result<Self, proxies::BadProxy> {
        Ok(Self {
            proxies: proxies::TrustedProxies::parse(&settings.trusted_proxies)?,
            sockets: Arc::new(tokio::sync::Semaphore::new(settings.max_connections.max(1))),
            settings,
            https: public_url.starts_with("https://"),
            max_upload_bytes: usize::try_from(max_upload_bytes).unwrap_or(usize::MAX),
        })
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.settings.request_timeout_secs.max(1))
    }
}

/// A GraphQL-shaped error body with `code`, at `status`.
pub fn refusal(status: StatusCode, code: &'static str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, axum::Json(body)).into_response()
}

/// The same, for a request whose body is left unread: the connection cannot be reused.
pub fn refusal_closing(status: StatusCode, code: &'static str, message: &str) -> Response {
    let mut response = refusal(status, code, message);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Answers `503 TIMEOUT` for a request still running after the configured time, and
/// `500 INTERNAL` for one whose handler panicked; either way the process serves on.
pub async fn bounded(State(edge): State<Arc<Edge>>, request: Request, next: Next) -> Response {
    let run = AssertUnwindSafe(next.run(request)).catch_unwind();
    match tokio::time::timeout(edge.request_timeout(), run).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) => {
            tracing::error!("a request handler panicked");
            refusal_closing(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "Something went wrong on our side. Please try again later.",
            )
        }
        Err(_) => refusal_closing(
            StatusCode::SERVICE_UNAVAILABLE,
            "TIMEOUT",
            "The request took too long and was stopped. Try again, or ask for less at once.",
        ),
    }
}

/// The headers every response carries unless its handler chose otherwise (GraphiQL sets
/// its own policy; public status lists may be cached).
pub async fn security_headers(
    State(edge): State<Arc<Edge>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let defaults: [(HeaderName, &'static str); 6] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    if edge.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Cross-origin calls from the configured origins only; none are configured by default,
/// so a browser on another site cannot read an answer.
pub async fn cors(State(edge): State<Arc<Edge>>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let allowed = edge
        .settings
        .cors_allowed_origins
        .iter()
        .any(|o| o == "*" || o.eq_ignore_ascii_case(&origin));
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        if !allowed {
            return refusal(
                StatusCode::FORBIDDEN,
                "ORIGIN_NOT_ALLOWED",
                "This origin may not call the API.",
            );
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        allow(response.headers_mut(), &origin);
        let h = response.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, x-request-id"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        return response;
    }
    let mut response = next.run(request).await;
    if allowed {
        allow(response.headers_mut(), &origin);
    }
    response
}

fn allow(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}
