//! `haven.PolicyError`, `haven.IncidentError` and `haven.Diagnostic`: core's failures
//! (`api::PolicyFailure`, `api::RecordFailure`) and diagnostics as Python objects. Every
//! field, code and message is core's; this file only sets them as attributes.
//!
//! The exceptions are `create_exception!` types carrying their fields as instance
//! attributes: pyo3 can subclass `ValueError` with a `#[pyclass]` only on the abi3 floor
//! 3.12, and this wheel's floor is 3.9.

use haven_core::{api, CompileError, DetailedError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

pyo3::create_exception!(
    haven,
    PolicyError,
    PyValueError,
    "A policy did not compile.\n\nAttributes describe the first error: `message`, `code`, `file`, `line`, `column`,\n`help`; `rendered` holds every diagnostic rendered rustc-style, and `diagnostics`\nlists them all (errors and warnings) as `haven.Diagnostic`."
);

pyo3::create_exception!(
    haven,
    IncidentError,
    PyValueError,
    "An incident record was rejected.\n\nAttributes: `key` (the offending key path, e.g. `actor.age`; in `evaluate_many` it\nstarts with the record's index, e.g. `[17].actor.age`), `expected`, `code`,\n`message`, `index` (the record's position in `evaluate_many`, else `None`), and `errors`\n(every error of the record, the first being the attributes above)."
);

/// One finding of the parser or checker: core's `DetailedError`, read-only, with its
/// one-line `summary` (the repr).
#[pyclass(frozen, get_all, module = "haven", name = "Diagnostic")]
#[derive(Clone, Debug, serde::Deserialize)]
pub(crate) struct Diagnostic {
    severity: String,
    code: String,
    message: String,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    help: Option<String>,
    rendered: String,
    #[serde(skip)]
    summary: String,
}

#[pymethods]
impl Diagnostic {
    fn __repr__(&self) -> String {
        format!("<Diagnostic {}>", self.summary)
    }

    fn __str__(&self) -> &str {
        &self.rendered
    }
}

/// Core's diagnostics as `haven.Diagnostic`s.
pub(crate) fn diagnostics(detailed: &[DetailedError]) -> PyResult<Vec<Diagnostic>> {
    let one = |d: &DetailedError| {
        let value = serde_json::to_value(d).and_then(serde_json::from_value::<Diagnostic>);
        let summary = d.summary();
        value
            .map(|d| Diagnostic { summary, ..d })
            .map_err(value_error)
    };
    detailed.iter().map(one).collect()
}

/// A plain `ValueError` with core's message.
pub(crate) fn value_error(message: impl ToString) -> PyErr {
    PyValueError::new_err(message.to_string())
}

/// `err` with the fields of `fields` (core's serde data) as attributes.
fn with_fields<T: serde::Serialize>(py: Python<'_>, err: PyErr, fields: &T) -> PyErr {
    let set = || -> PyResult<()> {
        let attrs = pythonize::pythonize(py, fields)?.cast_into::<PyDict>()?;
        for (name, value) in attrs {
            err.value(py).setattr(name.cast_into()?, value)?;
        }
        Ok(())
    };
    set().err().unwrap_or(err)
}

/// `haven.PolicyError` from a compile failure: the first error's fields, every diagnostic.
pub(crate) fn policy_error(py: Python<'_>, err: &CompileError) -> PyErr {
    let failure = api::PolicyFailure::from(err);
    let err = with_fields(py, PolicyError::new_err(failure.text.clone()), &failure);
    let set =
        diagnostics(&failure.diagnostics).and_then(|d| err.value(py).setattr("diagnostics", d));
    set.err().unwrap_or(err)
}

/// `haven.IncidentError` for a rejected record (`index`: its position in `evaluate_many`).
pub(crate) fn incident_errors(
    py: Python<'_>,
    errs: Vec<haven_core::IncidentError>,
    index: Option<usize>,
) -> PyErr {
    let failure = api::RecordFailure::new(errs, index);
    with_fields(py, IncidentError::new_err(failure.text.clone()), &failure)
}
