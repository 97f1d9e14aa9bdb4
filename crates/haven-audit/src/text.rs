//! Audits over JSON text in and out, for callers that hold text (the Python binding, Spark
//! workers): the shapes `haven audit --format json` writes, and every error's wording, made
//! here rather than in a binding.

use crate::{AuditReport, RecordAudit, Schools, Summary};
use haven_core::api::usage;
use serde::{de::DeserializeOwned, Serialize};

fn json<T: Serialize>(value: &T) -> String {
    // (these types serialise to JSON whatever they hold: string keys, finite numbers)
    serde_json::to_string(value).unwrap_or_default()
}

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| usage::not_a(what, e))
}

/// Audit one record: its audit, or why it cannot be audited (`code: message`).
pub fn audit(schools: &Schools, record: &str) -> Result<String, String> {
    let audit = schools
        .audit_line(record, "record")
        .map_err(|e| e.coded())?;
    Ok(json(&audit))
}

/// Audit many records (line numbers of records without ids count from `first_line`): the
/// summary, and the audits of the records with findings in input order.
pub fn audit_lines<'a>(
    schools: &Schools,
    records: impl IntoIterator<Item = &'a str>,
    first_line: usize,
) -> (String, Vec<String>) {
    let (summary, findings) = schools.audit_lines(records, first_line);
    (json(&summary), findings.iter().map(json).collect())
}

/// The report `haven audit --format json` writes, from a summary and the findings as
/// [`audit_lines`] gives them: one school's report when one is loaded, else all of theirs.
pub fn report(schools: &Schools, summary: &str, findings: &[String]) -> Result<String, String> {
    let summary: Summary = from_json("an audit summary", summary)?;
    let findings = (findings.iter())
        .map(|f| from_json::<RecordAudit>("a record audit", f))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ids = schools.ids();
    let report = match (ids.next().and_then(|id| schools.get(id)), ids.next()) {
        (Some(only), None) => AuditReport::new(only, summary, findings),
        _ => AuditReport::for_schools(schools, summary, findings),
    };
    Ok(json(&report))
}

/// Partial summaries merged, exactly as a single pass over all their records counts.
pub fn merge(summaries: &[String]) -> Result<String, String> {
    let mut total = Summary::default();
    for s in summaries {
        total.merge(&from_json("an audit summary", s)?);
    }
    Ok(json(&total))
}

/// The offline HTML page of a report (as [`report`] gives it), listing at most
/// `max_findings` records.
pub fn html(report: &str, max_findings: usize) -> Result<String, String> {
    let report = from_json("an audit report", report)?;
    Ok(crate::report::html(&report, max_findings))
}
