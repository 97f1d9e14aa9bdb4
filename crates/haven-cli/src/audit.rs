//! `haven audit <policy> <history.jsonl>`: incident histories against the policy, on the
//! school calendar (`calendar.toml` beside the policy, or `--calendar`).

use crate::{load, read, Exit};
use clap::ValueEnum;
use haven_audit::{AuditReport, Auditor, Calendar, RecordAudit, Summary};
use std::io::{IsTerminal, Write as _};
use std::path::Path;

/// Output formats of `haven audit`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum AuditFormat {
    /// the summary and every record with a finding
    Json,
    /// a self-contained page with charts (works offline)
    Html,
}

/// How many records with findings the HTML page lists (the charts count them all).
const HTML_FINDINGS: usize = 500;

pub(crate) fn audit(
    policy: &Path,
    history: &Path,
    calendar: Option<&Path>,
    format: AuditFormat,
    out: Option<&Path>,
) -> Exit {
    let (policy, _) = match load(policy) {
        Ok(p) => p,
        Err(e) => return e,
    };
    // `--calendar`, else the calendar the policy carries (`calendar.toml` beside it, read
    // and checked with the policy by `load`).
    let calendar = match calendar {
        None => match policy.calendar() {
            Some(c) => c.clone(),
            None => {
                eprintln!("note: no calendar.toml beside the policy: every working day counts as a school day");
                Calendar::default()
            }
        },
        Some(path) => {
            let text = match read(path) {
                Ok(t) => t,
                Err(e) => return e,
            };
            match Calendar::from_toml(&text) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error[haven::calendar]: {}:{e}", path.display());
                    return Exit::Failure;
                }
            }
        }
    };
    let input = match read(history) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let auditor = Auditor::new(policy, calendar);
    let lines: Vec<&str> = input.lines().collect();
    let (summary, findings) = run(&auditor, &lines);
    let rejected = summary.rejected.len();
    for r in summary.rejected.iter().take(20) {
        eprintln!("{}: error[{}]: {}", r.id, r.code, r.message);
    }
    if rejected > 20 {
        eprintln!(
            "… and {} more rejected records (listed in the report)",
            rejected - 20
        );
    }
    let report = AuditReport::new(&auditor, summary, findings);
    let text = match format {
        AuditFormat::Json => match serde_json::to_string(&report) {
            Ok(t) => t + "\n",
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Failure;
            }
        },
        AuditFormat::Html => haven_audit::report::html(&report, HTML_FINDINGS),
    };
    let written = match out {
        Some(path) => std::fs::write(path, text).map_err(|e| (path.display().to_string(), e)),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| ("standard output".to_owned(), e)),
    };
    if let Err((what, e)) = written {
        eprintln!("error: cannot write {what}: {e}");
        return Exit::Io;
    }
    if rejected > 0 {
        Exit::IncidentRejected
    } else {
        Exit::Ok
    }
}

/// Audit every line on the available cores (each thread takes a contiguous slice and keeps
/// its own summary; the summaries merge exactly), with a progress bar on a terminal.
fn run(auditor: &Auditor, lines: &[&str]) -> (Summary, Vec<RecordAudit>) {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(lines.len() / 2000 + 1);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(lines.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} records {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let chunk = lines.len().div_ceil(threads).max(1);
    let parts: Vec<(Summary, Vec<RecordAudit>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = lines
            .chunks(chunk)
            .enumerate()
            .map(|(i, slice)| {
                let bar = bar.clone();
                scope.spawn(move || {
                    let mut summary = Summary::default();
                    let mut findings = Vec::new();
                    for (j, block) in slice.chunks(1000).enumerate() {
                        let (s, f) =
                            auditor.audit_lines(block.iter().copied(), i * chunk + j * 1000 + 1);
                        summary.merge(&s);
                        findings.extend(f);
                        if let Some(bar) = &bar {
                            bar.inc(block.len() as u64);
                        }
                    }
                    (summary, findings)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut summary = Summary::default();
    let mut findings = Vec::new();
    for (s, f) in parts {
        summary.merge(&s);
        findings.extend(f);
    }
    (summary, findings)
}
