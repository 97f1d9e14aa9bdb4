//! The JSON that crosses the boundary, built from `haven-core` values. Text in, JSON text
//! out: no `JsValue` here, so everything in this module is tested natively.
//!
//! Shapes (typed in `types.d.ts`):
//! - an error is a `DetailedError` or an `IncidentError` with a `kind` tag
//!   (`"policy"` / `"incident"`) so TypeScript can tell them apart;
//! - an answer is `{"type":"success","decision":…,"warnings":[…]}` or
//!   `{"type":"failure","errors":[…]}`, as `haven_core::Answer`.

use haven_core::{
    CheckOptions, Date, DetailedError, IncidentError, LoadError, Loader, MapLoader, Policy,
    Severity,
};
use haven_modules::{Bundled, WithBundled};
use serde::Serialize;

/// The file name diagnostics show when the caller gives none.
pub const DEFAULT_NAME: &str = "policy.haven";

/// A `DetailedError` with its kind.
#[derive(Serialize)]
struct PolicyErrorJson<'a> {
    kind: &'static str,
    #[serde(flatten)]
    inner: &'a DetailedError,
}

/// An `IncidentError` with its kind, severity and (for JSON syntax errors) position.
#[derive(Serialize)]
struct IncidentErrorJson<'a> {
    kind: &'static str,
    severity: Severity,
    code: &'a str,
    message: &'a str,
    key: &'a str,
    expected: &'a str,
    line: Option<usize>,
    column: Option<usize>,
}

/// A compiled policy plus its warnings, already as JSON (evaluate repeats them in every
/// answer, so they are serialised once).
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The policy.
    pub policy: Policy,
    /// `Diagnostic[]` as JSON text.
    pub warnings_json: String,
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serialising these plain structs cannot fail; keep the module alive if it ever does.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// `Diagnostic[]` as JSON text.
pub fn diagnostics_json(diagnostics: &[DetailedError]) -> String {
    let tagged: Vec<PolicyErrorJson<'_>> = diagnostics
        .iter()
        .map(|inner| PolicyErrorJson {
            kind: "policy",
            inner,
        })
        .collect();
    to_json(&tagged)
}

/// `{"type":"failure","errors":<errors_json>}`.
pub fn failure(errors_json: &str) -> String {
    format!(r#"{{"type":"failure","errors":{errors_json}}}"#)
}

/// A policy-kind error for an argument of the wrong JavaScript type (no position).
pub fn argument_error(argument: &str, expected: &str, found: &str) -> String {
    let message = format!("`{argument}` must be {expected}, found {found}");
    let error = DetailedError {
        rendered: format!("error[haven::wasm::wrong_argument]: {message}\n"),
        message,
        code: "haven::wasm::wrong_argument".to_owned(),
        severity: Severity::Error,
        help: None,
        file: None,
        line: None,
        column: None,
        labels: Vec::new(),
    };
    diagnostics_json(std::slice::from_ref(&error))
}

/// `IncidentError[]` (one) as JSON text.
pub fn incident_errors_json(e: &IncidentError) -> String {
    incident_errors_json_all(std::slice::from_ref(e))
}

/// `IncidentError[]` as JSON text: every error core found, with core's positions.
pub fn incident_errors_json_all(errs: &[IncidentError]) -> String {
    let tagged: Vec<IncidentErrorJson<'_>> = errs
        .iter()
        .map(|e| IncidentErrorJson {
            kind: "incident",
            severity: Severity::Error,
            code: e.code,
            message: &e.message,
            key: &e.key,
            expected: &e.expected,
            line: e.line,
            column: e.column,
        })
        .collect();
    to_json(&tagged)
}

/// An incident error made here rather than in core (the value never reached core).
pub fn incident_error(code: &'static str, expected: &str, message: String) -> String {
    incident_errors_json(&IncidentError {
        key: String::new(),
        expected: expected.to_owned(),
        message,
        code,
        line: None,
        column: None,
    })
}

/// What `compile` and `check` take besides the source.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Turns on the overdue-review warning.
    pub today: Option<Date>,
    /// Modules given by the caller (module path → text), found before the bundled ones.
    pub modules: MapLoader,
    /// The school's `calendar.toml` text, for the `due` times of deadlines.
    pub calendar: Option<String>,
}

impl Options {
    fn check_options(&self) -> CheckOptions {
        CheckOptions {
            today: self.today,
            ..CheckOptions::default()
        }
    }
}

impl Loader for Options {
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        WithBundled(&self.modules).load(module)
    }

    fn calendar(&self) -> Result<Option<(String, String)>, LoadError> {
        Ok(self
            .calendar
            .as_ref()
            .map(|text| ("calendar.toml".to_owned(), text.clone())))
    }
}

/// Compile against the caller's modules, then the bundled `std/vocabulary` and `baseline`.
/// `Err` holds `Diagnostic[]` JSON (errors and warnings).
pub fn compile(source: &str, name: &str, options: &Options) -> Result<Compiled, String> {
    match Policy::compile(name, source, options, &options.check_options()) {
        Ok(policy) => {
            let warnings: Vec<DetailedError> = policy
                .warnings()
                .iter()
                .map(|d| d.detailed(policy.sources()))
                .collect();
            Ok(Compiled {
                warnings_json: diagnostics_json(&warnings),
                policy,
            })
        }
        Err(e) => Err(diagnostics_json(&e.detailed())),
    }
}

/// Every diagnostic of `source`, errors and warnings, as `Diagnostic[]` JSON.
pub fn check(source: &str, name: &str, options: &Options) -> String {
    let report = haven_core::check(name, source, options, &options.check_options());
    let detailed: Vec<DetailedError> = report
        .diagnostics
        .iter()
        .map(|d| d.detailed(&report.sources))
        .collect();
    diagnostics_json(&detailed)
}

/// Evaluate one incident given as JSON text: an `Answer` as JSON text. `warnings` is the
/// JSON put in the answer's `warnings` (the policy's, or a placeholder the caller fills).
pub fn evaluate(compiled: &Compiled, incident: &str, warnings: &str) -> String {
    match compiled.policy.incident_from_json_all(incident) {
        Ok(incident) => format!(
            r#"{{"type":"success","decision":{},"warnings":{warnings}}}"#,
            to_json(&compiled.policy.evaluate(&incident)),
        ),
        Err(errs) => failure(&incident_errors_json_all(&errs)),
    }
}

/// One bundled policy for the picker.
#[derive(Serialize)]
struct BundledJson<'a> {
    id: &'a str,
    title: Option<String>,
    name: String,
    text: &'a str,
}

/// `BundledPolicy[]` as JSON: every bundled policy (not the `std` modules), schools first,
/// then `baseline`, then the rest, each group by id.
pub fn bundled() -> String {
    let mut ids = Bundled::policies();
    ids.sort_by_key(|id| {
        let rank = match *id {
            "baseline" => 1,
            "example" => 2,
            _ => 0,
        };
        (rank, *id)
    });
    let list: Vec<BundledJson<'_>> = ids
        .into_iter()
        .filter_map(|id| {
            let text = Bundled::text(id)?;
            let (file, _) =
                haven_core::syntax::parse(haven_core::SourceId(0), text, &Default::default());
            let title = file.and_then(|f| f.header.title.map(|t| t.node));
            Some(BundledJson {
                id,
                title,
                name: format!("policies/{id}/policy.haven"),
                text,
            })
        })
        .collect();
    to_json(&list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    fn example() -> Compiled {
        compile(
            Bundled::text("example").unwrap(),
            "example.haven",
            &Options::default(),
        )
        .unwrap()
    }

    #[test]
    fn bundled_lists_policies_with_titles() {
        let list = parse(&bundled());
        let list = list.as_array().unwrap();
        let ids: Vec<&str> = list.iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&"example"));
        assert!(!ids.iter().any(|id| id.starts_with("std")));
        let example = list.iter().find(|p| p["id"] == "example").unwrap();
        assert!(example["title"]
            .as_str()
            .unwrap()
            .starts_with("Example Primary"));
        assert_eq!(example["name"], "policies/example/policy.haven");
    }

    /// The hostile-record suite the CLI and Python tests read: every error, core's codes, and
    /// the positions core found in the text.
    #[test]
    fn hostile_records_give_every_error() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../crates/haven-cli/tests/fixtures/hostile"
        );
        let record = std::fs::read_to_string(format!("{dir}/several-errors.json")).unwrap();
        let expected = std::fs::read_to_string(format!("{dir}/several-errors.expected")).unwrap();
        let compiled = example();
        let answer = parse(&evaluate(&compiled, &record, "[]"));
        assert_eq!(answer["type"], "failure");
        let got: Vec<String> = answer["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["key"].as_str().unwrap(),
                    e["code"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(got, expected.lines().collect::<Vec<_>>());
        let dup = "{\"category\": \"cyberbullying\",\n \"actor\": {\"age\": 9, \"age\": 10}}";
        let answer = parse(&evaluate(&compiled, dup, "[]"));
        let e = &answer["errors"][0];
        assert_eq!(e["code"], "haven::incident::duplicate_key");
        assert_eq!(e["key"], "actor.age");
        assert_eq!(
            (e["line"].as_u64(), e["column"].as_u64()),
            (Some(2), Some(22))
        );
        assert!(e["message"].as_str().unwrap().contains("at 2:12 and 2:22"));
    }

    #[test]
    fn evaluate_success_envelope() {
        let compiled = example();
        let answer = parse(&evaluate(
            &compiled,
            r#"{"category":"sharing_nudes","actor":{"role":"pupil","age":12}}"#,
            &compiled.warnings_json,
        ));
        assert_eq!(answer["type"], "success");
        assert_eq!(answer["decision"]["policy"]["id"], "example");
        assert!(answer["warnings"].is_array());
    }

    #[test]
    fn incident_errors_are_tagged() {
        let answer = parse(&evaluate(
            &example(),
            r#"{"category":"sharing_nudes","colour":1}"#,
            "[]",
        ));
        assert_eq!(answer["type"], "failure");
        let e = &answer["errors"][0];
        assert_eq!(e["kind"], "incident");
        assert_eq!(e["code"], "haven::incident::unknown_key");
        assert_eq!(e["key"], "colour");
        assert_eq!(e["line"], Value::Null);
    }

    #[test]
    fn json_syntax_errors_have_a_position() {
        let answer = parse(&evaluate(
            &example(),
            "{\n  \"category\": sharing_nudes\n}",
            "[]",
        ));
        let e = &answer["errors"][0];
        assert_eq!(e["code"], "haven::incident::invalid_json");
        assert_eq!(e["line"], 2);
        assert!(e["column"].as_u64().unwrap() > 0);
    }

    #[test]
    fn compile_errors_have_kind_line_and_column() {
        let text = Bundled::text("example")
            .unwrap()
            .replacen("must notify", "must notifyy", 1);
        let errors = parse(&compile(&text, "x.haven", &Options::default()).unwrap_err());
        let e = errors
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["severity"] == "error")
            .unwrap();
        assert_eq!(e["kind"], "policy");
        assert_eq!(e["file"], "x.haven");
        assert!(e["line"].as_u64().unwrap() > 1);
        assert!(e["column"].as_u64().unwrap() >= 1);
        assert!(e["rendered"].as_str().unwrap().contains("x.haven"));
    }

    #[test]
    fn check_clean_example_has_no_errors() {
        let diags = parse(&check(
            Bundled::text("example").unwrap(),
            DEFAULT_NAME,
            &Options::default(),
        ));
        assert!(diags
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["severity"] != "error"));
    }

    #[test]
    fn options_calendar_gives_due_times_on_term_dates() {
        let source = "policy t \"T\" {\n  version \"1\"\n  use std/vocabulary\n}\nrule eod {\n  cites \"§1\": \"Parents must be told by the end of the day.\"\n  when category is cyberbullying\n  must inform_parents due end_of_day\n}\n";
        let record = r#"{"category": "cyberbullying", "reported_at": "2026-10-23T14:40:00Z"}"#;
        let options = Options {
            calendar: Some("[[term]]\nname = \"autumn\"\nstarts = 2026-09-03\nends = 2026-12-18\nhalf_term = [2026-10-26, 2026-10-30]\n".to_owned()),
            ..Options::default()
        };
        let answer = parse(&evaluate(
            &compile(source, "t.haven", &options).unwrap(),
            record,
            "[]",
        ));
        assert_eq!(
            answer["decision"]["actions"][0]["due"],
            "2026-11-02T15:30:00+00:00"
        );
        // No calendar: half term is unknown, and the decision says so.
        let answer = parse(&evaluate(
            &compile(source, "t.haven", &Options::default()).unwrap(),
            record,
            "[]",
        ));
        assert_eq!(
            answer["decision"]["actions"][0]["due"],
            "2026-10-26T15:30:00+00:00"
        );
        assert!(answer["decision"]["notes"][0]
            .as_str()
            .unwrap()
            .contains("without the school's calendar"));
        // A malformed calendar is a located policy error.
        let bad = Options {
            calendar: Some("day_ends = \"3pm\"\n".to_owned()),
            ..Options::default()
        };
        let errors = parse(&compile(source, "t.haven", &bad).err().unwrap());
        assert_eq!(errors[0]["code"], "haven::calendar::invalid");
        assert_eq!(
            (errors[0]["line"].as_u64(), errors[0]["column"].as_u64()),
            (Some(1), Some(12))
        );
    }

    #[test]
    fn caller_modules_come_before_bundled_ones() {
        let mut options = Options::default();
        options.modules.insert(
            "trust/shared",
            "trust/shared.haven",
            "module shared \"Trust\" { version \"1\" }\nrole trust_officer is staff \"Trust officer\"\n",
        );
        assert!(matches!(options.load("trust/shared"), Ok(Some(_))));
        assert!(matches!(options.load("std/vocabulary"), Ok(Some(_))));
        assert!(matches!(options.load("nope"), Ok(None)));
    }

    #[test]
    fn argument_errors_are_policy_errors_without_position() {
        let errors = parse(&argument_error("source", "a string", "a number"));
        assert_eq!(errors[0]["kind"], "policy");
        assert_eq!(errors[0]["code"], "haven::wasm::wrong_argument");
        assert_eq!(errors[0]["line"], Value::Null);
    }
}
