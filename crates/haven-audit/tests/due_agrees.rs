//! `haven audit` and the decision's `due` times agree: the same record, evaluated with its
//! `reported_at` on the same school calendar, gives every required action the due time the
//! audit measured lateness against.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_audit::synth::generate;
use haven_audit::time::LocalTime;
use haven_audit::Auditor;
use haven_core::{CheckOptions, Policy};

/// The school's policy as the loader reads it, with the `calendar.toml` beside it.
fn auditor(school: &str) -> Auditor {
    let path = format!(
        "{}/../../policies/{school}/policy.haven",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let loader = haven_modules::FsLoader::for_policy(std::path::Path::new(&path));
    let policy = Policy::compile(&path, &text, &loader, &CheckOptions::default()).unwrap();
    let calendar = policy
        .calendar()
        .cloned()
        .expect("the school has a calendar.toml");
    Auditor::new(policy, calendar)
}

#[test]
fn audit_and_eval_give_the_same_due_times_on_the_same_records() {
    let mut compared = 0;
    for school in ["kingsbury_2019", "kenilworth_2022"] {
        let a = auditor(school);
        let policy = a.policy();
        for (n, line) in generate(&a, school, 400, 11).lines.iter().enumerate() {
            let record = a.parse(line, "?").unwrap();
            let audit = a.audit(&record);
            // The record's incident, as the contract reads it, with its report time.
            let mut incident = policy.incident_to_json(&record.incident);
            incident["reported_at"] = record.reported_at.to_rfc3339().into();
            let incident = policy.incident_from_value(&incident).unwrap();
            let decision = policy.evaluate(&incident).to_json();
            let actions = decision["actions"].as_array().unwrap();
            for item in &audit.items {
                let action = actions
                    .iter()
                    .find(|x| {
                        x["modality"] == item.modality.as_str()
                            && x["action"] == item.action.as_str()
                            && x["target"] == serde_json::json!(item.target)
                            && x["deadline"] == serde_json::json!(item.deadline)
                    })
                    .unwrap_or_else(|| panic!("{school} record {n}: {item:?} not in {actions:?}"));
                let due = action["due"]
                    .as_str()
                    .map(|t| LocalTime::parse(t).unwrap().to_string());
                assert_eq!(due, item.due, "{school} record {n}: {}", item.action);
                compared += usize::from(due.is_some());
            }
            assert!(
                decision["notes"].as_array().unwrap().iter().all(|n| !n
                    .as_str()
                    .unwrap()
                    .contains("without the school's calendar")),
                "a policy with a calendar never says it has none"
            );
        }
    }
    assert!(compared > 500, "only {compared} due times compared");
}
