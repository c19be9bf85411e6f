//! The Open Badges 3.0 credential for one certificate period.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::error::Result;
use crate::keys::SigningKey;
use crate::proof::sign;
use crate::status_list::{StatusPurpose, status_messages};

/// The W3C Verifiable Credentials Data Model 2.0 base context; first in every `@context`.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";

/// The Open Badges 3.0 JSON-LD context (version 3.0.3), second in a certificate's
/// `@context`.
pub const OPEN_BADGES_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// The issuer's name, as shown by wallets and verifiers.
pub const ISSUER_NAME: &str =
    "American Library Association — Library Support Staff Certification Program";

/// The name of the achievement every certificate attests.
pub const ACHIEVEMENT_NAME: &str = "Certified Library Support Staff";

const ACHIEVEMENT_DESCRIPTION: &str = "Awarded by the American Library Association to library \
    support staff who have demonstrated, through approved courses or portfolios evaluated by \
    the Library Support Staff Certification Program, the competencies of three required and \
    three elective competency sets.";

/// Everything a certificate credential states, gathered by the caller from the database and
/// configuration. The crate adds nothing it is not given except constant wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// The certificate number printed on the certificate, e.g. `LSSCP-2025-000123`.
    pub number: String,
    /// The holder's name as printed on the certificate.
    pub holder_name: String,
    /// The public verification code of the certificate (the `verifyCertificate` lookup).
    pub verification_code: String,
    /// The day the certificate was first awarded (`awardedDate`); it stays the same across
    /// renewals while `validFrom` moves with each period.
    pub awarded_on: NaiveDate,
    /// The first day of this period (`validFrom`, at 00:00 UTC).
    pub period_start: NaiveDate,
    /// The first day this period no longer holds (`validUntil`, at 00:00 UTC), i.e. the
    /// certificate's `expires_on`.
    pub period_expiry: NaiveDate,
    /// The names of the six competency sets achieved, required sets first; listed in the
    /// achievement's criteria.
    pub achieved_sets: Vec<String>,
    /// The credential's `id`: a URL unique to the certificate and period, e.g.
    /// `{public_url}/credentials/{number}/{period}`.
    pub credential_id: String,
    /// The achievement's `id`: a stable URL describing the certification, e.g.
    /// `{public_url}/achievements/certified-library-support-staff`.
    pub achievement_id: String,
    /// The URL of the `revocation` BitstringStatusListCredential.
    pub revocation_list_url: String,
    /// The URL of the `message` BitstringStatusListCredential.
    pub message_list_url: String,
    /// The period's index in both status lists.
    pub status_index: usize,
}

/// The signed Open Badges 3.0 `OpenBadgeCredential` for one certificate period.
///
/// The credential is a W3C Verifiable Credential 2.0 (contexts [`VC_CONTEXT`] and
/// [`OPEN_BADGES_CONTEXT`], types `VerifiableCredential` and `OpenBadgeCredential`) whose
/// issuer is the key's `did:key` as an OB `Profile`, valid from the period's first day to its
/// expiry, whose `credentialSubject` is an `AchievementSubject` naming the holder (as `name`,
/// and as an OB `IdentityObject` of type `name`, since OB 3.0 wants an `id` or an
/// `identifier` and holders have no DID) and holding the `Certificate` achievement, and whose
/// `credentialStatus` points at both status lists: a `revocation` entry (1 bit) and a
/// `message` entry (2 bits, [`crate::CredentialStatus`]) at `status_index`.
///
/// It is secured with [`sign`] (`eddsa-jcs-2022`), `created` being `issued_at`.
///
/// # Errors
///
/// As [`sign`]; a credential built from any facts canonicalizes, so in practice this does
/// not fail.
pub fn certificate_credential(
    key: &SigningKey,
    facts: &CertificateFacts,
    issued_at: DateTime<Utc>,
) -> Result<Value> {
    let index = facts.status_index.to_string();
    let sets = facts.achieved_sets.join("; ");
    let narrative = if sets.is_empty() {
        "Three required and three elective competency sets achieved.".to_owned()
    } else {
        format!("Three required and three elective competency sets achieved: {sets}.")
    };
    let document = json!({
        "@context": [VC_CONTEXT, OPEN_BADGES_CONTEXT],
        "id": facts.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": format!("{ACHIEVEMENT_NAME} — certificate {}", facts.number),
        "description": format!(
            "Certificate {} held by {}, for the period from {} until {}. Verification code: {}.",
            facts.number,
            facts.holder_name,
            facts.period_start,
            facts.period_expiry,
            facts.verification_code,
        ),
        "issuer": {
            "id": key.did(),
            "type": ["Profile"],
            "name": ISSUER_NAME,
        },
        "validFrom": midnight_utc(facts.period_start),
        "validUntil": midnight_utc(facts.period_expiry),
        "awardedDate": midnight_utc(facts.awarded_on),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": facts.holder_name,
            "identifier": [{
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": false,
                "identityHash": facts.holder_name,
            }],
            "achievement": {
                "id": facts.achievement_id,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": ACHIEVEMENT_NAME,
                "description": ACHIEVEMENT_DESCRIPTION,
                "criteria": { "narrative": narrative },
            },
        },
        "credentialStatus": [
            {
                "id": format!("{}#{index}", facts.revocation_list_url),
                "type": "BitstringStatusListEntry",
                "statusPurpose": StatusPurpose::Revocation.as_str(),
                "statusListIndex": index,
                "statusListCredential": facts.revocation_list_url,
            },
            {
                "id": format!("{}#{index}", facts.message_list_url),
                "type": "BitstringStatusListEntry",
                "statusPurpose": StatusPurpose::Message.as_str(),
                "statusListIndex": index,
                "statusListCredential": facts.message_list_url,
                "statusSize": StatusPurpose::Message.status_size(),
                "statusMessage": status_messages(),
            },
        ],
    });
    sign(key, &document, issued_at)
}

/// `YYYY-MM-DDT00:00:00Z`: an XML Schema `dateTimeStamp`, as VCDM 2.0 requires of
/// `validFrom`/`validUntil`.
fn midnight_utc(day: NaiveDate) -> String {
    format!("{}T00:00:00Z", day.format("%Y-%m-%d"))
}
