//! Regression tests for what an attacker tried (issue 20's findings), each over HTTP
//! against the real server on both backends, and a bounded fuzz of the HTTP edge.

mod accounts;
mod authorisation;
mod costs;
mod edge;
mod fuzz;
mod mail;
mod websocket;
