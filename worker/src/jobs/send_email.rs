//! Sends a run of queued emails.
//!
//! The job carries only notification ids. The handler claims the rows in one statement
//! (skipping any already sent, failed, cancelled, not yet due, or held by a live worker),
//! then renders and sends them one after another, recording the outcomes as it goes.
//! Failures are retried by the relay, not by apalis: a row's `next_attempt_at` is the
//! single source of truth for when to try again.
//!
//! Successful sends are recorded by the process's recorder (`crate::sent_ledger`), which
//! takes the ids of every job in one UPDATE every few milliseconds and holds them through
//! a database outage. The job ends once all of its sends are recorded.
//!
//! A job runs as a task of its own (`WorkerState::detached`): if the apalis worker that
//! fetched it fails and restarts, the sends under way finish and are recorded. No send
//! starts while the gate is closed (`crate::gate`).

use crate::mail_health::{Recovery, Verdict};
use crate::sent_ledger::{Receipt, STOPPED};
use crate::{State, gate};
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
    let state: State = (*state).clone();
    let ids = job.ids();
    Ok(state.clone().detached(send_job(state, ids)).await?)
}

async fn send_job(state: State, ids: Vec<i64>) -> Result<(), String> {
    let state = &state;
    let started = Instant::now();
    let lease = chrono::Duration::from_std(state.timing.claim_lease).map_err(|e| e.to_string())?;
    // Nothing is claimed while nothing could be sent: the rows stay free for a worker
    // that can. The wait is bounded by the redelivery delay, after which the relay
    // pushes the rows again anyway.
    if !gate::wait_open(state, started + state.timing.redeliver_after).await {
        return Err("the gate stayed closed; the emails are left to the relay".to_owned());
    }
    let rows = gate::persist(state.timing.redeliver_after, || {
        notifications::claim_for_sending(&state.ctx, &ids, &state.name, lease)
    })
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
/// and the receipts not yet come back. Before each send the gate must be open; if it does
/// not open in time, the rest of the claims are given back.
async fn send_all(
    state: &State,
    rows: Vec<notification::Model>,
    last_start: Instant,
) -> Result<(usize, VecDeque<Receipt>), String> {
    let mut count = 0;
    let mut receipts = VecDeque::new();
    for (i, row) in rows.iter().enumerate() {
        if Instant::now() >= last_start || !gate::wait_to_send(state, last_start).await {
            let rest: Vec<i64> = rows[i..].iter().map(|r| r.id).collect();
            gate::persist(state.timing.claim_lease, || {
                notifications::release(&state.ctx, &rest, &state.name)
            })
            .await
            .map_err(|e| format!("release notifications {rest:?}: {e:?}"))?;
            tracing::warn!(
                released = rest.len(),
                "the claim's lease ran short; the rest are queued again"
            );
            break;
        }
        let started = Instant::now();
        match send_one(state, row).await {
            Ok(()) => {
                receipts.push_back(state.sent.record(&state.ctx, row.id));
                count += 1;
                settle(&mut receipts)?;
                if let Recovery::After(outage, failed) =
                    state.mail_health.succeeded(started, Instant::now())
                {
                    retry_after_outage(state, outage, &failed).await;
                }
            }
            Err((error, failure)) => {
                let verdict = (failure == Failure::Transient)
                    .then(|| state.mail_health.failed(row.id, started, Instant::now()));
                if verdict == Some(Verdict::Tripped) {
                    tracing::warn!(
                        %error,
                        "the mail server fails every send; sending paused, trying it every second"
                    );
                }
                let status = gate::persist(state.timing.claim_lease, || {
                    notifications::mark_attempt_failed(
                        &state.ctx,
                        row,
                        &state.name,
                        &error,
                        failure,
                    )
                })
                .await
                .map_err(|e| format!("mark notification {} failed: {e:?}", row.id))?;
                tracing::warn!(notification = row.id, ?status, %error, "email not sent");
                if verdict == Some(Verdict::DuringOutage) {
                    retry_after_outage(state, std::time::Duration::ZERO, &[row.id]).await;
                }
            }
        }
    }
    Ok((count, receipts))
}

/// Makes the emails that failed while the mail server was down due again now: their
/// failure said nothing about them, and the backoff it gave them would hold them for
/// minutes after the server came back.
async fn retry_after_outage(state: &State, outage: std::time::Duration, failed: &[i64]) {
    let result = gate::persist(state.timing.claim_lease, || {
        notifications::due_now(&state.ctx, failed)
    })
    .await;
    match result {
        Ok(due) => tracing::warn!(
            outage_ms = outage.as_millis() as u64,
            due,
            "the mail server takes messages again; what failed meanwhile is due now"
        ),
        Err(e) => tracing::warn!(error = ?e, "cannot make the emails failed in the outage due"),
    }
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
