//! Golden tests: every file under `cases/` against a pinned snapshot.
//!
//! - `cases/check/err/*.haven`: at least one error; the rendered diagnostics are pinned.
//! - `cases/check/warn/*.haven`: no error, at least one warning; pinned.
//! - `cases/eval/*.json`: `{ "policy": <dir>, "incident": {...} }`; the decision is pinned.
//!
//! Regenerate after an intended change: `INSTA_UPDATE=always cargo test -p haven-tests`,
//! then review the `.snap` diff.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_tests::{compile, render_check, repo};
use std::collections::BTreeSet;

#[test]
fn check_errors_are_located_and_pinned() {
    insta::glob!("cases/check/err/*.haven", |path| {
        let (rendered, errors, _) = render_check(path);
        assert!(errors >= 1, "{} should fail to check", path.display());
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn check_warnings_are_located_and_pinned() {
    insta::glob!("cases/check/warn/*.haven", |path| {
        let (rendered, errors, warnings) = render_check(path);
        assert_eq!(
            errors,
            0,
            "{} should check without errors:\n{rendered}",
            path.display()
        );
        assert!(warnings >= 1, "{} should warn", path.display());
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn at_least_thirty_distinct_diagnostics_are_pinned() {
    let mut codes = BTreeSet::new();
    for dir in ["err", "warn"] {
        let pattern = repo().join("tests/cases/check").join(dir);
        for entry in std::fs::read_dir(pattern).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let report = haven_core::check(
                "case",
                &text,
                &haven_tests::loader(),
                &haven_tests::options(),
            );
            codes.extend(report.diagnostics.iter().map(|d| d.code));
        }
    }
    assert!(
        codes.len() >= 30,
        "only {} distinct codes: {codes:?}",
        codes.len()
    );
}

#[test]
fn decisions_are_pinned() {
    insta::glob!("cases/eval/*.json", |path| {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let policy_dir = repo().join(case["policy"].as_str().unwrap());
        let policy = compile(&policy_dir).unwrap_or_else(|e| panic!("{}", e.render()));
        let rendered = match policy.incident_from_value(&case["incident"]) {
            Ok(incident) => {
                serde_json::to_string_pretty(&policy.evaluate(&incident).to_json()).unwrap()
            }
            Err(e) => format!(
                "error[{}] at `{}`: {}\nexpected: {}",
                e.code, e.key, e.message, e.expected
            ),
        };
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn example_policy_checks_clean_apart_from_its_caveat() {
    let (rendered, errors, warnings) = render_check(&repo().join("policies/example/policy.haven"));
    assert_eq!((errors, warnings), (0, 1), "{rendered}");
}
