//! Sends a run of queued emails.
//!
//! The job carries only notification ids. The handler claims the rows in one statement
//! (skipping any already sent, failed, cancelled, not yet due, or held by a live worker),
//! then renders and sends them one after another, recording the outcomes as it goes.
//! Failures are retried by the relay, not by apalis: a row's `next_attempt_at` is the
//! single source of truth for when to try again.
//!
//! Successful sends are recorded by a companion task that takes every id sent since its
//! last write in one UPDATE: while one UPDATE runs, the next sends queue up behind it, so
//! a fast server costs a statement per several messages, and a message the server has
//! accepted is recorded as soon as the database allows, as when each had its own UPDATE.

use crate::State;
use apalis::prelude::{BoxDynError, Data};
use domain::jobs::SendEmail;
use domain::services::notifications::{self, Failure};
use entity::notification;
use std::time::Instant;
use tokio::sync::mpsc;

pub async fn handle(job: SendEmail, state: Data<State>) -> Result<(), BoxDynError> {
    let state: &State = &state;
    let lease = chrono::Duration::from_std(state.timing.claim_lease)?;
    let ids = job.ids();
    let rows = notifications::claim_for_sending(&state.ctx, &ids, &state.name, lease)
        .await
        .map_err(|e| format!("claim notifications {ids:?}: {e:?}"))?;
    if rows.is_empty() {
        return Ok(());
    }
    // A send starts only if it is sure to end, timeout included, before the claim lapses
    // and another worker may take the row.
    let last_start = Instant::now()
        + state
            .timing
            .claim_lease
            .saturating_sub(state.timing.send_timeout());
    let (sent_tx, sent_rx) = mpsc::unbounded_channel();
    let (sent, recorded) = tokio::join!(
        send_all(state, rows, last_start, sent_tx),
        record_sent(state, sent_rx)
    );
    let recorded = recorded?;
    let sent = sent?;
    tracing::info!(sent, recorded, "emails sent");
    Ok(())
}

/// Sends `rows` in order, handing each success to `sent`. Returns how many were sent.
async fn send_all(
    state: &State,
    rows: Vec<notification::Model>,
    last_start: Instant,
    sent: mpsc::UnboundedSender<i64>,
) -> Result<usize, String> {
    let mut count = 0;
    for (i, row) in rows.iter().enumerate() {
        if Instant::now() >= last_start {
            let rest: Vec<i64> = rows[i..].iter().map(|r| r.id).collect();
            notifications::release(&state.ctx, &rest, &state.name)
                .await
                .map_err(|e| format!("release notifications {rest:?}: {e:?}"))?;
            tracing::warn!(
                released = rest.len(),
                "the claim's lease ran short; the rest are queued again"
            );
            break;
        }
        match send_one(state, row).await {
            Ok(()) => {
                if sent.send(row.id).is_err() {
                    // The recorder stopped on an error, which `handle` reports; sending
                    // on would leave accepted messages unrecorded, to be sent again.
                    break;
                }
                count += 1;
            }
            Err((error, failure)) => {
                let status = notifications::mark_attempt_failed(
                    &state.ctx,
                    row,
                    &state.name,
                    &error,
                    failure,
                )
                .await
                .map_err(|e| format!("mark notification {} failed: {e:?}", row.id))?;
                tracing::warn!(notification = row.id, ?status, %error, "email not sent");
            }
        }
    }
    Ok(count)
}

async fn send_one(state: &State, row: &notification::Model) -> Result<(), (String, Failure)> {
    let rendered = state
        .templates
        .render(&row.template, &row.params, row.secret.as_deref())
        .map_err(|e| (e.to_string(), Failure::Permanent))?;
    let message_id = format!("<notification-{}@lsscp>", row.id);
    state
        .mailer
        .send(
            &state.mail_from,
            &row.to_email,
            row.to_name.as_deref(),
            &message_id,
            rendered,
        )
        .await
        .map_err(|e| (e.message, e.failure))
}

/// Records as sent every id received, each UPDATE taking all that arrived while the
/// previous one ran. Returns how many were recorded.
async fn record_sent(
    state: &State,
    mut sent: mpsc::UnboundedReceiver<i64>,
) -> Result<usize, String> {
    let mut total = 0;
    let mut ids = Vec::new();
    while let Some(first) = sent.recv().await {
        ids.clear();
        ids.push(first);
        while let Ok(id) = sent.try_recv() {
            ids.push(id);
        }
        notifications::mark_sent(&state.ctx, &ids, &state.name)
            .await
            .map_err(|e| format!("mark notifications {ids:?} sent: {e:?}"))?;
        total += ids.len();
    }
    Ok(total)
}
