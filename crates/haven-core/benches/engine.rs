//! haven's criterion benchmarks, with the oracle measured in the same run (see BENCHMARKS.md).
//!
//! `cargo bench -p haven-core --bench engine` measures and then prints the ratio table (also
//! written to `target/criterion/haven-ratios.md`). `cargo test -p haven-core --benches` runs
//! each benchmark once, on smaller inputs, to prove they work.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmark code: a panic is a failed run, with its message"
)]

#[path = "support/mod.rs"]
mod support;

use criterion::{BenchmarkId, Criterion, Throughput};
use haven_core::{Cached, Incident, Policy, Sources};
use std::hint::black_box;
use std::time::Duration;
use support::corpus::{self, Case};
use support::oracle::{self, Typed};

/// `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion's test mode:
/// every benchmark runs once). Test mode uses small inputs so CI stays fast.
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

/// One compiled policy with the corpus in every input form.
struct Fixture {
    policy: Policy,
    incidents: Vec<Incident>,
    texts: Vec<String>,
}

impl Fixture {
    fn new(policy: Policy, corpus: &[Case]) -> Self {
        let texts: Vec<String> = corpus.iter().map(Case::to_text).collect();
        let incidents = corpus
            .iter()
            .map(|c| policy.incident_from_value(&c.to_json()).unwrap())
            .collect();
        Fixture {
            policy,
            incidents,
            texts,
        }
    }
}

fn bench_compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    let loader = support::loader();
    let opts = support::options();
    for (id, text) in support::SEEDS {
        let name = format!("policies/{id}/policy.haven");
        g.bench_function(id, |b| {
            b.iter(|| Policy::compile(&name, black_box(text), &loader, &opts).unwrap())
        });
    }
    // With a module cache: `cold` starts each compile from an empty cache (every module is
    // parsed, and kept); `warm` reuses one cache filled by an earlier compile, as the CLI,
    // the bindings and the service do (`haven_modules` gives their loaders one cache).
    for (id, text) in support::SCHOOLS {
        let name = format!("policies/{id}/policy.haven");
        g.bench_function(format!("cold/{id}"), |b| {
            b.iter(|| {
                let cached = Cached::new(&loader);
                Policy::compile(&name, black_box(text), &cached, &opts).unwrap()
            })
        });
        let cached = Cached::new(&loader);
        Policy::compile(&name, text, &cached, &opts).unwrap();
        g.bench_function(format!("warm/{id}"), |b| {
            b.iter(|| Policy::compile(&name, black_box(text), &cached, &opts).unwrap())
        });
    }
    let decisions = support::decisions_text();
    g.bench_function("bench_decisions", |b| {
        b.iter(|| {
            Policy::compile("bench_decisions", black_box(&decisions), &loader, &opts).unwrap()
        })
    });
    // Parsing alone, of every file compiling Basnett reads: what share of compile is parsing.
    let files = [
        support::VOCABULARY,
        support::UKCIS,
        support::BASELINE,
        support::BASNETT,
    ];
    g.bench_function("parse_only_basnett_files", |b| {
        b.iter(|| {
            let mut sources = Sources::new();
            for text in files {
                let id = sources.add("f", "", text);
                black_box(haven_core::syntax::parse(id, text, &opts.limits));
            }
        })
    });
    g.finish();
}

/// One incident per iteration, cycling through the corpus.
fn bench_one(c: &mut Criterion, corpus: &[Case], decisions: &Fixture, basnett: &Fixture) {
    let typed: Vec<Typed> = corpus.iter().map(Typed::from_case).collect();
    let n = corpus.len();
    assert!(
        n.is_power_of_two(),
        "the index wraps with a mask, not a division"
    );
    let mut g = c.benchmark_group("one");
    macro_rules! cycle {
        ($name:expr, $items:expr, $f:expr) => {{
            let items = $items;
            let mut i = 0usize;
            g.bench_function($name, |b| {
                b.iter(|| {
                    i = (i + 1) & (n - 1);
                    black_box($f(black_box(&items[i])))
                })
            });
        }};
    }
    cycle!("oracle_typed", &typed, oracle::decide);
    cycle!("haven_typed", &decisions.incidents, |x| decisions
        .policy
        .evaluate(x));
    cycle!("haven_typed_basnett", &basnett.incidents, |x| basnett
        .policy
        .evaluate(x));
    cycle!("oracle_json", &decisions.texts, |t: &String| {
        oracle::decide_json(t)
    });
    cycle!("haven_json", &decisions.texts, |t: &String| decisions
        .policy
        .evaluate_json(t)
        .map(|d| d.actions().count()));
    cycle!("haven_json_basnett", &basnett.texts, |t: &String| basnett
        .policy
        .evaluate_json(t)
        .map(|d| d.actions().count()));
    cycle!(
        "haven_json_to_json_basnett",
        &basnett.texts,
        |t: &String| basnett.policy.evaluate_json_to_string(t)
    );
    g.finish();
}

/// Batches: `size` incidents per iteration, cycling through the corpus.
fn bench_batches(c: &mut Criterion, corpus: &[Case], decisions: &Fixture, basnett: &Fixture) {
    let typed: Vec<Typed> = corpus.iter().map(Typed::from_case).collect();
    let sizes: &[usize] = if measuring() {
        &[1_000, 10_000, 100_000]
    } else {
        &[1_000]
    };
    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    for &size in sizes {
        g.throughput(Throughput::Elements(size as u64));
        g.bench_with_input(BenchmarkId::new("oracle_typed", size), &size, |b, &s| {
            b.iter(|| {
                for t in typed.iter().cycle().take(s) {
                    black_box(oracle::decide(t));
                }
            })
        });
        g.bench_with_input(BenchmarkId::new("haven_typed", size), &size, |b, &s| {
            b.iter(|| {
                for inc in decisions.incidents.iter().cycle().take(s) {
                    black_box(decisions.policy.evaluate(inc));
                }
            })
        });
        g.bench_with_input(
            BenchmarkId::new("haven_typed_basnett", size),
            &size,
            |b, &s| {
                b.iter(|| {
                    for inc in basnett.incidents.iter().cycle().take(s) {
                        black_box(basnett.policy.evaluate(inc));
                    }
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("oracle_json", size), &size, |b, &s| {
            b.iter(|| {
                for t in decisions.texts.iter().cycle().take(s) {
                    black_box(oracle::decide_json(t));
                }
            })
        });
        g.bench_with_input(BenchmarkId::new("haven_json", size), &size, |b, &s| {
            b.iter(|| {
                for t in decisions.texts.iter().cycle().take(s) {
                    let _ = black_box(
                        decisions
                            .policy
                            .evaluate_json(t)
                            .map(|d| d.actions().count()),
                    );
                }
            })
        });
        g.bench_with_input(
            BenchmarkId::new("haven_json_basnett", size),
            &size,
            |b, &s| {
                b.iter(|| {
                    for t in basnett.texts.iter().cycle().take(s) {
                        let _ =
                            black_box(basnett.policy.evaluate_json(t).map(|d| d.actions().count()));
                    }
                })
            },
        );
    }
    g.finish();
}

/// Explanation off costs nothing (issue 15): plain `evaluate` beside `evaluate_explained`
/// on the full Basnett policy, cycling through the corpus. Plain evaluation never calls the
/// explainer, so `explain/evaluate` is `one/haven_typed_basnett` measured again.
fn bench_explain(c: &mut Criterion, basnett: &Fixture) {
    let n = basnett.incidents.len();
    let opts = haven_core::ExplainOptions::default();
    let mut g = c.benchmark_group("explain");
    g.sample_size(10);
    let mut i = 0usize;
    g.bench_function("evaluate", |b| {
        b.iter(|| {
            i = (i + 1) & (n - 1);
            black_box(basnett.policy.evaluate(black_box(&basnett.incidents[i])))
        })
    });
    let mut i = 0usize;
    g.bench_function("evaluate_explained", |b| {
        b.iter(|| {
            i = (i + 1) & (n - 1);
            black_box(
                basnett
                    .policy
                    .evaluate_explained(black_box(&basnett.incidents[i]), &opts),
            )
        })
    });
    g.finish();
}

/// Generated policies of growing size: compile time, and evaluation of the whole corpus.
fn bench_rules(c: &mut Criterion, corpus: &[Case]) {
    let sizes: &[usize] = if measuring() {
        &[10, 100, 1_000, 10_000]
    } else {
        &[10, 100]
    };
    let loader = support::loader();
    let opts = support::options();
    let mut g = c.benchmark_group("rules_compile");
    g.sample_size(10);
    for &n in sizes {
        let text = support::generated_text(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| Policy::compile("generated", black_box(text), &loader, &opts).unwrap())
        });
    }
    g.finish();
    let mut g = c.benchmark_group("rules_eval");
    g.sample_size(10);
    for &n in sizes {
        let policy = Policy::compile("generated", &support::generated_text(n), &loader, &opts)
            .unwrap_or_else(|e| panic!("{}", e.render()));
        let fx = Fixture::new(policy, corpus);
        // Per rule evaluated: one pass over the corpus evaluates n rules per incident.
        g.throughput(Throughput::Elements((n * corpus.len()) as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &fx, |b, fx| {
            b.iter(|| {
                for inc in &fx.incidents {
                    black_box(fx.policy.evaluate(inc));
                }
            })
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let corpus = corpus::standard();
    let decisions = Fixture::new(support::decisions(), &corpus);
    let basnett = Fixture::new(support::basnett(), &corpus);
    bench_compile(&mut c);
    bench_one(&mut c, &corpus, &decisions, &basnett);
    bench_batches(&mut c, &corpus, &decisions, &basnett);
    bench_rules(&mut c, &corpus);
    bench_explain(&mut c, &basnett);
    c.final_summary();
    if measuring() {
        support::report::print_core();
    }
}
