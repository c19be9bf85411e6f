//! The schema as HTTP and WebSocket both execute it: every document is bounded before the
//! recursive parser sees it and measured before anything runs, and every error that
//! leaves has `extensions.code` and a bounded message.
//!
//! The checks wrap the schema as an [`Executor`] rather than being an async-graphql
//! extension: with any extension installed, the executor builds a `ResolveInfo` (two
//! registry lookups) and a boxed future for every field of every answer, which on a page
//! of 50 candidates (about 3,000 fields) was a measurable share of the request's CPU.

use crate::edge::{scan, shape};
use crate::graphql::ApiSchema;
use crate::parsed_documents::ParsedDocuments;
use async_graphql::{Data, Executor, Request, Response, ServerError, Value};
use futures::stream::{self, BoxStream, StreamExt};
use std::sync::Arc;

/// Longest error message sent to a client; longer ones (an echo of a huge input) are cut.
pub const MAX_ERROR_MESSAGE: usize = 500;

/// Bounds on one GraphQL document and its variables.
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    pub max_query_bytes: usize,
    pub max_nesting: usize,
    pub max_fields: usize,
}

impl From<&infra::settings::EdgeSettings> for DocumentLimits {
    fn from(edge: &infra::settings::EdgeSettings) -> Self {
        Self {
            max_query_bytes: edge.max_query_bytes,
            max_nesting: edge.max_nesting,
            max_fields: edge.max_fields,
        }
    }
}

/// The schema with its document bounds and its cache of parsed documents.
#[derive(Clone)]
pub struct CodedSchema {
    schema: ApiSchema,
    documents: Arc<ParsedDocuments>,
    limits: DocumentLimits,
}

impl CodedSchema {
    pub fn new(schema: ApiSchema, documents: Arc<ParsedDocuments>, limits: DocumentLimits) -> Self {
        Self {
            schema,
            documents,
            limits,
        }
    }

    /// `request` parsed (from the cache when its text was seen before) and within every
    /// bound, or the coded refusal to send instead.
    fn admit(&self, request: Request) -> Result<Request, Box<Response>> {
        check_text(&request, &self.limits).map_err(refusal)?;
        let mut request = self.documents.prepare(request);
        let Ok(doc) = request.parsed_query() else {
            // The executor reports the syntax error, as it always has.
            return Ok(request);
        };
        let measured = shape::measure(doc, self.limits.max_nesting).map_err(|e| match e {
            shape::ShapeError::TooDeep => refusal(too_deep(&self.limits)),
            shape::ShapeError::FragmentCycle(name) => refusal(coded(
                "GRAPHQL_VALIDATION_FAILED",
                format!("Fragment “{}” spreads itself.", cut(&name, 100)),
            )),
            shape::ShapeError::UnknownFragment(name) => refusal(coded(
                "GRAPHQL_VALIDATION_FAILED",
                format!("Unknown fragment “{}”.", cut(&name, 100)),
            )),
        })?;
        check_shape(&measured, &self.limits).map_err(refusal)?;
        Ok(request)
    }
}

impl Executor for CodedSchema {
    async fn execute(&self, request: Request) -> Response {
        let request = match self.admit(request) {
            Ok(request) => request,
            Err(refused) => return *refused,
        };
        let mut response = self.schema.execute(request).await;
        ensure_codes(&mut response);
        response
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let request = match self.admit(request) {
            Ok(request) => request,
            Err(refused) => return stream::once(async move { *refused }).boxed(),
        };
        Executor::execute_stream(&self.schema, request, session_data)
            .map(|mut response| {
                ensure_codes(&mut response);
                response
            })
            .boxed()
    }
}

fn refusal(error: ServerError) -> Box<Response> {
    Box::new(Response::from_errors(vec![error]))
}

/// A server error with `code`.
pub fn coded(code: &'static str, message: impl Into<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    error.extensions = Some(ext);
    error
}

fn too_deep(limits: &DocumentLimits) -> ServerError {
    coded(
        "QUERY_TOO_DEEP",
        format!(
            "The document nests more than {} levels deep; send a flatter one.",
            limits.max_nesting
        ),
    )
}

/// The bounds that need only the text: its length, the nesting of its brackets and of
/// its variables.
fn check_text(request: &Request, limits: &DocumentLimits) -> Result<(), ServerError> {
    if request.query.len() > limits.max_query_bytes {
        return Err(coded(
            "QUERY_TOO_LARGE",
            format!(
                "The document is {} bytes; at most {} are accepted.",
                request.query.len(),
                limits.max_query_bytes
            ),
        ));
    }
    if scan::graphql_nesting(&request.query, limits.max_nesting) > limits.max_nesting {
        return Err(too_deep(limits));
    }
    let mut nul = request.query.contains('\0');
    for value in request.variables.values() {
        let (depth, has_nul) = inspect(value, limits.max_nesting);
        if depth > limits.max_nesting {
            return Err(coded(
                "VARIABLES_TOO_DEEP",
                format!(
                    "The variables nest more than {} levels deep.",
                    limits.max_nesting
                ),
            ));
        }
        nul |= has_nul;
    }
    if nul {
        return Err(nul_refusal());
    }
    Ok(())
}

fn nul_refusal() -> ServerError {
    coded(
        "BAD_USER_INPUT",
        "Text may not contain the NUL character (U+0000).",
    )
}

/// How deeply lists and objects nest in `value` (stopping past `limit`), and whether a
/// string in it holds NUL, which no database column takes; without recursion.
fn inspect(value: &Value, limit: usize) -> (usize, bool) {
    let mut deepest = 0;
    let mut nul = false;
    let mut pending = vec![(value, 0usize)];
    while let Some((value, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        if deepest > limit {
            break;
        }
        match value {
            Value::String(text) => nul |= text.contains('\0'),
            Value::List(items) => pending.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(fields) => {
                for (name, v) in fields {
                    nul |= name.contains('\0');
                    pending.push((v, depth + 1));
                }
            }
            _ => {}
        }
    }
    (deepest, nul)
}

fn check_shape(measured: &shape::Shape, limits: &DocumentLimits) -> Result<(), ServerError> {
    if measured.fields > limits.max_fields {
        return Err(coded(
            "TOO_MANY_FIELDS",
            format!(
                "The operation selects {} fields (aliases, __typename and every use of a fragment count); at most {} are accepted.",
                measured.fields, limits.max_fields
            ),
        ));
    }
    if measured.schema_introspections > 1 {
        return Err(coded(
            "TOO_MANY_FIELDS",
            "Ask for __schema at most once per request.",
        ));
    }
    if measured.nul_text {
        return Err(nul_refusal());
    }
    if measured.credential_checks > 1 {
        return Err(coded(
            "TOO_MANY_CREDENTIAL_CHECKS",
            "Register, sign in or change a password once per request; send the others separately.",
        ));
    }
    Ok(())
}

fn ensure_codes(response: &mut Response) {
    for error in &mut response.errors {
        ensure_code(error);
        if error.message.chars().count() > MAX_ERROR_MESSAGE {
            error.message = cut(&error.message, MAX_ERROR_MESSAGE);
        }
    }
}

/// `text` cut to `max` characters, marked as cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
}

/// async-graphql reports an argument it cannot coerce (a date that is not one, a string
/// where an input object belongs) from inside the field, with a path, in these words: the
/// client's mistake, not ours.
fn is_argument_error(message: &str) -> bool {
    message.starts_with("Failed to parse \"")
        || message.starts_with("Invalid value for argument")
        || message.starts_with("Expected input type \"")
}

/// Codes an error that has none: inside a resolver it is an unmapped internal error;
/// outside (parsing, validation, limits) its text is the client's own mistake and stays.
pub fn ensure_code(error: &mut ServerError) {
    if has_code(error) {
        return;
    }
    if error.path.is_empty() || is_argument_error(&error.message) {
        let code = if error.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "BAD_USER_INPUT"
        };
        let mut ext = error.extensions.take().unwrap_or_default();
        ext.set("code", code);
        error.extensions = Some(ext);
    } else {
        let replacement = crate::error::internal(&error.message);
        error.message = replacement.message;
        error.extensions = replacement.extensions;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_depth_and_nul_are_found_without_recursion() {
        let mut v = Value::Null;
        for _ in 0..100_000 {
            v = Value::List(vec![v]);
        }
        assert_eq!(inspect(&v, 32), (33, false));
        let flat = Value::List(vec![Value::Null; 10]);
        assert_eq!(inspect(&flat, 32), (1, false));
        let nul = Value::List(vec![Value::String("a\0b".to_owned())]);
        assert_eq!(inspect(&nul, 32), (1, true));
        // Dropping a deep value recurses too; keep it from this thread's stack.
        std::mem::forget(v);
    }

    #[test]
    fn argument_coercion_errors_are_the_clients_and_others_are_internal() {
        let mut e = ServerError::new(
            "Failed to parse \"NaiveDate\": input contains invalid characters",
            None,
        );
        e.path = vec![async_graphql::PathSegment::Field(
            "recordPayment".to_owned(),
        )];
        ensure_code(&mut e);
        assert_eq!(
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .map(ToString::to_string),
            Some("\"BAD_USER_INPUT\"".to_owned())
        );
        assert!(e.message.contains("NaiveDate"));
        let mut e = ServerError::new("connection refused at 10.0.0.5", None);
        e.path = vec![async_graphql::PathSegment::Field("me".to_owned())];
        ensure_code(&mut e);
        assert!(!e.message.contains("10.0.0.5"), "{}", e.message);
    }

    #[test]
    fn long_messages_are_cut_at_a_character() {
        assert_eq!(cut("ééé", 2), "éé…");
        assert_eq!(cut("ab", 2), "ab");
    }
}
