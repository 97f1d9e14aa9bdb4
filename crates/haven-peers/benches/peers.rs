//! haven beside Cedar, regorus (Rego) and zen (JDM) on the same decisions, with the oracle,
//! in one criterion run; prints the ratio table at the end (see BENCHMARKS.md).
//!
//! Every iteration decides the whole 1 024-incident corpus; times are per incident. Before
//! timing, every engine's answers are checked against haven's on the whole corpus.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmark code: a panic is a failed run, with its message"
)]

#[path = "../../haven-core/benches/support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput};
use haven_peers::{cedar::Cedar, rego::Rego, zen::Zen};
use std::hint::black_box;
use std::time::Duration;
use support::corpus::Case;
use support::oracle::{self, Typed};

fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let corpus = support::corpus::standard();
    let texts: Vec<String> = corpus.iter().map(Case::to_text).collect();
    let jsons: Vec<serde_json::Value> = corpus.iter().map(Case::to_json).collect();
    let typed: Vec<Typed> = corpus.iter().map(Typed::from_case).collect();
    let policy = support::decisions();
    let incidents: Vec<_> = jsons
        .iter()
        .map(|j| policy.incident_from_value(j).unwrap())
        .collect();
    let cedar = Cedar::new().unwrap();
    let cedar_requests: Vec<_> = jsons.iter().map(|j| cedar.request(j).unwrap()).collect();
    let mut rego = Rego::new().unwrap();
    let rego_inputs: Vec<_> = texts.iter().map(|t| Rego::input(t).unwrap()).collect();
    let zen = Zen::new().unwrap();
    let zen_inputs: Vec<_> = texts.iter().map(|t| Zen::input(t).unwrap()).collect();

    // Same answers as haven on the whole corpus, before any timing.
    for (i, text) in texts.iter().enumerate() {
        let want = support::haven_tuples(&policy.evaluate(&incidents[i]));
        assert_eq!(oracle::decide(&typed[i]).tuples(), want, "oracle: {text}");
        for (name, got) in [
            ("cedar", cedar.decide(&cedar_requests[i])),
            ("regorus", rego.decide(&rego_inputs[i]).unwrap()),
            (
                "regorus compiled",
                rego.decide_compiled(&rego_inputs[i]).unwrap(),
            ),
            ("zen", zen.decide(&zen_inputs[i]).unwrap()),
        ] {
            assert_eq!(oracle::Outcome(got).tuples(), want, "{name}: {text}");
        }
    }

    let mut g = c.benchmark_group("peers");
    g.sample_size(if measuring() { 20 } else { 10 });
    g.throughput(Throughput::Elements(corpus.len() as u64));
    macro_rules! each {
        ($name:expr, $items:expr, $f:expr) => {
            g.bench_function($name, |b| {
                b.iter(|| {
                    for x in $items.iter() {
                        let _ = black_box($f(x));
                    }
                })
            });
        };
    }
    each!("oracle_typed", typed, oracle::decide);
    each!("haven_typed", incidents, |i| policy.evaluate(i));
    each!("cedar_typed", cedar_requests, |r| cedar.decide(r));
    each!("regorus_typed", rego_inputs, |v| rego.decide(v).unwrap());
    each!("regorus_compiled_typed", rego_inputs, |v| rego
        .decide_compiled(v)
        .unwrap());
    each!("zen_typed", zen_inputs, |v| zen.decide(v).unwrap());
    each!("oracle_json", texts, |t: &String| oracle::decide_json(t));
    each!("haven_json", texts, |t: &String| policy
        .evaluate_json(t)
        .map(|d| d.actions().count()));
    each!("cedar_json", texts, |t: &String| cedar
        .decide_json(t)
        .unwrap());
    each!("regorus_json", texts, |t: &String| rego
        .decide_json(t)
        .unwrap());
    each!("zen_json", texts, |t: &String| zen.decide_json(t).unwrap());
    g.finish();
    c.final_summary();
    if measuring() {
        support::report::print_peers();
    }
}
