//! `Policy::evaluate_json_to_string` writes the decision JSON with its own direct writer
//! (`decision.rs`, `Json`); the decision's `Serialize` impl, which `to_json` and the
//! bindings use, must give the very same bytes. Checked on every seed school policy over the
//! benchmark corpus, with `reported_at` (so actions carry `due`) and with ids that need
//! escaping or are numbers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

#[path = "../benches/support/mod.rs"]
mod support;

use serde_json::{json, Value};

#[test]
fn direct_writer_matches_serialize_on_every_school() {
    let loader = support::loader();
    let opts = support::options();
    let corpus = support::corpus::standard();
    let (mut compared, mut with_due, mut with_conditions) = (0, 0, 0);
    for (id, text) in support::SCHOOLS {
        let name = format!("policies/{id}/policy.haven");
        let policy = haven_core::Policy::compile(&name, text, &loader, &opts)
            .unwrap_or_else(|e| panic!("{id}: {}", e.render()));
        for (n, case) in corpus.iter().enumerate().step_by(2) {
            let mut record = case.to_json();
            match (n / 2) % 3 {
                0 => {}
                1 => {
                    record["reported_at"] = json!("2026-10-23T15:40:00+01:00");
                    record["id"] = json!("a \"quoted\"\tid — é\u{1}");
                }
                _ => {
                    record["reported_at"] = json!("2026-12-24T23:59:00Z");
                    record["id"] = json!(n);
                }
            }
            let text = record.to_string();
            let Ok(decision) = policy.evaluate_json(&text) else {
                continue;
            };
            let direct = policy.evaluate_json_to_string(&text).unwrap();
            assert_eq!(
                Some(direct.as_str()),
                serde_json::to_string(&decision).ok().as_deref(),
                "{id}: {text}"
            );
            let v: Value = serde_json::from_str(&direct).unwrap();
            let actions = v["actions"].as_array().cloned().unwrap_or_default();
            with_due += usize::from(actions.iter().any(|a| a["due"].is_string()));
            with_conditions += usize::from(
                v["permission"]["conditions"]
                    .as_array()
                    .is_some_and(|c| !c.is_empty()),
            );
            compared += 1;
        }
    }
    assert!(compared > 1000, "only {compared} decisions compared");
    assert!(with_due > 100, "only {with_due} decisions with a due time");
    assert!(with_conditions > 0, "no permission with conditions");
}
