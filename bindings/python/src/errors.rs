//! `haven.PolicyError`, `haven.IncidentError` and `haven.Diagnostic`: haven-core's
//! `DetailedError` and `IncidentError` as Python objects.
//!
//! The exceptions are `create_exception!` types carrying their fields as instance
//! attributes: pyo3 can subclass `ValueError` with a `#[pyclass]` only on the abi3 floor
//! 3.12, and this wheel's floor is 3.9.

use crate::convert::{ConvertError, ConvertErrorKind};
use haven_core::{CompileError, DetailedError, Severity};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;

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
    "An incident record was rejected.\n\nAttributes: `key` (the offending key path, e.g. `actor.age`; in `evaluate_many` it\nstarts with the record's index, e.g. `[17].actor.age`), `expected`, `code`,\n`message`, and `index` (the record's position in `evaluate_many`, else `None`)."
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
        let loc = match (&self.file, self.line, self.column) {
            (Some(file), Some(line), Some(column)) => format!(" at {file}:{line}:{column}"),
            _ => String::new(),
        };
        format!(
            "<Diagnostic {}[{}]{loc}: {}>",
            self.severity, self.code, self.message
        )
    }

    fn __str__(&self) -> String {
        self.rendered.clone()
    }
}

impl From<DetailedError> for Diagnostic {
    fn from(d: DetailedError) -> Self {
        Diagnostic {
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            code: d.code,
            message: d.message,
            file: d.file,
            line: d.line,
            column: d.column,
            help: d.help,
            rendered: d.rendered,
        }
    }
}

/// `haven.PolicyError` from a compile failure: the first error's fields, every diagnostic.
pub(crate) fn policy_error(py: Python<'_>, err: &CompileError) -> PyErr {
    let detailed = err.detailed();
    let first = detailed
        .iter()
        .find(|d| d.severity == Severity::Error)
        .or_else(|| detailed.first())
        .cloned();
    let pyerr = PolicyError::new_err(err.to_string());
    let res = (|| -> PyResult<()> {
        let value = pyerr.value(py);
        let (message, code, file, line, column, help) = match first {
            Some(d) => (d.message, d.code, d.file, d.line, d.column, d.help),
            None => (
                "policy did not compile".to_owned(),
                "haven::check::failed".to_owned(),
                None,
                None,
                None,
                None,
            ),
        };
        value.setattr("message", message)?;
        value.setattr("code", code)?;
        value.setattr("file", file)?;
        value.setattr("line", line)?;
        value.setattr("column", column)?;
        value.setattr("help", help)?;
        value.setattr("rendered", err.render())?;
        let diagnostics = detailed
            .into_iter()
            .map(|d| Bound::new(py, Diagnostic::from(d)))
            .collect::<PyResult<Vec<_>>>()?;
        value.setattr("diagnostics", PyList::new(py, diagnostics)?)?;
        Ok(())
    })();
    match res {
        Ok(()) => pyerr,
        Err(e) => e,
    }
}

/// The fields of an `IncidentError`, whichever side found the problem.
pub(crate) struct IncidentFields {
    pub(crate) key: String,
    pub(crate) expected: String,
    pub(crate) message: String,
    pub(crate) code: String,
}

impl From<&haven_core::IncidentError> for IncidentFields {
    fn from(e: &haven_core::IncidentError) -> Self {
        IncidentFields {
            key: e.key.clone(),
            expected: e.expected.clone(),
            message: e.message.clone(),
            code: e.code.to_owned(),
        }
    }
}

impl From<&ConvertError> for IncidentFields {
    fn from(e: &ConvertError) -> Self {
        let key = e.key();
        let at = if key.is_empty() {
            "the record".to_owned()
        } else {
            format!("`{key}`")
        };
        let not_json = "haven::incident::not_json";
        let (code, expected, message) = match &e.kind {
            ConvertErrorKind::NotADict { found } => (
                "haven::incident::wrong_type",
                "a dict".to_owned(),
                format!("an incident must be a dict, found {found}"),
            ),
            ConvertErrorKind::Unsupported { found } => (
                not_json,
                "None, bool, int, float, str, list, tuple or dict".to_owned(),
                format!(
                    "{at} must be JSON-like data (None, bool, int, float, str, list, tuple or dict), found {found}"
                ),
            ),
            ConvertErrorKind::NotFinite { found } => (
                not_json,
                "a finite number".to_owned(),
                format!("{at} must be a finite number, found {found}"),
            ),
            ConvertErrorKind::TooLarge => (
                "haven::incident::out_of_range",
                "a number that fits in 64 bits".to_owned(),
                format!("{at} is too large a number"),
            ),
            ConvertErrorKind::NonStringKey { found } => (
                not_json,
                "str keys".to_owned(),
                format!("{at} has a key that is not a string: {found}"),
            ),
            ConvertErrorKind::BadString => (
                not_json,
                "a string of valid Unicode".to_owned(),
                format!("{at} holds a string that is not valid Unicode"),
            ),
            ConvertErrorKind::TooDeep { limit } => (
                "haven::incident::too_deep",
                format!("at most {limit} levels of nesting"),
                format!("incident record is nested too deeply (limit {limit})"),
            ),
            ConvertErrorKind::ListTooLong { len, limit } => {
                let core = haven_core::IncidentError::list_too_long(&key, *len, *limit);
                (core.code, core.expected, core.message)
            }
        };
        IncidentFields {
            key,
            expected,
            message,
            code: code.to_owned(),
        }
    }
}

/// `haven.IncidentError`; `index` is the record's position in `evaluate_many`.
pub(crate) fn incident_error(
    py: Python<'_>,
    fields: IncidentFields,
    index: Option<usize>,
) -> PyErr {
    let IncidentFields {
        key,
        expected,
        message,
        code,
    } = fields;
    let (key, message) = match index {
        Some(i) => (
            format!("[{i}]{}{key}", if key.is_empty() { "" } else { "." }),
            format!("incident [{i}]: {message}"),
        ),
        None => (key, message),
    };
    let pyerr = IncidentError::new_err(message.clone());
    let res = (|| -> PyResult<()> {
        let value = pyerr.value(py);
        let one = pyo3::types::PyDict::new(py);
        one.set_item("code", &code)?;
        one.set_item("key", &key)?;
        one.set_item("expected", &expected)?;
        one.set_item("message", &message)?;
        value.setattr("errors", vec![one])?;
        value.setattr("key", key)?;
        value.setattr("expected", expected)?;
        value.setattr("message", message)?;
        value.setattr("code", code)?;
        value.setattr("index", index)?;
        Ok(())
    })();
    match res {
        Ok(()) => pyerr,
        Err(e) => e,
    }
}

/// `haven.IncidentError` for a record core rejected: the first error's fields, and every
/// error (core's codes, keys and messages) in `errors`.
pub(crate) fn incident_errors(
    py: Python<'_>,
    errs: &[haven_core::IncidentError],
    index: Option<usize>,
) -> PyErr {
    let Some(first) = errs.first() else {
        return pyo3::exceptions::PyRuntimeError::new_err("no incident error");
    };
    let pyerr = incident_error(py, IncidentFields::from(first), index);
    let res = (|| -> PyResult<()> {
        let mut all = Vec::with_capacity(errs.len());
        for e in errs {
            let d = pyo3::types::PyDict::new(py);
            let key = match index {
                Some(i) if e.key.is_empty() => format!("[{i}]"),
                Some(i) => format!("[{i}].{}", e.key),
                None => e.key.clone(),
            };
            d.set_item("code", e.code)?;
            d.set_item("key", key)?;
            d.set_item("expected", &e.expected)?;
            d.set_item("message", &e.message)?;
            all.push(d);
        }
        pyerr.value(py).setattr("errors", all)?;
        Ok(())
    })();
    match res {
        Ok(()) => pyerr,
        Err(e) => e,
    }
}
