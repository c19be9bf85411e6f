//! Portfolio review end to end: blind assignment by the worker, assessments and outcomes,
//! the third evaluator, rounds that cannot be staffed, conflicts, overdue reviews and
//! reminders, appeals, the CRC's replacements, and blindness, through GraphQL over HTTP
//! with every email taken from the SMTP listener.

use crate::support::reviews::{
    self as rv, Candidate, Evaluator, OTHER_SET, Portfolio, SET, SET_NAME, Staff, eventually,
    is_reminder, is_review_assigned, is_review_reassigned,
};
use crate::support::{TestApp, WAIT, data, error_code, error_codes, user_error_codes};
use chrono::Duration;
use serde_json::{Value, json};

const MAPLE: &str = "Maple County Library";
const OAK: &str = "Oak City Library";
const ELM: &str = "Elm Valley Library";
const PINE: &str = "Pine Ridge Library";
const BIRCH: &str = "Birch Hollow Library";

/// Sessions that outlast the weeks the clock moves in the tests of due dates and appeals.
const LONG_SESSIONS: &str = "[accounts]\nsession_ttl_hours = 43800";

/// Fails if `haystack` mentions any of `secrets`, ignoring case.
fn assert_hides(haystack: &str, secrets: &[&str], what: &str) {
    let lower = haystack.to_lowercase();
    for secret in secrets {
        assert!(
            !lower.contains(&secret.to_lowercase()),
            "{what} reveals “{secret}”: {haystack}"
        );
    }
}

/// What would identify a candidate: names, email, employer.
fn candidate_secrets(c: &Candidate) -> Vec<&str> {
    vec![&c.given_name, &c.family_name, &c.user.email, &c.employer]
}

/// What would identify an evaluator: name, email, employer.
fn evaluator_secrets(e: &Evaluator) -> Vec<&str> {
    vec![&e.name, &e.user.email, &e.employer]
}

/// A candidate of Birch Hollow Library with a portfolio for [`SET`], submitted; returns it
/// and the round's id.
async fn submitted_candidate(app: &TestApp, staff: &Staff) -> (Candidate, Portfolio, String) {
    let candidate = rv::candidate(
        app,
        &staff.officer,
        "zelda.quimbyworth@example.org",
        "Zelda",
        "Quimbyworth",
        BIRCH,
    )
    .await;
    let portfolio = rv::portfolio(app, &candidate, SET).await;
    let round = rv::submit_portfolio(app, &candidate, &portfolio.id).await;
    (candidate, portfolio, round)
}

/// Waits for `n` review-assigned emails to each of `evaluators`.
async fn wait_assigned(app: &TestApp, evaluators: &[&Evaluator], n: usize) {
    for e in evaluators {
        let email = e.user.email.clone();
        app.smtp
            .wait_for_count(
                &format!("{n} review-assigned emails to {}", e.name),
                n,
                WAIT,
                move |m| is_review_assigned(m, &email),
            )
            .await;
    }
}

/// The candidate's achievements, as `(set code, method)`.
async fn achievements(app: &TestApp, candidate: &Candidate) -> Vec<(String, String)> {
    let r = app
        .gql_as(
            &candidate.user.token,
            "{ myCandidacy { achievements { competencySet { code } method } } }",
            json!({}),
        )
        .await;
    data(&r)["myCandidacy"]["achievements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["competencySet"]["code"].as_str().unwrap().to_owned(),
                a["method"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Waits for the "Achieved" email to the candidate.
async fn wait_achieved_email(app: &TestApp, candidate: &Candidate) {
    let email = candidate.user.email.clone();
    let subject = format!("Achieved: {SET_NAME}");
    let m = app
        .smtp
        .wait_for("the achievement email", move |m| {
            m.is_to(&email) && m.subject == subject
        })
        .await;
    assert!(m.text.contains("through your portfolio"), "{}", m.text);
}

/// The evaluators' ids, sorted.
fn ids(evaluators: &[&Evaluator]) -> Vec<String> {
    let mut ids: Vec<String> = evaluators.iter().map(|e| e.id.clone()).collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn two_evaluators_of_different_employers_who_both_find_the_portfolio_met_achieve_the_set() {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    // Three experts from one employer and one from another: a round may take only one of
    // the three, so the one from Oak City must be on it.
    let mut maple = Vec::new();
    for i in 1..=3 {
        let e = rv::evaluator(
            &app,
            &staff,
            &format!("maple{i}@example.org"),
            &format!("Maple Evaluator {i}"),
            MAPLE,
            &[SET],
            true,
        )
        .await;
        maple.push(e);
    }
    let oak = rv::evaluator(
        &app,
        &staff,
        "oak@example.org",
        "Oak Evaluator",
        OAK,
        &[SET],
        true,
    )
    .await;
    let (candidate, portfolio, round) = submitted_candidate(&app, &staff).await;

    let assigned = rv::wait_for_reviewers(&app, &staff.officer, &round, 2).await;
    assert!(assigned.contains(&oak.id), "{assigned:?}");
    let staffed = rv::staff_round(&app, &staff.officer, &round).await;
    assert_eq!(staffed["status"], json!("IN_REVIEW"), "{staffed}");
    let employers: Vec<&str> = staffed["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["evaluator"]["employer"].as_str().unwrap())
        .collect();
    assert_eq!(employers.len(), 2, "{staffed}");
    assert_ne!(employers[0], employers[1], "{staffed}");
    let on_round: Vec<&Evaluator> = maple
        .iter()
        .chain([&oak])
        .filter(|e| assigned.contains(&e.id))
        .collect();
    assert_eq!(on_round.len(), 2);
    wait_assigned(&app, &on_round, 1).await;
    for e in maple.iter().filter(|e| !assigned.contains(&e.id)) {
        assert_eq!(
            rv::open_reviews(&app, e).await,
            Vec::<String>::new(),
            "{}",
            e.name
        );
    }

    rv::assess_round(
        &app,
        on_round[0],
        1,
        SET,
        true,
        "Thorough and well evidenced.",
    )
    .await;
    assert_eq!(
        rv::round_status(&app, &candidate, &portfolio.id, 1).await,
        "IN_REVIEW",
        "one assessment decides nothing"
    );
    assert_eq!(achievements(&app, &candidate).await, vec![]);
    rv::assess_round(
        &app,
        on_round[1],
        1,
        SET,
        true,
        "Every competency is shown.",
    )
    .await;

    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["status"], json!("ACHIEVED"), "{p}");
    assert_eq!(p["rounds"][0]["status"], json!("MET"), "{p}");
    assert_eq!(
        achievements(&app, &candidate).await,
        vec![(SET.to_owned(), "PORTFOLIO".to_owned())]
    );
    wait_achieved_email(&app, &candidate).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_not_met_assessments_request_a_revision_with_unsigned_feedback_and_the_revised_round_achieves_the_set()
 {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    let course =
        rv::approved_course(&app, &staff.officer, SET, "Cataloging Essentials Online").await;
    let a = rv::evaluator(
        &app,
        &staff,
        "arthur@example.org",
        "Arthur Evalson",
        MAPLE,
        &[SET],
        true,
    )
    .await;
    let b = rv::evaluator(
        &app,
        &staff,
        "beatrix@example.org",
        "Beatrix Reviewer",
        OAK,
        &[SET],
        true,
    )
    .await;
    let (candidate, portfolio, round1) = submitted_candidate(&app, &staff).await;
    wait_assigned(&app, &[&a, &b], 1).await;

    // While the round is reviewed, the portfolio cannot change.
    let refused = rv::save_narrative(
        &app,
        &candidate,
        &portfolio.id,
        Some(&portfolio.narratives[0]),
        "Reflection 1",
        "Changed while under review.",
        &[1],
    )
    .await;
    assert_eq!(
        user_error_codes(&data(&refused)["saveNarrative"]),
        vec!["UNDER_REVIEW"]
    );

    let a_review = rv::review_id(&app, &a, 1).await;
    let r = rv::assess(
        &app,
        &a,
        &a_review,
        SET,
        false,
        "FEEDBACK-ONE: describe your authority work.",
        &[&course],
    )
    .await;
    assert_eq!(
        user_error_codes(&data(&r)["submitAssessment"]),
        Vec::<String>::new()
    );
    rv::assess_round(
        &app,
        &b,
        1,
        SET,
        false,
        "FEEDBACK-TWO: show a MARC record you made.",
    )
    .await;

    let email = candidate.user.email.clone();
    let mail = app
        .smtp
        .wait_for("the revision-requested email", move |m| {
            m.is_to(&email)
                && m.subject == format!("Your {SET_NAME} portfolio: revisions requested")
        })
        .await;
    for expected in [
        "Evaluator 1:",
        "Evaluator 2:",
        "FEEDBACK-ONE: describe your authority work.",
        "FEEDBACK-TWO: show a MARC record you made.",
        "Cataloging Essentials Online",
    ] {
        assert!(
            mail.text.contains(expected),
            "no “{expected}” in:\n{}",
            mail.text
        );
    }
    for e in [&a, &b] {
        assert_hides(&mail.raw, &evaluator_secrets(e), "the revision email");
    }

    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["status"], json!("REVISION_REQUESTED"), "{p}");
    let r1 = &p["rounds"][0];
    assert_eq!(r1["status"], json!("NOT_MET"), "{p}");
    let labels: Vec<&str> = r1["feedback"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Evaluator 1", "Evaluator 2"], "{p}");
    let recommended: Vec<&Value> = r1["feedback"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["recommendedCourses"].as_array().unwrap())
        .collect();
    assert_eq!(
        recommended,
        vec![&json!({ "id": course, "title": "Cataloging Essentials Online" })],
        "{p}"
    );
    for e in [&a, &b] {
        assert_hides(
            &p.to_string(),
            &evaluator_secrets(e),
            "the candidate's view",
        );
    }

    // The candidate revises: a narrative and a new document. Round 1 keeps what it was.
    let numbers = rv::competency_numbers(&app, SET).await;
    let first_half = &numbers[..numbers.len() / 2];
    let r = rv::save_narrative(
        &app,
        &candidate,
        &portfolio.id,
        Some(&portfolio.narratives[0]),
        "Reflection 1",
        "What I learned, part 1: the REVISED version.",
        first_half,
    )
    .await;
    assert_eq!(
        user_error_codes(&data(&r)["saveNarrative"]),
        Vec::<String>::new()
    );
    let new_doc = app
        .upload_pdf(
            &candidate.user.token,
            "PORTFOLIO_EVIDENCE",
            "authority-records",
        )
        .await;
    rv::attach_document(&app, &candidate, &portfolio.id, &new_doc).await;
    let frozen = |p: &Value, n: usize| {
        (
            p["rounds"][n]["content"]["narratives"][0]["body"].clone(),
            p["rounds"][n]["content"]["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["document"]["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>(),
        )
    };
    let round1_content = (
        json!("What I learned, part 1: the first version."),
        vec![portfolio.document_id.clone()],
    );
    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(frozen(&p, 0), round1_content, "{p}");
    assert_eq!(
        p["narratives"][0]["body"],
        json!("What I learned, part 1: the REVISED version."),
        "{p}"
    );
    // The evaluator's view of round 1 has not moved either.
    let r = app
        .gql_as(
            &a.user.token,
            "query($id: ID!) { myReview(id: $id) { content { narratives { body } documents { document { id } } } } }",
            json!({ "id": a_review }),
        )
        .await;
    assert_eq!(
        data(&r)["myReview"]["content"]["narratives"][0]["body"],
        json!("What I learned, part 1: the first version."),
        "{r}"
    );

    let round2 = rv::submit_portfolio(&app, &candidate, &portfolio.id).await;
    assert_ne!(round2, round1);
    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["rounds"][1]["number"], json!(2), "{p}");
    assert_eq!(frozen(&p, 0), round1_content, "{p}");
    assert_eq!(
        frozen(&p, 1),
        (
            json!("What I learned, part 1: the REVISED version."),
            vec![portfolio.document_id.clone(), new_doc.clone()]
        ),
        "{p}"
    );

    wait_assigned(&app, &[&a, &b], 2).await;
    rv::assess_round(&app, &a, 2, SET, true, "Now complete.").await;
    rv::assess_round(&app, &b, 2, SET, true, "The MARC record settles it.").await;
    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["status"], json!("ACHIEVED"), "{p}");
    assert_eq!(p["rounds"][1]["status"], json!("MET"), "{p}");
    assert_eq!(p["rounds"][0]["status"], json!("NOT_MET"), "{p}");
    assert_eq!(
        achievements(&app, &candidate).await,
        vec![(SET.to_owned(), "PORTFOLIO".to_owned())]
    );
    wait_achieved_email(&app, &candidate).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn evaluators_who_disagree_bring_in_a_third_from_another_employer_whose_assessment_decides() {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    let a = rv::evaluator(
        &app,
        &staff,
        "arthur@example.org",
        "Arthur Evalson",
        MAPLE,
        &[SET],
        true,
    )
    .await;
    let b = rv::evaluator(
        &app,
        &staff,
        "beatrix@example.org",
        "Beatrix Reviewer",
        OAK,
        &[SET],
        true,
    )
    .await;
    let (candidate, portfolio, round) = submitted_candidate(&app, &staff).await;
    wait_assigned(&app, &[&a, &b], 1).await;
    // Experts who arrive later: two share an employer with the first two, one does not.
    let same_as_a = rv::evaluator(
        &app,
        &staff,
        "maple2@example.org",
        "Second Maple",
        MAPLE,
        &[SET],
        true,
    )
    .await;
    let same_as_b = rv::evaluator(
        &app,
        &staff,
        "oak2@example.org",
        "Second Oak",
        OAK,
        &[SET],
        true,
    )
    .await;
    let third = rv::evaluator(
        &app,
        &staff,
        "elm@example.org",
        "Elm Evaluator",
        ELM,
        &[SET],
        true,
    )
    .await;

    rv::assess_round(&app, &a, 1, SET, true, "Met, in my view.").await;
    rv::assess_round(&app, &b, 1, SET, false, "Not met, in my view.").await;

    let email = third.user.email.clone();
    let mail = app
        .smtp
        .wait_for("the third evaluator's email", move |m| {
            is_review_assigned(m, &email)
        })
        .await;
    assert!(
        mail.text.contains("deciding (third) evaluator"),
        "{}",
        mail.text
    );
    let on_round = rv::round_evaluators(&app, &staff.officer, &round).await;
    assert_eq!(sorted(on_round), ids(&[&a, &b, &third]));
    let staffed = rv::staff_round(&app, &staff.officer, &round).await;
    assert_eq!(staffed["status"], json!("AWAITING_THIRD"), "{staffed}");
    let tie_break = staffed["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["evaluator"]["id"] == json!(third.id))
        .unwrap();
    assert_eq!(tie_break["assignedBy"], json!("TIE_BREAK"), "{staffed}");
    for e in [&same_as_a, &same_as_b] {
        assert_eq!(
            rv::open_reviews(&app, e).await,
            Vec::<String>::new(),
            "{}",
            e.name
        );
    }
    assert_eq!(
        rv::round_status(&app, &candidate, &portfolio.id, 1).await,
        "AWAITING_THIRD"
    );

    // Until the third is in, nobody sees another's assessment.
    let view = "query($id: ID!) { myReview(id: $id) { tieBreaker otherAssessments { label overallMet feedback } } }";
    let third_review = rv::review_id(&app, &third, 1).await;
    let r = app
        .gql_as(&third.user.token, view, json!({ "id": third_review }))
        .await;
    assert_eq!(
        data(&r)["myReview"],
        json!({ "tieBreaker": true, "otherAssessments": [] })
    );
    let a_review = rv::review_id(&app, &a, 1).await;
    let r = app
        .gql_as(&a.user.token, view, json!({ "id": a_review }))
        .await;
    assert_eq!(data(&r)["myReview"]["otherAssessments"], json!([]), "{r}");

    rv::assess_round(&app, &third, 1, SET, true, "Met: the third view.").await;
    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["rounds"][0]["status"], json!("MET"), "{p}");
    assert_eq!(p["status"], json!("ACHIEVED"), "{p}");
    assert_eq!(
        achievements(&app, &candidate).await,
        vec![(SET.to_owned(), "PORTFOLIO".to_owned())]
    );
    wait_achieved_email(&app, &candidate).await;
    let r = app
        .gql_as(&a.user.token, view, json!({ "id": a_review }))
        .await;
    let others = data(&r)["myReview"]["otherAssessments"].as_array().unwrap();
    let mut seen: Vec<(bool, &str)> = others
        .iter()
        .map(|o| {
            (
                o["overallMet"].as_bool().unwrap(),
                o["feedback"].as_str().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (false, "Not met, in my view."),
            (true, "Met: the third view.")
        ]
    );
    assert_hides(
        &r.to_string(),
        &evaluator_secrets(&b),
        "the first evaluator's view",
    );
    assert_hides(
        &r.to_string(),
        &evaluator_secrets(&third),
        "the first evaluator's view",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_round_without_a_trained_expert_waits_tells_staff_and_is_staffed_once_training_is_recorded()
 {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    let a = rv::evaluator(
        &app,
        &staff,
        "arthur@example.org",
        "Arthur Evalson",
        MAPLE,
        &[SET],
        false,
    )
    .await;
    let b = rv::evaluator(
        &app,
        &staff,
        "beatrix@example.org",
        "Beatrix Reviewer",
        OAK,
        &[SET],
        false,
    )
    .await;
    let (candidate, portfolio, round) = submitted_candidate(&app, &staff).await;

    let waiting = "{ roundsWaiting { id status unstaffedReason unstaffedSince } }";
    let reason_of = async |token: &str| -> Option<String> {
        let r = app.gql_as(token, waiting, json!({})).await;
        data(&r)["roundsWaiting"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == json!(round))
            .and_then(|w| w["unstaffedReason"].as_str().map(str::to_owned))
    };
    eventually("the round to wait with NO_TRAINED_EXPERT", async || {
        (reason_of(&staff.officer.token).await.as_deref() == Some("NO_TRAINED_EXPERT"))
            .then_some(())
    })
    .await;
    assert_eq!(
        reason_of(&staff.crc.token).await.as_deref(),
        Some("NO_TRAINED_EXPERT"),
        "the CRC sees the rounds waiting too"
    );
    let officer_email = staff.officer.email.clone();
    let mail = app
        .smtp
        .wait_for("the round-unstaffed email to staff", move |m| {
            m.is_to(&officer_email)
                && m.subject == format!("A {SET_NAME} portfolio round cannot be staffed")
        })
        .await;
    assert!(
        mail.text
            .contains("no active, trained and available evaluator has expertise in the set"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains(&format!("Review round {round}")),
        "{}",
        mail.text
    );
    assert_eq!(
        rv::round_status(&app, &candidate, &portfolio.id, 1).await,
        "AWAITING_ASSIGNMENT"
    );
    for e in [&a, &b] {
        assert_eq!(rv::open_reviews(&app, e).await, Vec::<String>::new());
    }
    let r = rv::record_training(&app, &staff.crc, &a).await;
    assert_eq!(
        error_code(&r),
        "FORBIDDEN",
        "only staff record training: {r}"
    );

    // One trained expert is not enough for two evaluators of different employers.
    let r = rv::record_training(&app, &staff.officer, &a).await;
    assert_eq!(
        user_error_codes(&data(&r)["recordEvaluatorTraining"]),
        Vec::<String>::new()
    );
    eventually(
        "the round to wait with TOO_FEW_DISTINCT_EMPLOYERS",
        async || {
            (reason_of(&staff.officer.token).await.as_deref() == Some("TOO_FEW_DISTINCT_EMPLOYERS"))
                .then_some(())
        },
    )
    .await;
    assert_eq!(rv::open_reviews(&app, &a).await, Vec::<String>::new());

    let r = rv::record_training(&app, &staff.officer, &b).await;
    assert_eq!(
        user_error_codes(&data(&r)["recordEvaluatorTraining"]),
        Vec::<String>::new()
    );
    wait_assigned(&app, &[&a, &b], 1).await;
    let r = app.gql_as(&staff.officer.token, waiting, json!({})).await;
    assert_eq!(data(&r)["roundsWaiting"], json!([]), "{r}");
    let staffed = rv::staff_round(&app, &staff.officer, &round).await;
    assert_eq!(staffed["status"], json!("IN_REVIEW"), "{staffed}");
    assert_eq!(staffed["unstaffedReason"], Value::Null, "{staffed}");
    assert_eq!(
        sorted(rv::round_evaluators(&app, &staff.officer, &round).await),
        ids(&[&a, &b])
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_evaluator_with_a_declared_conflict_or_the_candidates_employer_is_never_assigned_to_their_round()
 {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    // Two experts who get a review of another candidate first, so that each is dearer to
    // assign than the conflicted pair that arrives later: only the rules keep those out.
    let c = rv::evaluator(
        &app,
        &staff,
        "elm@example.org",
        "Elm Evaluator",
        ELM,
        &[SET],
        true,
    )
    .await;
    let d = rv::evaluator(
        &app,
        &staff,
        "pine@example.org",
        "Pine Evaluator",
        PINE,
        &[SET],
        true,
    )
    .await;
    let other = rv::candidate(
        &app,
        &staff.officer,
        "other@example.org",
        "Otto",
        "Other",
        "Cedar Library",
    )
    .await;
    let other_portfolio = rv::portfolio(&app, &other, SET).await;
    let other_round = rv::submit_portfolio(&app, &other, &other_portfolio.id).await;
    wait_assigned(&app, &[&c, &d], 1).await;
    assert_eq!(
        sorted(rv::round_evaluators(&app, &staff.officer, &other_round).await),
        ids(&[&c, &d])
    );

    let candidate = rv::candidate(
        &app,
        &staff.officer,
        "zelda.quimbyworth@example.org",
        "Zelda",
        "Quimbyworth",
        BIRCH,
    )
    .await;
    let declared = rv::evaluator(
        &app,
        &staff,
        "maple@example.org",
        "Maple Evaluator",
        MAPLE,
        &[SET],
        true,
    )
    .await;
    let r = app
        .gql_as(
            &declared.user.token,
            "mutation($input: DeclareConflictInput!) { declareConflict(input: $input) { evaluator { conflicts { candidateEmail } } userErrors { field message code } } }",
            json!({ "input": { "evaluatorId": declared.id, "candidateEmail": "Zelda.Quimbyworth@example.org" } }),
        )
        .await;
    assert_eq!(
        data(&r)["declareConflict"]["evaluator"]["conflicts"],
        json!([{ "candidateEmail": "zelda.quimbyworth@example.org" }]),
        "{r}"
    );
    // The candidate's employer, written differently.
    let colleague = rv::evaluator(
        &app,
        &staff,
        "colleague@example.org",
        "Birch Colleague",
        "  birch hollow LIBRARY ",
        &[SET],
        true,
    )
    .await;

    let portfolio = rv::portfolio(&app, &candidate, SET).await;
    let round = rv::submit_portfolio(&app, &candidate, &portfolio.id).await;
    wait_assigned(&app, &[&c, &d], 2).await;
    assert_eq!(
        sorted(rv::round_evaluators(&app, &staff.officer, &round).await),
        ids(&[&c, &d])
    );
    for e in [&declared, &colleague] {
        assert_eq!(
            rv::open_reviews(&app, e).await,
            Vec::<String>::new(),
            "{}",
            e.name
        );
        let email = e.user.email.clone();
        assert_eq!(
            app.smtp.count(move |m| is_review_assigned(m, &email)),
            0,
            "{}",
            e.name
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reminders_come_once_a_week_before_and_on_the_due_date_and_an_overdue_review_is_reassigned_after_the_grace_period()
 {
    let app = TestApp::builder().programme(LONG_SESSIONS).start().await;
    let staff = rv::staff(&app).await;
    let a = rv::evaluator(
        &app,
        &staff,
        "arthur@example.org",
        "Arthur Evalson",
        MAPLE,
        &[SET],
        true,
    )
    .await;
    let b = rv::evaluator(
        &app,
        &staff,
        "beatrix@example.org",
        "Beatrix Reviewer",
        OAK,
        &[SET],
        true,
    )
    .await;
    let (candidate, portfolio, round) = submitted_candidate(&app, &staff).await;
    wait_assigned(&app, &[&a, &b], 1).await;
    let due_on = (app.services.today() + Duration::days(30)).to_string();
    let staffed = rv::staff_round(&app, &staff.officer, &round).await;
    for r in staffed["reviews"].as_array().unwrap() {
        assert_eq!(r["dueOn"], json!(due_on), "{staffed}");
    }
    // A round nobody can staff (no expert in its set): every sweep retries it, which is
    // how the test knows a sweep has finished.
    let waiting = rv::candidate(
        &app,
        &staff.officer,
        "walter@example.org",
        "Walter",
        "Waiting",
        "Cedar Library",
    )
    .await;
    let waiting_portfolio = rv::portfolio(&app, &waiting, OTHER_SET).await;
    rv::submit_portfolio(&app, &waiting, &waiting_portfolio.id).await;

    let reminders = |e: &Evaluator, days: u32| {
        let email = e.user.email.clone();
        app.smtp.count(move |m| is_reminder(m, &email, days))
    };
    let wait_reminder = async |e: &Evaluator, days: u32| {
        let email = e.user.email.clone();
        app.smtp
            .wait_for(&format!("a {days}-day reminder to {}", e.name), move |m| {
                is_reminder(m, &email, days)
            })
            .await;
    };

    // Six days after assignment: nothing yet.
    app.advance(Duration::days(22));
    rv::run_reviews_sweep(&app, &staff.officer).await;
    // A week before the due date: one reminder each, however often the sweep runs.
    app.advance(Duration::days(1));
    rv::run_reviews_sweep(&app, &staff.officer).await;
    wait_reminder(&a, 7).await;
    wait_reminder(&b, 7).await;
    rv::run_reviews_sweep(&app, &staff.officer).await;
    app.advance(Duration::days(1));
    rv::run_reviews_sweep(&app, &staff.officer).await;

    rv::assess_round(&app, &a, 1, SET, true, "Met, on time.").await;

    // The due date: a reminder to the one still open, once.
    app.advance(Duration::days(6));
    rv::run_reviews_sweep(&app, &staff.officer).await;
    wait_reminder(&b, 0).await;
    rv::run_reviews_sweep(&app, &staff.officer).await;
    // Anything a repeated sweep queued would arrive well within this.
    app.smtp
        .assert_count_holds("reminders", 3, std::time::Duration::from_secs(2), |m| {
            m.subject.starts_with("A portfolio review is due")
        })
        .await;
    assert_eq!(
        [
            reminders(&a, 7),
            reminders(&b, 7),
            reminders(&a, 0),
            reminders(&b, 0)
        ],
        [1, 1, 0, 1]
    );

    // A replacement is available from now on.
    let c = rv::evaluator(
        &app,
        &staff,
        "elm@example.org",
        "Elm Evaluator",
        ELM,
        &[SET],
        true,
    )
    .await;
    // Seven days past due is still within the grace period.
    app.advance(Duration::days(7));
    rv::run_reviews_sweep(&app, &staff.officer).await;
    assert_eq!(
        sorted(rv::round_evaluators(&app, &staff.officer, &round).await),
        ids(&[&a, &b])
    );
    assert_eq!(rv::open_reviews(&app, &b).await.len(), 1);

    app.advance(Duration::days(1));
    rv::run_reviews_sweep(&app, &staff.officer).await;
    let b_email = b.user.email.clone();
    let mail = app
        .smtp
        .wait_for("the reassignment email to the late evaluator", move |m| {
            is_review_reassigned(m, &b_email)
        })
        .await;
    assert!(mail.text.contains("it was overdue"), "{}", mail.text);
    wait_assigned(&app, &[&c], 1).await;
    let staffed = rv::staff_round(&app, &staff.officer, &round).await;
    let reviews = staffed["reviews"].as_array().unwrap();
    let of = |e: &Evaluator| {
        reviews
            .iter()
            .find(|r| r["evaluator"]["id"] == json!(e.id))
            .unwrap_or_else(|| panic!("no review of {}: {staffed}", e.name))
    };
    assert_eq!(of(&a)["status"], json!("SUBMITTED"), "{staffed}");
    assert_eq!(of(&b)["status"], json!("REASSIGNED"), "{staffed}");
    assert_eq!(of(&b)["endReason"], json!("overdue"), "{staffed}");
    assert_eq!(of(&c)["status"], json!("ASSIGNED"), "{staffed}");
    assert_eq!(of(&c)["assignedBy"], json!("REASSIGNMENT"), "{staffed}");
    assert_eq!(
        of(&c)["dueOn"],
        json!((app.services.today() + Duration::days(30)).to_string()),
        "{staffed}"
    );
    assert_eq!(rv::open_reviews(&app, &b).await, Vec::<String>::new());
    let b_review = rv::review_id(&app, &b, 1).await;
    let late = rv::assess(&app, &b, &b_review, SET, true, "Late, but here.", &[]).await;
    assert_eq!(
        user_error_codes(&data(&late)["submitAssessment"]),
        vec!["NOT_OPEN"]
    );

    rv::assess_round(&app, &c, 1, SET, true, "Met, as the replacement.").await;
    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["status"], json!("ACHIEVED"), "{p}");
    app.stop().await;
}

/// A candidate whose round 1 both evaluators found not met; returns the candidate, the
/// portfolio, the round and the two evaluators.
async fn not_met_round(
    app: &TestApp,
    staff: &Staff,
) -> (Candidate, Portfolio, String, Evaluator, Evaluator) {
    let a = rv::evaluator(
        app,
        staff,
        "arthur@example.org",
        "Arthur Evalson",
        MAPLE,
        &[SET],
        true,
    )
    .await;
    let b = rv::evaluator(
        app,
        staff,
        "beatrix@example.org",
        "Beatrix Reviewer",
        OAK,
        &[SET],
        true,
    )
    .await;
    let (candidate, portfolio, round) = submitted_candidate(app, staff).await;
    wait_assigned(app, &[&a, &b], 1).await;
    rv::assess_round(app, &a, 1, SET, false, "Not yet.").await;
    rv::assess_round(app, &b, 1, SET, false, "Not yet either.").await;
    assert_eq!(
        rv::round_status(app, &candidate, &portfolio.id, 1).await,
        "NOT_MET"
    );
    (candidate, portfolio, round, a, b)
}

const FILE_APPEAL: &str = "mutation($input: FileAppealInput!) { fileAppeal(input: $input) { appeal { id status roundId } userErrors { field message code } } }";
const DECIDE_APPEAL: &str = "mutation($input: DecideAppealInput!) { decideAppeal(input: $input) { appeal { id status decisionReason newRoundId } userErrors { field message code } } }";

/// Files an appeal of `round` as the candidate; returns its id.
async fn file_appeal(app: &TestApp, candidate: &Candidate, round: &str) -> String {
    let r = app
        .gql_as(
            &candidate.user.token,
            FILE_APPEAL,
            json!({ "input": { "roundId": round, "reason": "The evaluators overlooked my evidence." } }),
        )
        .await;
    let payload = &data(&r)["fileAppeal"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    assert_eq!(payload["appeal"]["status"], json!("FILED"), "{r}");
    payload["appeal"]["id"].as_str().unwrap().to_owned()
}

/// The CRC decides `appeal`; returns the appeal.
async fn decide_appeal(app: &TestApp, staff: &Staff, appeal: &str, decision: &str) -> Value {
    let r = app
        .gql_as(
            &staff.crc.token,
            DECIDE_APPEAL,
            json!({ "input": { "appealId": appeal, "decision": decision, "reason": "Decided by the committee." } }),
        )
        .await;
    let payload = &data(&r)["decideAppeal"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    payload["appeal"].clone()
}

/// Waits for the appeal-decided email and returns its text.
async fn appeal_email(app: &TestApp, candidate: &Candidate) -> String {
    let email = candidate.user.email.clone();
    app.smtp
        .wait_for("the appeal-decided email", move |m| {
            m.is_to(&email) && m.subject == "Your appeal has been decided"
        })
        .await
        .text
}

#[tokio::test(flavor = "multi_thread")]
async fn an_appeal_filed_after_the_window_is_refused_and_one_filed_within_it_can_be_upheld() {
    let app = TestApp::builder().programme(LONG_SESSIONS).start().await;
    let staff = rv::staff(&app).await;
    let (candidate, portfolio, round1, a, b) = not_met_round(&app, &staff).await;

    app.advance(Duration::days(31));
    let r = app
        .gql_as(
            &candidate.user.token,
            FILE_APPEAL,
            json!({ "input": { "roundId": round1, "reason": "Too late, I know." } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&r)["fileAppeal"]),
        vec!["APPEAL_WINDOW_CLOSED"]
    );

    let round2 = rv::submit_portfolio(&app, &candidate, &portfolio.id).await;
    wait_assigned(&app, &[&a, &b], 2).await;
    rv::assess_round(&app, &a, 2, SET, false, "Still not yet.").await;
    rv::assess_round(&app, &b, 2, SET, false, "Still not yet either.").await;
    app.advance(Duration::days(29));
    let appeal = file_appeal(&app, &candidate, &round2).await;
    // The appeal is the CRC's: the candidate cannot decide it.
    let r = app
        .gql_as(
            &candidate.user.token,
            DECIDE_APPEAL,
            json!({ "input": { "appealId": appeal, "decision": "OVERTURN", "reason": "Please." } }),
        )
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    let r = app
        .gql_as(
            &staff.crc.token,
            "{ appeals(status: FILED) { id roundId } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&r)["appeals"],
        json!([{ "id": appeal, "roundId": round2 }])
    );

    let decided = decide_appeal(&app, &staff, &appeal, "UPHOLD").await;
    assert_eq!(decided["status"], json!("UPHELD"), "{decided}");
    assert!(
        appeal_email(&app, &candidate)
            .await
            .contains("the outcome stands")
    );
    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["status"], json!("REVISION_REQUESTED"), "{p}");
    assert_eq!(p["rounds"][1]["status"], json!("NOT_MET"), "{p}");
    assert_eq!(achievements(&app, &candidate).await, vec![]);
    let r = app
        .gql_as(
            &staff.crc.token,
            DECIDE_APPEAL,
            json!({ "input": { "appealId": appeal, "decision": "OVERTURN", "reason": "Again." } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&r)["decideAppeal"]),
        vec!["ALREADY_DECIDED"]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_appeal_the_crc_overturns_achieves_the_set() {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    let (candidate, portfolio, round, _, _) = not_met_round(&app, &staff).await;
    let appeal = file_appeal(&app, &candidate, &round).await;

    let decided = decide_appeal(&app, &staff, &appeal, "OVERTURN").await;
    assert_eq!(decided["status"], json!("OVERTURNED"), "{decided}");
    assert!(
        appeal_email(&app, &candidate)
            .await
            .contains("the outcome is overturned and the set is achieved")
    );
    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["status"], json!("ACHIEVED"), "{p}");
    assert_eq!(p["rounds"][0]["status"], json!("MET"), "{p}");
    assert_eq!(
        achievements(&app, &candidate).await,
        vec![(SET.to_owned(), "PORTFOLIO".to_owned())]
    );
    wait_achieved_email(&app, &candidate).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_appeal_can_order_a_new_round_of_the_appealed_content_for_evaluators_who_have_not_seen_the_portfolio()
 {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    let (candidate, portfolio, round1, a, b) = not_met_round(&app, &staff).await;
    // Two fresh experts, each given a review in another set first, so that the first two
    // would be the cheaper choice were they not excluded.
    let c = rv::evaluator(
        &app,
        &staff,
        "elm@example.org",
        "Elm Evaluator",
        ELM,
        &[SET, OTHER_SET],
        true,
    )
    .await;
    let d = rv::evaluator(
        &app,
        &staff,
        "pine@example.org",
        "Pine Evaluator",
        PINE,
        &[SET, OTHER_SET],
        true,
    )
    .await;
    let other = rv::candidate(
        &app,
        &staff.officer,
        "other@example.org",
        "Otto",
        "Other",
        "Cedar Library",
    )
    .await;
    let other_portfolio = rv::portfolio(&app, &other, OTHER_SET).await;
    rv::submit_portfolio(&app, &other, &other_portfolio.id).await;
    wait_assigned(&app, &[&c, &d], 1).await;

    // The candidate starts revising before the appeal is decided.
    let r = rv::save_narrative(
        &app,
        &candidate,
        &portfolio.id,
        Some(&portfolio.narratives[0]),
        "Reflection 1",
        "An edit made after the appeal was filed.",
        &rv::competency_numbers(&app, SET).await[..5],
    )
    .await;
    assert_eq!(
        user_error_codes(&data(&r)["saveNarrative"]),
        Vec::<String>::new()
    );
    let appeal = file_appeal(&app, &candidate, &round1).await;
    let decided = decide_appeal(&app, &staff, &appeal, "NEW_ROUND").await;
    assert_eq!(decided["status"], json!("NEW_ROUND_ORDERED"), "{decided}");
    let round2 = decided["newRoundId"].as_str().unwrap().to_owned();
    assert!(
        appeal_email(&app, &candidate)
            .await
            .contains("reviewed again by evaluators who have not seen it")
    );

    wait_assigned(&app, &[&c, &d], 2).await;
    assert_eq!(
        sorted(rv::wait_for_reviewers(&app, &staff.officer, &round2, 2).await),
        ids(&[&c, &d])
    );
    for e in [&a, &b] {
        assert_eq!(
            rv::open_reviews(&app, e).await,
            Vec::<String>::new(),
            "{}",
            e.name
        );
    }
    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["rounds"][1]["id"], json!(round2), "{p}");
    assert_eq!(p["rounds"][1]["number"], json!(2), "{p}");
    assert_eq!(
        p["rounds"][1]["content"], p["rounds"][0]["content"],
        "the new round reviews the appealed content: {p}"
    );
    assert_eq!(p["status"], json!("UNDER_REVIEW"), "{p}");

    rv::assess_round(&app, &c, 2, SET, true, "Met on a fresh look.").await;
    rv::assess_round(&app, &d, 2, SET, true, "Met.").await;
    let p = rv::candidate_portfolio(&app, &candidate, &portfolio.id).await;
    assert_eq!(p["status"], json!("ACHIEVED"), "{p}");
    app.stop().await;
}

const REPLACE: &str = "mutation($input: ReplaceEvaluatorInput!) { replaceEvaluator(input: $input) { review { id status assignedBy evaluator { id } } userErrors { field message code } } }";

#[tokio::test(flavor = "multi_thread")]
async fn the_crc_replaces_an_evaluator_by_hand_with_an_eligible_one_and_a_named_ineligible_one_is_refused()
 {
    let app = TestApp::start().await;
    let staff = rv::staff(&app).await;
    let a = rv::evaluator(
        &app,
        &staff,
        "arthur@example.org",
        "Arthur Evalson",
        MAPLE,
        &[SET],
        true,
    )
    .await;
    let b = rv::evaluator(
        &app,
        &staff,
        "beatrix@example.org",
        "Beatrix Reviewer",
        OAK,
        &[SET],
        true,
    )
    .await;
    let (_candidate, _portfolio, round) = submitted_candidate(&app, &staff).await;
    wait_assigned(&app, &[&a, &b], 1).await;
    let colleague = rv::evaluator(
        &app,
        &staff,
        "colleague@example.org",
        "Birch Colleague",
        BIRCH,
        &[SET],
        true,
    )
    .await;
    let same_as_b = rv::evaluator(
        &app,
        &staff,
        "oak2@example.org",
        "Second Oak",
        OAK,
        &[SET],
        true,
    )
    .await;
    let untrained = rv::evaluator(
        &app,
        &staff,
        "pine@example.org",
        "Pine Evaluator",
        PINE,
        &[SET],
        false,
    )
    .await;
    let fit = rv::evaluator(
        &app,
        &staff,
        "elm@example.org",
        "Elm Evaluator",
        ELM,
        &[SET],
        true,
    )
    .await;
    let a_review = rv::review_id(&app, &a, 1).await;
    let replace = async |token: &str, evaluator: &Evaluator| {
        let input = json!({ "input": { "reviewId": a_review, "evaluatorId": evaluator.id, "reason": "Arthur is on leave." } });
        app.gql_as(token, REPLACE, input).await
    };

    for e in [&a, &fit] {
        let r = replace(&e.user.token, &fit).await;
        assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    }
    for ineligible in [&colleague, &same_as_b, &untrained, &b] {
        let r = replace(&staff.crc.token, ineligible).await;
        assert_eq!(
            user_error_codes(&data(&r)["replaceEvaluator"]),
            vec!["EVALUATOR_INELIGIBLE"],
            "{}: {r}",
            ineligible.name
        );
    }
    assert_eq!(
        sorted(rv::round_evaluators(&app, &staff.officer, &round).await),
        ids(&[&a, &b])
    );

    let r = replace(&staff.crc.token, &fit).await;
    let payload = &data(&r)["replaceEvaluator"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new(), "{r}");
    assert_eq!(payload["review"]["evaluator"]["id"], json!(fit.id), "{r}");
    assert_eq!(payload["review"]["assignedBy"], json!("CRC"), "{r}");
    let a_email = a.user.email.clone();
    let mail = app
        .smtp
        .wait_for("the replaced evaluator's email", move |m| {
            is_review_reassigned(m, &a_email)
        })
        .await;
    assert!(mail.text.contains("Arthur is on leave."), "{}", mail.text);
    wait_assigned(&app, &[&fit], 1).await;
    assert_eq!(
        sorted(rv::round_evaluators(&app, &staff.officer, &round).await),
        ids(&[&b, &fit])
    );
    let staffed = rv::staff_round(&app, &staff.officer, &round).await;
    let old = staffed["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == json!(a_review))
        .unwrap();
    assert_eq!(old["status"], json!("REASSIGNED"), "{staffed}");
    assert_eq!(old["endReason"], json!("Arthur is on leave."), "{staffed}");
    assert_eq!(rv::open_reviews(&app, &a).await, Vec::<String>::new());
    assert_eq!(rv::open_reviews(&app, &fit).await.len(), 1);
    for e in [&colleague, &same_as_b, &untrained] {
        assert_eq!(
            rv::open_reviews(&app, e).await,
            Vec::<String>::new(),
            "{}",
            e.name
        );
    }
    app.stop().await;
}

/// A round in review by two evaluators, for the tests of blindness.
struct Blind {
    app: TestApp,
    staff: Staff,
    candidate: Candidate,
    portfolio: Portfolio,
    round: String,
    a: Evaluator,
    b: Evaluator,
    a_review: String,
    b_review: String,
}

impl Blind {
    async fn start() -> Self {
        let app = TestApp::start().await;
        let staff = rv::staff(&app).await;
        let a = rv::evaluator(
            &app,
            &staff,
            "arthur@example.org",
            "Arthur Evalson",
            MAPLE,
            &[SET],
            true,
        )
        .await;
        let b = rv::evaluator(
            &app,
            &staff,
            "beatrix@example.org",
            "Beatrix Reviewer",
            OAK,
            &[SET],
            true,
        )
        .await;
        let (candidate, portfolio, round) = submitted_candidate(&app, &staff).await;
        wait_assigned(&app, &[&a, &b], 1).await;
        let a_review = rv::review_id(&app, &a, 1).await;
        let b_review = rv::review_id(&app, &b, 1).await;
        Self {
            app,
            staff,
            candidate,
            portfolio,
            round,
            a,
            b,
            a_review,
            b_review,
        }
    }

    /// What the first evaluator must never learn before the round is decided.
    fn secrets(&self) -> Vec<&str> {
        let mut s = candidate_secrets(&self.candidate);
        s.extend(evaluator_secrets(&self.b));
        s
    }

    async fn stop(self) {
        self.app.stop().await;
    }
}

/// Every field of a review an evaluator can ask for, some under aliases.
const EVERYTHING: &str = "
    id status dueOn tieBreaker roundNumber candidatePseudonym
    who: candidatePseudonym
    competencySet { code name }
    content {
      narratives { id title body competencies }
      files: documents { caption document { id filename contentType sizeBytes sha256 purpose url createdAt } }
    }
    myAssessment { label overallMet feedback competencies { number met comment } recommendedCourses { id title } }
    others: otherAssessments { label overallMet feedback competencies { number met comment } recommendedCourses { id title } }
    __typename";

/// The lines of a queue are answered directly and its details only read when asked for
/// (issue 7); neither may change the answer, however the selection is written.
#[tokio::test(flavor = "multi_thread")]
async fn an_evaluators_queue_answers_the_same_plainly_through_fragments_and_with_details() {
    let t = Blind::start().await;
    let line = "id status dueOn tieBreaker roundNumber candidatePseudonym competencySet { code name } __typename";
    let query = format!(
        "query($id: ID!) {{
            plain: myReviews(includeFinished: true, first: 10) {{ {line} }}
            spread: myReviews(includeFinished: true, first: 10) {{ ...Line }}
            detailed: myReviews(includeFinished: true, first: 10) {{ ...Line ...Detail }}
            one: myReview(id: $id) {{ ...Line ...Detail }}
        }}
        fragment Line on ReviewAssignment {{ {line} }}
        fragment Detail on ReviewAssignment {{
            content {{ narratives {{ body }} }}
            myAssessment {{ overallMet }}
            otherAssessments {{ overallMet }}
        }}"
    );
    let r = t
        .app
        .gql_as(&t.a.user.token, &query, json!({ "id": t.a_review }))
        .await;
    let v = data(&r);
    let plain = v["plain"].as_array().expect("a list");
    assert!(!plain.is_empty(), "{r}");
    assert_eq!(v["spread"], v["plain"], "a fragment changes nothing: {r}");
    let detailed = v["detailed"].as_array().expect("a list");
    let lines: Vec<Value> = detailed
        .iter()
        .map(|review| {
            let mut line = review.clone();
            for detail in ["content", "myAssessment", "otherAssessments"] {
                line.as_object_mut().expect("an object").remove(detail);
            }
            line
        })
        .collect();
    assert_eq!(
        &lines, plain,
        "details add to the lines, and change none: {r}"
    );
    let mine = detailed
        .iter()
        .find(|review| review["id"] == v["one"]["id"])
        .expect("the review is in the queue");
    assert_eq!(
        mine, &v["one"],
        "the queue's details are the review's own: {r}"
    );
    assert_eq!(
        v["one"]["content"]["narratives"][0]["body"],
        json!("What I learned, part 1: the first version."),
        "{r}"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_evaluators_view_of_a_review_shows_the_pseudonym_and_never_who_the_candidate_or_the_other_evaluator_is()
 {
    let t = Blind::start().await;
    let app = &t.app;
    let query = format!(
        "query($id: ID!) {{
            all: myReviews(includeFinished: true, first: 5) {{ {EVERYTHING} }}
            open: myReviews(first: 5) {{ {EVERYTHING} }}
            one: myReview(id: $id) {{ {EVERYTHING} }}
            me {{ id email displayName roles }}
            myEvaluator {{ id employer conflicts {{ candidateEmail institution }} }}
        }}"
    );
    let r = app
        .gql_as(&t.a.user.token, &query, json!({ "id": t.a_review }))
        .await;
    let view = data(&r);
    let pseudonym = view["one"]["candidatePseudonym"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(pseudonym.starts_with("Candidate "), "{r}");
    assert_eq!(view["one"]["who"], json!(pseudonym));
    assert_eq!(view["all"][0]["candidatePseudonym"], json!(pseudonym));
    assert_eq!(
        view["one"]["content"]["narratives"][0]["body"],
        json!("What I learned, part 1: the first version."),
        "the evaluator sees the content: {r}"
    );
    assert_eq!(
        view["one"]["content"]["files"][0]["document"]["id"],
        json!(t.portfolio.document_id)
    );
    assert_eq!(view["one"]["others"], json!([]));
    assert_hides(&r.to_string(), &t.secrets(), "the evaluator's view");

    // The email that assigned the review names the pseudonym, not the candidate.
    let email = t.a.user.email.clone();
    let mail = app
        .smtp
        .wait_for("the review-assigned email", move |m| {
            is_review_assigned(m, &email)
        })
        .await;
    assert!(mail.text.contains(&pseudonym), "{}", mail.text);
    assert_hides(&mail.raw, &t.secrets(), "the review-assigned email");

    // There is no field that leads from a review to a person, whatever the nesting.
    for attempt in [
        "{ myReviews { candidate { email } } }",
        "{ myReviews { candidacy { application { givenName } } } }",
        "{ myReviews { round { portfolio { candidacy { id } } } } }",
        "{ myReviews { evaluator { account { email } } } }",
        "{ myReviews { otherAssessments { evaluator { id } } } }",
        "{ x: myReviews { y: content { z: documents { document { owner { email } } } } } }",
        "{ myReviews { content { documents { document { uploadedBy { displayName } } } } } }",
    ] {
        let r = app.gql_as(&t.a.user.token, attempt, json!({})).await;
        assert_eq!(
            error_codes(&r),
            ["GRAPHQL_VALIDATION_FAILED"],
            "{attempt}: {r}"
        );
        assert!(r["data"].is_null(), "{attempt}: {r}");
        assert_hides(&r.to_string(), &t.secrets(), attempt);
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_evaluator_sees_no_other_assessment_until_every_assessment_of_the_round_is_in() {
    let t = Blind::start().await;
    let app = &t.app;
    let view = "query($id: ID!) { myReview(id: $id) { status myAssessment { feedback } otherAssessments { label overallMet feedback competencies { number met comment } } } }";
    for (e, review) in [(&t.a, &t.a_review), (&t.b, &t.b_review)] {
        let r = app
            .gql_as(&e.user.token, view, json!({ "id": review }))
            .await;
        assert_eq!(data(&r)["myReview"]["otherAssessments"], json!([]), "{r}");
    }

    let r = rv::assess(
        app,
        &t.a,
        &t.a_review,
        SET,
        false,
        "SECRET-A: not yet shown.",
        &[],
    )
    .await;
    let mine = &data(&r)["submitAssessment"]["review"];
    assert_eq!(mine["status"], json!("SUBMITTED"), "{r}");
    assert_eq!(mine["otherAssessments"], json!([]), "{r}");
    // The second evaluator cannot see the first's assessment while theirs is open, by any
    // route, under any alias.
    let r = app
        .gql_as(
            &t.b.user.token,
            "query($id: ID!) {
                one: myReview(id: $id) { otherAssessments { feedback } }
                list: myReviews(first: 10) { x: otherAssessments { feedback overallMet } }
                all: myReviews(includeFinished: true, first: 10) { otherAssessments { feedback } }
            }",
            json!({ "id": t.b_review }),
        )
        .await;
    assert_eq!(
        data(&r),
        &json!({
            "one": { "otherAssessments": [] },
            "list": [{ "x": [] }],
            "all": [{ "otherAssessments": [] }],
        })
    );
    let r = app
        .gql_as(&t.b.user.token, view, json!({ "id": t.a_review }))
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    assert!(!r.to_string().contains("SECRET-A"), "{r}");
    let r = app
        .gql_as(&t.a.user.token, view, json!({ "id": t.a_review }))
        .await;
    assert_eq!(data(&r)["myReview"]["otherAssessments"], json!([]), "{r}");

    let r = rv::assess(
        app,
        &t.b,
        &t.b_review,
        SET,
        false,
        "SECRET-B: not yet shown either.",
        &[],
    )
    .await;
    let others = &data(&r)["submitAssessment"]["review"]["otherAssessments"];
    assert_eq!(others.as_array().unwrap().len(), 1, "{r}");
    assert_eq!(others[0]["feedback"], json!("SECRET-A: not yet shown."));
    assert!(
        others[0]["label"]
            .as_str()
            .unwrap()
            .starts_with("Evaluator ")
    );
    let r = app
        .gql_as(&t.a.user.token, view, json!({ "id": t.a_review }))
        .await;
    let others = &data(&r)["myReview"]["otherAssessments"];
    assert_eq!(others.as_array().unwrap().len(), 1, "{r}");
    assert_eq!(
        others[0]["feedback"],
        json!("SECRET-B: not yet shown either.")
    );
    assert_eq!(others[0]["overallMet"], json!(false));
    assert_hides(
        &r.to_string(),
        &t.secrets(),
        "the evaluator's view once all are in",
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_evaluator_asking_for_the_candidate_or_the_other_evaluator_by_id_is_refused_without_learning_a_name()
 {
    let t = Blind::start().await;
    let app = &t.app;
    let c = &t.candidate;
    let attempts: Vec<(&str, Value)> = vec![
        (
            "query($id: ID!) { x: candidacy(id: $id) { id number application { givenName familyName email employerName } } }",
            json!({ "id": c.candidacy_id }),
        ),
        (
            "query($id: ID!) { application(id: $id) { givenName familyName email } }",
            json!({ "id": c.application_id }),
        ),
        (
            "query($id: ID!) { portfolio(id: $id) { id rounds { id } } }",
            json!({ "id": t.portfolio.id }),
        ),
        (
            "query($id: ID!) { reviewRound(id: $id) { candidacy { application { email } } reviews { evaluator { employer } } } }",
            json!({ "id": t.round }),
        ),
        (
            "query($id: ID!) { evaluator(id: $id) { employer account { email displayName } } }",
            json!({ "id": t.b.id }),
        ),
        (
            "query($id: ID!) { myReview(id: $id) { candidatePseudonym otherAssessments { feedback } } }",
            json!({ "id": t.b_review }),
        ),
        (
            "query($id: ID!) { account(id: $id) { email displayName } }",
            json!({ "id": c.user.id }),
        ),
        (
            "query($id: ID!) { account(id: $id) { email displayName } }",
            json!({ "id": t.b.user.id }),
        ),
        (
            "query($id: ID!) { shareGrants(candidacyId: $id) { id } }",
            json!({ "id": c.candidacy_id }),
        ),
        (
            "{ candidates { edges { node { application { email } } } } }",
            json!({}),
        ),
        ("{ applications { edges { node { email } } } }", json!({})),
        (
            "{ evaluators { edges { node { employer account { email } } } } }",
            json!({}),
        ),
        (
            "{ accounts(search: \"Zelda\") { edges { node { email } } } }",
            json!({}),
        ),
        ("{ roundsWaiting { id } }", json!({})),
        ("{ appeals { id } }", json!({})),
        ("{ assignmentRuns { id } }", json!({})),
        (
            "mutation($id: ID!) { fileAppeal(input: { roundId: $id, reason: \"Who are you?\" }) { appeal { id } userErrors { message } } }",
            json!({ "id": t.round }),
        ),
        (
            "mutation($id: ID!) { replaceEvaluator(input: { reviewId: $id, reason: \"Who are you?\" }) { review { id } userErrors { message } } }",
            json!({ "id": t.b_review }),
        ),
        (
            "mutation($id: ID!) { submitAssessment(input: { reviewId: $id, competencies: [], overallMet: true, feedback: \"x\" }) { review { id } userErrors { message } } }",
            json!({ "id": t.b_review }),
        ),
    ];
    for (query, variables) in attempts {
        let r = app.gql_as(&t.a.user.token, query, variables).await;
        let codes = error_codes(&r);
        assert!(
            codes.len() == 1 && ["NOT_FOUND", "FORBIDDEN"].contains(&codes[0].as_str()),
            "{query}: {r}"
        );
        assert_hides(&r.to_string(), &t.secrets(), query);
    }

    // Staff and the CRC do see who is who.
    let everything = "query($id: ID!) { reviewRound(id: $id) {
        candidacy { number application { givenName familyName email employerName } }
        reviews { evaluator { employer account { displayName email } } }
    } }";
    for (who, token) in [
        ("staff", &t.staff.officer.token),
        ("the CRC", &t.staff.crc.token),
    ] {
        let r = app
            .gql_as(token, everything, json!({ "id": t.round }))
            .await;
        let round = &data(&r)["reviewRound"];
        let application = &round["candidacy"]["application"];
        assert_eq!(application["givenName"], json!(c.given_name), "{who}: {r}");
        // The CRC sees who the candidate is, but not how to reach them.
        let email = match who {
            "staff" => json!(c.user.email),
            _ => Value::Null,
        };
        assert_eq!(application["email"], email, "{who}: {r}");
        let mut emails: Vec<&str> = round["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["evaluator"]["account"]["email"].as_str().unwrap())
            .collect();
        emails.sort();
        assert_eq!(
            emails,
            [t.a.user.email.as_str(), t.b.user.email.as_str()],
            "{who}"
        );
    }
    t.stop().await;
}

/// `GET /documents/{id}` with `token`: status and body.
async fn download(app: &TestApp, token: &str, id: &str) -> (u16, Vec<u8>) {
    let response = app
        .http
        .get(app.url(&format!("/documents/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_evaluator_downloads_their_rounds_evidence_and_no_other_document() {
    let t = Blind::start().await;
    let app = &t.app;
    let expected = crate::support::uploads::pdf_bytes("catalogue-records");
    let (status, body) = download(app, &t.a.user.token, &t.portfolio.document_id).await;
    assert_eq!((status, body), (200, expected.clone()));

    // A document the candidate uploaded but did not submit, and another candidate's.
    let unsubmitted = app
        .upload_pdf(&t.candidate.user.token, "PORTFOLIO_EVIDENCE", "draft-notes")
        .await;
    let other = rv::candidate(
        app,
        &t.staff.officer,
        "other@example.org",
        "Otto",
        "Other",
        "Cedar Library",
    )
    .await;
    let others = app
        .upload_pdf(&other.user.token, "PORTFOLIO_EVIDENCE", "other-evidence")
        .await;
    for id in [&unsubmitted, &others] {
        let (status, body) = download(app, &t.a.user.token, id).await;
        assert_eq!(status, 404, "document {id}");
        assert_hides(
            &String::from_utf8_lossy(&body),
            &t.secrets(),
            "a refused download",
        );
    }
    // Staff see every document.
    let (status, _) = download(app, &t.staff.officer.token, &unsubmitted).await;
    assert_eq!(status, 200);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_candidate_sees_feedback_labelled_evaluator_1_and_2_and_never_an_evaluators_name_or_email()
 {
    let t = Blind::start().await;
    let app = &t.app;
    rv::assess_round(
        app,
        &t.a,
        1,
        SET,
        false,
        "FROM-A: more on subject headings.",
    )
    .await;
    rv::assess_round(app, &t.b, 1, SET, false, "FROM-B: more on authority files.").await;
    let p = rv::candidate_portfolio(app, &t.candidate, &t.portfolio.id).await;
    let feedback = p["rounds"][0]["feedback"].as_array().unwrap();
    let labels: Vec<&str> = feedback
        .iter()
        .map(|f| f["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Evaluator 1", "Evaluator 2"], "{p}");
    let mut texts: Vec<&str> = feedback
        .iter()
        .map(|f| f["feedback"].as_str().unwrap())
        .collect();
    texts.sort();
    assert_eq!(
        texts,
        [
            "FROM-A: more on subject headings.",
            "FROM-B: more on authority files."
        ]
    );
    for e in [&t.a, &t.b] {
        assert_hides(
            &p.to_string(),
            &evaluator_secrets(e),
            "the candidate's view",
        );
    }
    t.stop().await;
}
