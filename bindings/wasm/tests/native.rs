//! The binding's native half: answers are core's `api::Answer`, errors core's codes with
//! core's positions (the hostile-record suite the CLI and Python tests read too).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

use haven_core::api::options::{Arguments, Options};
use haven_core::api::{Answer, Error};
use haven_core::Policy;
use haven_modules::{Bundled, WithBundled};
use haven_wasm::envelope::{bundled, to_json};
use serde_json::Value;

/// What `compile` does once core has read its arguments.
fn compile(source: &str, name: &str, options: &Options) -> Result<Policy, Vec<Error>> {
    let args = arguments(source, name, options);
    args.compile(&WithBundled(&args.options))
}

fn check(source: &str, name: &str, options: &Options) -> Vec<Error> {
    let args = arguments(source, name, options);
    args.check(&WithBundled(&args.options))
}

fn arguments(source: &str, name: &str, options: &Options) -> Arguments {
    let (source, name, options) = (source.to_owned(), name.to_owned(), options.clone());
    Arguments {
        source,
        name,
        options,
    }
}

fn example() -> Policy {
    compile(
        Bundled::text("example").unwrap(),
        "example.haven",
        &Options::default(),
    )
    .unwrap()
}

fn answer(policy: &Policy, text: &str) -> Value {
    serde_json::from_str(&to_json(&Answer::from_json(policy, text, None))).unwrap()
}

#[test]
fn bundled_lists_policies_with_titles() {
    let list: Value = serde_json::from_str(&to_json(&bundled())).unwrap();
    let list = list.as_array().unwrap();
    assert!(!list
        .iter()
        .any(|p| p["id"].as_str().unwrap().starts_with("std")));
    let example = list.iter().find(|p| p["id"] == "example").unwrap();
    assert!(example["title"]
        .as_str()
        .unwrap()
        .starts_with("Example Primary"));
    assert_eq!(example["name"], "policies/example/policy.haven");
}

#[test]
fn hostile_records_give_every_error() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/haven-cli/tests/fixtures/hostile"
    );
    let record = std::fs::read_to_string(format!("{dir}/several-errors.json")).unwrap();
    let expected = std::fs::read_to_string(format!("{dir}/several-errors.expected")).unwrap();
    let compiled = example();
    let a = answer(&compiled, &record);
    assert_eq!(a["type"], "failure");
    let got: Vec<String> = a["errors"]
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
    let e = &answer(&compiled, dup)["errors"][0];
    assert_eq!(
        (e["kind"].as_str(), e["code"].as_str()),
        (Some("incident"), Some("haven::incident::duplicate_key"))
    );
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(2), Some(22))
    );
    assert!(e["message"].as_str().unwrap().contains("at 2:12 and 2:22"));
}

#[test]
fn success_and_failure_envelopes() {
    let compiled = example();
    let a = answer(
        &compiled,
        r#"{"category":"sharing_nudes","actor":{"role":"pupil","age":12}}"#,
    );
    assert_eq!(
        (a["type"].as_str(), a["decision"]["policy"]["id"].as_str()),
        (Some("success"), Some("example"))
    );
    assert!(
        a["warnings"].is_null(),
        "the binding points it at the shared warnings"
    );
    let e = &answer(&compiled, r#"{"category":"sharing_nudes","colour":1}"#)["errors"][0];
    assert_eq!(
        (e["code"].as_str(), e["key"].as_str()),
        (Some("haven::incident::unknown_key"), Some("colour"))
    );
    assert!(e["line"].is_null());
    let e = &answer(&compiled, "{\n  \"category\": sharing_nudes\n}")["errors"][0];
    assert_eq!(
        (e["code"].as_str(), e["line"].as_u64()),
        (Some("haven::incident::invalid_json"), Some(2))
    );
}

#[test]
fn compile_errors_and_checks_are_policy_errors() {
    let text = Bundled::text("example")
        .unwrap()
        .replacen("must notify", "must notifyy", 1);
    let errors: Value = serde_json::from_str(&to_json(
        &compile(&text, "x.haven", &Options::default()).unwrap_err(),
    ))
    .unwrap();
    let e = errors
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["severity"] == "error")
        .unwrap();
    assert_eq!(
        (e["kind"].as_str(), e["file"].as_str()),
        (Some("policy"), Some("x.haven"))
    );
    assert!(e["line"].as_u64().unwrap() > 1 && e["rendered"].as_str().unwrap().contains("x.haven"));
    let clean = check(
        Bundled::text("example").unwrap(),
        "policy.haven",
        &Options::default(),
    );
    assert!(clean
        .iter()
        .all(|d| !matches!(d, Error::Policy(d) if d.severity == haven_core::Severity::Error)));
    let wrong: Value = serde_json::from_str(&to_json(&Error::wrong_argument(
        "source", "a string", "a number",
    )))
    .unwrap();
    assert_eq!(
        (wrong["kind"].as_str(), wrong["code"].as_str()),
        (Some("policy"), Some("haven::api::wrong_argument"))
    );
}

#[test]
fn caller_modules_come_before_bundled_ones() {
    use haven_core::Loader;
    let mut options = Options::default();
    let trust = "module shared \"Trust\" { version \"1\" }\nrole trust_officer is staff \"Trust officer\"\n";
    options
        .modules
        .insert("trust/shared", "trust/shared.haven", trust);
    let loader = WithBundled(&options);
    assert!(matches!(loader.load("trust/shared"), Ok(Some(_))));
    assert!(matches!(loader.load("std/vocabulary"), Ok(Some(_))));
    assert!(matches!(loader.load("nope"), Ok(None)));
}

/// What `policy.explain`, `nextQuestions` and `diff` return: core's `Explained`, whose JSON is
/// what `haven explain` / `haven diff --format json` print, in the success envelope.
#[test]
fn explanation_answers_have_the_core_shapes() {
    use haven_core::api::{goal, Explained};
    use haven_core::ExplainOptions;
    let p = example();
    let nudes = p
        .incident_from_json_all(r#"{"category":"sharing_nudes","actor":{"role":"pupil","age":12}}"#)
        .unwrap();
    let v: Value = serde_json::from_str(&to_json(&Explained::explain(&p, &nudes))).unwrap();
    assert_eq!(v["type"], "success");
    let cli = p
        .evaluate_explained(&nudes, &ExplainOptions::default())
        .to_json();
    assert_eq!(v["decision"], cli);
    assert!(v["decision"]["explain"]["actions"].is_array());

    let open = p
        .incident_from_json_all(r#"{"category":"sharing_nudes"}"#)
        .unwrap();
    let why = Explained::why_not(&p, &open, &goal("refer police").unwrap());
    let v: Value = serde_json::from_str(&to_json(&why)).unwrap();
    assert!(v["whyNot"]["goal"]
        .as_str()
        .is_some_and(|g| g.contains("refer police")));
    let v: Value = serde_json::from_str(&to_json(&Explained::next_questions(&p, &open))).unwrap();
    assert!(v["nextQuestions"]["questions"].is_array());
    assert!(v["nextQuestions"]["groups"].is_array());

    let same: Value = serde_json::from_str(&to_json(&Explained::diff(&p, &p))).unwrap();
    assert_eq!(same["report"]["classes"], Value::Array(vec![]));
    let base = compile(
        Bundled::text("baseline").unwrap(),
        "baseline.haven",
        &Options::default(),
    )
    .unwrap();
    let d: Value = serde_json::from_str(&to_json(&Explained::diff(&base, &p))).unwrap();
    let classes = d["report"]["classes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!classes.is_empty());
    assert!(classes.iter().all(|c| c["witness"].is_object()));
}

#[test]
fn options_calendar_gives_due_times_on_term_dates() {
    let source = "policy t \"T\" {\n  version \"1\"\n  use std/vocabulary\n}\nrule eod {\n  cites \"§1\": \"Parents must be told by the end of the day.\"\n  when category is cyberbullying\n  must inform_parents due end_of_day\n}\n";
    let record = r#"{"category": "cyberbullying", "reported_at": "2026-10-23T14:40:00Z"}"#;
    let options = Options {
        calendar: Some("[[term]]\nname = \"autumn\"\nstarts = 2026-09-03\nends = 2026-12-18\nhalf_term = [2026-10-26, 2026-10-30]\n".to_owned()),
        ..Options::default()
    };
    let answer = answer(&compile(source, "t.haven", &options).unwrap(), record);
    assert_eq!(
        answer["decision"]["actions"][0]["due"],
        "2026-11-02T15:30:00+00:00"
    );
    // No calendar: half term is unknown, and the decision says so.
    let plain = compile(source, "t.haven", &Options::default()).unwrap();
    let answer = self::answer(&plain, record);
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
    let errors: Value =
        serde_json::from_str(&to_json(&compile(source, "t.haven", &bad).err().unwrap())).unwrap();
    assert_eq!(errors[0]["code"], "haven::calendar::invalid");
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["column"].as_u64()),
        (Some(1), Some(12))
    );
}
