//! A GraphQL client for `TestApp`, helpers to read responses, and the usual setup steps
//! (a verified, signed-in user; a program officer).

use super::app::{APP_URL, TestApp};
use serde_json::{Value, json};

/// The password test users sign up with.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// POSTs `body` to `/graphql` as JSON, with `token` as bearer if given; returns the
    /// HTTP status and the parsed body.
    pub async fn post_graphql(&self, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.http.post(self.url("/graphql")).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("/graphql answered {status} with non-JSON ({e}): {text}"));
        (status, value)
    }

    /// Runs one operation anonymously; returns the whole response (`data` and `errors`).
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_with(None, query, variables).await
    }

    /// Runs one operation as the holder of `token`.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.gql_with(Some(token), query, variables).await
    }

    async fn gql_with(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post_graphql(token, &json!({ "query": query, "variables": variables }))
            .await;
        assert_eq!(status, 200, "GraphQL answered HTTP {status}: {body}");
        body
    }

    /// `GET path`: status and body text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Registers; panics unless the payload says ok.
    pub async fn register(&self, email: &str, name: &str, password: &str) {
        let r = self
            .gql(
                "mutation($input: RegisterInput!) { register(input: $input) { ok userErrors { field message code } } }",
                json!({ "input": { "email": email, "password": password, "displayName": name } }),
            )
            .await;
        let payload = &data(&r)["register"];
        assert_eq!(payload["ok"], json!(true), "register {email}: {r}");
    }

    /// Waits for the verification email to `email` and returns the token in its link.
    pub async fn verification_token(&self, email: &str) -> String {
        let prefix = format!("{APP_URL}/verify-email?token=");
        let message = self
            .smtp
            .wait_for(&format!("a verification email to {email}"), |m| {
                m.is_to(email) && m.text.contains(&prefix)
            })
            .await;
        message
            .link_token(&prefix)
            .unwrap_or_else(|| panic!("no token in: {}", message.text))
    }

    pub async fn verify_email(&self, token: &str) -> Value {
        self.gql(
            "mutation($input: VerifyEmailInput!) { verifyEmail(input: $input) { account { id email emailVerified roles } userErrors { field message code } } }",
            json!({ "input": { "token": token } }),
        )
        .await
    }

    /// Signs in; returns the whole response.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.gql(
            "mutation($input: LoginInput!) { login(input: $input) { token expiresAt account { id email } userErrors { field message code } } }",
            json!({ "input": { "email": email, "password": password } }),
        )
        .await
    }

    /// Signs in and returns the bearer token; panics unless that works.
    pub async fn token_for(&self, email: &str, password: &str) -> String {
        let r = self.login(email, password).await;
        data(&r)["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login {email} gave no token: {r}"))
            .to_owned()
    }

    /// Registers, verifies through the emailed link and signs in: a user as the
    /// programme meets them. Returns their account id and token.
    pub async fn signed_up_user(&self, email: &str, name: &str) -> User {
        self.register(email, name, PASSWORD).await;
        let token = self.verification_token(email).await;
        let r = self.verify_email(&token).await;
        let account = &data(&r)["verifyEmail"]["account"];
        assert_eq!(account["emailVerified"], json!(true), "verify {email}: {r}");
        User {
            id: account["id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
            token: self.token_for(email, PASSWORD).await,
        }
    }

    /// A program officer made the way the installer does (`lsscp create-officer`), signed
    /// in.
    pub async fn officer(&self, email: &str) -> User {
        let account = domain::services::accounts::create_officer(
            &self.services,
            email,
            "Olive Officer",
            PASSWORD.to_owned(),
        )
        .await
        .unwrap();
        User {
            id: account.id.to_string(),
            email: email.to_owned(),
            token: self.token_for(email, PASSWORD).await,
        }
    }

    /// `me { … }` as `token`.
    pub async fn me(&self, token: &str) -> Value {
        self.gql_as(
            token,
            "{ me { id email displayName emailVerified roles } }",
            json!({}),
        )
        .await
    }
}

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct User {
    /// The GraphQL `ID`.
    pub id: String,
    pub email: String,
    pub token: String,
}

/// `data` of a response that must have no errors.
pub fn data(response: &Value) -> &Value {
    assert!(
        response.get("errors").is_none_or(Value::is_null),
        "expected no errors: {response}"
    );
    &response["data"]
}

/// The `extensions.code` of each top-level error.
pub fn error_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The code of the one top-level error of a response; panics unless there is exactly one.
pub fn error_code(response: &Value) -> String {
    let codes = error_codes(response);
    assert_eq!(codes.len(), 1, "expected exactly one error: {response}");
    codes.into_iter().next().unwrap_or_default()
}

/// The codes of a payload's `userErrors`.
pub fn user_error_codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("no userErrors in {payload}"))
        .iter()
        .map(|e| e["code"].as_str().unwrap_or("<none>").to_owned())
        .collect()
}
