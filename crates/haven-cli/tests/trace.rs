//! `haven trace` and `haven draft` on a small fixture (`tests/fixtures/trace/`): output in
//! each format, `--deny-unaccounted` exit codes, and a draft that fails `check` only with
//! `to_complete` errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod common;

use common::{haven, text};

const DIR: &str = "crates/haven-cli/tests/fixtures/trace";

fn fixture(name: &str) -> String {
    format!("{DIR}/{name}")
}

#[test]
fn trace_text_gives_the_summary_and_each_unaccounted_sentence_with_its_line() {
    let out = haven()
        .args(["trace", &fixture("partial.haven"), &fixture("source.txt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("found 3 · cited 1 · declined 1 · unaccounted 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  line 10 §2 Phones [prohibition, must_not]: Pupils must not use phones in lessons."
        ),
        "{stdout}"
    );
    assert!(
        !stdout.contains("quotes that match no sentence"),
        "{stdout}"
    );
}

#[test]
fn trace_json_lists_every_sentence_with_its_status() {
    let out = haven()
        .args([
            "trace",
            "--format",
            "json",
            &fixture("partial.haven"),
            &fixture("source.txt"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["found"], 3);
    assert_eq!(v["summary"]["unaccounted"], 1);
    let sentences = v["sentences"].as_array().unwrap();
    let brief: Vec<(u64, &str, &str)> = sentences
        .iter()
        .map(|s| {
            (
                s["line"].as_u64().unwrap(),
                s["status"].as_str().unwrap(),
                s["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        brief,
        [
            (
                5,
                "cited",
                "All breaches of this policy must be reported to the Designated Safeguarding Lead."
            ),
            (5, "unaccounted", "The school has two sites."),
            (10, "unaccounted", "Pupils must not use phones in lessons."),
            (
                11,
                "declined",
                "Visitors should keep their phones on silent."
            ),
        ]
    );
    assert_eq!(sentences[0]["cited_by"][0], "rule report_breaches");
    assert_eq!(sentences[0]["found"]["kind"], "duty");
    assert!(
        sentences[1]["found"].is_null(),
        "a description is not a duty"
    );
    assert_eq!(
        sentences[3]["declined_because"],
        "advice to visitors, not a decision"
    );
}

#[test]
fn trace_html_sets_each_sentence_beside_the_rule_that_encodes_it() {
    let out = haven()
        .args([
            "trace",
            "--format",
            "html",
            &fixture("partial.haven"),
            &fixture("source.txt"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let html = text(&out.stdout);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("<tr class=\"cited\">"), "{html}");
    assert!(html.contains("<tr class=\"declined\">"), "{html}");
    assert!(html.contains("<tr class=\"unaccounted\">"), "{html}");
    // The rule's own text sits beside its sentence.
    assert!(
        html.contains("<pre>rule report_breaches {\n  cites &quot;§1 Reporting&quot;"),
        "{html}"
    );
    // Self-contained: no external script, style sheet or image.
    assert!(!html.contains("src=") && !html.contains("href="), "{html}");
}

#[test]
fn deny_unaccounted_fails_while_a_sentence_is_unaccounted_for() {
    let out = haven()
        .args([
            "trace",
            "--deny-unaccounted",
            &fixture("partial.haven"),
            &fixture("source.txt"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("1 sentence of"),
        "{}",
        text(&out.stderr)
    );
    let out = haven()
        .args([
            "trace",
            "--deny-unaccounted",
            &fixture("complete.haven"),
            &fixture("source.txt"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("found 3 · cited 2 · declined 1 · unaccounted 0"));
}

#[test]
fn trace_of_a_missing_source_is_an_unreadable_file() {
    let out = haven()
        .args(["trace", &fixture("partial.haven"), &fixture("absent.txt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn a_draft_fails_check_only_because_its_conditions_are_to_complete() {
    let dir = std::env::temp_dir().join(format!("haven-draft-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = haven()
        .args([
            "draft",
            &fixture("source.txt"),
            "--id",
            "example_school",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let policy = std::fs::read_to_string(dir.join("policy.haven")).unwrap();
    assert!(
        policy.contains("extends baseline\n  use std/vocabulary"),
        "{policy}"
    );
    assert!(
        policy.contains("cites \"§2 Phones\": \"Pupils must not use phones in lessons.\""),
        "{policy}"
    );
    assert!(policy.contains("must notify dsl"), "{policy}");
    assert!(policy.contains("permission not_allowed"), "{policy}");
    assert!(
        policy.contains("policy example_school \"Example School Online Safety Policy\""),
        "{policy}"
    );
    assert!(dir.join("scenarios.toml").is_file() && dir.join("NOTES.md").is_file());

    let out = haven()
        .args(["check", "--format", "json"])
        .arg(dir.join("policy.haven"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diags: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<&str> = diags
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(errors, ["haven::check::to_complete"; 3], "{diags:#}");

    // Drafting again over it is refused; a bad id is a usage error.
    let again = haven()
        .args([
            "draft",
            &fixture("source.txt"),
            "--id",
            "example_school",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    let bad = haven()
        .args(["draft", &fixture("source.txt"), "--id", "9 lives"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 17's bar: every duty sentence of every seed is cited by a rule or declined with a
/// reason. The seeds live in `../shared/seeds/`, beside the checkout (as in CI).
#[test]
fn every_school_accounts_for_every_duty_sentence_of_its_seed() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    assert!(
        seeds.is_dir(),
        "{} is missing: the seeds must sit beside the checkout (../shared/seeds)",
        seeds.display()
    );
    for (policy, seed) in [
        ("kingsbury_2019", "kingsbury-green-primary-2019.txt"),
        ("basnett_2024", "basnett-street-nursery-2024.txt"),
        ("kenilworth_2022", "kenilworth-primary-2022.txt"),
        ("thornton_2021", "thornton-primary-2021.txt"),
        ("dukestreet_2023", "duke-street-primary.txt"),
    ] {
        let out = haven()
            .args([
                "trace",
                &format!("policies/{policy}"),
                &seeds.join(seed).display().to_string(),
                "--deny-unaccounted",
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{policy}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert!(text(&out.stdout).contains("unaccounted 0"), "{policy}");
    }
}
