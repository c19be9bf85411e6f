//! GraphQL over WebSocket at `/graphql/ws` (the graphql-ws protocol, and the older
//! subscriptions-transport-ws). The bearer token travels in the `connection_init` payload
//! as `{"Authorization": "Bearer <token>"}`, since browsers cannot set headers on a
//! WebSocket.
//!
//! A socket outlives any one request, so it never keeps the caller it began with:
//! - every operation looks the session up again (through the session cache the HTTP path
//!   uses) and runs with that actor and fresh loaders; a session that has ended, or whose
//!   roles differ from those the socket began with, refuses the operation and closes the
//!   socket;
//! - the socket hears every session change announced by the cache (made in this process,
//!   or heard from the database by `infra::session_events`) and reads its session again
//!   at once, and also every `session_recheck` as a bound for anything unheard, such as
//!   the session's expiry. A session that ended closes the socket with 4401, a change of
//!   roles with 4403 (the client connects again and gets what it may now do);
//! - one socket runs at most `max_operations` operations at once, reads messages of at
//!   most `max_message_bytes`, must send `connection_init` within `init_timeout`, and a
//!   panic inside an operation ends that operation only.

use crate::AppState;
use crate::auth::{self, Caller};
use crate::graphql::car::ClientInfo;
use crate::graphql::loaders::Loaders;
use crate::guard::{CodedSchema, coded};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response, ServerError};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use domain::{Actor, DomainResult};
use futures::stream::{self, BoxStream};
use futures::{SinkExt as _, StreamExt as _};
use infra::settings::WebSocketSettings;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::str::FromStr as _;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// Opens a GraphQL WebSocket.
pub async fn graphql_ws(
    State(app): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> axum::response::Response {
    let Some(protocol) = protocol(&headers) else {
        return (
            StatusCode::BAD_REQUEST,
            "Ask for the graphql-transport-ws or graphql-ws protocol (Sec-WebSocket-Protocol).",
        )
            .into_response();
    };
    let Ok(slot) = app.edge.sockets.clone().try_acquire_owned() else {
        return crate::edge::refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "BUSY",
            "Too many live connections are open; try again in a moment.",
        );
    };
    let limits = app.edge.settings.websocket;
    let client = ClientInfo {
        ip: app
            .edge
            .proxies
            .client(&headers, peer.map(|p| (p.0).0.ip()))
            .map(|ip| ip.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| crate::guard::cut(ua, 256)),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .on_upgrade(move |socket| async move {
            serve(app, socket, protocol, client, limits).await;
            drop(slot);
        })
}

fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
}

/// Why a socket is closed because of its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    SignedOut,
    RolesChanged,
}

impl Ending {
    fn close_frame(self) -> (u16, &'static str) {
        match self {
            Ending::SignedOut => (
                4401,
                "This sign-in has expired or was ended. Sign in again.",
            ),
            Ending::RolesChanged => (4403, "Your roles have changed. Connect again."),
        }
    }

    fn refusal(self) -> Response {
        let error = match self {
            Ending::SignedOut => coded(
                "UNAUTHENTICATED",
                "This sign-in has expired or was ended. Sign in again.",
            ),
            Ending::RolesChanged => coded(
                "FORBIDDEN",
                "Your roles have changed since this connection opened. Connect again.",
            ),
        };
        Response::from_errors(vec![error])
    }
}

/// How the socket signed in: the credential it sent, and who that was then.
struct SignedIn {
    headers: HeaderMap,
    actor: Actor,
}

/// One socket's state, shared by its loop and its operations.
struct Connection {
    services: domain::Context,
    client: ClientInfo,
    signed_in: OnceLock<SignedIn>,
    /// Set by an operation that found the session gone; the loop then closes the socket.
    ending: watch::Sender<Option<Ending>>,
    operations: Arc<Semaphore>,
    max_operations: usize,
}

impl Connection {
    /// Authenticates `connection_init`'s payload and remembers it for later operations.
    async fn initialise(&self, payload: serde_json::Value) -> async_graphql::Result<Data> {
        let token = payload
            .as_object()
            .and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            })
            .and_then(|(_, v)| v.as_str());
        let mut headers = HeaderMap::new();
        if let Some(token) = token {
            let Ok(value) = token.parse() else {
                return Err(async_graphql::Error::new(
                    "This sign-in has expired or was ended. Sign in again.",
                ));
            };
            headers.insert(header::AUTHORIZATION, value);
        }
        let actor = match auth::caller(&self.services, &headers).await {
            Ok(Caller::Known(actor)) => actor,
            Ok(Caller::Rejected) => {
                return Err(async_graphql::Error::new(
                    "This sign-in has expired or was ended. Sign in again.",
                ));
            }
            Err(e) => return Err(crate::error::to_gql(e)),
        };
        // The protocol runs `connection_init` once per socket, so this is the first set.
        let _ = self.signed_in.set(SignedIn { headers, actor });
        // Nothing about the caller goes into the connection's data: each operation gets
        // the actor as it is when the operation starts.
        Ok(Data::default())
    }

    fn initialised(&self) -> bool {
        self.signed_in.get().is_some()
    }

    /// The account the socket signed in as, if any.
    fn account_id(&self) -> Option<i64> {
        self.signed_in.get().and_then(|s| s.actor.account_id())
    }

    /// The caller as the session stands now, or why the socket must close.
    async fn current(&self) -> DomainResult<Result<Actor, Ending>> {
        let Some(signed_in) = self.signed_in.get() else {
            return Ok(Err(Ending::SignedOut));
        };
        Ok(
            match auth::caller(&self.services, &signed_in.headers).await? {
                Caller::Rejected => Err(Ending::SignedOut),
                // Running subscriptions were authorised under the old roles; the client
                // starts afresh under the new ones.
                Caller::Known(actor) if actor != signed_in.actor => Err(Ending::RolesChanged),
                Caller::Known(actor) => Ok(actor),
            },
        )
    }

    fn end(&self, ending: Ending) {
        self.ending.send_if_modified(|current| {
            let first = current.is_none();
            if first {
                *current = Some(ending);
            }
            first
        });
    }
}

/// The schema as one socket executes it: each operation under the session as it is now,
/// within the socket's bounds.
#[derive(Clone)]
struct SocketExecutor {
    schema: CodedSchema,
    connection: Arc<Connection>,
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: Request) -> Response {
        // The WebSocket protocol runs everything as a stream; this is its first answer.
        self.execute_stream(request, None)
            .next()
            .await
            .unwrap_or_default()
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let Ok(permit) = self.connection.operations.clone().try_acquire_owned() else {
            let refusal = Response::from_errors(vec![coded(
                "TOO_MANY_OPERATIONS",
                format!(
                    "At most {} operations run at once on one connection; complete one first.",
                    self.connection.max_operations
                ),
            )]);
            return stream::once(async move { refusal }).boxed();
        };
        let connection = self.connection.clone();
        let schema = self.schema.clone();
        let operation = stream::once(async move {
            match connection.current().await {
                Ok(Ok(actor)) => {
                    let request = request
                        .data(actor)
                        .data(connection.client.clone())
                        .data(Loaders::new(&connection.services));
                    schema.execute_stream(request, session_data)
                }
                Ok(Err(ending)) => {
                    connection.end(ending);
                    stream::once(async move { ending.refusal() }).boxed()
                }
                Err(e) => {
                    let e = crate::error::to_gql(e);
                    let mut error = ServerError::new(e.message, None);
                    error.extensions = e.extensions;
                    stream::once(async move { Response::from_errors(vec![error]) }).boxed()
                }
            }
        })
        .flatten();
        guarded(operation, permit)
    }
}

/// `operation` holding its slot until it ends or is dropped, with a panic inside it ending
/// it with an internal error rather than taking the socket (and its other operations)
/// down.
fn guarded(
    operation: impl futures::Stream<Item = Response> + Send + 'static,
    permit: OwnedSemaphorePermit,
) -> BoxStream<'static, Response> {
    AssertUnwindSafe(operation)
        .catch_unwind()
        .map(move |answer| {
            let _slot = &permit;
            answer.unwrap_or_else(|_| {
                let e = crate::error::internal(&"a WebSocket operation panicked");
                let mut error = ServerError::new(e.message, None);
                error.extensions = e.extensions;
                Response::from_errors(vec![error])
            })
        })
        .boxed()
}

/// A close frame with `code` and `reason`.
fn close_message(code: u16, reason: impl Into<String>) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into().into(),
    }))
}

async fn serve(
    app: AppState,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    client: ClientInfo,
    limits: WebSocketSettings,
) {
    // Heard from before `connection_init` is authenticated, so that no change between that
    // lookup and the first check goes unheard.
    let mut changes = app.services.sessions().changes();
    let (ending, mut ended) = watch::channel(None);
    let connection = Arc::new(Connection {
        services: app.services.clone(),
        client,
        signed_in: OnceLock::new(),
        ending,
        operations: Arc::new(Semaphore::new(limits.max_operations)),
        max_operations: limits.max_operations,
    });
    let (mut sink, stream) = socket.split();
    let read_error: Arc<Mutex<Option<axum::Error>>> = Arc::default();
    let input = {
        let read_error = read_error.clone();
        stream
            .scan((), move |(), message| {
                futures::future::ready(match message {
                    Ok(message) => Some(message),
                    Err(e) => {
                        *read_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        None
                    }
                })
            })
            .filter_map(|message| {
                futures::future::ready(match message {
                    Message::Text(_) | Message::Binary(_) => Some(message.into_data()),
                    _ => None,
                })
            })
    };
    let init = connection.clone();
    let executor = SocketExecutor {
        schema: app.schema.clone(),
        connection: connection.clone(),
    };
    let mut protocol_stream = Box::pin(
        async_graphql::http::WebSocket::new(executor, input, protocol)
            .on_connection_init(move |payload| async move { init.initialise(payload).await }),
    );
    let init_deadline = tokio::time::sleep(limits.init_timeout);
    tokio::pin!(init_deadline);
    let every = limits
        .session_recheck
        .max(std::time::Duration::from_secs(1));
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut hearing = true;

    let close = loop {
        let check = tokio::select! {
            message = protocol_stream.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break None;
                    }
                    false
                }
                Some(WsMessage::Close(code, reason)) => break Some(close_message(code, reason)),
                None => {
                    let error = read_error.lock().unwrap_or_else(|p| p.into_inner()).take();
                    break error.and_then(|e| read_failure(&e, limits.max_message_bytes));
                }
            },
            Ok(()) = ended.changed() => {
                let ending = *ended.borrow_and_update();
                if let Some(ending) = ending {
                    let (code, reason) = ending.close_frame();
                    break Some(close_message(code, reason));
                }
                false
            }
            () = &mut init_deadline, if !connection.initialised() => {
                break Some(close_message(4408, "Connection initialisation timeout"));
            }
            change = changes.recv(), if hearing && connection.initialised() => match change {
                Ok(change) => connection.account_id().is_some_and(|id| change.concerns(id)),
                Err(RecvError::Lagged(_)) => connection.account_id().is_some(),
                Err(RecvError::Closed) => {
                    hearing = false;
                    false
                }
            },
            _ = recheck.tick(), if connection.initialised() => connection.account_id().is_some(),
        };
        if check {
            match connection.current().await {
                Ok(Ok(_)) => {}
                Ok(Err(ending)) => {
                    let (code, reason) = ending.close_frame();
                    break Some(close_message(code, reason));
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "could not read a WebSocket's session again");
                }
            }
        }
    };
    // Ends every operation (and frees its slot) before saying goodbye.
    drop(protocol_stream);
    if let Some(close) = close {
        let _ = sink.send(close).await;
    }
    let _ = sink.close().await;
}

/// The close frame for a read that failed: a message over the bound is the client's to
/// hear about; anything else means the connection is already gone.
fn read_failure(error: &axum::Error, max_message_bytes: usize) -> Option<Message> {
    // axum does not expose tungstenite's error type; its capacity errors say this.
    error.to_string().contains("Space limit exceeded").then(|| {
        close_message(
            1009,
            format!("Messages are limited to {max_message_bytes} bytes."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_operation_ends_with_an_internal_error_and_frees_its_slot() {
        let slots = Arc::new(Semaphore::new(1));
        let permit = slots.clone().try_acquire_owned().unwrap();
        let panicking = stream::iter([false, true]).map(|boom| {
            assert!(!boom, "a resolver's bug");
            Response::default()
        });
        let answers: Vec<Response> = guarded(panicking, permit).collect().await;
        assert_eq!(answers.len(), 2);
        assert!(answers[0].errors.is_empty());
        let code = answers[1].errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code").cloned());
        assert_eq!(code, Some(async_graphql::Value::from("INTERNAL")));
        assert_eq!(slots.available_permits(), 1);
    }

    #[test]
    fn the_protocol_is_read_from_the_offered_list() {
        let mut h = HeaderMap::new();
        assert_eq!(protocol(&h), None);
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            "foo, graphql-transport-ws".parse().unwrap(),
        );
        assert_eq!(protocol(&h), Some(WebSocketProtocols::GraphQLWS));
    }
}
