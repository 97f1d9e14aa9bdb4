//! `haven.Auditor`: incident histories against one or many schools' policies on their
//! calendars (haven-audit), over JSON text in and out, with the GIL released while auditing.

use crate::errors::policy_error;
use crate::{guarded, options, read_policy};
use haven_audit::{AuditReport, Calendar, Schools, Summary};
use haven_core::api;
use haven_modules::FsLoader;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::path::{Path, PathBuf};

/// Compile the policy at `path` and read its calendar (`calendar`, else `calendar.toml`
/// beside the policy, else the default calendar).
fn load(py: Python<'_>, path: &Path, calendar: Option<&Path>) -> PyResult<haven_audit::Auditor> {
    let (file, text) = read_policy(py, path)?;
    let loader = FsLoader::for_policy(&file);
    let name = file.display().to_string();
    let opts = options(None);
    let policy = py
        .detach(move || guarded(|| haven_core::Policy::compile(&name, &text, &loader, &opts)))?
        .map_err(|err| policy_error(py, &err))?;
    let calendar_path: Option<PathBuf> = match calendar {
        Some(c) => Some(c.to_path_buf()),
        None => file
            .parent()
            .map(|d| d.join("calendar.toml"))
            .filter(|p| p.is_file()),
    };
    let calendar = match calendar_path {
        None => Calendar::default(),
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| PyOSError::new_err(format!("{}: {e}", p.display())))?;
            Calendar::from_toml(&text)
                .map_err(|e| PyValueError::new_err(format!("{}:{e}", p.display())))?
        }
    };
    Ok(haven_audit::Auditor::new(policy, calendar))
}

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| PyValueError::new_err(e.to_string()))
}

fn summary_from(text: &str) -> PyResult<Summary> {
    serde_json::from_str(text)
        .map_err(|e| PyValueError::new_err(api::usage::not_a("an audit summary", e)))
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
        for (key, value) in schools.iter() {
            let id: String = key.extract()?;
            let (policy, calendar): (PathBuf, Option<PathBuf>) =
                if let Ok(t) = value.cast::<PyTuple>() {
                    t.extract()?
                } else if let Ok(p) = value.extract::<PathBuf>() {
                    (p, None)
                } else {
                    return Err(PyTypeError::new_err(
                        "each school maps to a policy path or a (policy path, calendar path) pair",
                    ));
                };
            inner.insert(id, load(py, &policy, calendar.as_deref())?);
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
        let res = py.detach(|| guarded(|| self.inner.audit_line(&record, "record")))?;
        match res {
            Ok(a) => json(&a),
            Err(e) => Err(PyValueError::new_err(format!("{}: {}", e.code, e.message))),
        }
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
        let (summary, findings) = py.detach(|| {
            guarded(|| {
                self.inner
                    .audit_lines(records.iter().map(String::as_str), first_line)
            })
        })?;
        let findings = findings.iter().map(json).collect::<PyResult<Vec<_>>>()?;
        Ok((json(&summary)?, findings))
    }

    /// The report `haven audit --format json` writes, as JSON text, from a summary and the
    /// findings (JSON text, as `audit_lines` returns them).
    fn report(&self, summary: &str, findings: Vec<String>) -> PyResult<String> {
        let summary = summary_from(summary)?;
        let findings = findings
            .iter()
            .map(|f| serde_json::from_str(f).map_err(|e| PyValueError::new_err(e.to_string())))
            .collect::<PyResult<Vec<_>>>()?;
        let report = match self.inner.ids().next().and_then(|id| self.inner.get(id)) {
            Some(only) if self.inner.ids().count() == 1 => {
                AuditReport::new(only, summary, findings)
            }
            _ => AuditReport::for_schools(&self.inner, summary, findings),
        };
        json(&report)
    }

    /// Generated history records for `school` with planted departures, for tests and
    /// benchmarks: `(records, planted)`, each planted entry
    /// `(record id, action, targets, outcome, judged)`.
    #[allow(
        clippy::type_complexity,
        reason = "a plain tuple is the Python-facing shape"
    )]
    fn generate(
        &self,
        py: Python<'_>,
        school: &str,
        n: usize,
        seed: u64,
    ) -> PyResult<(
        Vec<String>,
        Vec<(String, String, Vec<String>, String, bool)>,
    )> {
        let auditor = self
            .inner
            .get(school)
            .ok_or_else(|| PyValueError::new_err(api::usage::no_school(school)))?;
        let generated =
            py.detach(|| guarded(|| haven_audit::synth::generate(auditor, school, n, seed)))?;
        let planted = generated
            .planted
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    p.action,
                    p.target,
                    p.outcome.as_str().to_owned(),
                    p.judged,
                )
            })
            .collect();
        Ok((generated.lines, planted))
    }

    /// Evaluate incident records (JSON text each, DESIGN §4) against the policy of the
    /// school beside each, with the GIL released: the decision JSON for each, or
    /// `{"error": {...}}` (the incident error envelope) for an invalid record or an unknown
    /// school.
    fn evaluate_json(
        &self,
        py: Python<'_>,
        schools: Vec<String>,
        incidents: Vec<String>,
    ) -> PyResult<Vec<String>> {
        if schools.len() != incidents.len() {
            return Err(PyValueError::new_err(api::usage::not_a(
                "of one length",
                "schools and incidents differ",
            )));
        }
        py.detach(|| {
            guarded(|| {
                let pairs = schools.iter().zip(&incidents);
                pairs
                    .map(|(school, text)| self.inner.evaluate_json(school, text))
                    .collect()
            })
        })
    }

    fn __repr__(&self) -> String {
        format!("<haven.Auditor {}>", self.schools().join(", "))
    }
}

/// Merge partial audit summaries (JSON text each) into one, exactly as a single pass over
/// all their records would have counted.
#[pyfunction]
pub(crate) fn merge_summaries(summaries: Vec<String>) -> PyResult<String> {
    let mut total = Summary::default();
    for s in &summaries {
        total.merge(&summary_from(s)?);
    }
    json(&total)
}

/// The offline HTML page (inline SVG charts, no scripts) for an audit report (JSON text,
/// as `Auditor.report` returns it), listing at most `max_findings` records.
#[pyfunction]
#[pyo3(signature = (report, max_findings = 500))]
pub(crate) fn audit_html(report: &str, max_findings: usize) -> PyResult<String> {
    let report: AuditReport = serde_json::from_str(report)
        .map_err(|e| PyValueError::new_err(api::usage::not_a("an audit report", e)))?;
    Ok(haven_audit::report::html(&report, max_findings))
}
