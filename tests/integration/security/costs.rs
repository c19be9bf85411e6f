//! What a request may cost: every list is priced at the most rows it can return and every
//! long text at its longest, before anything runs, so a small request cannot ask for a
//! large answer.

use crate::support::{TestApp, data, error_code};
use api::graphql::cost::price_of;
use infra::settings::DEFAULT_MAX_COMPLEXITY;
use serde_json::{Value, json};

const CATALOGUE: &str = "competencySets { code name description competencies { number text } }";

fn refused_as_too_complex(r: &Value) {
    assert_eq!(error_code(r), "GRAPHQL_VALIDATION_FAILED", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{r}"
    );
    assert!(r.get("data").is_none_or(Value::is_null), "{r}");
}

/// The finding: aliases of a public list without `first`, each answering the whole
/// catalogue (about 50 KB), made a 49 KiB request answer 17 MiB.
#[tokio::test(flavor = "multi_thread")]
async fn many_list_fields_without_first_are_refused_before_they_run() {
    let app = TestApp::builder().without_worker().start().await;
    let aliases: String = (0..120).map(|i| format!("a{i}: {CATALOGUE}\n")).collect();
    let query = format!("{{\n{aliases}}}");
    assert!(price_of(&query) > 2 * DEFAULT_MAX_COMPLEXITY);
    refused_as_too_complex(&app.gql(&query, json!({})).await);

    // One catalogue is an ordinary page.
    let r = app.gql(&format!("{{ {CATALOGUE} }}"), json!({})).await;
    assert_eq!(
        data(&r)["competencySets"].as_array().map(Vec::len),
        Some(10)
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn realistic_pages_still_pass() {
    let app = TestApp::builder().without_worker().start().await;
    let officer = app.officer("officer@lsscp.test").await;
    // The benchmark's heaviest page: fifty candidates with their progress in every set.
    let q2 = "{ candidates(first: 50, order: NEWEST, filter: { status: ACTIVE }) { nodes { number status \
              progress { sets { competencySet { code } required status method achievedOn } } } } }";
    let r = app.gql_as(&officer.token, q2, json!({})).await;
    assert!(data(&r)["candidates"]["nodes"].is_array(), "{r}");
    // The public list of approved courses, a full page.
    let q5 = "{ approvedCourses(first: 100) { nodes { id title description competencySet { code } \
              provider { id name } approval { startsOn expiresOn } } } }";
    let r = app.gql(q5, json!({})).await;
    assert!(data(&r)["approvedCourses"]["nodes"].is_array(), "{r}");
    app.stop().await;
}

/// A list inside a list costs the product of their bounds: a queue of reviews, each with
/// its narratives, each citing competencies, is priced by every row it could return.
#[tokio::test(flavor = "multi_thread")]
async fn a_list_in_a_list_is_priced_by_the_product() {
    assert_eq!(
        price_of("{ competencySets { competencies { number } } }"),
        // 10 sets of at most 25 competencies of one field, plus each list itself.
        10 * (25 + 1) + 1
    );
    let nested = "{ myReviews { content { narratives { competencies } } } }";
    assert!(
        price_of(nested) > DEFAULT_MAX_COMPLEXITY,
        "{}",
        price_of(nested)
    );

    let app = TestApp::builder().without_worker().start().await;
    // Refused before anything runs: an anonymous caller running it would be told to sign
    // in instead.
    refused_as_too_complex(&app.gql(nested, json!({})).await);
    // One review's content is an ordinary page (and runs, to be refused for who asks).
    let r = app
        .gql(
            "{ myReview(id: 1) { content { narratives { competencies } } } }",
            json!({}),
        )
        .await;
    assert_ne!(error_code(&r), "GRAPHQL_VALIDATION_FAILED", "{r}");
    app.stop().await;
}
