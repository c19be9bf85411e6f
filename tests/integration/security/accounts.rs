//! See the module documentation in `mod.rs`.
//!
//! Accounts against ASVS 4.0.3 L2 section 2: guessable passwords are refused wherever a
//! password is set, unknown addresses are throttled exactly like known ones, a reset link
//! dies with any password change, token emails are bounded, and password hashing is
//! bounded process-wide (`BUSY` beyond its queue).

use crate::support::{PASSWORD, TestApp, data, error_code, error_codes, user_error_codes};
use chrono::Duration;
use serde_json::{Value, json};
use std::time::Instant;

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { ok userErrors { field message code } } }";
const CHANGE: &str = "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token userErrors { field message code } } }";
const RESET: &str = "mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { ok userErrors { field message code } } }";
const RESET_LINK: &str = "http://app.lsscp.test/reset-password?token=";

async fn register(app: &TestApp, email: &str, name: &str, password: &str) -> Value {
    let r = app
        .gql(
            REGISTER,
            json!({ "input": { "email": email, "password": password, "displayName": name } }),
        )
        .await;
    data(&r)["register"].clone()
}

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> Value {
    let r = app
        .gql_as(
            token,
            CHANGE,
            json!({ "input": { "currentPassword": current, "newPassword": new } }),
        )
        .await;
    data(&r)["changePassword"].clone()
}

async fn reset(app: &TestApp, token: &str, new: &str) -> Value {
    let r = app
        .gql(
            RESET,
            json!({ "input": { "token": token, "newPassword": new } }),
        )
        .await;
    data(&r)["resetPassword"].clone()
}

async fn request_reset(app: &TestApp, email: &str) -> Value {
    app.gql(
        "mutation($email: String!) { requestPasswordReset(input: { email: $email }) { ok userErrors { code } } }",
        json!({ "email": email }),
    )
    .await
}

/// Asks for a reset link and returns the token of the `nth` reset email (1-based) to
/// `email`.
async fn reset_token(app: &TestApp, email: &str, nth: usize) -> String {
    let r = request_reset(app, email).await;
    assert_eq!(data(&r)["requestPasswordReset"]["ok"], json!(true), "{r}");
    let mails = app
        .smtp
        .wait_for_count(
            &format!("reset email {nth} to {email}"),
            nth,
            std::time::Duration::from_secs(30),
            |m| m.is_to(email) && m.text.contains(RESET_LINK),
        )
        .await;
    // A message may arrive twice (delivery is at least once); each token counts once.
    let mut tokens: Vec<String> = Vec::new();
    for token in mails.iter().filter_map(|m| m.link_token(RESET_LINK)) {
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    tokens
        .into_iter()
        .nth(nth - 1)
        .unwrap_or_else(|| panic!("no reset email {nth} to {email}"))
}

fn assert_too_common(payload: &Value, field: &str, what: &str) {
    assert_eq!(
        user_error_codes(payload),
        ["PASSWORD_TOO_COMMON"],
        "{what}: {payload}"
    );
    let error = &payload["userErrors"][0];
    assert_eq!(error["field"], json!(field), "{what}: {payload}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("password1234") && message.contains("aaaaaaaaaaaa"),
        "{what}: the message names examples a person can act on: {message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn common_passwords_are_refused_on_every_path_that_sets_one() {
    let app = TestApp::start().await;

    for weak in ["password1234", "aaaaaaaaaaaa", "qwertyuiop123"] {
        let r = register(&app, "new@example.org", "New Person", weak).await;
        assert_too_common(&r, "password", &format!("register with {weak}"));
    }
    // The person's own name and address count as guessable too.
    let own = register(
        &app,
        "rosalind.franklin@example.org",
        "Rosalind Franklin",
        "rosalind.franklin",
    )
    .await;
    assert_too_common(&own, "password", "register with one's own address");
    assert_eq!(app.smtp.count(|m| m.is_to("new@example.org")), 0);

    let user = app.signed_up_user("una@example.org", "Una").await;
    let changed = change(&app, &user.token, PASSWORD, "password1234").await;
    assert_too_common(&changed, "newPassword", "changePassword");
    assert_eq!(changed["token"], Value::Null);
    // Nothing changed: the old password and the old session still work.
    assert_eq!(data(&app.me(&user.token).await)["me"]["id"], json!(user.id));
    app.token_for("una@example.org", PASSWORD).await;

    let token = reset_token(&app, "una@example.org", 1).await;
    let refused = reset(&app, &token, "aaaaaaaaaaaa").await;
    assert_too_common(&refused, "newPassword", "resetPassword");
    // A refused password does not use the link up.
    let done = reset(&app, &token, "violet kettle grammar orbit").await;
    assert_eq!(done["ok"], json!(true), "{done}");
    app.token_for("una@example.org", "violet kettle grammar orbit")
        .await;

    // The installer's command that creates an officer.
    let officer = domain::services::accounts::create_officer(
        &app.services,
        "olive@example.org",
        "Olive Officer",
        "password1234".to_owned(),
    )
    .await;
    match officer {
        Err(domain::DomainError::Invalid(v)) => {
            assert_eq!(v[0].code, "PASSWORD_TOO_COMMON", "{v:?}");
        }
        other => panic!("create_officer accepted password1234: {other:?}"),
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_address_is_locked_out_like_a_known_one_with_the_same_answers() {
    let app = TestApp::builder()
        .programme("[accounts]\nmax_failed_logins_per_hour = 3")
        .start()
        .await;
    app.signed_up_user("kim@example.org", "Kim").await;
    let known = "kim@example.org";
    let unknowns = ["nobody@example.org", "not an address"];

    for attempt in 1..=3 {
        let k = app.login(known, "not the password at all").await;
        assert_eq!(
            user_error_codes(&data(&k)["login"]),
            ["INVALID_CREDENTIALS"],
            "attempt {attempt}: {k}"
        );
        for unknown in unknowns {
            let u = app.login(unknown, "not the password at all").await;
            assert_eq!(u, k, "attempt {attempt}, {unknown}");
        }
    }
    let k = app.login(known, "not the password at all").await;
    assert_eq!(error_code(&k), "RATE_LIMITED", "{k}");
    for unknown in unknowns {
        let u = app.login(unknown, "not the password at all").await;
        assert_eq!(u, k, "locked out, {unknown}");
    }
    // The address is locked, even for the right password; other addresses are not.
    assert_eq!(
        error_code(&app.login(known, PASSWORD).await),
        "RATE_LIMITED"
    );
    let other = app.login("someone.else@example.org", "x y z w").await;
    assert_eq!(
        user_error_codes(&data(&other)["login"]),
        ["INVALID_CREDENTIALS"]
    );
    // The normalised address is what counts.
    assert_eq!(
        error_code(&app.login(" NOBODY@Example.org ", "guess").await),
        "RATE_LIMITED"
    );

    app.advance(Duration::minutes(61));
    app.token_for(known, PASSWORD).await;
    let u = app.login("nobody@example.org", "again").await;
    assert_eq!(
        user_error_codes(&data(&u)["login"]),
        ["INVALID_CREDENTIALS"]
    );
    app.stop().await;
}

/// The median of `n` timed failed sign-ins for `email`.
async fn median_failure(app: &TestApp, email: &str, n: usize) -> std::time::Duration {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let r = app.login(email, &format!("wrong guess {i}")).await;
        times.push(started.elapsed());
        assert_eq!(
            user_error_codes(&data(&r)["login"]),
            ["INVALID_CREDENTIALS"],
            "{email}: {r}"
        );
    }
    times.sort();
    times[n / 2]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_sign_in_takes_as_long_for_an_unknown_address_as_for_a_known_one() {
    let app = TestApp::start().await;
    app.signed_up_user("lee@example.org", "Lee").await;
    // Warm both paths (the dummy hash is made on first use).
    median_failure(&app, "lee@example.org", 1).await;
    median_failure(&app, "warm@example.org", 1).await;

    let known = median_failure(&app, "lee@example.org", 9).await;
    let unknown = median_failure(&app, "nobody@example.org", 9).await;
    let ratio = unknown.as_secs_f64() / known.as_secs_f64();
    // Both run one argon2id check and the same statements; the bound leaves room for a
    // busy machine, while a path without the hash would be several times faster.
    assert!(
        (0.5..2.0).contains(&ratio),
        "known {known:?}, unknown {unknown:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_link_stops_working_once_the_password_has_been_changed() {
    let app = TestApp::start().await;
    let user = app.signed_up_user("vic@example.org", "Vic").await;

    // Changed by changePassword.
    let first = reset_token(&app, "vic@example.org", 1).await;
    let changed = change(&app, &user.token, PASSWORD, "violet kettle grammar orbit").await;
    assert!(changed["token"].is_string(), "{changed}");
    let late = reset(&app, &first, "amber lantern quietly folds").await;
    assert_eq!(user_error_codes(&late), ["TOKEN_INVALID"], "{late}");
    app.token_for("vic@example.org", "violet kettle grammar orbit")
        .await;

    // Changed by another reset link: the older link dies with it. (A minute apart, as a
    // second link within a minute is not sent.)
    app.advance(Duration::minutes(2));
    let older = reset_token(&app, "vic@example.org", 2).await;
    app.advance(Duration::minutes(2));
    let newer = reset_token(&app, "vic@example.org", 3).await;
    assert_ne!(older, newer);
    let done = reset(&app, &newer, "copper meadow sings backwards").await;
    assert_eq!(done["ok"], json!(true), "{done}");
    let late = reset(&app, &older, "amber lantern quietly folds").await;
    assert_eq!(user_error_codes(&late), ["TOKEN_INVALID"], "{late}");
    app.token_for("vic@example.org", "copper meadow sings backwards")
        .await;
    assert_eq!(
        user_error_codes(
            &data(
                &app.login("vic@example.org", "amber lantern quietly folds")
                    .await
            )["login"]
        ),
        ["INVALID_CREDENTIALS"]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_gets_at_most_five_token_emails_an_hour_and_every_request_looks_sent() {
    let app = TestApp::start().await;
    app.signed_up_user("wes@example.org", "Wes").await;
    // The sign-up's verification email counts within its hour; start a fresh one.
    app.advance(Duration::minutes(61));

    for i in 0..8 {
        for email in ["wes@example.org", "nobody@example.org"] {
            let r = request_reset(&app, email).await;
            assert_eq!(
                data(&r)["requestPasswordReset"],
                json!({ "ok": true, "userErrors": [] }),
                "request {i} for {email}"
            );
        }
        app.advance(Duration::minutes(2));
    }
    // Delivery is at least once, and moving the clock can make a message go twice: count
    // emails by their message id.
    let reset_emails = || {
        let mut ids: Vec<String> = app
            .smtp
            .messages()
            .into_iter()
            .filter(|m| m.is_to("wes@example.org") && m.text.contains(RESET_LINK))
            .map(|m| m.message_id)
            .collect();
        ids.sort();
        ids.dedup();
        ids.len()
    };
    let wait_for = |n: usize| async move {
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        while reset_emails() < n && Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    wait_for(5).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(reset_emails(), 5, "{:#?}", app.smtp.messages());
    assert_eq!(
        app.smtp.count(|m| m.is_to("nobody@example.org")),
        0,
        "nothing to an address without an account"
    );

    app.advance(Duration::minutes(61));
    request_reset(&app, "wes@example.org").await;
    wait_for(6).await;
    assert_eq!(reset_emails(), 6, "a sixth after the hour");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn beyond_the_hashing_queue_a_sign_in_is_refused_as_busy_and_nothing_happens() {
    // One hash at a time and no one waiting: any sign-in that overlaps another is refused.
    let app = TestApp::builder().password_hashing(1, 0).start().await;
    app.signed_up_user("xia@example.org", "Xia").await;

    let attempts = (0..24).map(|i| {
        let app = &app;
        async move {
            app.login("xia@example.org", &format!("wrong guess {i}"))
                .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let mut busy = 0;
    for r in &answers {
        if r.get("errors").is_some_and(|e| !e.is_null()) {
            assert_eq!(error_codes(r), ["BUSY"], "{r}");
            let message = r["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("try again in a moment"), "{message}");
            busy += 1;
        } else {
            assert_eq!(
                user_error_codes(&data(r)["login"]),
                ["INVALID_CREDENTIALS"],
                "{r}"
            );
        }
    }
    assert!(
        busy > 0,
        "24 overlapping sign-ins, none refused: {answers:?}"
    );
    assert!(busy < 24, "every sign-in refused: {answers:?}");
    // Once the flood is over, the right password works at once.
    app.token_for("xia@example.org", PASSWORD).await;
    app.stop().await;
}
