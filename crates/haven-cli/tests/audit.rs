//! `haven audit`: generated histories with planted departures, found exactly from the JSON
//! the command writes; the offline HTML report; located errors and exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod common;

use common::{haven, repo, text};
use haven_audit::synth::{found, generate, Generated};
use haven_audit::{AuditReport, Auditor, Calendar};
use haven_core::{CheckOptions, Policy};
use std::path::PathBuf;

fn auditor(school: &str) -> Auditor {
    let dir = repo().join("policies").join(school);
    let path = dir.join("policy.haven");
    let text = std::fs::read_to_string(&path).unwrap();
    let loader = haven_modules::FsLoader::for_policy(&path);
    let policy = Policy::compile(
        &path.display().to_string(),
        &text,
        &loader,
        &CheckOptions::default(),
    )
    .unwrap();
    let calendar =
        Calendar::from_toml(&std::fs::read_to_string(dir.join("calendar.toml")).unwrap()).unwrap();
    Auditor::new(policy, calendar)
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("audit");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn history(school: &str, n: usize, seed: u64) -> (PathBuf, Generated) {
    let generated = generate(&auditor(school), school, n, seed);
    let path = scratch(&format!("{school}-{n}-{seed}.jsonl"));
    std::fs::write(&path, generated.lines.join("\n") + "\n").unwrap();
    (path, generated)
}

#[test]
fn audit_finds_exactly_the_planted_late_missing_and_forbidden_actions() {
    let (path, generated) = history("kenilworth_2022", 1500, 3);
    let out = haven()
        .args(["audit", "policies/kenilworth_2022"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: AuditReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.summary.records, 1500);
    assert_eq!(found(&report.findings), generated.planted);
    assert!(generated
        .planted
        .iter()
        .any(|p| p.outcome == haven_audit::Outcome::Forbidden));
    assert_eq!(report.policy, "kenilworth_2022");
    assert!(report.bank_holidays.contains("gov.uk/bank-holidays"));
}

#[test]
fn html_report_is_one_offline_page_with_charts() {
    let (path, _) = history("kingsbury_2019", 400, 5);
    let html = scratch("report.html");
    let out = haven()
        .args(["audit", "policies/kingsbury_2019"])
        .arg(&path)
        .args(["--format", "html", "--out"])
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    for id in [
        "chart-month",
        "chart-rule",
        "chart-category",
        "n-late",
        "judgements",
        "findings",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    assert!(page.contains("<svg"));
    // Nothing is fetched: no scripts, no external styles, images or fonts.
    for bad in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!page.contains(bad), "{bad}");
    }
}

#[test]
fn a_rejected_record_names_its_line_and_key_and_exits_3() {
    let path = scratch("bad.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"reported_at": "2026-03-13T10:00", "incident": {"category": "cyberbullying"}}"#,
            "\n",
            r#"{"reported_at": "2026-03-13T10:00", "incident": {"category": "cyberbullying"}, "taken": [{"action": "notify", "target": "dsl", "at": "yesterday"}]}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = haven()
        .args(["audit", "policies/kingsbury_2019"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "line 2: error[haven::history::bad_time]: `taken[0].at` must be a date and time"
        ),
        "{stderr}"
    );
    let report: AuditReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.summary.records, 1);
    assert_eq!(report.summary.rejected[0].key, "taken[0].at");
}

#[test]
fn a_bad_calendar_is_reported_with_its_line_and_column() {
    let cal = scratch("calendar.toml");
    std::fs::write(&cal, "day_starts = \"08:45\"\nday_ends = \"half three\"\n").unwrap();
    let out = haven()
        .args([
            "audit",
            "policies/kingsbury_2019",
            "/dev/null",
            "--calendar",
        ])
        .arg(&cal)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("calendar.toml:2:12: `day_ends` must be a time such as 15:30"),
        "{stderr}"
    );
}
