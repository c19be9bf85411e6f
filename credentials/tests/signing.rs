//! Signing and verifying with `eddsa-jcs-2022`: round trips, tampering, wrong keys, the W3C
//! test vector, and the shape of the Open Badges credential.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{facts, instant, noon, programme_key};
use credentials::{
    CertificateFacts, CredentialError, SigningKey, canonicalize, certificate_credential, hash_data,
    public_key_from_did_key, sign, verify, verify_issued_by, verify_with_public_key,
};
use serde_json::{Value, json};

fn signed_certificate() -> Value {
    certificate_credential(&programme_key(), &facts(), noon(2025, 3, 14)).unwrap()
}

/// Every leaf of `value` as a JSON pointer.
fn leaf_pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                leaf_pointers(member, format!("{prefix}/{name}"), out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                leaf_pointers(item, format!("{prefix}/{i}"), out);
            }
        }
        _ => out.push(prefix),
    }
}

fn altered(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) => json!(n.as_i64().unwrap_or_default() + 1),
        Value::Bool(b) => Value::Bool(!b),
        _ => json!("x"),
    }
}

#[test]
fn a_signed_certificate_verifies() {
    let credential = signed_certificate();
    assert!(verify(&credential).unwrap());
    assert!(verify_issued_by(&credential, &programme_key().did()).unwrap());
}

#[test]
fn a_credential_survives_serialization_to_text_and_back() {
    let text = serde_json::to_string_pretty(&signed_certificate()).unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert!(verify(&parsed).unwrap());
}

#[test]
fn changing_any_field_of_the_credential_makes_verify_false() {
    let credential = signed_certificate();
    let mut pointers = Vec::new();
    leaf_pointers(&credential, String::new(), &mut pointers);
    assert!(pointers.len() > 40, "{pointers:?}");
    for pointer in pointers {
        let mut tampered = credential.clone();
        let leaf = tampered.pointer_mut(&pointer).unwrap();
        *leaf = altered(leaf);
        let outcome = verify(&tampered);
        if pointer.starts_with("/proof/") {
            // A broken proof may be unreadable (an error) rather than merely false.
            assert!(!matches!(outcome, Ok(true)), "{pointer} still verifies");
        } else {
            assert!(matches!(outcome, Ok(false)), "{pointer}: {outcome:?}");
        }
    }
}

#[test]
fn removing_or_adding_a_member_makes_verify_false() {
    let credential = signed_certificate();
    for name in credential.as_object().unwrap().keys() {
        if name == "proof" {
            continue;
        }
        let mut tampered = credential.clone();
        tampered.as_object_mut().unwrap().remove(name);
        assert!(!verify(&tampered).unwrap(), "without {name}");
    }
    let mut tampered = credential.clone();
    tampered["credentialSubject"]["id"] = json!("did:example:someone-else");
    assert!(!verify(&tampered).unwrap());
    let mut tampered = credential;
    tampered["credentialStatus"].as_array_mut().unwrap().pop();
    assert!(!verify(&tampered).unwrap());
}

#[test]
fn member_order_and_whitespace_do_not_affect_verification() {
    let credential = signed_certificate();
    // Re-serialize with members in reverse order and odd spacing.
    fn reversed(value: &Value) -> String {
        match value {
            Value::Object(members) => {
                let parts: Vec<String> = members
                    .iter()
                    .rev()
                    .map(|(k, v)| format!("\n  {} :  {}", json!(k), reversed(v)))
                    .collect();
                format!("{{{}\n}}", parts.join(" ,"))
            }
            Value::Array(items) => format!(
                "[ {} ]",
                items.iter().map(reversed).collect::<Vec<_>>().join(" , ")
            ),
            other => other.to_string(),
        }
    }
    let reparsed: Value = serde_json::from_str(&reversed(&credential)).unwrap();
    assert!(verify(&reparsed).unwrap());
}

#[test]
fn a_different_key_fails() {
    let credential = signed_certificate();
    let intruder = SigningKey::from_seed(&[0x22; 32]);

    // The intruder's public key does not check the programme's signature.
    assert!(!verify_with_public_key(&credential, &intruder.public_key_bytes()).unwrap());

    // The intruder's signature, attributed to the programme's key, does not verify.
    let mut unsigned = credential.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let mut forged = sign(&intruder, &unsigned, noon(2025, 3, 14)).unwrap();
    forged["proof"]["verificationMethod"] = json!(programme_key().verification_method());
    assert!(!verify(&forged).unwrap());

    // Re-signed honestly by the intruder it verifies, but not as issued by the programme.
    let resigned = sign(&intruder, &unsigned, noon(2025, 3, 14)).unwrap();
    assert!(verify(&resigned).unwrap());
    assert!(!verify_issued_by(&resigned, &programme_key().did()).unwrap());
    assert!(!verify_issued_by(&resigned, &intruder.did()).unwrap());
}

#[test]
fn the_proof_has_the_eddsa_jcs_2022_shape() {
    let credential = signed_certificate();
    let key = programme_key();
    let proof = &credential["proof"];
    assert_eq!(proof["type"], "DataIntegrityProof");
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(proof["created"], "2025-03-14T12:00:00Z");
    assert_eq!(
        proof["verificationMethod"],
        json!(key.verification_method())
    );
    assert_eq!(proof["proofPurpose"], "assertionMethod");
    assert_eq!(proof["@context"], credential["@context"]);
    let value = proof["proofValue"].as_str().unwrap();
    let signature = bs58::decode(value.strip_prefix('z').unwrap())
        .into_vec()
        .unwrap();
    assert_eq!(signature.len(), 64);
}

#[test]
fn signing_is_deterministic() {
    assert_eq!(signed_certificate(), signed_certificate());
}

#[test]
fn signing_refuses_what_it_cannot_sign() {
    let key = programme_key();
    let created = noon(2025, 1, 1);
    assert!(matches!(
        sign(&key, &json!(["not", "an", "object"]), created),
        Err(CredentialError::MalformedDocument(_))
    ));
    assert!(matches!(
        sign(&key, &signed_certificate(), created),
        Err(CredentialError::MalformedDocument(_))
    ));
    assert!(matches!(
        sign(&key, &json!({"big": 9_007_199_254_740_993_u64}), created),
        Err(CredentialError::Canonicalization(_))
    ));
}

#[test]
fn verification_refuses_what_it_cannot_check() {
    let credential = signed_certificate();
    let mut no_proof = credential.clone();
    no_proof.as_object_mut().unwrap().remove("proof");
    assert!(matches!(
        verify(&no_proof),
        Err(CredentialError::MalformedDocument(_))
    ));

    let mut proof_set = credential.clone();
    proof_set["proof"] = json!([credential["proof"].clone()]);
    assert!(matches!(
        verify(&proof_set),
        Err(CredentialError::UnsupportedProof(_))
    ));

    let mut rdfc = credential.clone();
    rdfc["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
    assert!(matches!(
        verify(&rdfc),
        Err(CredentialError::UnsupportedProof(_))
    ));

    let mut web = credential.clone();
    web["proof"]["verificationMethod"] = json!("did:web:example.org#key-1");
    assert!(matches!(
        verify(&web),
        Err(CredentialError::VerificationMethod(_))
    ));

    let mut short = credential;
    short["proof"]["proofValue"] = json!("z3yMApqCuCjXDWPrbjfR5mjCPTHqFG8Pux1TxQrEM35jj");
    assert!(matches!(verify(&short), Err(CredentialError::Multibase(_))));
}

#[test]
fn another_proof_purpose_does_not_verify_as_an_assertion() {
    let mut credential = signed_certificate();
    credential["proof"]["proofPurpose"] = json!("authentication");
    assert!(!verify(&credential).unwrap());
}

#[test]
fn a_context_inserted_before_the_signed_ones_makes_verify_false() {
    let mut credential = signed_certificate();
    credential["@context"]
        .as_array_mut()
        .unwrap()
        .insert(1, json!("https://example.org/redefine.json"));
    assert!(!verify(&credential).unwrap());
}

/// VC-DI-EDDSA §3.3.2 step 4 hashes the proof's `@context` in place of the document's, as long
/// as the document's starts with it: appending a context after signing is allowed by design.
#[test]
fn a_context_appended_after_the_signed_ones_still_verifies_as_the_spec_intends() {
    let mut credential = signed_certificate();
    credential["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!("https://example.org/extra.json"));
    assert!(verify(&credential).unwrap());
}

// ---------------------------------------------------------------------------------------
// The W3C test vector: "Data Integrity EdDSA Cryptosuites v1.0" (W3C Recommendation, 2025),
// Appendix B.3 "Representation: eddsa-jcs-2022", Examples 29-39.
// ---------------------------------------------------------------------------------------

/// Example 29: `secretKeyMultibase` (multicodec ed25519-priv 0x8026 + seed) and
/// `publicKeyMultibase`.
const W3C_SECRET_KEY_MULTIBASE: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";
const W3C_PUBLIC_KEY_MULTIBASE: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

fn w3c_key() -> SigningKey {
    let bytes = bs58::decode(W3C_SECRET_KEY_MULTIBASE.strip_prefix('z').unwrap())
        .into_vec()
        .unwrap();
    let seed = bytes.strip_prefix(&[0x80, 0x26]).unwrap();
    SigningKey::from_seed(&seed.try_into().unwrap())
}

/// Example 30: the credential without proof.
fn w3c_unsigned() -> Value {
    json!({
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
        }
    })
}

/// Example 39: the signed credential.
fn w3c_signed() -> Value {
    json!({
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
    })
}

#[test]
fn the_w3c_key_has_the_published_public_key_multibase() {
    let key = w3c_key();
    assert_eq!(key.public_key_multibase(), W3C_PUBLIC_KEY_MULTIBASE);
    assert_eq!(key.did(), format!("did:key:{W3C_PUBLIC_KEY_MULTIBASE}"));
}

#[test]
fn the_w3c_canonical_forms_and_hashes_are_reproduced() {
    // Examples 31 and 32.
    let canonical_document = canonicalize(&w3c_unsigned()).unwrap();
    assert_eq!(
        canonical_document,
        r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},"description":"A minimum viable example of an Alumni Credential.","id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678","name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],"validFrom":"2023-01-01T00:00:00Z"}"#
    );
    // Examples 33 and 34.
    let mut proof_options = w3c_signed()["proof"].clone();
    proof_options.as_object_mut().unwrap().remove("proofValue");
    let canonical_options = canonicalize(&proof_options).unwrap();
    assert_eq!(
        canonical_options,
        r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","type":"DataIntegrityProof","verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}"#
    );
    // Examples 35 and 36: proof-options hash first, then the document's.
    assert_eq!(
        hex::encode(hash_data(&canonical_document, &canonical_options)),
        "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db\
         59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
    );
}

#[test]
fn signing_the_w3c_example_reproduces_the_published_proof() {
    // Ed25519 is deterministic, so our proof must equal Example 39's byte for byte.
    let signed = sign(&w3c_key(), &w3c_unsigned(), instant("2023-02-24T23:36:38Z")).unwrap();
    assert_eq!(signed, w3c_signed());
}

#[test]
fn the_published_w3c_credential_verifies_and_its_tampered_copy_does_not() {
    assert!(verify(&w3c_signed()).unwrap());
    let mut tampered = w3c_signed();
    tampered["credentialSubject"]["alumniOf"] = json!("The School of Counterexamples");
    assert!(!verify(&tampered).unwrap());
}

// ---------------------------------------------------------------------------------------
// did:key
// ---------------------------------------------------------------------------------------

/// RFC 8032 §7.1 TEST 1: secret key 9d61b19d…, public key d75a9801…. The did:key below was
/// derived independently (base58btc of 0xed01 || public key, computed outside this crate).
#[test]
fn the_rfc_8032_test_key_has_the_expected_did_key() {
    let seed: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
    let key = SigningKey::from_seed(&seed);
    let public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    assert_eq!(hex::encode(key.public_key_bytes()), public);
    assert_eq!(
        key.did(),
        "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw"
    );
    assert_eq!(
        key.verification_method(),
        "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw#z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw"
    );
    // The multicodec prefix and the base58 round trip.
    let decoded = bs58::decode(&key.public_key_multibase()[1..])
        .into_vec()
        .unwrap();
    assert_eq!(&decoded[..2], &[0xed, 0x01]);
    assert_eq!(hex::encode(&decoded[2..]), public);
    assert_eq!(
        public_key_from_did_key(&key.did()).unwrap(),
        key.public_key_bytes()
    );
}

// ---------------------------------------------------------------------------------------
// The Open Badges credential
// ---------------------------------------------------------------------------------------

#[test]
fn the_certificate_is_an_open_badges_3_credential() {
    let credential = signed_certificate();
    let key = programme_key();
    assert_eq!(
        credential["@context"],
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ])
    );
    assert_eq!(
        credential["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(
        credential["id"],
        "https://lsscp.example.org/credentials/LSSCP-2025-000123/1"
    );
    assert_eq!(
        credential["issuer"],
        json!({
            "id": key.did(),
            "type": ["Profile"],
            "name": "American Library Association — Library Support Staff Certification Program"
        })
    );
    assert_eq!(credential["validFrom"], "2025-03-14T00:00:00Z");
    assert_eq!(credential["validUntil"], "2030-03-14T00:00:00Z");
    assert_eq!(credential["awardedDate"], "2025-03-14T00:00:00Z");
    assert!(
        credential["name"]
            .as_str()
            .unwrap()
            .contains("LSSCP-2025-000123")
    );
    assert!(
        credential["description"]
            .as_str()
            .unwrap()
            .contains("7QX4M2KD9H")
    );

    let subject = &credential["credentialSubject"];
    assert_eq!(subject["type"], json!(["AchievementSubject"]));
    assert_eq!(subject["name"], "Zoë O'Brien-Nakamura");
    assert_eq!(subject["identifier"][0]["identityType"], "name");
    let achievement = &subject["achievement"];
    assert_eq!(
        achievement["id"],
        "https://lsscp.example.org/achievements/certified-library-support-staff"
    );
    assert_eq!(achievement["type"], json!(["Achievement"]));
    assert_eq!(achievement["name"], "Certified Library Support Staff");
    assert_eq!(achievement["achievementType"], "Certificate");
    assert!(achievement["description"].is_string());
    let narrative = achievement["criteria"]["narrative"].as_str().unwrap();
    assert!(narrative.starts_with("Three required and three elective competency sets achieved"));
    for set in &facts().achieved_sets {
        assert!(
            narrative.contains(set.as_str()),
            "{set} missing from {narrative}"
        );
    }
}

#[test]
fn the_certificate_points_at_both_status_lists() {
    let credential = signed_certificate();
    assert_eq!(
        credential["credentialStatus"],
        json!([
            {
                "id": "https://lsscp.example.org/status/revocation/1#94567",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "94567",
                "statusListCredential": "https://lsscp.example.org/status/revocation/1"
            },
            {
                "id": "https://lsscp.example.org/status/message/1#94567",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "message",
                "statusListIndex": "94567",
                "statusListCredential": "https://lsscp.example.org/status/message/1",
                "statusSize": 2,
                "statusMessage": [
                    {"status": "0x0", "message": "active"},
                    {"status": "0x1", "message": "expired"},
                    {"status": "0x2", "message": "revoked"},
                    {"status": "0x3", "message": "superseded"}
                ]
            }
        ])
    );
}

#[test]
fn each_period_gets_its_own_credential() {
    let key = programme_key();
    let first = certificate_credential(&key, &facts(), noon(2025, 3, 14)).unwrap();
    let renewed = CertificateFacts {
        period_start: common::day(2030, 3, 14),
        period_expiry: common::day(2035, 3, 14),
        credential_id: format!("{}/credentials/LSSCP-2025-000123/2", common::PUBLIC_URL),
        status_index: 7,
        ..facts()
    };
    let second = certificate_credential(&key, &renewed, noon(2030, 2, 1)).unwrap();
    assert_ne!(first["id"], second["id"]);
    assert_eq!(first["awardedDate"], second["awardedDate"]);
    assert_eq!(second["validFrom"], "2030-03-14T00:00:00Z");
    assert!(verify(&second).unwrap());
}
