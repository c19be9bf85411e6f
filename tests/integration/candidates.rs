//! The candidate's journey through GraphQL over HTTP, with every email taken at the SMTP
//! listener: application and eligibility, fees, candidacy, deadlines and their reminders,
//! course evidence, achievements and the certificate.

use crate::support::candidates::{
    self as steps, SIX_SETS, Sweeps, application_input, date_of, day, education, months_from,
    ok_payload, work,
};
use crate::support::{PASSWORD, Received, TestApp, data, error_code, user_error_codes};
use chrono::{Duration, NaiveDate};
use domain::jobs::Sweep;
use entity::{candidacy, notification};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};

/// A date as the emails write it, e.g. `7 March 2031`.
fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

fn is(m: &Received, to: &str, subject: &str) -> bool {
    m.is_to(to) && m.subject == subject
}

/// How many notifications to `to` were written with `template`.
async fn notifications(app: &TestApp, to: &str, template: &str) -> u64 {
    notification::Entity::find()
        .filter(notification::Column::ToEmail.eq(to))
        .filter(notification::Column::Template.eq(template))
        .count(app.db())
        .await
        .unwrap()
}

fn kinds(candidacy: &Value) -> Vec<String> {
    candidacy["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn count_of(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

fn set_status<'a>(candidacy: &'a Value, code: &str) -> &'a Value {
    &candidacy["progress"]["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["competencySet"]["code"] == json!(code))
        .unwrap_or_else(|| panic!("no set {code} in {candidacy}"))["status"]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candidate_walks_from_application_to_certificate_with_every_email_on_the_way() {
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
    let courses = steps::approved_courses(&app, &officer, &SIX_SETS).await;
    let today = app.services.today();

    // A draft saved half-done is refused on submission, and found again later.
    let ada = app.signed_up_user("ada@example.org", "Ada").await;
    let draft = steps::save_application(
        &app,
        &ada.token,
        json!({
            "givenName": "Ada", "familyName": "Lovelace", "addressLine1": "",
            "city": "", "state": "", "postalCode": "",
        }),
    )
    .await;
    assert_eq!(user_error_codes(&draft), Vec::<String>::new(), "{draft}");
    let application_id = draft["application"]["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["application"]["status"], json!("DRAFT"));
    assert_eq!(draft["application"]["workHistory"], json!([]));
    let refused = steps::submit_application(&app, &ada.token, &application_id).await;
    let codes = user_error_codes(&refused);
    assert!(
        codes.iter().all(|c| c == "REQUIRED") && codes.len() >= 4,
        "{refused}"
    );
    let r = app
        .gql_as(
            &ada.token,
            "{ myApplication { id status givenName } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&r)["myApplication"],
        json!({ "id": application_id, "status": "DRAFT", "givenName": "Ada" })
    );

    // Coming back, she completes it: two periods of work, both inside the window.
    let mut input = application_input(&app, "Ada", "Lovelace");
    input["workHistory"] = json!([
        work(months_from(today, -36), Some(months_from(today, -12)), 1200),
        work(months_from(today, -12) + Duration::days(1), None, 800),
    ]);
    input["consentPublishName"] = json!(true);
    input["consentAwardNotice"] = json!(true);
    input["employerNoticeEmail"] = json!("director@springfield-library.example");
    input["stateLibraryName"] = json!("Illinois State Library");
    input["stateLibraryNoticeEmail"] = json!("awards@statelibrary.example");
    let saved = steps::save_application(&app, &ada.token, input).await;
    assert_eq!(user_error_codes(&saved), Vec::<String>::new(), "{saved}");
    let a = &saved["application"];
    assert_eq!(
        a["id"],
        json!(application_id),
        "the same application, edited"
    );
    assert_eq!(a["status"], json!("DRAFT"));
    assert_eq!(a["state"], json!("IL"));
    assert_eq!(a["workHistory"].as_array().unwrap().len(), 2);
    assert_eq!(a["eligibility"], Value::Null);

    let submitted = steps::submit_application(&app, &ada.token, &application_id).await;
    assert_eq!(
        user_error_codes(&submitted),
        Vec::<String>::new(),
        "{submitted}"
    );
    let a = &submitted["application"];
    assert_eq!(a["status"], json!("ELIGIBLE"), "{submitted}");
    assert_eq!(a["feeCents"], json!(35000));
    assert_eq!(a["paidCents"], json!(0));
    assert_eq!(a["candidacy"], Value::Null);
    let e = &a["eligibility"];
    assert_eq!(e["outcome"], json!("ELIGIBLE"));
    assert_eq!(e["decidedOn"], day(today));
    assert_eq!(e["windowStartsOn"], day(months_from(today, -60)));
    assert_eq!(e["windowEndsOn"], day(today));
    assert_eq!(e["requiredHours"], json!(1820));
    assert_eq!(e["countedHours"], json!(2000.0));
    assert_eq!(e["educationFound"], json!("HIGH_SCHOOL_DIPLOMA"));
    assert_eq!(e["educationOutsideUs"], json!(false));
    assert_eq!(e["shortfalls"], json!([]));
    for entry in e["entries"].as_array().unwrap() {
        assert_eq!(entry["daysInWindow"], entry["totalDays"], "{entry}");
        assert_eq!(entry["countedHours"].as_f64(), entry["hours"].as_f64());
    }
    let email = app
        .smtp
        .wait_for("the eligibility email", |m| {
            is(m, "ada@example.org", "You are eligible: one step to go")
        })
        .await;
    for needle in [
        "2000".to_owned(),
        long_date(months_from(today, -60)),
        long_date(today),
        "$350.00".to_owned(),
    ] {
        assert!(email.text.contains(&needle), "{needle} in:\n{}", email.text);
    }
    let again =
        steps::save_application(&app, &ada.token, application_input(&app, "Ada", "Lovelace")).await;
    assert_eq!(user_error_codes(&again), ["ALREADY_SUBMITTED"]);

    // Staff record the fee: a receipt, and the candidacy starts.
    let paid = steps::pay_application(&app, &officer.token, &application_id, 35000).await;
    assert_eq!(user_error_codes(&paid), Vec::<String>::new(), "{paid}");
    let payment = &paid["payment"];
    assert_eq!(payment["kind"], json!("CANDIDATE_FEE"));
    assert_eq!(payment["amountCents"], json!(35000));
    let receipt_number = payment["receiptNumber"].as_str().unwrap().to_owned();
    let receipt = app
        .smtp
        .wait_for("the receipt", |m| {
            is(
                m,
                "ada@example.org",
                &format!("Receipt {receipt_number}: $350.00 received"),
            )
        })
        .await;
    assert!(receipt.text.contains("CHK-1001"), "{}", receipt.text);
    let welcome = app
        .smtp
        .wait_for("the welcome", |m| {
            is(m, "ada@example.org", "Welcome: your candidacy has started")
        })
        .await;
    assert!(
        welcome.text.contains(&long_date(months_from(today, 48))),
        "{}",
        welcome.text
    );
    let roles = data(&app.me(&ada.token).await)["me"]["roles"].clone();
    assert_eq!(roles, json!(["CANDIDATE"]));
    let r = steps::application(&app, &ada.token, &application_id).await;
    let a = &data(&r)["application"];
    assert_eq!(a["status"], json!("ACCEPTED"));
    assert_eq!(a["paidCents"], json!(35000));
    let candidacy = steps::my_candidacy(&app, &ada.token).await;
    assert_eq!(a["candidacy"]["id"], candidacy["id"]);
    assert_eq!(candidacy["status"], json!("ACTIVE"));
    assert_eq!(candidacy["startedOn"], day(today));
    assert_eq!(candidacy["deadlineOn"], day(months_from(today, 48)));
    assert_eq!(candidacy["carExpiresOn"], day(months_from(today, 60)));
    assert!(
        candidacy["number"].as_str().unwrap().starts_with("LSS-"),
        "{candidacy}"
    );
    let progress = &candidacy["progress"];
    assert_eq!(progress["sets"].as_array().unwrap().len(), 10);
    assert!(
        progress["sets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == json!("NOT_STARTED"))
    );
    assert_eq!(
        progress["daysLeft"],
        json!((months_from(today, 48) - today).num_days())
    );
    assert_eq!(progress["setsRemaining"], json!(6));

    // Six course completions, each with its document, each verified by staff.
    for (i, (set, course)) in courses.iter().enumerate() {
        let sent = steps::submit_completion(&app, &ada.token, course, today).await;
        assert_eq!(user_error_codes(&sent), Vec::<String>::new(), "{sent}");
        let completion = &sent["completion"];
        assert_eq!(completion["status"], json!("SUBMITTED"));
        assert_eq!(completion["competencySet"]["code"], json!(set));
        assert_eq!(
            completion["document"]["purpose"],
            json!("COURSE_COMPLETION")
        );
        let completion_id = completion["id"].as_str().unwrap().to_owned();
        if i == 0 {
            let c = steps::my_candidacy(&app, &ada.token).await;
            assert_eq!(set_status(&c, set), &json!("UNDER_REVIEW"));
            let r = app
                .gql_as(
                    &assistant.token,
                    "{ courseCompletions(status: SUBMITTED) { nodes { id } } }",
                    json!({}),
                )
                .await;
            assert_eq!(
                data(&r)["courseCompletions"]["nodes"],
                json!([{ "id": completion_id }])
            );
        }
        let verified = steps::verify_completion(&app, &assistant.token, &completion_id).await;
        assert_eq!(
            user_error_codes(&verified),
            Vec::<String>::new(),
            "{verified}"
        );
        assert_eq!(verified["completion"]["status"], json!("VERIFIED"));
        assert_eq!(
            verified["achievement"],
            json!({ "competencySet": { "code": set }, "method": "COURSE", "achievedOn": day(today) })
        );
        if i < 5 {
            assert_eq!(verified["certificate"], Value::Null, "{verified}");
        }
    }
    let last = app
        .smtp
        .wait_for_count("six achievement emails", 6, crate::support::WAIT, |m| {
            m.is_to("ada@example.org") && m.subject.starts_with("Achieved: ")
        })
        .await;
    assert_eq!(last.len(), 6);

    // The sixth verification issued the certificate.
    let candidacy = steps::my_candidacy(&app, &ada.token).await;
    let certificate = candidacy["certificate"].clone();
    let number = certificate["number"].as_str().unwrap().to_owned();
    let code = certificate["verificationCode"].as_str().unwrap().to_owned();
    assert_eq!(
        number,
        format!("LSSCP-{}-000001", today.format("%Y")),
        "{certificate}"
    );
    assert!(code.len() >= 8, "{certificate}");
    assert_eq!(certificate["holderName"], json!("Ada Lovelace"));
    assert_eq!(certificate["status"], json!("ACTIVE"));
    assert_eq!(certificate["issuedOn"], day(today));
    assert_eq!(certificate["expiresOn"], day(months_from(today, 60)));
    assert_eq!(candidacy["status"], json!("CERTIFIED"));
    assert!(candidacy["certifiedAt"].is_string());
    let progress = &candidacy["progress"];
    assert_eq!(progress["requiredAchieved"], json!(3));
    assert_eq!(progress["electivesAchieved"], json!(3));
    assert_eq!(progress["setsRemaining"], json!(0));
    assert_eq!(progress["complete"], json!(true));
    assert_eq!(candidacy["achievements"].as_array().unwrap().len(), 6);
    let timeline = kinds(&candidacy);
    assert_eq!(count_of(&timeline, "APPLICATION_SUBMITTED"), 1);
    assert_eq!(count_of(&timeline, "CANDIDACY_STARTED"), 1);
    assert_eq!(count_of(&timeline, "EVIDENCE_SUBMITTED"), 6);
    assert_eq!(count_of(&timeline, "EVIDENCE_VERIFIED"), 6);
    assert_eq!(count_of(&timeline, "SET_ACHIEVED"), 6);
    assert_eq!(count_of(&timeline, "CERTIFIED"), 1);
    assert_eq!(
        timeline.first().map(String::as_str),
        Some("APPLICATION_SUBMITTED")
    );

    // Emails: to the holder; with her consent, to her employer and state library; and to
    // every member of staff, for the programme's first certificate.
    let certified = app
        .smtp
        .wait_for("the certified email", |m| {
            is(
                m,
                "ada@example.org",
                "You are a Certified Library Support Staff member",
            )
        })
        .await;
    assert!(certified.text.contains(&number), "{}", certified.text);
    assert!(certified.text.contains(&code), "{}", certified.text);
    for to in [
        "director@springfield-library.example",
        "awards@statelibrary.example",
    ] {
        let notice = app
            .smtp
            .wait_for(&format!("the award notice to {to}"), |m| {
                is(
                    m,
                    to,
                    "Ada Lovelace is now a Certified Library Support Staff member",
                )
            })
            .await;
        assert!(notice.text.contains(&number), "{}", notice.text);
    }
    for staff in [&officer.email, &assistant.email] {
        let milestone = app
            .smtp
            .wait_for(&format!("the milestone email to {staff}"), |m| {
                is(m, staff, "Milestone: certificate number 1 issued")
            })
            .await;
        assert!(
            milestone.text.contains("Ada Lovelace"),
            "{}",
            milestone.text
        );
    }

    // Anyone can verify the certificate by its code, however it is typed.
    let verify = "query($code: String!) { verifyCertificate(code: $code) { holderName number status issuedOn expiresOn } }";
    let expected = json!({
        "holderName": "Ada Lovelace",
        "number": number,
        "status": "ACTIVE",
        "issuedOn": day(today),
        "expiresOn": day(months_from(today, 60)),
    });
    let r = app.gql(verify, json!({ "code": code })).await;
    assert_eq!(data(&r)["verifyCertificate"], expected);
    let r = app
        .gql(
            verify,
            json!({ "code": format!(" {} ", code.to_lowercase()) }),
        )
        .await;
    assert_eq!(data(&r)["verifyCertificate"], expected);
    let r = app.gql(verify, json!({ "code": "NOSUCHCODE1" })).await;
    assert_eq!(data(&r)["verifyCertificate"], Value::Null);

    // A second candidate, who gave her employer's address but no consent: certified, with
    // no award notice to anyone, and no milestone for the programme's second certificate.
    let mut input = application_input(&app, "Grace", "Hopper");
    input["employerNoticeEmail"] = json!("boss@navy-library.example");
    input["stateLibraryName"] = json!("Virginia State Library");
    input["stateLibraryNoticeEmail"] = json!("awards@virginia-library.example");
    let grace = steps::candidate_with(&app, &officer, "grace@example.org", input).await;
    let mut second = Value::Null;
    for (_, course) in &courses {
        second = steps::achieve(&app, &grace.user.token, &officer.token, course).await;
    }
    let second = &second["certificate"];
    assert_eq!(
        second["number"],
        json!(format!("LSSCP-{}-000002", today.format("%Y")))
    );
    assert_ne!(second["verificationCode"], json!(code));
    app.smtp
        .wait_for("Grace's certified email", |m| {
            is(
                m,
                "grace@example.org",
                "You are a Certified Library Support Staff member",
            )
        })
        .await;
    for to in [
        "boss@navy-library.example",
        "awards@virginia-library.example",
    ] {
        assert_eq!(notifications(&app, to, "award_notice").await, 0, "{to}");
        assert_eq!(app.smtp.count(|m| m.is_to(to)), 0, "{to}");
    }
    for staff in [&officer.email, &assistant.email] {
        assert_eq!(
            notifications(&app, staff, "certificate_milestone").await,
            1,
            "{staff}"
        );
    }
    app.smtp
        .assert_count_holds(
            "milestone emails",
            2,
            std::time::Duration::from_secs(2),
            |m| m.subject.starts_with("Milestone:"),
        )
        .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exactly_1820_hours_in_the_window_is_eligible_and_1819_is_not_with_the_shortfall_explained()
{
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;
    let today = app.services.today();
    let ed = app.signed_up_user("ed@example.org", "Ed").await;
    let period = |hours| {
        work(
            months_from(today, -24),
            Some(today - Duration::days(1)),
            hours,
        )
    };

    let mut input = application_input(&app, "Ed", "Short");
    input["workHistory"] = json!([period(1000), period(819)]);
    let a = steps::apply(&app, &ed.token, input).await;
    assert_eq!(a["status"], json!("INELIGIBLE"), "{a}");
    let e = &a["eligibility"];
    assert_eq!(e["outcome"], json!("INELIGIBLE"));
    assert_eq!(e["countedHours"], json!(1819.0));
    assert_eq!(e["requiredHours"], json!(1820));
    assert_eq!(
        e["shortfalls"],
        json!([{ "requirement": "WORK_HOURS", "shortByHours": 1.0 }])
    );
    assert_eq!(a["candidacy"], Value::Null);
    let email = app
        .smtp
        .wait_for("the refusal", |m| {
            is(m, "ed@example.org", "About your application")
        })
        .await;
    assert!(
        email.text.contains("1819") && email.text.contains("hours short"),
        "{}",
        email.text
    );
    assert!(
        email.text.contains(&long_date(months_from(today, -60))),
        "{}",
        email.text
    );
    // No fee is taken for an ineligible application.
    let paid = steps::pay_application(&app, &officer.token, a["id"].as_str().unwrap(), 35000).await;
    assert_eq!(user_error_codes(&paid), ["APPLICATION_CLOSED"]);

    // He applies again with one more hour: exactly 1,820 is enough.
    let mut input = application_input(&app, "Ed", "Short");
    input["workHistory"] = json!([period(1000), period(820)]);
    let b = steps::apply(&app, &ed.token, input).await;
    assert_ne!(b["id"], a["id"], "a new application");
    assert_eq!(b["status"], json!("ELIGIBLE"), "{b}");
    assert_eq!(b["eligibility"]["countedHours"], json!(1820.0));
    assert_eq!(b["eligibility"]["shortfalls"], json!([]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_entry_straddling_the_five_year_window_counts_pro_rata_to_its_days_inside_it() {
    let app = TestApp::start().await;
    let today = app.services.today();
    let window_start = months_from(today, -60);
    let zoe = app.signed_up_user("zoe@example.org", "Zoe").await;
    // 200 days of work, the last 101 of them inside the window; and work entirely before it.
    let straddling = |hours| {
        work(
            window_start - Duration::days(99),
            Some(window_start + Duration::days(100)),
            hours,
        )
    };
    let before = work(
        window_start - Duration::days(400),
        Some(window_start - Duration::days(200)),
        1500,
    );

    let mut input = application_input(&app, "Zoe", "Straddle");
    input["workHistory"] = json!([straddling(4000), before]);
    let a = steps::apply(&app, &zoe.token, input.clone()).await;
    assert_eq!(a["status"], json!("ELIGIBLE"), "{a}");
    let e = &a["eligibility"];
    assert_eq!(e["windowStartsOn"], day(window_start));
    assert_eq!(e["countedHours"], json!(2020.0));
    assert_eq!(
        e["entries"],
        json!([
            { "index": 0, "daysInWindow": 101, "totalDays": 200, "hours": 4000, "countedHours": 2020.0 },
            { "index": 1, "daysInWindow": 0, "totalDays": 201, "hours": 1500, "countedHours": 0.0 },
        ])
    );

    // Withdrawn, and again with 3,600 hours on the straddling entry: only 1,818 count.
    let r = app
        .gql_as(
            &zoe.token,
            "mutation($input: ApplicationIdInput!) { withdrawApplication(input: $input) { application { status } userErrors { code } } }",
            json!({ "input": { "applicationId": a["id"] } }),
        )
        .await;
    assert_eq!(
        ok_payload(&r, "withdrawApplication")["application"]["status"],
        json!("WITHDRAWN")
    );
    input["workHistory"] = json!([straddling(3600)]);
    let b = steps::apply(&app, &zoe.token, input).await;
    assert_eq!(b["status"], json!("INELIGIBLE"), "{b}");
    let e = &b["eligibility"];
    assert_eq!(e["countedHours"], json!(1818.0));
    assert_eq!(e["entries"][0]["daysInWindow"], json!(101));
    assert_eq!(e["entries"][0]["totalDays"], json!(200));
    assert_eq!(
        e["shortfalls"],
        json!([{ "requirement": "WORK_HOURS", "shortByHours": 2.0 }])
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ged_qualifies_and_no_qualification_is_explained() {
    let app = TestApp::start().await;
    let gus = app.signed_up_user("gus@example.org", "Gus").await;

    let mut input = application_input(&app, "Gus", "Ged");
    input["education"] = json!([education("OTHER", "US")]);
    let a = steps::apply(&app, &gus.token, input.clone()).await;
    assert_eq!(a["status"], json!("INELIGIBLE"), "{a}");
    assert_eq!(
        a["eligibility"]["shortfalls"],
        json!([{ "requirement": "EDUCATION", "shortByHours": null }])
    );

    input["education"] = json!([education("GED", "US")]);
    let b = steps::apply(&app, &gus.token, input).await;
    assert_eq!(b["status"], json!("ELIGIBLE"), "{b}");
    assert_eq!(b["eligibility"]["educationFound"], json!("GED"));
    assert_eq!(b["eligibility"]["shortfalls"], json!([]));
    assert_eq!(b["education"], json!([{ "level": "GED", "country": "US" }]));
    app.stop().await;
}

const DECIDE_EDUCATION: &str = "mutation($input: DecideEducationInput!) { decideEducation(input: $input) { \
    application { id status educationDecisionReason eligibility { outcome shortfalls { requirement } } } \
    userErrors { field message code } } }";

#[tokio::test(flavor = "multi_thread")]
async fn education_from_outside_the_us_waits_for_staff_who_decide_it_with_a_reason() {
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;

    let ife = app.signed_up_user("ife@example.org", "Ife").await;
    let mut input = application_input(&app, "Ife", "Okafor");
    input["education"] = json!([education("BACHELOR", "ng")]);
    let a = steps::apply(&app, &ife.token, input).await;
    let accepted_id = a["id"].as_str().unwrap().to_owned();
    assert_eq!(a["status"], json!("AWAITING_EDUCATION_REVIEW"), "{a}");
    assert_eq!(a["eligibility"]["outcome"], json!("NEEDS_EDUCATION_REVIEW"));
    assert_eq!(a["eligibility"]["educationOutsideUs"], json!(true));
    assert_eq!(a["education"][0]["country"], json!("NG"));
    app.smtp
        .wait_for("the review notice", |m| {
            is(m, "ife@example.org", "Your application is with our staff")
        })
        .await;

    let omar = app.signed_up_user("omar@example.org", "Omar").await;
    let mut input = application_input(&app, "Omar", "Haddad");
    input["education"] = json!([education("HIGH_SCHOOL_DIPLOMA", "FR")]);
    let b = steps::apply(&app, &omar.token, input).await;
    let refused_id = b["id"].as_str().unwrap().to_owned();
    assert_eq!(b["status"], json!("AWAITING_EDUCATION_REVIEW"));

    // The staff's queue holds both; the applicant cannot decide.
    let r = app
        .gql_as(
            &officer.token,
            "{ applications(status: AWAITING_EDUCATION_REVIEW) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&r)["applications"]["nodes"],
        json!([{ "id": refused_id }, { "id": accepted_id }])
    );
    let decide = |id: &str, accept: bool, reason: &str| json!({ "input": { "applicationId": id, "accept": accept, "reason": reason } });
    let r = app
        .gql_as(
            &ife.token,
            DECIDE_EDUCATION,
            decide(&accepted_id, true, "Mine is fine"),
        )
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    let r = app
        .gql_as(
            &officer.token,
            DECIDE_EDUCATION,
            decide(&accepted_id, true, "  "),
        )
        .await;
    assert_eq!(user_error_codes(&data(&r)["decideEducation"]), ["REQUIRED"]);

    // Accepted: eligible, then accepted once paid.
    let reason = "Credential evaluation shows a degree equivalent to a US bachelor's.";
    let r = app
        .gql_as(
            &officer.token,
            DECIDE_EDUCATION,
            decide(&accepted_id, true, reason),
        )
        .await;
    let a = &ok_payload(&r, "decideEducation")["application"];
    assert_eq!(a["status"], json!("ELIGIBLE"), "{r}");
    assert_eq!(a["eligibility"]["outcome"], json!("ELIGIBLE"));
    assert_eq!(a["educationDecisionReason"], json!(reason));
    let email = app
        .smtp
        .wait_for("the acceptance of the education", |m| {
            is(m, "ife@example.org", "Your education is accepted")
        })
        .await;
    assert!(email.text.contains(reason), "{}", email.text);
    let paid = steps::pay_application(&app, &officer.token, &accepted_id, 35000).await;
    assert_eq!(user_error_codes(&paid), Vec::<String>::new());
    let r = steps::application(&app, &ife.token, &accepted_id).await;
    assert_eq!(data(&r)["application"]["status"], json!("ACCEPTED"));

    // Refused: ineligible, with the reason recorded and sent.
    let reason = "The diploma could not be verified with the issuing authority.";
    let r = app
        .gql_as(
            &officer.token,
            DECIDE_EDUCATION,
            decide(&refused_id, false, reason),
        )
        .await;
    let b = &ok_payload(&r, "decideEducation")["application"];
    assert_eq!(b["status"], json!("INELIGIBLE"), "{r}");
    assert_eq!(
        b["eligibility"]["shortfalls"],
        json!([{ "requirement": "FOREIGN_EDUCATION_REFUSED" }])
    );
    assert_eq!(b["educationDecisionReason"], json!(reason));
    let email = app
        .smtp
        .wait_for("the refusal of the education", |m| {
            is(m, "omar@example.org", "About your education")
        })
        .await;
    assert!(email.text.contains(reason), "{}", email.text);
    let r = app
        .gql_as(
            &officer.token,
            DECIDE_EDUCATION,
            decide(&refused_id, true, "Second thoughts"),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&r)["decideEducation"]),
        ["NOT_AWAITING_REVIEW"]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ala_members_pay_325_dollars_and_others_350_and_a_part_payment_does_not_start_the_candidacy()
 {
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;

    let mia = app.signed_up_user("mia@example.org", "Mia").await;
    let mut input = application_input(&app, "Mia", "Member");
    input["alaMember"] = json!(true);
    input["alaMemberNumber"] = json!("ALA-0012345");
    let member = steps::apply(&app, &mia.token, input).await;
    assert_eq!(member["alaMember"], json!(true));
    assert_eq!(member["feeCents"], json!(32500), "{member}");
    let email = app
        .smtp
        .wait_for("Mia's eligibility email", |m| {
            is(m, "mia@example.org", "You are eligible: one step to go")
        })
        .await;
    assert!(email.text.contains("$325.00"), "{}", email.text);

    let ned = app.signed_up_user("ned@example.org", "Ned").await;
    let other = steps::apply(
        &app,
        &ned.token,
        application_input(&app, "Ned", "Nonmember"),
    )
    .await;
    assert_eq!(other["feeCents"], json!(35000), "{other}");
    let email = app
        .smtp
        .wait_for("Ned's eligibility email", |m| {
            is(m, "ned@example.org", "You are eligible: one step to go")
        })
        .await;
    assert!(email.text.contains("$350.00"), "{}", email.text);

    // Part of the fee: a receipt, but the candidacy waits for the rest.
    let member_id = member["id"].as_str().unwrap();
    let paid = steps::pay_application(&app, &officer.token, member_id, 30000).await;
    assert_eq!(user_error_codes(&paid), Vec::<String>::new());
    let r = steps::application(&app, &mia.token, member_id).await;
    let a = &data(&r)["application"];
    assert_eq!(a["status"], json!("ELIGIBLE"));
    assert_eq!(a["paidCents"], json!(30000));
    assert_eq!(a["candidacy"], Value::Null);
    let paid = steps::pay_application(&app, &officer.token, member_id, 2500).await;
    assert_eq!(user_error_codes(&paid), Vec::<String>::new());
    let r = steps::application(&app, &mia.token, member_id).await;
    let a = &data(&r)["application"];
    assert_eq!(a["status"], json!("ACCEPTED"));
    assert_eq!(a["paidCents"], json!(32500));
    assert!(a["candidacy"]["id"].is_string(), "{r}");
    for amount in ["$300.00", "$25.00"] {
        app.smtp
            .wait_for(&format!("the receipt for {amount}"), |m| {
                m.is_to("mia@example.org")
                    && m.subject.starts_with("Receipt ")
                    && m.subject.ends_with(&format!(": {amount} received"))
            })
            .await;
    }
    let paid =
        steps::pay_application(&app, &officer.token, other["id"].as_str().unwrap(), 35000).await;
    assert_eq!(user_error_codes(&paid), Vec::<String>::new());
    app.smtp
        .wait_for("Ned's welcome", |m| {
            is(m, "ned@example.org", "Welcome: your candidacy has started")
        })
        .await;
    // Only staff record payments.
    let r = app
        .gql_as(
            &mia.token,
            "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id } userErrors { code } } }",
            json!({ "input": { "applicationId": other["id"], "amountCents": 100, "method": "CASH", "paidOn": day(app.services.today()) } }),
        )
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fees_come_from_the_programme_configuration() {
    let app = TestApp::builder()
        .programme("[fees]\ncandidate_cents = 40000\ncandidate_ala_member_cents = 37500")
        .start()
        .await;
    let mia = app.signed_up_user("mia@example.org", "Mia").await;
    let mut input = application_input(&app, "Mia", "Member");
    input["alaMember"] = json!(true);
    assert_eq!(
        steps::apply(&app, &mia.token, input).await["feeCents"],
        json!(37500)
    );
    let ned = app.signed_up_user("ned@example.org", "Ned").await;
    let input = application_input(&app, "Ned", "Nonmember");
    assert_eq!(
        steps::apply(&app, &ned.token, input).await["feeCents"],
        json!(40000)
    );
    app.stop().await;
}

const EXTEND: &str = "mutation($input: ExtendDeadlineInput!) { extendDeadline(input: $input) { \
    candidacy { id status deadlineOn deadlineExtensions { previousDeadlineOn newDeadlineOn reason } \
      progress { daysLeft } timeline { kind detail } } \
    userErrors { field message code } } }";

#[tokio::test(flavor = "multi_thread")]
async fn staff_extend_a_deadline_with_a_reason_and_the_candidate_is_emailed() {
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;
    let cal = steps::candidate(&app, &officer, "cal@example.org", "Cal", "Extended").await;
    let today = app.services.today();
    let deadline = months_from(today, 48);
    let extend = |to: NaiveDate, reason: &str| json!({ "input": { "candidacyId": cal.candidacy_id, "newDeadline": day(to), "reason": reason } });
    let reason = "A documented serious illness kept Cal from study for six months.";

    let r = app
        .gql_as(
            &cal.user.token,
            EXTEND,
            extend(months_from(deadline, 6), reason),
        )
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    for earlier in [deadline - Duration::days(1), deadline] {
        let r = app
            .gql_as(&officer.token, EXTEND, extend(earlier, reason))
            .await;
        let payload = &data(&r)["extendDeadline"];
        assert_eq!(user_error_codes(payload), ["NOT_LATER"], "{r}");
        assert_eq!(payload["userErrors"][0]["field"], json!("newDeadline"));
    }
    let r = app
        .gql_as(&officer.token, EXTEND, extend(months_from(deadline, 6), ""))
        .await;
    assert_eq!(
        user_error_codes(&data(&r)["extendDeadline"]),
        ["REQUIRED"],
        "{r}"
    );
    let c = steps::my_candidacy(&app, &cal.user.token).await;
    assert_eq!(c["deadlineOn"], day(deadline), "nothing changed");
    assert_eq!(c["deadlineExtensions"], json!([]));

    let new_deadline = months_from(deadline, 6);
    let r = app
        .gql_as(&officer.token, EXTEND, extend(new_deadline, reason))
        .await;
    let c = &ok_payload(&r, "extendDeadline")["candidacy"];
    assert_eq!(c["deadlineOn"], day(new_deadline));
    assert_eq!(c["status"], json!("ACTIVE"));
    assert_eq!(
        c["deadlineExtensions"],
        json!([{ "previousDeadlineOn": day(deadline), "newDeadlineOn": day(new_deadline), "reason": reason }])
    );
    assert_eq!(
        c["progress"]["daysLeft"],
        json!((new_deadline - today).num_days())
    );
    assert!(
        c["timeline"]
            .as_array()
            .unwrap()
            .contains(&json!({ "kind": "DEADLINE_EXTENDED", "detail": reason })),
        "{c}"
    );
    let email = app
        .smtp
        .wait_for("the extension email", |m| {
            is(
                m,
                "cal@example.org",
                &format!("Your deadline is now {}", long_date(new_deadline)),
            )
        })
        .await;
    assert!(email.text.contains(reason), "{}", email.text);
    assert!(email.text.contains(&long_date(deadline)), "{}", email.text);
    // The candidate sees the same.
    let mine = steps::my_candidacy(&app, &cal.user.token).await;
    assert_eq!(mine["deadlineOn"], day(new_deadline));
    app.stop().await;
}

/// A second candidacy that proves a pushed sweep has run: before each push it is given a
/// deadline ten-odd days away that it has never had, so that the sweep owes it a reminder
/// no earlier run can have sent. When that reminder arrives, the pushed sweep has been
/// through every active candidacy.
struct Sentinel {
    candidacy_id: i64,
    email: String,
    runs: usize,
}

impl Sentinel {
    fn reminders(&self, app: &TestApp) -> usize {
        app.smtp.count(|m| {
            m.is_to(&self.email) && m.subject.ends_with("left to complete your certification")
        })
    }

    /// Pushes the candidacies sweep on the real queue and waits until it has run.
    async fn sweep(&mut self, app: &TestApp, sweeps: &Sweeps) {
        self.runs += 1;
        let row = candidacy::Entity::find_by_id(self.candidacy_id)
            .one(app.db())
            .await
            .unwrap()
            .unwrap();
        let mut row: candidacy::ActiveModel = row.into();
        row.deadline_on = Set(app.services.today() + Duration::days(10 + self.runs as i64));
        row.status = Set(candidacy::CandidacyStatus::Active);
        row.update(app.db()).await.unwrap();
        sweeps.push(Sweep::Candidacies).await;
        let runs = self.runs;
        app.smtp
            .wait_for_count(
                &format!("the sentinel's reminder of sweep {runs}"),
                runs,
                crate::support::WAIT,
                |m| {
                    m.is_to(&self.email)
                        && m.subject.ends_with("left to complete your certification")
                },
            )
            .await;
        assert_eq!(self.reminders(app), runs, "one reminder per sweep");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deadline_reminders_go_out_once_at_12_6_3_and_1_months_and_the_candidacy_lapses_at_the_deadline()
 {
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;
    let rae = steps::candidate(&app, &officer, "rae@example.org", "Rae", "Reminded").await;
    let sam = steps::candidate(&app, &officer, "sentinel@example.org", "Sam", "Sentinel").await;
    let sweeps = Sweeps::connect(&app).await;
    let mut sentinel = Sentinel {
        candidacy_id: sam.candidacy_id.parse().unwrap(),
        email: sam.user.email.clone(),
        runs: 0,
    };
    let deadline = date_of(&steps::my_candidacy(&app, &rae.user.token).await["deadlineOn"]);
    let reminders_to_rae = |app: &TestApp| {
        app.smtp.count(|m| {
            m.is_to("rae@example.org") && m.subject.ends_with("left to complete your certification")
        })
    };

    // The day before the first threshold, nothing is due.
    steps::advance_to(&app, months_from(deadline, -12) - Duration::days(1));
    sentinel.sweep(&app, &sweeps).await;
    assert_eq!(reminders_to_rae(&app), 0);
    assert_eq!(
        notifications(&app, "rae@example.org", "deadline_reminder").await,
        0
    );

    for (i, months) in [12, 6, 3, 1].into_iter().enumerate() {
        let threshold = months_from(deadline, -months);
        steps::advance_to(&app, threshold);
        let subject = format!(
            "{months} month{} left to complete your certification",
            if months == 1 { "" } else { "s" }
        );
        // The cron runs the sweep twice on the day; the reminder goes out once.
        for _ in 0..2 {
            sentinel.sweep(&app, &sweeps).await;
            let reminder = app
                .smtp
                .wait_for(&format!("the {months}-month reminder"), |m| {
                    is(m, "rae@example.org", &subject)
                })
                .await;
            assert!(
                reminder.text.contains(&long_date(deadline)),
                "{}",
                reminder.text
            );
            assert!(
                reminder.text.contains(&format!(
                    "{} days from now",
                    (deadline - threshold).num_days()
                )),
                "{}",
                reminder.text
            );
            assert_eq!(app.smtp.count(|m| is(m, "rae@example.org", &subject)), 1);
            assert_eq!(reminders_to_rae(&app), i + 1, "one per threshold so far");
            assert_eq!(
                notifications(&app, "rae@example.org", "deadline_reminder").await as usize,
                i + 1
            );
        }
    }

    // At the deadline, uncertified: the candidacy lapses, and Rae is told once.
    steps::advance_to(&app, deadline);
    for _ in 0..2 {
        sentinel.sweep(&app, &sweeps).await;
        app.smtp
            .wait_for("the lapse email", |m| {
                is(m, "rae@example.org", "Your candidacy has lapsed")
            })
            .await;
        assert_eq!(
            app.smtp
                .count(|m| is(m, "rae@example.org", "Your candidacy has lapsed")),
            1
        );
        assert_eq!(
            notifications(&app, "rae@example.org", "candidacy_lapsed").await,
            1
        );
    }
    assert_eq!(reminders_to_rae(&app), 4, "no reminder at the deadline");
    let staff = app.token_for(&officer.email, PASSWORD).await;
    let r = steps::candidacy(&app, &staff, &rae.candidacy_id).await;
    let c = &data(&r)["candidacy"];
    assert_eq!(c["status"], json!("LAPSED"), "{r}");
    assert_eq!(c["progress"]["daysLeft"], json!(0));
    assert_eq!(count_of(&kinds(c), "LAPSED"), 1);
    let email = app
        .smtp
        .wait_for("the lapse email", |m| {
            is(m, "rae@example.org", "Your candidacy has lapsed")
        })
        .await;
    assert!(email.text.contains(&long_date(deadline)), "{}", email.text);
    app.smtp
        .assert_count_holds(
            "emails to Rae",
            app.smtp.count(|m| m.is_to("rae@example.org")),
            std::time::Duration::from_secs(2),
            |m| m.is_to("rae@example.org"),
        )
        .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn evidence_for_a_course_not_approved_on_its_completion_date_is_refused_and_rejected_with_a_reason()
 {
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;
    let courses = steps::approved_courses(&app, &officer, &["FOUNDATIONS"]).await;
    let course = courses[0].1.clone();
    let eve = steps::candidate(&app, &officer, "eve@example.org", "Eve", "Early").await;
    let approved_on = app.services.today();
    let expires_on = months_from(approved_on, 36);
    let was_approved = |date: NaiveDate| {
        let app = &app;
        let course = course.clone();
        async move {
            let r = app
                .gql(
                    "query($c: ID!, $d: NaiveDate!) { courseApprovedOn(courseId: $c, setCode: \"FOUNDATIONS\", date: $d) }",
                    json!({ "c": course, "d": day(date) }),
                )
                .await;
            data(&r)["courseApprovedOn"].as_bool().unwrap()
        }
    };
    assert!(!was_approved(approved_on - Duration::days(1)).await);
    assert!(was_approved(approved_on).await);
    assert!(was_approved(expires_on - Duration::days(1)).await);
    assert!(!was_approved(expires_on).await);

    // Completed the day before the course was approved.
    let sent = steps::submit_completion(
        &app,
        &eve.user.token,
        &course,
        approved_on - Duration::days(1),
    )
    .await;
    assert_eq!(user_error_codes(&sent), Vec::<String>::new(), "{sent}");
    let id = sent["completion"]["id"].as_str().unwrap().to_owned();
    let verified = steps::verify_completion(&app, &officer.token, &id).await;
    assert_eq!(
        user_error_codes(&verified),
        ["COURSE_NOT_APPROVED_ON_DATE"],
        "{verified}"
    );
    assert_eq!(verified["achievement"], Value::Null);
    let c = steps::my_candidacy(&app, &eve.user.token).await;
    assert_eq!(c["achievements"], json!([]));
    assert_eq!(c["courseCompletions"][0]["status"], json!("SUBMITTED"));
    let rejected = steps::reject_completion(&app, &officer.token, &id, " ").await;
    assert_eq!(user_error_codes(&rejected), ["REQUIRED"]);
    let reason = "The course was not yet approved on the day you completed it.";
    let rejected = steps::reject_completion(&app, &officer.token, &id, reason).await;
    assert_eq!(user_error_codes(&rejected), Vec::<String>::new());
    assert_eq!(rejected["completion"]["status"], json!("REJECTED"));
    assert_eq!(rejected["completion"]["decisionReason"], json!(reason));
    let email = app
        .smtp
        .wait_for("the rejection", |m| {
            is(
                m,
                "eve@example.org",
                "Your course-completion evidence was not accepted",
            )
        })
        .await;
    assert!(email.text.contains(reason), "{}", email.text);
    let c = steps::my_candidacy(&app, &eve.user.token).await;
    assert_eq!(set_status(&c, "FOUNDATIONS"), &json!("IN_PROGRESS"));
    assert!(
        c["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == json!("EVIDENCE_REJECTED") && e["detail"] == json!(reason)),
        "{c}"
    );
    let r = app
        .gql_as(
            &officer.token,
            "mutation($input: VerifyCourseCompletionInput!) { verifyCourseCompletion(input: $input) { userErrors { code } } }",
            json!({ "input": { "completionId": id } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&r)["verifyCourseCompletion"]),
        ["ALREADY_DECIDED"]
    );

    // Three years on, the approval has expired: evidence completed after it is refused,
    // evidence completed on its last day still counts.
    steps::advance_to(&app, expires_on + Duration::days(10));
    let eve_token = app.token_for("eve@example.org", PASSWORD).await;
    let staff = app.token_for(&officer.email, PASSWORD).await;
    let sent =
        steps::submit_completion(&app, &eve_token, &course, expires_on + Duration::days(5)).await;
    assert_eq!(user_error_codes(&sent), Vec::<String>::new(), "{sent}");
    let late = sent["completion"]["id"].as_str().unwrap().to_owned();
    let verified = steps::verify_completion(&app, &staff, &late).await;
    assert_eq!(
        user_error_codes(&verified),
        ["COURSE_NOT_APPROVED_ON_DATE"],
        "{verified}"
    );
    let reason = "The course's approval had expired when you completed it.";
    let rejected = steps::reject_completion(&app, &staff, &late, reason).await;
    assert_eq!(rejected["completion"]["status"], json!("REJECTED"));
    app.smtp
        .wait_for_count("the second rejection", 2, crate::support::WAIT, |m| {
            is(
                m,
                "eve@example.org",
                "Your course-completion evidence was not accepted",
            )
        })
        .await
        .iter()
        .find(|m| m.text.contains(reason))
        .unwrap_or_else(|| panic!("no rejection with the reason: {reason}"));

    let last_day = expires_on - Duration::days(1);
    let sent = steps::submit_completion(&app, &eve_token, &course, last_day).await;
    let in_time = sent["completion"]["id"].as_str().unwrap().to_owned();
    let verified = steps::verify_completion(&app, &staff, &in_time).await;
    assert_eq!(
        user_error_codes(&verified),
        Vec::<String>::new(),
        "{verified}"
    );
    assert_eq!(
        verified["achievement"],
        json!({ "competencySet": { "code": "FOUNDATIONS" }, "method": "COURSE", "achievedOn": day(last_day) })
    );
    app.stop().await;
}

const CANDIDATES_WITH_PROGRESS: &str = "query($first: Int!) { candidates(first: $first) { \
    edges { node { id number status \
      progress { sets { status competencySet { code } } requiredAchieved electivesAchieved daysLeft } \
      timeline { kind at setCode } \
      achievements { competencySet { code } method achievedOn } \
      application { givenName familyName workHistory { libraryName hours } education { level } } \
    } } pageInfo { hasNextPage } } }";

#[tokio::test(flavor = "multi_thread")]
async fn a_page_of_candidates_with_full_progress_costs_the_same_statements_for_5_rows_as_for_50() {
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;
    let courses = steps::approved_courses(&app, &officer, &["FOUNDATIONS"]).await;
    let course: i64 = courses[0].1.parse().unwrap();
    let (candidacies, achieved) = steps::seed_candidates(&app, &officer, 60, course).await;
    assert_eq!(candidacies.len(), 60);

    let counting = steps::CountingApi::start(&app).await;
    // The first request also fills the process's catalogue cache; it does not count.
    let (warm_up, _) = counting
        .counted(
            &app.http,
            &officer.token,
            CANDIDATES_WITH_PROGRESS,
            json!({ "first": 5 }),
        )
        .await;
    data(&warm_up);
    let (five, five_statements) = counting
        .counted(
            &app.http,
            &officer.token,
            CANDIDATES_WITH_PROGRESS,
            json!({ "first": 5 }),
        )
        .await;
    let (fifty, fifty_statements) = counting
        .counted(
            &app.http,
            &officer.token,
            CANDIDATES_WITH_PROGRESS,
            json!({ "first": 50 }),
        )
        .await;
    counting.stop().await;

    let edges = |r: &Value| data(r)["candidates"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges(&five).len(), 5);
    assert_eq!(edges(&fifty).len(), 50);
    assert_eq!(
        data(&fifty)["candidates"]["pageInfo"]["hasNextPage"],
        json!(true)
    );
    // The page really carries each row's records.
    let rows = edges(&fifty);
    assert!(rows.iter().all(|e| {
        let n = &e["node"];
        n["progress"]["sets"].as_array().unwrap().len() == 10
            && n["application"]["workHistory"].as_array().unwrap().len() == 2
            && n["application"]["education"].as_array().unwrap().len() == 1
            && !n["timeline"].as_array().unwrap().is_empty()
    }));
    let with_achievement = rows
        .iter()
        .filter(|e| !e["node"]["achievements"].as_array().unwrap().is_empty())
        .count();
    assert!(
        with_achievement >= 10,
        "{with_achievement} rows with an achievement"
    );
    assert!(rows.iter().any(|e| {
        e["node"]["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == json!("DEADLINE_EXTENDED"))
    }));
    assert!(rows.iter().any(|e| {
        e["node"]["progress"]["sets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["status"] == json!("IN_PROGRESS"))
    }));

    assert_eq!(
        five_statements.len(),
        fifty_statements.len(),
        "5 rows:\n  {}\n50 rows:\n  {}",
        five_statements.join("\n  "),
        fifty_statements.join("\n  ")
    );
    assert!(
        fifty_statements.len() <= 15,
        "a small constant number of statements:\n  {}",
        fifty_statements.join("\n  ")
    );

    // The statistics count the same candidates: the funnel and the month's series.
    let r = app
        .gql_as(
            &officer.token,
            "{ programmeStatistics { funnel { applied eligible accepted certified lapsed } \
             achievementsPerSet { competencySet { code } total byCourse byPortfolio } \
             monthly { month applications acceptances achievements certificates } } }",
            json!({}),
        )
        .await;
    let stats = &data(&r)["programmeStatistics"];
    assert_eq!(
        stats["funnel"],
        json!({ "applied": 60, "eligible": 60, "accepted": 60, "certified": 0, "lapsed": 0 })
    );
    let per_set = stats["achievementsPerSet"].as_array().unwrap();
    assert_eq!(per_set.len(), 10);
    let foundations = per_set
        .iter()
        .find(|s| s["competencySet"]["code"] == json!("FOUNDATIONS"))
        .unwrap();
    assert_eq!(
        foundations,
        &json!({ "competencySet": { "code": "FOUNDATIONS" }, "total": achieved, "byCourse": achieved, "byPortfolio": 0 })
    );
    let month = app.services.today().format("%Y-%m").to_string();
    assert_eq!(
        stats["monthly"],
        json!([{ "month": month, "applications": 60, "acceptances": 60, "achievements": achieved, "certificates": 0 }])
    );
    app.stop().await;
}

/// Set progress is answered directly for a plain selection and by the executor otherwise
/// (`api/src/graphql/flat.rs`); the two must not differ in any field.
#[tokio::test(flavor = "multi_thread")]
async fn progress_answers_the_same_through_fragments_as_through_plain_fields() {
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;
    let courses = steps::approved_courses(&app, &officer, &["FOUNDATIONS"]).await;
    let course: i64 = courses[0].1.parse().unwrap();
    steps::seed_candidates(&app, &officer, 12, course).await;

    // Every field a candidacy and its progress answer directly, around the sets' selection.
    let page = |node: &str, sets: &str, fragments: &str| {
        format!(
            "{{ candidates(first: 12) {{ nodes {{ {node} __typename id number status startedOn deadlineOn \
               carExpiresOn certifiedAt progress {{ __typename requiredAchieved requiredTotal \
               electivesAchieved electivesNeeded setsRemaining complete daysLeft sets {sets} }} }} }} }} {fragments}"
        )
    };
    let sets = "{ __typename competencySet { __typename id code name required position revisionNote } \
           required status method on: achievedOn achievedOn }";
    let plain = page("", sets, "");
    let through_fragments = page(
        "",
        "{ ...Set ... on SetProgress { achievedOn } }",
        "fragment Set on SetProgress { __typename \
           competencySet { __typename id code name required position revisionNote } \
           required status method on: achievedOn }",
    );
    let through_directives = page(
        "",
        "{ __typename competencySet @include(if: true) { __typename id code name required position revisionNote } \
           required status @skip(if: false) method on: achievedOn achievedOn }",
        "",
    );
    // A fragment on the candidacy itself sends the whole node through the executor.
    let node_through_fragment = page("... on Candidacy { number }", sets, "");
    let answer = |q: String| {
        let app = &app;
        let token = officer.token.clone();
        async move { data(&app.gql_as(&token, &q, json!({})).await)["candidates"].clone() }
    };
    let plain = answer(plain).await;
    assert_eq!(answer(through_fragments).await, plain);
    assert_eq!(answer(through_directives).await, plain);
    assert_eq!(answer(node_through_fragment).await, plain);
    let first = &plain["nodes"][0];
    assert_eq!(first["__typename"], json!("Candidacy"));
    assert_eq!(first["progress"]["__typename"], json!("Progress"));
    assert_eq!(first["progress"]["requiredTotal"], json!(3));
    assert!(first["progress"]["daysLeft"].as_i64().unwrap() > 1000);

    // The page exercises every kind of value: achieved sets with a method and a date, and
    // sets not started, whose method and date are null.
    let sets: Vec<&Value> = plain["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["progress"]["sets"].as_array().unwrap())
        .collect();
    assert_eq!(sets.len(), 120);
    assert!(sets.iter().any(|s| s["status"] == json!("ACHIEVED")
        && s["method"] == json!("COURSE")
        && s["achievedOn"].is_string()
        && s["on"] == s["achievedOn"]));
    assert!(
        sets.iter()
            .any(|s| s["status"] == json!("NOT_STARTED") && s["method"].is_null())
    );
    assert!(sets.iter().all(|s| s["__typename"] == json!("SetProgress")
        && s["competencySet"]["__typename"] == json!("CompetencySet")));
    app.stop().await;
}

/// A candidate's own progress graph is read with the candidacy, in one statement beside
/// the session's (issue 7's Q1), and answers exactly as the candidacy read by id does.
#[tokio::test(flavor = "multi_thread")]
async fn a_candidates_own_progress_costs_the_session_and_one_statement_and_matches_the_staff_view()
{
    let app = TestApp::start().await;
    let officer = app.officer("officer@lsscp.test").await;
    let courses = steps::approved_courses(
        &app,
        &officer,
        &["FOUNDATIONS", "TECHNOLOGY", "REFERENCE_INFORMATION"],
    )
    .await;
    let ida = steps::candidate(&app, &officer, "ida@example.org", "Ida", "Inkwell").await;
    // Every kind of fact: an achievement, evidence still to be judged, a portfolio.
    steps::achieve(&app, &ida.user.token, &officer.token, &courses[0].1).await;
    let sent =
        steps::submit_completion(&app, &ida.user.token, &courses[1].1, app.services.today()).await;
    assert_eq!(user_error_codes(&sent), Vec::<String>::new(), "{sent}");
    let r = app
        .gql_as(
            &ida.user.token,
            "mutation { startPortfolio(input: { setCode: \"CATALOGING_CLASSIFICATION\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&r)["startPortfolio"]["userErrors"], json!([]), "{r}");

    let progress = "progress { sets { competencySet { code } required status method achievedOn } \
        requiredAchieved requiredTotal electivesAchieved electivesNeeded setsRemaining complete daysLeft }";
    let own = format!("{{ myCandidacy {{ id number status deadlineOn {progress} }} }}");
    let counting = steps::CountingApi::start(&app).await;
    // The first request also fills the process's catalogue cache; it does not count.
    let (warm_up, _) = counting
        .counted(&app.http, &ida.user.token, &own, json!({}))
        .await;
    data(&warm_up);
    let (mine, statements) = counting
        .counted(&app.http, &ida.user.token, &own, json!({}))
        .await;
    counting.stop().await;
    assert_eq!(
        statements.len(),
        2,
        "the session and the candidacy with its facts:\n  {}",
        statements.join("\n  ")
    );
    let mine = data(&mine)["myCandidacy"].clone();
    let status = |code: &str| {
        mine["progress"]["sets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["competencySet"]["code"] == json!(code))
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("FOUNDATIONS"), json!("ACHIEVED"));
    assert_eq!(status("TECHNOLOGY"), json!("UNDER_REVIEW"));
    assert_eq!(status("CATALOGING_CLASSIFICATION"), json!("IN_PROGRESS"));
    assert_eq!(status("REFERENCE_INFORMATION"), json!("NOT_STARTED"));
    assert_eq!(mine["id"], json!(ida.candidacy_id));

    let r = app
        .gql_as(
            &officer.token,
            &format!("query($id: ID!) {{ candidacy(id: $id) {{ id number status deadlineOn {progress} }} }}"),
            json!({ "id": ida.candidacy_id }),
        )
        .await;
    assert_eq!(data(&r)["candidacy"], mine);

    // Someone who is not a candidate has no candidacy, whether or not progress is asked for.
    let other = app.signed_up_user("not-yet@example.org", "Nell").await;
    for q in [own.as_str(), "{ myCandidacy { id } }"] {
        let r = app.gql_as(&other.token, q, json!({})).await;
        assert_eq!(data(&r)["myCandidacy"], Value::Null, "{r}");
    }
    app.stop().await;
}

const STATISTICS: &str = "query($fresh: Boolean!) { programmeStatistics(fresh: $fresh) { asOf funnel { applied accepted } } }";

async fn statistics(app: &TestApp, token: &str, fresh: bool) -> Value {
    let r = app
        .gql_as(token, STATISTICS, json!({ "fresh": fresh }))
        .await;
    data(&r)["programmeStatistics"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_statistics_page_is_a_shared_snapshot_refreshed_once_older_than_its_maximum_age() {
    let app = TestApp::builder()
        .programme("[reports]\nstatistics_max_age_seconds = 600\n")
        .start()
        .await;
    let officer = app.officer("officer@lsscp.test").await;
    steps::candidate(
        &app,
        &officer,
        "first@candidates.test",
        "First",
        "Candidate",
    )
    .await;

    let first = statistics(&app, &officer.token, false).await;
    assert_eq!(first["funnel"], json!({ "applied": 1, "accepted": 1 }));

    // A second candidate within the maximum age: readers get the snapshot they shared…
    steps::candidate(
        &app,
        &officer,
        "second@candidates.test",
        "Second",
        "Candidate",
    )
    .await;
    app.advance(Duration::seconds(599));
    let cached = statistics(&app, &officer.token, false).await;
    assert_eq!(cached, first, "served from the snapshot");

    // …until staff ask for fresh numbers, which also become the snapshot.
    let fresh = statistics(&app, &officer.token, true).await;
    assert_eq!(fresh["funnel"], json!({ "applied": 2, "accepted": 2 }));
    assert_ne!(fresh["asOf"], first["asOf"]);
    assert_eq!(statistics(&app, &officer.token, false).await, fresh);

    // Past the maximum age a reader still gets the old snapshot at once, and a refresh
    // starts behind it; the numbers move without anyone asking for them fresh.
    steps::candidate(
        &app,
        &officer,
        "third@candidates.test",
        "Third",
        "Candidate",
    )
    .await;
    app.advance(Duration::seconds(601));
    let stale = statistics(&app, &officer.token, false).await;
    assert_eq!(
        stale, fresh,
        "the stale snapshot is served while it is refreshed"
    );
    let mut refreshed = stale.clone();
    for _ in 0..200 {
        refreshed = statistics(&app, &officer.token, false).await;
        if refreshed != stale {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(refreshed["funnel"], json!({ "applied": 3, "accepted": 3 }));

    // Candidates never see the statistics.
    let candidate = steps::candidate(
        &app,
        &officer,
        "fourth@candidates.test",
        "Fourth",
        "Candidate",
    )
    .await;
    let r = app
        .gql_as(&candidate.user.token, STATISTICS, json!({ "fresh": true }))
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    app.stop().await;
}
