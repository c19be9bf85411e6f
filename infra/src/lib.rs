//! Connections to the outside world that both the API and the worker need: settings read
//! from the environment, the database (migrated on request), and the job queue.

pub mod database;
pub mod documents;
pub mod keys;
pub mod queue;
pub mod session_events;
pub mod settings;

pub use queue::JobQueue;
pub use settings::Settings;
