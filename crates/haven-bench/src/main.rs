//! `haven-instructions`: a regression guard on the instructions haven's hot paths execute.
//!
//! Wall-clock time on a shared machine moves by tens of percent between runs; the number of
//! instructions a deterministic workload executes does not. So each hot path runs once under
//! valgrind's callgrind, which counts every instruction executed inside [`measured`] (and
//! everything it calls) and nothing outside it (`--collect-atstart=no --toggle-collect`):
//! compiling the policy, building the corpus and starting the process are not counted. The
//! counts are compared with the committed baseline (`baseline/instructions.json` beside this
//! crate's manifest); a path that got more than [`THRESHOLD_PERCENT`] % more expensive fails
//! the run. `HAVEN_UPDATE_BASELINE=1` rewrites the baseline with the counts just measured.
//!
//! ```text
//! cargo build --release -p haven-bench && target/release/haven-instructions
//! HAVEN_UPDATE_BASELINE=1 target/release/haven-instructions      # re-record
//! ```
//! (`tests/instructions.sh` does both steps, installing valgrind if it is missing.)
//!
//! The workloads use only haven's stable entry points (`Policy::compile`, `Policy::evaluate`,
//! `Policy::evaluate_json_to_string`, `Policy::incident_from_json`), over the benchmark corpus
//! and policies of `crates/haven-core/benches/support` (1 024 generated incidents, fixed
//! seed), so refactors inside haven-core do not break the harness.
//!
//! The same binary is both sides: without arguments it is the guard, which re-runs itself
//! under valgrind as `haven-instructions run <workload>` once per workload, in parallel.

#[allow(
    clippy::indexing_slicing,
    clippy::panic,
    reason = "shared benchmark support code: a panic there is a failed run, with its message"
)]
#[path = "../../haven-core/benches/support/mod.rs"]
mod support;

use haven_core::{Incident, Policy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// A path that executes more than this many percent more instructions than its baseline
/// fails the guard.
const THRESHOLD_PERCENT: f64 = 10.0;

/// The function callgrind counts inside (`--toggle-collect`). Every workload calls it once.
const REGION: &str = "haven_instructions::measured*";

/// One measured hot path.
#[derive(Clone, Copy, Debug)]
struct Workload {
    /// Key in the baseline file; argument of `run`.
    name: &'static str,
    /// What it measures, for the table.
    what: &'static str,
    /// The unit the count is divided by (`incident`: over the whole corpus).
    per: &'static str,
}

const WORKLOADS: [Workload; 4] = [
    Workload {
        name: "evaluate_typed_decisions",
        what: "Policy::evaluate, validated incident → decision, decision policy",
        per: "incident",
    },
    Workload {
        name: "evaluate_typed_basnett",
        what: "Policy::evaluate, validated incident → decision, full Basnett",
        per: "incident",
    },
    Workload {
        name: "json_to_json_basnett",
        what: "Policy::evaluate_json_to_string, JSON text → decision JSON text, full Basnett",
        per: "incident",
    },
    Workload {
        name: "compile_basnett",
        what: "Policy::compile of basnett_2024 with its modules (cold, in-memory loader)",
        per: "compile",
    },
];

/// The region callgrind counts: everything `f` executes, including dropping its result.
#[inline(never)]
fn measured<R>(f: impl FnOnce() -> R) {
    drop(black_box(f()));
}

/// Validated incidents for every corpus record.
fn incidents(policy: &Policy, texts: &[String]) -> Result<Vec<Incident>, String> {
    texts
        .iter()
        .map(|t| {
            policy
                .incident_from_json(t)
                .map_err(|e| format!("corpus incident rejected: {e}\n{t}"))
        })
        .collect()
}

fn corpus_texts() -> Vec<String> {
    support::corpus::standard()
        .iter()
        .map(support::corpus::Case::to_text)
        .collect()
}

/// Run one workload in this process (under callgrind when the guard starts it); returns how
/// many units it processed.
fn run_workload(name: &str) -> Result<u64, String> {
    let texts = corpus_texts();
    let units = |n: usize| u64::try_from(n).map_err(|e| e.to_string());
    match name {
        "evaluate_typed_decisions" | "evaluate_typed_basnett" => {
            let policy = if name == "evaluate_typed_decisions" {
                support::decisions()
            } else {
                support::basnett()
            };
            let incidents = incidents(&policy, &texts)?;
            measured(|| {
                for i in &incidents {
                    drop(black_box(policy.evaluate(black_box(i))));
                }
            });
            units(incidents.len())
        }
        "json_to_json_basnett" => {
            let policy = support::basnett();
            let mut rejected = 0usize;
            measured(|| {
                for t in &texts {
                    match policy.evaluate_json_to_string(black_box(t)) {
                        Ok(s) => drop(black_box(s)),
                        Err(_) => rejected += 1,
                    }
                }
            });
            if rejected > 0 {
                return Err(format!("{rejected} corpus incidents rejected"));
            }
            units(texts.len())
        }
        "compile_basnett" => {
            let loader = support::loader();
            let options = support::options();
            let mut result = None;
            measured(|| {
                result = Some(
                    Policy::compile(
                        "policies/basnett_2024/policy.haven",
                        support::BASNETT,
                        &loader,
                        &options,
                    )
                    .is_ok(),
                );
            });
            match result {
                Some(true) => Ok(1),
                _ => Err("basnett_2024 does not compile".to_owned()),
            }
        }
        other => Err(format!("no workload named `{other}`")),
    }
}

/// The baseline file: instructions per unit for each workload, and what recorded them.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
struct Baseline {
    /// How to re-record, for whoever opens the file.
    #[serde(default)]
    note: String,
    /// `rustc --version` and `valgrind --version` at recording time: counts are exact for one
    /// compiler, and move a little (well within the threshold, usually) with another.
    #[serde(default)]
    rustc: String,
    #[serde(default)]
    valgrind: String,
    benches: BTreeMap<String, Entry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Entry {
    instructions: u64,
    per: String,
    what: String,
}

fn baseline_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline/instructions.json")
}

/// The `totals:` (or `summary:`) line of a callgrind output file: the instructions collected.
fn parse_totals(callgrind_out: &str) -> Option<u64> {
    let line = callgrind_out
        .lines()
        .find(|l| l.starts_with("totals:"))
        .or_else(|| callgrind_out.lines().find(|l| l.starts_with("summary:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The `units N` line the workload prints.
fn parse_units(stdout: &str) -> Option<u64> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("units "))
        .and_then(|n| n.trim().parse().ok())
}

fn tool_version(cmd: &str) -> String {
    Command::new(cmd)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Run `workload` under callgrind and return instructions per unit.
fn measure(exe: &Path, out_dir: &Path, w: Workload) -> Result<u64, String> {
    let out_file = out_dir.join(format!("{}.callgrind", w.name));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--collect-atstart=no")
        .arg(format!("--toggle-collect={REGION}"))
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(exe)
        .args(["run", w.name])
        .output()
        .map_err(|e| {
            format!("cannot start valgrind ({e}); install it (Debian: apt-get install -y valgrind)")
        })?;
    if !output.status.success() {
        return Err(format!(
            "`{}` failed under valgrind ({}):\n{}",
            w.name,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let units = parse_units(&String::from_utf8_lossy(&output.stdout))
        .filter(|&u| u > 0)
        .ok_or_else(|| format!("`{}` did not report its units", w.name))?;
    let text = std::fs::read_to_string(&out_file)
        .map_err(|e| format!("cannot read {}: {e}", out_file.display()))?;
    let total =
        parse_totals(&text).ok_or_else(|| format!("no totals in {}", out_file.display()))?;
    if total == 0 {
        return Err(format!(
            "callgrind counted nothing for `{}`: the region `{REGION}` was not found (inlined or renamed?)",
            w.name
        ));
    }
    Ok((total + units / 2) / units)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Regression,
    Faster,
    New,
}

/// Compare a count with its baseline.
fn verdict(baseline: Option<u64>, now: u64) -> (Verdict, Option<f64>) {
    let Some(base) = baseline.filter(|&b| b > 0) else {
        return (Verdict::New, None);
    };
    let change = (now as f64 - base as f64) / base as f64 * 100.0;
    let v = if change > THRESHOLD_PERCENT {
        Verdict::Regression
    } else if change < -THRESHOLD_PERCENT {
        Verdict::Faster
    } else {
        Verdict::Ok
    };
    (v, Some(change))
}

/// `1234567` → `1 234 567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The comparison table (Markdown) and whether any workload regressed or has no baseline.
fn table(baseline: &Baseline, measured: &[(Workload, u64)]) -> (String, bool) {
    let mut out = String::from(
        "| workload | per | baseline | now | change | verdict |\n|---|---|---:|---:|---:|---|\n",
    );
    let mut failed = false;
    for (w, now) in measured {
        let base = baseline.benches.get(w.name).map(|e| e.instructions);
        let (v, change) = verdict(base, *now);
        let verdict = match v {
            Verdict::Ok => "ok",
            Verdict::Regression => "**REGRESSION**",
            Verdict::Faster => "faster: re-record to lock it in",
            Verdict::New => "**no baseline**",
        };
        failed |= matches!(v, Verdict::Regression | Verdict::New);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            w.name,
            w.per,
            base.map_or("-".to_owned(), thousands),
            thousands(*now),
            change.map_or("-".to_owned(), |c| format!("{c:+.1}%")),
            verdict
        ));
    }
    (out, failed)
}

fn guard() -> Result<bool, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    if Command::new("valgrind").arg("--version").output().is_err() {
        return Err(
            "valgrind is not installed (Debian: apt-get install -y valgrind; tests/instructions.sh does it)"
                .to_owned(),
        );
    }
    let out_dir = exe
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        .join("haven-instructions-callgrind");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let results: Vec<Result<u64, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = WORKLOADS
            .iter()
            .map(|&w| {
                let (exe, out_dir) = (&exe, &out_dir);
                s.spawn(move || measure(exe, out_dir, w))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("measuring thread panicked".to_owned()))
            })
            .collect()
    });
    let mut measured = Vec::new();
    for (w, r) in WORKLOADS.iter().zip(results) {
        measured.push((*w, r?));
    }

    let path = baseline_path();
    let update = std::env::var("HAVEN_UPDATE_BASELINE").is_ok_and(|v| v == "1");
    let baseline = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<Baseline>(&text)
            .map_err(|e| format!("{}: not a baseline file: {e}", path.display()))?,
        Err(_) if update => Baseline::default(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let rustc = tool_version("rustc");
    let valgrind = tool_version("valgrind");
    println!(
        "instructions executed (callgrind), per unit, against {} (fails above +{THRESHOLD_PERCENT}%)",
        path.display()
    );
    println!(
        "callgrind output for `callgrind_annotate`: {}\n",
        out_dir.display()
    );
    let (text, failed) = table(&baseline, &measured);
    print!("{text}");
    for (w, _) in &measured {
        println!("  {}: {}", w.name, w.what);
    }
    if baseline.rustc != rustc && !update {
        println!(
            "\nnote: baseline recorded with `{}`, this is `{rustc}`: counts may differ a little",
            baseline.rustc
        );
    }
    if update {
        let new = Baseline {
            note: "Instructions per unit executed by haven's hot paths under callgrind \
                   (crates/haven-bench). Re-record: HAVEN_UPDATE_BASELINE=1 bash tests/instructions.sh"
                .to_owned(),
            rustc,
            valgrind,
            benches: measured
                .iter()
                .map(|(w, n)| {
                    (
                        w.name.to_owned(),
                        Entry {
                            instructions: *n,
                            per: w.per.to_owned(),
                            what: w.what.to_owned(),
                        },
                    )
                })
                .collect(),
        };
        let json = serde_json::to_string_pretty(&new).map_err(|e| e.to_string())?;
        std::fs::write(&path, json + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("\nbaseline rewritten: {}", path.display());
        return Ok(true);
    }
    if failed {
        println!(
            "\nFAILED: a hot path executes more than {THRESHOLD_PERCENT}% more instructions than \
             its baseline (or has none). If the cost is intended, re-record and commit the \
             baseline: HAVEN_UPDATE_BASELINE=1 bash tests/instructions.sh"
        );
    } else {
        println!("\nok: no hot path above +{THRESHOLD_PERCENT}%");
    }
    Ok(!failed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.as_slice() {
        [cmd, name] if cmd == "run" => run_workload(name).map(|units| {
            println!("units {units}");
            true
        }),
        [] => guard(),
        _ => Err("usage: haven-instructions            (the guard)\n       \
                  haven-instructions run <workload>   (one workload, as the guard runs it under valgrind)\n\
                  env HAVEN_UPDATE_BASELINE=1 rewrites the baseline"
            .to_owned()),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_from_callgrind_output() {
        let text = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nfl=(1) a.rs\nfn=(1) f\n3 7\nsummary: 123\n\n\ntotals: 4567\n";
        assert_eq!(parse_totals(text), Some(4567));
        assert_eq!(parse_totals("summary: 89\n"), Some(89));
        assert_eq!(parse_totals("events: Ir\n"), None);
        assert_eq!(parse_units("noise\nunits 1024\n"), Some(1024));
        assert_eq!(parse_units("nothing"), None);
    }

    #[test]
    fn more_than_ten_percent_more_is_a_regression() {
        assert_eq!(verdict(Some(1000), 1100).0, Verdict::Ok);
        assert_eq!(verdict(Some(1000), 1101).0, Verdict::Regression);
        assert_eq!(verdict(Some(1000), 899).0, Verdict::Faster);
        assert_eq!(verdict(None, 5).0, Verdict::New);
        let w = WORKLOADS[0];
        let mut base = Baseline::default();
        base.benches.insert(
            w.name.to_owned(),
            Entry {
                instructions: 1000,
                per: "incident".to_owned(),
                what: String::new(),
            },
        );
        let (text, failed) = table(&base, &[(w, 1200)]);
        assert!(failed);
        assert!(
            text.contains("| 1 000 | 1 200 | +20.0% | **REGRESSION** |"),
            "{text}"
        );
        assert!(!table(&base, &[(w, 1050)]).0.contains("REGRESSION"));
        assert!(!table(&base, &[(w, 1050)]).1);
        assert!(
            table(&Baseline::default(), &[(w, 1050)]).1,
            "no baseline fails"
        );
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1 000");
        assert_eq!(thousands(171_440_123), "171 440 123");
    }

    #[test]
    fn the_committed_baseline_names_every_workload() {
        let text = std::fs::read_to_string(baseline_path()).unwrap_or_default();
        let base: Baseline = serde_json::from_str(&text).unwrap_or_default();
        for w in WORKLOADS {
            assert!(
                base.benches.get(w.name).is_some_and(|e| e.instructions > 0),
                "{} has no baseline: HAVEN_UPDATE_BASELINE=1 bash tests/instructions.sh",
                w.name
            );
        }
    }

    #[test]
    fn every_workload_runs_natively() {
        for w in WORKLOADS {
            let units = run_workload(w.name);
            assert!(
                units.as_ref().is_ok_and(|&u| u > 0),
                "{}: {units:?}",
                w.name
            );
        }
        assert!(run_workload("nope").is_err());
    }
}
