//! A GraphQL request read from its HTTP body within bounds: a JSON body up to
//! `GRAPHQL_MAX_BODY_BYTES`, nested no deeper than `GRAPHQL_MAX_NESTING`; a multipart
//! upload only from a signed-in caller, with one `operations` part, one `map` part and at
//! most `UPLOAD_MAX_FILES` files of at most the programme's document size.

use super::{Edge, refusal, refusal_closing, scan};

/// A refusal to send instead of executing; boxed, as it is the rare path.
pub type Refused = Box<Response>;

fn refuse(status: StatusCode, code: &'static str, message: &str) -> Refused {
    Box::new(refusal(status, code, message))
}

fn refuse_closing(status: StatusCode, code: &'static str, message: &str) -> Refused {
    Box::new(refusal_closing(status, code, message))
}
use async_graphql::{BatchRequest, UploadValue};
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use futures::StreamExt;
use std::collections::HashMap;
use tokio::io::AsyncWriteExt;

/// Reads the request in `body`. `signed_in` callers may upload; anyone else's multipart
/// body is refused before a byte of it is read.
pub async fn read(
    edge: &Edge,
    headers: &HeaderMap,
    body: Body,
    signed_in: bool,
) -> Result<BatchRequest, Refused> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    if content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/")
    {
        if !signed_in {
            return Err(refuse_closing(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "Sign in to upload documents.",
            ));
        }
        return multipart(edge, content_type, body).await;
    }
    let limit = edge.settings.max_body_bytes;
    if declared_length(headers).is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let bytes = collect(body, limit).await?;
    operations(edge, &bytes)
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn too_large(limit: usize) -> Refused {
    refuse_closing(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        &format!("The request body is larger than the {limit} bytes accepted."),
    )
}

fn unreadable() -> Refused {
    refuse_closing(
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        "The request body could not be read.",
    )
}

/// The body's bytes, refused as soon as they pass `limit`.
async fn collect(body: Body, limit: usize) -> Result<Vec<u8>, Refused> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The JSON `operations`: nesting checked on the bytes before serde builds the values.
fn operations(edge: &Edge, bytes: &[u8]) -> Result<BatchRequest, Refused> {
    // The request object and its `variables` object hold the client's values.
    let allowed = edge.settings.max_nesting + 2;
    if scan::json_nesting(bytes, allowed) > allowed {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "VARIABLES_TOO_DEEP",
            &format!(
                "The variables nest more than {} levels deep.",
                edge.settings.max_nesting
            ),
        ));
    }
    serde_json::from_slice::<BatchRequest>(bytes).map_err(|e| {
        refuse(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &format!(
                "The body is not a GraphQL request in JSON ({}).",
                crate::guard::cut(&e.to_string(), 200)
            ),
        )
    })
}

/// A GraphQL multipart request (the graphql-multipart-request-spec), with its file
/// written to an anonymous temporary file.
async fn multipart(edge: &Edge, content_type: &str, body: Body) -> Result<BatchRequest, Refused> {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "A multipart body needs a boundary in its Content-Type.",
        ));
    };
    let max_files = edge.settings.max_upload_files;
    let per_file = edge.max_upload_bytes;
    let json_limit = edge.settings.max_body_bytes as u64;
    let whole = (per_file as u64)
        .saturating_mul(max_files as u64)
        .saturating_add(json_limit.saturating_mul(2))
        .saturating_add(64 * 1024);
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(whole)
            .per_field(per_file as u64)
            .for_field("operations", json_limit)
            .for_field("map", json_limit),
    );
    let mut parts =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut request = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    let mut files = Vec::new();
    let mut seen = 0usize;
    // Once refused, the rest is read and dropped (within the stream's bound), so that the
    // client, still sending, can read the answer instead of a reset connection.
    let mut refused: Option<Refused> = None;
    loop {
        let field = match parts.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(refused.unwrap_or_else(|| multipart_error(&e, whole))),
        };
        seen += 1;
        let name = field.name().map(str::to_owned);
        let is_file = !matches!(name.as_deref(), Some("operations" | "map"));
        if refused.is_none() && (seen > max_files + 2 || (is_file && files.len() >= max_files)) {
            refused = Some(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "TOO_MANY_PARTS",
                &format!("A request may carry at most {max_files} file(s)."),
            ));
        }
        if let Some(answer) = refused.take() {
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => return Err(answer),
                }
            }
            refused = Some(answer);
            continue;
        }
        match name.as_deref() {
            Some("operations") => {
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| multipart_error(&e, whole))?;
                request = Some(operations(edge, &bytes)?);
            }
            Some("map") => {
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| multipart_error(&e, whole))?;
                if scan::json_nesting(&bytes, 4) > 4 {
                    return Err(bad_map());
                }
                map = Some(serde_json::from_slice(&bytes).map_err(|_| bad_map())?);
            }
            Some(name) => {
                let name = name.to_owned();
                let filename = field.file_name().unwrap_or("upload").to_owned();
                let content_type = field.content_type().map(ToString::to_string);
                let file = spool(field, whole).await?;
                files.push((name, filename, content_type, file));
            }
            None => return Err(bad_map()),
        }
    }
    if let Some(answer) = refused {
        return Err(answer);
    }
    let Some(mut request) = request else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "A multipart request needs an `operations` part.",
        ));
    };
    let mut map = map.unwrap_or_default();
    for (name, filename, content_type, file) in files {
        let Some(paths) = map.remove(&name) else {
            continue;
        };
        for path in paths.iter().take(max_files) {
            let BatchRequest::Single(single) = &mut request else {
                break;
            };
            let copy = file.try_clone().map_err(|_| unreadable())?;
            single.set_upload(
                path,
                UploadValue {
                    filename: filename.clone(),
                    content_type: content_type.clone(),
                    content: copy,
                },
            );
        }
    }
    Ok(request)
}

/// One file part, written to an anonymous temporary file (removed when dropped).
async fn spool(mut field: multer::Field<'static>, whole: u64) -> Result<std::fs::File, Refused> {
    let file = tempfile::tempfile().map_err(|e| {
        tracing::error!(error = %e, "cannot create a temporary file for an upload");
        refuse_closing(
            StatusCode::SERVICE_UNAVAILABLE,
            "BUSY",
            "The upload cannot be taken right now. Try again in a moment.",
        )
    })?;
    let mut file = tokio::fs::File::from_std(file);
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| multipart_error(&e, whole))?
    {
        file.write_all(&chunk).await.map_err(|_| unreadable())?;
    }
    file.flush().await.map_err(|_| unreadable())?;
    let mut file = file.into_std().await;
    std::io::Seek::rewind(&mut file).map_err(|_| unreadable())?;
    Ok(file)
}

fn bad_map() -> Refused {
    refuse(
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        "The multipart `map` part must be a JSON object of file names to variable paths.",
    )
}

fn multipart_error(error: &multer::Error, whole: u64) -> Refused {
    match error {
        multer::Error::FieldSizeExceeded { field_name, .. } => refuse_closing(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!(
                "The part “{}” is larger than accepted.",
                crate::guard::cut(field_name.as_deref().unwrap_or("?"), 60)
            ),
        ),
        multer::Error::StreamSizeExceeded { .. } => {
            too_large(usize::try_from(whole).unwrap_or(usize::MAX))
        }
        _ => refuse_closing(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "The multipart body is malformed.",
        ),
    }
}
