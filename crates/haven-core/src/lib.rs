#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod api;
mod check;
mod decision;
mod describe;
mod diagnostic;
mod diff;
mod due;
mod eval;
mod explain;
mod incident;
mod ir;
mod limits;
mod mcdc;
pub mod modal;
mod model;
mod question;
pub mod record;
pub mod render;
pub mod scenario;
mod schema;
mod source;
pub mod syntax;
mod witness;

pub use api::{Answer, IncidentErrorJson, RecordError};
pub use check::{Cached, CheckOptions, LoadError, Loader, MapLoader, ModuleCache, NoModules};
pub use decision::{ActionView, Decision, Question, Status};
pub use diagnostic::{DetailedError, DetailedLabel, Diagnostic, Fix, Label, Severity};
pub use diff::{compare, DiffClass, DiffOptions, DiffReport, Difference, Outcome};
pub use explain::{
    apply_changes, set_path, ActionExplanation, ActionKey, Change, Counterfactual, ExplainOptions,
    Explanation, Goal, NextQuestion, NextQuestions, Overridden, PermissionExplanation, Producer,
    QuestionGroup, RuleReason, WhyNot,
};
/// The school calendar (`calendar.toml`, bank holidays, deadline rules) a policy carries.
pub use haven_calendar as calendar;
pub use incident::{Incident, IncidentError};
pub use limits::Limits;
pub use mcdc::{CriterionCoverage, PartCoverage};
pub use schema::{CONTRACT_VERSION, DRAFT as SCHEMA_DRAFT};
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
    calendar: Option<std::sync::Arc<SchoolCalendar>>,
    /// The root file's syntax tree, as the checker parsed it (for `render`).
    root: std::sync::Arc<syntax::ast::File>,
    /// The decision JSON's fixed texts, escaped on first use (`evaluate_json_to_string`).
    json_texts: std::sync::OnceLock<decision::JsonTexts>,
}

/// The school calendar a policy carries: the file it came from and what it says.
#[derive(Clone, Debug)]
struct SchoolCalendar {
    name: String,
    text: String,
    calendar: haven_calendar::Calendar,
}

/// The calendar the loader finds with the policy (`calendar.toml` beside it), if any: a
/// calendar that cannot be read or parsed is a located error in `sources`.
fn load_calendar(
    sources: &mut Sources,
    loader: &dyn Loader,
) -> Result<Option<SchoolCalendar>, Box<Diagnostic>> {
    match loader.calendar() {
        Ok(None) => Ok(None),
        Ok(Some((name, text))) => parse_calendar(sources, name, text).map(Some),
        Err(LoadError::NotUtf8 { name, bytes }) => {
            Err(Box::new(diagnostic::not_utf8(sources, &name, "", &bytes).1))
        }
        Err(LoadError::Io { name, message }) => {
            let id = sources.add(name.clone(), "", String::new());
            Err(Box::new(
                Diagnostic::error(
                    "haven::calendar::unreadable",
                    format!("cannot read the school calendar `{name}`: {message}"),
                    Span::new(id, 0, 0),
                )
                .with_help("fix the file's permissions, or remove it to use no calendar"),
            ))
        }
    }
}

/// Parse a `calendar.toml`; an error is a diagnostic located in its text (added to
/// `sources`).
fn parse_calendar(
    sources: &mut Sources,
    name: String,
    text: String,
) -> Result<SchoolCalendar, Box<Diagnostic>> {
    match haven_calendar::Calendar::from_toml(&text) {
        Ok(calendar) => Ok(SchoolCalendar {
            name,
            text,
            calendar,
        }),
        Err(e) => {
            let (start, end) = e.span.unwrap_or((0, 0));
            let id = sources.add(name, "", text);
            Err(Box::new(
                Diagnostic::error(
                    "haven::calendar::invalid",
                    e.message,
                    Span::new(id, start, end),
                )
                .with_label("here")
                .with_help("the format of calendar.toml is in docs/calendar.md"),
            ))
        }
    }
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
        let (_, diagnostic) = diagnostic::not_utf8(&mut sources, name, "", e.as_bytes());
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
    let (_, mut diagnostics) = check::compile(&mut sources, root, loader, opts);
    if let Err(d) = load_calendar(&mut sources, loader) {
        diagnostics.push(*d);
    }
    CheckReport {
        sources,
        diagnostics,
    }
}

/// The JSON Schema (draft 2020-12) of decision version 1, as `docs/schema/decision.v1.json`
/// holds it.
pub fn decision_schema() -> serde_json::Value {
    schema::decision()
}

impl Policy {
    /// The JSON Schema (draft 2020-12) of incident record version 1 for this policy's
    /// vocabulary. `closed`: only the names this policy declares; otherwise any well-formed
    /// name where a policy may extend the vocabulary (the committed
    /// `docs/schema/incident.v1.json` is the open schema of `policies/std`).
    pub fn incident_schema(&self, closed: bool) -> serde_json::Value {
        schema::incident(&self.ir, closed)
    }

    /// Parse, check and compile a policy. `loader` finds the modules it `use`s and the
    /// policy it `extends`, and the school calendar that goes with it
    /// ([`Loader::calendar`]: `calendar.toml` beside a policy on disk).
    pub fn compile(
        name: &str,
        text: &str,
        loader: &dyn Loader,
        opts: &CheckOptions,
    ) -> Result<Policy, CompileError> {
        let mut sources = Sources::new();
        let root = sources.add(name, "", text);
        let (ir, mut diagnostics) = check::compile(&mut sources, root, loader, opts);
        let calendar = match load_calendar(&mut sources, loader) {
            Ok(c) => c,
            Err(d) => {
                diagnostics.push(*d);
                None
            }
        };
        match ir {
            Some((ir, root)) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(Policy {
                ir: eval::prepared(ir),
                sources,
                warnings: diagnostics,
                limits: opts.limits.clone(),
                calendar: calendar.map(std::sync::Arc::new),
                root: std::sync::Arc::new(root),
                json_texts: std::sync::OnceLock::new(),
            }),
            _ => Err(CompileError {
                sources,
                diagnostics,
            }),
        }
    }

    /// The root file's syntax tree, as compiled (the renderers read it; nothing re-parses).
    pub fn root_syntax(&self) -> &syntax::ast::File {
        &self.root
    }

    /// The same policy with the school calendar given as `calendar.toml` text (`name` labels
    /// it in errors), replacing any the loader found: what a binding or service passes when
    /// the calendar does not sit beside the policy. A calendar that does not parse is a
    /// [`CompileError`] located in its text.
    pub fn with_calendar_toml(mut self, name: &str, text: &str) -> Result<Policy, CompileError> {
        match parse_calendar(&mut self.sources, name.to_owned(), text.to_owned()) {
            Ok(c) => {
                self.calendar = Some(std::sync::Arc::new(c));
                Ok(self)
            }
            Err(d) => Err(CompileError {
                sources: self.sources,
                diagnostics: vec![*d],
            }),
        }
    }

    /// The school calendar the policy carries (`None`: due times count every working day
    /// as a school day, and each decision with a `due` time says so in a note).
    pub fn calendar(&self) -> Option<&haven_calendar::Calendar> {
        self.calendar.as_deref().map(|c| &c.calendar)
    }

    /// The calendar's file name and text, as read.
    pub fn calendar_source(&self) -> Option<(&str, &str)> {
        self.calendar
            .as_deref()
            .map(|c| (c.name.as_str(), c.text.as_str()))
    }

    /// The policy id, e.g. `kenilworth_2022`.
    pub fn id(&self) -> &str {
        &self.ir.meta.id
    }

    /// The version string, if the header gives one.
    pub fn version(&self) -> Option<&str> {
        self.ir.meta.version.as_deref()
    }

    /// The policies this one `extends` (its deeper layers), as written in its header.
    pub fn extends(&self) -> &[String] {
        &self.ir.meta.extends
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

    /// Whether the vocabulary declares `name` as a token of `kind` (e.g. an action or a role),
    /// for tools that validate records naming actions, such as audit histories.
    pub fn has_token(&self, kind: syntax::ast::TokenKind, name: &str) -> bool {
        self.ir.vocab.lookup(kind, name).is_some()
    }

    /// Every token of `kind` the vocabulary declares, in declaration order (for deadlines:
    /// strictest first).
    pub fn token_names(&self, kind: syntax::ast::TokenKind) -> Vec<String> {
        self.ir.vocab.names(kind)
    }

    /// The ids of the policy's layers, itself first, then what it extends, to any depth.
    pub fn layers(&self) -> &[String] {
        &self.ir.layers
    }

    /// Every token of one kind the policy knows (its own, its modules' and its layers'), in
    /// declaration order: what a form offering the choices of this policy lists.
    pub fn tokens(&self, kind: syntax::ast::TokenKind) -> impl Iterator<Item = &str> {
        self.ir
            .vocab
            .tokens
            .get(kind.index())
            .into_iter()
            .flatten()
            .map(|t| t.name.as_str())
    }

    /// The policy's vocabulary as data: `{ "tokens": { "category": [...], "role": [...], … },
    /// "facts": [{ "name", "type", "ask", "values"? }], "person_facts": [...] }`, where `type`
    /// is `bool`, `int`, `role` or `enum` (with `values`) and `min`/`max` bound an `int`.
    pub fn vocabulary_json(&self) -> serde_json::Value {
        use syntax::ast::TokenKind;
        let tokens: serde_json::Map<String, serde_json::Value> = TokenKind::ALL
            .iter()
            .map(|k| {
                let names: Vec<&str> = self.tokens(*k).collect();
                (k.keyword().to_owned(), serde_json::json!(names))
            })
            .collect();
        let fact = |f: &ir::FactInfo| {
            let mut v = serde_json::json!({ "name": f.name, "ask": f.ask });
            if let Some(obj) = v.as_object_mut() {
                match &f.ty {
                    ir::FactTy::Bool => {
                        obj.insert("type".into(), "bool".into());
                    }
                    ir::FactTy::Int { min, max } => {
                        obj.insert("type".into(), "int".into());
                        obj.insert("min".into(), (*min).into());
                        obj.insert("max".into(), (*max).into());
                    }
                    ir::FactTy::Role => {
                        obj.insert("type".into(), "role".into());
                    }
                    ir::FactTy::Enum(values) => {
                        obj.insert("type".into(), "enum".into());
                        obj.insert("values".into(), serde_json::json!(values));
                    }
                }
            }
            v
        };
        serde_json::json!({
            "tokens": tokens,
            "facts": self.ir.vocab.facts.iter().map(fact).collect::<Vec<_>>(),
            "person_facts": self.ir.vocab.person_facts.iter().map(fact).collect::<Vec<_>>(),
        })
    }

    /// Validate an incident given as JSON text.
    pub fn incident_from_json(&self, text: &str) -> Result<Incident, IncidentError> {
        Incident::from_json(&self.ir, text, &self.limits)
    }

    /// Read an incident record from JSON text, reporting every error it has (repeated keys at
    /// any depth with both positions, then each bad key), not only the first.
    pub fn incident_from_json_all(&self, text: &str) -> Result<Incident, Vec<IncidentError>> {
        Incident::from_json_all(&self.ir, text, &self.limits)
    }

    /// Read an incident record from a JSON value, reporting every error it has.
    pub fn incident_from_value_all(
        &self,
        value: &serde_json::Value,
    ) -> Result<Incident, Vec<IncidentError>> {
        Incident::from_value_all(&self.ir, value, &self.limits)
    }

    /// Read an incident record from any serde data format (a Python dict through
    /// `pythonize`, a JS value, …), held to the same limits as text, reporting every error.
    pub fn incident_from_data<'de, D: serde::Deserializer<'de>>(
        &self,
        input: D,
    ) -> Result<Incident, Vec<IncidentError>> {
        let value = api::data::record(input, &self.limits).map_err(|e| vec![e])?;
        self.incident_from_value_all(&value)
    }

    /// The warnings with their file, line, column and rendering.
    pub fn detailed_warnings(&self) -> Vec<DetailedError> {
        self.warnings
            .iter()
            .map(|d| d.detailed(&self.sources))
            .collect()
    }

    /// The warnings as answer errors (`kind: "policy"`), for a binding to keep once.
    pub fn warning_errors(&self) -> Vec<api::Error> {
        api::Error::policy(self.detailed_warnings())
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

    /// Evaluate a validated incident. When the record carries `reported_at`, each action
    /// gains its `due` time on the policy's calendar (a post-pass over the decision).
    pub fn evaluate(&self, incident: &Incident) -> Decision<'_> {
        let mut d = eval::evaluate(&self.ir, incident);
        due::annotate(&mut d, incident, self.calendar());
        d
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
        let texts = self
            .json_texts
            .get_or_init(|| decision::JsonTexts::new(&self.ir));
        Ok(decision.to_json_string_with(Some(texts)))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn vocabulary_json_lists_tokens_and_typed_facts() {
        let text = "policy t \"T\" { version \"1\" }\ncategory bullying\ncategory sexting\nrole pupil\nfact n: int 0..5\nfact k: one_of [a, b]\n";
        let policy = super::Policy::compile(
            "t",
            text,
            &super::NoModules,
            &super::CheckOptions::default(),
        );
        let Ok(policy) = policy else {
            panic!("policy does not compile");
        };
        let v = policy.vocabulary_json();
        assert_eq!(
            v["tokens"]["category"],
            serde_json::json!(["bullying", "sexting"])
        );
        assert_eq!(v["tokens"]["role"], serde_json::json!(["pupil"]));
        assert_eq!(v["facts"][0]["type"], "int");
        assert_eq!(v["facts"][0]["max"], 5);
        assert_eq!(v["facts"][1]["values"], serde_json::json!(["a", "b"]));
    }

    #[test]
    fn policy_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::Policy>();
    }
}
