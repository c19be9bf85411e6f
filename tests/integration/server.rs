//! The HTTP server: health and readiness, GraphiQL, the request limits, error codes, and
//! the checked-in schema.

use crate::support::{TestApp, data, error_code};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn health_says_ok_and_readiness_reports_the_database_and_the_queue() {
    let app = TestApp::builder().without_worker().start().await;
    assert_eq!(app.get("/healthz").await, (200, "ok".to_owned()));

    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body, json!({ "database": "ok", "queue": "ok" }));
}

#[tokio::test(flavor = "multi_thread")]
async fn graphiql_is_served_at_the_root() {
    let app = TestApp::builder().without_worker().start().await;
    let (status, body) = app.get("/").await;
    assert_eq!(status, 200);
    assert!(body.to_lowercase().contains("graphiql"), "{body}");
    assert!(body.contains("/graphql"), "{body}");
}

/// `__schema { types { fields { type { ofType { … { name } } } } } }`, `depth` fields deep.
fn nested_query(depth: usize) -> String {
    let mut fields = vec!["__schema", "types", "fields", "type"];
    fields.resize(depth - 1, "ofType");
    let mut query = String::from("name");
    for field in fields.iter().rev() {
        query = format!("{field} {{ {query} }}");
    }
    format!("{{ {query} }}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_nested_deeper_than_the_limit_is_refused_with_a_code() {
    let app = TestApp::builder().without_worker().start().await;
    // Fifteen levels are allowed…
    let r = app.gql(&nested_query(15), json!({})).await;
    assert!(data(&r)["__schema"]["types"].is_array());
    // …sixteen are not.
    let r = app.gql(&nested_query(16), json!({})).await;
    assert_eq!(error_code(&r), "GRAPHQL_VALIDATION_FAILED", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{r}"
    );
    assert!(r.get("data").is_none_or(Value::is_null), "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_over_complex_query_is_refused_with_a_code_before_anything_runs() {
    let app = TestApp::builder().without_worker().start().await;
    // Eighty pages of a hundred accounts with their roles: over the complexity budget.
    // Anonymous callers may not list accounts, so a query that ran would fail differently.
    let query: String = (0..80)
        .map(|i| {
            format!(
                "a{i}: accounts(first: 100) {{ edges {{ node {{ id email displayName roles }} }} }}\n"
            )
        })
        .collect();
    let r = app.gql(&format!("{{\n{query}}}"), json!({})).await;
    assert_eq!(error_code(&r), "GRAPHQL_VALIDATION_FAILED", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_syntax_error_is_refused_with_graphql_validation_failed() {
    let app = TestApp::builder().without_worker().start().await;
    let r = app.gql("{ competencySets { code ", json!({})).await;
    assert_eq!(error_code(&r), "GRAPHQL_VALIDATION_FAILED", "{r}");
    let r = app
        .gql("{ competencySets { noSuchField } }", json!({}))
        .await;
    assert_eq!(error_code(&r), "GRAPHQL_VALIDATION_FAILED", "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_introspection_types_cannot_be_read_and_graphiql_is_not_served() {
    let app = TestApp::builder()
        .without_worker()
        .introspection(false)
        .start()
        .await;
    let r = app
        .gql(
            "{ __schema { types { name } } __type(name: \"CompetencySet\") { fields { name } } }",
            json!({}),
        )
        .await;
    // Nothing of the schema comes back. (async-graphql answers `null` rather than an
    // error: the request is not refused outright, it is answered with nothing.)
    assert!(
        !r.to_string().contains("CompetencySet"),
        "introspection answered: {r}"
    );
    assert!(
        !r.to_string().contains("revisionNote"),
        "introspection answered: {r}"
    );
    assert_eq!(r["data"]["__schema"], Value::Null, "{r}");
    assert_eq!(r["data"]["__type"], Value::Null, "{r}");
    let (status, _) = app.get("/").await;
    assert_eq!(status, 404);
    // Ordinary queries still work.
    let r = app.gql("{ competencySets { code } }", json!({})).await;
    assert_eq!(
        data(&r)["competencySets"].as_array().map(Vec::len),
        Some(10)
    );
}
