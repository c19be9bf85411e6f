//! The programme's rules as pure functions: no I/O, no clock, table-tested beside the code.

pub mod access;
pub mod assignment;
pub mod business_plan;
pub mod certification;
pub mod documents;
pub mod eligibility;
pub mod email_address;
pub mod fees;
pub mod password;
pub mod periods;
pub mod progress;
pub mod retry;
pub mod round_content;
pub mod text;
