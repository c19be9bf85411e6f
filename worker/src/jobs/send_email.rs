//! Sends a run of queued emails.
//!
//! The job carries only notification ids. The handler claims the rows in one statement
//! (skipping any already sent, failed, cancelled, not yet due, or held by a live worker),
//! then renders and sends them one after another, recording the outcomes as it goes.
//! Failures are retried by the relay, not by apalis: a row's `next_attempt_at` is the
//! single source of truth for when to try again.
//!
//! Successful sends are recorded by the process's recorder (`crate::sent_ledger`), which
//! takes the ids of every job in one UPDATE every few milliseconds. The job ends once all
//! of its sends are recorded, and stops sending if one could not be.

use crate::State;
use crate::sent_ledger::{Receipt, STOPPED};
use apalis::prelude::{BoxDynError, Data};
use domain::jobs::SendEmail;
use domain::services::notifications::{self, Failure};
use entity::notification;
use futures::FutureExt as _;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::time::Instant;
use tokio::sync::oneshot::error::TryRecvError;

pub async fn handle(job: SendEmail, state: Data<State>) -> Result<(), BoxDynError> {
    let state: &State = &state;
    let started = Instant::now();
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
    let claimed = Instant::now();
    let (sent, mut receipts) = send_all(state, rows, last_start).await?;
    let sent_by = Instant::now();
    while let Some(receipt) = receipts.pop_front() {
        receipt.await.map_err(|_| STOPPED.to_owned())??;
    }
    // Where a job's time goes, for whoever tunes `MAIL_CONCURRENCY` and
    // `WORKER_MAIL_PER_JOB`: claiming, sending, then waiting for the last sends' record.
    let ms = |from: Instant, to: Instant| to.duration_since(from).as_secs_f64() * 1000.0;
    tracing::info!(
        sent,
        claim_ms = ms(started, claimed),
        send_ms = ms(claimed, sent_by),
        record_ms = ms(sent_by, Instant::now()),
        "emails sent"
    );
    Ok(())
}

/// Takes the receipts at the front of `receipts` that have come back. Fails with the first
/// that says its send could not be recorded.
fn settle(receipts: &mut VecDeque<Receipt>) -> Result<(), String> {
    while let Some(front) = receipts.front_mut() {
        match front.try_recv() {
            Ok(Ok(())) => {
                receipts.pop_front();
            }
            Ok(Err(e)) => return Err(e),
            Err(TryRecvError::Empty) => return Ok(()),
            Err(TryRecvError::Closed) => return Err(STOPPED.to_owned()),
        }
    }
    Ok(())
}

/// Sends `rows` in order, handing each success to the recorder. Returns how many were sent
/// and the receipts not yet come back. Stops, with its error, once a send could not be
/// recorded: sending on would leave accepted messages unrecorded, to be sent again.
async fn send_all(
    state: &State,
    rows: Vec<notification::Model>,
    last_start: Instant,
) -> Result<(usize, VecDeque<Receipt>), String> {
    let mut count = 0;
    let mut receipts = VecDeque::new();
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
                receipts.push_back(state.sent.record(&state.ctx, &state.name, row.id));
                count += 1;
                settle(&mut receipts)?;
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
    Ok((count, receipts))
}

/// Renders and sends one row. A panic on the way (the row's text tripping a library) fails
/// this row for good, with the panic's message as its reason: caught here, it cannot take
/// the job's other rows or the worker with it, and the row is not claimed again to panic
/// anew once the lease runs out.
async fn send_one(state: &State, row: &notification::Model) -> Result<(), (String, Failure)> {
    AssertUnwindSafe(try_send_one(state, row))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            Err((
                format!("panicked: {}", crate::panic_message(panic.as_ref())),
                Failure::Permanent,
            ))
        })
}

async fn try_send_one(state: &State, row: &notification::Model) -> Result<(), (String, Failure)> {
    let rendered = state
        .templates
        .render(&row.template, &row.params, row.secret.as_deref())
        .map_err(|e| (e.to_string(), Failure::Permanent))?;
    let message_id = domain::outbox::message_id(row, &state.mail_from);
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
