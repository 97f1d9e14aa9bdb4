//! `haven eval` with `reported_at`: each action with a deadline gains its `due` time on the
//! school calendar beside the policy (docs/calendar.md has the rule for each token).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod common;

use common::{haven, repo, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One rule per deadline token, each with its own action so none merge.
const POLICY: &str = r#"policy due_test "Deadlines" {
  version "1"
  use std/vocabulary
}
rule now {
  cites "§1": "The DSL must be told immediately."
  when category is cyberbullying
  must notify dsl due immediately
}
rule today {
  cites "§2": "The incident must be logged the same day."
  when category is cyberbullying
  must log_incident due same_day
}
rule eod {
  cites "§3": "Parents must be informed by the end of the school day."
  when category is cyberbullying
  must inform_parents due end_of_day
}
rule wd {
  cites "§4": "The local authority must be told within one working day."
  when category is cyberbullying
  must refer local_authority due within_1_working_day
}
rule asap {
  cites "§5": "The decision must be recorded as soon as practicable."
  when category is cyberbullying
  must record_decision due as_soon_as_practicable
}
rule later {
  cites "§6": "A risk assessment should be made."
  when category is cyberbullying
  should risk_assessment due unspecified
}
"#;

/// A school directory holding the policy and, when `calendar` is given, its calendar.toml.
/// Each test names its own: tests run in parallel, and a shared file could be read while
/// another test rewrites it.
fn school(name: &str, calendar: Option<&str>) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("due")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.haven"), POLICY).unwrap();
    let cal = dir.join("calendar.toml");
    match calendar {
        Some(text) => std::fs::write(&cal, text).unwrap(),
        None => {
            let _ = std::fs::remove_file(&cal);
        }
    }
    dir
}

fn kingsbury_calendar() -> String {
    std::fs::read_to_string(repo().join("policies/kingsbury_2019/calendar.toml")).unwrap()
}

/// `haven eval` on one record: the decision.
fn eval(dir: &Path, record: &str) -> Value {
    let file = dir.join(format!("incident-{:x}.json", fxhash(record)));
    std::fs::write(&file, record).unwrap();
    let out = haven().arg("eval").arg(dir).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// `deadline → due` of every action of a decision.
fn dues(decision: &Value) -> Vec<(String, Value)> {
    decision["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["deadline"].as_str().unwrap_or("-").to_owned(),
                a.get("due")
                    .cloned()
                    .unwrap_or(Value::String("absent".into())),
            )
        })
        .collect()
}

fn due_of(decision: &Value, token: &str) -> Value {
    dues(decision)
        .into_iter()
        .find(|(d, _)| d == token)
        .unwrap_or_else(|| panic!("no action due {token}"))
        .1
}

fn record(reported_at: &str) -> String {
    format!(r#"{{"category": "cyberbullying", "reported_at": "{reported_at}"}}"#)
}

#[test]
fn friday_afternoon_before_half_term_every_token() {
    let dir = school("kingsbury-friday", Some(&kingsbury_calendar()));
    // Friday 23 October 2026, 15:40 BST, after school; half term 26–30 October; the clocks
    // go back on Sunday 25 October; Monday 2 November is an INSET day.
    let d = eval(&dir, &record("2026-10-23T14:40:00Z"));
    assert_eq!(due_of(&d, "immediately"), "2026-10-23T16:40:00+01:00");
    assert_eq!(due_of(&d, "same_day"), "2026-10-23T23:59:00+01:00");
    assert_eq!(due_of(&d, "end_of_day"), "2026-11-02T15:30:00+00:00");
    assert_eq!(
        due_of(&d, "within_1_working_day"),
        "2026-10-26T23:59:00+00:00"
    );
    assert_eq!(
        due_of(&d, "as_soon_as_practicable"),
        "2026-11-02T15:30:00+00:00"
    );
    assert_eq!(due_of(&d, "unspecified"), Value::Null);
    assert!(
        d["notes"].as_array().unwrap().is_empty(),
        "with a calendar nothing is assumed: {}",
        d["notes"]
    );
}

#[test]
fn an_inset_day_is_a_school_day() {
    let dir = school("kingsbury-inset-day", Some(&kingsbury_calendar()));
    // Monday 2 November 2026, 10:00 GMT: an INSET day (staff in, pupils not).
    let d = eval(&dir, &record("2026-11-02T10:00:00+00:00"));
    assert_eq!(due_of(&d, "end_of_day"), "2026-11-02T15:30:00+00:00");
    assert_eq!(
        due_of(&d, "as_soon_as_practicable"),
        "2026-11-03T15:30:00+00:00"
    );
    assert_eq!(
        due_of(&d, "within_1_working_day"),
        "2026-11-03T23:59:00+00:00"
    );
    assert_eq!(due_of(&d, "immediately"), "2026-11-02T11:00:00+00:00");
}

#[test]
fn a_bank_holiday_is_skipped() {
    let dir = school("kingsbury-bank-holiday", Some(&kingsbury_calendar()));
    // Friday 1 May 2026, 16:00 BST, after school; Monday 4 May is the early May bank holiday.
    let d = eval(&dir, &record("2026-05-01T16:00:00+01:00"));
    assert_eq!(due_of(&d, "same_day"), "2026-05-01T23:59:00+01:00");
    assert_eq!(due_of(&d, "end_of_day"), "2026-05-05T15:30:00+01:00");
    assert_eq!(
        due_of(&d, "within_1_working_day"),
        "2026-05-05T23:59:00+01:00"
    );
    assert_eq!(
        due_of(&d, "as_soon_as_practicable"),
        "2026-05-05T15:30:00+01:00"
    );
    // Reported on the bank holiday itself.
    let d = eval(&dir, &record("2026-05-04T09:00:00+01:00"));
    assert_eq!(due_of(&d, "same_day"), "2026-05-04T23:59:00+01:00");
    assert_eq!(due_of(&d, "end_of_day"), "2026-05-05T15:30:00+01:00");
    assert_eq!(
        due_of(&d, "within_1_working_day"),
        "2026-05-05T23:59:00+01:00"
    );
}

#[test]
fn without_reported_at_no_action_has_a_due_key() {
    let dir = school("kingsbury-no-reported-at", Some(&kingsbury_calendar()));
    let d = eval(&dir, r#"{"category": "cyberbullying"}"#);
    assert!(dues(&d).iter().all(|(_, due)| due == "absent"), "{d}");
}

#[test]
fn without_a_calendar_due_times_skip_weekends_and_bank_holidays_and_say_so() {
    let dir = school("no-calendar", None);
    let d = eval(&dir, &record("2026-10-23T14:40:00Z"));
    // Half term is not known: Monday 26 October counts as a school day.
    assert_eq!(due_of(&d, "end_of_day"), "2026-10-26T15:30:00+00:00");
    assert_eq!(
        due_of(&d, "within_1_working_day"),
        "2026-10-26T23:59:00+00:00"
    );
    let d = eval(&dir, &record("2026-05-01T16:00:00+01:00"));
    assert_eq!(
        due_of(&d, "as_soon_as_practicable"),
        "2026-05-05T15:30:00+01:00"
    );
    let notes: Vec<&str> = d["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("without the school's calendar")),
        "{notes:?}"
    );
}

#[test]
fn text_output_shows_due_times() {
    let dir = school("kingsbury-text-output", Some(&kingsbury_calendar()));
    let file = dir.join("text.json");
    std::fs::write(&file, record("2026-10-23T14:40:00Z")).unwrap();
    let out = haven()
        .args(["eval", "--format", "text"])
        .arg(&dir)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("(due 2026-11-02T15:30:00+00:00)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_timestamps_are_located_errors() {
    let dir = school("kingsbury-bad-timestamps", Some(&kingsbury_calendar()));
    let file = dir.join("bad-times.json");
    std::fs::write(
        &file,
        r#"{"category": "cyberbullying", "reported_at": "2026-10-23T15:40", "occurred_at": 3}"#,
    )
    .unwrap();
    let out = haven().arg("eval").arg(&dir).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[haven::incident::invalid_time]"),
        "{err}"
    );
    assert!(
        err.contains("`reported_at` must be an RFC 3339 date and time"),
        "{err}"
    );
    assert!(
        err.contains("error[haven::incident::wrong_type]: `occurred_at`"),
        "{err}"
    );
    std::fs::write(
        &file,
        r#"{"category": "cyberbullying", "occurred_at": "2026-10-23T16:00:00+01:00", "reported_at": "2026-10-23T15:40:00+01:00"}"#,
    )
    .unwrap();
    let out = haven().arg("eval").arg(&dir).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("error[haven::incident::occurred_after_reported]"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_malformed_calendar_is_a_located_policy_error() {
    let dir = school("bad-calendar", Some("school = \"x\"\nday_ends = \"3pm\"\n"));
    let file = dir.join("incident.json");
    std::fs::write(&file, record("2026-10-23T14:40:00Z")).unwrap();
    for args in [vec!["eval"], vec!["check"]] {
        let mut cmd = haven();
        cmd.args(&args).arg(&dir);
        if args == ["eval"] {
            cmd.arg(&file);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("haven::calendar::invalid"), "{err}");
        assert!(
            err.contains("`day_ends` must be a time such as 15:30"),
            "{err}"
        );
        assert!(err.contains("calendar.toml:2:12"), "{err}");
    }
}
