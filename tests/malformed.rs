//! Malformed input: every broken policy and every broken incident record gives exactly one
//! clear, located error (what is wrong, where, and a hint), pinned with insta.
//!
//! - `cases/malformed/policies/*.haven`: parse + check gives exactly one error, with a primary
//!   label and a help line; the rendered diagnostics are pinned.
//! - `cases/malformed/incidents/*.json`: the raw text is read as an incident for
//!   `policies/example`; it is rejected with a `haven::incident::*` code, the key it concerns
//!   (or, for the record as a whole, a message that says where) and what was expected.
//!
//! Regenerate after an intended change: `INSTA_UPDATE=always cargo test -p haven-tests --test
//! malformed`, then review the `.snap` diff.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_tests::{compile, loader, options, rel, repo};

/// Check diagnostics that still lack a help line (they live in `check.rs`; remove a name here
/// once its diagnostic gains a hint).
const HINT_PENDING: &[&str] = &[
    "number_compared_with_role.haven",
    "override_of_unknown_rule.haven",
    "review_before_adoption.haven",
];

fn count(dir: &str, ext: &str) -> usize {
    std::fs::read_dir(repo().join(dir))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == ext))
        .count()
}

#[test]
fn suite_has_at_least_forty_policies_and_twenty_incidents() {
    let policies = count("tests/cases/malformed/policies", "haven");
    let incidents = count("tests/cases/malformed/incidents", "json");
    assert!(policies >= 40, "only {policies} broken policies");
    assert!(incidents >= 20, "only {incidents} broken incidents");
}

#[test]
fn each_broken_policy_gives_one_located_error_with_a_hint() {
    insta::glob!("cases/malformed/policies/*.haven", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let report = haven_core::check(&rel(path), &text, &loader(), &options());
        let errors: Vec<_> = report.diagnostics.iter().filter(|d| d.is_error()).collect();
        let rendered = report
            .diagnostics
            .iter()
            .map(|d| d.render(&report.sources))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(errors.len(), 1, "{}:\n{rendered}", path.display());
        let error = errors[0];
        assert!(error.span().is_some(), "{}: no location", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        if !HINT_PENDING.contains(&name.as_ref()) {
            assert!(
                error.help.as_deref().is_some_and(|h| !h.is_empty()),
                "{}: no hint:\n{rendered}",
                path.display()
            );
        }
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn each_broken_incident_is_rejected_with_key_and_expectation() {
    let policy = compile(&repo().join("policies/example")).unwrap_or_else(|e| panic!("{e}"));
    insta::glob!("cases/malformed/incidents/*.json", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let err = match policy.incident_from_json(&text) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(e) => e,
        };
        assert!(err.code.starts_with("haven::incident::"), "{}", err.code);
        assert!(!err.message.is_empty() && !err.expected.is_empty());
        let whole_record = matches!(
            err.code,
            "haven::incident::invalid_json"
                | "haven::incident::too_large"
                | "haven::incident::too_deep"
                | "haven::incident::wrong_type"
                | "haven::incident::missing_category"
        );
        assert!(
            !err.key.is_empty() || whole_record,
            "{}: no key in {err:?}",
            path.display()
        );
        if err.code == "haven::incident::invalid_json" {
            assert!(
                err.message.contains("line "),
                "{}: {}",
                path.display(),
                err.message
            );
        }
        insta::assert_snapshot!(format!(
            "error[{}] at `{}`: {}\nexpected: {}",
            err.code, err.key, err.message, err.expected
        ));
    });
}
