//! W3C Bitstring Status Lists (Bitstring Status List v1.0, W3C Recommendation 2025).
//!
//! A certificate's status is published in two lists, at the same index in both:
//!
//! * a `revocation` list of 1-bit entries: 1 means revoked. This is the bit every standard
//!   verifier understands (a set revocation bit makes the credential invalid);
//! * a `message` list of 2-bit entries carrying [`CredentialStatus`]: active, expired,
//!   revoked, superseded — so a verifier can also tell *why* a credential no longer holds.
//!
//! Each list has at least 131,072 entries (the specification's minimum for herd privacy,
//! §3.2 step 2 and §2.2 `encodedList`), so a 2-bit list is 32 KB uncompressed; GZIP brings an
//! almost-empty list down to a few hundred bytes.

use std::io::{Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::credential::VC_CONTEXT;
use crate::error::{CredentialError, Result};
use crate::keys::SigningKey;
use crate::proof::sign;

/// The minimum number of entries in a list (Bitstring Status List §3.2 step 2,
/// `minimumNumberOfEntries`): verifiers raise `STATUS_LIST_LENGTH_ERROR` below it.
pub const MIN_STATUS_LIST_ENTRIES: usize = 131_072;

/// The largest uncompressed list [`decode_encoded_list`] accepts (16 MiB, 64 times the size
/// of our lists), so that a hostile `encodedList` cannot expand without bound.
pub const MAX_DECODED_LIST_BYTES: usize = 16 * 1024 * 1024;

/// What a list's bits mean (`statusPurpose`, Bitstring Status List §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    /// One bit per credential; 1 cancels the credential for good.
    Revocation,
    /// Two bits per credential carrying a [`CredentialStatus`], described by
    /// [`status_messages`].
    Message,
}

impl StatusPurpose {
    /// The `statusPurpose` string: `revocation` or `message`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Message => "message",
        }
    }

    /// The entry size in bits this crate uses for the purpose: 1 for revocation, 2 for
    /// message.
    pub fn status_size(self) -> u8 {
        match self {
            Self::Revocation => 1,
            Self::Message => 2,
        }
    }
}

/// Where a certificate period stands, as published in the status lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialStatus {
    /// Within its period, not revoked.
    Active,
    /// Its period ended without a renewal.
    Expired,
    /// Withdrawn by staff.
    Revoked,
    /// Replaced by the credential of the following period, after a renewal.
    Superseded,
}

impl CredentialStatus {
    /// All statuses, in code order.
    pub const ALL: [Self; 4] = [Self::Active, Self::Expired, Self::Revoked, Self::Superseded];

    /// The 2-bit value in the `message` list: 0 active, 1 expired, 2 revoked, 3 superseded
    /// (the `status` values `0x0`–`0x3` of [`status_messages`]).
    pub fn message_code(self) -> u8 {
        match self {
            Self::Active => 0,
            Self::Expired => 1,
            Self::Revoked => 2,
            Self::Superseded => 3,
        }
    }

    /// The 1-bit value in the `revocation` list: 1 if revoked, else 0. Expiry is not
    /// revocation: an expired credential is already invalid through its `validUntil`, and a
    /// revocation bit is irreversible by definition, whereas a late renewal is not.
    pub fn revocation_bit(self) -> u8 {
        u8::from(self == Self::Revoked)
    }

    /// The `message` published for the status: `active`, `expired`, `revoked`, `superseded`.
    pub fn message(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Superseded => "superseded",
        }
    }

    /// The status a 2-bit `message` list value stands for.
    pub fn from_message_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.message_code() == code)
    }
}

/// The `statusMessage` array shared by every `message` entry and list:
/// `[{"status":"0x0","message":"active"}, …, {"status":"0x3","message":"superseded"}]`
/// (Bitstring Status List §2.1: one element per possible value of a 2-bit entry, `status` in
/// hexadecimal prefixed with `0x`).
pub fn status_messages() -> Value {
    Value::Array(
        CredentialStatus::ALL
            .into_iter()
            .map(
                |s| json!({ "status": format!("{:#x}", s.message_code()), "message": s.message() }),
            )
            .collect(),
    )
}

/// A bitstring of fixed-size entries, as published in a `BitstringStatusList`.
///
/// Bit order follows Bitstring Status List §2.2 (`encodedList`): index 0 is the left-most,
/// most significant bit of the first byte; with `status_size` 2, entry `i` occupies bits
/// `[2i, 2i + 2)`, its first bit being the value's high bit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    size_bits: usize,
    status_size: u8,
    bits: Vec<u8>,
}

impl StatusList {
    /// An all-zero list of `size_bits` bits with `status_size`-bit entries.
    ///
    /// # Errors
    ///
    /// [`CredentialError::StatusList`] unless `status_size` is 1 or 2, `size_bits` is a whole
    /// number of bytes, and the list holds at least [`MIN_STATUS_LIST_ENTRIES`] entries
    /// (`size_bits ≥ 131,072 × status_size`, which verifiers enforce).
    pub fn new(size_bits: usize, status_size: u8) -> Result<Self> {
        if !matches!(status_size, 1 | 2) {
            return Err(CredentialError::StatusList(format!(
                "status size {status_size} is not supported (1 or 2 bits)"
            )));
        }
        if !size_bits.is_multiple_of(8) {
            return Err(CredentialError::StatusList(format!(
                "{size_bits} bits is not a whole number of bytes"
            )));
        }
        if size_bits / usize::from(status_size) < MIN_STATUS_LIST_ENTRIES {
            return Err(CredentialError::StatusList(format!(
                "{size_bits} bits of {status_size}-bit entries is fewer than the \
                 {MIN_STATUS_LIST_ENTRIES} entries verifiers require"
            )));
        }
        Ok(Self {
            size_bits,
            status_size,
            bits: vec![0; size_bits / 8],
        })
    }

    /// An all-zero list of the minimum size for `purpose`: 131,072 entries (16 KB for
    /// revocation, 32 KB for message).
    pub fn for_purpose(purpose: StatusPurpose) -> Self {
        let status_size = purpose.status_size();
        let size_bits = MIN_STATUS_LIST_ENTRIES * usize::from(status_size);
        Self {
            size_bits,
            status_size,
            bits: vec![0; size_bits / 8],
        }
    }

    /// Reads back a list from its `encodedList` ([`Self::encoded_list`]).
    ///
    /// # Errors
    ///
    /// As [`decode_encoded_list`] and [`Self::new`].
    pub fn from_encoded_list(encoded: &str, status_size: u8) -> Result<Self> {
        let bits = decode_encoded_list(encoded)?;
        let mut list = Self::new(bits.len() * 8, status_size)?;
        list.bits = bits;
        Ok(list)
    }

    /// The length of the bitstring in bits.
    pub fn size_bits(&self) -> usize {
        self.size_bits
    }

    /// The size of one entry in bits (1 or 2).
    pub fn status_size(&self) -> u8 {
        self.status_size
    }

    /// How many entries the list holds: valid indexes are `0..capacity()`.
    pub fn capacity(&self) -> usize {
        self.size_bits / usize::from(self.status_size)
    }

    /// The raw uncompressed bitstring.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bits
    }

    /// Sets entry `index` to `value`.
    ///
    /// # Errors
    ///
    /// [`CredentialError::StatusList`] if `index` is not below [`Self::capacity`] or `value`
    /// does not fit in `status_size` bits.
    pub fn set(&mut self, index: usize, value: u8) -> Result<()> {
        self.check_index(index)?;
        if u32::from(value) >= 1 << self.status_size {
            return Err(CredentialError::StatusList(format!(
                "{value} does not fit in a {}-bit entry",
                self.status_size
            )));
        }
        let size = usize::from(self.status_size);
        for offset in 0..size {
            let bit = index * size + offset;
            let on = (value >> (size - 1 - offset)) & 1 == 1;
            let mask = 0x80u8 >> (bit % 8);
            if let Some(byte) = self.bits.get_mut(bit / 8) {
                if on {
                    *byte |= mask;
                } else {
                    *byte &= !mask;
                }
            }
        }
        Ok(())
    }

    /// The value of entry `index`.
    ///
    /// # Errors
    ///
    /// [`CredentialError::StatusList`] if `index` is not below [`Self::capacity`].
    pub fn get(&self, index: usize) -> Result<u8> {
        self.check_index(index)?;
        let size = usize::from(self.status_size);
        let mut value = 0u8;
        for offset in 0..size {
            let bit = index * size + offset;
            let byte = self.bits.get(bit / 8).copied().unwrap_or_default();
            value = (value << 1) | ((byte >> (7 - bit % 8)) & 1);
        }
        Ok(value)
    }

    /// The `encodedList`: multibase base64url without padding (prefix `u`) of the
    /// GZIP-compressed (RFC 1952) bitstring (Bitstring Status List §3.3).
    ///
    /// The GZIP header carries no file name and a zero modification time, so equal lists
    /// encode to equal strings.
    ///
    /// # Errors
    ///
    /// [`CredentialError::StatusList`] if compression fails (it writes to memory, so it
    /// does not in practice).
    pub fn encoded_list(&self) -> Result<String> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder
            .write_all(&self.bits)
            .map_err(|e| CredentialError::StatusList(format!("gzip: {e}")))?;
        let compressed = encoder
            .finish()
            .map_err(|e| CredentialError::StatusList(format!("gzip: {e}")))?;
        Ok(format!("u{}", URL_SAFE_NO_PAD.encode(compressed)))
    }

    fn check_index(&self, index: usize) -> Result<()> {
        if index < self.capacity() {
            Ok(())
        } else {
            Err(CredentialError::StatusList(format!(
                "index {index} is beyond the list's {} entries",
                self.capacity()
            )))
        }
    }
}

/// Expands an `encodedList` into the uncompressed bitstring (Bitstring Status List §3.4):
/// strips the multibase `u` prefix, base64url-decodes (no padding), then GUNZIPs.
///
/// # Errors
///
/// [`CredentialError::Multibase`] if the value is not `u` + base64url;
/// [`CredentialError::StatusList`] if it is not GZIP, or expands beyond
/// [`MAX_DECODED_LIST_BYTES`].
pub fn decode_encoded_list(encoded: &str) -> Result<Vec<u8>> {
    let base64 = encoded.strip_prefix('u').ok_or_else(|| {
        CredentialError::Multibase("encodedList is not multibase base64url (u…)".into())
    })?;
    let compressed = URL_SAFE_NO_PAD
        .decode(base64)
        .map_err(|e| CredentialError::Multibase(format!("encodedList: {e}")))?;
    let limit = u64::try_from(MAX_DECODED_LIST_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bits = Vec::new();
    GzDecoder::new(compressed.as_slice())
        .take(limit)
        .read_to_end(&mut bits)
        .map_err(|e| CredentialError::StatusList(format!("encodedList is not gzip: {e}")))?;
    if bits.len() > MAX_DECODED_LIST_BYTES {
        return Err(CredentialError::StatusList(format!(
            "encodedList expands beyond {MAX_DECODED_LIST_BYTES} bytes"
        )));
    }
    Ok(bits)
}

/// The signed `BitstringStatusListCredential` publishing `list` at `list_url`
/// (Bitstring Status List §2.2), secured like the certificates ([`sign`], `eddsa-jcs-2022`).
///
/// `id` is `list_url` (the `statusListCredential` of the entries pointing at it), `issuer` the
/// key's DID, `validFrom` the given instant (when this version of the list was published),
/// and `credentialSubject` is `{id: "{list_url}#list", type: "BitstringStatusList",
/// statusPurpose, encodedList}`, plus `statusSize` and `statusMessage` for the `message`
/// purpose. The same instant is used as the proof's `created`.
///
/// # Errors
///
/// [`CredentialError::StatusList`] if the list's entry size does not match the purpose's
/// ([`StatusPurpose::status_size`]); otherwise as [`sign`].
pub fn status_list_credential(
    key: &SigningKey,
    list_url: &str,
    purpose: StatusPurpose,
    list: &StatusList,
    valid_from: DateTime<Utc>,
) -> Result<Value> {
    if list.status_size() != purpose.status_size() {
        return Err(CredentialError::StatusList(format!(
            "a {} list has {}-bit entries, not {}",
            purpose.as_str(),
            purpose.status_size(),
            list.status_size()
        )));
    }
    let mut subject = json!({
        "id": format!("{list_url}#list"),
        "type": "BitstringStatusList",
        "statusPurpose": purpose.as_str(),
        "encodedList": list.encoded_list()?,
    });
    if purpose == StatusPurpose::Message
        && let Some(subject) = subject.as_object_mut()
    {
        subject.insert("statusSize".into(), purpose.status_size().into());
        subject.insert("statusMessage".into(), status_messages());
    }
    let document = json!({
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": key.did(),
        "validFrom": valid_from.to_rfc3339_opts(SecondsFormat::Secs, true),
        "credentialSubject": subject,
    });
    sign(key, &document, valid_from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_and_messages_line_up() {
        let messages = status_messages();
        for status in CredentialStatus::ALL {
            let code = status.message_code();
            assert_eq!(CredentialStatus::from_message_code(code), Some(status));
            assert_eq!(
                messages[usize::from(code)],
                json!({"status": format!("0x{code}"), "message": status.message()})
            );
        }
        assert_eq!(CredentialStatus::from_message_code(4), None);
    }

    #[test]
    fn only_revoked_sets_the_revocation_bit() {
        let set: Vec<_> = CredentialStatus::ALL
            .into_iter()
            .filter(|s| s.revocation_bit() == 1)
            .collect();
        assert_eq!(set, [CredentialStatus::Revoked]);
    }

    #[test]
    fn the_first_bit_is_the_most_significant_bit_of_the_first_byte() {
        let mut list = StatusList::for_purpose(StatusPurpose::Revocation);
        list.set(0, 1).unwrap();
        list.set(9, 1).unwrap();
        assert_eq!(&list.as_bytes()[..2], &[0b1000_0000, 0b0100_0000]);

        let mut list = StatusList::for_purpose(StatusPurpose::Message);
        list.set(0, 2).unwrap();
        list.set(3, 1).unwrap();
        assert_eq!(list.as_bytes()[0], 0b1000_0001);
    }

    #[test]
    fn lists_below_the_herd_privacy_minimum_are_refused() {
        assert!(StatusList::new(131_072, 1).is_ok());
        assert!(StatusList::new(131_064, 1).is_err());
        assert!(StatusList::new(131_072, 2).is_err());
        assert!(StatusList::new(262_144, 2).is_ok());
        assert!(StatusList::new(262_144, 3).is_err());
        assert!(StatusList::new(131_073, 1).is_err());
    }
}
