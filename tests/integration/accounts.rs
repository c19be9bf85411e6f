//! Accounts: registration by email, sign-in, sessions, passwords, roles, and the audit log.

use crate::support::candidates::CountingApi;
use crate::support::{PASSWORD, TestApp, data, error_code, error_codes, user_error_codes};
use chrono::Duration;
use entity::{account, audit_log, notification, session};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const LOGOUT: &str = "mutation { logout { ok userErrors { code } } }";

async fn accounts_with_email(app: &TestApp, email: &str) -> u64 {
    account::Entity::find()
        .filter(account::Column::Email.eq(email))
        .count(app.db())
        .await
        .unwrap()
}

/// The audit actions recorded about account `id` (a GraphQL ID), oldest first.
async fn audit_actions(app: &TestApp, id: &str) -> Vec<String> {
    audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("account"))
        .filter(audit_log::Column::EntityId.eq(id.parse::<i64>().unwrap()))
        .order_by_asc(audit_log::Column::Id)
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

/// The `login` payload of a response that had no top-level error.
fn login_payload(response: &Value) -> &Value {
    &data(response)["login"]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_user_registers_verifies_by_the_emailed_link_signs_in_and_sees_their_account() {
    let app = TestApp::start().await;
    app.register("alice@example.org", "Alice  Example", PASSWORD)
        .await;

    let email = app
        .smtp
        .wait_for("the verification email", |m| m.is_to("alice@example.org"))
        .await;
    assert_eq!(email.subject, "Verify your email address");
    assert_eq!(email.mail_from, "no-reply@lsscp.test");
    assert!(
        email.raw.contains("multipart/alternative"),
        "a text and an HTML part: {}",
        email.raw
    );
    assert!(
        email.message_id.starts_with("<notification-")
            && email.message_id.ends_with("@lsscp.test>"),
        "{}",
        email.message_id
    );
    let token = email
        .link_token("http://app.lsscp.test/verify-email?token=")
        .unwrap_or_else(|| panic!("no verification link in:\n{}", email.text));

    let verified = app.verify_email(&token).await;
    let payload = &data(&verified)["verifyEmail"];
    assert_eq!(user_error_codes(payload), Vec::<String>::new());
    assert_eq!(payload["account"]["email"], json!("alice@example.org"));
    assert_eq!(payload["account"]["emailVerified"], json!(true));

    let login = app.login("alice@example.org", PASSWORD).await;
    let payload = login_payload(&login);
    assert_eq!(user_error_codes(payload), Vec::<String>::new());
    let bearer = payload["token"].as_str().expect("a token").to_owned();
    assert!(payload["expiresAt"].is_string(), "{login}");

    let me = app.me(&bearer).await;
    assert_eq!(
        data(&me)["me"],
        json!({
            "id": payload["account"]["id"],
            "email": "alice@example.org",
            "displayName": "Alice Example",
            "emailVerified": true,
            "roles": [],
        })
    );
    // Without a token, nobody is signed in.
    assert_eq!(
        data(&app.gql("{ me { id } }", json!({})).await)["me"],
        Value::Null
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_and_an_unknown_address_get_the_same_invalid_credentials_answer() {
    let app = TestApp::start().await;
    app.signed_up_user("bob@example.org", "Bob").await;

    for (email, password) in [
        ("bob@example.org", "not the password at all"),
        ("nobody@example.org", PASSWORD),
        ("not an address", PASSWORD),
    ] {
        let r = app.login(email, password).await;
        let payload = login_payload(&r);
        assert_eq!(
            user_error_codes(payload),
            ["INVALID_CREDENTIALS"],
            "{email}: {r}"
        );
        assert_eq!(payload["token"], Value::Null, "{email}: {r}");
        assert_eq!(payload["account"], Value::Null, "{email}: {r}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_before_verifying_the_address_is_refused() {
    let app = TestApp::start().await;
    app.register("carol@example.org", "Carol", PASSWORD).await;

    let r = app.login("carol@example.org", PASSWORD).await;
    assert_eq!(user_error_codes(login_payload(&r)), ["EMAIL_NOT_VERIFIED"]);
    assert_eq!(login_payload(&r)["token"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_stops_working_after_logout_but_other_sessions_go_on() {
    let app = TestApp::start().await;
    let user = app.signed_up_user("dan@example.org", "Dan").await;
    let other = app.token_for(&user.email, PASSWORD).await;
    assert_eq!(data(&app.me(&user.token).await)["me"]["id"], json!(user.id));

    let out = app.gql_as(&user.token, LOGOUT, json!({})).await;
    assert_eq!(data(&out)["logout"]["ok"], json!(true));

    // HTTP 200 with one UNAUTHENTICATED error: the client must sign in again rather than
    // carry on as anonymous.
    let (status, body) = app
        .post_graphql(Some(&user.token), &json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert_eq!(data(&app.me(&other).await)["me"]["id"], json!(user.id));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_stops_working_once_the_session_lifetime_has_passed() {
    let app = TestApp::start().await;
    let user = app.signed_up_user("erin@example.org", "Erin").await;

    app.advance(Duration::hours(719));
    assert_eq!(data(&app.me(&user.token).await)["me"]["id"], json!(user.id));

    app.advance(Duration::hours(2));
    assert_eq!(error_code(&app.me(&user.token).await), "UNAUTHENTICATED");
    // Signing in again works.
    let fresh = app.token_for("erin@example.org", PASSWORD).await;
    assert_eq!(data(&app.me(&fresh).await)["me"]["id"], json!(user.id));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_verification_link_is_refused_and_a_new_one_can_be_asked_for() {
    let app = TestApp::start().await;
    app.register("fay@example.org", "Fay", PASSWORD).await;
    let old = app.verification_token("fay@example.org").await;

    app.advance(Duration::hours(49));
    let r = app.verify_email(&old).await;
    let payload = &data(&r)["verifyEmail"];
    assert_eq!(user_error_codes(payload), ["TOKEN_EXPIRED"]);
    assert_eq!(payload["account"], Value::Null);
    assert_eq!(
        user_error_codes(login_payload(&app.login("fay@example.org", PASSWORD).await)),
        ["EMAIL_NOT_VERIFIED"]
    );

    let resend = app
        .gql(
            "mutation { resendVerification(input: { email: \"fay@example.org\" }) { ok userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&resend)["resendVerification"]["ok"], json!(true));
    // Found by its new token: the jump of the clock past the first email's claim lease may
    // have sent that one twice, which this test is not about.
    let prefix = "http://app.lsscp.test/verify-email?token=";
    let email = app
        .smtp
        .wait_for("a second verification email", |m| {
            m.is_to("fay@example.org") && m.link_token(prefix).is_some_and(|t| t != old)
        })
        .await;
    let new = email.link_token(prefix).unwrap();
    let r = app.verify_email(&new).await;
    assert_eq!(
        data(&r)["verifyEmail"]["account"]["emailVerified"],
        json!(true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verification_link_works_only_once() {
    let app = TestApp::start().await;
    app.register("gus@example.org", "Gus", PASSWORD).await;
    let token = app.verification_token("gus@example.org").await;

    let first = app.verify_email(&token).await;
    assert_eq!(
        user_error_codes(&data(&first)["verifyEmail"]),
        Vec::<String>::new()
    );
    let again = app.verify_email(&token).await;
    assert_eq!(
        user_error_codes(&data(&again)["verifyEmail"]),
        ["TOKEN_INVALID"]
    );
    let made_up = app.verify_email("not-a-token-we-issued").await;
    assert_eq!(
        user_error_codes(&data(&made_up)["verifyEmail"]),
        ["TOKEN_INVALID"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_reset_by_email_sets_the_new_password_and_ends_every_session() {
    let app = TestApp::start().await;
    let user = app.signed_up_user("hana@example.org", "Hana").await;

    let asked = app
        .gql(
            "mutation { requestPasswordReset(input: { email: \"hana@example.org\" }) { ok } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&asked)["requestPasswordReset"]["ok"], json!(true));
    let link = "http://app.lsscp.test/reset-password?token=";
    let email = app
        .smtp
        .wait_for("the reset email", |m| {
            m.is_to("hana@example.org") && m.text.contains(link)
        })
        .await;
    assert_eq!(email.subject, "Choose a new password");
    let token = email.link_token(link).unwrap();

    let reset = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.gql(
                "mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { ok userErrors { field code } } }",
                json!({ "input": { "token": token, "newPassword": password } }),
            )
            .await
        }
    };
    let short = reset(token.clone(), "short").await;
    assert_eq!(
        user_error_codes(&data(&short)["resetPassword"]),
        ["PASSWORD_TOO_SHORT"]
    );
    let done = reset(token.clone(), "a brand new passphrase").await;
    assert_eq!(data(&done)["resetPassword"]["ok"], json!(true), "{done}");

    assert_eq!(error_code(&app.me(&user.token).await), "UNAUTHENTICATED");
    assert_eq!(
        user_error_codes(login_payload(
            &app.login("hana@example.org", PASSWORD).await
        )),
        ["INVALID_CREDENTIALS"]
    );
    app.token_for("hana@example.org", "a brand new passphrase")
        .await;
    let again = reset(token, "yet another passphrase").await;
    assert_eq!(
        user_error_codes(&data(&again)["resetPassword"]),
        ["TOKEN_INVALID"]
    );
    app.smtp
        .wait_for("the password-changed email", |m| {
            m.is_to("hana@example.org") && m.subject == "Your password was changed"
        })
        .await;
    let actions = audit_actions(&app, &user.id).await;
    for action in ["account.request_password_reset", "account.reset_password"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::start().await;
    let user = app.signed_up_user("ivan@example.org", "Ivan").await;
    let elsewhere = app.token_for("ivan@example.org", PASSWORD).await;

    let change = |current: &'static str| {
        let app = &app;
        let token = user.token.clone();
        async move {
            app.gql_as(
                &token,
                "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token userErrors { field code } } }",
                json!({ "input": { "currentPassword": current, "newPassword": "an entirely new passphrase" } }),
            )
            .await
        }
    };
    let wrong = change("not my password").await;
    assert_eq!(
        user_error_codes(&data(&wrong)["changePassword"]),
        ["INVALID_CREDENTIALS"]
    );
    assert_eq!(data(&app.me(&elsewhere).await)["me"]["id"], json!(user.id));

    let changed = change(PASSWORD).await;
    let fresh = data(&changed)["changePassword"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no fresh token: {changed}"))
        .to_owned();
    assert_eq!(error_code(&app.me(&elsewhere).await), "UNAUTHENTICATED");
    assert_eq!(error_code(&app.me(&user.token).await), "UNAUTHENTICATED");
    assert_eq!(data(&app.me(&fresh).await)["me"]["id"], json!(user.id));
    assert_eq!(
        user_error_codes(login_payload(
            &app.login("ivan@example.org", PASSWORD).await
        )),
        ["INVALID_CREDENTIALS"]
    );
    app.token_for("ivan@example.org", "an entirely new passphrase")
        .await;
    let actions = audit_actions(&app, &user.id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "account.change_password")
            .count(),
        1,
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn registering_an_address_that_has_an_account_emails_its_owner_and_creates_nothing() {
    let app = TestApp::start().await;
    app.signed_up_user("jo@example.org", "Jo").await;

    // Same answer as a new registration: the form does not reveal who has an account.
    let again = app
        .gql(
            "mutation { register(input: { email: \"JO@example.org\", password: \"another long password\", displayName: \"Impostor\" }) { ok userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&again)["register"],
        json!({ "ok": true, "userErrors": [] })
    );
    let warning = app
        .smtp
        .wait_for("the account-exists email", |m| {
            m.is_to("jo@example.org") && m.subject.contains("tried to register")
        })
        .await;
    assert!(warning.text.contains("Hello Jo,"), "{}", warning.text);
    assert_eq!(accounts_with_email(&app, "jo@example.org").await, 1);
    assert_eq!(
        app.smtp
            .count(|m| m.is_to("jo@example.org") && m.subject == "Verify your email address"),
        1
    );
    // The original password still works; the impostor's does not.
    app.token_for("jo@example.org", PASSWORD).await;
    assert_eq!(
        user_error_codes(login_payload(
            &app.login("jo@example.org", "another long password").await
        )),
        ["INVALID_CREDENTIALS"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_failed_sign_ins_lock_the_account_for_an_hour_even_for_the_right_password() {
    let app = TestApp::start().await;
    app.signed_up_user("kim@example.org", "Kim").await;

    // A hundred guesses, one request each: one request may check one password only.
    for i in 1..=100 {
        let answer = app
            .gql(
                "mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }",
                json!({ "input": { "email": "kim@example.org", "password": format!("wrong guess {i}") } }),
            )
            .await;
        let answer = &data(&answer)["login"];
        assert_eq!(
            user_error_codes(answer),
            ["INVALID_CREDENTIALS"],
            "guess {i}: {answer}"
        );
        assert_eq!(answer["token"], Value::Null);
    }

    let locked = app.login("kim@example.org", PASSWORD).await;
    assert_eq!(error_code(&locked), "RATE_LIMITED", "{locked}");

    app.advance(Duration::minutes(61));
    app.token_for("kim@example.org", PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batched_request_is_refused_and_does_nothing() {
    let app = TestApp::start().await;
    let register = |email: &str| {
        json!({
            "query": "mutation($input: RegisterInput!) { register(input: $input) { ok } }",
            "variables": { "input": { "email": email, "password": PASSWORD, "displayName": "Batch" } },
        })
    };
    let (status, body) = app
        .post_graphql(
            None,
            &json!([register("lee@example.org"), register("mo@example.org")]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&body), "BATCH_NOT_SUPPORTED", "{body}");

    // A registration sent afterwards, alone, goes through and its email arrives; by then
    // anything the batch had written would have been sent too.
    app.register("nell@example.org", "Nell", PASSWORD).await;
    app.verification_token("nell@example.org").await;
    for batched in ["lee@example.org", "mo@example.org"] {
        assert_eq!(accounts_with_email(&app, batched).await, 0, "{batched}");
        let queued = notification::Entity::find()
            .filter(notification::Column::ToEmail.eq(batched))
            .count(app.db())
            .await
            .unwrap();
        assert_eq!(queued, 0, "{batched}");
        assert_eq!(app.smtp.count(|m| m.is_to(batched)), 0, "{batched}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_grants_a_role_that_opens_staff_queries_and_the_last_officer_keeps_theirs() {
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let pat = app.signed_up_user("pat@example.org", "Pat").await;
    let list = "{ accounts(first: 10) { edges { node { email roles } } } }";
    let grant = "mutation($input: RoleInput!) { grantRole(input: $input) { account { id roles } userErrors { code } } }";
    let revoke = "mutation($input: RoleInput!) { revokeRole(input: $input) { account { id roles } userErrors { code } } }";
    let role =
        |account: &str, role: &str| json!({ "input": { "accountId": account, "role": role } });

    assert_eq!(
        error_code(&app.gql_as(&pat.token, list, json!({})).await),
        "FORBIDDEN"
    );
    let self_grant = app
        .gql_as(&pat.token, grant, role(&pat.id, "PROGRAM_ASSISTANT"))
        .await;
    assert_eq!(error_code(&self_grant), "FORBIDDEN");
    assert_eq!(
        error_code(&app.gql(list, json!({})).await),
        "UNAUTHENTICATED"
    );

    let granted = app
        .gql_as(&officer.token, grant, role(&pat.id, "PROGRAM_ASSISTANT"))
        .await;
    assert_eq!(
        data(&granted)["grantRole"],
        json!({ "account": { "id": pat.id, "roles": ["PROGRAM_ASSISTANT"] }, "userErrors": [] })
    );

    // The same token: a role counts from the next request, though the session was used
    // (and on PostgreSQL kept in memory) before it was granted.
    let listed = app.gql_as(&pat.token, list, json!({})).await;
    let emails: Vec<&str> = data(&listed)["accounts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["pat@example.org", "olive@example.org"]);
    // An assistant is staff, but only officers grant roles.
    let assistant_grant = app
        .gql_as(&pat.token, grant, role(&pat.id, "PROGRAM_OFFICER"))
        .await;
    assert_eq!(error_code(&assistant_grant), "FORBIDDEN");

    let demote = app
        .gql_as(&officer.token, revoke, role(&officer.id, "PROGRAM_OFFICER"))
        .await;
    assert_eq!(
        user_error_codes(&data(&demote)["revokeRole"]),
        ["LAST_OFFICER"]
    );
    assert_eq!(data(&demote)["revokeRole"]["account"], Value::Null);
    assert_eq!(
        data(&app.me(&officer.token).await)["me"]["roles"],
        json!(["PROGRAM_OFFICER"])
    );

    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("account.grant_role"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(
        audit[0].actor_account_id.map(|id| id.to_string()),
        Some(officer.id)
    );
    assert_eq!(audit[0].entity_id.map(|id| id.to_string()), Some(pat.id));
    assert_eq!(
        audit[0].after,
        Some(json!({ "roles": ["program_assistant"] }))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_step_of_signing_up_in_and_out_is_in_the_audit_log() {
    let app = TestApp::start().await;
    let user = app.signed_up_user("quinn@example.org", "Quinn").await;
    let out = app.gql_as(&user.token, LOGOUT, json!({})).await;
    assert_eq!(data(&out)["logout"]["ok"], json!(true));

    let id: i64 = user.id.parse().unwrap();
    let rows = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(app.db())
        .await
        .unwrap();
    let about_account: Vec<&str> = rows
        .iter()
        .filter(|r| r.entity_type == "account" && r.entity_id == Some(id))
        .map(|r| r.action.as_str())
        .collect();
    assert_eq!(
        about_account,
        [
            "account.register",
            "account.verify_email",
            "account.sign_in_attempt",
            "account.sign_in",
        ]
    );
    let register = &rows[0];
    assert_eq!(register.actor_account_id, None);
    let after = register.after.as_ref().unwrap();
    assert_eq!(after["email"], json!("quinn@example.org"));
    assert!(after.get("passwordHash").is_none() && !after.to_string().contains("argon2"));
    let verify = rows
        .iter()
        .find(|r| r.action == "account.verify_email")
        .unwrap();
    assert_eq!(
        verify.before.as_ref().unwrap()["emailVerifiedAt"],
        Value::Null
    );
    assert!(verify.after.as_ref().unwrap()["emailVerifiedAt"].is_string());
    let revoke = rows.iter().find(|r| r.action == "session.revoke").unwrap();
    assert_eq!(revoke.actor_account_id, Some(id));
    assert_eq!(error_codes(&app.me(&user.token).await), ["UNAUTHENTICATED"]);
}

/// The statements of a request that read a session.
fn session_reads(statements: &[String]) -> usize {
    statements
        .iter()
        .filter(|s| s.contains("FROM \"session\""))
        .count()
}

/// Asks `me` as `token` until the API refuses the token, for at most 10 s: well under the
/// 60 s a kept session could otherwise last, so only the change's notification passes.
async fn refused_soon(api: &CountingApi, app: &TestApp, token: &str, what: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (body, _) = api
            .counted(&app.http, token, "{ me { id } }", json!({}))
            .await;
        if error_codes(&body) == ["UNAUTHENTICATED"] {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: the token still works 10 s later: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// On PostgreSQL an API keeps a signed-in session in memory, so that a request spends no
/// statement on it; a revocation or a disabled account written behind that API's back (by
/// another API process, or an operator's SQL) still ends the session there, told by the
/// database's notification. On SQLite every request reads its session.
#[tokio::test(flavor = "multi_thread")]
async fn a_session_kept_in_memory_ends_when_anyone_revokes_it_or_disables_its_account() {
    let app = TestApp::start().await;
    let pat = app.signed_up_user("pat@example.org", "Pat").await;
    let api = CountingApi::start_keeping_sessions(&app).await;
    let keeps = api.services.sessions().is_listening();
    assert_eq!(
        keeps,
        app.db().get_database_backend() == DbBackend::Postgres,
        "sessions are kept exactly where the database notifies"
    );
    let me = "{ me { id roles } }";

    let (first, read_first) = api.counted(&app.http, &pat.token, me, json!({})).await;
    let (again, read_again) = api.counted(&app.http, &pat.token, me, json!({})).await;
    assert_eq!(data(&first)["me"]["id"], json!(pat.id));
    assert_eq!(again, first);
    assert_eq!(session_reads(&read_first), 1, "{read_first:?}");
    assert_eq!(
        session_reads(&read_again),
        usize::from(!keeps),
        "a kept session is not read again: {read_again:?}"
    );

    let account_id: i64 = pat.id.parse().unwrap();
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(chrono::Utc::now()))
        .filter(session::Column::AccountId.eq(account_id))
        .exec(app.db())
        .await
        .unwrap();
    refused_soon(&api, &app, &pat.token, "a session revoked by SQL").await;

    let token = app.token_for(&pat.email, PASSWORD).await;
    for _ in 0..2 {
        let (body, _) = api.counted(&app.http, &token, me, json!({})).await;
        assert_eq!(data(&body)["me"]["id"], json!(pat.id));
    }
    account::Entity::update_many()
        .col_expr(account::Column::DisabledAt, Expr::value(chrono::Utc::now()))
        .filter(account::Column::Id.eq(account_id))
        .exec(app.db())
        .await
        .unwrap();
    refused_soon(&api, &app, &token, "an account disabled by SQL").await;

    api.stop().await;
    app.stop().await;
}
