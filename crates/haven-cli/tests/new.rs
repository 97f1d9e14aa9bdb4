//! `haven new`: a fresh policy that checks, tests (with full coverage) and formats clean, in a
//! directory outside the repository (so the bundled baseline and vocabulary are used, as on a
//! fresh machine); and the refusals (a bad id, an existing policy).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod common;

use common::{haven, text};

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("haven-new-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_new_policy_checks_and_tests_clean_with_full_coverage() {
    let dir = scratch("clean");
    let out = haven()
        .current_dir(&dir)
        .args([
            "new",
            "x",
            "--title",
            "Example Primary School — Online Safety Policy",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for file in ["policy.haven", "scenarios.toml", "NOTES.md"] {
        assert!(dir.join("x").join(file).is_file(), "{file} missing");
    }
    let policy = std::fs::read_to_string(dir.join("x/policy.haven")).unwrap();
    assert!(policy.contains("policy x \"Example Primary School — Online Safety Policy\""));
    assert!(policy.contains("  extends baseline\n"));
    assert!(
        policy.contains("adopted 2026-11\n  review_by 2027-11\n"),
        "{policy}"
    );
    let check = haven()
        .current_dir(&dir)
        .args(["check", "--deny-warnings", "x"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    assert!(text(&check.stderr).contains("x/policy.haven: ok (0 errors, 0 warnings)"));
    let test = haven()
        .current_dir(&dir)
        .args(["test", "x", "--coverage"])
        .output()
        .unwrap();
    assert_eq!(test.status.code(), Some(0), "{}", text(&test.stdout));
    assert!(text(&test.stdout).contains("test result: ok. 2 passed; 0 failed"));
    assert!(text(&test.stdout).contains("coverage x: 1/1 rules and rows exercised"));
    let fmt = haven()
        .current_dir(&dir)
        .args(["fmt", "--check", "x"])
        .output()
        .unwrap();
    assert_eq!(
        fmt.status.code(),
        Some(0),
        "the scaffold is in haven fmt's layout"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn new_refuses_a_bad_id_and_never_overwrites() {
    let dir = scratch("refuse");
    let bad = haven()
        .current_dir(&dir)
        .args(["new", "9 lives"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("`9 lives` is not a policy id"));
    let first = haven()
        .current_dir(&dir)
        .args(["new", "y"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0));
    std::fs::write(dir.join("y/policy.haven"), "kept").unwrap();
    let again = haven()
        .current_dir(&dir)
        .args(["new", "y"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("never overwrites"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("y/policy.haven")).unwrap(),
        "kept"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
