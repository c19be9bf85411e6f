//! The LSSCP programme: its rules and its changes of state, shared by the API and the worker.
//!
//! - [`rules`]: pure functions, no I/O.
//! - [`services`]: one function per change of state, each a transaction with its audit row
//!   and outbox rows.
//! - [`jobs`]: what the queue carries; [`outbox`]: how work is written down first.
//! - [`clock`]: the one source of "now".

pub mod actor;
pub mod audit;
pub mod clock;
pub mod config;
pub mod context;
pub mod emails;
pub mod error;
pub mod jobs;
pub mod limits;
pub mod outbox;
pub mod rules;
pub mod security;
pub mod services;
pub mod session_cache;

pub use actor::{Actor, Viewer};
pub use context::Context;
pub use error::{DomainError, DomainResult, Violation};
