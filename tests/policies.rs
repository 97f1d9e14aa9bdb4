//! Every policy under `policies/` checks without errors, every scenario passes, and every
//! rule and table row of a seed policy is exercised by some scenario.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_core::scenario::{parse_scenarios, run_scenario};
use haven_tests::{compile, render_check, repo};
use std::collections::HashSet;
use std::path::PathBuf;

fn policy_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("policies"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("policy.haven").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_policy_checks_without_errors() {
    for dir in policy_dirs() {
        let (rendered, errors, _) = render_check(&dir.join("policy.haven"));
        assert_eq!(errors, 0, "{}:\n{rendered}", dir.display());
    }
}

#[test]
fn every_scenario_passes_and_covers_every_rule() {
    // A layer's rule counts as exercised by its own scenarios or by the scenarios of a policy
    // that extends it (an `on breach` rule of the baseline fires only on a breach a school
    // rules).
    let mut runs = Vec::new();
    for dir in policy_dirs() {
        let policy = compile(&dir).unwrap_or_else(|e| panic!("{}", e.render()));
        let text = std::fs::read_to_string(dir.join("scenarios.toml"))
            .unwrap_or_else(|_| panic!("{} has no scenarios.toml", dir.display()));
        let scenarios = parse_scenarios(&text).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut exercised = HashSet::new();
        let mut failures = Vec::new();
        for s in &scenarios {
            let r = run_scenario(&policy, s);
            exercised.extend(r.exercised.iter().cloned());
            if !r.passed() {
                failures.push(format!(
                    "{} :: {}\n  {}",
                    policy.id(),
                    r.name,
                    r.failures.join("\n  ")
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} scenario(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
        runs.push((policy, scenarios.len(), exercised));
    }
    for (policy, count, exercised) in &runs {
        let by_extending = |rule: &str| {
            runs.iter().any(|(other, _, ex)| {
                other.layers().iter().skip(1).any(|l| l == policy.id()) && ex.contains(rule)
            })
        };
        let missed: Vec<&str> = policy
            .own_rule_ids()
            .filter(|r| !exercised.contains(*r) && !by_extending(r))
            .collect();
        assert!(
            missed.is_empty(),
            "{}: rules no scenario exercises: {missed:?}",
            policy.id()
        );
        let minimum = match policy.id() {
            "example" => 5,
            "baseline" => 30,
            _ => 25,
        };
        assert!(
            *count >= minimum,
            "{} has {count} scenarios, at least {minimum} expected",
            policy.id()
        );
    }
}

/// `docs/policies/<id>.md` is `haven render` of each policy; the suite fails when one is
/// stale. Regenerate with `HAVEN_UPDATE_DOCS=1 cargo test -p haven-tests --test policies`.
#[test]
fn rendered_policy_documents_are_up_to_date() {
    let update = std::env::var_os("HAVEN_UPDATE_DOCS").is_some();
    let docs = repo().join("docs/policies");
    let mut stale = Vec::new();
    for dir in policy_dirs() {
        let policy = compile(&dir).unwrap_or_else(|e| panic!("{}", e.render()));
        let rendered = haven_core::render::markdown(&policy);
        let path = docs.join(format!("{}.md", policy.id()));
        if update {
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::write(&path, &rendered).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(rendered.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale rendered policies (run `HAVEN_UPDATE_DOCS=1 cargo test -p haven-tests --test policies`): {stale:?}"
    );
}
