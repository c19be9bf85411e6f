//! The programme's Ed25519 signing key and its `did:key` identity.
//!
//! The issuer is identified by a `did:key` ([did:key method]) so that any verifier can
//! resolve the public key offline from the identifier itself: no DID document has to be
//! hosted, and no network call is needed to check a certificate.
//!
//! [did:key method]: https://w3c-ccg.github.io/did-key-spec/

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer as _;
use rand::RngCore as _;

use crate::error::{CredentialError, Result};

/// The multicodec header of an Ed25519 public key (`ed25519-pub`, code 0xed, as an unsigned
/// varint: `0xed 0x01`). See the Multikey section of Controlled Identifiers v1.0 and
/// VC-DI-EDDSA §2.1.1.
pub(crate) const ED25519_PUB_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// The programme's signing key: an Ed25519 key pair ([RFC 8032]) kept as its 32-byte seed.
///
/// It is configured as `CREDENTIAL_SIGNING_KEY`, the seed in base64url ([`Self::to_base64url`],
/// [`Self::from_base64url`]); the embedded default generates one on first start
/// ([`Self::generate`]). Its public identity is the `did:key` returned by [`Self::did`], which
/// becomes the credentials' `issuer.id`; losing the seed means every credential issued so far
/// can no longer be re-signed by the same issuer, so the seed must be stored durably.
///
/// `Debug` prints the DID only, never the seed.
///
/// [RFC 8032]: https://www.rfc-editor.org/rfc/rfc8032
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// Builds the key from its 32-byte seed (the RFC 8032 "private key").
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// Reads the seed from base64url (RFC 4648 §5), as stored in `CREDENTIAL_SIGNING_KEY`.
    ///
    /// Surrounding whitespace and trailing `=` padding are tolerated, so that a value pasted
    /// from a padded encoder still loads; anything that is not exactly 32 bytes is refused.
    pub fn from_base64url(encoded: &str) -> Result<Self> {
        let trimmed = encoded.trim().trim_end_matches('=');
        let bytes = URL_SAFE_NO_PAD
            .decode(trimmed)
            .map_err(|e| CredentialError::InvalidKey(format!("not base64url: {e}")))?;
        let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            CredentialError::InvalidKey(format!("the seed is {} bytes, not 32", bytes.len()))
        })?;
        Ok(Self::from_seed(&seed))
    }

    /// Generates a fresh key from the thread-local CSPRNG of `rand` (ChaCha, seeded and
    /// periodically reseeded from the operating system).
    ///
    /// The seed is drawn with `rand` rather than through `ed25519-dalek`'s `rand_core`
    /// integration, whose `rand_core` version differs from the workspace's `rand`.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let key = Self::from_seed(&seed);
        seed.fill(0);
        key
    }

    /// The seed as unpadded base64url, the form [`Self::from_base64url`] reads back.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.to_bytes())
    }

    /// The raw 32-byte Ed25519 public key.
    pub fn public_key_bytes(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// The public key as a Multikey `publicKeyMultibase`: `z` (base58btc) followed by the
    /// base58btc encoding of `0xed 0x01 || public key`; it always starts with `z6Mk`.
    pub fn public_key_multibase(&self) -> String {
        public_key_multibase(&self.public_key_bytes())
    }

    /// The issuer's DID: `did:key:` followed by [`Self::public_key_multibase`].
    pub fn did(&self) -> String {
        format!("did:key:{}", self.public_key_multibase())
    }

    /// The verification method used in proofs: `did:key:z6Mk…#z6Mk…`, the DID with the
    /// multibase key as its fragment, as the did:key method resolves it.
    pub fn verification_method(&self) -> String {
        let multibase = self.public_key_multibase();
        format!("did:key:{multibase}#{multibase}")
    }

    /// Signs `message` with Ed25519 (pure EdDSA, RFC 8032 §5.1.6); deterministic.
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("did", &self.did())
            .finish_non_exhaustive()
    }
}

/// `z` + base58btc(`0xed 0x01` || key).
pub(crate) fn public_key_multibase(public_key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB_MULTICODEC);
    bytes.extend_from_slice(public_key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Resolves an Ed25519 `did:key` offline into its raw 32-byte public key.
///
/// Accepts a bare DID (`did:key:z6Mk…`) or a verification method (`did:key:z6Mk…#z6Mk…`); in
/// the latter the fragment must repeat the method-specific identifier, as the did:key method
/// defines it. Anything else — another DID method, another multibase base, another key type
/// than `ed25519-pub` — is an error: this crate never dereferences URLs.
pub fn public_key_from_did_key(did_or_verification_method: &str) -> Result<[u8; 32]> {
    let err = |why: &str| {
        CredentialError::VerificationMethod(format!("{did_or_verification_method}: {why}"))
    };
    let rest = did_or_verification_method
        .strip_prefix("did:key:")
        .ok_or_else(|| err("not a did:key"))?;
    let (id, fragment) = match rest.split_once('#') {
        Some((id, fragment)) => (id, Some(fragment)),
        None => (rest, None),
    };
    if fragment.is_some_and(|f| f != id) {
        return Err(err("the fragment does not match the key"));
    }
    let base58 = id
        .strip_prefix('z')
        .ok_or_else(|| err("not multibase base58btc"))?;
    let bytes = bs58::decode(base58)
        .into_vec()
        .map_err(|e| err(&format!("not base58btc: {e}")))?;
    let key = bytes
        .strip_prefix(&ED25519_PUB_MULTICODEC)
        .ok_or_else(|| err("not an ed25519-pub multikey"))?;
    key.try_into()
        .map_err(|_| err("an Ed25519 public key is 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_survives_export_and_import() {
        let key = SigningKey::generate();
        let again = SigningKey::from_base64url(&key.to_base64url()).unwrap();
        assert_eq!(key.public_key_bytes(), again.public_key_bytes());
        assert_eq!(key.to_base64url().len(), 43);
    }

    #[test]
    fn padding_and_whitespace_are_tolerated_but_short_seeds_are_not() {
        let key = SigningKey::from_seed(&[7; 32]);
        let padded = format!("  {}=\n", key.to_base64url());
        assert_eq!(
            SigningKey::from_base64url(&padded).unwrap().did(),
            key.did()
        );
        assert!(SigningKey::from_base64url("AAAA").is_err());
        assert!(SigningKey::from_base64url("not base64!").is_err());
    }

    #[test]
    fn two_generated_keys_differ() {
        assert_ne!(SigningKey::generate().did(), SigningKey::generate().did());
    }

    #[test]
    fn the_did_resolves_back_to_the_public_key() {
        let key = SigningKey::from_seed(&[42; 32]);
        assert!(key.did().starts_with("did:key:z6Mk"));
        assert_eq!(
            public_key_from_did_key(&key.did()).unwrap(),
            key.public_key_bytes()
        );
        assert_eq!(
            public_key_from_did_key(&key.verification_method()).unwrap(),
            key.public_key_bytes()
        );
    }

    #[test]
    fn foreign_or_mismatched_verification_methods_are_refused() {
        let key = SigningKey::from_seed(&[42; 32]);
        let other = SigningKey::from_seed(&[43; 32]);
        let mismatched = format!("{}#{}", key.did(), other.public_key_multibase());
        assert!(public_key_from_did_key(&mismatched).is_err());
        assert!(public_key_from_did_key("did:web:example.org#key-1").is_err());
        assert!(public_key_from_did_key("did:key:u7QE").is_err());
        // A P-256 multikey (zDna…) is not an Ed25519 key.
        assert!(
            public_key_from_did_key("did:key:zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76")
                .is_err()
        );
    }

    #[test]
    fn debug_output_does_not_reveal_the_seed() {
        let key = SigningKey::from_seed(&[9; 32]);
        let shown = format!("{key:?}");
        assert!(shown.contains(&key.did()));
        assert!(!shown.contains(&key.to_base64url()));
    }
}
