//! An independent verifier: checks our credentials without any of the crate's own
//! verification code.
//!
//! It re-implements the `eddsa-jcs-2022` verification of "Data Integrity EdDSA Cryptosuites
//! v1.0" (W3C Recommendation 2025, §3.3.2 Verify Proof, §3.3.3 Transformation, §3.3.4
//! Hashing, §3.3.5 Proof Configuration, §3.3.7 Proof Verification) with other building
//! blocks than the crate uses:
//!
//! * JCS by the `serde_jcs` crate (the crate hand-rolls RFC 8785);
//! * SHA-256 and Ed25519 by `ring` (the crate uses `sha2` and `ed25519-dalek`);
//! * the `did:key` decoded here with `bs58` directly.
//!
//! The credentials under test cross this boundary as JSON text, as a verifier receives them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{facts, noon, programme_key};
use credentials::{
    SigningKey, StatusList, StatusPurpose, certificate_credential, status_list_credential,
};
use ring::digest::{SHA256, digest};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use serde_json::{Value, json};

/// did:key → raw Ed25519 public key: `did:key:z<base58btc(0xed 0x01 || key)>`.
fn resolve_did_key(verification_method: &str) -> Vec<u8> {
    let (did, fragment) = verification_method.split_once('#').unwrap();
    let id = did.strip_prefix("did:key:").unwrap();
    assert_eq!(
        id, fragment,
        "a did:key verification method repeats the key as fragment"
    );
    let bytes = bs58::decode(id.strip_prefix('z').unwrap())
        .into_vec()
        .unwrap();
    assert_eq!(&bytes[..2], &[0xed, 0x01], "multicodec ed25519-pub");
    assert_eq!(bytes.len(), 34);
    bytes[2..].to_vec()
}

/// The whole §3.3.2 algorithm, from JSON text to a yes or no.
fn independently_verify(json_text: &str) -> bool {
    let secured: Value = serde_json::from_str(json_text).unwrap();
    let proof = secured["proof"].as_object().unwrap().clone();
    assert_eq!(proof["type"], "DataIntegrityProof");
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    if proof["proofPurpose"] != "assertionMethod" {
        return false;
    }

    // Steps 1-3: the unsecured document, the proof options, the signature bytes.
    let mut unsecured = secured.as_object().unwrap().clone();
    unsecured.remove("proof");
    let mut proof_options = proof.clone();
    let proof_value = proof_options.remove("proofValue").unwrap();
    let signature = bs58::decode(proof_value.as_str().unwrap().strip_prefix('z').unwrap())
        .into_vec()
        .unwrap();

    // Step 4: the proof's @context must start the document's, and replaces it.
    if let Some(proof_context) = proof_options.get("@context") {
        let document_context = secured["@context"].as_array().unwrap();
        let proof_context_list = proof_context.as_array().unwrap();
        if !document_context.starts_with(proof_context_list) {
            return false;
        }
        unsecured.insert("@context".into(), proof_context.clone());
    }

    // Steps 5-7: JCS of both, SHA-256 of each, proof configuration hash first.
    let transformed_document = serde_jcs::to_vec(&Value::Object(unsecured)).unwrap();
    let canonical_proof_config = serde_jcs::to_vec(&Value::Object(proof_options)).unwrap();
    let mut hash_data = Vec::with_capacity(64);
    hash_data.extend_from_slice(digest(&SHA256, &canonical_proof_config).as_ref());
    hash_data.extend_from_slice(digest(&SHA256, &transformed_document).as_ref());

    // Step 8: Ed25519 with the key resolved from the did:key.
    let public_key = resolve_did_key(proof["verificationMethod"].as_str().unwrap());
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&hash_data, &signature)
        .is_ok()
}

fn certificate_text() -> String {
    let credential = certificate_credential(&programme_key(), &facts(), noon(2025, 3, 14)).unwrap();
    serde_json::to_string(&credential).unwrap()
}

#[test]
fn an_independent_verifier_accepts_our_certificate() {
    assert!(independently_verify(&certificate_text()));
}

#[test]
fn an_independent_verifier_resolves_the_issuer_from_the_did_key() {
    let credential: Value = serde_json::from_str(&certificate_text()).unwrap();
    let key = resolve_did_key(credential["proof"]["verificationMethod"].as_str().unwrap());
    assert_eq!(key, programme_key().public_key_bytes());
    let issuer = credential["issuer"]["id"].as_str().unwrap();
    assert_eq!(
        credential["proof"]["verificationMethod"]
            .as_str()
            .unwrap()
            .split('#')
            .next(),
        Some(issuer)
    );
}

#[test]
fn an_independent_verifier_rejects_a_tampered_certificate() {
    let mut credential: Value = serde_json::from_str(&certificate_text()).unwrap();
    credential["validUntil"] = json!("2099-03-14T00:00:00Z");
    assert!(!independently_verify(&credential.to_string()));

    let mut credential: Value = serde_json::from_str(&certificate_text()).unwrap();
    credential["credentialSubject"]["name"] = json!("Someone Else");
    assert!(!independently_verify(&credential.to_string()));

    let mut credential: Value = serde_json::from_str(&certificate_text()).unwrap();
    credential["proof"]["created"] = json!("2025-03-14T12:00:01Z");
    assert!(!independently_verify(&credential.to_string()));
}

#[test]
fn an_independent_verifier_rejects_a_signature_from_another_key() {
    let mut credential: Value = serde_json::from_str(&certificate_text()).unwrap();
    let other = SigningKey::from_seed(&[0x33; 32]);
    credential["proof"]["verificationMethod"] = json!(other.verification_method());
    assert!(!independently_verify(&credential.to_string()));
}

#[test]
fn an_independent_verifier_accepts_our_status_list_credentials() {
    let key = programme_key();
    let mut list = StatusList::for_purpose(StatusPurpose::Message);
    list.set(94_567, 2).unwrap();
    let credential = status_list_credential(
        &key,
        "https://lsscp.example.org/status/message/1",
        StatusPurpose::Message,
        &list,
        noon(2025, 6, 1),
    )
    .unwrap();
    assert!(independently_verify(&credential.to_string()));
}

/// Data Integrity EdDSA Cryptosuites v1.0 (W3C Recommendation 2025), Appendix B.3
/// "Representation: eddsa-jcs-2022": the published key (Example 29), the signature of the
/// combined hashes (Example 37) and the signed credential (Example 39), checked with ring
/// alone; then the same credential as signed by this crate.
#[test]
fn the_w3c_eddsa_jcs_2022_test_vector_verifies_independently() {
    let secret = bs58::decode("3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
        .into_vec()
        .unwrap();
    assert_eq!(&secret[..2], &[0x80, 0x26], "multicodec ed25519-priv");
    let seed = &secret[2..];
    let key_pair = Ed25519KeyPair::from_seed_unchecked(seed).unwrap();
    let published_public = resolve_did_key(
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    );
    assert_eq!(key_pair.public_key().as_ref(), published_public.as_slice());

    // Example 36 → Example 37: ring signs the combined hashes to the published signature.
    let combined = hex::decode(
        "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db\
         59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19",
    )
    .unwrap();
    assert_eq!(
        hex::encode(key_pair.sign(&combined)),
        "407cd12654b33d718ecbb99179a1506daaa849450bf3fc523cce3e1c96f8b803\
         51da3f253d725c6f00b07c9e5448d50b3ef78012b9ab54255116d069c6dd2808"
    );

    // Example 39, verified end to end.
    let example_39 = r#"{
      "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2"
      ],
      "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
      "type": ["VerifiableCredential", "AlumniCredential"],
      "name": "Alumni Credential",
      "description": "A minimum viable example of an Alumni Credential.",
      "issuer": "https://vc.example/issuers/5678",
      "validFrom": "2023-01-01T00:00:00Z",
      "credentialSubject": {
        "id": "did:example:abcdefgh",
        "alumniOf": "The School of Examples"
      },
      "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "@context": [
          "https://www.w3.org/ns/credentials/v2",
          "https://www.w3.org/ns/credentials/examples/v2"
        ],
        "proofValue": "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
      }
    }"#;
    assert!(independently_verify(example_39));

    // The crate, signing Example 30 with the same key and instant, produces a credential the
    // independent verifier accepts and whose proof value is the published one.
    let mut unsigned: Value = serde_json::from_str(example_39).unwrap();
    let published_proof = unsigned.as_object_mut().unwrap().remove("proof").unwrap();
    let crate_key = SigningKey::from_seed(&seed.try_into().unwrap());
    let signed = credentials::sign(
        &crate_key,
        &unsigned,
        common::instant("2023-02-24T23:36:38Z"),
    )
    .unwrap();
    assert!(independently_verify(&signed.to_string()));
    assert_eq!(signed["proof"], published_proof);
}
