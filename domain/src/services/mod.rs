//! One function per change of state. Each is a single transaction that writes the change,
//! its audit row and its outbox rows together, and authorises the caller first.

pub mod accounts;
pub mod catalogue;
pub mod housekeeping;
pub mod notifications;
pub mod relay;
