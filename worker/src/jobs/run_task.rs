//! Runs one background task. The job carries the task's id; the handler claims the row
//! (skipping it if it is done or held by a live worker), dispatches on its kind, and
//! records the outcome. A failed task is retried with backoff like an email.

use crate::{State, gate};
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
    let state: State = (*state).clone();
    // As a task of its own, so that a failing apalis worker does not abandon a fan-out
    // half-way (see `WorkerState::detached`).
    Ok(state.clone().detached(run_task(state, job.task_id)).await?)
}

async fn run_task(state: State, task_id: i64) -> Result<(), String> {
    let state = &state;
    let lease = chrono::Duration::from_std(state.timing.claim_lease).map_err(|e| e.to_string())?;
    let Some(task) = gate::persist(state.timing.redeliver_after, || {
        tasks::claim(&state.ctx, task_id, &state.name, lease)
    })
    .await
    .map_err(|e| format!("claim task {task_id}: {e:?}"))?
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
    let bound = state.timing.claim_lease;
    match outcome {
        Ok(()) => gate::persist(bound, || tasks::mark_done(&state.ctx, task.id, &state.name))
            .await
            .map_err(|e| format!("mark task {} done: {e:?}", task.id))?,
        Err(Outcome::Failed(error)) => {
            tracing::warn!(task = task.id, kind = %task.kind, %error, "task failed");
            gate::persist(bound, || {
                tasks::mark_failed(&state.ctx, &task, &state.name, &error)
            })
            .await
            .map_err(|e| format!("mark task {} failed: {e:?}", task.id))?;
        }
        Err(Outcome::Panicked(error)) => {
            tracing::error!(task = task.id, kind = %task.kind, %error, "task panicked");
            gate::persist(bound, || {
                tasks::mark_failed_for_good(&state.ctx, &task, &state.name, &error)
            })
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
