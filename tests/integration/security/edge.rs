//! The HTTP edge: every input bounded before it is parsed, coded refusals, the security
//! headers, CORS and the connection bounds, each over HTTP against the real server.

use crate::support::{TestApp, data, error_code};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// POSTs raw `body` as JSON; status, headers and the parsed answer.
async fn post_raw(app: &TestApp, body: Vec<u8>) -> (u16, Value) {
    let response = client()
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"));
    (status, value)
}

async fn still_serving(app: &TestApp) {
    let r = app.gql("{ __typename }", json!({})).await;
    assert_eq!(data(&r)["__typename"], json!("Query"), "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deeply_nested_argument_is_refused_before_parsing_and_the_server_lives() {
    let app = TestApp::builder().without_worker().start().await;
    // The original finding: about 2,000 levels of list in 4 KB overflowed the stack.
    let deep_list = format!(
        "{{ competencySet(code: {}\"x\"{}) {{ code }} }}",
        "[".repeat(2000),
        "]".repeat(2000)
    );
    let r = app.gql(&deep_list, json!({})).await;
    assert_eq!(error_code(&r), "QUERY_TOO_DEEP", "{r}");

    let mut object = String::from("1");
    for _ in 0..2000 {
        object = format!("{{a:{object}}}");
    }
    let deep_object = format!("{{ competencySet(code: {object}) {{ code }} }}");
    let r = app.gql(&deep_object, json!({})).await;
    assert_eq!(error_code(&r), "QUERY_TOO_DEEP", "{r}");

    // Deep selections, however written, also stop at the bracket scan.
    let deep_selection = format!("{}{}", "{ a ".repeat(3000), "}".repeat(3000));
    let r = app.gql(&deep_selection, json!({})).await;
    assert_eq!(error_code(&r), "QUERY_TOO_DEEP", "{r}");
    still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deeply_nested_variables_are_refused_before_they_are_built() {
    let app = TestApp::builder().without_worker().start().await;
    let body = format!(
        r#"{{"query":"query($v: String) {{ __typename }}","variables":{{"v":{}1{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (status, r) = post_raw(&app, body.into_bytes()).await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(error_code(&r), "VARIABLES_TOO_DEEP", "{r}");
    still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn aliases_typename_and_fragments_count_as_the_fields_they_select() {
    let app = TestApp::builder().without_worker().start().await;
    // 200,000 aliased __typename (3.8 MB) once executed; now the body alone is too large.
    let huge: String = (0..200_000).map(|i| format!("a{i}: __typename ")).collect();
    let (status, r) = post_raw(
        &app,
        serde_json::to_vec(&json!({ "query": format!("{{ {huge} }}") })).unwrap(),
    )
    .await;
    assert_eq!(status, 413, "{r}");
    assert_eq!(error_code(&r), "PAYLOAD_TOO_LARGE", "{r}");

    // Within the body and text limits, the fields are counted.
    let many: String = (0..1001).map(|i| format!("a{i}:__typename ")).collect();
    let r = app.gql(&format!("{{ {many} }}"), json!({})).await;
    assert_eq!(error_code(&r), "TOO_MANY_FIELDS", "{r}");

    // A fragment spread twice in each of 20 fragments selects 2^20 fields in 1 KB.
    let mut text = String::from("{ ...F0 }\n");
    for i in 0..20 {
        text.push_str(&format!(
            "fragment F{i} on Query {{ ...F{n} ...F{n} }}\n",
            n = i + 1
        ));
    }
    text.push_str("fragment F20 on Query { __typename }\n");
    let r = app.gql(&text, json!({})).await;
    assert_eq!(error_code(&r), "TOO_MANY_FIELDS", "{r}");

    // Introspection is one schema per request.
    let r = app
        .gql(
            "{ a: __schema { types { name } } b: __schema { types { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r), "TOO_MANY_FIELDS", "{r}");

    // The text itself is bounded.
    let long = format!("{{ __typename }} # {}", "x".repeat(40 * 1024));
    let r = app.gql(&long, json!({})).await;
    assert_eq!(error_code(&r), "QUERY_TOO_LARGE", "{r}");
    still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_request_checks_at_most_one_password() {
    let app = TestApp::builder().without_worker().start().await;
    let logins: String = (0..40)
        .map(|i| {
            format!("l{i}: login(input: {{ email: \"x{i}@example.org\", password: \"p\" }}) {{ token }} ")
        })
        .collect();
    let r = app
        .gql(&format!("mutation {{ {logins} }}"), json!({}))
        .await;
    assert_eq!(error_code(&r), "TOO_MANY_CREDENTIAL_CHECKS", "{r}");
    assert!(r.get("data").is_none_or(Value::is_null), "{r}");
    // A fragment cannot hide the second one.
    let r = app
        .gql(
            "mutation { ...A login(input: { email: \"b@example.org\", password: \"p\" }) { token } }
             fragment A on Mutation { register(input: { email: \"a@example.org\", password: \"p\", displayName: \"A\" }) { ok } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r), "TOO_MANY_CREDENTIAL_CHECKS", "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_is_refused_with_413_before_it_is_read() {
    let app = TestApp::builder().without_worker().start().await;
    // Declared: refused on the header alone.
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        120 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("answered without the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");

    // Streamed without a length: cut off once past the limit.
    let chunks =
        futures::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])));
    let response = client()
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    // The server may close before the client has sent everything; either answer is a
    // refusal, never an execution.
    if let Ok(response) = response {
        assert_eq!(response.status().as_u16(), 413);
    }
    still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_need_a_signed_in_caller_and_carry_one_file() {
    let app = TestApp::start().await;
    // Anonymous: refused before the file is read (it is never sent in full).
    let form = reqwest::multipart::Form::new()
        .text("operations", r#"{"query":"mutation { __typename }"}"#)
        .text("map", "{}")
        .part(
            "0",
            reqwest::multipart::Part::bytes(vec![0u8; 8 * 1024 * 1024]).file_name("big.pdf"),
        );
    let response = client()
        .post(app.url("/graphql"))
        .multipart(form)
        .send()
        .await;
    if let Ok(response) = response {
        assert_eq!(response.status().as_u16(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    }

    // Signed in, 500 file parts: refused at the second, with no internal detail.
    let user = app
        .signed_up_user("uploader@example.org", "Uma Uploader")
        .await;
    let mut form = reqwest::multipart::Form::new()
        .text("operations", r#"{"query":"mutation { __typename }"}"#)
        .text("map", "{}");
    for i in 0..500 {
        form = form.part(
            format!("f{i}"),
            reqwest::multipart::Part::bytes(b"%PDF-1.4".to_vec()).file_name(format!("{i}.pdf")),
        );
    }
    let response = client()
        .post(app.url("/graphql"))
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "TOO_MANY_PARTS", "{body}");
    let text = body.to_string();
    assert!(
        !text.contains("Io(") && !text.contains("os error"),
        "{text}"
    );
    still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_security_headers_and_graphiql_pins_its_scripts() {
    let app = TestApp::builder().without_worker().start().await;
    for path in ["/healthz", "/graphql", "/"] {
        let response = client().get(app.url(path)).send().await.unwrap();
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h.contains_key("content-security-policy"), "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
    }
    let response = client().get(app.url("/")).send().await.unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self' https://unpkg.com"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    let page = response.text().await.unwrap();
    for script in page.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap();
        if tag.contains("unpkg.com") {
            assert!(tag.contains("integrity=\"sha384-"), "{tag}");
            assert!(tag.contains("@18.3.1") || tag.contains("@3.8.3"), "{tag}");
        }
    }
    assert!(!page.contains("<script>"), "no inline script: {page}");
    let (status, init) = app.get("/graphiql/init.js").await;
    assert_eq!(status, 200);
    assert!(init.contains("/graphql"), "{init}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_origin_calls_are_allowed_only_from_configured_origins() {
    let app = TestApp::builder().without_worker().start().await;
    let preflight = |app: &TestApp| {
        client()
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", "https://app.example.org")
            .header("access-control-request-method", "POST")
            .send()
    };
    let response = preflight(&app).await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let response = client()
        .post(app.url("/graphql"))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let app = TestApp::builder()
        .without_worker()
        .edge(|e| e.cors_allowed_origins = vec!["https://app.example.org".to_owned()])
        .start()
        .await;
    let response = preflight(&app).await.unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.org"
    );
    assert!(
        response.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let app = TestApp::builder()
        .without_worker()
        .edge(|e| e.header_read_timeout_secs = 1)
        .start()
        .await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("the server closed the connection");
    // Closed (0 bytes or reset), or a 408 before closing.
    if let Ok(n) = read {
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    }
    still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_introspection_off_errors_suggest_no_field_names_and_messages_are_bounded() {
    let app = TestApp::builder()
        .without_worker()
        .introspection(false)
        .start()
        .await;
    let r = app.gql("{ competencySt { code } }", json!({})).await;
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");

    let name = "x".repeat(20_000);
    let r = app.gql(&format!("{{ {name} }}"), json!({})).await;
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(message.chars().count() <= 501, "{} chars", message.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_is_refused_without_reading_the_body() {
    let app = TestApp::builder().without_worker().start().await;
    let (status, r) = app
        .post_graphql(Some("not-a-token"), &json!({ "query": "{ __typename }" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&r), "UNAUTHENTICATED", "{r}");
    let long = "a".repeat(4000);
    let (_, r) = app
        .post_graphql(Some(&long), &json!({ "query": "{ __typename }" }))
        .await;
    assert_eq!(error_code(&r), "UNAUTHENTICATED", "{r}");
}

/// Reads a shared record once with `forwarded_for` and returns the address its access
/// log kept.
async fn logged_address(app: &TestApp, forwarded_for: &str) -> Option<String> {
    use crate::support::candidates::{self as steps, ok_payload};
    use sea_orm::EntityTrait;
    let officer = app.officer("officer@lsscp.test").await;
    let courses = steps::approved_courses(app, &officer, &["FOUNDATIONS"]).await;
    let kim = steps::candidate(app, &officer, "kim@example.org", "Kim", "Sharer").await;
    for (_, course) in &courses {
        steps::achieve(app, &kim.user.token, &officer.token, course).await;
    }
    let now: chrono::DateTime<chrono::Utc> = app.services.now();
    let r = app
        .gql_as(
            &kim.user.token,
            "mutation($input: CreateShareGrantInput!) { createShareGrant(input: $input) { token userErrors { code } } }",
            json!({ "input": {
                "granteeName": "Hiring Manager",
                "granteeEmail": "hr@library.example",
                "expiresAt": (now + chrono::Duration::days(10)).to_rfc3339(),
                "setCodes": ["FOUNDATIONS"],
            } }),
        )
        .await;
    let token = ok_payload(&r, "createShareGrant")["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = client()
        .post(app.url("/graphql"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({
            "query": "query($token: String!) { sharedRecord(token: $token) { candidateName } }",
            "variables": { "token": token },
        }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    data(&body);
    let rows = entity::car_access_log::Entity::find()
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].ip.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_access_log_believes_x_forwarded_for_only_from_a_trusted_proxy() {
    // The test client connects from 127.0.0.1, which is not a configured proxy here.
    let app = TestApp::builder()
        .edge(|e| e.trusted_proxies = vec!["10.0.0.0/8".to_owned()])
        .start()
        .await;
    assert_eq!(
        logged_address(&app, "6.6.6.6").await.as_deref(),
        Some("127.0.0.1")
    );
    app.stop().await;

    // Behind a trusted proxy, the rightmost hop it did not add is the client.
    let app = TestApp::builder()
        .edge(|e| e.trusted_proxies = vec!["127.0.0.1".to_owned()])
        .start()
        .await;
    assert_eq!(
        logged_address(&app, "6.6.6.6, 198.51.100.7")
            .await
            .as_deref(),
        Some("198.51.100.7")
    );
}
