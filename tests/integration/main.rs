//! badreq's integration tests: the real binary on loopback, real clients (curl,
//! the official Python SDK), a local TLS upstream that answers like the API.

mod support;

mod faults;
mod passthrough;
mod sdk;
