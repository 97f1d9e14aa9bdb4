//! `haven explain` (why, why not, interview) and `haven diff`.

use crate::{load, read, Exit, OutFormat};
use haven_core::{ExplainOptions, Goal, Policy};
use std::io::{BufRead, Write};
use std::path::Path;

fn parse_goal(words: &[String]) -> Option<Goal> {
    haven_core::api::goal(&words.join(" ")).ok()
}

fn read_incident(
    policy: &Policy,
    path: &Path,
) -> Result<(serde_json::Value, haven_core::Incident), Exit> {
    let text = read(path)?;
    let value: serde_json::Value = match serde_json::from_str(text.trim()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {}: not JSON: {e}", path.display());
            return Err(Exit::IncidentRejected);
        }
    };
    match policy.incident_from_value(&value) {
        Ok(i) => Ok((value, i)),
        Err(e) => {
            eprintln!("error[{}]: {}", e.code, e.message);
            Err(Exit::IncidentRejected)
        }
    }
}

/// `haven explain`.
pub(crate) fn explain(
    policy_path: &Path,
    incident: &Path,
    why_not: Option<&[String]>,
    format: OutFormat,
    max_changes: usize,
    interview: bool,
) -> Exit {
    let (policy, _) = match load(policy_path) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let (value, inc) = match read_incident(&policy, incident) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if interview {
        return run_interview(&policy, value);
    }
    let opts = ExplainOptions {
        max_changes,
        ..ExplainOptions::default()
    };
    let out = match why_not {
        Some(words) => {
            let Some(goal) = parse_goal(words) else {
                eprintln!("error: --why-not needs an action (e.g. `refer police`) or a verdict (`allowed`, `allowed_if`, `not_allowed`)");
                return Exit::Usage;
            };
            let w = policy.why_not(&inc, &goal, &opts);
            match format {
                OutFormat::Text => w.to_text(),
                OutFormat::Json => {
                    format!("{}\n", serde_json::to_string_pretty(&w).unwrap_or_default())
                }
            }
        }
        None => match format {
            OutFormat::Text => {
                let d = policy.evaluate(&inc);
                let e = policy.explain(&inc, &opts);
                format!("{}\n{}", d.to_text(), e.to_text())
            }
            OutFormat::Json => {
                let d = policy.evaluate_explained(&inc, &opts);
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&d.to_json()).unwrap_or_default()
                )
            }
        },
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Exit::Ok
}

/// Parse a terminal answer: `yes`/`no`, a number, a token, or blank/`?` for "not known".
fn parse_answer(text: &str) -> Option<serde_json::Value> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        "" | "?" | "unknown" | "don't know" => None,
        "y" | "yes" | "true" => Some(serde_json::Value::Bool(true)),
        "n" | "no" | "false" => Some(serde_json::Value::Bool(false)),
        _ => Some(t.parse::<i64>().map_or_else(
            |_| serde_json::Value::String(t.to_owned()),
            serde_json::Value::from,
        )),
    }
}

fn run_interview(policy: &Policy, mut record: serde_json::Value) -> Exit {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut skipped: Vec<String> = Vec::new();
    let mut out = std::io::stdout().lock();
    loop {
        let inc = match policy.incident_from_value(&record) {
            Ok(i) => i,
            Err(e) => {
                let _ = writeln!(out, "that answer was not accepted: {}", e.message);
                return Exit::IncidentRejected;
            }
        };
        let next = policy.next_questions(&inc);
        let d = policy.evaluate(&inc);
        let pending: Vec<&haven_core::NextQuestion> = next
            .questions
            .iter()
            .filter(|q| !skipped.contains(&q.fact))
            .collect();
        let Some(q) = pending.first() else {
            let _ = writeln!(out, "\n{}", d.to_text());
            return Exit::Ok;
        };
        for g in next.groups.iter().take(1) {
            if g.settled_by_any.len() > 1 {
                let _ = writeln!(
                    out,
                    "\nany one of these makes `{}` required: {}",
                    g.action,
                    g.settled_by_any
                        .iter()
                        .map(|c| format!("{} = {}", c.fact, c.to))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
        }
        let _ = write!(out, "\n? {} [{}] ", q.ask, q.fact);
        let _ = out.flush();
        let Some(Ok(line)) = lines.next() else {
            let _ = writeln!(out, "\n{}", d.to_text());
            return Exit::Ok;
        };
        match parse_answer(&line) {
            Some(v) => haven_core::set_path(&mut record, &q.fact, v),
            None => skipped.push(q.fact.clone()),
        }
    }
}

/// `haven diff`.
pub(crate) fn diff(
    old_path: &Path,
    new_path: &Path,
    against: Option<&str>,
    format: crate::DiffFormat,
) -> Exit {
    let (old_path, new_path) = match against {
        Some(base) => {
            let direct = Path::new(base);
            let resolved = if direct.exists() {
                direct.to_path_buf()
            } else {
                let parent = new_path_parent(old_path);
                parent.join(base)
            };
            (resolved, old_path.to_path_buf())
        }
        None => (old_path.to_path_buf(), new_path.to_path_buf()),
    };
    let (old, _) = match load(&old_path) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let (new, _) = match load(&new_path) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let started = std::time::Instant::now();
    let mut report = haven_core::diff(&old, &new, &haven_core::DiffOptions::default());
    if against.is_some() {
        report.retain_weaker();
    }
    let elapsed = started.elapsed();
    let text = match format {
        crate::DiffFormat::Text => report.to_text(),
        crate::DiffFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
        crate::DiffFormat::Md => report.to_markdown(),
        crate::DiffFormat::Html => report.to_html(),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    eprintln!(
        "{} class{} of incidents differ; searched in {:.2} s",
        report.classes.len(),
        if report.classes.len() == 1 { "" } else { "es" },
        elapsed.as_secs_f64()
    );
    Exit::Ok
}

fn new_path_parent(p: &Path) -> std::path::PathBuf {
    let dir = if p.is_dir() {
        p.to_path_buf()
    } else {
        p.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    dir.parent().map(Path::to_path_buf).unwrap_or_default()
}
