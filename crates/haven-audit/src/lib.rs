//! Audit incident histories against a haven policy, on the UK school calendar.
//!
//! A history record (docs/history.md) is an incident plus when it happened and was reported,
//! the actions actually taken and any recorded professional judgements. [`Auditor`] checks
//! each record: every `must` action of the policy's decision is done on time, done late (by
//! how many school days), or not done; every `must not` action that was done is reported;
//! questions the record never answers are listed. [`Summary`] aggregates per rule, action,
//! category, school and month, and merges exactly, so partial summaries from many workers
//! add up to the single-process one. [`report::html`] draws the offline HTML report.
//!
//! ```
//! use haven_audit::{Auditor, Calendar, Summary};
//! let policy = haven_core::Policy::compile(
//!     "p.haven",
//!     "policy p \"P\" {\n  version \"1\"\n  use std/vocabulary\n}\n\
//!      rule tell {\n  cites \"§1\": \"Tell the DSL the same day.\"\n  when category is cyberbullying\n  \
//!      must notify dsl due same_day\n}\n",
//!     &haven_modules::Bundled,
//!     &haven_core::CheckOptions::default(),
//! ).unwrap();
//! let auditor = Auditor::new(policy, Calendar::default());
//! let line = r#"{"id": "h1", "reported_at": "2026-03-13T15:40",
//!   "incident": {"category": "cyberbullying"},
//!   "taken": [{"action": "notify", "target": "dsl", "at": "2026-03-16T09:00"}]}"#;
//! let audit = auditor.audit_line(line, "line 1").unwrap();
//! assert_eq!(audit.items[0].outcome, haven_audit::Outcome::Late);
//! assert_eq!(audit.items[0].late_by_school_days, Some(1));
//! let mut summary = Summary::default();
//! summary.add(&audit);
//! assert_eq!(summary.totals.late, 1);
//! ```
//!
//! **Invariant:** no I/O, no printing, no panics on any input.

mod audit;
mod history;
pub mod report;
mod schools;
mod summary;
pub mod synth;
pub mod text;

/// The calendar, its days and the deadline rules live in `haven-calendar`, shared with the
/// engine (whose decisions carry the same `due` times); re-exported here for audit callers.
pub use haven_calendar::{calendar, due, time};

pub use audit::{Item, JudgementOut, Outcome, RecordAudit};
pub use haven_calendar::{Calendar, CalendarError, BANK_HOLIDAY_SOURCE};
pub use history::{Departure, HistoryError, HistoryRecord, Judgement, Taken};
pub use schools::Schools;
pub use summary::{Counts, JudgementStats, Rejected, Summary};

use haven_core::Policy;
use std::collections::HashSet;

/// A compiled policy with its school calendar: audits records, many times.
pub struct Auditor {
    policy: Policy,
    calendar: Calendar,
    rules: HashSet<String>,
}

impl Auditor {
    /// An auditor for one school.
    pub fn new(policy: Policy, calendar: Calendar) -> Self {
        let rules = policy.rule_ids().map(str::to_owned).collect();
        Auditor {
            policy,
            calendar,
            rules,
        }
    }

    /// An auditor on the calendar the policy carries (`calendar.toml` beside it, or the
    /// one given with [`Policy::with_calendar_toml`]), else the default calendar.
    pub fn for_policy(policy: Policy) -> Self {
        let calendar = policy.calendar().cloned().unwrap_or_default();
        Auditor::new(policy, calendar)
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The calendar.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Validate one record given as JSON text; `fallback_id` names a record without an `id`.
    pub fn parse(&self, text: &str, fallback_id: &str) -> Result<HistoryRecord, HistoryError> {
        self.validator().parse(text, fallback_id)
    }

    /// Validate one record given as a JSON value.
    pub fn parse_value(
        &self,
        value: serde_json::Value,
        fallback_id: &str,
    ) -> Result<HistoryRecord, HistoryError> {
        self.validator().parse_value(value, fallback_id)
    }

    /// Audit one validated record.
    pub fn audit(&self, record: &HistoryRecord) -> RecordAudit {
        audit::audit(&self.policy, &self.calendar, record)
    }

    /// Validate and audit one record given as JSON text.
    pub fn audit_line(&self, text: &str, fallback_id: &str) -> Result<RecordAudit, HistoryError> {
        let record = self.parse(text, fallback_id)?;
        Ok(self.audit(&record))
    }

    /// Audit many lines into a summary and the records with findings (in input order; each
    /// keeps only its departing items, with the count of on-time ones). Line numbers for records without ids count from `first_line`.
    pub fn audit_lines<'a>(
        &self,
        lines: impl IntoIterator<Item = &'a str>,
        first_line: usize,
    ) -> (Summary, Vec<RecordAudit>) {
        collect(lines, first_line, |line, fallback| {
            self.audit_line(line, fallback)
        })
    }

    fn validator(&self) -> history::Validator<'_> {
        history::Validator {
            policy: &self.policy,
            rules: &self.rules,
        }
    }
}

/// Audit lines with `audit_one`, summing up and keeping the records with findings.
fn collect<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    first_line: usize,
    audit_one: impl Fn(&str, &str) -> Result<RecordAudit, HistoryError>,
) -> (Summary, Vec<RecordAudit>) {
    let mut summary = Summary::default();
    let mut findings = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fallback = format!("line {}", first_line + i);
        match audit_one(line, &fallback) {
            Ok(mut audit) => {
                summary.add(&audit);
                if audit.has_findings() {
                    audit.retain_departures();
                    findings.push(audit);
                }
            }
            Err(e) => {
                let id = record_id(line).unwrap_or(fallback);
                summary.reject(&id, &e);
            }
        }
    }
    (summary, findings)
}

/// The `id` of a record that failed validation, if it has a readable one.
fn record_id(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    match v.get("id")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The JSON document `haven audit --format json` writes: the summary and the records with
/// findings.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditReport {
    /// Format version (1).
    pub version: u32,
    /// The policy audited against.
    pub policy: String,
    /// Its version string.
    pub policy_version: Option<String>,
    /// Where the bank holidays come from.
    pub bank_holidays: String,
    /// The aggregates.
    pub summary: Summary,
    /// Every record with a finding, in input order.
    pub findings: Vec<RecordAudit>,
}

impl AuditReport {
    /// Assemble the report of an audit by `auditor`.
    pub fn new(auditor: &Auditor, summary: Summary, findings: Vec<RecordAudit>) -> Self {
        AuditReport {
            version: 1,
            policy: auditor.policy.id().to_owned(),
            policy_version: auditor.policy.version().map(str::to_owned),
            bank_holidays: BANK_HOLIDAY_SOURCE.to_owned(),
            summary,
            findings,
        }
    }

    /// Assemble the report of an audit over several schools' policies (`policy` lists their
    /// ids, comma-separated).
    pub fn for_schools(schools: &Schools, summary: Summary, findings: Vec<RecordAudit>) -> Self {
        let ids: Vec<&str> = schools
            .ids()
            .filter_map(|s| schools.get(s).map(|a| a.policy.id()))
            .collect();
        AuditReport {
            version: 1,
            policy: ids.join(", "),
            policy_version: None,
            bank_holidays: BANK_HOLIDAY_SOURCE.to_owned(),
            summary,
            findings,
        }
    }
}
