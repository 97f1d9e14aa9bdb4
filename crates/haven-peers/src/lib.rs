//! The benchmark decision — the UKCIS immediate-referral criteria plus Basnett Street's staff
//! sanctions table — encoded in three peer engines, so haven can be measured beside them on
//! the same decisions (see `BENCHMARKS.md` at the repository root):
//!
//! - [`cedar`]: `cedar-policy`, one `permit` per referral rule and table row
//!   (`encodings/decision.cedar`, role hierarchy `encodings/roles.json`);
//! - [`rego`]: `regorus`, a Rego module (`encodings/decision.rego`);
//! - [`zen`]: `zen-engine`, a JDM graph with a `collect` decision table
//!   (`encodings/decision.jdm.json`).
//!
//! Every engine answers with a bit set over the decision's elements in the oracle's order
//! (`crates/haven-core/benches/support/oracle.rs`: bit 0 is the UKCIS referral, bits 1–8 the
//! table's columns LM HT LA Pol Tech W Sus Dis). `tests/equivalence.rs` checks each against
//! haven on the whole benchmark corpus; `benches/peers.rs` times them beside haven.
//!
//! Not a default workspace member: these three engines take about ten minutes to build.

pub mod cedar;
pub mod rego;
pub mod zen;

/// Why a peer could not load its encoding or answer.
#[derive(Debug)]
pub struct PeerError(pub String);

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PeerError {}

pub(crate) fn err(what: &str, e: impl std::fmt::Display) -> PeerError {
    PeerError(format!("{what}: {e}"))
}

/// The bit of a table column key (`lm`, `ht`, …) or of `referral`.
pub(crate) fn column_bit(key: &str) -> Option<u16> {
    Some(match key {
        "referral" => 1,
        "lm" => 1 << 1,
        "ht" => 1 << 2,
        "la" => 1 << 3,
        "pol" => 1 << 4,
        "tech" => 1 << 5,
        "w" => 1 << 6,
        "sus" => 1 << 7,
        "dis" => 1 << 8,
        _ => return None,
    })
}

/// The bit of a decision element given as `(action, first target)`.
pub(crate) fn element_bit(action: &str, first_target: Option<&str>) -> u16 {
    match (action, first_target) {
        ("refer", Some("childrens_social_care")) => 1,
        ("refer", Some("line_manager")) => 1 << 1,
        ("refer", Some("headteacher")) => 1 << 2,
        ("refer", Some("la_hr")) => 1 << 3,
        ("refer", Some("police")) => 1 << 4,
        ("refer", Some("network_manager")) => 1 << 5,
        ("warning", None) => 1 << 6,
        ("suspension", None) => 1 << 7,
        ("disciplinary_action", None) => 1 << 8,
        _ => 0,
    }
}
