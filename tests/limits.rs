//! Limits: hostile or accidental inputs far beyond the limits each give one clear error, in
//! bounded time and memory, never a stack overflow or a hang. "Bounded" is shown by this
//! test finishing: no timing assertions.
//!
//! One test per table, run case by case: the parser's step budget is a process-wide
//! setting, so cases that change it must not run beside other parses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_core::{Limits, NoModules};
use haven_tests::{compile, loader, options, repo};

const HEADER: &str = "policy t \"Test\" {\n  version \"1\"\n  use std/vocabulary\n}\n\n";

/// A rule whose condition is `when`.
fn rule(when: &str) -> String {
    format!("{HEADER}rule r {{\n  cites \"§1\": \"A sentence.\"\n  when {when}\n  must log_incident\n}}\n")
}

struct PolicyCase {
    name: &'static str,
    text: fn() -> String,
    /// Limits other than the defaults, if any.
    limits: Option<fn() -> Limits>,
    /// The one error code expected.
    code: &'static str,
}

fn policy_cases() -> Vec<PolicyCase> {
    vec![
        PolicyCase {
            name: "10 000-deep parentheses",
            text: || {
                rule(&format!(
                    "{}adult_involved{}",
                    "(".repeat(10_000),
                    ")".repeat(10_000)
                ))
            },
            limits: None,
            code: "haven::parse::nesting_too_deep",
        },
        PolicyCase {
            name: "10 000 unclosed parentheses",
            text: || rule(&"(".repeat(10_000)),
            limits: None,
            code: "haven::parse::nesting_too_deep",
        },
        PolicyCase {
            name: "10 000-deep quantifiers",
            text: || {
                rule(&format!(
                    "{}age < 13{}",
                    "any(people: ".repeat(10_000),
                    ")".repeat(10_000)
                ))
            },
            limits: None,
            code: "haven::parse::nesting_too_deep",
        },
        PolicyCase {
            name: "100 000 `not`s in a row",
            text: || rule(&format!("{}adult_involved", "not ".repeat(100_000))),
            limits: None,
            code: "haven::parse::nesting_too_deep",
        },
        PolicyCase {
            name: "`not`s and parentheses, each under the limit, together over it",
            text: || {
                let level = format!("{}(", "not ".repeat(40));
                rule(&format!(
                    "{}adult_involved{}",
                    level.repeat(40),
                    ")".repeat(40)
                ))
            },
            limits: None,
            code: "haven::parse::nesting_too_deep",
        },
        PolicyCase {
            // A table tick holding `"` is not a string to the parser, so the brackets after
            // it on the same line are real ones.
            name: "parentheses hidden after a tick holding a quote",
            text: || {
                format!(
                    "{HEADER}table t {{\n  cites \"§1\"\n  hit collect\n  columns {{\n    a: must log_incident\n  }}\n  row \"a\" when true | a\" | row \"b\" when {}true{} | X |\n}}\n",
                    "(".repeat(20_000),
                    ")".repeat(20_000)
                )
            },
            limits: None,
            code: "haven::parse::nesting_too_deep",
        },
        PolicyCase {
            name: "10 MB policy",
            text: || {
                let mut text = HEADER.to_owned();
                let line = "// padding padding padding padding padding padding padding padding\n";
                while text.len() < 10 * 1024 * 1024 {
                    text.push_str(line);
                }
                text
            },
            limits: None,
            code: "haven::parse::too_large",
        },
        PolicyCase {
            name: "a 20-digit number in a fact type",
            text: || format!("{HEADER}fact n: int 0..99999999999999999999\n"),
            limits: None,
            code: "haven::parse::number_out_of_range",
        },
        PolicyCase {
            name: "a 400-digit number in a comparison",
            text: || rule(&format!("actor.age < {}", "9".repeat(400))),
            limits: None,
            code: "haven::parse::number_out_of_range",
        },
        PolicyCase {
            name: "a number below i64::MIN",
            text: || rule("actor.age > -9223372036854775809"),
            limits: None,
            code: "haven::parse::number_out_of_range",
        },
        PolicyCase {
            name: "a 1 MB name",
            text: || rule(&"a".repeat(1024 * 1024)),
            limits: None,
            code: "haven::check::unknown_name",
        },
        PolicyCase {
            name: "a 1 MB string that never ends",
            text: || format!("{HEADER}caveat \"{}", "x".repeat(1024 * 1024)),
            limits: None,
            code: "haven::parse::unterminated_string",
        },
        PolicyCase {
            name: "parser step budget exhausted",
            text: || rule("category is any and adult_involved"),
            limits: Some(|| Limits {
                parser_call_limit: 200,
                ..Limits::default()
            }),
            code: "haven::parse::too_complex",
        },
    ]
}

#[test]
fn oversized_and_overnested_policies_give_one_clear_error() {
    for case in policy_cases() {
        let text = (case.text)();
        let mut opts = options();
        if let Some(limits) = case.limits {
            opts.limits = limits();
        }
        let report = haven_core::check("case.haven", &text, &loader(), &opts);
        let errors: Vec<_> = report.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(
            errors.len(),
            1,
            "{}: {:?}",
            case.name,
            errors.iter().map(|e| e.code).collect::<Vec<_>>()
        );
        let error = errors[0];
        assert_eq!(error.code, case.code, "{}: {}", case.name, error.message);
        assert!(error.span().is_some(), "{}: no location", case.name);
        assert!(error.help.is_some(), "{}: no hint", case.name);
        // A limit error underlines one place, never the whole input.
        if error.code.ends_with("too_deep") || error.code.ends_with("too_large") {
            let span = error.span().unwrap();
            assert!(
                span.end - span.start <= 64,
                "{}: underlines {span:?}",
                case.name
            );
        }
    }
}

#[test]
fn renderings_of_overlong_lines_show_a_window_with_exact_positions() {
    // 10 MB on one line: the error points at 1:1 and shows a short excerpt.
    let huge = format!("// {}", "x".repeat(10 * 1024 * 1024));
    let report = haven_core::check("huge.haven", &huge, &loader(), &options());
    let rendered = report.diagnostics[0].render(&report.sources);
    assert!(rendered.contains("huge.haven:1:1"), "{rendered}");
    assert!(rendered.contains("…"), "{rendered}");
    assert!(rendered.len() < 2048, "{} bytes", rendered.len());

    // A syntax error 5 000 columns in: the window holds the
    // offending token under its caret, and the column is the real one.
    let line = format!(
        "policy x \"T\" {{{}version \"1\" boguś {}}}\n",
        " ".repeat(5000),
        "é".repeat(3000)
    );
    let report = haven_core::check("long.haven", &line, &loader(), &options());
    let error = &report.diagnostics[0];
    let rendered = error.render(&report.sources);
    let plain = error.render_plain(&report.sources);
    assert!(plain.starts_with("long.haven:1:5027: "), "{plain}");
    assert!(rendered.contains("long.haven:1:5027"), "{rendered}");
    assert!(rendered.len() < 2048, "{} bytes", rendered.len());
    let lines: Vec<&str> = rendered.lines().collect();
    let source_line = lines.iter().position(|l| l.starts_with("1 │")).unwrap();
    let carets = lines[source_line + 1];
    let column = |s: &str, needle: &str| s[..s.find(needle).unwrap()].chars().count();
    assert_eq!(
        column(lines[source_line], "boguś"),
        column(carets, "^^^^^"),
        "{rendered}"
    );
}

#[test]
fn limits_apply_to_modules_too() {
    // `haven_core::check` with no loader: the same limits hold for the root file alone.
    let text = rule(&format!("{}x{}", "(".repeat(100), ")".repeat(100)));
    let report = haven_core::check("case.haven", &text, &NoModules, &options());
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.code == "haven::parse::nesting_too_deep"));
}

struct IncidentCase {
    name: &'static str,
    text: fn() -> String,
    code: &'static str,
}

fn incident_cases() -> Vec<IncidentCase> {
    vec![
        IncidentCase {
            name: "1 000 000 people in `others`",
            text: || {
                let mut s = String::from(r#"{"category": "sharing_nudes", "others": ["#);
                for i in 0..1_000_000 {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(r#"{"role":"pupil"}"#);
                }
                s.push_str("]}");
                s
            },
            code: "haven::incident::too_large",
        },
        IncidentCase {
            name: "1 000 000 numbers in a list",
            text: || {
                format!(
                    r#"{{"category": "sharing_nudes", "others": [{}0]}}"#,
                    "0,".repeat(999_999)
                )
            },
            code: "haven::incident::too_large",
        },
        IncidentCase {
            name: "1 001 people in `others` (under the size limit)",
            text: || {
                let people = vec![r#"{"role":"pupil"}"#; 1001].join(",");
                format!(r#"{{"category": "sharing_nudes", "others": [{people}]}}"#)
            },
            code: "haven::incident::list_too_long",
        },
        IncidentCase {
            name: "100 000-deep arrays",
            text: || format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            code: "haven::incident::too_deep",
        },
        IncidentCase {
            name: "100 000 unclosed objects",
            text: || r#"{"a":"#.repeat(100_000),
            code: "haven::incident::too_deep",
        },
        IncidentCase {
            name: "17-deep objects inside `facts`",
            text: || {
                format!(
                    r#"{{"category": "sharing_nudes", "facts": {}1{}}}"#,
                    r#"{"a":"#.repeat(16),
                    "}".repeat(16)
                )
            },
            code: "haven::incident::too_deep",
        },
        IncidentCase {
            name: "an age of 1e400",
            text: || r#"{"category": "sharing_nudes", "actor": {"age": 1e400}}"#.to_owned(),
            code: "haven::incident::invalid_json",
        },
        IncidentCase {
            name: "an age of 2^70",
            text: || {
                r#"{"category": "sharing_nudes", "actor": {"age": 1180591620717411303424}}"#
                    .to_owned()
            },
            code: "haven::incident::out_of_range",
        },
        IncidentCase {
            name: "an age of -2^70",
            text: || {
                r#"{"category": "sharing_nudes", "actor": {"age": -1180591620717411303424}}"#
                    .to_owned()
            },
            code: "haven::incident::out_of_range",
        },
        IncidentCase {
            name: "a count of 2^63 (one past i64::MAX)",
            text: || {
                r#"{"category": "sharing_nudes", "facts": {"prior_incidents": 9223372036854775808}}"#
                    .to_owned()
            },
            code: "haven::incident::out_of_range",
        },
        IncidentCase {
            name: "a 400-digit age",
            text: || {
                format!(
                    r#"{{"category": "sharing_nudes", "actor": {{"age": {}}}}}"#,
                    "9".repeat(400)
                )
            },
            code: "haven::incident::invalid_json",
        },
        IncidentCase {
            name: "a 500 KB category name",
            text: || format!(r#"{{"category": "{}"}}"#, "x".repeat(500_000)),
            code: "haven::incident::unknown_value",
        },
        IncidentCase {
            name: "a 500 KB key",
            text: || format!(r#"{{"{}": 1}}"#, "k".repeat(500_000)),
            code: "haven::incident::unknown_key",
        },
        IncidentCase {
            name: "a 500 KB key in `actor`",
            text: || {
                format!(
                    r#"{{"category": "sharing_nudes", "actor": {{"{}": 1}}}}"#,
                    "k".repeat(500_000)
                )
            },
            code: "haven::incident::unknown_key",
        },
        IncidentCase {
            name: "a 500 KB key in `device`",
            text: || {
                format!(
                    r#"{{"category": "sharing_nudes", "device": {{"{}": 1}}}}"#,
                    "k".repeat(500_000)
                )
            },
            code: "haven::incident::unknown_key",
        },
        IncidentCase {
            name: "a 500 KB fact name",
            text: || {
                format!(
                    r#"{{"category": "sharing_nudes", "facts": {{"{}": true}}}}"#,
                    "é".repeat(250_000)
                )
            },
            code: "haven::incident::unknown_fact",
        },
    ]
}

#[test]
fn oversized_and_overnested_incidents_give_one_clear_error() {
    let policy = compile(&repo().join("policies/example")).unwrap_or_else(|e| panic!("{e}"));
    for case in incident_cases() {
        let text = (case.text)();
        let err = match policy.evaluate_json(&text) {
            Ok(_) => panic!("{}: accepted", case.name),
            Err(e) => e,
        };
        assert_eq!(err.code, case.code, "{}: {}", case.name, err.message);
        assert!(!err.expected.is_empty(), "{}: no hint", case.name);
        // Messages and key paths quote at most a short piece of the input.
        assert!(
            err.message.len() < 1024,
            "{}: {} bytes",
            case.name,
            err.message.len()
        );
        assert!(
            err.key.len() < 128,
            "{}: key {} bytes",
            case.name,
            err.key.len()
        );
    }
}
