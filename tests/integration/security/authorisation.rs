//! See the module documentation in `mod.rs`.
//!
//! Authorisation: people join a provider by invitation and consent, never by being added;
//! expertise is granted by the CRC, not claimed; the CRC does not choose providers' people;
//! one rule decides how much of an application a caller sees, whichever path reaches it;
//! and no id-taking operation answers differently for an id that exists and one that does
//! not, to someone who may not see it.

use crate::support::courses::{
    Provider, accept_provider_invitation, complete_draft, invitation_token, invitations_to,
    invite_provider_member, new_provider, ok_payload, submitted_course,
};
use crate::support::graphql::User;
use crate::support::reviews as rv;
use crate::support::{TestApp, data, error_code, error_codes, user_error_codes};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const PROVIDER: &str =
    "query($id: ID!) { provider(id: $id) { id name members { accountId displayName email } } }";
const REMOVE_MEMBER: &str = "mutation($input: RemoveProviderMemberInput!) { removeProviderMember(input: $input) { provider { id } userErrors { code } } }";
const REVOKE_INVITATION: &str = "mutation($input: RevokeProviderInvitationInput!) { revokeProviderInvitation(input: $input) { invitation { id revokedAt } userErrors { code } } }";
const EXPERTISE: &str = "mutation($input: SetEvaluatorExpertiseInput!) { setEvaluatorExpertise(input: $input) { evaluator { competencySets { code } } userErrors { field code } } }";
const EVALUATOR: &str =
    "query($id: ID!) { evaluator(id: $id) { capacity competencySets { code } } }";

/// An invitation payload with what differs from one invitation to the next taken out.
fn shape(payload: &Value) -> Value {
    let mut p = payload.clone();
    if let Some(inv) = p["invitation"].as_object_mut() {
        for field in ["id", "email", "expiresAt"] {
            inv.insert(field.to_owned(), json!("…"));
        }
    }
    p
}

fn member_emails(r: &Value) -> Vec<String> {
    data(r)["provider"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_invites_by_email_learns_nothing_about_the_address_and_nobody_joins_without_accepting()
 {
    let app = TestApp::start().await;
    let provider = new_provider(&app, "willow", "Willow Library School", "OR").await;
    let bob = app
        .signed_up_user("bob.builder@example.org", "Bob Builder")
        .await;
    let carol = app
        .signed_up_user("carol.other@example.org", "Carol Other")
        .await;
    let member = &provider.member.token;

    // The same answer for an address with an account and one without.
    let known = invite_provider_member(&app, member, &provider.id, &bob.email).await;
    let unknown =
        invite_provider_member(&app, member, &provider.id, "nobody.here@example.org").await;
    let known = ok_payload(&known, "inviteProviderMember");
    let unknown = ok_payload(&unknown, "inviteProviderMember");
    assert_eq!(shape(known), shape(unknown));
    for payload in [known, unknown] {
        let text = payload.to_string();
        assert!(
            !text.contains("Bob Builder") && !text.contains("roles"),
            "{text}"
        );
    }
    // Both addresses are emailed; neither is a member yet.
    let bob_token = invitation_token(&app, &bob.email, 1).await;
    invitation_token(&app, "nobody.here@example.org", 1).await;
    let r = app
        .gql_as(member, PROVIDER, json!({ "id": provider.id }))
        .await;
    assert_eq!(member_emails(&r), [provider.member.email.as_str()], "{r}");
    let r = app
        .gql_as(&bob.token, PROVIDER, json!({ "id": provider.id }))
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");

    // Only the invited address's owner can accept, once.
    let r = accept_provider_invitation(&app, &carol.token, &bob_token).await;
    assert_eq!(
        user_error_codes(&data(&r)["acceptProviderInvitation"]),
        ["INVITATION_FOR_ANOTHER_ADDRESS"],
        "{r}"
    );
    let r = app
        .gql(
            "mutation($input: AcceptProviderInvitationInput!) { acceptProviderInvitation(input: $input) { provider { id } } }",
            json!({ "input": { "token": bob_token } }),
        )
        .await;
    assert_eq!(error_code(&r), "UNAUTHENTICATED", "{r}");
    let r = accept_provider_invitation(&app, &bob.token, &bob_token).await;
    assert_eq!(
        ok_payload(&r, "acceptProviderInvitation")["provider"]["id"],
        json!(provider.id)
    );
    let r = accept_provider_invitation(&app, &bob.token, &bob_token).await;
    assert_eq!(
        user_error_codes(&data(&r)["acceptProviderInvitation"]),
        ["INVITATION_INVALID"],
        "{r}"
    );
    let r = app
        .gql_as(&bob.token, PROVIDER, json!({ "id": provider.id }))
        .await;
    let mut emails = member_emails(&r);
    emails.sort();
    assert_eq!(emails, [bob.email.clone(), provider.member.email.clone()]);

    // The member list shows members, not their accounts: no roles, by any name.
    let r = app
        .gql_as(
            &bob.token,
            "query($id: ID!) { provider(id: $id) { members { roles } } }",
            json!({ "id": provider.id }),
        )
        .await;
    assert_eq!(error_codes(&r), ["GRAPHQL_VALIDATION_FAILED"], "{r}");
    // The mutation that added people without asking is gone.
    let r = app
        .gql_as(
            member,
            "mutation { addProviderMember(input: { providerId: \"1\", email: \"x@example.org\" }) { provider { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&r), ["GRAPHQL_VALIDATION_FAILED"], "{r}");

    // A withdrawn invitation no longer works, and a new one replaces the old link.
    let dan = app.signed_up_user("dan.d@example.org", "Dan D").await;
    let r = invite_provider_member(&app, member, &provider.id, &dan.email).await;
    let invitation = ok_payload(&r, "inviteProviderMember")["invitation"]["id"].clone();
    let dan_token = invitation_token(&app, &dan.email, 1).await;
    let r = app
        .gql_as(
            member,
            REVOKE_INVITATION,
            json!({ "input": { "invitationId": invitation } }),
        )
        .await;
    assert!(
        ok_payload(&r, "revokeProviderInvitation")["invitation"]["revokedAt"].is_string(),
        "{r}"
    );
    let r = accept_provider_invitation(&app, &dan.token, &dan_token).await;
    assert_eq!(
        user_error_codes(&data(&r)["acceptProviderInvitation"]),
        ["INVITATION_INVALID"],
        "{r}"
    );
    let before = invitations_to(&app, &dan.email);
    invite_provider_member(&app, member, &provider.id, &dan.email).await;
    let first = invitation_token(&app, &dan.email, before + 1).await;
    invite_provider_member(&app, member, &provider.id, &dan.email).await;
    let second = invitation_token(&app, &dan.email, before + 2).await;
    let r = accept_provider_invitation(&app, &dan.token, &first).await;
    assert_eq!(
        user_error_codes(&data(&r)["acceptProviderInvitation"]),
        ["INVITATION_INVALID"],
        "{r}"
    );
    let r = accept_provider_invitation(&app, &dan.token, &second).await;
    ok_payload(&r, "acceptProviderInvitation");

    // Strangers cannot invite to a provider they cannot see; nobody signed in, not at all.
    let r = invite_provider_member(&app, &carol.token, &provider.id, "x@example.org").await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    let r = app
        .gql(
            "mutation($input: InviteProviderMemberInput!) { inviteProviderMember(input: $input) { invitation { id } } }",
            json!({ "input": { "providerId": provider.id, "email": "x@example.org" } }),
        )
        .await;
    assert_eq!(error_code(&r), "UNAUTHENTICATED", "{r}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_evaluator_cannot_give_themselves_expertise_the_crc_grants_it() {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    let ev = rv::evaluator(
        &app,
        &staff,
        "eve.evaluator@example.org",
        "Eve Evaluator",
        "Maple Public Library",
        &["TECHNOLOGY"],
        true,
    )
    .await;
    let sets = |r: &Value| data(r)["evaluator"]["competencySets"].clone();

    // The evaluator's own settings no longer carry expertise.
    let r = app
        .gql_as(
            &ev.user.token,
            "mutation($input: ConfigureEvaluatorInput!) { configureEvaluator(input: $input) { evaluator { id } } }",
            json!({ "input": { "evaluatorId": ev.id, "setCodes": ["YOUTH_SERVICES", "CATALOGING"] } }),
        )
        .await;
    assert_eq!(error_codes(&r), ["GRAPHQL_VALIDATION_FAILED"], "{r}");
    // Nor may they use the CRC's mutation on themselves.
    let r = app
        .gql_as(
            &ev.user.token,
            EXPERTISE,
            json!({ "input": { "evaluatorId": ev.id, "setCodes": ["YOUTH_SERVICES"] } }),
        )
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    let r = app
        .gql_as(&ev.user.token, EVALUATOR, json!({ "id": ev.id }))
        .await;
    assert_eq!(sets(&r), json!([{ "code": "TECHNOLOGY" }]), "{r}");
    // Their capacity is still theirs to set.
    let r = app
        .gql_as(
            &ev.user.token,
            "mutation($input: ConfigureEvaluatorInput!) { configureEvaluator(input: $input) { evaluator { capacity } userErrors { code } } }",
            json!({ "input": { "evaluatorId": ev.id, "capacity": 5 } }),
        )
        .await;
    assert_eq!(
        ok_payload(&r, "configureEvaluator")["evaluator"]["capacity"],
        json!(5)
    );

    // The CRC grants it.
    let r = app
        .gql_as(
            &staff.crc.token,
            EXPERTISE,
            json!({ "input": { "evaluatorId": ev.id, "setCodes": ["TECHNOLOGY", "YOUTH_SERVICES"] } }),
        )
        .await;
    let granted = ok_payload(&r, "setEvaluatorExpertise");
    let mut codes: Vec<&str> = granted["evaluator"]["competencySets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, ["TECHNOLOGY", "YOUTH_SERVICES"]);
    let r = app
        .gql_as(
            &staff.crc.token,
            EXPERTISE,
            json!({ "input": { "evaluatorId": ev.id, "setCodes": [] } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&r)["setEvaluatorExpertise"]),
        ["REQUIRED"]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_crc_does_not_decide_who_acts_for_a_provider() {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    let provider = new_provider(&app, "aspen", "Aspen Library School", "CO").await;
    let bob = app
        .signed_up_user("bob.aspen@example.org", "Bob Aspen")
        .await;
    let crc = &staff.crc.token;

    let r = invite_provider_member(&app, crc, &provider.id, "crc.friend@example.org").await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    let r = app
        .gql_as(
            crc,
            REMOVE_MEMBER,
            json!({ "input": { "providerId": provider.id, "accountId": provider.member.id } }),
        )
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    let r = app
        .gql_as(
            crc,
            "query($id: ID!) { provider(id: $id) { invitations { email } } }",
            json!({ "id": provider.id }),
        )
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    // The CRC still sees the provider it reviews courses for.
    let r = app
        .gql_as(crc, PROVIDER, json!({ "id": provider.id }))
        .await;
    assert_eq!(data(&r)["provider"]["id"], json!(provider.id), "{r}");

    // A program officer may invite for a provider (staff register providers on their
    // behalf); the CRC cannot withdraw that invitation, and is not told it exists.
    let r = invite_provider_member(&app, &staff.officer.token, &provider.id, &bob.email).await;
    let invitation = ok_payload(&r, "inviteProviderMember")["invitation"]["id"].clone();
    let r = app
        .gql_as(
            crc,
            REVOKE_INVITATION,
            json!({ "input": { "invitationId": invitation } }),
        )
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    let token = invitation_token(&app, &bob.email, 1).await;
    let r = accept_provider_invitation(&app, &bob.token, &token).await;
    ok_payload(&r, "acceptProviderInvitation");

    // Removing stays with the provider's own members.
    let r = app
        .gql_as(
            &provider.member.token,
            REMOVE_MEMBER,
            json!({ "input": { "providerId": provider.id, "accountId": bob.id } }),
        )
        .await;
    ok_payload(&r, "removeProviderMember");
    app.stop().await;
}

const APPLICATION_FIELDS: &str = "givenName familyName employerName email phone addressLine1 \
                                  addressLine2 city postalCode employerNoticeEmail \
                                  stateLibraryNoticeEmail alaMemberNumber";

#[tokio::test(flavor = "multi_thread")]
async fn one_rule_decides_what_of_an_application_each_caller_sees_by_every_path() {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    let c = rv::candidate(
        &app,
        &staff.officer,
        "ann.applicant@example.org",
        "Ann",
        "Applicant",
        "Birch Library",
    )
    .await;
    let outsider = app.signed_up_user("oscar@example.org", "Oscar").await;
    let by_id = format!("query($id: ID!) {{ application(id: $id) {{ {APPLICATION_FIELDS} }} }}");
    let by_candidacy = format!(
        "query($id: ID!) {{ candidacy(id: $id) {{ application {{ {APPLICATION_FIELDS} }} }} }}"
    );
    let both = |token: &str| {
        let (by_id, by_candidacy) = (by_id.clone(), by_candidacy.clone());
        let token = token.to_owned();
        let app = &app;
        let (a, cand) = (c.application_id.clone(), c.candidacy_id.clone());
        async move {
            let one = app.gql_as(&token, &by_id, json!({ "id": a })).await;
            let two = app
                .gql_as(&token, &by_candidacy, json!({ "id": cand }))
                .await;
            (one, two)
        }
    };

    for (who, token) in [
        ("the applicant", &c.user.token),
        ("staff", &staff.officer.token),
    ] {
        let (one, two) = both(token).await;
        let application = &data(&one)["application"];
        assert_eq!(application["email"], json!(c.user.email), "{who}: {one}");
        assert!(application["addressLine1"].is_string(), "{who}: {one}");
        assert_eq!(
            &data(&two)["candidacy"]["application"],
            application,
            "{who}"
        );
    }

    // The CRC: who the candidate is, never how to reach them, by either path.
    let (one, two) = both(&staff.crc.token).await;
    let application = &data(&one)["application"];
    assert_eq!(application["givenName"], json!("Ann"), "{one}");
    assert_eq!(application["employerName"], json!("Birch Library"), "{one}");
    for field in [
        "email",
        "phone",
        "addressLine1",
        "addressLine2",
        "city",
        "postalCode",
        "employerNoticeEmail",
        "stateLibraryNoticeEmail",
        "alaMemberNumber",
    ] {
        assert!(application[field].is_null(), "the CRC sees {field}: {one}");
    }
    assert_eq!(&data(&two)["candidacy"]["application"], application);
    assert!(!two.to_string().contains(&c.user.email), "{two}");

    // Anyone else: neither path.
    let (one, two) = both(&outsider.token).await;
    assert_eq!(error_code(&one), "NOT_FOUND", "{one}");
    assert_eq!(error_code(&two), "NOT_FOUND", "{two}");
    app.stop().await;
}

/// An id-taking operation: its name, its document, and its variables with `$ID` where the
/// id goes. `public` marks the ones anyone may call; `filter` the lists an id narrows,
/// which answer a stranger with an empty list rather than an error.
struct Probe {
    name: &'static str,
    document: &'static str,
    variables: &'static str,
    public: bool,
    filter: bool,
}

const fn op(name: &'static str, document: &'static str, variables: &'static str) -> Probe {
    Probe {
        name,
        document,
        variables,
        public: false,
        filter: false,
    }
}

/// Every query and mutation that takes an id, by the kind of id it takes.
fn probes() -> Vec<(&'static str, Probe)> {
    vec![
        (
            "account",
            op(
                "account",
                "query($id: ID!) { account(id: $id) { id email } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "account",
            op(
                "grantRole",
                "mutation($v: RoleInput!) { grantRole(input: $v) { userErrors { field code } } }",
                r#"{"v":{"accountId":"$ID","role":"CRC_MEMBER"}}"#,
            ),
        ),
        (
            "account",
            op(
                "revokeRole",
                "mutation($v: RoleInput!) { revokeRole(input: $v) { userErrors { field code } } }",
                r#"{"v":{"accountId":"$ID","role":"CANDIDATE"}}"#,
            ),
        ),
        (
            "provider",
            op(
                "provider",
                "query($id: ID!) { provider(id: $id) { id name } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "provider",
            Probe {
                filter: true,
                ..op(
                    "courses",
                    "query($id: ID!) { courses(providerId: $id) { edges { node { id } } } }",
                    r#"{"id":"$ID"}"#,
                )
            },
        ),
        (
            "provider",
            op(
                "updateProvider",
                "mutation($v: UpdateProviderInput!) { updateProvider(input: $v) { provider { id } userErrors { field code } } }",
                r#"{"v":{"id":"$ID","details":{"name":"Renamed","kind":"VENDOR","addressLine1":"1 Way","city":"Town","state":"IL","postalCode":"60601","contactName":"X","contactEmail":"x@example.org"}}}"#,
            ),
        ),
        (
            "provider",
            op(
                "inviteProviderMember",
                "mutation($v: InviteProviderMemberInput!) { inviteProviderMember(input: $v) { invitation { id } userErrors { field code } } }",
                r#"{"v":{"providerId":"$ID","email":"probe@example.org"}}"#,
            ),
        ),
        (
            "provider",
            op(
                "removeProviderMember",
                "mutation($v: RemoveProviderMemberInput!) { removeProviderMember(input: $v) { provider { id } userErrors { field code } } }",
                r#"{"v":{"providerId":"$ID","accountId":"1"}}"#,
            ),
        ),
        (
            "provider",
            op(
                "saveCourseDraft",
                "mutation($v: SaveCourseDraftInput!) { saveCourseDraft(input: $v) { submission { id } userErrors { field code } } }",
                r#"{"v":{"providerId":"$ID","setCode":"TECHNOLOGY","title":"Probe","format":"WORKSHOP","delivery":"ONLINE","timing":"ASYNCHRONOUS"}}"#,
            ),
        ),
        (
            "invitation",
            op(
                "revokeProviderInvitation",
                "mutation($v: RevokeProviderInvitationInput!) { revokeProviderInvitation(input: $v) { invitation { id } userErrors { field code } } }",
                r#"{"v":{"invitationId":"$ID"}}"#,
            ),
        ),
        (
            "course",
            op(
                "course",
                "query($id: ID!) { course(id: $id) { id title } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "course",
            Probe {
                public: true,
                ..op(
                    "courseApprovedOn",
                    "query($id: ID!) { courseApprovedOn(courseId: $id, setCode: \"TECHNOLOGY\", date: \"2026-01-01\") }",
                    r#"{"id":"$ID"}"#,
                )
            },
        ),
        (
            "course",
            op(
                "saveCourseDraft(course)",
                "mutation($v: SaveCourseDraftInput!) { saveCourseDraft(input: $v) { submission { id } userErrors { field code } } }",
                r#"{"v":{"courseId":"$ID","setCode":"TECHNOLOGY","title":"Probe","format":"WORKSHOP","delivery":"ONLINE","timing":"ASYNCHRONOUS"}}"#,
            ),
        ),
        (
            "submission",
            op(
                "courseSubmission",
                "query($id: ID!) { courseSubmission(id: $id) { id } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "submission",
            op(
                "submitCourse",
                "mutation($v: SubmitCourseInput!) { submitCourse(input: $v) { submission { id } userErrors { field code } } }",
                r#"{"v":{"submissionId":"$ID"}}"#,
            ),
        ),
        (
            "submission",
            op(
                "decideCourse",
                "mutation($v: DecideCourseInput!) { decideCourse(input: $v) { submission { id } userErrors { field code } } }",
                r#"{"v":{"submissionId":"$ID","decision":"REJECT","reasons":"Probe."}}"#,
            ),
        ),
        (
            "submission",
            op(
                "recordPayment(submission)",
                "mutation($v: RecordPaymentInput!) { recordPayment(input: $v) { userErrors { field code } } }",
                r#"{"v":{"courseSubmissionId":"$ID","amountCents":100,"method":"CHECK","paidOn":"2026-01-01"}}"#,
            ),
        ),
        (
            "application",
            op(
                "application",
                "query($id: ID!) { application(id: $id) { id email } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "application",
            op(
                "submitApplication",
                "mutation($v: ApplicationIdInput!) { submitApplication(input: $v) { application { id } userErrors { field code } } }",
                r#"{"v":{"applicationId":"$ID"}}"#,
            ),
        ),
        (
            "application",
            op(
                "withdrawApplication",
                "mutation($v: ApplicationIdInput!) { withdrawApplication(input: $v) { application { id } userErrors { field code } } }",
                r#"{"v":{"applicationId":"$ID"}}"#,
            ),
        ),
        (
            "application",
            op(
                "decideEducation",
                "mutation($v: DecideEducationInput!) { decideEducation(input: $v) { application { id } userErrors { field code } } }",
                r#"{"v":{"applicationId":"$ID","accept":true,"reason":"Probe."}}"#,
            ),
        ),
        (
            "application",
            op(
                "recordPayment(application)",
                "mutation($v: RecordPaymentInput!) { recordPayment(input: $v) { userErrors { field code } } }",
                r#"{"v":{"applicationId":"$ID","amountCents":100,"method":"CHECK","paidOn":"2026-01-01"}}"#,
            ),
        ),
        (
            "candidacy",
            op(
                "candidacy",
                "query($id: ID!) { candidacy(id: $id) { id number } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "candidacy",
            op(
                "shareGrants",
                "query($id: ID!) { shareGrants(candidacyId: $id) { id } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "candidacy",
            op(
                "extendDeadline",
                "mutation($v: ExtendDeadlineInput!) { extendDeadline(input: $v) { userErrors { field code } } }",
                r#"{"v":{"candidacyId":"$ID","newDeadline":"2040-01-01","reason":"Probe."}}"#,
            ),
        ),
        (
            "grant",
            op(
                "revokeShareGrant",
                "mutation($v: RevokeShareGrantInput!) { revokeShareGrant(input: $v) { userErrors { field code } } }",
                r#"{"v":{"grantId":"$ID"}}"#,
            ),
        ),
        (
            "evaluator",
            op(
                "evaluator",
                "query($id: ID!) { evaluator(id: $id) { id } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "evaluator",
            op(
                "decideEvaluator",
                "mutation($v: DecideEvaluatorInput!) { decideEvaluator(input: $v) { userErrors { field code } } }",
                r#"{"v":{"evaluatorId":"$ID","accept":false,"reason":"Probe."}}"#,
            ),
        ),
        (
            "evaluator",
            op(
                "recordEvaluatorTraining",
                "mutation($v: RecordTrainingInput!) { recordEvaluatorTraining(input: $v) { userErrors { field code } } }",
                r#"{"v":{"evaluatorId":"$ID","completedOn":"2026-01-01"}}"#,
            ),
        ),
        (
            "evaluator",
            op(
                "configureEvaluator",
                "mutation($v: ConfigureEvaluatorInput!) { configureEvaluator(input: $v) { userErrors { field code } } }",
                r#"{"v":{"evaluatorId":"$ID","capacity":20}}"#,
            ),
        ),
        (
            "evaluator",
            op(
                "setEvaluatorExpertise",
                "mutation($v: SetEvaluatorExpertiseInput!) { setEvaluatorExpertise(input: $v) { userErrors { field code } } }",
                r#"{"v":{"evaluatorId":"$ID","setCodes":["YOUTH_SERVICES"]}}"#,
            ),
        ),
        (
            "evaluator",
            op(
                "declareConflict",
                "mutation($v: DeclareConflictInput!) { declareConflict(input: $v) { userErrors { field code } } }",
                r#"{"v":{"evaluatorId":"$ID","institution":"Probe College"}}"#,
            ),
        ),
        (
            "portfolio",
            op(
                "portfolio",
                "query($id: ID!) { portfolio(id: $id) { id } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "portfolio",
            op(
                "saveNarrative",
                "mutation($v: SaveNarrativeInput!) { saveNarrative(input: $v) { userErrors { field code } } }",
                r#"{"v":{"portfolioId":"$ID","title":"Probe","body":"Probe.","competencies":[1]}}"#,
            ),
        ),
        (
            "portfolio",
            op(
                "submitPortfolio",
                "mutation($v: PortfolioIdInput!) { submitPortfolio(input: $v) { userErrors { field code } } }",
                r#"{"v":{"portfolioId":"$ID"}}"#,
            ),
        ),
        (
            "narrative",
            op(
                "deleteNarrative",
                "mutation($v: DeleteNarrativeInput!) { deleteNarrative(input: $v) { userErrors { field code } } }",
                r#"{"v":{"portfolioId":"1","narrativeId":"$ID"}}"#,
            ),
        ),
        (
            "document",
            op(
                "attachPortfolioDocument",
                "mutation($v: PortfolioDocumentInput!) { attachPortfolioDocument(input: $v) { userErrors { field code } } }",
                r#"{"v":{"portfolioId":"1","documentId":"$ID"}}"#,
            ),
        ),
        (
            "review",
            op(
                "myReview",
                "query($id: ID!) { myReview(id: $id) { id } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "review",
            op(
                "submitAssessment",
                "mutation($v: SubmitAssessmentInput!) { submitAssessment(input: $v) { userErrors { field code } } }",
                r#"{"v":{"reviewId":"$ID","competencies":[],"overallMet":true,"feedback":"Probe."}}"#,
            ),
        ),
        (
            "review",
            op(
                "replaceEvaluator",
                "mutation($v: ReplaceEvaluatorInput!) { replaceEvaluator(input: $v) { userErrors { field code } } }",
                r#"{"v":{"reviewId":"$ID","reason":"Probe."}}"#,
            ),
        ),
        (
            "round",
            op(
                "reviewRound",
                "query($id: ID!) { reviewRound(id: $id) { id } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "round",
            op(
                "fileAppeal",
                "mutation($v: FileAppealInput!) { fileAppeal(input: $v) { userErrors { field code } } }",
                r#"{"v":{"roundId":"$ID","reason":"Probe."}}"#,
            ),
        ),
        (
            "completion",
            op(
                "verifyCourseCompletion",
                "mutation($v: VerifyCourseCompletionInput!) { verifyCourseCompletion(input: $v) { userErrors { field code } } }",
                r#"{"v":{"completionId":"$ID"}}"#,
            ),
        ),
        (
            "completion",
            op(
                "rejectCourseCompletion",
                "mutation($v: RejectCourseCompletionInput!) { rejectCourseCompletion(input: $v) { userErrors { field code } } }",
                r#"{"v":{"completionId":"$ID","reason":"Probe."}}"#,
            ),
        ),
        (
            "batch",
            op(
                "bulkNotice",
                "query($id: ID!) { bulkNotice(id: $id) { batchId status } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "batch",
            op(
                "cancelBulkNotice",
                "mutation($v: BulkNoticeIdInput!) { cancelBulkNotice(input: $v) { userErrors { field code } } }",
                r#"{"v":{"batchId":"$ID"}}"#,
            ),
        ),
        (
            "batch",
            op(
                "retryBulkNoticeFailures",
                "mutation($v: BulkNoticeIdInput!) { retryBulkNoticeFailures(input: $v) { userErrors { field code } } }",
                r#"{"v":{"batchId":"$ID"}}"#,
            ),
        ),
        (
            "notification",
            op(
                "retryNotification",
                "mutation($v: RetryNotificationInput!) { retryNotification(input: $v) { userErrors { field code } } }",
                r#"{"v":{"id":"$ID"}}"#,
            ),
        ),
        // Kinds this test makes no row of: the answer to a missing id is still checked.
        (
            "certificate",
            op(
                "certificateCredential",
                "query($id: ID!) { certificateCredential(certificateId: $id) }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "certificate",
            op(
                "renewals",
                "query($id: ID!) { renewals(certificateId: $id) { id } }",
                r#"{"id":"$ID"}"#,
            ),
        ),
        (
            "certificate",
            op(
                "revokeCertificate",
                "mutation($v: RevokeCertificateInput!) { revokeCertificate(input: $v) { userErrors { field code } } }",
                r#"{"v":{"certificateId":"$ID","reason":"Probe."}}"#,
            ),
        ),
        (
            "certificate",
            op(
                "applyForRenewal",
                "mutation($v: ApplyForRenewalInput!) { applyForRenewal(input: $v) { userErrors { field code } } }",
                r#"{"v":{"certificateId":"$ID","activities":[]}}"#,
            ),
        ),
        (
            "renewal",
            op(
                "approveRenewal",
                "mutation($v: DecideRenewalInput!) { approveRenewal(input: $v) { userErrors { field code } } }",
                r#"{"v":{"renewalId":"$ID"}}"#,
            ),
        ),
        (
            "renewal",
            op(
                "returnRenewal",
                "mutation($v: DecideRenewalInput!) { returnRenewal(input: $v) { userErrors { field code } } }",
                r#"{"v":{"renewalId":"$ID","reasons":"Probe."}}"#,
            ),
        ),
        (
            "appeal",
            op(
                "decideAppeal",
                "mutation($v: DecideAppealInput!) { decideAppeal(input: $v) { userErrors { field code } } }",
                r#"{"v":{"appealId":"$ID","decision":"UPHOLD","reason":"Probe."}}"#,
            ),
        ),
    ]
}

/// The id no row has.
const MISSING: &str = "987654321";

async fn ask(app: &TestApp, token: Option<&str>, probe: &Probe, id: &str) -> Value {
    let variables: Value = serde_json::from_str(&probe.variables.replace("$ID", id)).unwrap();
    let body = json!({ "query": probe.document, "variables": variables });
    let (status, r) = app.post_graphql(token, &body).await;
    assert_eq!(status, 200, "{}: HTTP {status}: {r}", probe.name);
    r
}

/// Rows of every kind an outsider may not see, made the way people make them.
async fn rows_of_every_kind(app: &TestApp) -> Vec<(&'static str, String)> {
    let staff = rv::staff(app).await;
    let provider: Provider = new_provider(app, "hazel", "Hazel Library School", "WA").await;
    let draft = complete_draft(app, &provider.member, "TECHNOLOGY", "Probing Basics").await;
    let submitted = submitted_course(app, &provider, &draft).await;
    let r = invite_provider_member(
        app,
        &provider.member.token,
        &provider.id,
        "invited@example.org",
    )
    .await;
    let invitation = ok_payload(&r, "inviteProviderMember")["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = rv::evaluator(
        app,
        &staff,
        "ava@example.org",
        "Ava",
        "Elm Library",
        &["TECHNOLOGY"],
        true,
    )
    .await;
    rv::evaluator(
        app,
        &staff,
        "ben@example.org",
        "Ben",
        "Oak Library",
        &["TECHNOLOGY"],
        true,
    )
    .await;
    let c = rv::candidate(
        app,
        &staff.officer,
        "cal@example.org",
        "Cal",
        "Candidate",
        "Pine Library",
    )
    .await;
    let course =
        rv::approved_course(app, &staff.officer, "YOUTH_SERVICES", "Storytime for All").await;
    let evidence = app
        .upload_pdf(
            &c.user.token,
            "COURSE_COMPLETION",
            "certificate-of-completion",
        )
        .await;
    let r = app
        .gql_as(
            &c.user.token,
            "mutation($v: SubmitCourseCompletionInput!) { submitCourseCompletion(input: $v) { completion { id } userErrors { field code } } }",
            json!({ "v": {
                "courseId": course,
                "completedOn": app.services.today().to_string(),
                "documentId": evidence,
            } }),
        )
        .await;
    let completion = ok_payload(&r, "submitCourseCompletion")["completion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .gql_as(
            &c.user.token,
            "mutation($v: CreateShareGrantInput!) { createShareGrant(input: $v) { grant { id } userErrors { field code } } }",
            json!({ "v": { "granteeName": "Employer", "granteeEmail": "boss@example.org" } }),
        )
        .await;
    let grant = ok_payload(&r, "createShareGrant")["grant"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let portfolio = rv::portfolio(app, &c, "TECHNOLOGY").await;
    let round = rv::submit_portfolio(app, &c, &portfolio.id).await;
    rv::wait_for_reviewers(app, &staff.officer, &round, 2).await;
    let review = rv::review_id(app, &a, 1).await;
    let r = app
        .gql_as(
            &staff.officer.token,
            "mutation($v: SendRenewalNoticesInput!) { sendRenewalNotices(input: $v) { batch { batchId } userErrors { field code } } }",
            json!({ "v": { "idempotencyKey": "probe" } }),
        )
        .await;
    let batch = ok_payload(&r, "sendRenewalNotices")["batch"]["batchId"]
        .as_str()
        .unwrap()
        .to_owned();
    let notification = entity::notification::Entity::find()
        .one(app.db())
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    vec![
        ("account", c.user.id.clone()),
        ("provider", provider.id.clone()),
        ("invitation", invitation),
        ("course", submitted.course_id.clone()),
        ("submission", submitted.submission_id.clone()),
        ("application", c.application_id.clone()),
        ("candidacy", c.candidacy_id.clone()),
        ("grant", grant),
        ("evaluator", a.id.clone()),
        ("portfolio", portfolio.id.clone()),
        ("narrative", portfolio.narratives[0].clone()),
        ("document", portfolio.document_id.clone()),
        ("review", review),
        ("round", round),
        ("completion", completion),
        ("batch", batch),
        ("notification", notification),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_that_exists_and_one_that_does_not_get_the_same_answer_from_anyone_who_may_not_see_it()
 {
    let app = TestApp::start().await;
    let known = rows_of_every_kind(&app).await;
    let outsider: User = app
        .signed_up_user("olga.outsider@example.org", "Olga Outsider")
        .await;
    // A stranger with a role of their own: a member of another provider.
    let rival = new_provider(&app, "rival", "Rival Training Co", "TX")
        .await
        .member;
    let probes = probes();
    let mut failures = Vec::new();
    for (kind, probe) in &probes {
        let id = known
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, id)| id.as_str());
        for (who, token) in [
            ("anonymous", None),
            ("an outsider", Some(outsider.token.as_str())),
            ("another provider's member", Some(rival.token.as_str())),
        ] {
            let missing = ask(&app, token, probe, MISSING).await;
            let stranger_gets_a_list = probe.filter && token.is_some();
            if !(probe.public || stranger_gets_a_list) {
                let expected: &[&str] = match token {
                    None => &["UNAUTHENTICATED"],
                    Some(_) => &["NOT_FOUND", "FORBIDDEN"],
                };
                let codes = error_codes(&missing);
                if codes.len() != 1 || !expected.contains(&codes[0].as_str()) {
                    failures.push(format!("{} as {who}, missing id: {missing}", probe.name));
                }
            }
            if let Some(id) = id {
                let existing = ask(&app, token, probe, id).await;
                if existing != missing {
                    failures.push(format!(
                        "{} as {who}: existing id {existing} but missing id {missing}",
                        probe.name
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every kind of id has at least one probe, and the rows made are all probed.
    for (kind, _) in &known {
        assert!(probes.iter().any(|(k, _)| k == kind), "no probe for {kind}");
    }
    app.stop().await;
}
