//! badreq's integration tests: the real binary on loopback, real clients (curl,
//! the official Python SDK), a local TLS upstream that answers like the API.

mod support;

mod check_cli;
mod faults;
mod no_false_alarms;
mod passthrough;
mod run_cmd;
mod sdk;
