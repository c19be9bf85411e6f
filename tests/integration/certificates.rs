//! Certificates after certification: renewal (applied, paid, approved or returned, against
//! the configured requirement), reminders and expiry by the daily sweep, the verifiable
//! credential and its status lists, and the staff reports with their CSV downloads.
//! Bulk renewal notices are in `bulk_notices.rs`.

use crate::support::certificates::{
    BulkHolder, Holder, Holders, RECORD_PAYMENT, certified_holder, eventually,
    independently_verify, insert_holders, mutate, status_entry, status_list,
};
use crate::support::graphql::User;
use crate::support::{
    PASSWORD, REDELIVERY_WINDOW, Received, TestApp, WAIT, data, error_code, user_error_codes,
};
use chrono::{Duration as Days, Months, NaiveDate};
use domain::jobs::Sweep;
use entity::certificate::{self, CertificateStatus};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const APPLY: &str = "mutation($input: ApplyForRenewalInput!) { applyForRenewal(input: $input) { renewal { id certificateId status contactHours technologyHours feeCents paidCents activities { title contactHours technologyHours } } userErrors { field message code } } }";
const APPROVE: &str = "mutation($input: DecideRenewalInput!) { approveRenewal(input: $input) { renewal { id status paidCents newExpiresOn decisionReasons } userErrors { field message code } } }";
const RETURN: &str = "mutation($input: DecideRenewalInput!) { returnRenewal(input: $input) { renewal { id status newExpiresOn decisionReasons } userErrors { field message code } } }";
const RENEWALS: &str = "query($id: ID!) { renewals(certificateId: $id) { id status paidCents newExpiresOn decisionReasons } }";
const MY_CERTIFICATE: &str =
    "{ myCandidacy { certificate { id number status issuedOn expiresOn } } }";
const VERIFY: &str = "query($code: String!) { verifyCertificate(code: $code) { holderName number status issuedOn expiresOn } }";
const REVOKE: &str = "mutation($input: RevokeCertificateInput!) { revokeCertificate(input: $input) { certificate { id status } userErrors { field message code } } }";
const CREDENTIAL: &str = "query($id: ID!) { certificateCredential(certificateId: $id) }";

fn plus_years(day: NaiveDate, years: u32) -> NaiveDate {
    day.checked_add_months(Months::new(12 * years)).unwrap()
}

/// `1 March 2031`, as emails write dates.
fn long_date(day: NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}

/// Activities worth `contact` hours, `technology` of them in technology.
fn activities(app: &TestApp, contact: i32, technology: i32) -> Value {
    let done = app.today() - Days::days(20);
    json!([
        {
            "title": "Reference interview workshop",
            "providerName": "State Library",
            "completedOn": done.to_string(),
            "contactHours": contact - contact / 2,
            "technologyHours": 0,
        },
        {
            "title": "Integrated library systems",
            "completedOn": done.to_string(),
            "contactHours": contact / 2,
            "technologyHours": technology,
        },
    ])
}

async fn apply(app: &TestApp, holder: &Holder, contact: i32, technology: i32) -> Value {
    let r = app
        .gql_as(
            &holder.user.token,
            APPLY,
            json!({ "input": { "certificateId": holder.certificate_id, "activities": activities(app, contact, technology) } }),
        )
        .await;
    data(&r)["applyForRenewal"].clone()
}

async fn pay_renewal(app: &TestApp, staff: &User, renewal_id: &str) -> Value {
    mutate(
        app,
        &staff.token,
        RECORD_PAYMENT,
        "recordPayment",
        json!({
            "renewalId": renewal_id,
            "amountCents": 10_000,
            "method": "CARD",
            "reference": "txn-4711",
            "paidOn": app.today().to_string(),
        }),
    )
    .await["payment"]
        .clone()
}

async fn my_certificate(app: &TestApp, holder: &Holder) -> Value {
    let r = app
        .gql_as(&holder.user.token, MY_CERTIFICATE, json!({}))
        .await;
    data(&r)["myCandidacy"]["certificate"].clone()
}

async fn verify(app: &TestApp, code: &str) -> Value {
    let r = app.gql(VERIFY, json!({ "code": code })).await;
    data(&r)["verifyCertificate"].clone()
}

/// Applies, has staff record the fee and approve: the renewal's id.
async fn renew(app: &TestApp, staff: &User, holder: &Holder) -> String {
    let applied = apply(app, holder, 34, 4).await;
    assert_eq!(
        user_error_codes(&applied),
        Vec::<String>::new(),
        "{applied}"
    );
    let id = applied["renewal"]["id"].as_str().unwrap().to_owned();
    pay_renewal(app, staff, &id).await;
    mutate(
        app,
        &staff.token,
        APPROVE,
        "approveRenewal",
        json!({ "renewalId": id }),
    )
    .await;
    id
}

async fn signed_in_again(app: &TestApp, user: &User) -> User {
    User {
        token: app.token_for(&user.email, PASSWORD).await,
        ..user.clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewal_paid_and_approved_starts_its_new_period_when_the_old_one_ends() {
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let assistant = app
        .user_with_role(&officer, "pam@example.org", "Pam", "PROGRAM_ASSISTANT")
        .await;
    let holder = certified_holder(&app, &officer, "rita@example.org", "Rita").await;
    let old_expiry = holder.expires_on;
    assert_eq!(old_expiry, plus_years(holder.issued_on, 5));

    let applied = apply(&app, &holder, 34, 4).await;
    assert_eq!(
        user_error_codes(&applied),
        Vec::<String>::new(),
        "{applied}"
    );
    let renewal = &applied["renewal"];
    assert_eq!(renewal["status"], json!("SUBMITTED"));
    assert_eq!(renewal["certificateId"], json!(holder.certificate_id));
    assert_eq!(renewal["contactHours"], json!(34));
    assert_eq!(renewal["technologyHours"], json!(4));
    assert_eq!(renewal["feeCents"], json!(10_000));
    assert_eq!(renewal["paidCents"], json!(0));
    assert_eq!(renewal["activities"].as_array().map(Vec::len), Some(2));
    let renewal_id = renewal["id"].as_str().unwrap().to_owned();

    let twice = apply(&app, &holder, 34, 4).await;
    assert_eq!(user_error_codes(&twice), ["ALREADY_SUBMITTED"]);
    let by_holder = app
        .gql_as(
            &holder.user.token,
            APPROVE,
            json!({ "input": { "renewalId": renewal_id } }),
        )
        .await;
    assert_eq!(error_code(&by_holder), "FORBIDDEN");

    // Not paid yet: refused, and nothing changes.
    let unpaid = app
        .gql_as(
            &officer.token,
            APPROVE,
            json!({ "input": { "renewalId": renewal_id } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&unpaid)["approveRenewal"]),
        ["FEE_UNPAID"]
    );
    assert_eq!(
        my_certificate(&app, &holder).await["expiresOn"],
        json!(old_expiry.to_string())
    );

    // Staff record the renewal fee; the holder gets a receipt.
    let payment = pay_renewal(&app, &assistant, &renewal_id).await;
    assert_eq!(payment["kind"], json!("RENEWAL_FEE"));
    assert_eq!(payment["amountCents"], json!(10_000));
    let receipt_number = payment["receiptNumber"].as_str().unwrap();
    let receipt = app
        .smtp
        .wait_for("the renewal fee's receipt", |m| {
            m.is_to(&holder.user.email) && m.subject.contains(receipt_number)
        })
        .await;
    assert!(receipt.text.contains(&holder.number), "{}", receipt.text);

    let approved = mutate(
        &app,
        &assistant.token,
        APPROVE,
        "approveRenewal",
        json!({ "renewalId": renewal_id, "reasons": "Thank you for your continuing education." }),
    )
    .await;
    let new_expiry = plus_years(old_expiry, 5);
    assert_eq!(approved["renewal"]["status"], json!("APPROVED"));
    assert_eq!(approved["renewal"]["paidCents"], json!(10_000));
    assert_eq!(
        approved["renewal"]["newExpiresOn"],
        json!(new_expiry.to_string())
    );

    // The new period starts when the old one ends: five years from the old expiry, not
    // from today.
    let certificate = my_certificate(&app, &holder).await;
    assert_eq!(certificate["expiresOn"], json!(new_expiry.to_string()));
    assert_eq!(certificate["issuedOn"], json!(holder.issued_on.to_string()));
    assert_eq!(certificate["status"], json!("ACTIVE"));
    let verified = verify(&app, &holder.verification_code).await;
    assert_eq!(verified["expiresOn"], json!(new_expiry.to_string()));
    assert_eq!(verified["status"], json!("ACTIVE"));
    let periods = entity::certificate_period::Entity::find()
        .all(app.db())
        .await
        .unwrap();
    let mut spans: Vec<(NaiveDate, NaiveDate)> = periods
        .iter()
        .map(|p| (p.starts_on, p.expires_on))
        .collect();
    spans.sort();
    assert_eq!(
        spans,
        [(holder.issued_on, old_expiry), (old_expiry, new_expiry)]
    );

    let email = app
        .smtp
        .wait_for("the renewal decision", |m| {
            m.is_to(&holder.user.email) && m.subject == "Your certificate is renewed"
        })
        .await;
    assert!(
        email.text.contains(&long_date(new_expiry)),
        "{}",
        email.text
    );
    assert!(
        email
            .text
            .contains("Thank you for your continuing education."),
        "{}",
        email.text
    );

    let again = app
        .gql_as(
            &officer.token,
            APPROVE,
            json!({ "input": { "renewalId": renewal_id } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&again)["approveRenewal"]),
        ["NOT_SUBMITTED"]
    );
    let listed = app
        .gql_as(
            &holder.user.token,
            RENEWALS,
            json!({ "id": holder.certificate_id }),
        )
        .await;
    assert_eq!(
        data(&listed)["renewals"],
        json!([{ "id": renewal_id, "status": "APPROVED", "paidCents": 10_000, "newExpiresOn": new_expiry.to_string(), "decisionReasons": "Thank you for your continuing education." }])
    );
    app.smtp
        .assert_count_holds("renewal decisions", 1, REDELIVERY_WINDOW, |m| {
            m.is_to(&holder.user.email) && m.subject.contains("renew")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewal_returned_with_reasons_emails_them_keeps_the_expiry_and_may_be_applied_for_again()
{
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let holder = certified_holder(&app, &officer, "ruth@example.org", "Ruth").await;
    let applied = apply(&app, &holder, 34, 4).await;
    let renewal_id = applied["renewal"]["id"].as_str().unwrap().to_owned();

    let without_reasons = app
        .gql_as(
            &officer.token,
            RETURN,
            json!({ "input": { "renewalId": renewal_id } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&without_reasons)["returnRenewal"]),
        ["REQUIRED"]
    );

    let reasons = "The workshop on reference interviews is not continuing education.\nSend the certificate of completion of the systems course.";
    let returned = mutate(
        &app,
        &officer.token,
        RETURN,
        "returnRenewal",
        json!({ "renewalId": renewal_id, "reasons": reasons }),
    )
    .await;
    assert_eq!(returned["renewal"]["status"], json!("RETURNED"));
    assert_eq!(returned["renewal"]["decisionReasons"], json!(reasons));
    assert_eq!(returned["renewal"]["newExpiresOn"], Value::Null);

    let email = app
        .smtp
        .wait_for("the returned renewal", |m| {
            m.is_to(&holder.user.email) && m.subject == "Your renewal needs more"
        })
        .await;
    for line in reasons.lines() {
        assert!(email.text.contains(line), "{}", email.text);
    }
    assert!(
        email.text.contains(&long_date(holder.expires_on)),
        "{}",
        email.text
    );
    assert_eq!(
        my_certificate(&app, &holder).await["expiresOn"],
        json!(holder.expires_on.to_string())
    );
    let decided_again = app
        .gql_as(
            &officer.token,
            APPROVE,
            json!({ "input": { "renewalId": renewal_id } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&data(&decided_again)["approveRenewal"]),
        ["NOT_SUBMITTED"]
    );

    // The holder applies again, and that renewal goes through.
    let again = apply(&app, &holder, 36, 6).await;
    assert_eq!(user_error_codes(&again), Vec::<String>::new(), "{again}");
    let second_id = again["renewal"]["id"].as_str().unwrap().to_owned();
    assert_ne!(second_id, renewal_id);
    pay_renewal(&app, &officer, &second_id).await;
    mutate(
        &app,
        &officer.token,
        APPROVE,
        "approveRenewal",
        json!({ "renewalId": second_id }),
    )
    .await;
    let listed = app
        .gql_as(
            &holder.user.token,
            RENEWALS,
            json!({ "id": holder.certificate_id }),
        )
        .await;
    let statuses: Vec<&Value> = data(&listed)["renewals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, [&json!("APPROVED"), &json!("RETURNED")]);
    assert_eq!(
        my_certificate(&app, &holder).await["expiresOn"],
        json!(plus_years(holder.expires_on, 5).to_string())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewal_with_fewer_hours_than_the_configured_requirement_is_refused() {
    let app = TestApp::builder()
        .programme("[renewal]\nmin_contact_hours = 32\nmin_technology_hours = 4\n")
        .start()
        .await;
    let officer = app.officer("olive@example.org").await;
    let holder = certified_holder(&app, &officer, "rosa@example.org", "Rosa").await;

    let too_few = apply(&app, &holder, 30, 4).await;
    assert_eq!(user_error_codes(&too_few), ["TOO_FEW_HOURS"], "{too_few}");
    assert!(
        too_few["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("32"),
        "{too_few}"
    );
    let too_little_technology = apply(&app, &holder, 40, 3).await;
    assert_eq!(
        user_error_codes(&too_little_technology),
        ["TOO_FEW_TECHNOLOGY_HOURS"]
    );
    let neither = apply(&app, &holder, 10, 0).await;
    assert_eq!(
        user_error_codes(&neither),
        ["TOO_FEW_HOURS", "TOO_FEW_TECHNOLOGY_HOURS"]
    );
    let listed = app
        .gql_as(
            &holder.user.token,
            RENEWALS,
            json!({ "id": holder.certificate_id }),
        )
        .await;
    assert_eq!(data(&listed)["renewals"], json!([]), "nothing was recorded");

    let enough = apply(&app, &holder, 32, 4).await;
    assert_eq!(user_error_codes(&enough), Vec::<String>::new(), "{enough}");
    assert_eq!(enough["renewal"]["status"], json!("SUBMITTED"));
}

/// One holder whose certificate expires on `expires_on`, written straight into the
/// database.
async fn one_holder(app: &TestApp, tag: &str, expires_on: NaiveDate) -> BulkHolder {
    insert_holders(
        app,
        &Holders {
            tag,
            count: 1,
            expires_on,
            state: "IL",
            status: CertificateStatus::Active,
        },
    )
    .await
    .remove(0)
}

async fn certificate_row(app: &TestApp, id: i64) -> certificate::Model {
    certificate::Entity::find_by_id(id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap()
}

/// Runs the certificate sweep through the queue and waits until it has run: a sentinel
/// certificate expiring today, written just before, has been expired by it. Sweeps run
/// one at a time, each over the certificates active when it starts.
async fn sweep_and_wait(app: &TestApp, tag: &str) {
    let sentinel = one_holder(app, tag, app.today()).await;
    app.push_sweep(Sweep::Certificates).await;
    eventually(&format!("the sweep to expire {tag}"), WAIT, || async {
        (certificate_row(app, sentinel.certificate_id).await.status == CertificateStatus::Expired)
            .then_some(())
    })
    .await;
}

/// Moves the calendar to `days` days before `day`.
fn advance_to(app: &TestApp, day: NaiveDate, days: i64) {
    let target = day - Days::days(days);
    let by = target - app.today();
    assert!(by >= Days::zero(), "the calendar only moves forward");
    app.advance(by);
    assert_eq!(app.today(), target);
}

#[tokio::test(flavor = "multi_thread")]
async fn holders_are_reminded_180_90_30_and_7_days_before_expiry_once_each_though_the_sweep_runs_twice()
 {
    let app = TestApp::start().await;
    let expires_on = app.today() + Days::days(240);
    let holder = one_holder(&app, "reminded", expires_on).await;
    let reminders = |m: &Received| {
        m.is_to(&holder.email) && m.subject.starts_with("Your certificate expires on")
    };

    advance_to(&app, expires_on, 181);
    sweep_and_wait(&app, "sentinel-181").await;
    assert_eq!(app.smtp.count(reminders), 0, "no reminder before 180 days");

    for (n, days) in [180, 90, 30, 7].into_iter().enumerate() {
        advance_to(&app, expires_on, days);
        app.push_sweep(Sweep::Certificates).await;
        let sent = app
            .smtp
            .wait_for_count(&format!("the {days}-day reminder"), n + 1, WAIT, reminders)
            .await;
        let this = sent
            .iter()
            .filter(|m| m.text.contains(&format!("in {days} days")))
            .count();
        assert_eq!(this, 1, "the {days}-day reminder: {sent:?}");
        assert!(
            sent.iter()
                .all(|m| m.text.contains(&holder.number) && m.text.contains(&long_date(expires_on))),
            "{sent:?}"
        );
        // The same day again, and the next day: the reminder is not sent again.
        sweep_and_wait(&app, &format!("sentinel-{days}-again")).await;
        advance_to(&app, expires_on, days - 1);
        sweep_and_wait(&app, &format!("sentinel-{days}-next-day")).await;
    }
    app.smtp
        .assert_count_holds("reminders", 4, REDELIVERY_WINDOW, reminders)
        .await;
    let texts: Vec<String> = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| reminders(m))
        .map(|m| m.text)
        .collect();
    for days in [180, 90, 30, 7] {
        assert_eq!(
            texts
                .iter()
                .filter(|t| t.contains(&format!("in {days} days")))
                .count(),
            1,
            "{texts:?}"
        );
    }
    assert_eq!(
        certificate_row(&app, holder.certificate_id).await.status,
        CertificateStatus::Active
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_not_renewed_is_expired_by_the_sweep_after_its_date_and_verification_says_expired()
 {
    let app = TestApp::start().await;
    let expires_on = app.today() + Days::days(10);
    let holder = one_holder(&app, "lapsing", expires_on).await;
    let expired_email =
        |m: &Received| m.is_to(&holder.email) && m.subject == "Your certificate has expired";

    advance_to(&app, expires_on, 1);
    sweep_and_wait(&app, "sentinel-eve").await;
    let row = certificate_row(&app, holder.certificate_id).await;
    assert_eq!(row.status, CertificateStatus::Active);
    assert_eq!(
        verify(&app, &holder.verification_code).await["status"],
        json!("ACTIVE")
    );
    assert_eq!(app.smtp.count(expired_email), 0);

    advance_to(&app, expires_on, 0);
    sweep_and_wait(&app, "sentinel-day").await;
    let row = certificate_row(&app, holder.certificate_id).await;
    assert_eq!(row.status, CertificateStatus::Expired);
    assert!(row.expired_at.is_some());
    let verified = verify(&app, &holder.verification_code).await;
    assert_eq!(verified["status"], json!("EXPIRED"));
    assert_eq!(verified["number"], json!(holder.number));
    assert_eq!(verified["expiresOn"], json!(expires_on.to_string()));
    let email = app
        .smtp
        .wait_for("the expiry notice", |m| expired_email(m))
        .await;
    assert!(email.text.contains(&holder.number), "{}", email.text);

    app.advance(Days::days(1));
    sweep_and_wait(&app, "sentinel-after").await;
    app.smtp
        .assert_count_holds("expiry notices", 1, REDELIVERY_WINDOW, expired_email)
        .await;
    assert_eq!(
        certificate_row(&app, holder.certificate_id).await.status,
        CertificateStatus::Expired
    );
}

// ---------------------------------------------------------------------------------------
// The verifiable credential and its status lists.

async fn credential(app: &TestApp, token: &str, certificate_id: &str) -> Value {
    let r = app
        .gql_as(token, CREDENTIAL, json!({ "id": certificate_id }))
        .await;
    data(&r)["certificateCredential"].clone()
}

async fn issuer(app: &TestApp) -> String {
    let r = app.gql("{ credentialIssuer }", json!({})).await;
    data(&r)["credentialIssuer"].as_str().unwrap().to_owned()
}

/// The credential's `statusListIndex` in the list of `purpose`, after checking that the
/// entry points at that list.
fn status_index(credential: &Value, purpose: &str) -> usize {
    let entry = credential["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["statusPurpose"] == json!(purpose))
        .unwrap_or_else(|| panic!("no {purpose} entry in {credential}"));
    assert_eq!(entry["type"], json!("BitstringStatusListEntry"));
    assert!(
        entry["statusListCredential"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/credentials/status/{purpose}")),
        "{entry}"
    );
    entry["statusListIndex"].as_str().unwrap().parse().unwrap()
}

/// Both lists, checked as a verifier would: signed by the issuer, each the list its
/// credentials point at.
async fn lists(app: &TestApp, issuer: &str) -> (Value, Value) {
    let message = status_list(app, "message").await;
    let revocation = status_list(app, "revocation").await;
    for (list, purpose) in [(&message, "message"), (&revocation, "revocation")] {
        assert!(independently_verify(list), "the {purpose} list's proof");
        assert_eq!(list["issuer"], json!(issuer));
        assert!(
            list["id"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/credentials/status/{purpose}"))
        );
        assert_eq!(list["credentialSubject"]["statusPurpose"], json!(purpose));
        assert!(
            list["type"]
                .as_array()
                .unwrap()
                .contains(&json!("BitstringStatusListCredential"))
        );
    }
    assert_eq!(message["credentialSubject"]["statusSize"], json!(2));
    (message, revocation)
}

/// `(message, revocation)` entries at `index`.
async fn statuses(app: &TestApp, issuer: &str, index: usize) -> (u8, u8) {
    let (message, revocation) = lists(app, issuer).await;
    (
        status_entry(&message, index),
        status_entry(&revocation, index),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exported_credential_verifies_with_an_independent_library_and_names_the_credential_issuer()
 {
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let holder = certified_holder(&app, &officer, "vera@example.org", "Vera").await;
    let issuer = issuer(&app).await;
    assert!(issuer.starts_with("did:key:z6Mk"), "{issuer}");

    let vc = credential(&app, &holder.user.token, &holder.certificate_id).await;
    assert!(independently_verify(&vc), "{vc}");
    assert_eq!(vc["issuer"]["id"], json!(issuer));
    assert_eq!(
        vc["proof"]["verificationMethod"]
            .as_str()
            .unwrap()
            .split('#')
            .next(),
        Some(issuer.as_str())
    );
    let types = vc["type"].as_array().unwrap();
    assert!(types.contains(&json!("VerifiableCredential")));
    assert!(types.contains(&json!("OpenBadgeCredential")));
    assert_eq!(vc["credentialSubject"]["name"], json!("Vera Holder"));
    assert_eq!(
        vc["validFrom"],
        json!(format!("{}T00:00:00Z", holder.issued_on))
    );
    assert_eq!(
        vc["validUntil"],
        json!(format!("{}T00:00:00Z", holder.expires_on))
    );
    assert!(
        vc["description"]
            .as_str()
            .unwrap()
            .contains(&holder.verification_code)
    );
    // Staff export the same credential.
    let by_staff = credential(&app, &officer.token, &holder.certificate_id).await;
    assert!(independently_verify(&by_staff));

    // The verifier is not a rubber stamp: any change breaks the signature.
    for (path, value) in [
        ("/credentialSubject/name", json!("Someone Else")),
        ("/validUntil", json!("2099-01-01T00:00:00Z")),
        ("/issuer/name", json!("Another Programme")),
    ] {
        let mut tampered = vc.clone();
        *tampered.pointer_mut(path).unwrap() = value;
        assert!(!independently_verify(&tampered), "{path} changed");
    }

    // Its status, read from the public lists: active, not revoked.
    let index = status_index(&vc, "message");
    assert_eq!(status_index(&vc, "revocation"), index);
    assert_eq!(statuses(&app, &issuer, index).await, (0, 0));

    // Only the holder and staff export it.
    let stranger = app.signed_up_user("sam@example.org", "Sam").await;
    let r = app
        .gql_as(
            &stranger.token,
            CREDENTIAL,
            json!({ "id": holder.certificate_id }),
        )
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND");
    let r = app
        .gql(CREDENTIAL, json!({ "id": holder.certificate_id }))
        .await;
    assert_eq!(error_code(&r), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_status_list_reads_superseded_after_a_renewal_and_expired_once_the_new_period_ends() {
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let holder = certified_holder(&app, &officer, "wanda@example.org", "Wanda").await;
    let issuer = issuer(&app).await;
    let first = credential(&app, &holder.user.token, &holder.certificate_id).await;
    let old = status_index(&first, "message");
    assert_eq!(statuses(&app, &issuer, old).await, (0, 0), "active");

    renew(&app, &officer, &holder).await;
    let second = credential(&app, &holder.user.token, &holder.certificate_id).await;
    assert!(independently_verify(&second));
    let new = status_index(&second, "message");
    assert_ne!(new, old, "each period has its own entry");
    let new_expiry = plus_years(holder.expires_on, 5);
    assert_eq!(
        second["validFrom"],
        json!(format!("{}T00:00:00Z", holder.expires_on))
    );
    assert_eq!(
        second["validUntil"],
        json!(format!("{new_expiry}T00:00:00Z"))
    );
    assert_eq!(
        statuses(&app, &issuer, old).await,
        (3, 0),
        "the old period's credential is superseded"
    );
    assert_eq!(
        statuses(&app, &issuer, new).await,
        (0, 0),
        "the new one is active"
    );

    // The calendar passes the new period's end; the sweep expires the certificate.
    advance_to(&app, new_expiry, 0);
    app.advance(Days::days(1));
    sweep_and_wait(&app, "sentinel").await;
    let id: i64 = holder.certificate_id.parse().unwrap();
    assert_eq!(
        certificate_row(&app, id).await.status,
        CertificateStatus::Expired
    );
    assert_eq!(statuses(&app, &issuer, new).await, (1, 0), "expired");
    assert_eq!(
        statuses(&app, &issuer, old).await,
        (3, 0),
        "still superseded"
    );
    assert_eq!(
        verify(&app, &holder.verification_code).await["status"],
        json!("EXPIRED")
    );
    // The holder (signed in again: the old sign-in has long expired) still exports the
    // credential, which still verifies; its status says it is expired.
    let holder_now = signed_in_again(&app, &holder.user).await;
    let exported = credential(&app, &holder_now.token, &holder.certificate_id).await;
    assert!(independently_verify(&exported));
    assert_eq!(status_index(&exported, "message"), new);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_status_lists_read_revoked_and_set_the_revocation_bit_when_staff_revoke_a_certificate()
{
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let holder = certified_holder(&app, &officer, "xena@example.org", "Xena").await;
    let other = one_holder(&app, "other", app.today() + Days::days(900)).await;
    let issuer = issuer(&app).await;
    let vc = credential(&app, &holder.user.token, &holder.certificate_id).await;
    let index = status_index(&vc, "revocation");
    let other_index = usize::try_from(other.status_list_index).unwrap();
    assert_eq!(statuses(&app, &issuer, index).await, (0, 0));
    assert_eq!(statuses(&app, &issuer, other_index).await, (0, 0));

    let input = json!({ "input": { "certificateId": holder.certificate_id, "reason": "The portfolio evidence was plagiarised." } });
    let by_holder = app.gql_as(&holder.user.token, REVOKE, input.clone()).await;
    assert_eq!(error_code(&by_holder), "FORBIDDEN");
    assert_eq!(statuses(&app, &issuer, index).await, (0, 0));

    let revoked = app.gql_as(&officer.token, REVOKE, input.clone()).await;
    let payload = &data(&revoked)["revokeCertificate"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new());
    assert_eq!(payload["certificate"]["status"], json!("REVOKED"));
    assert_eq!(
        statuses(&app, &issuer, index).await,
        (2, 1),
        "revoked in the message list, and the revocation bit set"
    );
    assert_eq!(
        statuses(&app, &issuer, other_index).await,
        (0, 0),
        "another certificate is untouched"
    );
    assert_eq!(
        verify(&app, &holder.verification_code).await["status"],
        json!("REVOKED")
    );

    let twice = app.gql_as(&officer.token, REVOKE, input).await;
    assert_eq!(
        user_error_codes(&data(&twice)["revokeCertificate"]),
        ["ALREADY_REVOKED"]
    );
    let renewal = apply(&app, &holder, 34, 4).await;
    assert_eq!(user_error_codes(&renewal), ["REVOKED"]);
    // The credential still carries a valid signature: the status list is what tells a
    // verifier it no longer holds.
    assert!(independently_verify(
        &credential(&app, &officer.token, &holder.certificate_id).await
    ));
}

// ---------------------------------------------------------------------------------------
// Reports.

const BUSINESS_PLAN: &str = "{ businessPlan { name columns records csvUrl } businessPlanInputs { firstYear years { candidates candidateFeeCents courses courseFeeCents portfolioPerCandidateCents } } }";

fn dollars(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// `(year, revenue, costs, gain)` of each row of the business-plan report.
fn plan_rows(records: &Value) -> Vec<(i64, f64, f64, f64)> {
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["year"].as_i64().unwrap(),
                dollars(&r["projected_revenue"]),
                dollars(&r["projected_costs"]),
                dollars(&r["projected_gain"]),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_business_plan_reproduces_the_2009_spreadsheet_and_follows_saved_inputs() {
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let r = app.gql_as(&officer.token, BUSINESS_PLAN, json!({})).await;
    let inputs = &data(&r)["businessPlanInputs"];
    assert_eq!(inputs["firstYear"], json!(2010));
    let years = inputs["years"].as_array().unwrap();
    assert_eq!(years.len(), 3);
    for y in years {
        assert_eq!(
            y,
            &json!({ "candidates": 300, "candidateFeeCents": 35_000, "courses": 20, "courseFeeCents": 10_000, "portfolioPerCandidateCents": 7_500 })
        );
    }
    let plan = &data(&r)["businessPlan"];
    assert_eq!(plan["name"], json!("business-plan"));
    assert_eq!(
        plan_rows(&plan["records"]),
        [
            (2010, 107_000.0, 90_800.0, 16_200.0),
            (2011, 107_000.0, 86_800.0, 20_200.0),
            (2012, 107_000.0, 86_800.0, 20_200.0),
        ]
    );
    // The same figures as a report.
    let report = app
        .gql_as(
            &officer.token,
            "{ report(name: BUSINESS_PLAN) { records } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&report)["report"]["records"], plan["records"]);

    // Saved inputs replace the spreadsheet's: 400 candidates a year.
    let mut saved: Vec<Value> = Vec::new();
    for (travel, website) in [(0, 500_000), (100_000, 0), (100_000, 0)] {
        saved.push(json!({
            "candidates": 400, "candidateFeeCents": 35_000, "courses": 20, "courseFeeCents": 10_000,
            "salariesCents": 4_400_000, "benefitsCents": 1_320_000, "travelCents": travel,
            "equipmentCents": 40_000, "suppliesCents": 70_000, "websiteCents": website,
            "marketingCents": 500_000, "portfolioPerCandidateCents": 7_500,
        }));
    }
    mutate(
        &app,
        &officer.token,
        "mutation($input: BusinessPlanInput!) { saveBusinessPlan(input: $input) { plan { firstYear } userErrors { field message code } } }",
        "saveBusinessPlan",
        json!({ "firstYear": 2010, "years": saved }),
    )
    .await;
    let r = app.gql_as(&officer.token, BUSINESS_PLAN, json!({})).await;
    assert_eq!(
        plan_rows(&data(&r)["businessPlan"]["records"]),
        [
            (2010, 142_000.0, 98_300.0, 43_700.0),
            (2011, 142_000.0, 94_300.0, 47_700.0),
            (2012, 142_000.0, 94_300.0, 47_700.0),
        ]
    );

    let candidate = app.signed_up_user("cora@example.org", "Cora").await;
    let refused = app.gql_as(&candidate.token, BUSINESS_PLAN, json!({})).await;
    assert_eq!(crate::support::error_codes(&refused)[0], "FORBIDDEN");
}

/// Every report: its GraphQL enum value and its CSV name.
const REPORTS: &[(&str, &str)] = &[
    ("FUNNEL", "funnel"),
    ("COHORTS", "cohorts"),
    ("ACHIEVEMENTS", "achievements"),
    ("EVALUATOR_LOAD", "evaluator-load"),
    ("REVIEW_TURNAROUND", "review-turnaround"),
    ("COURSES", "courses"),
    ("MARKETING_SOURCES", "marketing-sources"),
    ("RENEWALS", "renewals"),
    ("REVENUE", "revenue"),
    ("BUSINESS_PLAN", "business-plan"),
];

async fn get_csv(app: &TestApp, token: Option<&str>, name: &str) -> reqwest::Response {
    let mut request = app.http.get(app.url(&format!("/reports/{name}.csv")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Whether a CSV cell says what the GraphQL record says: text as is, numbers as numbers
/// (money in dollars with two decimals), nothing as an empty cell.
fn same_cell(csv: &str, json: &Value) -> bool {
    match json {
        Value::Null => csv.is_empty(),
        Value::String(s) => csv == s,
        Value::Number(n) => csv
            .parse::<f64>()
            .is_ok_and(|x| (x - n.as_f64().unwrap()).abs() < 0.006),
        Value::Bool(b) => csv == b.to_string(),
        other => panic!("unexpected cell {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_report_downloads_as_csv_that_parses_and_matches_the_graphql_report() {
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let holder = certified_holder(&app, &officer, "yara@example.org", "Yara").await;
    renew(&app, &officer, &holder).await;
    let year = app.today().format("%Y").to_string();

    for (value, name) in REPORTS {
        let r = app
            .gql_as(
                &officer.token,
                &format!("{{ report(name: {value}) {{ name columns records csvUrl }} }}"),
                json!({}),
            )
            .await;
        let report = &data(&r)["report"];
        assert_eq!(report["csvUrl"], json!(format!("/reports/{name}.csv")));
        let response = get_csv(&app, Some(&officer.token), name).await;
        assert_eq!(response.status().as_u16(), 200, "{name}");
        assert!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/csv")),
            "{name}: {:?}",
            response.headers()
        );
        let body = response.text().await.unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(body.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let columns: Vec<String> = serde_json::from_value(report["columns"].clone()).unwrap();
        assert_eq!(header, columns, "{name}");
        let rows: Vec<csv::StringRecord> = reader
            .records()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}.csv does not parse: {e}\n{body}"));
        let records = report["records"].as_array().unwrap();
        assert_eq!(rows.len(), records.len(), "{name}: {body}");
        for (row, record) in rows.iter().zip(records) {
            assert_eq!(row.len(), columns.len(), "{name}: {body}");
            for (cell, column) in row.iter().zip(&columns) {
                assert!(
                    same_cell(cell, &record[column]),
                    "{name}.{column}: CSV {cell:?}, GraphQL {}",
                    record[column]
                );
            }
        }
        if *name == "revenue" {
            let this_year = rows
                .iter()
                .find(|r| r.get(0) == Some(year.as_str()))
                .unwrap_or_else(|| panic!("no row for {year}: {body}"));
            assert_eq!(
                this_year.iter().collect::<Vec<_>>(),
                [year.as_str(), "350.00", "0.00", "100.00", "450.00"],
                "{body}"
            );
        }
        if *name == "business-plan" {
            assert!(
                body.contains("\r\n2010,300,0,20,0,107000.00,0.00,90800.00,16200.00\r\n"),
                "{body}"
            );
        }
    }

    // Staff only.
    let response = get_csv(&app, Some(&holder.user.token), "revenue").await;
    assert_eq!(response.status().as_u16(), 403);
    let response = get_csv(&app, None, "revenue").await;
    assert_eq!(response.status().as_u16(), 401);
    let response = get_csv(&app, Some(&officer.token), "no-such-report").await;
    assert_eq!(response.status().as_u16(), 404);
    let refused = app
        .gql_as(
            &holder.user.token,
            "{ report(name: REVENUE) { records } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}
