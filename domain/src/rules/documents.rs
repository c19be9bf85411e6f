//! What may be uploaded: size, media type, and whether the bytes are what they claim.

use crate::config::DocumentRules;
use crate::error::Violation;

/// Media types by file extension, for uploads that arrive without a useful type.
const BY_EXTENSION: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
    ("rtf", "application/rtf"),
    ("txt", "text/plain"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("wav", "audio/wav"),
    ("mp4", "video/mp4"),
    ("mov", "video/quicktime"),
    ("webm", "video/webm"),
];

/// Leading bytes each type must start with, where the format has a signature.
fn signature_matches(media_type: &str, head: &[u8]) -> bool {
    let zip = head.starts_with(b"PK\x03\x04");
    match media_type {
        "application/pdf" => head.starts_with(b"%PDF-"),
        "image/png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/gif" => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
        "image/webp" => head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP",
        "audio/wav" => head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE",
        "application/rtf" => head.starts_with(b"{\\rtf"),
        t if t.starts_with("application/vnd.openxmlformats")
            || t.starts_with("application/vnd.oasis.opendocument") =>
        {
            zip
        }
        // Legacy office formats share the OLE2 signature.
        "application/msword" | "application/vnd.ms-excel" | "application/vnd.ms-powerpoint" => {
            head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
        }
        // Text, audio and video containers vary too much to check by signature.
        _ => true,
    }
}

/// The extension of a file name, lower-cased.
fn extension(filename: &str) -> Option<String> {
    let (_, ext) = filename.rsplit_once('.')?;
    Some(ext.to_ascii_lowercase())
}

/// A file name safe to store and to send back in a `Content-Disposition` header.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        "document".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Decides the media type of an upload and checks it against the rules. `head` is the
/// first bytes of the file (at least 16 when the file is that long).
pub fn check_upload(
    rules: &DocumentRules,
    filename: &str,
    declared_type: Option<&str>,
    size: u64,
    head: &[u8],
) -> Result<String, Violation> {
    if size == 0 {
        return Err(Violation::new("FILE_EMPTY", "The file is empty.").on("file"));
    }
    if size > rules.max_bytes {
        return Err(Violation::new(
            "FILE_TOO_LARGE",
            format!(
                "The file is {:.1} MB; the largest accepted is {:.1} MB.",
                size as f64 / 1_048_576.0,
                rules.max_bytes as f64 / 1_048_576.0
            ),
        )
        .on("file"));
    }
    let declared = declared_type
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty() && t != "application/octet-stream");
    let by_ext = extension(filename).and_then(|e| {
        BY_EXTENSION
            .iter()
            .find(|(x, _)| *x == e)
            .map(|(_, t)| (*t).to_owned())
    });
    let Some(media_type) = declared.or(by_ext) else {
        return Err(Violation::new(
            "FILE_TYPE_UNKNOWN",
            "Cannot tell what kind of file this is; give it an extension such as .pdf or .docx.",
        )
        .on("file"));
    };
    if !rules.allowed_types.contains(&media_type) {
        return Err(Violation::new(
            "FILE_TYPE_NOT_ALLOWED",
            format!(
                "Files of type {media_type} are not accepted. Upload a PDF, an office document, an image, audio or video."
            ),
        )
        .on("file"));
    }
    if !signature_matches(&media_type, head) {
        return Err(Violation::new(
            "FILE_CONTENT_MISMATCH",
            format!("The file does not look like {media_type}; it may be damaged or misnamed."),
        )
        .on("file"));
    }
    Ok(media_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProgrammeConfig;

    fn rules() -> DocumentRules {
        ProgrammeConfig::defaults().unwrap().documents
    }

    #[test]
    fn a_pdf_is_accepted_by_declared_type_or_by_extension() {
        let head = b"%PDF-1.7\n%....";
        assert_eq!(
            check_upload(&rules(), "c.pdf", Some("application/pdf"), 100, head).unwrap(),
            "application/pdf"
        );
        assert_eq!(
            check_upload(
                &rules(),
                "c.PDF",
                Some("application/octet-stream"),
                100,
                head
            )
            .unwrap(),
            "application/pdf"
        );
    }

    #[test]
    fn executables_and_scripts_are_refused() {
        let v = check_upload(
            &rules(),
            "x.exe",
            Some("application/x-msdownload"),
            10,
            b"MZ",
        )
        .unwrap_err();
        assert_eq!(v.code, "FILE_TYPE_NOT_ALLOWED");
        let v = check_upload(&rules(), "x.html", Some("text/html"), 10, b"<html>").unwrap_err();
        assert_eq!(v.code, "FILE_TYPE_NOT_ALLOWED");
    }

    #[test]
    fn a_file_that_is_not_what_it_claims_is_refused() {
        let v = check_upload(
            &rules(),
            "a.pdf",
            Some("application/pdf"),
            10,
            b"MZ\x90\x00",
        )
        .unwrap_err();
        assert_eq!(v.code, "FILE_CONTENT_MISMATCH");
    }

    #[test]
    fn size_limits_hold_at_the_boundary() {
        let r = rules();
        assert!(check_upload(&r, "a.txt", Some("text/plain"), r.max_bytes, b"hello").is_ok());
        assert_eq!(
            check_upload(&r, "a.txt", Some("text/plain"), r.max_bytes + 1, b"hello")
                .unwrap_err()
                .code,
            "FILE_TOO_LARGE"
        );
        assert_eq!(
            check_upload(&r, "a.txt", Some("text/plain"), 0, b"")
                .unwrap_err()
                .code,
            "FILE_EMPTY"
        );
    }

    #[test]
    fn file_names_lose_their_paths_and_quotes() {
        assert_eq!(clean_filename("../../etc/pass\"wd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\a\\cv.pdf"), "cv.pdf");
        assert_eq!(clean_filename("   "), "document");
    }
}
