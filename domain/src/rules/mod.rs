//! The programme's rules as pure functions: no I/O, no clock, table-tested beside the code.

pub mod email_address;
pub mod password;
pub mod retry;
