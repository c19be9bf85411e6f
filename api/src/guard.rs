//! A safety net for errors: every error that leaves the server has `extensions.code`, and
//! an error raised inside a resolver without one (a conversion someone forgot) has its
//! text replaced, since it may carry internal details.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
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
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
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
