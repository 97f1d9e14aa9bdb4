//! The `haven` binary on hostile input: non-UTF-8 files, oversized and overnested policies and
//! incidents. Each gives a clear error and a documented exit code (1 policy errors, 3
//! incident rejected, 4 unreadable file), never a crash. Also `haven fmt` and `--check`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod common;

use common::{haven, text};
use std::path::PathBuf;

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("haven-cli-limits-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const POLICY: &str = "policy t \"Test\" {\n  version \"1\"\n  use std/vocabulary\n}\n";

#[test]
fn non_utf8_policy_is_a_located_policy_error() {
    let dir = scratch("non-utf8-policy");
    let file = dir.join("bad.haven");
    let mut bytes = POLICY.as_bytes().to_vec();
    bytes.extend_from_slice(b"// caf\xe9\n");
    std::fs::write(&file, &bytes).unwrap();
    for args in [&["check"][..], &["fmt"], &["fmt", "--check"], &["render"]] {
        let out = haven().args(args).arg(&file).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error[haven::source::not_utf8]: file is not UTF-8 text: byte 0xE9 (in Windows-1252, `é`)"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("bad.haven:5:7"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("help: save the file as UTF-8"),
            "{args:?}: {stderr}"
        );
    }
    // The file is untouched by `fmt`.
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
    // As data: the same error with its line and column.
    let out = haven()
        .args(["check", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["code"], "haven::source::not_utf8", "{json}");
    assert_eq!(
        (json[0]["line"].as_u64(), json[0]["column"].as_u64()),
        (Some(5), Some(7))
    );
}

#[test]
fn a_module_that_is_not_utf8_or_not_readable_is_an_error_never_the_bundled_copy() {
    let dir = scratch("bad-module");
    let policies = dir.join("policies");
    std::fs::create_dir_all(policies.join("std")).unwrap();
    std::fs::create_dir_all(policies.join("school")).unwrap();
    let vocabulary = std::fs::read(common::repo().join("policies/std/vocabulary.haven")).unwrap();
    let mut broken = vocabulary.clone();
    broken.extend_from_slice(b"// \x93quoted\x94\n");
    std::fs::write(policies.join("std/vocabulary.haven"), &broken).unwrap();
    let school = policies.join("school/policy.haven");
    std::fs::write(&school, POLICY).unwrap();
    let out = haven().arg("check").arg(&school).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[haven::source::not_utf8]"),
        "{stderr}"
    );
    assert!(stderr.contains("(in Windows-1252, `“`)"), "{stderr}");
    assert!(
        stderr.contains("policies/std/vocabulary.haven:"),
        "{stderr}"
    );
    assert!(stderr.contains("named here"), "{stderr}");

    // A directory where the baseline file should be: an I/O error, not the bundled copy.
    std::fs::write(policies.join("std/vocabulary.haven"), &vocabulary).unwrap();
    std::fs::create_dir_all(policies.join("baseline/policy.haven")).unwrap();
    let extends = POLICY.replace(
        "  use std/vocabulary",
        "  extends baseline\n  use std/vocabulary",
    );
    std::fs::write(&school, &extends).unwrap();
    let out = haven().arg("check").arg(&school).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[haven::check::unreadable_module]: cannot read module `baseline` from `policies/baseline/policy.haven`"),
        "{stderr}"
    );

    // Fixed: the school's own copy is used again.
    std::fs::remove_dir(policies.join("baseline/policy.haven")).unwrap();
    std::fs::write(
        policies.join("baseline/policy.haven"),
        std::fs::read(common::repo().join("policies/baseline/policy.haven")).unwrap(),
    )
    .unwrap();
    let out = haven().arg("check").arg(&school).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn non_utf8_incident_exits_four() {
    let dir = scratch("non-utf8-incident");
    let file = dir.join("bad.json");
    std::fs::write(&file, b"{\"category\": \"sharing_nudes\xff\"}").unwrap();
    let out = haven()
        .args(["eval", "policies/example"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("`")
            && stderr.contains("bad.json` is not UTF-8 text: line 1, column 28 (byte offset 27)"),
        "{stderr}"
    );

    let out = haven()
        .args(["eval", "policies/example", "-"])
        .write_stdin(b"{\"category\": \"\xc3\x28\"}".to_vec())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("error: standard input is not UTF-8 text: line 1, column 15"),
        "{stderr}"
    );
}

#[test]
fn oversized_and_overnested_policies_exit_one_with_the_limit_named() {
    let dir = scratch("big-policies");
    let cases = [
        (
            "deep.haven",
            format!(
                "{POLICY}rule r {{\n  cites \"x\"\n  when {}true{}\n  must log_incident\n}}\n",
                "(".repeat(10_000),
                ")".repeat(10_000)
            ),
            "haven::parse::nesting_too_deep",
        ),
        (
            "nots.haven",
            format!(
                "{POLICY}rule r {{\n  cites \"x\"\n  when {}true\n  must log_incident\n}}\n",
                "not ".repeat(100_000)
            ),
            "haven::parse::nesting_too_deep",
        ),
        (
            "huge.haven",
            format!("{POLICY}{}", "// padding\n".repeat(1_000_000)),
            "haven::parse::too_large",
        ),
    ];
    for (name, body, code) in cases {
        let file = dir.join(name);
        std::fs::write(&file, body).unwrap();
        for args in [&["check", "--format", "plain"][..], &["fmt", "--check"]] {
            let out = haven().args(args).arg(&file).output().unwrap();
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{name} {args:?}: {stderr}");
            assert!(stderr.contains(code), "{name} {args:?}: {stderr}");
            if args.contains(&"plain") {
                // One line per diagnostic. (The rustc-style rendering prints the whole source
                // line, which for `nots.haven` is the whole 400 KB condition.)
                assert!(
                    stderr.len() < 4096,
                    "{name}: {} bytes of stderr",
                    stderr.len()
                );
            }
        }
    }
}

#[test]
fn oversized_and_overnested_incidents_exit_three() {
    let mut people = String::from(r#"{"category": "sharing_nudes", "others": ["#);
    people.push_str(&vec![r#"{"role":"pupil"}"#; 1_000_000].join(","));
    people.push_str("]}");
    let cases = [
        (people, "haven::incident::too_large"),
        (
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            "haven::incident::too_deep",
        ),
        (
            r#"{"category": "sharing_nudes", "actor": {"age": 1180591620717411303424}}"#.to_owned(),
            "haven::incident::out_of_range",
        ),
        (
            r#"{"category": "sharing_nudes", "actor": {"age": 1e400}}"#.to_owned(),
            "haven::incident::invalid_json",
        ),
    ];
    for (incident, code) in cases {
        let out = haven()
            .args(["eval", "policies/example", "-"])
            .write_stdin(incident)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{code}: {stderr}");
        assert!(stderr.contains(code), "{code}: {stderr}");
    }
}

#[test]
fn fmt_check_lists_files_that_would_change_and_fmt_rewrites_them() {
    let dir = scratch("fmt");
    let messy = dir.join("messy.haven");
    let tidy = dir.join("tidy.haven");
    std::fs::write(
        &messy,
        "policy   t \"Test\" {version \"1\" use std/vocabulary} // kept\nrule r { cites \"x\" when category is any must log_incident }\n",
    )
    .unwrap();
    std::fs::write(&tidy, format!("{POLICY}\nrole helper\n")).unwrap();

    let out = haven().args(["fmt", "--check"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("messy.haven") && !stdout.contains("tidy.haven"),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("1 file would be reformatted"));

    let out = haven().arg("fmt").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!(std::fs::read_to_string(&messy).unwrap(), @r#"
    policy t "Test" {
      version "1"
      use std/vocabulary
    } // kept

    rule r {
      cites "x"
      when category is any
      must log_incident
    }
    "#);

    let out = haven().args(["fmt", "--check"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(out.stdout.is_empty());
}

#[test]
fn fmt_leaves_a_file_with_errors_untouched_and_exits_one() {
    let dir = scratch("fmt-error");
    let file = dir.join("broken.haven");
    let body = format!("{POLICY}rule r {{\n  cites \"x\"\n  must log_incident\n}}\n");
    std::fs::write(&file, &body).unwrap();
    let out = haven().arg("fmt").arg(&file).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("haven::parse::syntax"), "{stderr}");
    assert!(stderr.contains("not formatted"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), body);
}

#[test]
fn fmt_of_a_missing_file_exits_four() {
    let out = haven()
        .args(["fmt", "no/such/file.haven"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
}

/// Small policies whose checking once grew without bound: a 20 000-long chain of criteria
/// lists (each naming the one before; overflowed the stack), 40 criteria lists each naming
/// the one before twice (the inlined condition doubled at every level: a 2 KB file took
/// minutes and gigabytes), and a `hit first` table of 10 000 rows (every row listed every
/// row before it: quadratic memory). Each must end with a verdict (ok, or one clear error),
/// not a crash; the 120-second guard only stops a hang from stalling the suite (30 s was
/// once too short for the debug build on a loaded 2-core machine).
#[test]
fn checker_blowups_end_with_a_verdict() {
    let dir = scratch("blowups");
    let chain: String = (1..20_000)
        .map(|i| format!("criteria k{i} any {{\n  c: k{}\n}}\n", i - 1))
        .collect();
    let doubling: String = (1..40)
        .map(|i| format!("criteria k{i} any {{\n  a: k{0}\n  b: k{0}\n}}\n", i - 1))
        .collect();
    let rows: String = (0..10_000)
        .map(|i| format!("  row \"r{i}\" when prior_incidents == {i} | X | |\n"))
        .collect();
    let base = "criteria k0 any {\n  c: adult_involved\n}\n";
    let cases = [
        (
            "criteria_chain.haven",
            format!("{POLICY}{base}{chain}rule r {{\n  cites \"x\"\n  when category is any and k19999\n  must log_incident\n}}\n"),
        ),
        (
            "criteria_doubling.haven",
            format!("{POLICY}{base}{doubling}rule r {{\n  cites \"x\"\n  when category is any and k39\n  must log_incident\n}}\n"),
        ),
        (
            "first_table.haven",
            format!("{POLICY}table t \"T\" {{\n  cites \"x\"\n  hit first\n  columns {{\n    a: must log_incident\n    b: must notify dsl\n  }}\n{rows}}}\n"),
        ),
    ];
    for (name, body) in cases {
        let file = dir.join(name);
        std::fs::write(&file, body).unwrap();
        let out = haven()
            .args(["check", "--format", "plain"])
            .arg(&file)
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        let tail: String = stderr.lines().rev().take(3).collect::<Vec<_>>().join("\n");
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: no verdict ({:?}):\n{tail}",
            out.status
        );
        assert!(
            stderr.contains(": ok (") || stderr.contains("error[haven::"),
            "{name}:\n{tail}"
        );
    }
}
