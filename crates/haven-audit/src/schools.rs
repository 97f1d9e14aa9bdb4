//! Many schools at once: each record goes to its school's auditor by its `school` key (what
//! a local authority's or trust's audit, and the Spark job, run).

use crate::{Auditor, HistoryError, RecordAudit, Summary};
use std::collections::BTreeMap;

/// Auditors by school id.
#[derive(Default)]
pub struct Schools {
    auditors: BTreeMap<String, Auditor>,
}

impl Schools {
    /// No schools yet.
    pub fn new() -> Self {
        Schools::default()
    }

    /// Add (or replace) a school's auditor.
    pub fn insert(&mut self, school: impl Into<String>, auditor: Auditor) {
        self.auditors.insert(school.into(), auditor);
    }

    /// The auditor of a school.
    pub fn get(&self, school: &str) -> Option<&Auditor> {
        self.auditors.get(school)
    }

    /// The school ids.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.auditors.keys().map(String::as_str)
    }

    /// Validate and audit one record. With one school loaded every record goes to it (as
    /// with `haven audit`); with several, `school` picks the policy.
    pub fn audit_line(&self, text: &str, fallback_id: &str) -> Result<RecordAudit, HistoryError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| HistoryError {
            key: String::new(),
            message: format!("not a JSON object: {e}"),
            code: "haven::history::not_json",
        })?;
        let only = if self.auditors.len() == 1 {
            self.auditors.values().next()
        } else {
            None
        };
        let auditor = match (only, value.get("school")) {
            (Some(only), _) => only,
            (None, Some(serde_json::Value::String(s))) => {
                self.auditors.get(s).ok_or_else(|| HistoryError {
                    key: "school".into(),
                    message: format!(
                        "`school`: no policy is loaded for `{s}` (loaded: {})",
                        self.ids().collect::<Vec<_>>().join(", ")
                    ),
                    code: "haven::history::unknown_school",
                })?
            }
            (None, _) => {
                return Err(HistoryError {
                    key: "school".into(),
                    message: "`school` must name the record's school when several are loaded"
                        .into(),
                    code: "haven::history::unknown_school",
                })
            }
        };
        let record = auditor.parse_value(value, fallback_id)?;
        Ok(auditor.audit(&record))
    }

    /// Evaluate an incident record (JSON text) against `school`'s policy: the decision JSON, or
    /// `{"error": {...}}` (core's incident error) for an invalid record or an unknown school.
    pub fn evaluate_json(&self, school: &str, text: &str) -> String {
        let error = match self.get(school) {
            None => serde_json::json!({
                "code": "haven::history::unknown_school",
                "key": "school",
                "message": format!("no policy is loaded for `{school}`"),
            }),
            Some(a) => match a.policy().evaluate_json_to_string(text) {
                Ok(decision) => return decision,
                Err(e) => serde_json::json!(haven_core::RecordError::from(&e)),
            },
        };
        serde_json::json!({ "error": error }).to_string()
    }

    /// [`Schools::evaluate_json`] on each pair of `schools` and `incidents`, in order; `Err`
    /// (core's usage message) when their lengths differ.
    pub fn evaluate_json_each(
        &self,
        schools: &[String],
        incidents: &[String],
    ) -> Result<Vec<String>, &'static str> {
        if schools.len() != incidents.len() {
            return Err(haven_core::api::usage::LENGTHS);
        }
        let pairs = schools.iter().zip(incidents);
        Ok(pairs
            .map(|(school, text)| self.evaluate_json(school, text))
            .collect())
    }

    /// Audit many lines into a summary and the records with findings, in input order.
    pub fn audit_lines<'a>(
        &self,
        lines: impl IntoIterator<Item = &'a str>,
        first_line: usize,
    ) -> (Summary, Vec<RecordAudit>) {
        crate::collect(lines, first_line, |line, fallback| {
            self.audit_line(line, fallback)
        })
    }
}
