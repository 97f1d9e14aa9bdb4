//! Write generated history records (JSON Lines) with planted departures, for benchmarks and
//! the browser test of the HTML report:
//!
//!     cargo run --release -p haven-audit --example generate -- policies/kingsbury_2019 1000000 [seed] > history.jsonl
//!
//! Records are split evenly between the schools when several policy directories are given
//! (comma-separated). The planted departures go to standard error as a count.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line example"
)]

use haven_audit::{synth, Auditor, Calendar};
use haven_core::{CheckOptions, Policy};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

fn load(dir: &Path) -> Result<Auditor, String> {
    let file = haven_modules::policy_file(dir);
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let loader = haven_modules::FsLoader::for_policy(&file);
    let policy = Policy::compile(
        &file.display().to_string(),
        &text,
        &loader,
        &CheckOptions::default(),
    )
    .map_err(|e| e.render())?;
    let cal_path = file.with_file_name("calendar.toml");
    let calendar = match std::fs::read_to_string(&cal_path) {
        Ok(t) => Calendar::from_toml(&t).map_err(|e| format!("{}:{e}", cal_path.display()))?,
        Err(_) => Calendar::default(),
    };
    Ok(Auditor::new(policy, calendar))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dirs), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: generate <policy dir>[,<policy dir>...] <records> [seed]");
        return ExitCode::from(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let dirs: Vec<&str> = dirs.split(',').collect();
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let mut planted = 0usize;
    for (i, dir) in dirs.iter().enumerate() {
        let auditor = match load(Path::new(dir)) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        };
        let school = auditor.policy().id().to_owned();
        let share = n / dirs.len() + usize::from(i < n % dirs.len());
        let generated = synth::generate(&auditor, &school, share, seed + i as u64);
        planted += generated.planted.len();
        for line in &generated.lines {
            if writeln!(out, "{line}").is_err() {
                return ExitCode::from(4);
            }
        }
    }
    let _ = out.flush();
    eprintln!("{n} records, {planted} planted departures");
    ExitCode::SUCCESS
}
