//! Runs one background task. The job carries the task's id; the handler claims the row
//! (skipping it if it is done or held by a live worker), dispatches on its kind, and
//! records the outcome. A failed task is retried with backoff like an email.

use crate::State;
use apalis::prelude::{BoxDynError, Data};
use domain::jobs::RunTask;
use domain::services::{assignment, bulk_notices, tasks};
use entity::background_task;
use futures::FutureExt as _;
use std::panic::AssertUnwindSafe;

/// Why a task did not finish.
enum Outcome {
    /// It returned an error; it may work on a later attempt.
    Failed(String),
    Panicked(String),
}

pub async fn handle(job: RunTask, state: Data<State>) -> Result<(), BoxDynError> {
    let state: &State = &state;
    let lease = chrono::Duration::from_std(state.timing.claim_lease)?;
    let Some(task) = tasks::claim(&state.ctx, job.task_id, &state.name, lease)
        .await
        .map_err(|e| format!("claim task {}: {e:?}", job.task_id))?
    else {
        return Ok(());
    };
    // A panic would repeat on every attempt, so it fails the task for good instead of
    // taking the worker down and coming back when the claim lapses.
    let outcome = AssertUnwindSafe(run(state, &task))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            Err(Outcome::Panicked(format!(
                "panicked: {}",
                crate::panic_message(panic.as_ref())
            )))
        });
    match outcome {
        Ok(()) => tasks::mark_done(&state.ctx, task.id, &state.name)
            .await
            .map_err(|e| format!("mark task {} done: {e:?}", task.id))?,
        Err(Outcome::Failed(error)) => {
            tracing::warn!(task = task.id, kind = %task.kind, %error, "task failed");
            tasks::mark_failed(&state.ctx, &task, &state.name, &error)
                .await
                .map_err(|e| format!("mark task {} failed: {e:?}", task.id))?;
        }
        Err(Outcome::Panicked(error)) => {
            tracing::error!(task = task.id, kind = %task.kind, %error, "task panicked");
            tasks::mark_failed_for_good(&state.ctx, &task, &state.name, &error)
                .await
                .map_err(|e| format!("mark task {} failed: {e:?}", task.id))?;
        }
    }
    state.ctx.outbox_written();
    Ok(())
}

async fn run(state: &State, task: &background_task::Model) -> Result<(), Outcome> {
    match task.kind.as_str() {
        assignment::TASK_KIND => assignment::run(&state.ctx)
            .await
            .map(|summary| tracing::info!(?summary, "assignment run"))
            .map_err(|e| Outcome::Failed(format!("{e:?}"))),
        bulk_notices::TASK_KIND => match task.subject_id {
            Some(batch) => bulk_notices::fan_out(&state.ctx, batch)
                .await
                .map(|total| tracing::info!(batch, total, "bulk notice fanned out"))
                .map_err(|e| Outcome::Failed(format!("{e:?}"))),
            None => Err(Outcome::Failed(
                "bulk fan-out task without a batch".to_owned(),
            )),
        },
        other => Err(Outcome::Failed(format!("unknown task kind {other}"))),
    }
}
