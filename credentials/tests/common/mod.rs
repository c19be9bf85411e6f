//! Fixtures shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use credentials::{CertificateFacts, SigningKey};

pub const PUBLIC_URL: &str = "https://lsscp.example.org";

/// A fixed key, so failures reproduce.
pub fn programme_key() -> SigningKey {
    SigningKey::from_seed(&[0x11; 32])
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn noon(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

pub fn facts() -> CertificateFacts {
    CertificateFacts {
        number: "LSSCP-2025-000123".into(),
        holder_name: "Zoë O'Brien-Nakamura".into(),
        verification_code: "7QX4M2KD9H".into(),
        awarded_on: day(2025, 3, 14),
        period_start: day(2025, 3, 14),
        period_expiry: day(2030, 3, 14),
        achieved_sets: vec![
            "Foundations of Library Services".into(),
            "Technology".into(),
            "Communication and Teamwork".into(),
            "Reference and Information Services".into(),
            "Youth Services".into(),
            "Collection Management".into(),
        ],
        credential_id: format!("{PUBLIC_URL}/credentials/LSSCP-2025-000123/1"),
        achievement_id: format!("{PUBLIC_URL}/achievements/certified-library-support-staff"),
        revocation_list_url: format!("{PUBLIC_URL}/status/revocation/1"),
        message_list_url: format!("{PUBLIC_URL}/status/message/1"),
        status_index: 94_567,
    }
}
