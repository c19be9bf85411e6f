//! Records successful sends for every mail job of the process, in as few statements as
//! the database allows, and never forgets one.
//!
//! One recorder takes the ids of all the process's jobs and starts an `UPDATE` at most
//! every [`SPACING`]: with each job recording its own, 100,000 messages took 42,000
//! statements of one or two rows. An email accepted by the server waits at most that long,
//! plus the `UPDATE` before it, to be recorded: the window in which a worker killed
//! outright leaves a sent email to be sent again.
//!
//! When the database cannot take the record (an outage, a failover), the ids stay here and
//! the `UPDATE` is tried again until it succeeds; meanwhile [`SentLedger::healthy`] is
//! false, and no new send starts (`crate::gate`). What is held is therefore bounded by the
//! sends that were already under way when the database went: at most one per mail job.
//! Forgetting them instead had each sent again once its claim ran out.

use domain::Context;
use domain::services::notifications;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The least time between the starts of two of the recorder's `UPDATE`s.
pub const SPACING: Duration = Duration::from_millis(2);

/// A record that has waited this long means the database is not answering, even if no
/// statement has failed yet (a connection attempt can hang for its whole timeout).
pub const STALL: Duration = Duration::from_millis(1000);

/// The longest wait between two tries to write held records.
const MAX_RETRY_WAIT: Duration = Duration::from_millis(500);

/// Why a send could not be recorded when the recorder itself is gone.
pub const STOPPED: &str = "the recorder of sent emails has stopped";

/// Resolves once the send is recorded, or with why it could not be.
pub type Receipt = oneshot::Receiver<Result<(), String>>;

struct Entry {
    id: i64,
    recorded: oneshot::Sender<Result<(), String>>,
}

/// What the recorder tells the rest of the process.
#[derive(Default)]
struct Health {
    /// The last `UPDATE` failed, and its ids are held.
    failing: AtomicBool,
    /// When the oldest record not yet written was handed over, in milliseconds since
    /// `epoch`, plus one (0: nothing waits).
    oldest_waiting: AtomicU64,
    epoch: OnceLock<Instant>,
}

impl Health {
    fn millis(&self, at: Instant) -> u64 {
        let epoch = *self.epoch.get_or_init(Instant::now);
        at.saturating_duration_since(epoch).as_millis() as u64 + 1
    }
}

/// The process's recorder of sent emails, started on first use.
#[derive(Default)]
pub struct SentLedger {
    entries: OnceLock<mpsc::UnboundedSender<Entry>>,
    health: Arc<Health>,
}

impl SentLedger {
    /// Hands notification `id`, which the server has accepted, to the recorder. `ctx` is
    /// the same on every call.
    pub fn record(&self, ctx: &Context, id: i64) -> Receipt {
        let entries = self
            .entries
            .get_or_init(|| start(ctx.clone(), self.health.clone()));
        let (recorded, receipt) = oneshot::channel();
        let now = self.health.millis(Instant::now());
        let _ = self.health.oldest_waiting.compare_exchange(
            0,
            now,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if let Err(mpsc::error::SendError(entry)) = entries.send(Entry { id, recorded }) {
            let _ = entry.recorded.send(Err(STOPPED.to_owned()));
        }
        receipt
    }

    /// Whether records are being written: none failed last, and none has waited
    /// [`STALL`]. A new send should start only while this holds.
    pub fn healthy(&self) -> bool {
        if self.health.failing.load(Ordering::Acquire) {
            return false;
        }
        match self.health.oldest_waiting.load(Ordering::Acquire) {
            0 => true,
            since => {
                self.health.millis(Instant::now()).saturating_sub(since) < STALL.as_millis() as u64
            }
        }
    }
}

/// Runs until every `SentLedger` handle is gone and everything it was handed is written.
fn start(ctx: Context, health: Arc<Health>) -> mpsc::UnboundedSender<Entry> {
    let (entries, mut incoming) = mpsc::unbounded_channel::<Entry>();
    tokio::spawn(async move {
        let mut held: Vec<Entry> = Vec::new();
        let mut retry_wait = SPACING;
        loop {
            if held.is_empty() {
                match incoming.recv().await {
                    Some(entry) => held.push(entry),
                    None => return,
                }
            }
            let started = Instant::now();
            while let Ok(entry) = incoming.try_recv() {
                held.push(entry);
            }
            // A record handed over just as the last write cleared the mark is marked here.
            let _ = health.oldest_waiting.compare_exchange(
                0,
                health.millis(started),
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            let ids: Vec<i64> = held.iter().map(|e| e.id).collect();
            match notifications::mark_sent(&ctx, &ids).await {
                Ok(()) => {
                    if health.failing.swap(false, Ordering::AcqRel) {
                        tracing::warn!(
                            recorded = ids.len(),
                            "the database takes records again; held sends recorded"
                        );
                    }
                    // Anything handed over since `started` is still in the channel.
                    let next = if incoming.is_empty() {
                        0
                    } else {
                        health.millis(started)
                    };
                    health.oldest_waiting.store(next, Ordering::Release);
                    for entry in held.drain(..) {
                        let _ = entry.recorded.send(Ok(()));
                    }
                    retry_wait = SPACING;
                    tokio::time::sleep_until(started + SPACING).await;
                }
                Err(e) => {
                    if !health.failing.swap(true, Ordering::AcqRel) {
                        tracing::error!(
                            held = ids.len(),
                            error = ?e,
                            "cannot record sent emails; holding them, and sending nothing \
                             new, until the database takes them"
                        );
                    }
                    tokio::time::sleep(retry_wait).await;
                    retry_wait = (retry_wait * 2).min(MAX_RETRY_WAIT);
                }
            }
        }
    });
    entries
}
