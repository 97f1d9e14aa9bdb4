//! haven as an HTTP decision service (`haven serve`), with a hash-chained decision log
//! (`haven log verify`). See `docs/service.md`.
//!
//! ```text
//! <dir>/<id>/policy.haven ─Store::reload─▶ PolicySet (Arc, swapped whole)
//! POST /v1/policies/{id}/decide ─auth─▶ Policy::incident_from_json ─▶ evaluate
//!     ─▶ DecisionLog::append_decision (one write_all, chained by SHA-256) ─▶ answer
//! ```

#![deny(missing_docs)]

mod auth;
pub mod cli;
mod error;
mod hash;
pub mod log;
mod metrics;
mod policies;
mod server;

pub use auth::{token_line, Tokens};
pub use hash::{canonical_json, sha256_hex};
pub use policies::content_hash;
pub use server::{bind, router, shutdown_signal, App, Bound, Config, TlsFiles, OPENAPI};
