//! `haven.Auditor`: incident histories against one or many schools' policies on their
//! calendars (haven-audit), over JSON text in and out, with the GIL released while auditing.

use crate::errors::{policy_error, value_error};
use crate::{guarded, read_text, Policy};
use haven_audit::synth::{Planted, PlantedParts};
use haven_audit::Schools;
use haven_core::api;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::{Path, PathBuf};

/// Compile the policy at `path` with its calendar: `calendar`, else `calendar.toml` beside
/// the policy, else the default calendar.
fn load(py: Python<'_>, path: &Path, calendar: Option<&Path>) -> PyResult<haven_audit::Auditor> {
    let mut policy = Policy::from_file(py, path.to_path_buf(), None)?.inner;
    if let Some(path) = calendar {
        let (name, text) = read_text(py, path)?;
        policy = (policy.with_calendar_toml(&name, &text)).map_err(|e| policy_error(py, &e))?;
    }
    Ok(haven_audit::Auditor::for_policy(policy))
}

/// Audits history records (JSON text, one record per string) against schools' policies.
#[pyclass(frozen, module = "haven", name = "Auditor")]
pub(crate) struct Auditor {
    inner: Schools,
}

#[pymethods]
impl Auditor {
    /// Load several schools: `schools` maps a school id to its policy path, or to a
    /// `(policy path, calendar path or None)` pair. Records name their school in `school`.
    #[new]
    fn new(py: Python<'_>, schools: &Bound<'_, PyDict>) -> PyResult<Self> {
        let mut inner = Schools::new();
        for (id, school) in schools {
            let pair = school.extract::<(PathBuf, Option<PathBuf>)>();
            let (policy, calendar) = pair.or_else(|_| Ok::<_, PyErr>((school.extract()?, None)))?;
            let auditor = load(py, &policy, calendar.as_deref())?;
            inner.insert(id.extract::<String>()?, auditor);
        }
        Ok(Auditor { inner })
    }

    /// One school: the policy at `path` with `calendar` (default: `calendar.toml` beside
    /// the policy). Its school id is `school`, or the policy id.
    #[staticmethod]
    #[pyo3(signature = (path, *, calendar = None, school = None))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        calendar: Option<PathBuf>,
        school: Option<String>,
    ) -> PyResult<Self> {
        let auditor = load(py, &path, calendar.as_deref())?;
        let id = school.unwrap_or_else(|| auditor.policy().id().to_owned());
        let mut inner = Schools::new();
        inner.insert(id, auditor);
        Ok(Auditor { inner })
    }

    /// The school ids loaded.
    #[getter]
    fn schools(&self) -> Vec<String> {
        self.inner.ids().map(str::to_owned).collect()
    }

    /// Audit one record (JSON text); return the record's audit as JSON text. Raises
    /// `ValueError` naming the key for an invalid record.
    fn audit(&self, py: Python<'_>, record: String) -> PyResult<String> {
        let audit = || haven_audit::text::audit(&self.inner, &record);
        py.detach(|| guarded(audit))?.map_err(value_error)
    }

    /// Audit many records (JSON text each) with the GIL released. Returns the summary as
    /// JSON text and the audits of the records with findings (JSON text each, in input
    /// order). Invalid records are counted in the summary's `rejected`, never raised.
    #[pyo3(signature = (records, first_line = 1))]
    fn audit_lines(
        &self,
        py: Python<'_>,
        records: Vec<String>,
        first_line: usize,
    ) -> PyResult<(String, Vec<String>)> {
        let records = records.iter().map(String::as_str);
        let audit = || haven_audit::text::audit_lines(&self.inner, records, first_line);
        py.detach(|| guarded(audit))
    }

    /// The report `haven audit --format json` writes, as JSON text, from a summary and the
    /// findings (JSON text, as `audit_lines` returns them).
    fn report(&self, summary: &str, findings: Vec<String>) -> PyResult<String> {
        haven_audit::text::report(&self.inner, summary, &findings).map_err(value_error)
    }

    /// Generated history records for `school` with planted departures, for tests and
    /// benchmarks: `(records, planted)`, each planted entry
    /// `(record id, action, targets, outcome, judged)`.
    fn generate(
        &self,
        py: Python<'_>,
        school: &str,
        n: usize,
        seed: u64,
    ) -> PyResult<(Vec<String>, Vec<PlantedParts>)> {
        let auditor =
            (self.inner.get(school)).ok_or_else(|| value_error(api::usage::no_school(school)))?;
        let generated =
            py.detach(|| guarded(|| haven_audit::synth::generate(auditor, school, n, seed)))?;
        let planted = generated.planted.into_iter().map(Planted::into_parts);
        Ok((generated.lines, planted.collect()))
    }

    /// Evaluate incident records (JSON text each, docs/contract.md) against the policy of the
    /// school beside each, with the GIL released: the decision JSON for each, or
    /// `{"error": {...}}` (the incident error envelope) for an invalid record or an unknown
    /// school.
    fn evaluate_json(
        &self,
        py: Python<'_>,
        schools: Vec<String>,
        incidents: Vec<String>,
    ) -> PyResult<Vec<String>> {
        let each = || self.inner.evaluate_json_each(&schools, &incidents);
        py.detach(|| guarded(each))?.map_err(value_error)
    }

    fn __repr__(&self) -> String {
        format!("<haven.Auditor {}>", self.schools().join(", "))
    }
}

/// Merge partial audit summaries (JSON text each) into one, exactly as a single pass over
/// all their records would have counted.
#[pyfunction]
pub(crate) fn merge_summaries(summaries: Vec<String>) -> PyResult<String> {
    haven_audit::text::merge(&summaries).map_err(value_error)
}

/// The offline HTML page (inline SVG charts, no scripts) for an audit report (JSON text,
/// as `Auditor.report` returns it), listing at most `max_findings` records.
#[pyfunction]
#[pyo3(signature = (report, max_findings = 500))]
pub(crate) fn audit_html(report: &str, max_findings: usize) -> PyResult<String> {
    haven_audit::text::html(report, max_findings).map_err(value_error)
}
