//! The one error type of the crate.

/// Why a credential could not be built, signed, verified or decoded.
///
/// Verification distinguishes two outcomes: a document that *can* be checked but whose proof
/// does not hold gives `Ok(false)`; a document that cannot be checked at all (no proof, an
/// unsupported cryptosuite, an unresolvable verification method, a malformed multibase value)
/// gives one of these errors. Callers that only care whether a credential is good can treat
/// both the same way.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The signing key could not be read (wrong length, not base64url).
    #[error("invalid signing key: {0}")]
    InvalidKey(String),
    /// The value cannot be canonicalized with RFC 8785 (for example an integer beyond 2^53,
    /// which JSON Canonicalization would silently round).
    #[error("cannot canonicalize JSON: {0}")]
    Canonicalization(String),
    /// The document is not shaped as the operation needs (not an object, already has a
    /// proof, has no proof, proof fields of the wrong type…).
    #[error("malformed document: {0}")]
    MalformedDocument(String),
    /// The proof uses a type or cryptosuite other than `DataIntegrityProof`/`eddsa-jcs-2022`,
    /// or a proof set, which this crate does not verify.
    #[error("unsupported proof: {0}")]
    UnsupportedProof(String),
    /// The verification method is not an Ed25519 `did:key` that can be resolved offline.
    #[error("cannot resolve verification method: {0}")]
    VerificationMethod(String),
    /// A multibase value (proof value, encoded list) is not in the expected encoding.
    #[error("invalid multibase value: {0}")]
    Multibase(String),
    /// A status list was built, read or written outside its bounds.
    #[error("status list: {0}")]
    StatusList(String),
}

/// The crate's result type.
pub type Result<T, E = CredentialError> = std::result::Result<T, E>;
