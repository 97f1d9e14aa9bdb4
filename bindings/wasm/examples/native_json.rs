//! The native JSON path that `bench/node-vs-native.mjs` compares `evaluateMany` against: the
//! same envelope code the WASM module runs (JSON text in, answer JSON text out, per record),
//! compiled natively, over the same JSON Lines corpus.
//!
//!     cargo run --release -p haven-wasm --example native_json -- POLICY CORPUS.jsonl [REPEAT]
//!
//! Prints one line of JSON: `{"incidents":N,"best_seconds":S,"per_second":R}` (the best of
//! REPEAT passes over the corpus, default 5).

use haven_wasm::envelope::{compile, evaluate, Options};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(policy), Some(corpus)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: native_json POLICY CORPUS.jsonl [REPEAT]");
        std::process::exit(2);
    };
    let repeat: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(5);
    let read = |path: &str| {
        std::fs::read_to_string(path).unwrap_or_else(|e| {
            eprintln!("error: {path}: {e}");
            std::process::exit(1)
        })
    };
    let compiled = match compile(&read(policy), policy, &Options::default()) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("error: the policy does not compile: {errors}");
            std::process::exit(1)
        }
    };
    let text = read(corpus);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut best = f64::INFINITY;
    let mut bytes = 0usize;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let mut out = String::from("[");
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&evaluate(&compiled, line, "null"));
        }
        out.push(']');
        best = best.min(start.elapsed().as_secs_f64());
        bytes = out.len();
    }
    println!(
        "{{\"incidents\":{},\"best_seconds\":{best},\"per_second\":{},\"answer_bytes\":{bytes}}}",
        lines.len(),
        lines.len() as f64 / best
    );
}
