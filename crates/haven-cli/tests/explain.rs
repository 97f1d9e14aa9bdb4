//! `haven explain` and `haven diff`: output and exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod common;

use common::{haven, text};

#[test]
fn explain_names_the_criterion_and_the_counterfactual() {
    let out = haven()
        .args([
            "explain",
            "policies/baseline",
            "tests/cases/cli/explain/nudes_c1.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("criteria met: ukcis_immediate_referral, ukcis_immediate_referral.c1"),
        "{stdout}"
    );
    assert!(stdout.contains("would no longer be required if facts.adult_involved were false (criteria: ukcis_immediate_referral.c1)"), "{stdout}");
}

#[test]
fn explain_json_adds_the_explain_key() {
    let out = haven()
        .args([
            "explain",
            "--format",
            "json",
            "policies/example",
            "tests/cases/cli/explain/phone_break.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["permission"]["verdict"], "allowed_if");
    assert_eq!(
        v["explain"]["permission"]["overridden"][0]["rule"],
        "pupil_phones"
    );
    assert_eq!(
        v["explain"]["permission"]["overridden"][0]["by"][0],
        "year6_phone_at_break"
    );
}

#[test]
fn why_not_lists_minimal_changes() {
    let out = haven()
        .args([
            "explain",
            "policies/baseline",
            "tests/cases/cli/explain/nudes_unknown.json",
            "--why-not",
            "refer",
            "police",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["already"], false);
    let facts: Vec<&str> = v["counterfactuals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["changes"].as_array().unwrap().len() == 1)
        .map(|c| c["changes"][0]["fact"].as_str().unwrap())
        .collect();
    assert!(facts.contains(&"facts.adult_involved"), "{facts:?}");
    assert!(facts.contains(&"facts.immediate_risk_of_harm"), "{facts:?}");
}

#[test]
fn why_not_without_an_action_is_a_usage_error() {
    let out = haven()
        .args([
            "explain",
            "policies/baseline",
            "tests/cases/cli/explain/nudes_unknown.json",
            "--why-not",
            "must",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn interview_reads_answers_until_the_decision_is_complete() {
    // Answers "yes" to the first question: the guided order asks a referral criterion
    // first, so one answer already makes the referral required.
    let out = haven()
        .args([
            "explain",
            "policies/baseline",
            "tests/cases/cli/explain/nudes_unknown.json",
            "--interview",
        ])
        .write_stdin("yes\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("any one of these makes"), "{stdout}");
    assert!(stdout.contains("refer"), "{stdout}");
    assert!(stdout.contains("actions:"), "{stdout}");
}

#[test]
fn diff_formats() {
    for (format, marker) in [
        ("text", "class(es) of incidents answered differently"),
        ("md", "# What changes: baseline"),
        ("html", "<!doctype html>"),
        ("json", "\"witness\""),
    ] {
        let out = haven()
            .args([
                "diff",
                "policies/baseline",
                "policies/example",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains(marker), "{format}: {stdout}");
    }
}

#[test]
fn diff_against_baseline_lists_only_what_a_school_requires_less() {
    let out = haven()
        .args([
            "diff",
            "policies/kingsbury_2019",
            "--against",
            "baseline",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["old_policy"], "baseline (version 2024.1)");
    for c in v["classes"].as_array().unwrap() {
        assert_ne!(c["difference"]["kind"], "action_added", "{c}");
    }
}

#[test]
fn diff_needs_two_policies_or_against() {
    let out = haven()
        .args(["diff", "policies/baseline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
