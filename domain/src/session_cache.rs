//! Signed-in sessions kept in memory between requests, so that an authenticated request
//! does not look its session up again (the session's statement was half of the
//! statements of one candidate's progress and of an evaluator's queue).
//!
//! A kept session must never outlive its revocation. The cache is therefore off until
//! someone who hears every change is listening (on PostgreSQL, a `LISTEN` on the channel
//! the schema's triggers notify; see `infra::session_events`), and:
//! - every change to a session, an account's roles or its disabled flag forgets the
//!   account: at once in the process that made it ([`SessionCache::forget_account`] after
//!   the commit), and in every other process when the notification arrives;
//! - a lookup that read the database while something was forgotten does not keep what it
//!   read ([`Ticket`]), since it may have read the state from before the change;
//! - losing the listener forgets everything and turns the cache off until it listens again;
//! - an entry is used for at most `ttl`, a bound for anything the listener could miss
//!   without noticing, and never after its session's own expiry.
//!
//! Every forgetting is also announced ([`SessionCache::changes`]), listening or not: an
//! open WebSocket holds a session far longer than a request and must hear at once that it
//! may have ended.

use crate::actor::Viewer;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// How long a session is used from memory, unless configured otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// At most this many sessions are kept; a busy programme has a few thousand signed in.
pub const DEFAULT_CAPACITY: usize = 50_000;

/// Announcements a slow receiver may fall behind by before it is told it lagged (and
/// must then assume everything changed).
const CHANGES_BUFFER: usize = 1024;

/// Sessions that may have ended or changed roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionChange {
    /// Every session of this account.
    Account(i64),
    /// Any session at all.
    Everyone,
}

impl SessionChange {
    /// Whether this change may concern a session of `account_id`.
    pub fn concerns(self, account_id: i64) -> bool {
        match self {
            SessionChange::Account(id) => id == account_id,
            SessionChange::Everyone => true,
        }
    }
}

#[derive(Debug)]
pub struct SessionCache {
    ttl: Duration,
    capacity: usize,
    state: Mutex<State>,
    changes: broadcast::Sender<SessionChange>,
}

#[derive(Debug, Default)]
struct State {
    listening: bool,
    /// Moves on at every forgetting, so that a lookup begun before it keeps nothing.
    generation: u64,
    by_token_hash: HashMap<String, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    viewer: Viewer,
    expires_at: DateTime<Utc>,
    kept_at: Instant,
}

/// Permission to keep what one database lookup read: granted only while listening, and
/// honoured only if nothing was forgotten since.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(Option<u64>);

/// What the cache knows of a token.
#[derive(Debug)]
pub enum Lookup {
    Known(Viewer),
    Unknown(Ticket),
}

impl Default for SessionCache {
    fn default() -> Self {
        Self::new(DEFAULT_TTL, DEFAULT_CAPACITY)
    }
}

impl SessionCache {
    /// A cache that keeps nothing until [`SessionCache::start_listening`]. A zero `ttl` or
    /// `capacity` keeps it off for good.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            state: Mutex::new(State::default()),
            changes: broadcast::channel(CHANGES_BUFFER).0,
        }
    }

    /// Hears every later forgetting, whether or not sessions are kept.
    pub fn changes(&self) -> broadcast::Receiver<SessionChange> {
        self.changes.subscribe()
    }

    fn announce(&self, change: SessionChange) {
        // No receiver is no error: nobody holds a socket open.
        let _ = self.changes.send(change);
    }

    /// Whether sessions may be kept at all (a listener is worth starting).
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.capacity > 0
    }

    pub fn is_listening(&self) -> bool {
        self.lock().listening
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves at worst a missing entry: keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The kept viewer for `token_hash`, if its entry is fresh and its session unexpired at
    /// `now`.
    pub fn lookup(&self, token_hash: &str, now: DateTime<Utc>) -> Lookup {
        let mut state = self.lock();
        if !state.listening {
            return Lookup::Unknown(Ticket(None));
        }
        if let Some(entry) = state.by_token_hash.get(token_hash) {
            if entry.expires_at > now && entry.kept_at.elapsed() < self.ttl {
                return Lookup::Known(entry.viewer.clone());
            }
            state.by_token_hash.remove(token_hash);
        }
        Lookup::Unknown(Ticket(Some(state.generation)))
    }

    /// Keeps a session read from the database under `ticket`; see [`Ticket`].
    pub fn keep(
        &self,
        ticket: Ticket,
        token_hash: &str,
        viewer: &Viewer,
        expires_at: DateTime<Utc>,
    ) {
        let mut state = self.lock();
        if !state.listening || ticket.0 != Some(state.generation) {
            return;
        }
        if state.by_token_hash.len() >= self.capacity {
            let ttl = self.ttl;
            state.by_token_hash.retain(|_, e| e.kept_at.elapsed() < ttl);
            if state.by_token_hash.len() >= self.capacity {
                return;
            }
        }
        state.by_token_hash.insert(
            token_hash.to_owned(),
            Entry {
                viewer: viewer.clone(),
                expires_at,
                kept_at: Instant::now(),
            },
        );
    }

    /// Forgets every session of `account_id`: called once a change to its sessions, roles
    /// or standing is committed.
    pub fn forget_account(&self, account_id: i64) {
        {
            let mut state = self.lock();
            state.generation += 1;
            state
                .by_token_hash
                .retain(|_, e| e.viewer.account_id != account_id);
        }
        self.announce(SessionChange::Account(account_id));
    }

    /// Forgets everything: for a change the listener cannot pin to accounts, or one it may
    /// have missed.
    pub fn forget_all(&self) {
        {
            let mut state = self.lock();
            state.generation += 1;
            state.by_token_hash.clear();
        }
        self.announce(SessionChange::Everyone);
    }

    /// The listener now hears every change: start keeping sessions.
    pub fn start_listening(&self) {
        if !self.enabled() {
            return;
        }
        let mut state = self.lock();
        state.generation += 1;
        state.by_token_hash.clear();
        state.listening = true;
    }

    /// The listener was lost: keep nothing until it listens again.
    pub fn stop_listening(&self) {
        {
            let mut state = self.lock();
            state.generation += 1;
            state.by_token_hash.clear();
            state.listening = false;
        }
        // Whatever changed while the listener was failing went unheard.
        self.announce(SessionChange::Everyone);
    }

    pub fn len(&self) -> usize {
        self.lock().by_token_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a notification on the session channel asks to forget: `*`, or account ids
/// separated by commas. Anything unreadable forgets everything, which is always safe.
pub fn apply_notification(cache: &SessionCache, payload: &str) {
    let ids: Option<Vec<i64>> = if payload.trim() == "*" {
        None
    } else {
        payload
            .split(',')
            .map(|id| id.trim().parse().ok())
            .collect()
    };
    match ids {
        Some(ids) => {
            for id in ids {
                cache.forget_account(id);
            }
        }
        None => cache.forget_all(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use entity::account_role::Role;

    fn viewer(account_id: i64) -> Viewer {
        Viewer {
            account_id,
            session_id: Some(account_id * 10),
            roles: vec![Role::Candidate],
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
    }

    fn later() -> DateTime<Utc> {
        now() + chrono::Duration::hours(1)
    }

    fn listening() -> SessionCache {
        let cache = SessionCache::default();
        cache.start_listening();
        cache
    }

    fn keep_via_lookup(cache: &SessionCache, hash: &str, account: i64) {
        let Lookup::Unknown(ticket) = cache.lookup(hash, now()) else {
            panic!("{hash} was already kept");
        };
        cache.keep(ticket, hash, &viewer(account), later());
    }

    fn known(cache: &SessionCache, hash: &str, at: DateTime<Utc>) -> Option<i64> {
        match cache.lookup(hash, at) {
            Lookup::Known(v) => Some(v.account_id),
            Lookup::Unknown(_) => None,
        }
    }

    #[test]
    fn nothing_is_kept_until_a_listener_hears_changes() {
        let cache = SessionCache::default();
        keep_via_lookup(&cache, "a", 1);
        assert_eq!(known(&cache, "a", now()), None);
        cache.start_listening();
        keep_via_lookup(&cache, "a", 1);
        assert_eq!(known(&cache, "a", now()), Some(1));
    }

    #[test]
    fn a_session_is_not_used_at_or_after_its_expiry() {
        let cache = listening();
        keep_via_lookup(&cache, "a", 1);
        assert_eq!(
            known(&cache, "a", later() - chrono::Duration::seconds(1)),
            Some(1)
        );
        assert_eq!(known(&cache, "a", later()), None);
    }

    #[test]
    fn forgetting_an_account_leaves_the_others() {
        let cache = listening();
        keep_via_lookup(&cache, "a", 1);
        keep_via_lookup(&cache, "b", 2);
        cache.forget_account(1);
        assert_eq!(known(&cache, "a", now()), None);
        assert_eq!(known(&cache, "b", now()), Some(2));
    }

    #[test]
    fn a_lookup_begun_before_a_change_keeps_nothing() {
        let cache = listening();
        let Lookup::Unknown(ticket) = cache.lookup("a", now()) else {
            panic!("empty cache");
        };
        // The database was read here, then the session was revoked and forgotten.
        cache.forget_account(1);
        cache.keep(ticket, "a", &viewer(1), later());
        assert_eq!(known(&cache, "a", now()), None);
    }

    #[test]
    fn losing_the_listener_forgets_everything_and_keeps_nothing_more() {
        let cache = listening();
        keep_via_lookup(&cache, "a", 1);
        let Lookup::Unknown(ticket) = cache.lookup("b", now()) else {
            panic!("empty");
        };
        cache.stop_listening();
        assert_eq!(known(&cache, "a", now()), None);
        cache.keep(ticket, "b", &viewer(2), later());
        cache.start_listening();
        assert!(cache.is_empty());
    }

    #[test]
    fn entries_older_than_the_ttl_are_not_used() {
        let cache = SessionCache::new(Duration::from_millis(1), 10);
        cache.start_listening();
        keep_via_lookup(&cache, "a", 1);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(known(&cache, "a", now()), None);
    }

    #[test]
    fn a_zero_ttl_or_capacity_turns_the_cache_off() {
        for cache in [
            SessionCache::new(Duration::ZERO, 10),
            SessionCache::new(DEFAULT_TTL, 0),
        ] {
            assert!(!cache.enabled());
            cache.start_listening();
            keep_via_lookup(&cache, "a", 1);
            assert_eq!(known(&cache, "a", now()), None);
        }
    }

    #[test]
    fn a_full_cache_keeps_no_more() {
        let cache = SessionCache::new(DEFAULT_TTL, 2);
        cache.start_listening();
        keep_via_lookup(&cache, "a", 1);
        keep_via_lookup(&cache, "b", 2);
        keep_via_lookup(&cache, "c", 3);
        assert_eq!(cache.len(), 2);
        assert_eq!(known(&cache, "c", now()), None);
    }

    #[test]
    fn every_forgetting_is_announced_even_when_nothing_is_kept() {
        let cache = SessionCache::default();
        let mut changes = cache.changes();
        cache.forget_account(7);
        apply_notification(&cache, "8,9");
        apply_notification(&cache, "*");
        cache.stop_listening();
        let heard: Vec<_> = std::iter::from_fn(|| changes.try_recv().ok()).collect();
        assert_eq!(
            heard,
            [
                SessionChange::Account(7),
                SessionChange::Account(8),
                SessionChange::Account(9),
                SessionChange::Everyone,
                SessionChange::Everyone,
            ]
        );
        assert!(SessionChange::Account(7).concerns(7));
        assert!(!SessionChange::Account(7).concerns(8));
        assert!(SessionChange::Everyone.concerns(8));
    }

    #[test]
    fn notifications_name_accounts_or_everything() {
        let cache = listening();
        for (hash, account) in [("a", 1), ("b", 2), ("c", 3)] {
            keep_via_lookup(&cache, hash, account);
        }
        apply_notification(&cache, "1,3");
        assert_eq!(known(&cache, "a", now()), None);
        assert_eq!(known(&cache, "b", now()), Some(2));
        assert_eq!(known(&cache, "c", now()), None);
        apply_notification(&cache, "*");
        assert!(cache.is_empty());
        keep_via_lookup(&cache, "a", 1);
        apply_notification(&cache, "not an id");
        assert!(cache.is_empty());
    }
}
