//! Verifiable certificates for the Library Support Staff Certification Program.
//!
//! Every certificate period can be exported as an Open Badges 3.0 `OpenBadgeCredential`
//! ([OB 3.0], itself a [W3C Verifiable Credential 2.0][VCDM]) secured with a Data Integrity
//! proof using the `eddsa-jcs-2022` cryptosuite ([VC-DI-EDDSA] §3.3). Its status (active,
//! expired, revoked, superseded) is published through two [W3C Bitstring Status Lists][BSL],
//! so that any standard verifier can check a certificate offline, and learn of an expiry or
//! revocation by fetching a public, cacheable list rather than calling our API.
//!
//! The crate is pure: no database, no HTTP and no clock. Every date and instant is a
//! parameter, every URL is given by the caller, and every output is a `serde_json::Value`
//! ready to be served as `application/vc` (VCDM 2.0 §6.3) or plain `application/json`.
//!
//! * [`SigningKey`]: the programme's Ed25519 key and its `did:key` identity.
//! * [`certificate_credential`]: the signed Open Badges credential for one certificate period.
//! * [`sign`], [`verify`], [`verify_issued_by`]: the `eddsa-jcs-2022` proof itself.
//! * [`StatusList`], [`status_list_credential`], [`decode_encoded_list`]: the status lists.
//! * [`CredentialStatus`]: how a certificate's state maps onto the two lists.
//! * [`canonicalize`]: the JSON Canonicalization Scheme ([RFC 8785]) used by the proof.
//!
//! [OB 3.0]: https://www.imsglobal.org/spec/ob/v3p0/
//! [VCDM]: https://www.w3.org/TR/vc-data-model-2.0/
//! [VC-DI-EDDSA]: https://www.w3.org/TR/vc-di-eddsa/
//! [BSL]: https://www.w3.org/TR/vc-bitstring-status-list/
//! [RFC 8785]: https://www.rfc-editor.org/rfc/rfc8785

#![warn(missing_docs)]

mod credential;
mod error;
mod jcs;
mod keys;
mod proof;
mod status_list;

pub use credential::{
    ACHIEVEMENT_NAME, CertificateFacts, ISSUER_NAME, OPEN_BADGES_CONTEXT, VC_CONTEXT,
    certificate_credential,
};
pub use error::{CredentialError, Result};
pub use jcs::canonicalize;
pub use keys::{SigningKey, public_key_from_did_key};
pub use proof::{CRYPTOSUITE, hash_data, sign, verify, verify_issued_by, verify_with_public_key};
pub use status_list::{
    CredentialStatus, MAX_DECODED_LIST_BYTES, MIN_STATUS_LIST_ENTRIES, StatusList, StatusPurpose,
    decode_encoded_list, status_list_credential, status_messages,
};
