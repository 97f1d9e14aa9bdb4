//! The `haven` binary: output and exit codes (0 ok, 1 failure, 2 usage, 3 incident
//! rejected, 4 unreadable file). Output is pinned with insta.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod common;

use common::{haven, repo, text};

#[test]
fn check_clean_policy_exits_zero() {
    let out = haven()
        .args(["check", "policies/example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn check_broken_policy_prints_located_errors_and_exits_one() {
    let out = haven()
        .args(["check", "tests/cases/check/err/unknown_role.haven"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("tests/cases/check/err/unknown_role.haven:7:17"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn check_json_format_is_data() {
    let out = haven()
        .args([
            "check",
            "--format",
            "json",
            "tests/cases/check/err/unknown_target.haven",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["code"], "haven::check::unknown_target");
    assert_eq!(v[0]["line"], 8);
    assert_eq!(v[0]["column"], 14);
    assert_eq!(v[0]["labels"][0]["text"], "polise");
}

#[test]
fn check_plain_format_is_one_line_per_diagnostic() {
    let out = haven()
        .args([
            "check",
            "--format",
            "plain",
            "tests/cases/check/err/unknown_action.haven",
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn deny_warnings_fails_on_warnings() {
    let out = haven()
        .args(["check", "--deny-warnings", "policies/example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn eval_prints_the_decision_contract() {
    let out = haven()
        .args(["eval", "policies/example", "tests/cases/cli/nudes.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "policy",
        "status",
        "breach",
        "permission",
        "actions",
        "questions",
        "notes",
    ] {
        assert!(v.get(key).is_some(), "missing `{key}` in {v}");
    }
    assert_eq!(v["policy"]["id"], "example");
    assert_eq!(v["actions"][0]["modality"], "must");
}

#[test]
fn eval_text_format_lists_questions_first() {
    let out = haven()
        .args(["eval", "policies/example", "-", "--format", "text"])
        .write_stdin(r#"{"category":"sharing_nudes","actor":{"role":"pupil"}}"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn eval_jsonl_gives_one_decision_per_line_and_reports_bad_lines() {
    let input = concat!(
        r#"{"id": 1, "category":"cyberbullying","actor":{"role":"pupil"}}"#,
        "\n",
        r#"{"id": 2, "category":"cyberbullying","actor":{"role":"pupil","agee":3}}"#,
        "\n",
        r#"{"id": 3, "activity":"use","actor":{"role":"teacher"},"time":"lesson","device":{"kind":"phone","owner":"personal"},"facts":{"emergency":false}}"#,
        "\n",
    );
    let out = haven()
        .args(["eval", "policies/example", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["incident_id"], 1);
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["error"]["key"], "actor.agee");
    assert_eq!(lines[2]["permission"]["verdict"], "not_allowed");
}

#[test]
fn eval_rejected_incident_exits_three_naming_the_key() {
    let out = haven()
        .args(["eval", "policies/example", "-"])
        .write_stdin(r#"{"category":"cyberbullying","facts":{"adult_involved":"yes"}}"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn missing_file_exits_four() {
    let out = haven()
        .args(["check", "policies/nowhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn bad_usage_exits_two() {
    let out = haven().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn test_runs_scenarios_and_reports_like_cargo() {
    let out = haven()
        .args(["test", "policies/example", "--coverage"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.contains("test result: "), "{stdout}");
    assert!(stdout.contains("coverage example: "), "{stdout}");
}

#[test]
fn test_fails_with_exit_one_on_a_failing_scenario() {
    let out = haven()
        .args(["test", "tests/cases/cli/failing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("expected `must refer police`"), "{stdout}");
}

#[test]
fn render_markdown_shows_tables_and_citations() {
    let out = haven()
        .args(["render", "policies/example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let md = text(&out.stdout);
    assert!(
        md.contains("| Row | When | lm | ht | pol | w | dis |"),
        "{md}"
    );
    assert!(
        md.contains("Cites: §2 Reporting — “All incidents are reported"),
        "{md}"
    );
}

#[test]
fn render_html_is_a_page() {
    let out = haven()
        .args(["render", "policies/example", "--format", "html"])
        .output()
        .unwrap();
    let html = text(&out.stdout);
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<table>"));
}

/// The README's first command: Kenilworth, Year 6 pupil, phone, classroom, lesson → not
/// allowed; switched off and in the locker (DESIGN §2, question 2).
#[test]
fn readme_main_command_answers_the_year6_phone_question() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run --release -p haven-cli -- eval "))
        .expect("README has the eval command");
    let args: Vec<&str> = line
        .trim_start_matches("cargo run --release -p haven-cli -- ")
        .split_whitespace()
        .collect();
    let out = haven().args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("permission: not_allowed"), "{stdout}");
    assert!(stdout.contains("store_device locker"), "{stdout}");
    assert!(
        stdout.contains(
            "\"In lesson times all such devices must be switched off and placed in the locker.\""
        ),
        "{stdout}"
    );
}

#[test]
fn eval_jsonl_batch_example_runs() {
    let out = haven()
        .args([
            "eval",
            "policies/kenilworth_2022",
            "examples/incidents/kenilworth-batch.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ids: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["incident_id"].clone())
        .collect();
    assert_eq!(ids, vec!["A1", "A2", "A3", "A4"]);
}

#[test]
fn contract_reach_lists_rules_only_school_facts_can_trigger() {
    let policy = "crates/haven-cli/tests/fixtures/reach";
    let plain = haven()
        .args(["check", policy, "--format", "plain"])
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(0));
    assert!(!text(&plain.stderr).contains("needs_school_fact"));
    let out = haven()
        .args(["check", policy, "--contract-reach", "--format", "plain"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "a note, not an error");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("needs_school_fact"), "{stderr}");
    assert!(stderr.contains("`flagged_incidents_logged`"), "{stderr}");
    assert!(stderr.contains("`facts.flagged_by_head`"), "{stderr}");
    assert!(!stderr.contains("`bullying_reported`"), "{stderr}");
}

#[test]
fn eval_jsonl_text_output_names_each_incident_by_id_and_line() {
    let input = concat!(
        r#"{"id": "A1", "category":"cyberbullying","actor":{"role":"pupil"}}"#,
        "\n",
        r#"{"category":"cyberbullying","actor":{"role":"pupil","agee":3}}"#,
        "\n",
        r#"{"id": 7, "category":"cyberbullying"}"#,
        "\n",
        r#"{"category":"cyberbullying"}"#,
        "\n",
    );
    let out = haven()
        .args(["eval", "policies/example", "-", "--format", "text"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = text(&out.stdout);
    let headings: Vec<&str> = stdout.lines().filter(|l| l.starts_with("── ")).collect();
    assert_eq!(
        headings,
        vec![
            "── incident A1 · line 1 ──",
            "── line 2 ──",
            "── incident 7 · line 3 ──",
            "── line 4 ──"
        ]
    );
    assert!(
        stdout.contains("rejected: error[haven::incident::unknown_key]"),
        "{stdout}"
    );
}
