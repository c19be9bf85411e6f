//! Uploaded documents. Files are sent as GraphQL multipart requests (the `Upload` scalar)
//! and read back at `GET /documents/{id}` with the same bearer token.

use super::{actor, services};
use crate::error::{UserError, payload};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use domain::services::documents;
use entity::document;
use std::io::Read;

/// Why a document was uploaded; decides who may read it.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::document::DocumentPurpose")]
pub enum DocumentPurpose {
    PortfolioEvidence,
    CourseCompletion,
    CourseCurriculum,
    RenewalEvidence,
    Other,
}

/// An uploaded file's metadata.
pub struct Document(pub document::Model);

#[Object]
impl Document {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn filename(&self) -> &str {
        &self.0.filename
    }

    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }

    /// Hex SHA-256 of the bytes, checked whenever they are read back.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }

    async fn purpose(&self) -> DocumentPurpose {
        self.0.purpose.into()
    }

    /// Where to download it (with your bearer token).
    async fn url(&self) -> String {
        format!("/documents/{}", self.0.id)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct UploadDocumentInput {
    pub purpose: DocumentPurpose,
    /// The file, as a multipart upload.
    pub file: Upload,
}

#[derive(SimpleObject)]
pub struct UploadDocumentPayload {
    pub document: Option<Document>,
    #[graphql(complexity = "super::cost::list(super::cost::USER_ERRORS, child_complexity)")]
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct DocumentMutation;

#[Object]
impl DocumentMutation {
    /// Uploads a file (PDF, office document, image, audio or video, up to the size limit).
    /// You become its owner and can attach it where a document is asked for.
    async fn upload_document(
        &self,
        ctx: &Context<'_>,
        input: UploadDocumentInput,
    ) -> Result<UploadDocumentPayload> {
        let value = input.file.value(ctx)?;
        let limit = services(ctx).config.documents.max_bytes;
        let mut bytes = Vec::new();
        // One byte over the limit is enough to refuse it with a clear message.
        value
            .content
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| crate::error::internal(&e))?;
        let upload = documents::Upload {
            purpose: input.purpose.into(),
            filename: value.filename,
            content_type: value.content_type,
            bytes: bytes.into(),
        };
        let (doc, user_errors) =
            payload(documents::upload(services(ctx), actor(ctx), upload).await)?;
        Ok(UploadDocumentPayload {
            document: doc.map(Document),
            user_errors,
        })
    }
}
