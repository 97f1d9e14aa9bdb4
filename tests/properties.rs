//! Property: **unknown is sound**. If a decision is `complete` while a fact is unknown,
//! setting that fact to any value gives the same actions and the same permission verdict.
//! Checked on generated incidents against the example policy and every policy in
//! `policies/` that compiles.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_core::{Decision, Policy, Status};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A field the generator may set or leave unknown, with the values it tries.
struct Var {
    path: &'static [&'static str],
    values: Vec<Value>,
}

fn vars() -> Vec<Var> {
    let b = || vec![json!(true), json!(false)];
    let mut v = vec![
        Var {
            path: &["actor", "age"],
            values: vec![json!(5), json!(12), json!(15), json!(40)],
        },
        Var {
            path: &["actor", "year_group"],
            values: vec![json!(-1), json!(0), json!(5), json!(6)],
        },
        Var {
            path: &["actor", "sen"],
            values: b(),
        },
        Var {
            path: &["actor", "travels_alone"],
            values: b(),
        },
        Var {
            path: &["subject", "age"],
            values: vec![json!(11), json!(16)],
        },
        Var {
            path: &["time"],
            values: vec![
                json!("lesson"),
                json!("break"),
                json!("lunch"),
                json!("exam"),
            ],
        },
        Var {
            path: &["location"],
            values: vec![
                json!("classroom"),
                json!("toilets"),
                json!("off_site_trip"),
                json!("designated_area"),
            ],
        },
        Var {
            path: &["facts", "prior_incidents"],
            values: vec![json!(0), json!(1), json!(2), json!(5)],
        },
        Var {
            path: &["facts", "approved_by"],
            values: vec![
                json!("headteacher"),
                json!("slt"),
                json!("teacher"),
                json!("none"),
            ],
        },
    ];
    for fact in [
        "adult_involved",
        "coerced_blackmailed_or_groomed",
        "capacity_to_consent_concern",
        "sexual_acts",
        "unusual_or_violent_acts",
        "immediate_risk_of_harm",
        "shared_widely",
        "consensual",
        "malicious",
        "ai_generated",
        "financial_extortion",
        "deliberate",
        "emergency",
        "emergency_evacuation",
        "school_device_available",
        "consent_given",
        "parental_consent",
        "children_present",
        "evidence_of_offence",
        "illegal_content_suspected",
        "urgent",
        "significant_harm_risk",
        "child_protection_concern",
        "meets_harm_threshold",
        "sexual_content",
        "search_conducted",
        "refused_to_delete",
        "staff_shown_imagery",
        "reported_promptly",
        "handed_in",
    ] {
        v.push(Var {
            path: Box::leak(vec!["facts", fact].into_boxed_slice()),
            values: b(),
        });
    }
    v
}

fn set(incident: &mut Value, path: &[&str], value: Value) {
    let mut cur = incident;
    for (i, key) in path.iter().enumerate() {
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        if i + 1 == path.len() {
            obj.insert((*key).to_owned(), value);
            return;
        }
        cur = obj
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

type Key = (String, String, Vec<String>, Option<String>, Option<String>);

fn summary(d: &Decision<'_>) -> (Vec<Key>, Option<String>) {
    let mut actions: Vec<Key> = d
        .actions()
        .map(|a| {
            let mut targets: Vec<String> = a.targets().iter().map(|t| (*t).to_owned()).collect();
            targets.sort();
            (
                a.modality().keyword().to_owned(),
                a.action().to_owned(),
                targets,
                a.deadline().map(str::to_owned),
                a.by().map(str::to_owned),
            )
        })
        .collect();
    actions.sort();
    (actions, d.permission().map(str::to_owned))
}

fn policies() -> Vec<Policy> {
    let mut out =
        vec![haven_tests::compile(&haven_tests::repo().join("policies/example")).unwrap()];
    if let Ok(entries) = std::fs::read_dir(haven_tests::repo().join("policies")) {
        let mut dirs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        dirs.sort();
        for dir in dirs {
            if dir.join("policy.haven").is_file() && !dir.ends_with("example") {
                if let Ok(p) = haven_tests::compile(&dir) {
                    out.push(p);
                }
            }
        }
    }
    out
}

const CATEGORIES: &[&str] = &[
    "sharing_nudes",
    "cyberbullying",
    "staff_misuse_concern",
    "allegation_against_staff",
    "csam",
    "deliberate_access_inappropriate",
    "filter_bypass",
    "inappropriate_personal_use",
    "unauthorised_device_use",
    "disturbing_communication",
    "sextortion",
    "upskirting",
];
const ACTIVITIES: &[&str] = &[
    "bring",
    "use",
    "photograph",
    "personal_call",
    "contact_pupil",
];
const ROLES: &[&str] = &[
    "pupil",
    "teacher",
    "headteacher",
    "parent_carer",
    "visitor",
    "dsl",
    "support_staff",
];

fn incident_strategy(n_vars: usize) -> impl Strategy<Value = (Value, Vec<Option<usize>>)> {
    let kind = prop_oneof![
        (0..CATEGORIES.len()).prop_map(|i| ("category", CATEGORIES[i])),
        (0..ACTIVITIES.len()).prop_map(|i| ("activity", ACTIVITIES[i])),
    ];
    let device = prop_oneof![
        Just(None),
        Just(Some(("phone", "personal"))),
        Just(Some(("camera", "school")))
    ];
    let others = prop_oneof![
        Just(None),
        Just(Some(vec![])),
        Just(Some(vec![10])),
        Just(Some(vec![15, 30]))
    ];
    (
        kind,
        0..ROLES.len(),
        device,
        others,
        proptest::collection::vec(proptest::option::weighted(0.5, 0usize..4), n_vars),
    )
        .prop_map(|((key, value), role, device, others, choices)| {
            let mut incident = json!({ key: value, "actor": { "role": ROLES[role] } });
            if let Some((kind, owner)) = device {
                set(
                    &mut incident,
                    &["device"],
                    json!({ "kind": kind, "owner": owner }),
                );
            }
            if let Some(ages) = others {
                let people: Vec<Value> = ages
                    .iter()
                    .map(|a| json!({ "role": "pupil", "age": a }))
                    .collect();
                set(&mut incident, &["others"], Value::Array(people));
            }
            (incident, choices)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn a_complete_decision_does_not_depend_on_unknown_facts(
        (base, choices) in incident_strategy(vars().len())
    ) {
        let vars = vars();
        for policy in policies() {
            let mut incident = base.clone();
            for (var, choice) in vars.iter().zip(&choices) {
                if let Some(c) = choice {
                    set(&mut incident, var.path, var.values[*c % var.values.len()].clone());
                }
            }
            let parsed = match policy.incident_from_value(&incident) {
                Ok(parsed) => parsed,
                Err(e) if e.code == "haven::incident::contradicts_relation" => continue,
                Err(e) => panic!("{e}: {incident}"),
            };
            let decision = policy.evaluate(&parsed);
            if decision.status() != Status::Complete {
                continue;
            }
            let expected = summary(&decision);
            for (var, choice) in vars.iter().zip(&choices) {
                if choice.is_some() {
                    continue;
                }
                for value in &var.values {
                    let mut filled = incident.clone();
                    set(&mut filled, var.path, value.clone());
                    // With fact relations on (policies/std), a value the relations rule out
                    // is an impossible world: it is rejected, never decided differently.
                    let parsed = match policy.incident_from_value(&filled) {
                        Ok(parsed) => parsed,
                        Err(e) if e.code == "haven::incident::contradicts_relation" => continue,
                        Err(e) => panic!("{e}: {filled}"),
                    };
                    let got = summary(&policy.evaluate(&parsed));
                    prop_assert_eq!(
                        &got, &expected,
                        "policy {}: complete with `{}` unknown, but `{}` = {} changes the decision\nincident: {}",
                        policy.id(), var.path.join("."), var.path.join("."), value, incident
                    );
                }
            }
        }
    }
}
