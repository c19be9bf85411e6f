//! The harness: `TestApp` (the system in-process), a GraphQL client, a real SMTP
//! listener, real worker processes, and a database and queue per test.

pub mod app;
pub mod backend;
pub mod candidates;
pub mod certificates;
pub mod courses;
pub mod graphql;
pub mod postgres_cluster;
pub mod reviews;
pub mod smtp;
pub mod uploads;
pub mod worker;

pub use app::{REDELIVERY_WINDOW, TestApp};
pub use graphql::{PASSWORD, data, error_code, error_codes, user_error_codes};
pub use postgres_cluster::PostgresCluster;
pub use smtp::{Received, Refusal, WAIT};
pub use worker::WorkerProcess;
