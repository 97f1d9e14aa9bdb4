//! Heap allocations per evaluation, counted exactly (not timed).
//!
//! A counting global allocator needs `unsafe impl GlobalAlloc`, and the workspace forbids
//! `unsafe_code` (`forbid` cannot be lifted by an inner `allow`). So the counting comes from
//! `allocation-counter` (a small, maintained crate whose own code holds the `unsafe`): linking
//! it installs its allocator for this benchmark binary only, and `measure` counts what the
//! current thread allocates. It lives in its own binary so the timing benchmarks run on the
//! plain system allocator.
//!
//! `cargo bench -p haven-core --bench allocs` prints the table; `cargo test -p haven-core
//! --benches` runs it too (it is quick).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmark code: a panic is a failed run, with its message"
)]

#[path = "support/mod.rs"]
mod support;

use haven_core::Policy;
use std::hint::black_box;
use support::corpus::{self, Case};
use support::oracle::{self, Typed};

/// Allocations and bytes per incident of `f` over the whole corpus.
fn per_incident<T>(items: &[T], mut f: impl FnMut(&T)) -> (f64, f64) {
    let info = allocation_counter::measure(|| {
        for x in items {
            f(x);
        }
    });
    let n = items.len() as f64;
    (info.count_total as f64 / n, info.bytes_total as f64 / n)
}

fn rows(policy: &Policy, name: &str, corpus: &[Case], out: &mut Vec<(String, (f64, f64))>) {
    let texts: Vec<String> = corpus.iter().map(Case::to_text).collect();
    let incidents: Vec<_> = corpus
        .iter()
        .map(|c| policy.incident_from_value(&c.to_json()).unwrap())
        .collect();
    // A thread's first evaluation sizes its per-thread buffers; what is counted is every
    // evaluation after that.
    black_box(policy.evaluate(&incidents[0]));
    out.push((
        format!("haven, typed incident → decision ({name})"),
        per_incident(&incidents, |i| {
            black_box(policy.evaluate(i));
        }),
    ));
    // The target of issue 18: no allocation at all where the decision is empty (no action,
    // no question, no permission, no note).
    let empty: Vec<_> = incidents
        .iter()
        .filter(|i| {
            let d = policy.evaluate(i);
            d.actions().count() == 0
                && d.questions().is_empty()
                && d.permission().is_none()
                && d.notes().count() == 0
        })
        .cloned()
        .collect();
    if !empty.is_empty() {
        out.push((
            format!(
                "haven, typed incident → empty decision ({name}; {} of {})",
                empty.len(),
                incidents.len()
            ),
            per_incident(&empty, |i| {
                black_box(policy.evaluate(i));
            }),
        ));
    }
    out.push((
        format!("haven, JSON text → incident ({name})"),
        per_incident(&texts, |t| {
            black_box(policy.incident_from_json(t).unwrap());
        }),
    ));
    out.push((
        format!("haven, JSON text → decision ({name})"),
        per_incident(&texts, |t| {
            black_box(policy.evaluate_json(t).unwrap());
        }),
    ));
    // Context for the JSON → JSON ratio: how much text goes in and comes out.
    let bytes_in: usize = texts.iter().map(String::len).sum();
    let bytes_out: usize = texts
        .iter()
        .map(|t| policy.evaluate_json_to_string(t).unwrap().len())
        .sum();
    println!(
        "{name}: mean incident JSON {} bytes in, decision JSON {} bytes out",
        bytes_in / texts.len(),
        bytes_out / texts.len()
    );
    out.push((
        format!("haven, JSON text → decision JSON text ({name})"),
        per_incident(&texts, |t| {
            black_box(policy.evaluate_json_to_string(t).unwrap());
        }),
    ));
}

fn main() {
    let corpus = corpus::standard();
    let typed: Vec<Typed> = corpus.iter().map(Typed::from_case).collect();
    let texts: Vec<String> = corpus.iter().map(Case::to_text).collect();
    let mut out = vec![
        (
            "oracle, typed struct".to_owned(),
            per_incident(&typed, |t| {
                black_box(oracle::decide(t));
            }),
        ),
        (
            "oracle, JSON text → map (the JSON floor)".to_owned(),
            per_incident(&texts, |t| {
                black_box(oracle::decide_json(t));
            }),
        ),
    ];
    rows(&support::decisions(), "decision policy", &corpus, &mut out);
    rows(&support::basnett(), "full Basnett", &corpus, &mut out);
    let check = allocation_counter::measure(|| {
        black_box(Box::new(1u8));
    });
    assert_eq!(
        check.count_total, 1,
        "the counting allocator is not installed"
    );

    println!(
        "\n## Heap allocations per incident (mean over the {}-incident corpus)\n",
        corpus.len()
    );
    println!("| path | allocations | bytes allocated |");
    println!("|---|---:|---:|");
    for (what, (count, bytes)) in out {
        println!("| {what} | {count:.1} | {bytes:.0} |");
    }
}
