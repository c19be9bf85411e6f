//! The Candidate Achievement Record: share grants a grantee reads with the emailed link
//! token, every view logged, until the grant expires or is revoked; and a record nobody
//! else can reach, by any id.

use crate::support::app::APP_URL;
use crate::support::candidates::{self as steps, ok_payload, violation_codes};
use crate::support::{PASSWORD, TestApp, data, error_code, error_codes};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

const CREATE_GRANT: &str = "mutation($input: CreateShareGrantInput!) { createShareGrant(input: $input) { \
    grant { id granteeName granteeEmail expiresAt revokedAt active competencySets { code } } \
    token userErrors { field message code } } }";

const SHARED_RECORD: &str = "query($token: String!) { sharedRecord(token: $token) { \
    candidateName candidateEmail city state granteeName expiresAt \
    workHistory { libraryName hours } education { level } \
    achievements { competencySet { code } method achievedOn } \
    certificate { number } } }";

const GRANTS: &str = "query($id: ID!) { shareGrants(candidacyId: $id) { \
    id granteeName active expiresAt revokedAt competencySets { code } \
    accessLog { viewedAt userAgent } } }";

fn codes_of(achievements: &Value) -> Vec<String> {
    achievements
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["competencySet"]["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The grant `id` among the candidacy's grants, as `token` sees them.
async fn grant(app: &TestApp, token: &str, candidacy: &str, id: &str) -> Value {
    let r = app.gql_as(token, GRANTS, json!({ "id": candidacy })).await;
    data(&r)["shareGrants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == json!(id))
        .unwrap_or_else(|| panic!("no grant {id} in {r}"))
        .clone()
}

/// `sharedRecord` with no bearer: refused with `SHARE_NOT_AVAILABLE`.
async fn assert_unavailable(app: &TestApp, link: &str) {
    let r = app.gql(SHARED_RECORD, json!({ "token": link })).await;
    assert_eq!(violation_codes(&r), ["SHARE_NOT_AVAILABLE"], "{r}");
    assert_eq!(r["data"], Value::Null, "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candidates_share_grant_is_read_with_its_emailed_link_logged_limited_and_ends_at_expiry_or_revocation()
 {
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;
    let courses = steps::approved_courses(&app, &officer, &["FOUNDATIONS", "TECHNOLOGY"]).await;
    let kim = steps::candidate(&app, &officer, "kim@example.org", "Kim", "Sharer").await;
    for (_, course) in &courses {
        steps::achieve(&app, &kim.user.token, &officer.token, course).await;
    }
    let now: DateTime<Utc> = app.services.now();

    // A grant limited to one set, for ten days.
    let r = app
        .gql_as(
            &kim.user.token,
            CREATE_GRANT,
            json!({ "input": {
                "granteeName": "Hiring Manager, Metro Library",
                "granteeEmail": "HR@Metro-Library.example",
                "expiresAt": (now + Duration::days(10)).to_rfc3339(),
                "setCodes": ["TECHNOLOGY"],
            } }),
        )
        .await;
    let created = ok_payload(&r, "createShareGrant");
    let limited = created["grant"].clone();
    let limited_id = limited["id"].as_str().unwrap().to_owned();
    let limited_token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(limited["active"], json!(true));
    assert_eq!(limited["granteeEmail"], json!("hr@metro-library.example"));
    assert_eq!(limited["competencySets"], json!([{ "code": "TECHNOLOGY" }]));

    // The grantee's email carries the link token.
    let prefix = format!("{APP_URL}/shared-record?token=");
    let email = app
        .smtp
        .wait_for("the grantee's email", |m| {
            m.is_to("hr@metro-library.example") && m.text.contains(&prefix)
        })
        .await;
    assert_eq!(
        email.subject,
        "Kim Sharer shared their achievement record with you"
    );
    let link = email.link_token(&prefix).unwrap();
    assert_eq!(link, limited_token);

    // Read without signing in: the record, limited to the shared set, and no certificate.
    let r = steps::gql_from_browser(
        &app,
        "GranteeBrowser/1.0",
        SHARED_RECORD,
        json!({ "token": link }),
    )
    .await;
    let record = &data(&r)["sharedRecord"];
    assert_eq!(record["candidateName"], json!("Kim Sharer"));
    assert_eq!(record["candidateEmail"], json!("kim@example.org"));
    assert_eq!(
        record["granteeName"],
        json!("Hiring Manager, Metro Library")
    );
    assert_eq!(record["workHistory"].as_array().unwrap().len(), 1);
    assert_eq!(codes_of(&record["achievements"]), ["TECHNOLOGY"]);
    assert_eq!(record["certificate"], Value::Null);
    let r = app.gql(SHARED_RECORD, json!({ "token": link })).await;
    data(&r);

    // Each view is in the grant's access log, newest first, for the candidate (and staff).
    let g = grant(&app, &kim.user.token, &kim.candidacy_id, &limited_id).await;
    let log = g["accessLog"].as_array().unwrap();
    assert_eq!(log.len(), 2, "{g}");
    assert_eq!(log[1]["userAgent"], json!("GranteeBrowser/1.0"));
    assert!(log.iter().all(|v| v["viewedAt"].is_string()));
    let staff_view = grant(&app, &officer.token, &kim.candidacy_id, &limited_id).await;
    assert_eq!(staff_view["accessLog"], g["accessLog"]);

    // A grant of the whole record, until revoked.
    let r = app
        .gql_as(
            &kim.user.token,
            CREATE_GRANT,
            json!({ "input": { "granteeName": "Graduate admissions", "granteeEmail": "admissions@university.example" } }),
        )
        .await;
    let created = ok_payload(&r, "createShareGrant");
    let whole_id = created["grant"]["id"].as_str().unwrap().to_owned();
    let whole_token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(created["grant"]["expiresAt"], Value::Null);
    assert_eq!(created["grant"]["competencySets"], json!([]));
    let r = app
        .gql(SHARED_RECORD, json!({ "token": whole_token }))
        .await;
    let mut sets = codes_of(&data(&r)["sharedRecord"]["achievements"]);
    sets.sort();
    assert_eq!(sets, ["FOUNDATIONS", "TECHNOLOGY"]);

    // A grant that would already have ended is refused.
    let r = app
        .gql_as(
            &kim.user.token,
            CREATE_GRANT,
            json!({ "input": { "granteeName": "Late", "granteeEmail": "late@example.org", "expiresAt": (now - Duration::minutes(1)).to_rfc3339() } }),
        )
        .await;
    assert_eq!(
        crate::support::user_error_codes(&data(&r)["createShareGrant"]),
        ["PAST_EXPIRY"]
    );

    // Eleven days on, the limited grant has expired; failed attempts are not views.
    app.advance(Duration::days(11));
    assert_unavailable(&app, &limited_token).await;
    let kim_token = app.token_for("kim@example.org", PASSWORD).await;
    let g = grant(&app, &kim_token, &kim.candidacy_id, &limited_id).await;
    assert_eq!(g["active"], json!(false));
    assert_eq!(g["accessLog"].as_array().unwrap().len(), 2);
    let r = app
        .gql(SHARED_RECORD, json!({ "token": whole_token }))
        .await;
    data(&r);

    // Revoked: the link stops working at once.
    let r = app
        .gql_as(
            &kim_token,
            "mutation($input: RevokeShareGrantInput!) { revokeShareGrant(input: $input) { grant { id active revokedAt } userErrors { code } } }",
            json!({ "input": { "grantId": whole_id } }),
        )
        .await;
    let revoked = &ok_payload(&r, "revokeShareGrant")["grant"];
    assert_eq!(revoked["active"], json!(false));
    assert!(revoked["revokedAt"].is_string(), "{r}");
    assert_unavailable(&app, &whole_token).await;
    let g = grant(&app, &kim_token, &kim.candidacy_id, &whole_id).await;
    assert_eq!(g["active"], json!(false));
    assert_eq!(g["accessLog"].as_array().unwrap().len(), 2);
    assert_unavailable(&app, "not-a-token-anyone-was-given").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candidate_cannot_reach_another_candidates_record_by_any_id_and_staff_can() {
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;
    let assistant = app
        .user_with_role(
            &officer,
            "assistant@lsscp.test",
            "Asa Assistant",
            "PROGRAM_ASSISTANT",
        )
        .await;
    let ann = steps::candidate(&app, &officer, "ann@example.org", "Ann", "Owner").await;
    let bob = steps::candidate(&app, &officer, "bob@example.org", "Bob", "Other").await;

    // Ann's things: a document, a portfolio and a share grant.
    let document = app
        .upload_pdf(&ann.user.token, "COURSE_COMPLETION", "ann-certificate")
        .await;
    let r = app
        .gql_as(
            &ann.user.token,
            "mutation { startPortfolio(input: { setCode: \"YOUTH_SERVICES\" }) { portfolio { id } userErrors { code } } }",
            json!({}),
        )
        .await;
    let portfolio = ok_payload(&r, "startPortfolio")["portfolio"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .gql_as(
            &ann.user.token,
            CREATE_GRANT,
            json!({ "input": { "granteeName": "Employer", "granteeEmail": "boss@example.org" } }),
        )
        .await;
    let grant_id = ok_payload(&r, "createShareGrant")["grant"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let reads = [
        (
            "candidacy",
            "query($id: ID!) { candidacy(id: $id) { id number application { email } } }",
            ann.candidacy_id.clone(),
        ),
        (
            "application",
            "query($id: ID!) { application(id: $id) { id email } }",
            ann.application_id.clone(),
        ),
        (
            "shareGrants",
            "query($id: ID!) { shareGrants(candidacyId: $id) { id accessLog { viewedAt } } }",
            ann.candidacy_id.clone(),
        ),
        (
            "portfolio",
            "query($id: ID!) { portfolio(id: $id) { id status } }",
            portfolio.clone(),
        ),
    ];
    for (field, query, id) in &reads {
        // Bob, a candidate himself, is told there is no such thing.
        let r = app
            .gql_as(&bob.user.token, query, json!({ "id": id }))
            .await;
        assert_eq!(error_code(&r), "NOT_FOUND", "{field} as Bob: {r}");
        assert_eq!(r["data"], Value::Null, "{field} as Bob: {r}");
        // Nobody signed in must sign in.
        let r = app.gql(query, json!({ "id": id })).await;
        assert_eq!(
            error_codes(&r),
            ["UNAUTHENTICATED"],
            "{field} anonymously: {r}"
        );
        // Ann and staff read it.
        for (who, token) in [
            ("Ann", &ann.user.token),
            ("the officer", &officer.token),
            ("the assistant", &assistant.token),
        ] {
            let r = app.gql_as(token, query, json!({ "id": id })).await;
            assert!(
                data(&r)[*field].is_object() || data(&r)[*field].is_array(),
                "{field} as {who}: {r}"
            );
        }
    }
    let r = app
        .gql_as(&bob.user.token, GRANTS, json!({ "id": bob.candidacy_id }))
        .await;
    assert_eq!(data(&r)["shareGrants"], json!([]), "Bob's own grants");

    // Nor can Bob end Ann's grant.
    let revoke = "mutation($input: RevokeShareGrantInput!) { revokeShareGrant(input: $input) { grant { id } userErrors { code } } }";
    let r = app
        .gql_as(
            &bob.user.token,
            revoke,
            json!({ "input": { "grantId": grant_id } }),
        )
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    let g = grant(&app, &ann.user.token, &ann.candidacy_id, &grant_id).await;
    assert_eq!(g["active"], json!(true));

    // Nor download her document: the same 404 as for a document that does not exist.
    let path = format!("/documents/{document}");
    let (status, _) = steps::get_as(&app, &bob.user.token, &path).await;
    assert_eq!(status, 404);
    let (status, _) = steps::get_as(&app, &bob.user.token, "/documents/999999").await;
    assert_eq!(status, 404);
    for token in [&ann.user.token, &officer.token, &assistant.token] {
        let (status, body) = steps::get_as(&app, token, &path).await;
        assert_eq!(status, 200);
        assert!(body.starts_with(b"%PDF-"), "the document's bytes");
    }

    // Bob's own record is his alone.
    let mine = steps::my_candidacy(&app, &bob.user.token).await;
    assert_eq!(mine["id"], json!(bob.candidacy_id));
    app.stop().await;
}
