//! The benchmark decision (UKCIS immediate referral + Basnett's staff sanctions table) three
//! ways — haven, the typed oracle, the JSON oracle — must agree on every incident of the
//! benchmark corpus, or the benchmark ratios compare different work. Also checks the corpus
//! exercises every part of the decision.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use support::corpus;
use support::oracle::{self, Typed};

fn check_policy(policy: &haven_core::Policy, whole_decision: bool) -> BTreeMap<String, usize> {
    let mut fired: BTreeMap<String, usize> = BTreeMap::new();
    let mut incomplete = 0;
    for case in corpus::standard() {
        let text = case.to_text();
        let typed = oracle::decide(&Typed::from_case(&case)).tuples();
        let json = oracle::decide_json(&text).unwrap().tuples();
        assert_eq!(typed, json, "typed and JSON oracles differ on {text}");
        let decision = policy.evaluate_json(&text).unwrap();
        let haven = support::haven_tuples(&decision);
        // The direct JSON writer and the `Serialize` impl write the same bytes.
        assert_eq!(
            policy.evaluate_json_to_string(&text).ok(),
            serde_json::to_string(&decision).ok(),
            "{text}"
        );
        assert_eq!(haven, typed, "haven and the oracle differ on {text}");
        if whole_decision {
            assert_eq!(
                decision.actions().count(),
                haven.len(),
                "the decision policy requires only the benchmark actions"
            );
        }
        // The typed path (validated once) gives the same decision as the JSON path.
        let incident = policy.incident_from_value(&case.to_json()).unwrap();
        assert_eq!(support::haven_tuples(&policy.evaluate(&incident)), haven);
        // Text read straight into an incident (the fast path) = text read through a Value.
        assert_eq!(
            policy.incident_from_json(&text).unwrap(),
            incident,
            "{text}"
        );
        for r in decision.fired_rules().filter(|r| support::in_scope(r)) {
            *fired.entry(r.to_owned()).or_default() += 1;
        }
        if decision.status() == haven_core::Status::Incomplete {
            incomplete += 1;
        }
    }
    assert!(
        incomplete > 100,
        "the corpus should leave many decisions incomplete (unknown facts), got {incomplete}"
    );
    fired
}

#[test]
fn haven_and_oracles_agree_on_the_decision_policy() {
    let fired = check_policy(&support::decisions(), true);
    // Every row of the table and the referral rule fire somewhere in the corpus.
    assert!(fired.contains_key("ukcis_immediate_referral"), "{fired:?}");
    for row in 1..=15 {
        assert!(
            fired.contains_key(&format!("staff_sanctions/{row}")),
            "row {row} never fires: {fired:?}"
        );
    }
}

#[test]
fn haven_and_oracles_agree_on_the_full_basnett_policy() {
    let fired = check_policy(&support::basnett(), false);
    assert!(fired.len() == 16, "{fired:?}");
}

#[test]
fn corpus_is_varied() {
    let corpus = corpus::standard();
    assert!(corpus.len() >= 1024);
    let outcomes: std::collections::BTreeSet<u16> = corpus
        .iter()
        .map(|c| oracle::decide(&Typed::from_case(c)).0)
        .collect();
    // Nothing, the referral, and the 9 distinct tick patterns of the table's 15 rows.
    assert_eq!(outcomes.len(), 11, "distinct decisions in the corpus");
}

#[test]
fn generated_policies_compile() {
    for n in [10, 100] {
        let text = support::generated_text(n);
        let policy = support::compile("generated", &text);
        assert_eq!(policy.rule_ids().count(), n);
    }
}
