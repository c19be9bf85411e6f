//! A safety net for errors: every error that leaves the server has `extensions.code`, and
//! an error raised inside a resolver without one (a conversion someone forgot) has its
//! text replaced, since it may carry internal details.
//!
//! The net wraps the schema as an [`Executor`] rather than being an async-graphql
//! extension: with any extension installed, the executor builds a `ResolveInfo` (two
//! registry lookups) and a boxed future for every field of every answer, which on a page
//! of 50 candidates (about 3,000 fields) was a measurable share of the request's CPU.

use crate::graphql::ApiSchema;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use futures::stream::{BoxStream, StreamExt};
use std::sync::Arc;

/// The schema, with every response's errors coded; HTTP and WebSocket both execute
/// through it.
#[derive(Clone)]
pub struct CodedSchema(pub ApiSchema);

impl Executor for CodedSchema {
    async fn execute(&self, request: Request) -> Response {
        let mut response = self.0.execute(request).await;
        ensure_codes(&mut response);
        response
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        Executor::execute_stream(&self.0, request, session_data)
            .map(|mut response| {
                ensure_codes(&mut response);
                response
            })
            .boxed()
    }
}

fn ensure_codes(response: &mut Response) {
    for error in &mut response.errors {
        ensure_code(error);
    }
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
}

/// Codes an error that has none: inside a resolver it is an unmapped internal error;
/// outside (parsing, validation, limits) its text is the client's own mistake and stays.
pub fn ensure_code(error: &mut ServerError) {
    if has_code(error) {
        return;
    }
    if error.path.is_empty() {
        let mut ext = error.extensions.take().unwrap_or_default();
        ext.set("code", "GRAPHQL_VALIDATION_FAILED");
        error.extensions = Some(ext);
    } else {
        let replacement = crate::error::internal(&error.message);
        error.message = replacement.message;
        error.extensions = replacement.extensions;
    }
}
