//! Secrets: opaque tokens and password hashes.
//!
//! Tokens are 256 random bits sent to the client once; only their SHA-256 is stored, so a
//! copy of the database cannot sign anyone in. Passwords are hashed with argon2id on a
//! blocking thread so that hashing never stalls the async runtime.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// argon2id cost: at least OWASP's minimum (m = 19 MiB, t = 2, p = 1).
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// A fresh opaque token: the text to hand out once, and the hash to store.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub plain: String,
    pub hash: String,
}

/// Makes a new random token.
pub fn issue_token() -> IssuedToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&plain);
    IssuedToken { plain, hash }
}

/// The stored form of a token.
pub fn hash_token(plain: &str) -> String {
    hex::encode(Sha256::digest(plain.as_bytes()))
}

/// A short random code of unambiguous capitals and digits (no 0/O, 1/I), for codes people
/// read aloud or type, such as certificate verification codes.
pub fn readable_code(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

fn argon2() -> Result<Argon2<'static>, argon2::Error> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Password hashing failed in a way that is our fault, not the user's.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes a password with argon2id and a random salt, off the async runtime.
pub async fn hash_password(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || {
        let mut salt_bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError(e.to_string()))?;
        argon2()
            .map_err(|e| HashError(e.to_string()))?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

/// Checks a password against a stored hash, off the async runtime. A malformed stored
/// hash counts as a mismatch.
pub async fn verify_password(password: String, stored: String) -> Result<bool, HashError> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return Ok(false);
        };
        // Verify with the parameters recorded in the hash, so old hashes keep working
        // after the cost is raised.
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_to_what_is_stored() {
        let a = issue_token();
        let b = issue_token();
        assert_ne!(a.plain, b.plain);
        assert_eq!(hash_token(&a.plain), a.hash);
        assert_eq!(a.plain.len(), 43);
    }

    #[test]
    fn readable_codes_avoid_ambiguous_characters() {
        let code = readable_code(200);
        assert!(!code.contains(['0', 'O', '1', 'I']));
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password("correct horse battery".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify_password("wrong horse battery".into(), hash)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_never_matches() {
        assert!(
            !verify_password("x".into(), "not a hash".into())
                .await
                .unwrap()
        );
    }
}
