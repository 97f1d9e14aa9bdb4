//! Errors as JSON: `{"error":{"code","message","errors":[…]}}`, with core's codes for bad
//! records and `haven::serve::*` for what only a server can get wrong.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use haven_core::IncidentError;
use serde::Serialize;

/// An error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    /// HTTP status.
    pub(crate) status: StatusCode,
    /// Stable code.
    pub(crate) code: &'static str,
    /// One sentence.
    pub(crate) message: String,
    /// Located details (incident errors, policy diagnostics).
    pub(crate) errors: Vec<serde_json::Value>,
}

impl ApiError {
    /// An error with no details.
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// 400 for a record core rejected: every error core found, each located. The top-level
    /// code and message are the first error's.
    pub(crate) fn incident(errors: &[IncidentError]) -> Self {
        let (code, message) = match errors.first() {
            Some(e) => (e.code, e.message.clone()),
            None => (
                "haven::incident::invalid",
                "the record was rejected".to_owned(),
            ),
        };
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            message,
            errors: errors
                .iter()
                .map(|e| incident_error_json(e, None))
                .collect(),
        }
    }

    /// The body, as JSON text.
    pub(crate) fn body(&self) -> String {
        serde_json::json!({
            "error": { "code": self.code, "message": self.message, "errors": self.errors }
        })
        .to_string()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"haven\""),
            );
        }
        response
    }
}

#[derive(Serialize)]
struct IncidentErrorOut<'a> {
    kind: &'static str,
    code: &'a str,
    message: &'a str,
    key: &'a str,
    expected: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

/// An incident error as data: key path, expectation, and the line/column core located it at
/// (where the record has text and the error a place). `index` is the record's position in a
/// batch.
pub(crate) fn incident_error_json(e: &IncidentError, index: Option<usize>) -> serde_json::Value {
    serde_json::to_value(IncidentErrorOut {
        kind: "incident",
        code: e.code,
        message: &e.message,
        key: &e.key,
        expected: &e.expected,
        line: e.line,
        column: e.column,
        index,
    })
    .unwrap_or_default()
}
