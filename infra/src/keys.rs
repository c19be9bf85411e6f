//! The credential-signing key: from configuration, or generated once and kept on disk.

use crate::settings::Settings;
use credentials::SigningKey;

/// The key could not be read or stored.
#[derive(Debug, thiserror::Error)]
#[error("credential signing key: {0}")]
pub struct KeyError(String);

/// The configured key, or the one stored under `DATA_DIR` (generated on first start).
/// Losing the stored key changes the issuer of future credentials, so it is written once
/// and never replaced.
pub fn credential_key(settings: &Settings) -> Result<SigningKey, KeyError> {
    if let Some(encoded) = &settings.credential_signing_key {
        return SigningKey::from_base64url(encoded).map_err(|e| KeyError(e.to_string()));
    }
    let path = settings.data_dir.join("credential-signing-key");
    match std::fs::read_to_string(&path) {
        Ok(text) => SigningKey::from_base64url(text.trim())
            .map_err(|e| KeyError(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&settings.data_dir).map_err(|e| KeyError(e.to_string()))?;
            let key = SigningKey::generate();
            write_private(&path, &key.to_base64url())
                .map_err(|e| KeyError(format!("{}: {e}", path.display())))?;
            tracing::warn!(path = %path.display(), did = %key.did(), "generated a new credential signing key; back it up");
            Ok(key)
        }
        Err(e) => Err(KeyError(format!("{}: {e}", path.display()))),
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
