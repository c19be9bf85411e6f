//! Bitstring Status Lists: sizes, bit order at the boundaries, the encoding, the signed list
//! credentials, and a verifier's view of a certificate's status.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{facts, noon, programme_key};
use credentials::{
    CredentialError, CredentialStatus, MIN_STATUS_LIST_ENTRIES, StatusList, StatusPurpose,
    certificate_credential, decode_encoded_list, status_list_credential, verify, verify_issued_by,
};
use serde_json::{Value, json};

#[test]
fn a_new_list_decodes_to_all_zeros_of_at_least_16_kb() {
    for (purpose, bytes) in [
        (StatusPurpose::Revocation, 16 * 1024),
        (StatusPurpose::Message, 32 * 1024),
    ] {
        let list = StatusList::for_purpose(purpose);
        assert_eq!(list.capacity(), MIN_STATUS_LIST_ENTRIES);
        let decoded = decode_encoded_list(&list.encoded_list().unwrap()).unwrap();
        assert_eq!(decoded.len(), bytes);
        assert!(decoded.len() >= 16 * 1024);
        assert!(decoded.iter().all(|b| *b == 0));
    }
}

#[test]
fn an_almost_empty_list_compresses_to_a_few_hundred_bytes() {
    let mut list = StatusList::for_purpose(StatusPurpose::Revocation);
    for i in (0..list.capacity()).step_by(10_007) {
        list.set(i, 1).unwrap();
    }
    assert!(list.encoded_list().unwrap().len() < 600);
}

#[test]
fn the_encoding_is_gzip_under_a_base64url_multibase_prefix() {
    let encoded = StatusList::for_purpose(StatusPurpose::Revocation)
        .encoded_list()
        .unwrap();
    let body = encoded.strip_prefix('u').unwrap();
    assert!(
        !body.contains(['=', '+', '/']),
        "not unpadded base64url: {body}"
    );
    let compressed = URL_SAFE_NO_PAD.decode(body).unwrap();
    assert_eq!(&compressed[..2], &[0x1f, 0x8b]);
}

#[test]
fn equal_lists_encode_identically() {
    let mut a = StatusList::for_purpose(StatusPurpose::Message);
    let mut b = StatusList::for_purpose(StatusPurpose::Message);
    a.set(5, 3).unwrap();
    b.set(5, 3).unwrap();
    assert_eq!(a.encoded_list().unwrap(), b.encoded_list().unwrap());
}

/// Bitstring Status List v1.0 §2.2, Example 3: the `encodedList` of an empty 16 KB list as
/// another implementation encoded it.
#[test]
fn the_w3c_example_list_decodes_to_16_kb_of_zeros() {
    let decoded = decode_encoded_list(
        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
    )
    .unwrap();
    assert_eq!(decoded.len(), 16 * 1024);
    assert!(decoded.iter().all(|b| *b == 0));
    let list = StatusList::from_encoded_list(
        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
        1,
    )
    .unwrap();
    assert_eq!(list, StatusList::for_purpose(StatusPurpose::Revocation));
}

/// Reads entry `index` straight from the decoded bytes, as a verifier does: bit `index ×
/// size + k` is bit `7 - (n mod 8)` of byte `n / 8` (index 0 = most significant bit).
fn entry_from_bytes(bytes: &[u8], index: usize, size: usize) -> u8 {
    (0..size).fold(0, |value, k| {
        let bit = index * size + k;
        (value << 1) | ((bytes[bit / 8] >> (7 - bit % 8)) & 1)
    })
}

#[test]
fn one_bit_entries_round_trip_at_the_boundaries() {
    let mut list = StatusList::for_purpose(StatusPurpose::Revocation);
    let last = list.capacity() - 1;
    let indexes = [0, 1, 7, 8, 65_535, 65_536, last - 1, last];
    for index in [0, 65_536, last] {
        list.set(index, 1).unwrap();
    }
    let decoded = decode_encoded_list(&list.encoded_list().unwrap()).unwrap();
    let again = StatusList::from_encoded_list(&list.encoded_list().unwrap(), 1).unwrap();
    for index in indexes {
        let expected = u8::from([0, 65_536, last].contains(&index));
        assert_eq!(
            entry_from_bytes(&decoded, index, 1),
            expected,
            "index {index}"
        );
        assert_eq!(again.get(index).unwrap(), expected, "index {index}");
    }
    assert_eq!(decoded[0], 0b1000_0000);
    assert_eq!(decoded[decoded.len() - 1], 0b0000_0001);
    assert_eq!(decoded.iter().map(|b| b.count_ones()).sum::<u32>(), 3);

    // Clearing works too.
    list.set(65_536, 0).unwrap();
    assert_eq!(list.get(65_536).unwrap(), 0);
}

#[test]
fn two_bit_entries_round_trip_at_the_boundaries() {
    let mut list = StatusList::for_purpose(StatusPurpose::Message);
    let last = list.capacity() - 1;
    let values = [(0, 3), (1, 1), (65_536, 2), (last - 1, 1), (last, 3)];
    for (index, value) in values {
        list.set(index, value).unwrap();
    }
    let encoded = list.encoded_list().unwrap();
    let decoded = decode_encoded_list(&encoded).unwrap();
    let again = StatusList::from_encoded_list(&encoded, 2).unwrap();
    for (index, value) in values {
        assert_eq!(entry_from_bytes(&decoded, index, 2), value, "index {index}");
        assert_eq!(again.get(index).unwrap(), value, "index {index}");
    }
    // Entry i is bits [2i, 2i+2): 3 at 0, 1 at 1 → 11 01 00 00.
    assert_eq!(decoded[0], 0b1101_0000);
    assert_eq!(decoded[decoded.len() - 1], 0b0000_0111);
    for index in [2, 3, 65_535, 65_537, last - 2] {
        assert_eq!(again.get(index).unwrap(), 0, "index {index}");
    }
}

#[test]
fn out_of_range_indexes_and_values_are_refused() {
    let mut revocation = StatusList::for_purpose(StatusPurpose::Revocation);
    let capacity = revocation.capacity();
    assert!(matches!(
        revocation.set(capacity, 1),
        Err(CredentialError::StatusList(_))
    ));
    assert!(revocation.get(capacity).is_err());
    assert!(revocation.set(0, 2).is_err());
    let mut message = StatusList::for_purpose(StatusPurpose::Message);
    assert!(message.set(0, 4).is_err());
    assert!(message.set(0, 3).is_ok());
}

#[test]
fn malformed_encoded_lists_are_refused() {
    let gzip_body = &StatusList::for_purpose(StatusPurpose::Revocation)
        .encoded_list()
        .unwrap()[1..];
    assert!(matches!(
        decode_encoded_list(&format!("z{gzip_body}")),
        Err(CredentialError::Multibase(_))
    ));
    assert!(matches!(
        decode_encoded_list("u!!!"),
        Err(CredentialError::Multibase(_))
    ));
    let not_gzip = format!("u{}", URL_SAFE_NO_PAD.encode(b"plain bytes, not gzip"));
    assert!(matches!(
        decode_encoded_list(&not_gzip),
        Err(CredentialError::StatusList(_))
    ));
}

#[test]
fn a_list_that_expands_beyond_the_limit_is_refused() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let chunk = vec![0u8; 1024 * 1024];
    for _ in 0..17 {
        encoder.write_all(&chunk).unwrap();
    }
    let bomb = format!("u{}", URL_SAFE_NO_PAD.encode(encoder.finish().unwrap()));
    assert!(matches!(
        decode_encoded_list(&bomb),
        Err(CredentialError::StatusList(_))
    ));
}

#[test]
fn a_revocation_list_credential_is_signed_and_well_formed() {
    let key = programme_key();
    let url = "https://lsscp.example.org/status/revocation/1";
    let mut list = StatusList::for_purpose(StatusPurpose::Revocation);
    list.set(94_567, 1).unwrap();
    let credential = status_list_credential(
        &key,
        url,
        StatusPurpose::Revocation,
        &list,
        noon(2025, 6, 1),
    )
    .unwrap();
    assert!(verify_issued_by(&credential, &key.did()).unwrap());
    assert_eq!(
        credential["@context"],
        json!(["https://www.w3.org/ns/credentials/v2"])
    );
    assert_eq!(credential["id"], url);
    assert_eq!(
        credential["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    assert_eq!(credential["issuer"], json!(key.did()));
    assert_eq!(credential["validFrom"], "2025-06-01T12:00:00Z");
    let subject = &credential["credentialSubject"];
    assert_eq!(subject["id"], format!("{url}#list"));
    assert_eq!(subject["type"], "BitstringStatusList");
    assert_eq!(subject["statusPurpose"], "revocation");
    assert!(subject.get("statusSize").is_none());
    assert_eq!(subject["encodedList"], json!(list.encoded_list().unwrap()));
}

#[test]
fn a_message_list_credential_carries_its_size_and_messages() {
    let key = programme_key();
    let url = "https://lsscp.example.org/status/message/1";
    let list = StatusList::for_purpose(StatusPurpose::Message);
    let credential =
        status_list_credential(&key, url, StatusPurpose::Message, &list, noon(2025, 6, 1)).unwrap();
    assert!(verify(&credential).unwrap());
    let subject = &credential["credentialSubject"];
    assert_eq!(subject["statusPurpose"], "message");
    assert_eq!(subject["statusSize"], 2);
    assert_eq!(
        subject["statusMessage"],
        json!([
            {"status": "0x0", "message": "active"},
            {"status": "0x1", "message": "expired"},
            {"status": "0x2", "message": "revoked"},
            {"status": "0x3", "message": "superseded"}
        ])
    );
}

#[test]
fn a_list_of_the_wrong_entry_size_for_its_purpose_is_refused() {
    let key = programme_key();
    let revocation = StatusList::for_purpose(StatusPurpose::Revocation);
    assert!(matches!(
        status_list_credential(
            &key,
            "https://x.example/m",
            StatusPurpose::Message,
            &revocation,
            noon(2025, 1, 1)
        ),
        Err(CredentialError::StatusList(_))
    ));
}

/// What a verifier does with a certificate: for each `credentialStatus` entry, take the list
/// credential it names, check its proof, expand `encodedList`, and read the entry at
/// `statusListIndex × statusSize`.
fn statuses_seen_by_a_verifier(certificate: &Value, lists: &[Value]) -> Vec<(String, u8)> {
    certificate["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let list = lists
                .iter()
                .find(|l| l["id"] == entry["statusListCredential"])
                .unwrap();
            assert!(verify(list).unwrap());
            assert_eq!(
                list["credentialSubject"]["statusPurpose"],
                entry["statusPurpose"]
            );
            let size = entry.get("statusSize").and_then(Value::as_u64).unwrap_or(1) as usize;
            let index: usize = entry["statusListIndex"].as_str().unwrap().parse().unwrap();
            let bytes =
                decode_encoded_list(list["credentialSubject"]["encodedList"].as_str().unwrap())
                    .unwrap();
            assert!(bytes.len() * 8 / size >= MIN_STATUS_LIST_ENTRIES);
            (
                entry["statusPurpose"].as_str().unwrap().to_owned(),
                entry_from_bytes(&bytes, index, size),
            )
        })
        .collect()
}

#[test]
fn the_certificates_status_bits_flip_on_expiry_and_on_revocation() {
    let key = programme_key();
    let facts = facts();
    let certificate = certificate_credential(&key, &facts, noon(2025, 3, 14)).unwrap();
    let mut revocation = StatusList::for_purpose(StatusPurpose::Revocation);
    let mut message = StatusList::for_purpose(StatusPurpose::Message);
    let mut publish = |status: CredentialStatus| {
        revocation
            .set(facts.status_index, status.revocation_bit())
            .unwrap();
        message
            .set(facts.status_index, status.message_code())
            .unwrap();
        let lists = [
            status_list_credential(
                &key,
                &facts.revocation_list_url,
                StatusPurpose::Revocation,
                &revocation,
                noon(2030, 3, 14),
            )
            .unwrap(),
            status_list_credential(
                &key,
                &facts.message_list_url,
                StatusPurpose::Message,
                &message,
                noon(2030, 3, 14),
            )
            .unwrap(),
        ];
        statuses_seen_by_a_verifier(&certificate, &lists)
    };
    let seen = |revoked: u8, code: u8| {
        vec![
            ("revocation".to_owned(), revoked),
            ("message".to_owned(), code),
        ]
    };
    assert_eq!(publish(CredentialStatus::Active), seen(0, 0));
    assert_eq!(publish(CredentialStatus::Expired), seen(0, 1));
    assert_eq!(publish(CredentialStatus::Superseded), seen(0, 3));
    assert_eq!(publish(CredentialStatus::Revoked), seen(1, 2));
    // The certificate itself never changes.
    assert!(verify(&certificate).unwrap());
}
