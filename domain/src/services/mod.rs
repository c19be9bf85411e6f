//! One function per change of state. Each is a single transaction that writes the change,
//! its audit row and its outbox rows together, and authorises the caller first.

pub mod accounts;
pub mod achievements;
pub mod applications;
pub mod assignment;
pub mod batch;
pub mod bulk_notices;
pub mod candidacies;
pub mod car;
pub mod catalogue;
pub mod certificates;
pub mod course_lifecycle;
pub mod courses;
pub mod credentials;
pub mod document_access;
pub mod documents;
pub mod evaluators;
pub mod evidence;
pub mod housekeeping;
pub mod liveness;
pub mod notifications;
pub mod payments;
pub mod portfolios;
pub mod progress;
pub mod providers;
pub mod relay;
pub mod renewals;
pub mod reports;
pub mod reviews;
pub mod search;
pub mod statistics;
pub mod tasks;
