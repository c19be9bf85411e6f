//! Where uploaded documents' bytes are kept: a directory under `DATA_DIR` by default, or
//! S3-compatible storage when `DOCUMENT_STORE_URL` names a bucket.

use crate::settings::Settings;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use std::sync::Arc;

/// The document store could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("document store: {0}")]
pub struct StoreError(String);

/// Opens the configured store. For `s3://bucket[/prefix]`, credentials, region and endpoint
/// come from the usual `AWS_*` variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_REGION`, `AWS_ENDPOINT` for MinIO and other S3-compatible services).
pub fn open(settings: &Settings) -> Result<Arc<dyn ObjectStore>, StoreError> {
    match settings.document_store_url.as_deref() {
        None => {
            let dir = settings.data_dir.join("documents");
            std::fs::create_dir_all(&dir)
                .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
            let store =
                LocalFileSystem::new_with_prefix(&dir).map_err(|e| StoreError(e.to_string()))?;
            Ok(Arc::new(store))
        }
        Some(url) if url.starts_with("s3://") => {
            let rest = url.trim_start_matches("s3://");
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let store = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| StoreError(e.to_string()))?;
            if prefix.trim_matches('/').is_empty() {
                Ok(Arc::new(store))
            } else {
                Ok(Arc::new(object_store::prefix::PrefixStore::new(
                    store,
                    prefix.trim_matches('/'),
                )))
            }
        }
        Some(url) if url.starts_with("file://") => {
            let dir = url.trim_start_matches("file://");
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError(format!("cannot create {dir}: {e}")))?;
            let store =
                LocalFileSystem::new_with_prefix(dir).map_err(|e| StoreError(e.to_string()))?;
            Ok(Arc::new(store))
        }
        Some(other) => Err(StoreError(format!(
            "DOCUMENT_STORE_URL must be s3://bucket[/prefix] or file:///path, not “{other}”"
        ))),
    }
}
