//! The semantics of DESIGN §3–§5, one behaviour per test, on small policies written here:
//! silence, exceptions that hold on their own condition, consequences of a breach, the
//! precise statutory check with its witness, the modality lint, fact relations, the
//! category hierarchy and layers of any depth.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_core::{CheckOptions, MapLoader, Policy};
use haven_modules::WithBundled;
use serde_json::{json, Value};

/// Modules the policies below use: the shared vocabulary and baseline as bundled, plus the
/// extra layers a test adds.
fn loader(extra: &[(&str, &str)]) -> WithBundled<MapLoader> {
    let mut map = MapLoader::new();
    for (module, text) in extra {
        map.insert(*module, format!("{module}/policy.haven"), *text);
    }
    WithBundled(map)
}

fn compile(text: &str, extra: &[(&str, &str)]) -> Policy {
    Policy::compile("t.haven", text, &loader(extra), &haven_tests::options())
        .unwrap_or_else(|e| panic!("{}", e.render()))
}

fn check(text: &str) -> Vec<haven_core::Diagnostic> {
    haven_core::check("t.haven", text, &loader(&[]), &haven_tests::options()).diagnostics
}

fn decide(policy: &Policy, incident: Value) -> Value {
    let inc = policy
        .incident_from_value(&incident)
        .unwrap_or_else(|e| panic!("{e}"));
    policy.evaluate(&inc).to_json()
}

fn actions(d: &Value) -> Vec<String> {
    d["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["modality"].as_str().unwrap(),
                a["action"].as_str().unwrap()
            )
        })
        .collect()
}

fn questions(d: &Value) -> Vec<String> {
    d["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["fact"].as_str().unwrap().to_owned())
        .collect()
}

const HEADER: &str = "policy t \"Test\" {\n  version \"1\"\n  use std/vocabulary\n}\n";

const PHONES: &str = r#"
rule staff_phones_in_school {
  cites "§1": "Staff must not use personal phones in lessons or in the classroom."
  when activity is use and actor is staff and device is phone and device.owner is personal
    and (time is lesson or location is classroom)
  permission not_allowed
}

rule emergency_calls overrides staff_phones_in_school {
  cites "§1": "In an emergency staff may use their own phone."
  when actor is staff and device.owner is personal and emergency
  permission allowed
}

on breach rule staff_breach {
  cites "§2": "If a member of staff breaches the school policy then disciplinary action may be taken."
  when actor is staff
  may disciplinary_action
}
"#;

#[test]
fn a_request_no_rule_speaks_to_is_not_addressed_and_no_breach() {
    let p = compile(&format!("{HEADER}{PHONES}"), &[]);
    let d = decide(
        &p,
        json!({"activity": "use", "time": "lesson", "actor": {"role": "teacher"},
               "device": {"kind": "laptop", "owner": "school"}, "facts": {"emergency": false}}),
    );
    assert_eq!(d["permission"]["verdict"], "not_addressed");
    assert_eq!(d["breach"], Value::Null);
    assert_eq!(d["status"], "complete");
    assert!(actions(&d).is_empty(), "{d}");
    let note = d["notes"][0].as_str().unwrap();
    assert!(note.contains("does not address"), "{note}");
    assert!(note.contains("staff_phones_in_school"), "{note}");
}

#[test]
fn an_exception_is_decided_on_its_own_condition_with_place_and_time_unknown() {
    let p = compile(&format!("{HEADER}{PHONES}"), &[]);
    let d = decide(
        &p,
        json!({"activity": "call_emergency_services", "actor": {"role": "teacher"},
               "device": {"kind": "phone", "owner": "personal"}, "facts": {"emergency": true}}),
    );
    assert_eq!(d["permission"]["verdict"], "allowed", "{d}");
    assert_eq!(d["permission"]["rule"], "emergency_calls");
    assert_eq!(
        d["status"], "complete",
        "no question on time or location: {d}"
    );
    assert_eq!(d["breach"], false);
}

#[test]
fn where_both_apply_the_exception_wins() {
    let p = compile(&format!("{HEADER}{PHONES}"), &[]);
    let d = decide(
        &p,
        json!({"activity": "use", "time": "lesson", "actor": {"role": "teacher"},
               "device": {"kind": "phone", "owner": "personal"}, "facts": {"emergency": true}}),
    );
    assert_eq!(d["permission"]["verdict"], "allowed", "{d}");
    // And while the exception is undecided, the parent cannot be.
    let d = decide(
        &p,
        json!({"activity": "use", "time": "lesson", "actor": {"role": "teacher"},
               "device": {"kind": "phone", "owner": "personal"}}),
    );
    assert_eq!(d["permission"]["verdict"], Value::Null, "{d}");
    assert_eq!(questions(&d), ["facts.emergency"]);
}

#[test]
fn a_staff_request_ruled_not_allowed_carries_its_breach_consequence() {
    let p = compile(&format!("{HEADER}{PHONES}"), &[]);
    let d = decide(
        &p,
        json!({"activity": "use", "time": "lesson", "actor": {"role": "teacher"},
               "device": {"kind": "phone", "owner": "personal"}, "facts": {"emergency": false}}),
    );
    assert_eq!(d["permission"]["verdict"], "not_allowed");
    assert_eq!(d["breach"], true);
    assert_eq!(actions(&d), ["may disciplinary_action"]);
    assert_eq!(d["actions"][0]["rule"], "staff_breach");
    // A pupil's breach is not a staff breach.
    let allowed = decide(
        &p,
        json!({"activity": "use", "time": "break", "location": "staff_area",
               "actor": {"role": "teacher"}, "device": {"kind": "phone", "owner": "personal"},
               "facts": {"emergency": false}}),
    );
    assert_eq!(allowed["permission"]["verdict"], "not_addressed");
    assert!(actions(&allowed).is_empty());
}

#[test]
fn a_default_decides_only_where_nothing_else_does_and_only_in_its_scope() {
    let text = format!(
        "{HEADER}{PHONES}{}",
        r#"
default rule pupil_devices {
  cites "§3": "Pupils' personal devices are not allowed in school unless this policy says otherwise."
  when actor is pupil and device.owner is personal
  permission not_allowed
}
"#
    );
    let p = compile(&text, &[]);
    let pupil = decide(
        &p,
        json!({"activity": "use", "actor": {"role": "pupil"},
               "device": {"kind": "tablet", "owner": "personal"}}),
    );
    assert_eq!(pupil["permission"]["verdict"], "not_allowed");
    assert_eq!(pupil["permission"]["rule"], "pupil_devices");
    assert_eq!(pupil["breach"], true);
    let staff = decide(
        &p,
        json!({"activity": "use", "actor": {"role": "teacher"},
               "device": {"kind": "tablet", "owner": "personal"}, "facts": {"emergency": false}}),
    );
    assert_eq!(staff["permission"]["verdict"], "not_addressed", "{staff}");
}

#[test]
fn a_default_without_a_permission_is_an_error() {
    let diags = check(&format!(
        "{HEADER}default rule d {{\n  cites \"§1\": \"Phones must be off.\"\n  when actor is pupil\n  must switch_off\n}}\n"
    ));
    assert!(
        diags
            .iter()
            .any(|d| d.code == "haven::check::default_without_permission"
                || d.code == "haven::check::unknown_name"),
        "{diags:?}"
    );
}

/// The example policy's statutory `must refer police or childrens_social_care` on sharing
/// nudes when a UKCIS criterion holds.
const OVER_EXAMPLE: &str = "policy t \"Test\" {\n  version \"1\"\n  extends example\n}\n";

#[test]
fn may_beside_a_statutory_must_and_disjoint_conditions_check_clean() {
    let text = format!(
        "{OVER_EXAMPLE}{}",
        r#"
rule may_refer_any_nudes {
  cites "§9": "The DSL may refer any nudes incident to the police."
  when category is sharing_nudes
  may refer police
}
rule no_police_for_online_bullying {
  cites "§9": "Staff must not refer cyberbullying to the police."
  when category is cyberbullying
  must_not refer police
}
"#
    );
    let errors: Vec<_> = check(&text).into_iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn an_opposite_duty_on_an_overlapping_condition_is_an_error_with_a_witness() {
    let text = format!(
        "{OVER_EXAMPLE}{}",
        r#"
rule adults_not_to_police {
  cites "§9": "Staff must not refer nudes involving an adult to the police."
  when category is sharing_nudes and adult_involved
  must_not refer police
}
"#
    );
    let diags = check(&text);
    let err = diags
        .iter()
        .find(|d| d.code == "haven::check::weakens_statutory")
        .unwrap_or_else(|| panic!("{diags:?}"));
    let help = err.help.clone().unwrap_or_default();
    let witness_text = help
        .split("both apply to this incident: ")
        .nth(1)
        .and_then(|s| s.lines().next())
        .unwrap_or_else(|| panic!("no witness in {help}"));
    let witness: Value = serde_json::from_str(witness_text).unwrap();
    assert_eq!(witness["category"], "sharing_nudes");
    assert_eq!(witness["facts"]["adult_involved"], true);
    // The witness really is on the overlap: under the example policy it requires the
    // referral the school rule forbids.
    let example = haven_tests::compile(&haven_tests::repo().join("policies/example")).unwrap();
    let d = decide(&example, witness);
    assert!(
        d["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "refer"
                && a["modality"] == "must"
                && a["target"].as_array().unwrap().contains(&json!("police"))),
        "{d}"
    );
}

#[test]
fn a_must_citing_a_should_sentence_warns_unless_it_says_why() {
    let base = "rule r {\n  cites \"§1\": \"Parents should be notified immediately.\"\n  BECAUSE  when category is cyberbullying\n  must inform_parents\n}\n";
    let warned = check(&format!("{HEADER}{}", base.replace("BECAUSE", "")));
    let w = warned
        .iter()
        .find(|d| d.code == "haven::check::modality_mismatch")
        .unwrap_or_else(|| panic!("{warned:?}"));
    assert!(w.message.contains("should"), "{}", w.message);
    let reasoned = check(&format!(
        "{HEADER}{}",
        base.replace(
            "BECAUSE",
            "because \"the DSL's procedure makes it a duty\"\n "
        )
    ));
    assert!(
        !reasoned
            .iter()
            .any(|d| d.code == "haven::check::modality_mismatch"),
        "{reasoned:?}"
    );
}

const SEXTORTION: &str = r#"
fact money_demanded: bool
  ask "Was money demanded?"
fact threatened: bool
  ask "Was the child threatened, blackmailed or groomed?"
rule sextortion_police {
  cites "§4": "Financially motivated sexual extortion must be referred to the police."
  when category is sextortion and money_demanded
  must refer police
}
"#;

#[test]
fn an_implied_question_is_not_asked() {
    let text = format!("{HEADER}{SEXTORTION}relation money_demanded implies threatened\n");
    let p = compile(&text, &[]);
    // Not coerced, blackmailed or groomed: financial extortion is ruled out, so it is not asked.
    let d = decide(
        &p,
        json!({"category": "sextortion", "facts": {"threatened": false}}),
    );
    assert_eq!(d["status"], "complete", "{d}");
    assert!(questions(&d).is_empty());
    // Without the relation the question is asked.
    let without = compile(&format!("{HEADER}{SEXTORTION}"), &[]);
    let d = decide(
        &without,
        json!({"category": "sextortion", "facts": {"threatened": false}}),
    );
    assert_eq!(questions(&d), ["facts.money_demanded"]);
}

#[test]
fn a_record_contradicting_a_relation_is_rejected_naming_it() {
    let text = format!("{HEADER}{SEXTORTION}relation money_demanded implies threatened\n");
    let p = compile(&text, &[]);
    let err = p
        .incident_from_value(&json!({"category": "sextortion",
            "facts": {"money_demanded": true, "threatened": false}}))
        .unwrap_err();
    assert_eq!(err.code, "haven::incident::contradicts_relation");
    assert_eq!(err.key, "facts.threatened");
}

#[test]
fn a_question_whose_only_addition_is_already_required_more_strongly_is_not_asked() {
    let text = format!(
        "{HEADER}{}",
        r#"
rule always_tell_parents {
  cites "§5": "Parents must be told of every incident."
  when category is cyberbullying
  must inform_parents
}
rule sometimes_tell_parents {
  cites "§5": "Where the bullying is malicious, parents should be told."
  when category is cyberbullying and malicious
  should inform_parents
}
"#
    );
    let p = compile(&text, &[]);
    let d = decide(&p, json!({"category": "cyberbullying"}));
    assert_eq!(d["status"], "complete", "{d}");
    assert!(questions(&d).is_empty());
}

#[test]
fn a_rule_on_a_parent_category_covers_its_children() {
    let text = format!(
        "{HEADER}{}",
        r#"
category harassment_online "Online sexual harassment"
category deepfake_harassment is harassment_online "Sexualised deepfakes of a pupil"
rule harassment_to_dsl {
  cites "§6": "Online sexual harassment must be reported to the DSL."
  when category is harassment_online
  must notify dsl
}
"#
    );
    let p = compile(&text, &[]);
    let d = decide(&p, json!({"category": "deepfake_harassment"}));
    assert_eq!(actions(&d), ["must notify"]);
    let d = decide(&p, json!({"category": "harassment_online"}));
    assert_eq!(actions(&d), ["must notify"]);
}

#[test]
fn layers_chain_to_any_depth_and_every_action_names_its_layer() {
    let trust = r#"policy trust "A trust layer" {
  version "1"
  layer "trust"
  extends example
}
rule trust_logs_everything {
  cites "Trust §1": "Every incident must be logged on the trust's system."
  when category is any
  must log_incident
}
"#;
    let school = "policy school \"A school\" {\n  version \"1\"\n  extends trust\n}\nrule school_tells_head {\n  cites \"§1\": \"Every incident must be reported to the headteacher.\"\n  when category is any\n  must notify headteacher\n}\n";
    let p = compile(school, &[("trust", trust)]);
    let d = decide(
        &p,
        json!({"category": "cyberbullying", "actor": {"role": "pupil"},
               "facts": {"significant_harm_risk": false, "prior_incidents": 0}}),
    );
    let layer_of = |action: &str| {
        d["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| {
                a["action"] == action
                    && (action != "notify" || a["target"] == json!(["headteacher"]))
            })
            .map(|a| (a["layer"].clone(), a["source"].clone()))
            .unwrap_or_else(|| panic!("no {action} in {d}"))
    };
    assert_eq!(layer_of("notify").0, "school");
    assert_eq!(layer_of("notify").1, "school");
    // Required by the trust and by the example two layers down: the outermost layer sets it.
    assert_eq!(layer_of("log_incident").0, "trust");
    assert_eq!(layer_of("log_incident").1, "baseline");
    // Statutory locks hold through every layer: the school cannot override the example's
    // statutory rule, two layers down.
    let breaking = "policy school \"A school\" {\n  version \"1\"\n  extends trust\n}\nrule no_referral overrides nudes_referral {\n  cites \"§1\": \"Nudes are handled in school.\"\n  when category is sharing_nudes\n  may initial_review_meeting\n}\n";
    let diags = haven_core::check(
        "t.haven",
        breaking,
        &loader(&[("trust", trust)]),
        &CheckOptions::default(),
    )
    .diagnostics;
    assert!(
        diags
            .iter()
            .any(|d| d.code == "haven::check::weakens_statutory"),
        "{diags:?}"
    );
}
