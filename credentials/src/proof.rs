//! Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite.
//!
//! Implements "Data Integrity EdDSA Cryptosuites v1.0" (W3C Recommendation, 2025), §3.3:
//! Create Proof (§3.3.1), Verify Proof (§3.3.2), Transformation (§3.3.3, JCS of the document
//! without its proof), Hashing (§3.3.4, `SHA-256(canonical proof config) ||
//! SHA-256(transformed document)`), Proof Configuration (§3.3.5, JCS of the proof options with
//! the document's `@context`), Proof Serialization/Verification (§3.3.6–7, pure Ed25519 over
//! the 64-byte hash data). The W3C test vector of Appendix B.3 is reproduced byte for byte in
//! this crate's tests.
//!
//! `eddsa-jcs-2022` was chosen over `eddsa-rdfc-2022` because JCS needs no JSON-LD processing
//! and therefore no remote contexts to sign or to verify the signature.

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::error::{CredentialError, Result};
use crate::jcs::canonicalize;
use crate::keys::{SigningKey, public_key_from_did_key};

/// The cryptosuite identifier written in, and required of, every proof.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
const PROOF_TYPE: &str = "DataIntegrityProof";
const PROOF_PURPOSE: &str = "assertionMethod";

/// Secures `document` with an `eddsa-jcs-2022` Data Integrity proof made with `key`.
///
/// Follows VC-DI-EDDSA §3.3.1: the proof options are `type: DataIntegrityProof`,
/// `cryptosuite: eddsa-jcs-2022`, `created` (the given instant, to the second, in UTC),
/// `verificationMethod` ([`SigningKey::verification_method`]) and
/// `proofPurpose: assertionMethod`; the document's `@context` is copied into the proof (step
/// 2, which the spec strongly advises for interoperability); the signature is over
/// [`hash_data`] and is written as `proofValue`, multibase base58btc (`z…`).
///
/// Returns a copy of `document` with the `proof` member added.
///
/// # Errors
///
/// [`CredentialError::MalformedDocument`] if `document` is not an object or already has a
/// `proof` (proof sets and chains are not supported); [`CredentialError::Canonicalization`]
/// if it holds a number JCS cannot represent exactly.
pub fn sign(key: &SigningKey, document: &Value, created: DateTime<Utc>) -> Result<Value> {
    let unsecured = document.as_object().ok_or_else(|| {
        CredentialError::MalformedDocument("the document is not a JSON object".into())
    })?;
    if unsecured.contains_key("proof") {
        return Err(CredentialError::MalformedDocument(
            "the document already has a proof; proof sets and chains are not supported".into(),
        ));
    }
    // §3.3.1 step 1: proof is a clone of the proof options.
    let mut proof = Map::new();
    proof.insert("type".into(), PROOF_TYPE.into());
    proof.insert("cryptosuite".into(), CRYPTOSUITE.into());
    proof.insert(
        "created".into(),
        created.to_rfc3339_opts(SecondsFormat::Secs, true).into(),
    );
    proof.insert(
        "verificationMethod".into(),
        key.verification_method().into(),
    );
    proof.insert("proofPurpose".into(), PROOF_PURPOSE.into());
    // Step 2: the document's @context goes into the proof.
    if let Some(context) = unsecured.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    // Steps 3-5: proof configuration, transformation, hashing.
    let canonical_proof_config = proof_configuration(&proof)?;
    let transformed_document = canonicalize(document)?;
    let hash = hash_data(&transformed_document, &canonical_proof_config);
    // Steps 6-7: sign, and attach the multibase base58btc signature.
    let signature = key.sign_bytes(&hash);
    proof.insert(
        "proofValue".into(),
        format!("z{}", bs58::encode(signature).into_string()).into(),
    );
    let mut secured = unsecured.clone();
    secured.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(secured))
}

/// The bytes that are signed (VC-DI-EDDSA §3.3.4): `SHA-256(canonicalProofConfig) ||
/// SHA-256(transformedDocument)`, proof configuration first, 64 bytes in all.
///
/// Both inputs are the UTF-8 JCS serializations ([`canonicalize`]) of, respectively, the
/// document without its proof and the proof without its `proofValue`.
pub fn hash_data(transformed_document: &str, canonical_proof_config: &str) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&Sha256::digest(canonical_proof_config.as_bytes()));
    out[32..].copy_from_slice(&Sha256::digest(transformed_document.as_bytes()));
    out
}

/// Verifies the `eddsa-jcs-2022` proof of `document`, resolving the public key offline from
/// the proof's `did:key` verification method (VC-DI-EDDSA §3.3.2).
///
/// Returns `Ok(true)` only if the signature holds over the document as it is. It returns
/// `Ok(false)` when the document was altered after signing, signed by another key, its
/// `@context` no longer starts with the proof's `@context`, or the proof purpose is not
/// `assertionMethod`.
///
/// This checks the proof only: whether the issuer is the one you trust, the validity period
/// (`validFrom`/`validUntil`) and the status lists are the verifier's further business; see
/// [`verify_issued_by`] for the first.
///
/// # Errors
///
/// When the document cannot be checked at all: not an object, no proof or several proofs,
/// another proof type or cryptosuite, a verification method that is not an Ed25519
/// `did:key`, a `proofValue` that is not a base58btc 64-byte signature.
pub fn verify(document: &Value) -> Result<bool> {
    let (_, proof) = split_secured(document)?;
    let verification_method = string_member(proof, "verificationMethod")?;
    let public_key = public_key_from_did_key(verification_method)?;
    verify_with_public_key(document, &public_key)
}

/// Like [`verify`], but with the public key given rather than resolved from the proof's
/// verification method, for a verifier that has pinned the key or whose verification
/// method is not a `did:key`.
///
/// # Errors
///
/// As [`verify`], plus [`CredentialError::VerificationMethod`] if `public_key` is not a
/// valid Ed25519 point.
pub fn verify_with_public_key(document: &Value, public_key: &[u8; 32]) -> Result<bool> {
    let (secured, proof) = split_secured(document)?;
    // §3.3.2 step 1: the unsecured document is the secured one without its proof.
    let mut unsecured = secured.clone();
    unsecured.remove("proof");
    // Step 2: the proof options are the proof without its value.
    let mut proof_options = proof.clone();
    proof_options.remove("proofValue");
    // Step 3: the signature, multibase base58btc.
    let signature = decode_proof_value(string_member(proof, "proofValue")?)?;
    // Step 4: the proof's @context must prefix the document's, and is the one that is hashed.
    if let Some(proof_context) = proof_options.get("@context") {
        let document_context = secured
            .get("@context")
            .map(context_items)
            .unwrap_or_default();
        let proof_context_items = context_items(proof_context);
        if !document_context.starts_with(&proof_context_items) {
            return Ok(false);
        }
        unsecured.insert("@context".into(), proof_context.clone());
    }
    // Steps 5-7: transformation, proof configuration, hashing.
    let canonical_proof_config = proof_configuration(&proof_options)?;
    let transformed_document = canonicalize(&Value::Object(unsecured))?;
    let hash = hash_data(&transformed_document, &canonical_proof_config);
    // Data Integrity §4.3: the proof purpose must be the expected one.
    if proof_options.get("proofPurpose").and_then(Value::as_str) != Some(PROOF_PURPOSE) {
        return Ok(false);
    }
    // Step 8: Ed25519 verification; strict, as §4.1 recommends (rejects small-order keys and
    // non-canonical signatures).
    let key = VerifyingKey::from_bytes(public_key).map_err(|e| {
        CredentialError::VerificationMethod(format!("not an Ed25519 public key: {e}"))
    })?;
    Ok(key
        .verify_strict(&hash, &Signature::from_bytes(&signature))
        .is_ok())
}

/// [`verify`], and also that the document was issued by `issuer_did`: the document's
/// `issuer` (a string, or an object's `id`) and the DID of the proof's verification method
/// must both equal it.
///
/// This is what a party that knows the programme's DID (from configuration, or from a first
/// trusted credential) should call: a valid proof by an arbitrary `did:key` proves nothing
/// about who issued the certificate.
///
/// # Errors
///
/// As [`verify`].
pub fn verify_issued_by(document: &Value, issuer_did: &str) -> Result<bool> {
    if !verify(document)? {
        return Ok(false);
    }
    let (secured, proof) = split_secured(document)?;
    let issuer = match secured.get("issuer") {
        Some(Value::String(id)) => Some(id.as_str()),
        Some(Value::Object(profile)) => profile.get("id").and_then(Value::as_str),
        _ => None,
    };
    let method_did = string_member(proof, "verificationMethod")?
        .split('#')
        .next()
        .unwrap_or_default();
    Ok(issuer == Some(issuer_did) && method_did == issuer_did)
}

/// §3.3.5: checks the options and returns the JCS of the proof configuration (a clone of the
/// options, which already carry `@context` when the document has one).
fn proof_configuration(options: &Map<String, Value>) -> Result<String> {
    let proof_type = options.get("type").and_then(Value::as_str);
    let cryptosuite = options.get("cryptosuite").and_then(Value::as_str);
    if proof_type != Some(PROOF_TYPE) || cryptosuite != Some(CRYPTOSUITE) {
        return Err(CredentialError::UnsupportedProof(format!(
            "type {proof_type:?} with cryptosuite {cryptosuite:?}; only \
             {PROOF_TYPE}/{CRYPTOSUITE} is supported"
        )));
    }
    if let Some(created) = options.get("created") {
        let valid = created
            .as_str()
            .is_some_and(|c| DateTime::parse_from_rfc3339(c).is_ok());
        if !valid {
            return Err(CredentialError::MalformedDocument(format!(
                "proof.created {created} is not an XML Schema dateTime with a time zone"
            )));
        }
    }
    canonicalize(&Value::Object(options.clone()))
}

/// A JSON object's members.
type Object = Map<String, Value>;

/// The secured document and its single proof.
fn split_secured(document: &Value) -> Result<(&Object, &Object)> {
    let secured = document.as_object().ok_or_else(|| {
        CredentialError::MalformedDocument("the document is not a JSON object".into())
    })?;
    match secured.get("proof") {
        Some(Value::Object(proof)) => Ok((secured, proof)),
        Some(Value::Array(_)) => Err(CredentialError::UnsupportedProof(
            "proof sets (several proofs) are not supported".into(),
        )),
        Some(_) => Err(CredentialError::MalformedDocument(
            "proof is not an object".into(),
        )),
        None => Err(CredentialError::MalformedDocument(
            "the document has no proof".into(),
        )),
    }
}

fn string_member<'a>(proof: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    proof
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| CredentialError::MalformedDocument(format!("proof.{name} is not a string")))
}

fn decode_proof_value(value: &str) -> Result<[u8; 64]> {
    let base58 = value.strip_prefix('z').ok_or_else(|| {
        CredentialError::Multibase("proofValue is not multibase base58btc (z…)".into())
    })?;
    let bytes = bs58::decode(base58)
        .into_vec()
        .map_err(|e| CredentialError::Multibase(format!("proofValue: {e}")))?;
    bytes.as_slice().try_into().map_err(|_| {
        CredentialError::Multibase(format!(
            "proofValue is {} bytes, an Ed25519 signature is 64",
            bytes.len()
        ))
    })
}

/// An `@context` as the list of its entries (a lone string or object is a list of one).
fn context_items(context: &Value) -> Vec<&Value> {
    match context {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}
