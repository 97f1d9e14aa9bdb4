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
use support::corpus::{Case, Person};
use support::oracle::Outcome;

/// Every category the sanctions table names (and `obscene_adult_content`, which only row 1
/// names and the corpus never draws), plus one it does not name, for each combination of the
/// two facts the table's rows test (true, false, unknown), with a staff actor, a pupil actor
/// and an actor of unknown role: the rows that need `deliberate` (1 and 14) and
/// `illegal_content_suspected` are exercised on every value, unknown included.
fn table_grid() -> Vec<Case> {
    const CATEGORIES: [&str; 20] = [
        "deliberate_access_inappropriate",
        "csam",
        "extreme_pornography",
        "obscene_adult_content",
        "criminally_racist_material",
        "inappropriate_personal_use",
        "unauthorised_download",
        "account_misuse",
        "data_protection_breach",
        "hacking_or_virus",
        "offensive_message",
        "cyberbullying",
        "staff_personal_comms_with_pupils",
        "professional_standing",
        "disrepute",
        "filter_bypass",
        "accidental_access_not_reported",
        "pornography",
        "copyright_breach",
        "grooming",
    ];
    const TRI: [Option<bool>; 3] = [Some(true), Some(false), None];
    let mut cases = Vec::new();
    for category in CATEGORIES {
        for role in [Some("teacher"), Some("pupil"), None] {
            for deliberate in TRI {
                for illegal in TRI {
                    let mut facts = Vec::new();
                    facts.extend(deliberate.map(|v| ("deliberate", v)));
                    facts.extend(illegal.map(|v| ("illegal_content_suspected", v)));
                    cases.push(Case {
                        id: format!("grid-{}", cases.len()),
                        category: Some(category),
                        activity: None,
                        actor: Some(Person {
                            role,
                            age: None,
                            sen: None,
                        }),
                        subject: None,
                        others: Some(Vec::new()),
                        facts,
                        device: None,
                        location: None,
                    });
                }
            }
        }
    }
    cases
}

/// haven's decision for every corpus incident and every [`table_grid`] incident, as the
/// oracle's bit set (checked against haven's actions), with the incident's JSON text.
fn expected() -> Vec<(String, serde_json::Value, Outcome)> {
    let policy = support::decisions();
    let cases: Vec<Case> = support::corpus::standard()
        .into_iter()
        .chain(table_grid())
        .collect();
    let expected: Vec<_> = cases
        .iter()
        .map(|case| {
            let text = case.to_text();
            let decision = policy.evaluate_json(&text).unwrap();
            let outcome = support::oracle::decide_json(&text).unwrap();
            assert_eq!(support::haven_tuples(&decision), outcome.tuples(), "{text}");
            (text, case.to_json(), outcome)
        })
        .collect();
    // The changed rows fire (and only on a deliberate act): the grid is not vacuous.
    let fired = |category: &str, deliberate: Option<bool>| {
        cases.iter().zip(&expected).any(|(c, (_, _, o))| {
            c.category == Some(category)
                && c.fact("deliberate") == deliberate
                && c.actor.as_ref().and_then(|a| a.role) == Some("teacher")
                && o.0 != 0
        })
    };
    for category in ["obscene_adult_content", "csam", "pornography"] {
        assert!(fired(category, Some(true)), "{category}, deliberate");
        assert!(!fired(category, Some(false)), "{category}, not deliberate");
        assert!(!fired(category, None), "{category}, deliberate unknown");
    }
    expected
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
