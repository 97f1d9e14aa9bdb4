//! Failures as the fields of one exception, for bindings whose errors are exception objects
//! (Python's `PolicyError`/`IncidentError`, a JavaScript `Error` with properties): the text
//! the exception shows, the first error's fields, and every error. A binding sets each
//! serialised field as an attribute; it chooses nothing and words nothing itself.

use super::{Error, RecordError};
use crate::diagnostic::{DetailedError, Severity};
use crate::incident::IncidentError;
use crate::CompileError;
use serde::Serialize;

/// A policy that did not compile. The place fields are those of its first error (else its
/// first diagnostic); `diagnostics` holds them all, errors and warnings.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyFailure {
    /// The exception's text: the first error on one line, and how many more there are.
    #[serde(skip)]
    pub text: String,
    /// The first error's message.
    pub message: String,
    /// Its stable code.
    pub code: Option<String>,
    /// Its file.
    pub file: Option<String>,
    /// Its 1-based line.
    pub line: Option<usize>,
    /// Its 1-based column.
    pub column: Option<usize>,
    /// Its hint.
    pub help: Option<String>,
    /// Every diagnostic rendered rustc-style.
    pub rendered: String,
    /// Every diagnostic (a binding makes its own diagnostic objects of them).
    #[serde(skip)]
    pub diagnostics: Vec<DetailedError>,
}

impl From<&CompileError> for PolicyFailure {
    fn from(err: &CompileError) -> Self {
        let diagnostics = err.detailed();
        let first = diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
            .or(diagnostics.first())
            .cloned();
        let text = err.to_string();
        let (message, code, file, line, column, help) = match first {
            Some(d) => (d.message, Some(d.code), d.file, d.line, d.column, d.help),
            None => (text.clone(), None, None, None, None, None),
        };
        PolicyFailure {
            text,
            message,
            code,
            file,
            line,
            column,
            help,
            rendered: err.render(),
            diagnostics,
        }
    }
}

/// A rejected incident record: the first error's fields, the record's `index` in a batch
/// (then every key starts with `[index]` and every message with `incident [index]: `), and
/// every error.
#[derive(Clone, Debug, Serialize)]
pub struct RecordFailure {
    /// The exception's text: the first error's message.
    #[serde(skip)]
    pub text: String,
    /// The first error's key path.
    pub key: String,
    /// What was expected there.
    pub expected: String,
    /// The first error's message.
    pub message: String,
    /// Its stable code.
    pub code: String,
    /// The record's position in a batch.
    pub index: Option<usize>,
    /// Every error of the record.
    pub errors: Vec<RecordError>,
}

impl RecordFailure {
    /// The failure of a record with errors `errs` (at `index` in a batch).
    pub fn new(errs: Vec<IncidentError>, index: Option<usize>) -> Self {
        let errors: Vec<RecordError> = errs
            .into_iter()
            .map(|e| match index {
                Some(i) => e.in_batch(i),
                None => e,
            })
            .map(|e| RecordError::from(&e))
            .collect();
        let first = errors.first().cloned();
        let (key, expected, message, code) =
            first.map_or_else(Default::default, |e| (e.key, e.expected, e.message, e.code));
        RecordFailure {
            text: message.clone(),
            key,
            expected,
            message,
            code,
            index,
            errors,
        }
    }
}

impl DetailedError {
    /// One line naming the diagnostic: `warning[code] at file:line:column: message` (the
    /// place only when it has one).
    pub fn summary(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = match (&self.file, self.line, self.column) {
            (Some(file), Some(line), Some(column)) => format!(" at {file}:{line}:{column}"),
            _ => String::new(),
        };
        format!("{severity}[{}]{at}: {}", self.code, self.message)
    }
}

impl crate::CheckReport {
    /// Every diagnostic as data, in source order (what a binding's `check` returns).
    pub fn detailed(&self) -> Vec<DetailedError> {
        let each = |d: &crate::Diagnostic| d.detailed(&self.sources);
        self.diagnostics.iter().map(each).collect()
    }
}

impl Error {
    /// The message of this error.
    pub fn message(&self) -> &str {
        match self {
            Error::Policy(d) => &d.message,
            Error::Incident(e) => &e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckOptions, NoModules, Policy};

    #[test]
    fn policy_failures_carry_the_first_error_and_all() {
        let text = "policy t \"T\" {\n  version \"1\"\n}\nrule r {\n  when category is x\n  must notify y\n}\n";
        let Err(err) = Policy::compile("t.haven", text, &NoModules, &CheckOptions::default())
        else {
            panic!("compiled a broken policy");
        };
        let f = PolicyFailure::from(&err);
        assert_eq!(f.text, err.to_string());
        assert!(f.diagnostics.len() >= 2);
        let first = f.diagnostics.iter().find(|d| d.severity == Severity::Error);
        assert_eq!(f.code.as_deref(), first.map(|d| d.code.as_str()));
        assert_eq!(f.line, first.and_then(|d| d.line));
        assert!(f.rendered.contains("error["));
        let one = first.map(DetailedError::summary).unwrap_or_default();
        assert!(one.starts_with("error[haven::") && one.contains(" at t.haven:"));
        let report = crate::check("t.haven", text, &NoModules, &CheckOptions::default());
        let detailed = report.detailed();
        assert_eq!(detailed.len(), report.diagnostics.len());
        assert!(detailed.iter().any(|d| Some(&d.code) == f.code.as_ref()));
    }

    #[test]
    fn record_failures_name_the_record_in_a_batch() {
        let errs = vec![
            IncidentError::not_finite("actor.age", "NaN"),
            IncidentError::key_not_string("facts", "1"),
        ];
        let f = RecordFailure::new(errs, Some(3));
        assert_eq!((f.key.as_str(), f.index), ("[3].actor.age", Some(3)));
        assert_eq!(f.text, f.message);
        assert!(f.message.starts_with("incident [3]: "));
        assert_eq!(f.errors.len(), 2);
        assert_eq!(f.code, "haven::incident::not_json");
        let none = RecordFailure::new(Vec::new(), None);
        assert!(none.errors.is_empty() && none.key.is_empty());
    }
}
