//! Uploaded documents: checked, stored with a checksum, and read back only by those
//! entitled to them.

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::context::Context;
use crate::error::{DomainError, DomainResult};
use crate::rules::documents::{check_upload, clean_filename};
use crate::services::document_access;
use bytes::Bytes;
use entity::document::{self, DocumentPurpose};
use object_store::path::Path as StorePath;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;
use sha2::{Digest, Sha256};

/// An upload as it arrives.
#[derive(Debug, Clone)]
pub struct Upload {
    pub purpose: DocumentPurpose,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

fn storage_key(ctx: &Context) -> String {
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    format!(
        "documents/{}/{}",
        ctx.today().format("%Y/%m"),
        hex::encode(random)
    )
}

/// Stores an upload for the signed-in caller, who becomes its owner. The bytes are
/// written first; if recording them fails, they are deleted again.
pub async fn upload(ctx: &Context, actor: &Actor, upload: Upload) -> DomainResult<document::Model> {
    let viewer = actor.viewer()?;
    let filename = clean_filename(&upload.filename);
    let head = &upload.bytes[..upload.bytes.len().min(16)];
    let media_type = check_upload(
        &ctx.config.documents,
        &filename,
        upload.content_type.as_deref(),
        upload.bytes.len() as u64,
        head,
    )?;
    let sha256 = hex::encode(Sha256::digest(&upload.bytes));
    let key = storage_key(ctx);
    let size = upload.bytes.len() as i64;
    ctx.documents
        .put(&StorePath::from(key.as_str()), upload.bytes.into())
        .await
        .map_err(DomainError::internal)?;
    let now = ctx.now();
    let recorded = async {
        let txn = ctx.begin_write().await?;
        let row = document::ActiveModel {
            owner_account_id: Set(Some(viewer.account_id)),
            purpose: Set(upload.purpose),
            filename: Set(filename),
            content_type: Set(media_type),
            size_bytes: Set(size),
            sha256: Set(sha256),
            storage_key: Set(key.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        AuditEntry::new("document.upload", "document", row.id)
            .after(json!({
                "filename": row.filename,
                "contentType": row.content_type,
                "sizeBytes": row.size_bytes,
                "sha256": row.sha256,
                "purpose": row.purpose,
            }))
            .write(&txn, actor, now)
            .await?;
        txn.commit().await?;
        Ok::<_, DomainError>(row)
    }
    .await;
    if recorded.is_err() {
        let _ = ctx.documents.delete(&StorePath::from(key.as_str())).await;
    }
    recorded
}

/// Reads a document the caller may see, checking its bytes against the stored checksum.
pub async fn open(ctx: &Context, actor: &Actor, id: i64) -> DomainResult<(document::Model, Bytes)> {
    let doc = document::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(DomainError::NotFound("document"))?;
    if !document_access::can_read(ctx, actor, &doc).await? {
        return Err(DomainError::NotFound("document"));
    }
    let bytes = ctx
        .documents
        .get(&StorePath::from(doc.storage_key.as_str()))
        .await
        .map_err(DomainError::internal)?
        .bytes()
        .await
        .map_err(DomainError::internal)?;
    if hex::encode(Sha256::digest(&bytes)) != doc.sha256 {
        return Err(DomainError::bug(format!(
            "document {} does not match its checksum",
            doc.id
        )));
    }
    Ok((doc, bytes))
}

/// A document the caller owns, for attaching it to something of theirs.
pub async fn owned<C: sea_orm::ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
) -> DomainResult<document::Model> {
    let viewer = actor.viewer()?;
    let doc = document::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("document"))?;
    if doc.owner_account_id != Some(viewer.account_id) {
        return Err(DomainError::NotFound("document"));
    }
    Ok(doc)
}
