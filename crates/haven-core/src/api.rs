//! The serde envelope shared by `--format json`, the Python binding and the WASM binding.
//! Bindings hold no logic: they call these functions and convert the result.

use crate::diagnostic::DetailedError;
use crate::incident::IncidentError;
use serde::Serialize;

/// The answer to "evaluate this" or "check this", as data.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Answer {
    /// The policy or incident was rejected.
    Failure {
        /// Why.
        errors: Vec<DetailedError>,
    },
    /// A decision.
    Success {
        /// The decision in the version-1 contract shape.
        decision: serde_json::Value,
        /// Policy warnings.
        warnings: Vec<DetailedError>,
    },
}

/// An incident error as data.
#[derive(Clone, Debug, Serialize)]
pub struct IncidentErrorJson {
    /// Stable code.
    pub code: String,
    /// The whole message.
    pub message: String,
    /// The offending key path.
    pub key: String,
    /// What was expected there.
    pub expected: String,
}

impl From<&IncidentError> for IncidentErrorJson {
    fn from(e: &IncidentError) -> Self {
        IncidentErrorJson {
            code: e.code.to_owned(),
            message: e.message.clone(),
            key: e.key.clone(),
            expected: e.expected.clone(),
        }
    }
}
