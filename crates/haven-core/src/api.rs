//! The answer envelope: what `haven … --format json`, the Python binding and the WASM binding
//! give back, as data. Every error code and message a caller can see is made here or deeper in
//! core; a binding only converts values in (through [`data`], from any serde data format) and
//! serialises [`Answer`]s out.
//!
//! Shapes (typed in `bindings/wasm/types.d.ts` and `bindings/python/python/haven/types.py`):
//! - an [`Answer`] is `{"type":"success","decision":…,"warnings":[…]}` (with `explain` and
//!   `next_questions` when asked for) or `{"type":"failure","errors":[…]}`;
//! - an [`Error`] is a policy diagnostic ([`DetailedError`]) or an incident error
//!   ([`RecordError`]), tagged `"kind": "policy"` or `"kind": "incident"`.

pub mod batch;
pub mod bench;
pub mod data;
pub mod exception;
pub mod host;
pub mod options;
pub mod source;

pub use exception::{PolicyFailure, RecordFailure};

use crate::diagnostic::{DetailedError, Severity};
use crate::explain::{ExplainOptions, Explanation, Goal, NextQuestions};
use crate::incident::IncidentError;
use crate::syntax::ast::{Modality, Verdict};
use crate::{Decision, Incident, Policy};
use serde::Serialize;

/// The answer to "evaluate this", as data.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Answer<'a> {
    /// A decision.
    Success(Box<Success<'a>>),
    /// The incident (or an argument) was rejected.
    Failure {
        /// Every error found, not only the first.
        errors: Vec<Error>,
    },
}

/// A decision with what comes beside it.
#[derive(Clone, Debug, Serialize)]
pub struct Success<'a> {
    /// The decision in the version-1 contract shape.
    pub decision: Decision<'a>,
    /// The policy's warnings. `None` is written as `null`: a binding that shares one warnings
    /// value between answers fills it in.
    pub warnings: Option<&'a [Error]>,
    /// Why the decision is what it is, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explanation>,
    /// The guided questions, when asked for and questions remain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_questions: Option<NextQuestions>,
}

impl<'a> Answer<'a> {
    /// Evaluate a validated incident (with the explanation and guided questions when
    /// `explain` is given).
    pub fn decide(
        policy: &'a Policy,
        incident: &Incident,
        warnings: Option<&'a [Error]>,
        explain: Option<&ExplainOptions>,
    ) -> Answer<'a> {
        let decision = policy.evaluate(incident);
        let next_questions = (explain.is_some() && !decision.questions().is_empty())
            .then(|| policy.next_questions(incident));
        Answer::Success(Box::new(Success {
            decision,
            warnings,
            explain: explain.map(|opts| policy.explain(incident, opts)),
            next_questions,
        }))
    }

    /// Read and evaluate JSON text: every error of a rejected record, positions included.
    pub fn from_json(policy: &'a Policy, text: &str, warnings: Option<&'a [Error]>) -> Self {
        match policy.incident_from_json_all(text) {
            Ok(incident) => Answer::decide(policy, &incident, warnings, None),
            Err(errs) => Answer::rejected(&errs),
        }
    }

    /// A failure holding incident errors.
    pub fn rejected(errs: &[IncidentError]) -> Self {
        Answer::Failure {
            errors: errs.iter().map(|e| Error::Incident(e.into())).collect(),
        }
    }

    /// A failure holding policy diagnostics (or a wrong argument).
    pub fn failure(errors: Vec<Error>) -> Self {
        Answer::Failure { errors }
    }
}

/// The answer of an explanation call in the bindings: `{"type":"success", <key>: …}` with
/// exactly one of `decision` (evaluated with its `explain` and, while questions remain,
/// `next_questions`, as `haven explain --format json` prints it), `whyNot` (`--why-not`),
/// `nextQuestions` or `report` (`haven diff --format json`). A rejected incident or a wrong
/// argument is an [`Answer::Failure`].
#[derive(Clone, Debug, Default, Serialize)]
#[serde(tag = "type", rename = "success", rename_all = "camelCase")]
pub struct Explained {
    /// The explained decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<serde_json::Value>,
    /// Why not a goal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_not: Option<crate::explain::WhyNot>,
    /// The guided questions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_questions: Option<NextQuestions>,
    /// The semantic diff of two policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<crate::diff::DiffReport>,
}

impl Explained {
    /// The decision on `incident` with its explanation.
    pub fn explain(policy: &Policy, incident: &Incident) -> Self {
        let d = policy.evaluate_explained(incident, &ExplainOptions::default());
        Explained {
            decision: Some(d.to_json()),
            ..Explained::default()
        }
    }

    /// The minimal fact changes that would reach `goal`, or why none can.
    pub fn why_not(policy: &Policy, incident: &Incident, goal: &Goal) -> Self {
        Explained {
            why_not: Some(policy.why_not(incident, goal, &ExplainOptions::default())),
            ..Explained::default()
        }
    }

    /// The open questions grouped by the action they settle, best first.
    pub fn next_questions(policy: &Policy, incident: &Incident) -> Self {
        Explained {
            next_questions: Some(policy.next_questions(incident)),
            ..Explained::default()
        }
    }

    /// The classes of incidents on which `old` and `new` answer differently.
    pub fn diff(old: &Policy, new: &Policy) -> Self {
        Explained {
            report: Some(crate::diff(old, new, &crate::DiffOptions::default())),
            ..Explained::default()
        }
    }
}

/// One error (or warning) as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Error {
    /// A policy diagnostic, or an argument of the wrong type (then without a position).
    Policy(DetailedError),
    /// A rejected incident record.
    Incident(RecordError),
}

impl Error {
    /// Policy diagnostics as errors.
    pub fn policy(diagnostics: Vec<DetailedError>) -> Vec<Error> {
        diagnostics.into_iter().map(Error::Policy).collect()
    }

    /// An argument of the wrong type (`haven::api::wrong_argument`), e.g. a number where the
    /// policy source belongs. `found` names what came, in the caller's language.
    pub fn wrong_argument(argument: &str, expected: &str, found: &str) -> Error {
        let message = format!("`{argument}` must be {expected}, found {found}");
        Error::Policy(DetailedError::unlocated(
            "haven::api::wrong_argument",
            message,
        ))
    }
}

/// An incident error as data: core's code, key path, what was expected, the message, and
/// `line`/`column` where the record was text and the error has a place in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// Always `error`.
    pub severity: Severity,
    /// Stable code.
    pub code: String,
    /// The whole message.
    pub message: String,
    /// The offending key path.
    pub key: String,
    /// What was expected there.
    pub expected: String,
    /// 1-based line in the text, if any.
    pub line: Option<usize>,
    /// 1-based column in the text, if any.
    pub column: Option<usize>,
}

impl From<&IncidentError> for RecordError {
    fn from(e: &IncidentError) -> Self {
        RecordError {
            severity: Severity::Error,
            code: e.code.to_owned(),
            message: e.message.clone(),
            key: e.key.clone(),
            expected: e.expected.clone(),
            line: e.line,
            column: e.column,
        }
    }
}

/// The former name of [`RecordError`].
pub type IncidentErrorJson = RecordError;

/// A rejected line of a JSON Lines batch, as `haven eval --format json` prints it: the line
/// number, the first error and every error.
#[derive(Clone, Debug, Serialize)]
pub struct RejectedLine {
    /// 1-based line of the batch.
    pub line: usize,
    /// The first error.
    pub error: Option<RecordError>,
    /// Every error.
    pub errors: Vec<RecordError>,
}

impl RejectedLine {
    /// The rejection of the record on `line`.
    pub fn new(line: usize, errs: &[IncidentError]) -> Self {
        let errors: Vec<RecordError> = errs.iter().map(RecordError::from).collect();
        RejectedLine {
            line,
            error: errors.first().cloned(),
            errors,
        }
    }
}

impl IncidentError {
    /// This error as the `index`-th record of a batch: the key starts with `[index]` and the
    /// message with `incident [index]: `.
    pub fn in_batch(mut self, index: usize) -> Self {
        self.key = if self.key.is_empty() {
            format!("[{index}]")
        } else {
            format!("[{index}].{}", self.key)
        };
        self.message = format!("incident [{index}]: {}", self.message);
        self
    }
}

/// The goal of a "why not …?" question, in the words `haven explain --why-not` takes: an
/// action with its target (`refer police`, `must_not confiscate_device`; the modality
/// defaults to `must`) or a verdict (`allowed`, `allowed_if`, `not_allowed`).
pub fn goal(words: &str) -> Result<Goal, Box<Error>> {
    let mut words = words.split_whitespace().peekable();
    let verdict = match words.peek().copied() {
        Some("allowed") => Some(Verdict::Allowed),
        Some("allowed_if") => Some(Verdict::AllowedIf),
        Some("not_allowed") => Some(Verdict::NotAllowed),
        _ => None,
    };
    if let Some(v) = verdict {
        return Ok(Goal::Verdict(v));
    }
    let modality = match words.peek().copied() {
        Some("must") => Some(Modality::Must),
        Some("must_not") => Some(Modality::MustNot),
        Some("should") => Some(Modality::Should),
        Some("should_not") => Some(Modality::ShouldNot),
        Some("may") => Some(Modality::May),
        _ => None,
    };
    if modality.is_some() {
        words.next();
    }
    let rest: Vec<&str> = words.collect();
    if rest.is_empty() {
        return Err(Box::new(Error::wrong_argument(
            "why_not",
            "an action (e.g. `refer police`) or a verdict (`allowed`, `allowed_if`, `not_allowed`)",
            "no action",
        )));
    }
    Ok(Goal::Gain {
        modality: modality.unwrap_or(Modality::Must),
        expectation: rest.join(" "),
    })
}

/// A scenario's result as data (`haven test --format json`, `Policy.run_scenarios`).
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioOutcome<'a> {
    /// Its name.
    pub name: &'a str,
    /// What it cites.
    pub cites: &'a str,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed (empty if it passed).
    pub failures: &'a [String],
}

impl<'a> From<&'a crate::scenario::ScenarioResult> for ScenarioOutcome<'a> {
    fn from(r: &'a crate::scenario::ScenarioResult) -> Self {
        ScenarioOutcome {
            name: &r.name,
            cites: &r.cites,
            passed: r.passed(),
            failures: &r.failures,
        }
    }
}

/// Messages for misuse of a binding's API that is not about a record or a policy.
pub mod usage {
    /// `evaluate_many` was given one record.
    pub const MANY_NOT_ONE: &str =
        "evaluate_many takes an iterable of incident records; use evaluate for a single incident";
    /// `Auditor.evaluate_json` with lists of different lengths.
    pub const LENGTHS: &str = "schools and incidents differ in length";
    /// The internal-error message for a panic caught at the boundary.
    pub const INTERNAL: &str =
        "internal error in haven-core (a bug: please report it with the input that caused it)";

    /// A bundled policy id that is not one.
    pub fn no_bundled(id: &str, ids: &[&str]) -> String {
        format!(
            "no bundled policy `{id}`: the bundled policies are {}",
            ids.join(", ")
        )
    }

    /// An unknown school in an auditor.
    pub fn no_school(school: &str) -> String {
        format!("no school `{school}` is loaded")
    }

    /// A text that should have been an audit summary or report.
    pub fn not_a(what: &str, why: impl std::fmt::Display) -> String {
        format!("not {what}: {why}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_read_like_the_cli() {
        assert!(matches!(
            goal("allowed"),
            Ok(Goal::Verdict(Verdict::Allowed))
        ));
        let Ok(Goal::Gain {
            modality,
            expectation,
        }) = goal("must_not confiscate_device")
        else {
            panic!("not a gain");
        };
        assert_eq!(modality, Modality::MustNot);
        assert_eq!(expectation, "confiscate_device");
        assert!(goal("must").is_err());
    }

    #[test]
    fn batch_errors_name_the_record() {
        let e = IncidentError::list_too_long("others", 2000, 1000).in_batch(17);
        assert_eq!(e.key, "[17].others");
        assert!(e.message.starts_with("incident [17]: "));
    }
}
