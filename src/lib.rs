//! badreq: a local HTTP(S) debugging proxy that explains why API requests fail.
//!
//! # Layout
//!
//! - [`server`]: startup, accept loop, graceful shutdown.
//! - [`proxy`]: shared state and routing of each request (CONNECT, absolute-form, origin-form).
//! - [`connect`] and [`tunnel`]: CONNECT handling, decrypted or blind.
//! - [`tls`]: the local CA, per-host leaves, the client handshake, upstream trust.
//! - [`forward`] and [`upstream`]: sending an exchange upstream and streaming it back.
//! - [`tee`]: the body wrapper that copies bytes for inspection without delaying them.
//! - [`exchange`]: the record of one exchange; [`recorder`] diagnoses it and hands it to [`output`]
//!   (terminal, JSONL, HAR).
//! - [`diagnose`]: the rules, their registry and the correlation with the API's answer; the facts
//!   they read are data, in [`knowledge`] (`src/knowledge.toml`).
//! - [`check`] and [`export`]: the engine on saved traffic; [`run`]: `badreq run -- CMD` for CI.
//! - [`respond`]: responses badreq makes itself (502/504/400); [`sse`]: reading captured streams.
//! - [`config`], [`cli`], [`error`], [`redact`].
//!
//! # Life of an exchange
//!
//! `server` accepts a connection and serves HTTP/1.1 or HTTP/2 on it; `proxy::route`
//! sends a CONNECT to `connect`, which either copies bytes blind (`tunnel`) or
//! terminates TLS with a minted leaf and serves the decrypted requests. Every
//! request to forward ends in `forward::handle`: hop-by-hop headers go, bodies
//! are wrapped in `TeeBody`, the pooled client sends the request, and the
//! response streams back at once. When both bodies finish, the `Exchange`
//! travels over a channel to the recorder thread, which runs the diagnosis
//! (request rules, then the API's answer) and writes it to the sinks.
//! See `docs/architecture.md`.

pub mod check;
pub mod cli;
pub mod config;
pub mod connect;
pub mod diagnose;
pub mod error;
pub mod exchange;
pub mod export;
pub mod forward;
pub mod knowledge;
pub mod output;
pub mod proxy;
pub mod recorder;
pub mod redact;
pub mod respond;
pub mod run;
pub mod server;
pub mod sse;
pub mod tee;
pub mod tls;
pub mod tunnel;
pub mod upstream;
