#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod api;
mod check;
mod decision;
mod describe;
mod diagnostic;
mod diff;
mod eval;
mod explain;
mod incident;
mod ir;
mod limits;
mod mcdc;
pub mod modal;
pub mod render;
pub mod scenario;
mod source;
pub mod syntax;
mod witness;

pub use api::{Answer, IncidentErrorJson};
pub use check::{CheckOptions, LoadError, Loader, MapLoader, NoModules};
pub use decision::{ActionView, Decision, Question, Status};
pub use diagnostic::{DetailedError, DetailedLabel, Diagnostic, Label, Severity};
pub use diff::{compare, DiffClass, DiffOptions, DiffReport, Difference, Outcome};
pub use explain::{
    apply_changes, set_path, ActionExplanation, ActionKey, Change, Counterfactual, ExplainOptions,
    Explanation, Goal, NextQuestion, NextQuestions, Overridden, PermissionExplanation, Producer,
    QuestionGroup, RuleReason, WhyNot,
};
pub use incident::{Incident, IncidentError};
pub use limits::Limits;
pub use mcdc::{CriterionCoverage, PartCoverage};
pub use source::{SourceFile, SourceId, Sources, Span, Spanned};
pub use syntax::ast::{Date, Modality, TargetMode, Verdict};

use std::fmt;

/// A checked, compiled policy: compile once, evaluate many. `Send + Sync`, so one policy
/// can serve every thread.
#[derive(Clone, Debug)]
pub struct Policy {
    ir: ir::PolicyIr,
    sources: Sources,
    warnings: Vec<Diagnostic>,
    limits: Limits,
}

/// Why a policy did not compile: every diagnostic found, with the sources to render them.
#[derive(Clone, Debug)]
pub struct CompileError {
    /// The files read.
    pub sources: Sources,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl CompileError {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// Every diagnostic rendered rustc-style.
    pub fn render(&self) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(&self.sources))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every diagnostic as data.
    pub fn detailed(&self) -> Vec<DetailedError> {
        self.diagnostics
            .iter()
            .map(|d| d.detailed(&self.sources))
            .collect()
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        match self.errors().next() {
            Some(first) => {
                write!(f, "{}", first.render_plain(&self.sources))?;
                if n > 1 {
                    write!(
                        f,
                        " (and {} more error{})",
                        n - 1,
                        if n == 2 { "" } else { "s" }
                    )?;
                }
                Ok(())
            }
            None => f.write_str("policy did not compile"),
        }
    }
}

impl std::error::Error for CompileError {}

/// Everything `check` found: diagnostics plus the sources to render them.
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// The files read.
    pub sources: Sources,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckReport {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// A policy file's bytes as text. Bytes that are not UTF-8 give a [`CompileError`] with one
/// `haven::source::not_utf8` error at the first bad byte (line and column), never a guess.
pub fn decode_source(name: &str, bytes: Vec<u8>) -> Result<String, CompileError> {
    String::from_utf8(bytes).map_err(|e| {
        let mut sources = Sources::new();
        let (_, diagnostic) = source::not_utf8(&mut sources, name, "", e.as_bytes());
        CompileError {
            sources,
            diagnostics: vec![diagnostic],
        }
    })
}

/// Policy text that came as UTF-16 (a JavaScript string) holding an unpaired surrogate, which
/// has no UTF-8 form. `text` is the string as converted (the surrogate became U+FFFD) and
/// `offset` the byte where that U+FFFD is: a [`CompileError`] with one
/// `haven::source::unpaired_surrogate` error there, rather than compiling altered text.
pub fn unpaired_surrogate(name: &str, text: String, offset: usize) -> CompileError {
    let mut sources = Sources::new();
    let id = sources.add(name, "", text);
    let diagnostic = Diagnostic::error(
        "haven::source::unpaired_surrogate",
        "text holds half of a UTF-16 surrogate pair, which is not a character",
        Span::new(id, offset, offset + '\u{fffd}'.len_utf8()),
    )
    .with_label("unpaired surrogate")
    .with_help("this usually comes from cutting a string in the middle of an emoji or other character outside the Basic Multilingual Plane");
    CompileError {
        sources,
        diagnostics: vec![diagnostic],
    }
}

/// The classes of incidents `old` and `new` answer differently, each with a witness
/// incident verified under both (see the `diff` module's method).
pub fn diff(old: &Policy, new: &Policy, opts: &DiffOptions) -> DiffReport {
    diff::diff(old, new, opts)
}

/// Parse and check a policy without keeping the compiled form.
pub fn check(name: &str, text: &str, loader: &dyn Loader, opts: &CheckOptions) -> CheckReport {
    let mut sources = Sources::new();
    let root = sources.add(name, "", text);
    let (_, diagnostics) = check::compile(&mut sources, root, loader, opts);
    CheckReport {
        sources,
        diagnostics,
    }
}

impl Policy {
    /// Parse, check and compile a policy. `loader` finds the modules it `use`s and the
    /// policy it `extends`.
    pub fn compile(
        name: &str,
        text: &str,
        loader: &dyn Loader,
        opts: &CheckOptions,
    ) -> Result<Policy, CompileError> {
        let mut sources = Sources::new();
        let root = sources.add(name, "", text);
        let (ir, diagnostics) = check::compile(&mut sources, root, loader, opts);
        match ir {
            Some(ir) => Ok(Policy {
                ir,
                sources,
                warnings: diagnostics,
                limits: opts.limits.clone(),
            }),
            None => Err(CompileError {
                sources,
                diagnostics,
            }),
        }
    }

    /// The policy id, e.g. `kenilworth_2022`.
    pub fn id(&self) -> &str {
        &self.ir.meta.id
    }

    /// The version string, if the header gives one.
    pub fn version(&self) -> Option<&str> {
        self.ir.meta.version.as_deref()
    }

    /// The title.
    pub fn title(&self) -> Option<&str> {
        self.ir.meta.title.as_deref()
    }

    /// Warnings found while checking.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The files this policy was compiled from.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// Ids of every rule and table row (table rows are `table/N`).
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.ir.rules.iter().map(|r| r.id.as_str())
    }

    /// Ids of the rules and rows of the root policy (not the baseline it extends).
    pub fn own_rule_ids(&self) -> impl Iterator<Item = &str> {
        self.ir
            .rules
            .iter()
            .filter(|r| r.depth == 0)
            .map(|r| r.id.as_str())
    }

    /// The ids of the policy's layers, itself first, then what it extends, to any depth.
    pub fn layers(&self) -> &[String] {
        &self.ir.layers
    }

    /// Validate an incident given as JSON text.
    pub fn incident_from_json(&self, text: &str) -> Result<Incident, IncidentError> {
        Incident::from_json(&self.ir, text, &self.limits)
    }

    /// Validate an incident given as a JSON value.
    pub fn incident_from_value(
        &self,
        value: &serde_json::Value,
    ) -> Result<Incident, IncidentError> {
        Incident::from_value(&self.ir, value, &self.limits)
    }

    /// Criterion coverage (MC/DC-style) of the policy's own rules by named scenario
    /// incidents: for each test and criterion of each rule's condition, a scenario in which
    /// it alone flips the condition, or a proposed incident that would.
    pub fn criterion_coverage(&self, scenarios: &[(String, Incident)]) -> CriterionCoverage {
        mcdc::coverage(&self.ir, scenarios)
    }

    /// A validated incident as a record again (facts the vocabulary's relations settle are
    /// filled in; unknown fields are left out).
    pub fn incident_to_json(&self, incident: &Incident) -> serde_json::Value {
        witness::record_json(&self.ir, incident)
    }

    /// Evaluate a validated incident.
    pub fn evaluate(&self, incident: &Incident) -> Decision<'_> {
        eval::evaluate(&self.ir, incident)
    }

    /// Validate and evaluate JSON text in one step.
    pub fn evaluate_json(&self, text: &str) -> Result<Decision<'_>, IncidentError> {
        let incident = self.incident_from_json(text)?;
        Ok(self.evaluate(&incident))
    }

    /// Why the decision on `incident` is what it is: the rules, cited sentences, layers and
    /// condition parts behind each action and the permission, with minimal counterfactuals.
    /// Never called by [`Policy::evaluate`]: explanation costs nothing unless asked for.
    pub fn explain(&self, incident: &Incident, opts: &ExplainOptions) -> Explanation {
        explain::explain(&self.ir, incident, opts)
    }

    /// Why the decision does not satisfy `goal`, and the minimal fact changes that would.
    pub fn why_not(&self, incident: &Incident, goal: &Goal, opts: &ExplainOptions) -> WhyNot {
        explain::why_not(&self.ir, incident, goal, opts)
    }

    /// Evaluate with the explanation attached as the decision's `explain` key, and, while
    /// questions remain, the guided questions as `next_questions`.
    pub fn evaluate_explained(&self, incident: &Incident, opts: &ExplainOptions) -> Decision<'_> {
        let mut d = self.evaluate(incident);
        let e = self.explain(incident, opts);
        d.insert_extra(
            "explain",
            serde_json::to_value(&e).unwrap_or(serde_json::Value::Null),
        );
        if !d.questions().is_empty() {
            let n = self.next_questions(incident);
            d.insert_extra(
                "next_questions",
                serde_json::to_value(&n).unwrap_or(serde_json::Value::Null),
            );
        }
        d
    }

    /// The open questions grouped by the action they settle, and ordered best first.
    pub fn next_questions(&self, incident: &Incident) -> NextQuestions {
        explain::next_questions(&self.ir, incident)
    }

    /// How many questions an interview asks to complete the decision on `full`, starting
    /// from its category and activity alone; `guided` asks in [`Policy::next_questions`]
    /// order, otherwise in the decision's order (most severe first).
    pub fn interview_length(&self, full: &Incident, guided: bool) -> usize {
        explain::interview_length(&self.ir, full, guided)
    }

    /// Validate and evaluate JSON text, answering with the decision JSON (the version-1
    /// contract) as text: the whole round trip an MIS integration makes.
    pub fn evaluate_json_to_string(&self, text: &str) -> Result<String, IncidentError> {
        let decision = self.evaluate_json(text)?;
        Ok(serde_json::to_string(&decision).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn policy_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::Policy>();
    }
}
