//! Secrets: opaque tokens and password hashes.
//!
//! Tokens are 256 random bits sent to the client once; only their SHA-256 is stored, so a
//! copy of the database cannot sign anyone in. Passwords are hashed with argon2id on a
//! blocking thread so that hashing never stalls the async runtime, and under a
//! [`PasswordGate`] so that a flood of sign-ins cannot exhaust memory.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// argon2id cost: at least OWASP's minimum (m = 19 MiB, t = 2, p = 1).
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// A fresh opaque token: the text to hand out once, and the hash to store.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub plain: String,
    pub hash: String,
}

/// Makes a new random token.
pub fn issue_token() -> IssuedToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&plain);
    IssuedToken { plain, hash }
}

/// The stored form of a token.
pub fn hash_token(plain: &str) -> String {
    hex::encode(Sha256::digest(plain.as_bytes()))
}

/// A short random code of unambiguous capitals and digits (no 0/O, 1/I), for codes people
/// read aloud or type, such as certificate verification codes.
pub fn readable_code(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

fn argon2() -> Result<Argon2<'static>, argon2::Error> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Password hashing failed in a way that is our fault, not the user's.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes a password with argon2id and a random salt, off the async runtime.
///
/// Not bounded: services go through the [`PasswordGate`] of their context instead.
pub async fn hash_password(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| HashError(e.to_string()))?
}

fn hash_blocking(password: &str) -> Result<String, HashError> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError(e.to_string()))?;
    argon2()
        .map_err(|e| HashError(e.to_string()))?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Checks a password against a stored hash, off the async runtime. A malformed stored
/// hash counts as a mismatch.
///
/// Not bounded: services go through the [`PasswordGate`] of their context instead.
pub async fn verify_password(password: String, stored: String) -> Result<bool, HashError> {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &stored))
        .await
        .map_err(|e| HashError(e.to_string()))
}

fn verify_blocking(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    // Verify with the parameters recorded in the hash, so old hashes keep working after
    // the cost is raised.
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Why password work was not done.
#[derive(Debug, thiserror::Error)]
pub enum PasswordWorkError {
    /// Every hashing slot is taken and the queue before them is full.
    #[error("too many password checks are waiting")]
    Busy,
    #[error(transparent)]
    Failed(#[from] HashError),
}

/// The process-wide bound on password hashing.
///
/// Each argon2 run holds `MEMORY_KIB` of memory for its whole duration, so a flood of
/// sign-ins would otherwise grow the process by that much per concurrent request (and
/// starve the blocking pool). At most `slots` hashes run at once, at most `queue` callers
/// wait for a slot, and anyone beyond that is refused at once: under a flood, memory stays
/// at `slots` hashes' worth and a caller learns quickly that it should come back.
#[derive(Debug)]
pub struct PasswordGate {
    slots: Arc<Semaphore>,
    queue: usize,
    waiting: AtomicUsize,
}

/// Stops counting a caller as waiting once it stops waiting, whether it got its slot or its
/// request was dropped while it waited.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordGate {
    /// A gate that runs `slots` hashes at once (at least one) and lets `queue` more wait.
    pub fn new(slots: usize, queue: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            queue,
            waiting: AtomicUsize::new(0),
        }
    }

    /// One slot per core, and a queue of 64: the defaults when nothing is configured.
    pub fn for_this_machine() -> Self {
        Self::new(default_hash_slots(), DEFAULT_HASH_QUEUE)
    }

    /// Runs `work` on the blocking pool under a slot. The slot moves into the blocking
    /// task, so a caller that gives up (a dropped request) does not free it before the
    /// memory it stands for is freed.
    pub async fn run<T, F>(&self, work: F) -> Result<T, PasswordWorkError>
    where
        F: FnOnce() -> Result<T, HashError> + Send + 'static,
        T: Send + 'static,
    {
        let slot = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(PasswordWorkError::Busy);
                }
                let _waiting = Waiting(&self.waiting);
                self.slots
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|e| HashError(e.to_string()))?
            }
        };
        let result = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| HashError(e.to_string()))?;
        Ok(result?)
    }

    /// [`hash_password`] under the gate.
    pub async fn hash(&self, password: String) -> Result<String, PasswordWorkError> {
        self.run(move || hash_blocking(&password)).await
    }

    /// [`verify_password`] under the gate.
    pub async fn verify(
        &self,
        password: String,
        stored: String,
    ) -> Result<bool, PasswordWorkError> {
        self.run(move || Ok(verify_blocking(&password, &stored)))
            .await
    }
}

/// Hashing slots when none are configured: one per core the process may use.
pub fn default_hash_slots() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Callers allowed to wait for a hashing slot when nothing is configured.
pub const DEFAULT_HASH_QUEUE: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_to_what_is_stored() {
        let a = issue_token();
        let b = issue_token();
        assert_ne!(a.plain, b.plain);
        assert_eq!(hash_token(&a.plain), a.hash);
        assert_eq!(a.plain.len(), 43);
    }

    #[test]
    fn readable_codes_avoid_ambiguous_characters() {
        let code = readable_code(200);
        assert!(!code.contains(['0', 'O', '1', 'I']));
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password("correct horse battery".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify_password("wrong horse battery".into(), hash)
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_slots_and_the_queue_callers_are_refused_at_once() {
        let gate = Arc::new(PasswordGate::new(1, 1));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let holder = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.run(move || {
                    let _ = started.send(());
                    let _ = held.recv();
                    Ok(1)
                })
                .await
            }
        });
        running.await.unwrap();
        let queued = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(|| Ok(2)).await }
        });
        while gate.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            gate.run(|| Ok(3)).await,
            Err(PasswordWorkError::Busy)
        ));
        release.send(()).unwrap();
        assert_eq!(holder.await.unwrap().unwrap(), 1);
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        assert_eq!(gate.waiting.load(Ordering::SeqCst), 0);
        assert_eq!(gate.run(|| Ok(4)).await.unwrap(), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_gives_up_keeps_its_slot_until_the_hash_is_done() {
        let gate = Arc::new(PasswordGate::new(1, 0));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let abandoned = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.run(move || {
                    let _ = started.send(());
                    let _ = held.recv();
                    Ok(())
                })
                .await
            }
        });
        running.await.unwrap();
        abandoned.abort();
        let _ = abandoned.await;
        assert!(matches!(
            gate.run(|| Ok(())).await,
            Err(PasswordWorkError::Busy)
        ));
        release.send(()).unwrap();
        // The slot comes back once the blocking work has really finished.
        for _ in 0..200 {
            if gate.run(|| Ok(())).await.is_ok() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the slot never came back");
    }

    #[tokio::test]
    async fn the_gate_hashes_and_verifies_like_the_plain_functions() {
        let gate = PasswordGate::new(2, 4);
        let hash = gate.hash("correct horse battery".into()).await.unwrap();
        assert!(
            gate.verify("correct horse battery".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(!gate.verify("wrong".into(), hash).await.unwrap());
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_never_matches() {
        assert!(
            !verify_password("x".into(), "not a hash".into())
                .await
                .unwrap()
        );
    }
}
