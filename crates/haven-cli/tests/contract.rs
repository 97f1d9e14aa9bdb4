//! The contracts in docs/: the committed JSON Schemas are what `haven schema` generates;
//! every example incident, every scenario incident and every decision the scenarios produce
//! validates against them with an independent validator (the `jsonschema` crate); the
//! binding type files name the record fields of the table.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod common;

use common::{haven, repo, text};
use haven_core::{CheckOptions, Policy};
use serde_json::Value;
use std::path::Path;

fn committed(name: &str) -> Value {
    let path = repo().join("docs/schema").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema).unwrap_or_else(|e| panic!("invalid schema: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{instance}");
}

#[test]
fn committed_schemas_are_what_haven_schema_generates() {
    for (which, file) in [
        ("incident", "incident.v1.json"),
        ("decision", "decision.v1.json"),
    ] {
        let out = haven().args(["schema", which]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let generated = text(&out.stdout);
        let on_disk = std::fs::read_to_string(repo().join("docs/schema").join(file)).unwrap();
        assert!(
            generated == on_disk,
            "docs/schema/{file} is stale: run `haven schema {which} > docs/schema/{file}`"
        );
    }
}

/// Every policy directory with scenarios, compiled.
fn policies() -> Vec<(String, Policy)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(repo().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("scenarios.toml").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        let file = dir.join("policy.haven");
        let src = std::fs::read_to_string(&file).unwrap();
        let loader = haven_modules::FsLoader::for_policy(&file);
        let policy = Policy::compile(
            &file.display().to_string(),
            &src,
            &loader,
            &CheckOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}", e.render()));
        out.push((dir.display().to_string(), policy));
    }
    out
}

#[test]
fn example_incidents_validate() {
    let v = validator(&committed("incident.v1.json"));
    let dir = repo().join("examples/incidents");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                assert_valid(&v, &serde_json::from_str(&text).unwrap(), &name);
                n += 1;
            }
            Some("jsonl") => {
                for (i, line) in text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                {
                    let what = format!("{name}:{}", i + 1);
                    assert_valid(&v, &serde_json::from_str(line).unwrap(), &what);
                    n += 1;
                }
            }
            _ => {}
        }
    }
    assert!(n >= 3, "only {n} example incidents found");
}

#[test]
fn scenario_incidents_and_their_decisions_validate() {
    let open = validator(&committed("incident.v1.json"));
    let decision = validator(&committed("decision.v1.json"));
    let mut incidents = 0;
    let mut decisions = 0;
    for (dir, policy) in policies() {
        let closed = validator(&policy.incident_schema(true));
        let toml = std::fs::read_to_string(Path::new(&dir).join("scenarios.toml")).unwrap();
        for s in haven_core::scenario::parse_scenarios(&toml).unwrap() {
            let what = format!("{dir}: {}", s.name);
            let incident = serde_json::to_value(&s.incident).unwrap();
            match policy.incident_from_value(&incident) {
                Ok(inc) => {
                    assert_valid(&open, &incident, &what);
                    assert_valid(&closed, &incident, &format!("{what} (closed schema)"));
                    incidents += 1;
                    let d = serde_json::to_value(policy.evaluate(&inc)).unwrap();
                    assert_valid(&decision, &d, &format!("{what} (decision)"));
                    decisions += 1;
                }
                // A scenario that expects the record to be rejected: the closed schema
                // must not call it valid where haven's reader does not (type errors; the
                // relation checks are beyond a schema).
                Err(e) => assert!(s.expect.error.is_some(), "{what}: {e}"),
            }
        }
    }
    assert!(
        incidents > 100 && decisions == incidents,
        "{incidents} {decisions}"
    );
}

#[test]
fn the_schemas_reject_what_the_contract_forbids() {
    let inc = validator(&committed("incident.v1.json"));
    for bad in [
        r#"{}"#,
        r#"{"category": null}"#,
        r#"{"category": "x", "colour": "red"}"#,
        r#"{"category": "x", "device": {"colour": "red"}}"#,
        r#"{"category": "x", "actor": "pupil"}"#,
        r#"{"category": "x", "actor": {"age": 121}}"#,
        r#"{"category": "x", "facts": {"consensual": "yes"}}"#,
        r#"{"category": "x", "others": [null]}"#,
        r#"{"category": "x", "id": true}"#,
        r#"{"category": "x", "reported_at": "2026-10-23T15:40"}"#,
        r#"{"category": "x", "occurred_at": "23/10/2026 15:40"}"#,
    ] {
        assert!(!inc.is_valid(&serde_json::from_str(bad).unwrap()), "{bad}");
    }
    let dec = validator(&committed("decision.v1.json"));
    let ok: Value = serde_json::json!({
        "policy": {"id": "p", "version": null}, "status": "complete", "breach": null,
        "permission": {"verdict": "not_addressed", "conditions": [], "rule": null, "rules": [], "cites": []},
        "actions": [], "questions": [], "notes": []
    });
    assert_valid(&dec, &ok, "a not_addressed decision");
    // A record with `reported_at` and its decision, whose actions carry `due`.
    let record: Value = serde_json::json!({
        "category": "cyberbullying",
        "occurred_at": "2026-10-23T12:10:00.250+01:00",
        "reported_at": "2026-10-23T14:40:00Z",
        "facts": { "illegal_content_suspected": true },
    });
    assert_valid(&inc, &record, "a record with timestamps");
    let path = repo().join("policies/kingsbury_2019/policy.haven");
    let policy = Policy::compile(
        "kingsbury",
        &std::fs::read_to_string(&path).unwrap(),
        &haven_modules::FsLoader::for_policy(&path),
        &CheckOptions::default(),
    )
    .unwrap();
    let decision = policy
        .evaluate(&policy.incident_from_value(&record).unwrap())
        .to_json();
    assert!(
        decision["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["due"].is_string()),
        "{decision}"
    );
    assert_valid(&dec, &decision, "a decision with due times");
    let mut bad = ok.clone();
    bad["permission"]["verdict"] = "maybe".into();
    assert!(!dec.is_valid(&bad));
    let mut bad = ok;
    bad["status"] = "done".into();
    assert!(!dec.is_valid(&bad));
}

/// The names a type file gives the incident record's keys: the lines between `start`
/// and the closing brace, `name?:` / `name:` at the start of a line.
fn keys_in(text: &str, start: &str) -> Vec<String> {
    let Some(at) = text.find(start) else {
        panic!("`{start}` not found")
    };
    let mut keys = Vec::new();
    for line in text[at + start.len()..].lines().skip(1) {
        let line = line.trim();
        if line.starts_with('}') || line.starts_with("class ") {
            break;
        }
        if line.starts_with("//") || line.starts_with('#') || line.starts_with('*') {
            continue;
        }
        if let Some((name, _)) = line.split_once(':') {
            let name = name.trim_end_matches('?').trim();
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                keys.push(name.to_owned());
            }
        }
    }
    keys
}

#[test]
fn binding_type_files_name_the_record_fields_of_the_table() {
    let mut expected: Vec<String> = haven_core::record::top_keys().map(str::to_owned).collect();
    expected.sort();
    let ts = std::fs::read_to_string(repo().join("bindings/wasm/types.d.ts")).unwrap();
    let py = std::fs::read_to_string(repo().join("bindings/python/python/haven/types.py")).unwrap();
    for (file, text, start) in [
        ("types.d.ts", &ts, "export interface Incident {"),
        (
            "haven/types.py",
            &py,
            "class Incident(TypedDict, total=False):",
        ),
    ] {
        let mut keys = keys_in(text, start);
        keys.sort();
        assert_eq!(keys, expected, "{file}: the Incident type's keys");
    }
    let mut device: Vec<String> = ["kind", "owner"].map(str::to_owned).to_vec();
    device.sort();
    let table: Vec<String> = haven_core::record::FIELDS
        .iter()
        .filter_map(|f| f.path.strip_prefix("device."))
        .map(str::to_owned)
        .collect();
    assert_eq!(table, device);
}

/// The hostile-record suite: repeated keys at every depth and several errors in one record
/// give every error, with its core code and position, on the command line.
pub(crate) const HOSTILE: &str = "{\"category\": \"cyberbullying\",\n \"category\": \"csam\",\n \"actor\": {\"age\": 9, \"age\": 10, \"role\": \"chef\"},\n \"device\": {\"kind\": \"phone\", \"kind\": \"phone\"},\n \"others\": [{\"role\": \"pupil\", \"role\": \"pupil\"}],\n \"facts\": {\"consensual\": true, \"consensual\": false, \"nope\": 1}}";

#[test]
fn hostile_record_gives_every_error_with_its_position() {
    let out = haven()
        .args(["eval", "policies/example", "-"])
        .write_stdin(HOSTILE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    for want in [
        "error[haven::incident::duplicate_key] at 2:2: key `category` appears twice: at 1:2 and 2:2",
        "error[haven::incident::duplicate_key] at 3:22: key `actor.age` appears twice: at 3:12 and 3:22",
        "error[haven::incident::duplicate_key] at 4:30: key `device.kind` appears twice",
        "error[haven::incident::duplicate_key] at 5:31: key `others[0].role` appears twice",
        "error[haven::incident::duplicate_key] at 6:32: key `facts.consensual` appears twice",
        "error[haven::incident::unknown_value]: unknown role \"chef\" in `actor.role`",
        "error[haven::incident::unknown_fact]: unknown fact `facts.nope`",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in:\n{stderr}");
    }
    assert_eq!(stderr.matches("error[").count(), 7, "{stderr}");
    // In JSON Lines, each rejected line lists every error.
    let line = HOSTILE.replace('\n', "");
    let out = haven()
        .args(["eval", "policies/example", "-"])
        .write_stdin(format!("{line}\n{line}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let first: Value = serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    let codes: Vec<&str> = first["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 7, "{first}");
    assert_eq!(first["error"]["code"], "haven::incident::duplicate_key");
}

#[test]
fn eval_prints_contract_key_order_and_pretty() {
    let args = [
        "eval",
        "policies/example",
        "examples/incidents/kenilworth-year6-phone-in-lesson.json",
    ];
    let out = haven().args(args).output().unwrap();
    let stdout = text(&out.stdout);
    let order = [
        "\"policy\"",
        "\"status\"",
        "\"breach\"",
        "\"permission\"",
        "\"actions\"",
        "\"questions\"",
        "\"notes\"",
    ];
    let at: Vec<usize> = order.iter().map(|k| stdout.find(k).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{stdout}");
    assert_eq!(stdout.lines().count(), 1);
    let pretty = haven().args(args).arg("--pretty").output().unwrap();
    let pretty_text = text(&pretty.stdout);
    assert!(pretty_text.lines().count() > 10, "{pretty_text}");
    let a: Value = serde_json::from_str(&stdout).unwrap();
    let b: Value = serde_json::from_str(&pretty_text).unwrap();
    assert_eq!(a, b);
}

#[test]
fn today_makes_date_warnings_reproducible() {
    let warnings = |today: &str| {
        let out = haven()
            .args(["check", "policies/example", "--today", today])
            .output()
            .unwrap();
        text(&out.stderr).matches("review_overdue").count()
    };
    assert_eq!(warnings("2026-01-01"), 0);
    assert_eq!(warnings("2100-01-01"), 1);
    let out = haven()
        .args(["check", "policies/example", "--today", "someday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The record with several errors that the Python and WASM suites read too: the CLI's JSON
/// Lines output lists the same keys and codes, in the same order, as the `.expected` file.
#[test]
fn several_errors_fixture_gives_the_expected_codes() {
    let dir = repo().join("crates/haven-cli/tests/fixtures/hostile");
    let record = std::fs::read_to_string(dir.join("several-errors.json")).unwrap();
    let expected = std::fs::read_to_string(dir.join("several-errors.expected")).unwrap();
    let out = haven()
        .args(["eval", "policies/example", "-"])
        .write_stdin(format!("{}\n{}\n", record.trim(), record.trim()))
        .output()
        .unwrap();
    let first: Value = serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    let got: Vec<String> = first["errors"]
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
    let want: Vec<&str> = expected.lines().collect();
    assert_eq!(got, want);
}
