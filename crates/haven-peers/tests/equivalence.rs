//! Each peer engine must give haven's answer on every incident of the benchmark corpus
//! before its timings mean anything. (Heavy to build: not part of the default test run; see
//! BENCHMARKS.md for the command.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

#[path = "../../haven-core/benches/support/mod.rs"]
mod support;

use haven_peers::{cedar::Cedar, rego::Rego, zen::Zen};
use support::oracle::Outcome;

/// haven's decision for every corpus incident, as the oracle's bit set (checked against
/// haven's actions), with the incident's JSON text.
fn expected() -> Vec<(String, serde_json::Value, Outcome)> {
    let policy = support::decisions();
    support::corpus::standard()
        .iter()
        .map(|case| {
            let text = case.to_text();
            let decision = policy.evaluate_json(&text).unwrap();
            let outcome = support::oracle::decide_json(&text).unwrap();
            assert_eq!(support::haven_tuples(&decision), outcome.tuples(), "{text}");
            (text, case.to_json(), outcome)
        })
        .collect()
}

#[test]
fn cedar_agrees_with_haven_on_the_corpus() {
    let cedar = Cedar::new().unwrap();
    for (text, json, want) in expected() {
        let got = cedar.decide(&cedar.request(&json).unwrap());
        assert_eq!(Outcome(got).tuples(), want.tuples(), "cedar on {text}");
        assert_eq!(cedar.decide_json(&text).unwrap(), got);
    }
}

#[test]
fn regorus_agrees_with_haven_on_the_corpus() {
    let mut rego = Rego::new().unwrap();
    for (text, _, want) in expected() {
        let input = Rego::input(&text).unwrap();
        let got = rego.decide(&input).unwrap();
        assert_eq!(Outcome(got).tuples(), want.tuples(), "regorus on {text}");
        assert_eq!(
            rego.decide_compiled(&input).unwrap(),
            got,
            "compiled, {text}"
        );
        assert_eq!(rego.decide_json(&text).unwrap(), got);
    }
}

#[test]
fn zen_agrees_with_haven_on_the_corpus() {
    let zen = Zen::new().unwrap();
    for (text, _, want) in expected() {
        let input = Zen::input(&text).unwrap();
        let got = zen.decide(&input).unwrap();
        assert_eq!(Outcome(got).tuples(), want.tuples(), "zen on {text}");
        assert_eq!(zen.decide_json(&text).unwrap(), got);
    }
}
