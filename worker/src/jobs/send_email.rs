//! Sends one queued email.
//!
//! The job carries only the notification's id. The handler claims the row (skipping it if
//! it is already sent, failed, cancelled, not yet due, or held by a live worker), renders
//! and sends it, and records the outcome. Failures are retried by the relay, not by apalis:
//! the row's `next_attempt_at` is the single source of truth for when to try again.

use crate::State;
use apalis::prelude::{BoxDynError, Data};
use domain::jobs::SendEmail;
use domain::services::notifications::{self, Failure};

pub async fn handle(job: SendEmail, state: Data<State>) -> Result<(), BoxDynError> {
    let state: &State = &state;
    let lease = chrono::Duration::from_std(state.timing.claim_lease)?;
    let Some(row) =
        notifications::claim_for_sending(&state.ctx, job.notification_id, &state.name, lease)
            .await
            .map_err(|e| format!("claim notification {}: {e:?}", job.notification_id))?
    else {
        return Ok(());
    };
    let outcome = match state
        .templates
        .render(&row.template, &row.params, row.secret.as_deref())
    {
        Err(e) => Err((e.to_string(), Failure::Permanent)),
        Ok(rendered) => {
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
    };
    match outcome {
        Ok(()) => {
            notifications::mark_sent(&state.ctx, row.id, &state.name)
                .await
                .map_err(|e| format!("mark notification {} sent: {e:?}", row.id))?;
            tracing::info!(notification = row.id, template = %row.template, "email sent");
        }
        Err((error, failure)) => {
            let status =
                notifications::mark_attempt_failed(&state.ctx, &row, &state.name, &error, failure)
                    .await
                    .map_err(|e| format!("mark notification {} failed: {e:?}", row.id))?;
            tracing::warn!(notification = row.id, ?status, %error, "email not sent");
        }
    }
    Ok(())
}
