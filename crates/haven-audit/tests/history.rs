//! History records: validation with located errors, and generated histories whose planted
//! late, missing and forbidden actions the audit finds exactly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_audit::synth::{found, generate};
use haven_audit::{Auditor, Calendar, Outcome, Summary};
use haven_core::{CheckOptions, Policy};

fn auditor(school: &str) -> Auditor {
    let dir = format!("{}/../../policies/{school}", env!("CARGO_MANIFEST_DIR"));
    let path = format!("{dir}/policy.haven");
    let text = std::fs::read_to_string(&path).unwrap();
    let loader = haven_modules::FsLoader::for_policy(std::path::Path::new(&path));
    let policy = Policy::compile(&path, &text, &loader, &CheckOptions::default()).unwrap();
    let calendar =
        Calendar::from_toml(&std::fs::read_to_string(format!("{dir}/calendar.toml")).unwrap())
            .unwrap();
    Auditor::new(policy, calendar)
}

#[test]
fn planted_misses_late_and_forbidden_actions_are_found_exactly() {
    for school in ["kingsbury_2019", "kenilworth_2022"] {
        let a = auditor(school);
        let generated = generate(&a, school, 1500, 7);
        assert_eq!(generated.lines.len(), 1500);
        let audits: Vec<_> = generated
            .lines
            .iter()
            .map(|l| a.audit_line(l, "?").unwrap())
            .collect();
        let found = found(&audits);
        let missed: Vec<_> = generated
            .planted
            .iter()
            .filter(|p| !found.contains(p))
            .collect();
        let extra: Vec<_> = found
            .iter()
            .filter(|p| !generated.planted.contains(p))
            .collect();
        assert!(
            missed.is_empty() && extra.is_empty(),
            "{school}: planted but not found {missed:?}; found but not planted {extra:?}"
        );
        assert_eq!(found, generated.planted, "{school}");
        // Every kind of departure is planted at least once.
        for (outcome, judged) in [
            (Outcome::Forbidden, false),
            (Outcome::Late, false),
            (Outcome::NotDone, false),
            (Outcome::Late, true),
            (Outcome::NotDone, true),
        ] {
            assert!(
                found
                    .iter()
                    .any(|p| p.outcome == outcome && p.judged == judged),
                "{school}: no {outcome:?} judged={judged}"
            );
        }
        // And the summary counts them, judgements apart from plain misses.
        let mut summary = Summary::default();
        for r in &audits {
            summary.add(r);
        }
        let plain =
            |o: Outcome| found.iter().filter(|p| p.outcome == o && !p.judged).count() as u64;
        assert_eq!(summary.totals.late, plain(Outcome::Late));
        assert_eq!(summary.totals.not_done, plain(Outcome::NotDone));
        assert_eq!(summary.totals.forbidden, plain(Outcome::Forbidden));
        assert_eq!(
            summary.totals.judged,
            found.iter().filter(|p| p.judged).count() as u64
        );
        assert_eq!(summary.records, 1500);
    }
}

#[test]
fn partial_summaries_merge_to_the_single_pass_summary() {
    let a = auditor("kingsbury_2019");
    let lines = generate(&a, "kingsbury_2019", 1200, 11).lines;
    let (whole, findings) = a.audit_lines(lines.iter().map(String::as_str), 1);
    let mut merged = Summary::default();
    let mut merged_findings = Vec::new();
    for (i, chunk) in lines.chunks(701).enumerate() {
        let (s, f) = a.audit_lines(chunk.iter().map(String::as_str), i * 701 + 1);
        merged.merge(&s);
        merged_findings.extend(f);
    }
    assert_eq!(merged, whole);
    assert_eq!(merged_findings, findings);
}

fn error(line: &str) -> (String, String) {
    let e = auditor("kingsbury_2019").parse(line, "line 1").unwrap_err();
    (e.key, e.message)
}

#[test]
fn every_error_names_its_key() {
    let ok = r#""reported_at": "2026-03-13T10:00", "incident": {"category": "cyberbullying"}"#;
    let cases = [
        (format!("{{{ok}, \"colour\": 1}}"), "colour"),
        (r#"{"incident": {"category": "cyberbullying"}}"#.to_owned(), "reported_at"),
        (format!("{{{ok}, \"occurred_at\": \"13/03/2026\"}}"), "occurred_at"),
        (r#"{"reported_at": "2026-03-13T10:00", "occurred_at": "2026-03-13T11:00", "incident": {}}"#.to_owned(), "occurred_at"),
        (r#"{"reported_at": "2026-03-13T10:00", "incident": {"category": "knitting"}}"#.to_owned(), "incident.category"),
        (r#"{"reported_at": "2026-03-13T10:00", "incident": {"actor": {"date_of_birth": "2015-02-30"}}}"#.to_owned(), "incident.actor.date_of_birth"),
        (r#"{"reported_at": "2026-03-13T10:00", "incident": {"actor": {"date_of_birth": "2015-09-01", "age": 9}}}"#.to_owned(), "incident.actor.age"),
        (r#"{"reported_at": "2026-03-13T10:00", "incident": {"others": [{}, {"date_of_birth": "2027-01-01"}]}}"#.to_owned(), "incident.others[1].date_of_birth"),
        (format!("{{{ok}, \"taken\": [{{\"action\": \"notify\", \"at\": \"2026-03-13T10:00\"}}, {{\"action\": \"telegraph\", \"at\": \"2026-03-13T10:00\"}}]}}"), "taken[1].action"),
        (format!("{{{ok}, \"taken\": [{{\"action\": \"notify\", \"target\": [\"dsl\", 3], \"at\": \"2026-03-13T10:00\"}}]}}"), "taken[0].target[1]"),
        (format!("{{{ok}, \"taken\": [{{\"action\": \"notify\", \"target\": \"dsl\"}}]}}"), "taken[0].at"),
        (format!("{{{ok}, \"judgements\": [{{\"action\": \"notify\", \"departure\": \"skipped\", \"reason\": \"r\", \"decided_by\": \"dsl\"}}]}}"), "judgements[0].departure"),
        (format!("{{{ok}, \"judgements\": [{{\"action\": \"notify\", \"rule\": \"no_such_rule\", \"departure\": \"not_taken\", \"reason\": \"r\", \"decided_by\": \"dsl\"}}]}}"), "judgements[0].rule"),
        (format!("{{{ok}, \"judgements\": [{{\"action\": \"notify\", \"departure\": \"not_taken\", \"reason\": \" \", \"decided_by\": \"dsl\"}}]}}"), "judgements[0].reason"),
    ];
    for (line, key) in cases {
        let (got, message) = error(&line);
        assert_eq!(got, key, "{line}: {message}");
        assert!(
            message.contains(&format!("`{key}")) || key == "reported_at",
            "{message}"
        );
    }
}

#[test]
fn date_of_birth_gives_age_and_year_group_on_the_incident_date() {
    let a = auditor("kingsbury_2019");
    // Born 1 September 2015: Year 5 on 31 August 2026, Year 6 a day later.
    for (occurred, year) in [("2026-08-31T10:00", 5), ("2026-09-01T10:00", 6)] {
        let line = format!(
            r#"{{"occurred_at": "{occurred}", "reported_at": "2026-09-01T12:00", "incident": {{"category": "cyberbullying", "actor": {{"role": "pupil", "date_of_birth": "2015-09-01", "year_group": {year}}}}}}}"#
        );
        a.parse(&line, "x").unwrap();
        let wrong = line.replace(
            &format!("\"year_group\": {year}"),
            &format!("\"year_group\": {}", year + 1),
        );
        assert_eq!(
            a.parse(&wrong, "x").unwrap_err().key,
            "incident.actor.year_group"
        );
    }
}

#[test]
fn several_schools_dispatch_by_school() {
    let mut schools = haven_audit::Schools::new();
    schools.insert("kingsbury_2019", auditor("kingsbury_2019"));
    schools.insert("kenilworth_2022", auditor("kenilworth_2022"));
    let record = |school: &str| {
        format!(
            r#"{{{school}"reported_at": "2026-03-13T10:00", "incident": {{"category": "cyberbullying"}}}}"#
        )
    };
    let audit = schools
        .audit_line(&record(r#""school": "kenilworth_2022", "#), "x")
        .unwrap();
    assert_eq!(audit.school, "kenilworth_2022");
    for bad in [record(r#""school": "nowhere", "#), record("")] {
        let e = schools.audit_line(&bad, "x").unwrap_err();
        assert_eq!(
            (e.key.as_str(), e.code),
            ("school", "haven::history::unknown_school")
        );
    }
}

#[test]
fn evaluate_json_each_pairs_schools_with_records() {
    let mut schools = haven_audit::Schools::new();
    schools.insert("kingsbury_2019", auditor("kingsbury_2019"));
    let record = r#"{"category": "cyberbullying"}"#.to_owned();
    let names = ["kingsbury_2019".to_owned(), "nowhere".to_owned()];
    let out = schools
        .evaluate_json_each(&names, &[record.clone(), record.clone()])
        .unwrap();
    let one = schools.evaluate_json("kingsbury_2019", &record);
    assert_eq!(out[0], one);
    assert!(
        out[1].contains("haven::history::unknown_school"),
        "{}",
        out[1]
    );
    let uneven = schools.evaluate_json_each(&names, &[record]);
    assert_eq!(uneven, Err(haven_core::api::usage::LENGTHS));
}

#[test]
fn an_auditor_for_a_policy_takes_the_calendar_beside_it() {
    let by_hand = auditor("kingsbury_2019");
    let policy = by_hand.policy().clone();
    assert_eq!(Auditor::for_policy(policy).calendar(), by_hand.calendar());
    let bare = Policy::compile(
        "p.haven",
        "policy p \"P\" {\n  version \"1\"\n  use std/vocabulary\n}\n",
        &haven_modules::Bundled,
        &CheckOptions::default(),
    )
    .unwrap();
    assert_eq!(Auditor::for_policy(bare).calendar(), &Calendar::default());
}

#[test]
fn history_errors_read_with_their_code() {
    let e = auditor("kingsbury_2019")
        .parse(r#"{"reported_at": "soon", "incident": {}}"#, "line 1")
        .unwrap_err();
    assert!(e
        .coded()
        .starts_with("haven::history::bad_time: `reported_at` must be"));
}

#[test]
fn text_in_and_out_gives_the_reports_of_the_cli() {
    let mut schools = haven_audit::Schools::new();
    schools.insert("kingsbury_2019", auditor("kingsbury_2019"));
    let lines = generate(
        schools.get("kingsbury_2019").unwrap(),
        "kingsbury_2019",
        300,
        5,
    )
    .lines;
    let (summary, findings) =
        haven_audit::text::audit_lines(&schools, lines.iter().map(String::as_str), 1);
    let (a, _) =
        haven_audit::text::audit_lines(&schools, lines[..100].iter().map(String::as_str), 1);
    let (b, _) =
        haven_audit::text::audit_lines(&schools, lines[100..].iter().map(String::as_str), 101);
    let merged = haven_audit::text::merge(&[a, b]).unwrap();
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
    assert_eq!(parse(&merged), parse(&summary));
    let report = haven_audit::text::report(&schools, &summary, &findings).unwrap();
    assert_eq!(parse(&report)["policy"], "kingsbury_2019");
    assert!(haven_audit::text::html(&report, 10)
        .unwrap()
        .starts_with("<!doctype html>"));
    let bad = haven_audit::text::merge(&["{".to_owned()]).unwrap_err();
    assert!(bad.starts_with("not an audit summary: "));
    let e = haven_audit::text::audit(&schools, r#"{"reported_at": "soon", "incident": {}}"#);
    assert!(e.unwrap_err().starts_with("haven::history::bad_time: "));
}
