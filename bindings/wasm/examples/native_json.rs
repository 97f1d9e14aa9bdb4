//! The native JSON path that `bench/node-vs-native.mjs` compares `evaluateMany` against: the
//! same envelope code the WASM module runs (JSON text in, answer JSON text out, per record),
//! compiled natively, over the same JSON Lines corpus.
//!
//!     cargo run --release -p haven-wasm --example native_json -- POLICY CORPUS.jsonl [REPEAT]
//!
//! Prints one line of JSON: `{"incidents":N,"best_seconds":S,"per_second":R}` (the best of
//! REPEAT passes over the corpus, default 5). Each pass is timed in CPU time of this thread
//! (`/proc/thread-self/schedstat`, nanoseconds) where Linux has it, else in wall-clock time, so
//! other work on a loaded machine inflates the figure less; the Node side does the same.

use haven_core::api::options::Arguments;
use haven_core::api::Answer;
use haven_modules::WithBundled;
use haven_wasm::envelope::to_json;
use std::time::Instant;

/// CPU time this thread has run, in seconds, if the kernel says.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Seconds `f` took: CPU time of this thread when known, else wall-clock time.
fn timed(f: impl FnOnce()) -> f64 {
    let (cpu, wall) = (thread_cpu_seconds(), Instant::now());
    f();
    match (cpu, thread_cpu_seconds()) {
        (Some(a), Some(b)) => b - a,
        _ => wall.elapsed().as_secs_f64(),
    }
}

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
    let (source, name) = (read(policy), policy.clone());
    let args = Arguments {
        source,
        name,
        ..Arguments::default()
    };
    let compiled = match args.compile(&WithBundled(&args.options)) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!(
                "error: the policy does not compile: {}",
                to_json(&Answer::failure(errors))
            );
            std::process::exit(1)
        }
    };
    let text = read(corpus);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut best = f64::INFINITY;
    let mut bytes = 0usize;
    for _ in 0..repeat.max(1) {
        let seconds = timed(|| {
            let mut out = String::from("[");
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&to_json(&Answer::from_json(&compiled, line, None)));
            }
            out.push(']');
            bytes = out.len();
        });
        best = best.min(seconds);
    }
    println!(
        "{{\"incidents\":{},\"best_seconds\":{best},\"per_second\":{},\"answer_bytes\":{bytes}}}",
        lines.len(),
        lines.len() as f64 / best
    );
}
