//! `haven.PolicyError`, `haven.IncidentError` and `haven.Diagnostic`: haven-core's errors
//! (`DetailedError`, `api::RecordError`) as Python objects. Codes and messages are core's.
//!
//! The exceptions are `create_exception!` types carrying their fields as instance
//! attributes: pyo3 can subclass `ValueError` with a `#[pyclass]` only on the abi3 floor
//! 3.12, and this wheel's floor is 3.9.

use haven_core::{api, CompileError, DetailedError, Severity};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

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

/// One finding of the parser or checker.
#[pyclass(frozen, get_all, module = "haven", name = "Diagnostic")]
#[derive(Clone, Debug)]
pub(crate) struct Diagnostic {
    /// `"error"` or `"warning"`.
    severity: &'static str,
    /// Stable code, e.g. `haven::check::unknown_role`.
    code: String,
    /// One lowercase sentence.
    message: String,
    /// The file of the primary label.
    file: Option<String>,
    /// 1-based line of the primary label.
    line: Option<usize>,
    /// 1-based column of the primary label.
    column: Option<usize>,
    /// A hint on how to fix it.
    help: Option<String>,
    /// The rustc-style rendering with the source line underlined.
    rendered: String,
}

#[pymethods]
impl Diagnostic {
    fn __repr__(&self) -> String {
        let at = match (&self.file, self.line, self.column) {
            (Some(file), Some(line), Some(column)) => format!(" at {file}:{line}:{column}"),
            _ => String::new(),
        };
        let (severity, code, message) = (self.severity, &self.code, &self.message);
        format!("<Diagnostic {severity}[{code}]{at}: {message}>")
    }

    fn __str__(&self) -> String {
        self.rendered.clone()
    }
}

impl From<DetailedError> for Diagnostic {
    fn from(d: DetailedError) -> Self {
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let (code, message, file, line, column, help) =
            (d.code, d.message, d.file, d.line, d.column, d.help);
        Diagnostic {
            severity,
            code,
            message,
            file,
            line,
            column,
            help,
            rendered: d.rendered,
        }
    }
}

/// A plain `ValueError` with core's message.
pub(crate) fn value_error(message: impl ToString) -> PyErr {
    PyValueError::new_err(message.to_string())
}

/// The message of an answer error.
pub(crate) fn message(e: &api::Error) -> String {
    match e {
        api::Error::Policy(d) => d.message.clone(),
        api::Error::Incident(e) => e.message.clone(),
    }
}

/// Set attributes on a fresh exception; an attribute that cannot be set raises instead.
fn with_attributes<'py>(
    py: Python<'py>,
    err: PyErr,
    attrs: impl FnOnce(&Bound<'py, PyAny>) -> PyResult<()>,
) -> PyErr {
    match attrs(err.value(py).as_any()) {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// `haven.PolicyError` from a compile failure: the first error's fields, every diagnostic.
pub(crate) fn policy_error(py: Python<'_>, err: &CompileError) -> PyErr {
    let detailed = err.detailed();
    let first = detailed
        .iter()
        .find(|d| d.severity == Severity::Error)
        .or(detailed.first())
        .cloned();
    with_attributes(py, PolicyError::new_err(err.to_string()), |value| {
        let first = first.map(Diagnostic::from);
        value.setattr(
            "message",
            first
                .as_ref()
                .map_or_else(|| err.to_string(), |d| d.message.clone()),
        )?;
        value.setattr("code", first.as_ref().map(|d| d.code.clone()))?;
        value.setattr("file", first.as_ref().and_then(|d| d.file.clone()))?;
        value.setattr("line", first.as_ref().and_then(|d| d.line))?;
        value.setattr("column", first.as_ref().and_then(|d| d.column))?;
        value.setattr("help", first.as_ref().and_then(|d| d.help.clone()))?;
        value.setattr("rendered", err.render())?;
        value.setattr(
            "diagnostics",
            detailed
                .into_iter()
                .map(Diagnostic::from)
                .collect::<Vec<_>>(),
        )
    })
}

/// `haven.IncidentError` for a rejected record: the first error's fields as attributes, and
/// every error (core's codes, keys, messages, positions) in `errors`. `index` is the record's
/// position in `evaluate_many`.
pub(crate) fn incident_errors(
    py: Python<'_>,
    errs: Vec<haven_core::IncidentError>,
    index: Option<usize>,
) -> PyErr {
    let errs: Vec<api::RecordError> = errs
        .into_iter()
        .map(|e| match index {
            Some(i) => e.in_batch(i),
            None => e,
        })
        .map(|e| api::RecordError::from(&e))
        .collect();
    let first = errs.first().map_or_else(String::new, |e| e.message.clone());
    with_attributes(py, IncidentError::new_err(first), |value| {
        if let Some(e) = errs.first() {
            for (name, text) in [
                ("key", &e.key),
                ("expected", &e.expected),
                ("message", &e.message),
                ("code", &e.code),
            ] {
                value.setattr(name, text)?;
            }
        }
        value.setattr("index", index)?;
        value.setattr("errors", pythonize::pythonize(py, &errs)?)
    })
}
