#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The integration suite: the real router on port 0, the real workers (in-process and as
//! `lsscp worker` processes), a real SMTP listener, and a database and queue per test.
//!
//! SQLite and the embedded queue by default; PostgreSQL and Redis with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` and
//! `TEST_REDIS_URL=redis://127.0.0.1:6379`. See `support/` for the harness.

mod support;

mod accounts;
mod bulk_notices;
mod candidates;
mod car;
mod catalogue;
mod certificates;
mod courses;
mod delivery;
mod faults;
mod reviews;
mod security;
mod server;
