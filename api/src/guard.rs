//! A safety net for errors: every error that leaves the server has `extensions.code`, and
//! an error raised inside a resolver without one (a conversion someone forgot) has its
//! text replaced, since it may carry internal details.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::{Response, ServerError};
use std::sync::Arc;

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    // `request` wraps parsing and validation (syntax errors, the depth and complexity
    // limits) as well as execution; `execute` would see only the errors of execution.
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            ensure_code(error);
        }
        response
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
