//! The LSSCP database as sea-orm entities: one module per table, data only.
//!
//! The tables and their meaning are described in `docs/data-model.md`; rules live in the
//! `domain` crate.

// m0001: accounts and infrastructure
pub mod account;
pub mod account_role;
pub mod account_token;
pub mod audit_log;
pub mod background_task;
pub mod bulk_notice_batch;
pub mod document;
pub mod login_failure;
pub mod notification;
pub mod session;
