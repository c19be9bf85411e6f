//! See the module documentation in `mod.rs`.
//!
//! An open `/graphql/ws` connection answers to the session as it is now, not as it was
//! when the socket opened: a sign-out or a role change closes the socket at once (4401,
//! 4403), an operation that races the close is refused, and one socket's work is bounded.

use crate::support::candidates::CountingApi;
use crate::support::certificates::{GraphqlWs, Holders, insert_holders, mutate};
use crate::support::{TestApp, data};
use chrono::Duration as Days;
use entity::certificate::CertificateStatus;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Well below the periodic recheck: a close this fast came from the session change.
const AT_ONCE: Duration = Duration::from_secs(5);

const ME: &str = "{ me { id roles } }";
const LOGOUT: &str = "mutation { logout { ok userErrors { code } } }";
const GRANT: &str = "mutation($input: RoleInput!) { grantRole(input: $input) { account { id roles } userErrors { code } } }";
const REVOKE: &str = "mutation($input: RoleInput!) { revokeRole(input: $input) { account { id roles } userErrors { code } } }";
const ROLES: &str = "query($id: ID!) { account(id: $id) { roles } }";
const SEND: &str = "mutation($input: SendRenewalNoticesInput!) { sendRenewalNotices(input: $input) { batch { batchId } userErrors { field message code } } }";
const PROGRESS: &str =
    "subscription($id: ID!) { bulkNoticeProgress(batchId: $id) { batchId status } }";

/// Every message until the socket closes, which it must within `within`.
async fn until_closed(ws: &mut GraphqlWs, within: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next_within(left).await {
            Ok(Some(message)) => seen.push(message),
            Ok(None) => return seen,
            Err(_) => panic!("the socket was still open after {within:?}; it sent {seen:?}"),
        }
    }
}

fn close_code(ws: &GraphqlWs) -> u16 {
    ws.closed_with
        .as_ref()
        .map(|(code, _)| *code)
        .expect("the server closed with a close frame")
}

/// A socket that the server has closed neither answers nor runs a new operation.
async fn refuses_further_operations(ws: &mut GraphqlWs) {
    let subscribe = json!({ "id": "after", "type": "subscribe", "payload": { "query": ME } });
    if ws
        .try_send(Message::Text(subscribe.to_string().into()))
        .await
        .is_ok()
    {
        let answer = ws.next_within(AT_ONCE).await;
        assert!(
            matches!(answer, Ok(None)),
            "a closed socket answered: {answer:?}"
        );
    }
}

/// The one answer (`next`, `error`) to operation `id` and its `complete`.
async fn run(ws: &mut GraphqlWs, id: &str, query: &str, variables: Value) -> Value {
    ws.subscribe(id, query, variables).await;
    let answer = ws.next().await.expect("an answer");
    assert_eq!(answer["id"], json!(id), "{answer}");
    if answer["type"] == json!("next") {
        let done = ws.next().await.expect("complete");
        assert_eq!(done["type"], json!("complete"), "{done}");
    }
    answer
}

fn role_input(account: &str, role: &str) -> Value {
    json!({ "input": { "accountId": account, "role": role } })
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_closes_the_open_socket_at_once() {
    let app = TestApp::start().await;
    let user = app.signed_up_user("sam@example.org", "Sam").await;
    let mut ws = GraphqlWs::connect(&app, &user.token).await;
    let me = run(&mut ws, "me", ME, json!({})).await;
    assert_eq!(me["payload"]["data"]["me"]["id"], json!(user.id), "{me}");

    let r = app.gql_as(&user.token, LOGOUT, json!({})).await;
    assert_eq!(data(&r)["logout"]["ok"], json!(true), "{r}");

    let seen = until_closed(&mut ws, AT_ONCE).await;
    assert!(seen.is_empty(), "{seen:?}");
    assert_eq!(close_code(&ws), 4401, "{:?}", ws.closed_with);
    refuses_further_operations(&mut ws).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operation_sent_right_after_sign_out_is_refused() {
    let app = TestApp::start().await;
    let user = app.signed_up_user("sam@example.org", "Sam").await;
    let mut ws = GraphqlWs::connect(&app, &user.token).await;
    let r = app.gql_as(&user.token, LOGOUT, json!({})).await;
    assert_eq!(data(&r)["logout"]["ok"], json!(true), "{r}");
    // Sent before the socket has (necessarily) heard of the sign-out: the operation itself
    // looks the session up again.
    ws.subscribe("me", ME, json!({})).await;
    for message in until_closed(&mut ws, AT_ONCE).await {
        assert!(
            message["payload"]["data"]["me"].is_null(),
            "answered after sign-out: {message}"
        );
        if message["type"] == json!("next") {
            assert_eq!(
                message["payload"]["errors"][0]["extensions"]["code"],
                json!("UNAUTHENTICATED"),
                "{message}"
            );
        }
    }
    assert_eq!(close_code(&ws), 4401, "{:?}", ws.closed_with);
    app.stop().await;
}

/// The original finding: an officer's socket granted `PROGRAM_OFFICER` after its own
/// role had been revoked.
#[tokio::test(flavor = "multi_thread")]
async fn an_officer_whose_role_is_revoked_can_no_longer_grant_roles_over_its_socket() {
    let app = TestApp::start().await;
    let revoked = app.officer("olive@example.org").await;
    let other = app.officer("otto@example.org").await;
    let target = app.signed_up_user("sam@example.org", "Sam").await;
    let mut ws = GraphqlWs::connect(&app, &revoked.token).await;
    // Staff work over the socket while the role is held.
    let roles = run(&mut ws, "before", ROLES, json!({ "id": target.id })).await;
    assert_eq!(
        roles["payload"]["data"]["account"]["roles"],
        json!([]),
        "{roles}"
    );

    let r = app
        .gql_as(
            &other.token,
            REVOKE,
            role_input(&revoked.id, "PROGRAM_OFFICER"),
        )
        .await;
    assert_eq!(
        data(&r)["revokeRole"]["userErrors"],
        json!([]),
        "revoke: {r}"
    );

    ws.subscribe("grant", GRANT, role_input(&target.id, "PROGRAM_OFFICER"))
        .await;
    for message in until_closed(&mut ws, AT_ONCE).await {
        assert!(
            message["payload"]["data"]["grantRole"]["account"].is_null(),
            "the revoked officer still granted a role: {message}"
        );
    }
    assert_eq!(close_code(&ws), 4403, "{:?}", ws.closed_with);
    refuses_further_operations(&mut ws).await;

    let r = app
        .gql_as(&other.token, ROLES, json!({ "id": target.id }))
        .await;
    assert_eq!(data(&r)["account"]["roles"], json!([]), "{r}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_granted_to_someone_else_leaves_the_socket_open() {
    let app = TestApp::start().await;
    let officer = app.officer("olive@example.org").await;
    let target = app.signed_up_user("sam@example.org", "Sam").await;
    let mut ws = GraphqlWs::connect(&app, &officer.token).await;
    let granted = run(
        &mut ws,
        "grant",
        GRANT,
        role_input(&target.id, "PROGRAM_ASSISTANT"),
    )
    .await;
    assert_eq!(
        granted["payload"]["data"]["grantRole"]["userErrors"],
        json!([]),
        "{granted}"
    );
    let after = run(&mut ws, "after", ROLES, json!({ "id": target.id })).await;
    assert!(after["payload"]["errors"].is_null(), "{after}");
    assert!(
        ws.next_within(Duration::from_millis(500)).await.is_err(),
        "the socket stays open and quiet"
    );
    app.stop().await;
}

/// On PostgreSQL a sign-out in one API process reaches a socket held by another through
/// the database's notification. (SQLite runs one API process.)
#[tokio::test(flavor = "multi_thread")]
async fn signing_out_through_one_api_process_closes_a_socket_on_another() {
    let app = TestApp::start().await;
    if !app.config.database_url.starts_with("postgres") {
        app.stop().await;
        return;
    }
    let other = CountingApi::start_keeping_sessions(&app).await;
    let user = app.signed_up_user("sam@example.org", "Sam").await;
    let mut ws = GraphqlWs::connect_to(other.addr, &user.token).await;
    let me = run(&mut ws, "me", ME, json!({})).await;
    assert_eq!(me["payload"]["data"]["me"]["id"], json!(user.id), "{me}");

    let r = app.gql_as(&user.token, LOGOUT, json!({})).await;
    assert_eq!(data(&r)["logout"]["ok"], json!(true), "{r}");
    let seen = until_closed(&mut ws, AT_ONCE).await;
    assert!(seen.is_empty(), "{seen:?}");
    assert_eq!(close_code(&ws), 4401, "{:?}", ws.closed_with);
    other.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_runs_at_most_sixteen_operations_at_once() {
    let app = TestApp::builder().without_worker().start().await;
    let officer = app.officer("olive@example.org").await;
    insert_holders(
        &app,
        &Holders {
            tag: "ws",
            count: 2,
            expires_on: app.today() + Days::days(100),
            state: "IL",
            status: CertificateStatus::Active,
        },
    )
    .await;
    // No worker: the batch stays in preparation, so each subscription stays open.
    let batch = mutate(
        &app,
        &officer.token,
        SEND,
        "sendRenewalNotices",
        json!({ "notRenewed": true }),
    )
    .await["batch"]["batchId"]
        .clone();
    let mut ws = GraphqlWs::connect(&app, &officer.token).await;
    for i in 0..16 {
        ws.subscribe(&format!("p{i}"), PROGRESS, json!({ "id": batch }))
            .await;
    }
    let mut started = 0;
    while started < 16 {
        let message = ws.next().await.expect("progress");
        assert_eq!(message["type"], json!("next"), "{message}");
        assert!(message["payload"]["errors"].is_null(), "{message}");
        started += 1;
    }

    ws.subscribe("extra", PROGRESS, json!({ "id": batch }))
        .await;
    let refused = ws.next().await.expect("an answer");
    assert_eq!(refused["id"], json!("extra"), "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        json!("TOO_MANY_OPERATIONS"),
        "{refused}"
    );
    let done = ws.next().await.expect("complete");
    assert_eq!(done, json!({ "id": "extra", "type": "complete" }));

    // Ending one makes room for another.
    let complete = json!({ "id": "p0", "type": "complete" });
    ws.try_send(Message::Text(complete.to_string().into()))
        .await
        .unwrap();
    ws.subscribe("again", PROGRESS, json!({ "id": batch }))
        .await;
    loop {
        let message = ws.next().await.expect("an answer");
        if message["id"] == json!("again") {
            assert!(message["payload"]["errors"].is_null(), "{message}");
            assert_eq!(
                message["payload"]["data"]["bulkNoticeProgress"]["status"],
                json!("PREPARING"),
                "{message}"
            );
            break;
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_message_closes_the_socket() {
    let app = TestApp::start().await;
    let user = app.signed_up_user("sam@example.org", "Sam").await;
    let mut ws = GraphqlWs::connect(&app, &user.token).await;
    let query = format!("{{ me {{ id }} }} #{}", "x".repeat(100 * 1024));
    let subscribe = json!({ "id": "big", "type": "subscribe", "payload": { "query": query } });
    // The server may close before the client has written it all.
    let _ = ws
        .try_send(Message::Text(subscribe.to_string().into()))
        .await;
    let seen = until_closed(&mut ws, AT_ONCE).await;
    assert!(seen.is_empty(), "{seen:?}");
    assert_eq!(close_code(&ws), 1009, "{:?}", ws.closed_with);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_that_never_initialises_is_closed() {
    let app = TestApp::builder().without_worker().start().await;
    let mut ws = GraphqlWs::open(app.addr).await;
    let seen = until_closed(&mut ws, Duration::from_secs(20)).await;
    assert!(seen.is_empty(), "{seen:?}");
    assert_eq!(close_code(&ws), 4408, "{:?}", ws.closed_with);
    app.stop().await;
}
