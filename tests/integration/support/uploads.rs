//! Uploading documents with a GraphQL multipart request (the multipart request spec), and
//! users who hold a given role.

use super::app::TestApp;
use super::graphql::{User, data};
use serde_json::{Value, json};

/// The bytes of a small valid PDF, for uploads that must pass the type check.
pub fn pdf_bytes(label: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {label}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

impl TestApp {
    /// Uploads `bytes` as `filename` (`content_type`) with `uploadDocument`; returns the whole
    /// response.
    pub async fn upload_raw(
        &self,
        token: &str,
        purpose: &str,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Value {
        let operations = json!({
            "query": "mutation($input: UploadDocumentInput!) { uploadDocument(input: $input) { document { id filename contentType sizeBytes sha256 url } userErrors { field message code } } }",
            "variables": { "input": { "purpose": purpose, "file": null } },
        });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.input.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(filename.to_owned())
                    .mime_str(content_type)
                    .unwrap(),
            );
        let response = self
            .http
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "upload answered HTTP {status}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Uploads a small PDF with `purpose` (e.g. `COURSE_CURRICULUM`); returns its id.
    pub async fn upload_pdf(&self, token: &str, purpose: &str, label: &str) -> String {
        let r = self
            .upload_raw(
                token,
                purpose,
                &format!("{label}.pdf"),
                "application/pdf",
                pdf_bytes(label),
            )
            .await;
        let doc = &data(&r)["uploadDocument"]["document"];
        assert!(doc.is_object(), "upload failed: {r}");
        doc["id"].as_str().unwrap().to_owned()
    }

    /// A signed-up user to whom `officer` granted `role` (e.g. `CRC_MEMBER`).
    pub async fn user_with_role(
        &self,
        officer: &User,
        email: &str,
        name: &str,
        role: &str,
    ) -> User {
        let user = self.signed_up_user(email, name).await;
        let r = self
            .gql_as(
                &officer.token,
                "mutation($input: RoleInput!) { grantRole(input: $input) { account { roles } userErrors { code message } } }",
                json!({ "input": { "accountId": user.id, "role": role } }),
            )
            .await;
        assert!(
            data(&r)["grantRole"]["userErrors"]
                .as_array()
                .is_some_and(Vec::is_empty),
            "grant {role}: {r}"
        );
        user
    }
}
