//! Shared by the benchmarks (`benches/engine.rs`, `benches/allocs.rs`), the oracle
//! equivalence test (`tests/oracle.rs`) and the peer-engine crate (`crates/haven-peers`),
//! each of which includes it with `#[path]`: the seed policies as an in-memory loader, the
//! benchmark decision policy, the incident corpus, the hand-written oracles and generated
//! policies for the scaling benchmarks.

#![allow(
    dead_code,
    reason = "each including target uses a different part of the support code"
)]

pub(crate) mod corpus;
pub(crate) mod oracle;
pub(crate) mod report;

use haven_core::{CheckOptions, Date, Decision, MapLoader, Policy};
use std::collections::BTreeSet;

pub(crate) const VOCABULARY: &str = include_str!("../../../../policies/std/vocabulary.haven");
pub(crate) const BASELINE: &str = include_str!("../../../../policies/baseline/policy.haven");
pub(crate) const UKCIS: &str = include_str!("../../../../policies/shared/ukcis_2024.haven");
pub(crate) const BASNETT: &str = include_str!("../../../../policies/basnett_2024/policy.haven");

/// The seed policies: `(id, text)`. The five schools, then the baseline they extend.
pub(crate) const SEEDS: [(&str, &str); 6] = [
    (
        "basnett_2024",
        include_str!("../../../../policies/basnett_2024/policy.haven"),
    ),
    (
        "dukestreet_2023",
        include_str!("../../../../policies/dukestreet_2023/policy.haven"),
    ),
    (
        "kenilworth_2022",
        include_str!("../../../../policies/kenilworth_2022/policy.haven"),
    ),
    (
        "kingsbury_2019",
        include_str!("../../../../policies/kingsbury_2019/policy.haven"),
    ),
    (
        "thornton_2021",
        include_str!("../../../../policies/thornton_2021/policy.haven"),
    ),
    (
        "baseline",
        include_str!("../../../../policies/baseline/policy.haven"),
    ),
];

/// The five school policies (the seeds without the baseline they extend).
pub(crate) const SCHOOLS: [(&str, &str); 5] = [SEEDS[0], SEEDS[1], SEEDS[2], SEEDS[3], SEEDS[4]];

/// The modules the seed policies load, in memory (so compiling measures no file I/O).
pub(crate) fn loader() -> MapLoader {
    let mut l = MapLoader::new();
    l.insert(
        "std/vocabulary",
        "policies/std/vocabulary.haven",
        VOCABULARY,
    );
    l.insert("baseline", "policies/baseline/policy.haven", BASELINE);
    l.insert(
        "shared/ukcis_2024",
        "policies/shared/ukcis_2024.haven",
        UKCIS,
    );
    l
}

/// Check options with a fixed "today", as the test suite uses.
pub(crate) fn options() -> CheckOptions {
    CheckOptions {
        today: Some(Date {
            year: 2026,
            month: 11,
            day: Some(22),
        }),
        ..CheckOptions::default()
    }
}

pub(crate) fn compile(id: &str, text: &str) -> Policy {
    match Policy::compile(
        &format!("policies/{id}/policy.haven"),
        text,
        &loader(),
        &options(),
    ) {
        Ok(p) => p,
        Err(e) => panic!("{id} does not compile:\n{}", e.render()),
    }
}

/// The full Basnett Street policy (its own rules over the whole national baseline).
pub(crate) fn basnett() -> Policy {
    compile("basnett_2024", BASNETT)
}

/// From `start` (which must occur in `text`) to the end of its block: the next line that is
/// a lone `}`.
fn block<'t>(text: &'t str, start: &str) -> &'t str {
    let Some(from) = text.find(start) else {
        panic!("`{start}` not found in the policy text");
    };
    let rest = &text[from..];
    let Some(len) = rest.find("\n}\n") else {
        panic!("block `{start}` is not closed");
    };
    &rest[..len + 3]
}

/// The line that starts with `start`.
fn line<'t>(text: &'t str, start: &str) -> &'t str {
    let Some(from) = text.find(start) else {
        panic!("`{start}` not found in the policy text");
    };
    let rest = &text[from..];
    &rest[..rest.find('\n').unwrap_or(rest.len())]
}

/// The benchmark decisions, and nothing else: the UKCIS immediate-referral criteria and rule
/// (from `policies/shared/ukcis_2024.haven`) plus Basnett's `staff_sanctions` table (from
/// `policies/basnett_2024/policy.haven`), cut from the seed files so they cannot drift. This
/// is what the oracle and every peer engine encode.
pub(crate) fn decisions_text() -> String {
    format!(
        "policy bench_decisions \"UKCIS immediate referral + Basnett staff sanctions (benchmark)\" {{\n  \
           version \"1\"\n  source \"seeds/basnett-street-nursery-2024.txt\"\n  use std/vocabulary\n}}\n\n\
         {}\n\n{}\n{}\n{}",
        BASNETT
            .lines()
            .filter(|l| l.starts_with("category "))
            .collect::<Vec<_>>()
            .join("\n"),
        block(UKCIS, "criteria ukcis_immediate_referral "),
        block(UKCIS, "statutory rule ukcis_immediate_referral "),
        block(BASNETT, "table staff_sanctions "),
    )
}

pub(crate) fn decisions() -> Policy {
    compile("bench_decisions", &decisions_text())
}

/// One element of a decision, as the oracle and peers report it:
/// `(modality, action, targets sorted)`.
pub(crate) type Tuple = (String, String, Vec<String>);

/// Rules whose actions make up the benchmark decision.
pub(crate) fn in_scope(rule: &str) -> bool {
    rule == "ukcis_immediate_referral" || rule.starts_with("staff_sanctions/")
}

/// The benchmark decision inside a haven decision: every action that one of the in-scope
/// rules requires. (On the full Basnett policy other rules may require more; on the
/// decision-only policy nothing else exists.)
pub(crate) fn haven_tuples(d: &Decision<'_>) -> BTreeSet<Tuple> {
    d.actions()
        .filter(|a| a.rules().into_iter().any(in_scope))
        .map(|a| {
            let mut targets: Vec<String> = a.targets().into_iter().map(str::to_owned).collect();
            targets.sort();
            (
                a.modality().keyword().to_owned(),
                a.action().to_owned(),
                targets,
            )
        })
        .collect()
}

/// A generated policy of `n` rules in the shape of the seed policies' rules (a category, one
/// or two facts, a person fact, a role test; one to three actions), over the standard
/// vocabulary, for the scaling benchmarks.
pub(crate) fn generated_text(n: usize) -> String {
    use std::fmt::Write as _;
    const CATS: [&str; 12] = [
        "sharing_nudes",
        "cyberbullying",
        "account_misuse",
        "filter_bypass",
        "hacking_or_virus",
        "offensive_message",
        "copyright_breach",
        "data_protection_breach",
        "unauthorised_download",
        "inappropriate_personal_use",
        "disrepute",
        "professional_standing",
    ];
    const FACTS: [&str; 8] = [
        "adult_involved",
        "sexual_acts",
        "malicious",
        "deliberate",
        "illegal_content_suspected",
        "immediate_risk_of_harm",
        "shared_widely",
        "consensual",
    ];
    const ROLES: [&str; 4] = ["staff", "pupil", "teacher", "adult"];
    const ACTIONS: [&str; 6] = [
        "must notify dsl due immediately",
        "must refer headteacher",
        "should log_incident",
        "may warning",
        "should inform_parents",
        "must refer police or childrens_social_care due immediately by dsl",
    ];
    let mut s = String::from(
        "policy generated \"generated policy for the scaling benchmarks\" {\n  version \"1\"\n  \
         source \"generated.txt\"\n  use std/vocabulary\n}\n\n\
         category pornography \"Pornography (as Basnett declares it; the corpus uses it)\"\n",
    );
    for i in 0..n {
        let cat = CATS[i % CATS.len()];
        let f1 = FACTS[i % FACTS.len()];
        let f2 = FACTS[(i / 3 + 1) % FACTS.len()];
        let role = ROLES[(i / 7) % ROLES.len()];
        let age = 10 + (i % 9);
        let _ = write!(
            s,
            "\nrule r{i} {{\n  cites \"§{i}\": \"Generated rule {i}.\"\n  \
             when category is {cat} and ({f1} or actor.age < {age}) and actor is {role}"
        );
        if i % 3 == 0 {
            let _ = write!(s, " and not {f2}");
        }
        s.push('\n');
        for k in 0..(1 + i % 3) {
            let _ = writeln!(s, "  {}", ACTIONS[(i + k) % ACTIONS.len()]);
        }
        s.push_str("}\n");
    }
    s
}
