//! Records successful sends for every mail job of the process, in as few statements as
//! the database allows.
//!
//! Each job used to record its own sends: every `UPDATE` took the ids sent while the
//! previous one ran, which with eight jobs at about a thousand messages a second each was
//! one or two rows a statement, 42,000 statements for 100,000 messages (the bulk
//! benchmark). One recorder now takes the ids of all the process's jobs, and starts an
//! `UPDATE` at most every [`SPACING`]. An email accepted by the server waits at most that
//! long, plus the `UPDATE` before it, to be recorded: the window in which a worker killed
//! outright leaves a sent email to be sent again.

use domain::Context;
use domain::services::notifications;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The least time between the starts of two of the recorder's `UPDATE`s.
pub const SPACING: Duration = Duration::from_millis(2);

/// Why a send could not be recorded when the recorder itself is gone.
pub const STOPPED: &str = "the recorder of sent emails has stopped";

/// Resolves once the send is recorded, or with why it could not be.
pub type Receipt = oneshot::Receiver<Result<(), String>>;

struct Entry {
    id: i64,
    recorded: oneshot::Sender<Result<(), String>>,
}

/// The process's recorder of sent emails, started on first use.
#[derive(Default)]
pub struct SentLedger {
    entries: OnceLock<mpsc::UnboundedSender<Entry>>,
}

impl SentLedger {
    /// Hands notification `id`, which the server has accepted, to the recorder. `worker` is
    /// the process's name, which holds the claims; it and `ctx` are the same on every call.
    pub fn record(&self, ctx: &Context, worker: &str, id: i64) -> Receipt {
        let entries = self
            .entries
            .get_or_init(|| start(ctx.clone(), worker.to_owned()));
        let (recorded, receipt) = oneshot::channel();
        if let Err(mpsc::error::SendError(entry)) = entries.send(Entry { id, recorded }) {
            let _ = entry.recorded.send(Err(STOPPED.to_owned()));
        }
        receipt
    }
}

/// Runs until every `SentLedger` handle is gone. A failed `UPDATE` fails the receipts of
/// the ids it carried, and the recorder goes on with the next ones.
fn start(ctx: Context, worker: String) -> mpsc::UnboundedSender<Entry> {
    let (entries, mut incoming) = mpsc::unbounded_channel::<Entry>();
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while let Some(first) = incoming.recv().await {
            let started = Instant::now();
            batch.push(first);
            while let Ok(entry) = incoming.try_recv() {
                batch.push(entry);
            }
            let ids: Vec<i64> = batch.iter().map(|e| e.id).collect();
            let result = notifications::mark_sent(&ctx, &ids, &worker)
                .await
                .map_err(|e| format!("mark notifications {ids:?} sent: {e:?}"));
            for entry in batch.drain(..) {
                let _ = entry.recorded.send(result.clone());
            }
            tokio::time::sleep_until(started + SPACING).await;
        }
    });
    entries
}
