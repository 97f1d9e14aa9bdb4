//! Explanations, counterfactuals and the semantic diff (issue 15).
//!
//! Golden: the UKCIS sharing-nudes criteria (each criterion alone flips the referral, and the
//! counterfactual names exactly it) and a permission exception.
//! Properties: every counterfactual, applied to its incident, makes its claim true and is
//! minimal; every diff witness shows the stated difference under both policies; on random
//! pairs of small generated policies, every difference exhaustive evaluation finds over the
//! partition is a class of the diff.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_core::{
    apply_changes, compare, Decision, DiffOptions, Difference, ExplainOptions, Goal, Modality,
    Policy, Verdict,
};
use haven_tests::{compile, repo};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn policy(dir: &str) -> Policy {
    compile(&repo().join("policies").join(dir)).expect("policy compiles")
}

/// A sharing-nudes record between two 14-year-old pupils with every criterion false.
fn nudes(facts: &[(&str, Value)]) -> Value {
    let mut v = json!({
        "category": "sharing_nudes",
        "actor": {"role": "pupil", "age": 14},
        "subject": {"role": "pupil", "age": 14},
        "others": [],
        "facts": {
            "adult_involved": false, "coerced_blackmailed_or_groomed": false,
            "capacity_to_consent_concern": false, "unusual_or_violent_acts": false,
            "sexual_acts": false, "immediate_risk_of_harm": false,
            "financial_extortion": false, "malicious": false
        }
    });
    for (k, val) in facts {
        haven_core::set_path(&mut v, k, val.clone());
    }
    v
}

const REFERRAL: &str = "refer police childrens_social_care immediately";

fn referral() -> Goal {
    Goal::Gain {
        modality: Modality::Must,
        expectation: REFERRAL.to_owned(),
    }
}

#[test]
fn each_criterion_alone_makes_the_referral_required_and_is_named() {
    let p = policy("baseline");
    let inc = p.incident_from_value(&nudes(&[])).unwrap();
    let opts = ExplainOptions::default();
    let w = p.why_not(&inc, &referral(), &opts);
    assert!(!w.already);
    assert!(w.searched_all);
    for c in ["c1", "c2", "c3", "c4", "c5"] {
        let name = format!("ukcis_immediate_referral.{c}");
        let hit = w
            .counterfactuals
            .iter()
            .find(|cf| cf.criteria == vec![name.clone()]);
        assert!(
            hit.is_some(),
            "no counterfactual names exactly {name}:\n{}",
            w.to_text()
        );
    }
    // Every counterfactual that flips a criterion flips exactly one.
    for cf in &w.counterfactuals {
        assert!(cf.criteria.len() <= 1, "{}", cf.text);
    }
    insta::assert_snapshot!("why_not_referral_baseline", w.to_text());
}

#[test]
fn with_one_criterion_met_the_counterfactual_names_exactly_it() {
    let p = policy("baseline");
    let cases: [(&str, Vec<(&str, Value)>); 5] = [
        ("c1", vec![("facts.adult_involved", json!(true))]),
        (
            "c2",
            vec![("facts.coerced_blackmailed_or_groomed", json!(true))],
        ),
        (
            "c3",
            vec![
                ("facts.unusual_or_violent_acts", json!(true)),
                ("facts.sexual_acts", json!(true)),
            ],
        ),
        (
            "c4",
            vec![("facts.sexual_acts", json!(true)), ("actor.age", json!(12))],
        ),
        ("c5", vec![("facts.immediate_risk_of_harm", json!(true))]),
    ];
    let mut golden = String::new();
    for (c, facts) in cases {
        let name = format!("ukcis_immediate_referral.{c}");
        let inc = p.incident_from_value(&nudes(&facts)).unwrap();
        let e = p.explain(&inc, &ExplainOptions::default());
        let referral = e
            .actions
            .iter()
            .find(|a| a.key.action == "refer" && a.key.targets.len() == 2)
            .unwrap_or_else(|| panic!("{c}: no referral:\n{}", e.to_text()));
        let reason = referral
            .because
            .iter()
            .find(|r| r.rule == "ukcis_immediate_referral")
            .unwrap();
        assert_eq!(
            reason.criteria,
            vec!["ukcis_immediate_referral".to_owned(), name.clone()],
            "{c}"
        );
        assert!(!referral.counterfactuals.is_empty(), "{c}");
        for cf in &referral.counterfactuals {
            assert_eq!(cf.criteria, vec![name.clone()], "{c}: {}", cf.text);
        }
        golden.push_str(&format!("== {c}\n"));
        for cf in &referral.counterfactuals {
            golden.push_str(&format!("{}\n", cf.text));
        }
    }
    insta::assert_snapshot!("referral_counterfactuals_per_criterion", golden);
}

#[test]
fn a_permission_exception_is_named_and_its_counterfactuals_undo_it() {
    let p = policy("example");
    let record = json!({
        "activity": "use",
        "actor": {"role": "pupil", "year_group": 6},
        "device": {"kind": "phone", "owner": "personal"},
        "time": "break",
        "others": []
    });
    let inc = p.incident_from_value(&record).unwrap();
    let e = p.explain(&inc, &ExplainOptions::default());
    let perm = e.permission.as_ref().unwrap();
    assert_eq!(perm.verdict, Some(Verdict::AllowedIf));
    assert_eq!(perm.because[0].rule, "year6_phone_at_break");
    assert_eq!(perm.overridden.len(), 1);
    assert_eq!(perm.overridden[0].rule, "pupil_phones");
    assert_eq!(
        perm.overridden[0].by,
        vec!["year6_phone_at_break".to_owned()]
    );
    let facts: BTreeSet<&str> = perm
        .counterfactuals
        .iter()
        .flat_map(|c| c.changes.iter().map(|x| x.fact.as_str()))
        .collect();
    assert!(facts.contains("time"), "{}", e.to_text());
    assert!(facts.contains("actor.year_group"), "{}", e.to_text());
    insta::assert_snapshot!("permission_exception_example", e.to_text());

    // Why not allowed outright? No rule allows a pupil's phone use without conditions.
    let w = p.why_not(
        &inc,
        &Goal::Verdict(Verdict::Allowed),
        &ExplainOptions::default(),
    );
    assert!(w.counterfactuals.is_empty());
    assert!(w.producers.iter().all(|p| p.rule != "pupil_phones"));
}

/// The explanation's JSON is an extra key: the contract's keys are unchanged.
#[test]
fn the_explain_key_leaves_the_contract_alone() {
    let p = policy("baseline");
    let inc = p
        .incident_from_value(&nudes(&[("facts.adult_involved", json!(true))]))
        .unwrap();
    let plain = p.evaluate(&inc).to_json();
    let explained = p
        .evaluate_explained(&inc, &ExplainOptions::default())
        .to_json();
    let mut stripped = explained.clone();
    stripped.as_object_mut().unwrap().remove("explain");
    stripped.as_object_mut().unwrap().remove("next_questions");
    assert_eq!(plain, stripped);
    assert!(explained["explain"]["actions"].is_array());
}

/// Every counterfactual makes its claim true and no proper subset of its changes does.
fn check_counterfactuals(p: &Policy, record: &Value, label: &str) -> usize {
    let Ok(inc) = p.incident_from_value(record) else {
        return 0;
    };
    // Counterfactuals are changes to the record as validated (relations settled).
    let base = p.incident_to_json(&inc);
    let e = p.explain(&inc, &ExplainOptions::default());
    let d = p.evaluate(&inc);
    let mut goals: Vec<(Goal, Vec<haven_core::Counterfactual>)> = e
        .actions
        .iter()
        .map(|a| (Goal::Lose(a.key.clone()), a.counterfactuals.clone()))
        .collect();
    if let (Some(perm), Some(v)) = (&e.permission, d.verdict()) {
        goals.push((Goal::VerdictOtherThan(v), perm.counterfactuals.clone()));
    }
    let holds = |changes: &[haven_core::Change], goal: &Goal| -> Option<bool> {
        let rec = apply_changes(&base, changes);
        let i = p.incident_from_value(&rec).ok()?;
        Some(goal.holds(&p.evaluate(&i)))
    };
    let mut checked = 0;
    for (goal, cfs) in &goals {
        assert_eq!(holds(&[], goal), Some(false), "{label}: claim already true");
        for cf in cfs {
            assert_eq!(
                holds(&cf.changes, goal),
                Some(true),
                "{label}: counterfactual does not hold: {}",
                cf.text
            );
            let n = cf.changes.len();
            for mask in 0..(1u32 << n) - 1 {
                let subset: Vec<_> = cf
                    .changes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, c)| c.clone())
                    .collect();
                assert_ne!(
                    holds(&subset, goal),
                    Some(true),
                    "{label}: not minimal: {} (a subset suffices: {subset:?})",
                    cf.text
                );
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn counterfactuals_hold_and_are_minimal_on_the_scenario_corpus() {
    let full = std::env::var("HAVEN_SLOW_TESTS").is_ok();
    let mut checked = 0;
    for dir in [
        "baseline",
        "example",
        "kingsbury_2019",
        "kenilworth_2022",
        "basnett_2024",
        "dukestreet_2023",
        "thornton_2021",
    ] {
        let p = policy(dir);
        let text =
            std::fs::read_to_string(repo().join("policies").join(dir).join("scenarios.toml"))
                .unwrap();
        let scenarios = haven_core::scenario::parse_scenarios(&text).unwrap();
        // The default run takes every tenth scenario; HAVEN_SLOW_TESTS=1 takes them all.
        for (n, s) in scenarios.iter().enumerate() {
            if !full && n % 10 != 0 {
                continue;
            }
            let record = haven_core::scenario::to_json(&s.incident);
            checked += check_counterfactuals(&p, &record, &format!("{dir}::{}", s.name));
        }
    }
    assert!(checked > 20, "only {checked} counterfactuals checked");
}

fn check_witnesses(old: &Policy, new: &Policy) -> usize {
    let report = haven_core::diff(old, new, &DiffOptions::default());
    assert_eq!(report.gave_up, 0, "{:?}", report.gave_up_classes);
    for c in &report.classes {
        let io = old.incident_from_value(&c.witness).unwrap();
        let inew = new.incident_from_value(&c.witness).unwrap();
        let found = compare(&old.evaluate(&io), &new.evaluate(&inew));
        assert!(
            found.contains(&c.difference),
            "witness {} does not show {:?}: {found:?}",
            c.witness,
            c.difference
        );
    }
    report.classes.len()
}

#[test]
fn every_diff_witness_shows_its_difference() {
    let kingsbury = policy("kingsbury_2019");
    let kenilworth = policy("kenilworth_2022");
    assert!(check_witnesses(&kingsbury, &kenilworth) > 20);
    // A policy compared with itself differs nowhere.
    let r = haven_core::diff(&kenilworth, &kenilworth, &DiffOptions::default());
    assert!(r.classes.is_empty(), "{}", r.to_text());
    if std::env::var("HAVEN_SLOW_TESTS").is_ok() {
        let baseline = policy("baseline");
        for school in [
            "kingsbury_2019",
            "basnett_2024",
            "dukestreet_2023",
            "thornton_2021",
        ] {
            check_witnesses(&baseline, &policy(school));
        }
    }
}

// ------------------------------------------------------------ random small policies

const BOOLS: [&str; 4] = [
    "adult_involved",
    "malicious",
    "immediate_risk_of_harm",
    "significant_harm_risk",
];
const ACTIONS: [&str; 6] = [
    "must notify dsl due immediately",
    "must notify dsl due same_day",
    "should notify dsl",
    "must log_incident",
    "should inform_parents",
    "may inform_parents",
];

#[derive(Clone, Debug)]
enum Atom {
    Fact(usize, bool),
    Age(&'static str, i64),
    Prior(i64),
}

fn atom_text(a: &Atom) -> String {
    match a {
        Atom::Fact(i, true) => BOOLS[*i].to_owned(),
        Atom::Fact(i, false) => format!("not {}", BOOLS[*i]),
        Atom::Age(op, n) => format!("actor.age {op} {n}"),
        Atom::Prior(n) => format!("prior_incidents >= {n}"),
    }
}

fn atom() -> impl Strategy<Value = Atom> {
    prop_oneof![
        (0..BOOLS.len(), any::<bool>()).prop_map(|(i, b)| Atom::Fact(i, b)),
        (prop_oneof![Just("<"), Just(">=")], 12i64..15).prop_map(|(o, n)| Atom::Age(o, n)),
        (1i64..3).prop_map(Atom::Prior),
    ]
}

#[derive(Clone, Debug)]
struct GenRule {
    category: usize,
    atoms: Vec<Atom>,
    or: bool,
    action: usize,
    /// Overrides the rule at this index (if earlier), as an exception.
    overrides: Option<usize>,
}

#[derive(Clone, Debug)]
struct GenPerm {
    atoms: Vec<Atom>,
    verdict: usize,
    breach_rule: bool,
}

const CATEGORIES: [&str; 2] = ["cyberbullying", "sharing_nudes"];
const VERDICTS: [&str; 3] = ["allowed", "not_allowed", "allowed_if [approval teacher]"];

fn gen_rule() -> impl Strategy<Value = GenRule> {
    (
        0..CATEGORIES.len(),
        prop::collection::vec(atom(), 1..3),
        any::<bool>(),
        0..ACTIONS.len(),
        prop::option::of(0usize..3),
    )
        .prop_map(|(category, atoms, or, action, overrides)| GenRule {
            category,
            atoms,
            or,
            action,
            overrides,
        })
}

fn gen_perm() -> impl Strategy<Value = GenPerm> {
    (
        prop::collection::vec(atom(), 0..2),
        0..VERDICTS.len(),
        any::<bool>(),
    )
        .prop_map(|(atoms, verdict, breach_rule)| GenPerm {
            atoms,
            verdict,
            breach_rule,
        })
}

fn policy_text(id: &str, rules: &[GenRule], perms: &[GenPerm]) -> String {
    let mut s =
        format!("policy {id} \"generated\" {{\n  version \"1\"\n  use std/vocabulary\n}}\n\n");
    for (i, r) in rules.iter().enumerate() {
        let joined: Vec<String> = r.atoms.iter().map(atom_text).collect();
        let cond = joined.join(if r.or { " or " } else { " and " });
        let over = match r.overrides {
            Some(j) if j < i => format!(" overrides r{j}"),
            _ => String::new(),
        };
        s.push_str(&format!(
            "rule r{i}{over} {{\n  cites \"§{i}\"\n  when category is {} and ({cond})\n  {}\n}}\n\n",
            CATEGORIES[r.category], ACTIONS[r.action]
        ));
    }
    for (i, p) in perms.iter().enumerate() {
        let mut cond = "activity is use and actor is pupil".to_owned();
        for a in &p.atoms {
            cond.push_str(&format!(" and {}", atom_text(a)));
        }
        s.push_str(&format!(
            "rule p{i} {{\n  cites \"§p{i}\"\n  when {cond}\n  permission {}\n}}\n\n",
            VERDICTS[p.verdict]
        ));
        if p.breach_rule {
            s.push_str(&format!(
                "on breach rule b{i} {{\n  cites \"§b{i}\"\n  when actor is pupil\n  must confiscate_device\n}}\n\n"
            ));
        }
    }
    s
}

/// Every complete record over the partition the generated atoms induce.
fn records() -> Vec<Value> {
    let mut out = Vec::new();
    let heads: Vec<Value> = CATEGORIES
        .iter()
        .map(|c| json!({"category": c}))
        .chain(std::iter::once(json!({"activity": "use"})))
        .collect();
    for head in heads {
        for bits in 0..(1u32 << BOOLS.len()) {
            for age in [11, 12, 13, 14, 15] {
                for prior in [0, 1, 2] {
                    let mut v = head.clone();
                    let facts: serde_json::Map<String, Value> = BOOLS
                        .iter()
                        .enumerate()
                        .map(|(i, f)| ((*f).to_owned(), json!(bits & (1 << i) != 0)))
                        .chain(std::iter::once((
                            "prior_incidents".to_owned(),
                            json!(prior),
                        )))
                        .collect();
                    v["facts"] = Value::Object(facts);
                    v["actor"] = json!({"role": "pupil", "age": age});
                    v["others"] = json!([]);
                    out.push(v);
                }
            }
        }
    }
    out
}

fn compile_text(id: &str, text: &str) -> Policy {
    Policy::compile(id, text, &haven_tests::loader(), &haven_tests::options())
        .unwrap_or_else(|e| panic!("generated policy does not compile: {}\n{text}", e.render()))
}

fn exhaustive(old: &Policy, new: &Policy) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in records() {
        let (Ok(a), Ok(b)) = (old.incident_from_value(&r), new.incident_from_value(&r)) else {
            continue;
        };
        let da: Decision<'_> = old.evaluate(&a);
        let db = new.evaluate(&b);
        for d in compare(&da, &db) {
            out.insert(format!("{d:?}"));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if std::env::var("HAVEN_SLOW_TESTS").is_ok() { 256 } else { 48 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn diff_finds_every_difference_exhaustive_evaluation_finds(
        rules_a in prop::collection::vec(gen_rule(), 1..5),
        rules_b in prop::collection::vec(gen_rule(), 1..5),
        perms_a in prop::collection::vec(gen_perm(), 0..3),
        perms_b in prop::collection::vec(gen_perm(), 0..3),
    ) {
        let a = compile_text("gen_a", &policy_text("gen_a", &rules_a, &perms_a));
        let b = compile_text("gen_b", &policy_text("gen_b", &rules_b, &perms_b));
        let report = haven_core::diff(&a, &b, &DiffOptions::default());
        prop_assert_eq!(report.gave_up, 0);
        prop_assert_eq!(report.unverified, 0, "{:?}", report.unverified_classes);
        let found: BTreeSet<String> =
            report.classes.iter().map(|c| format!("{:?}", c.difference)).collect();
        let truth = exhaustive(&a, &b);
        let missing: Vec<&String> = truth.difference(&found).collect();
        prop_assert!(missing.is_empty(), "missed {:?}\nfound {:?}", missing, found);
        // A policy never differs from itself.
        prop_assert!(haven_core::diff(&a, &a, &DiffOptions::default()).classes.is_empty());
    }
}

#[test]
fn diff_of_a_permission_exception_change() {
    // The old policy has the exception, the new one drops it.
    let old = compile_text(
        "gen_old",
        "policy gen_old \"x\" {\n  version \"1\"\n  use std/vocabulary\n}\n\
         rule base {\n  cites \"§1\"\n  when activity is use and actor is pupil\n  permission not_allowed\n}\n\
         rule older overrides base {\n  cites \"§2\"\n  when activity is use and actor is pupil and actor.age >= 14\n  permission allowed\n}\n",
    );
    let new = compile_text(
        "gen_new",
        "policy gen_new \"x\" {\n  version \"1\"\n  use std/vocabulary\n}\n\
         rule base {\n  cites \"§1\"\n  when activity is use and actor is pupil\n  permission not_allowed\n}\n",
    );
    let r = haven_core::diff(&old, &new, &DiffOptions::default());
    let perm: Vec<_> = r
        .classes
        .iter()
        .filter(|c| {
            c.difference
                == Difference::Permission {
                    old: Verdict::Allowed,
                    new: Verdict::NotAllowed,
                }
        })
        .collect();
    assert_eq!(perm.len(), 1, "{}", r.to_text());
    assert!(perm[0].witness["actor"]["age"].as_i64().unwrap() >= 14);
}

/// Guided questions: over the scenario corpus, an interview that starts from the category
/// and activity alone and asks in `next_questions` order asks no more questions on average
/// than one asking in the decision's own order (most severe first). The figures are printed
/// (`--nocapture`); docs/explain.md records a full run.
#[test]
fn guided_interviews_ask_fewer_questions_on_average() {
    let full = std::env::var("HAVEN_SLOW_TESTS").is_ok();
    let (mut today, mut guided, mut n) = (0usize, 0usize, 0usize);
    let mut shorter = 0usize;
    let mut longer = 0usize;
    for dir in [
        "baseline",
        "example",
        "kingsbury_2019",
        "kenilworth_2022",
        "basnett_2024",
        "dukestreet_2023",
        "thornton_2021",
    ] {
        let p = policy(dir);
        let text =
            std::fs::read_to_string(repo().join("policies").join(dir).join("scenarios.toml"))
                .unwrap();
        for (k, s) in haven_core::scenario::parse_scenarios(&text)
            .unwrap()
            .iter()
            .enumerate()
        {
            if !full && k % 12 != 0 {
                continue;
            }
            let Ok(inc) = p.incident_from_value(&haven_core::scenario::to_json(&s.incident)) else {
                continue;
            };
            let a = p.interview_length(&inc, false);
            let b = p.interview_length(&inc, true);
            today += a;
            guided += b;
            n += 1;
            shorter += usize::from(b < a);
            longer += usize::from(b > a);
        }
    }
    let avg = |x: usize| x as f64 / n.max(1) as f64;
    println!(
        "interviews over {n} scenarios: today's order {:.2} questions on average, guided {:.2} \
         (guided shorter in {shorter}, longer in {longer})",
        avg(today),
        avg(guided)
    );
    assert!(n > 20);
    assert!(guided <= today, "guided {guided} > today's order {today}");
}

/// Criterion coverage: every proposed incident, added as a scenario, shows its part; a part
/// the rest of its condition masks is reported as masked.
#[test]
fn criterion_coverage_proposals_show_their_part() {
    let p = policy("example");
    let text = std::fs::read_to_string(repo().join("policies/example/scenarios.toml")).unwrap();
    let scenarios: Vec<(String, haven_core::Incident)> =
        haven_core::scenario::parse_scenarios(&text)
            .unwrap()
            .iter()
            .filter_map(|s| {
                let json = haven_core::scenario::to_json(&s.incident);
                p.incident_from_value(&json)
                    .ok()
                    .map(|i| (s.name.clone(), i))
            })
            .collect();
    let cc = p.criterion_coverage(&scenarios);
    let mut proposals = 0;
    for part in cc.parts.iter().filter(|x| x.proposal.is_some()) {
        let inc = p
            .incident_from_value(part.proposal.as_ref().unwrap())
            .unwrap();
        let mut more = scenarios.clone();
        more.push(("proposed".to_owned(), inc));
        let again = p.criterion_coverage(&more);
        let same = again
            .parts
            .iter()
            .find(|x| x.rule == part.rule && x.part == part.part)
            .unwrap();
        assert_eq!(same.shown_by.as_deref(), Some("proposed"), "{part:?}");
        proposals += 1;
    }
    assert!(proposals > 0);
    let criteria: Vec<&str> = cc
        .parts
        .iter()
        .filter_map(|x| x.criterion.as_deref())
        .collect();
    assert!(criteria.contains(&"immediate_referral.c4"), "{criteria:?}");

    let masked = compile_text(
        "masked",
        "policy masked \"x\" {\n  version \"1\"\n  use std/vocabulary\n}\n\
         rule r {\n  cites \"§1\"\n  when category is cyberbullying and malicious and (malicious or adult_involved)\n  must log_incident\n}\n",
    );
    let cc = masked.criterion_coverage(&[]);
    let adult = cc
        .parts
        .iter()
        .find(|x| x.part.contains("adult_involved"))
        .unwrap();
    assert!(adult.masked, "{adult:?}");
    assert!(
        cc.parts
            .iter()
            .filter(|x| !x.masked)
            .all(|x| x.proposal.is_some()),
        "{:#?}",
        cc.parts
    );
}
