//! `haven`: check, evaluate, test, format and render online-safety policies.
//!
//! Exit codes (see `haven --help`): 0 success; 1 the policy has errors or a scenario failed;
//! 2 bad command-line usage; 3 an incident record was rejected; 4 a file could not be read.

use clap::{Parser, Subcommand, ValueEnum};
use haven_core::{CheckOptions, CompileError, Date, Diagnostic, Limits, Policy, Sources};
use haven_modules::{policy_file, scenarios_file, FsLoader};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod audit;
mod explain;
mod new;
mod trace;

/// Exit codes, documented in the README and tested in `tests/cli.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Ok = 0,
    Failure = 1,
    Usage = 2,
    IncidentRejected = 3,
    Io = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

#[derive(Parser)]
#[command(
    name = "haven",
    version,
    about = "Policy-as-code for school online-safety and safeguarding policies",
    after_help = "Exit codes: 0 success · 1 policy errors or failing scenarios · 2 usage error · 3 incident rejected · 4 file not readable"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Take this date (YYYY-MM-DD) as today, so date-dependent warnings (a review date
    /// passed) are reproducible; default: $HAVEN_TODAY, else the system clock
    #[arg(long, global = true, value_parser = parse_today)]
    today: Option<Date>,
}

fn parse_today(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date like 2026-11-22"))
}

/// `--today`, set once before any command runs.
static TODAY: std::sync::OnceLock<Date> = std::sync::OnceLock::new();

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ErrorFormat {
    /// rustc-style, with the source line underlined
    Human,
    /// one line per diagnostic (screen readers, logs)
    Plain,
    /// a JSON array of diagnostics
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum OutFormat {
    /// the decision contract (one JSON object per incident)
    Json,
    /// a short human-readable summary
    Text,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum RenderFormat {
    /// Markdown
    Md,
    /// a self-contained HTML page
    Html,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum SchemaKind {
    /// incident record, version 1
    Incident,
    /// decision, version 1
    Decision,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum DiffFormat {
    /// plain text
    Text,
    /// JSON (each class with its `witness` incident)
    Json,
    /// a Markdown report for governors
    Md,
    /// a self-contained HTML report
    Html,
}

#[derive(Subcommand)]
enum Command {
    /// Check policies: report every error and warning with its location
    Check {
        /// Policy files or directories (a directory means its policy.haven)
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        /// How to print diagnostics
        #[arg(long, value_enum, default_value = "human")]
        format: ErrorFormat,
        /// Treat warnings as errors
        #[arg(long)]
        deny_warnings: bool,
        /// Also list the rules no record of contract fields alone can trigger (they need a
        /// token or fact the policy declares itself), so integrators know what to send
        #[arg(long)]
        contract_reach: bool,
    },
    /// Evaluate one incident (JSON) or a stream of incidents (JSON Lines) against a policy
    Eval {
        /// Policy file or directory
        policy: PathBuf,
        /// Incident file, or `-` for standard input
        incident: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value = "json")]
        format: OutFormat,
        /// Include the rules that applied and may apply
        #[arg(long)]
        explain: bool,
        /// Append each decision to this hash-chained decision log (docs/service.md)
        #[arg(long)]
        log: Option<PathBuf>,
        /// Indent the JSON output (one object per incident, over several lines)
        #[arg(long)]
        pretty: bool,
    },
    /// Explain a decision: why each action and the permission, and the smallest fact changes
    /// that would alter them; or why not (--why-not); or ask the questions (--interview)
    Explain {
        /// Policy file or directory
        policy: PathBuf,
        /// Incident file (JSON)
        incident: PathBuf,
        /// Why is this not required? An action and target (`refer police`), optionally after
        /// a modality (`should inform_parents`), or a verdict (`allowed`)
        #[arg(long, num_args = 1..=3, value_name = "ACTION [TARGET]")]
        why_not: Option<Vec<String>>,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
        /// The most fact changes a counterfactual may make
        #[arg(long, default_value_t = 2)]
        max_changes: usize,
        /// Ask the open questions one at a time on the terminal, best question first
        #[arg(long)]
        interview: bool,
    },
    /// Compare two policies: every class of incidents they answer differently, each with a
    /// verified witness incident
    Diff {
        /// The old policy (file or directory)
        old: PathBuf,
        /// The new policy (file or directory); omit with --against
        new: Option<PathBuf>,
        /// Compare the policy given against this one (a path, or a sibling directory name
        /// such as `baseline`) and list only where it requires less
        #[arg(long)]
        against: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: DiffFormat,
    },
    /// Run scenario tests (scenarios.toml beside each policy)
    Test {
        /// Policy files or directories; default: every policy under ./policies
        policies: Vec<PathBuf>,
        /// List rules and table rows that no scenario exercised (and fail if any), and the
        /// criterion coverage: condition parts no scenario shows to matter, with a proposed
        /// incident for each (reported, not failing)
        #[arg(long)]
        coverage: bool,
    },
    /// Rewrite .haven files in the one canonical layout, keeping every comment
    Fmt {
        /// Files, or directories (every .haven file under them)
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change nothing: list the files that would change, and exit 1 if any would
        #[arg(long)]
        check: bool,
    },
    /// Render a policy as a readable document (sections, tables, each rule with its citation)
    Render {
        /// Policy file or directory
        policy: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value = "md")]
        format: RenderFormat,
        /// Write to this file instead of standard output
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Trace a source document: which duty sentences the policy cites, declines, or misses
    Trace {
        /// Policy file or directory (its own file is read, not its baseline)
        policy: PathBuf,
        /// The source document as plain text
        source: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: trace::TraceFormat,
        /// Exit 1 when any sentence is unaccounted for
        #[arg(long)]
        deny_unaccounted: bool,
    },
    /// Draft a skeleton policy from a source document (one rule per duty sentence)
    Draft {
        /// The source document as plain text
        source: PathBuf,
        /// The new policy's id
        #[arg(long)]
        id: String,
        /// Directory to write policy.haven, scenarios.toml and NOTES.md into (default: ./ID)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Compare the draft's modalities and actions with this hand-encoded policy and print
        /// the agreement (writes nothing unless --out is given)
        #[arg(long)]
        compare: Option<PathBuf>,
    },
    /// Print the JSON Schema (draft 2020-12) of the incident record or the decision
    Schema {
        /// Which contract
        #[arg(value_enum)]
        which: SchemaKind,
        /// The incident schema of this policy's vocabulary, closed to the names it declares
        /// (default: the open schema of `policies/std`, as docs/schema/ holds it)
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Serve decisions over HTTP, keeping a hash-chained decision log (docs/service.md)
    Serve(haven_serve::cli::ServeCommand),
    /// Decision-log tools
    #[command(subcommand)]
    Log(haven_serve::cli::LogCommand),
    /// Audit incident histories (JSON Lines) against a policy on the school calendar
    Audit {
        /// Policy file or directory (its calendar.toml is read when present)
        policy: PathBuf,
        /// History records, one JSON object per line
        history: PathBuf,
        /// The school calendar (default: calendar.toml beside the policy)
        #[arg(long)]
        calendar: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value = "json")]
        format: audit::AuditFormat,
        /// Write to this file instead of standard output
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Start a new school policy: policy.haven (extends baseline), scenarios.toml and NOTES.md
    New {
        /// The policy id (letters, digits and `_`), also the directory name
        id: String,
        /// The policy's title
        #[arg(long)]
        title: Option<String>,
        /// Directory to create (default: ./ID)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run the language server on standard input and output (for editors; see bindings/vscode)
    Lsp {
        /// Accepted for editors that pass it; standard input and output are the only transport
        #[arg(long)]
        stdio: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(d) = cli.today {
        let _ = TODAY.set(d);
    }
    let exit = match cli.command {
        Command::Check {
            policies,
            format,
            deny_warnings,
            contract_reach,
        } => check(&policies, format, deny_warnings, contract_reach),
        Command::Eval {
            policy,
            incident,
            format,
            explain,
            log,
            pretty,
        } => eval(
            &policy,
            &incident,
            Render {
                format,
                explain,
                pretty,
            },
            log.as_deref(),
        ),
        Command::Test { policies, coverage } => test(&policies, coverage),
        Command::Explain {
            policy,
            incident,
            why_not,
            format,
            max_changes,
            interview,
        } => explain::explain(
            &policy,
            &incident,
            why_not.as_deref(),
            format,
            max_changes,
            interview,
        ),
        Command::Diff {
            old,
            new,
            against,
            format,
        } => match (new, against) {
            (Some(new), None) => explain::diff(&old, &new, None, format),
            (None, Some(base)) => explain::diff(&old, &old, Some(&base), format),
            _ => {
                eprintln!("error: give two policies, or one policy and --against");
                Exit::Usage
            }
        },
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Render {
            policy,
            format,
            output,
        } => render(&policy, format, output.as_deref()),
        Command::Trace {
            policy,
            source,
            format,
            deny_unaccounted,
        } => trace::trace(&policy, &source, format, deny_unaccounted),
        Command::Draft {
            source,
            id,
            out,
            compare,
        } => trace::draft(&source, &id, out.as_deref(), compare.as_deref()),
        Command::Schema { which, policy } => schema(which, policy.as_deref()),
        Command::Serve(cmd) => return ExitCode::from(haven_serve::cli::serve(cmd)),
        Command::Log(cmd) => return ExitCode::from(haven_serve::cli::log(cmd)),
        Command::Audit {
            policy,
            history,
            calendar,
            format,
            out,
        } => audit::audit(
            &policy,
            &history,
            calendar.as_deref(),
            format,
            out.as_deref(),
        ),
        Command::New { id, title, out } => new::new(&id, title.as_deref(), out.as_deref()),
        Command::Lsp { stdio: _ } => match haven_lsp::run_stdio(options()) {
            Ok(()) => Exit::Ok,
            Err(e) => {
                eprintln!("error: haven lsp: {e}");
                Exit::Io
            }
        },
    };
    exit.into()
}

/// The shared vocabulary alone, as a policy: what the committed incident schema describes.
const STD_VOCABULARY: &str = "policy std \"haven standard vocabulary\" {
  version \"1\"
  source \"policies/std/vocabulary.haven\"
  use std/vocabulary
}
";

fn schema(which: SchemaKind, policy: Option<&Path>) -> Exit {
    let value = match (which, policy) {
        (SchemaKind::Decision, _) => haven_core::decision_schema(),
        (SchemaKind::Incident, Some(path)) => match load(path) {
            Ok((p, _)) => p.incident_schema(true),
            Err(e) => return e,
        },
        (SchemaKind::Incident, None) => {
            let opts = CheckOptions::default();
            match Policy::compile("std", STD_VOCABULARY, &haven_modules::Bundled, &opts) {
                Ok(p) => p.incident_schema(false),
                Err(err) => {
                    print_diagnostics(&err.sources, &err.diagnostics, ErrorFormat::Human);
                    return Exit::Failure;
                }
            }
        }
    };
    match serde_json::to_string_pretty(&value) {
        Ok(text) => {
            println!("{text}");
            Exit::Ok
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Failure
        }
    }
}

/// Today's date from the system clock (UTC).
fn today() -> Option<Date> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let days = i64::try_from(secs / 86_400).ok()?;
    // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(Date {
        year: u16::try_from(year).ok()?,
        month: u8::try_from(month).ok()?,
        day: Some(u8::try_from(day).ok()?),
    })
}

pub(crate) fn options() -> CheckOptions {
    let today = match (TODAY.get(), std::env::var("HAVEN_TODAY")) {
        (Some(d), _) => Some(*d),
        (None, Ok(s)) => Date::parse(&s),
        (None, Err(_)) => today(),
    };
    CheckOptions::with_today(today)
}

/// Read a text file (an incident, scenarios); bytes that are not UTF-8 are an error naming
/// the line and column of the first bad byte.
pub(crate) fn read(path: &Path) -> Result<String, Exit> {
    utf8(&format!("`{}`", path.display()), read_bytes(path)?)
}

/// `bytes` as text, or an error (printed) naming `what` and where the first bad byte is.
fn utf8(what: &str, bytes: Vec<u8>) -> Result<String, Exit> {
    // Core locates the first bad byte (the same error a policy file gets).
    haven_core::decode_source(what, bytes).map_err(|err| {
        let (line, column, offset) = err
            .detailed()
            .first()
            .and_then(|d| Some((d.line?, d.column?, d.labels.first()?.start)))
            .unwrap_or((1, 1, 0));
        eprintln!(
            "error: {what} is not UTF-8 text: line {line}, column {column} (byte offset {offset})\n  \
             = help: save the file as UTF-8",
        );
        Exit::Io
    })
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, Exit> {
    std::fs::read(path).map_err(|e| {
        eprintln!("error: cannot read `{}`: {e}", path.display());
        Exit::Io
    })
}

/// Read a policy or module file. Bytes that are not UTF-8 come back as a diagnostic (the
/// inner `Err`) to report like any other policy error; I/O errors as the outer `Err`.
pub(crate) fn read_policy(path: &Path) -> Result<Result<String, CompileError>, Exit> {
    let bytes = read_bytes(path)?;
    Ok(haven_core::decode_source(
        &path.display().to_string(),
        bytes,
    ))
}

/// Load and compile a policy, printing diagnostics on failure.
pub(crate) fn load(path: &Path) -> Result<(Policy, PathBuf), Exit> {
    let file = policy_file(path);
    let text = match read_policy(&file)? {
        Ok(text) => text,
        Err(err) => {
            print_diagnostics(&err.sources, &err.diagnostics, ErrorFormat::Human);
            return Err(Exit::Failure);
        }
    };
    let loader = FsLoader::for_policy(&file);
    match Policy::compile(&file.display().to_string(), &text, &loader, &options()) {
        Ok(p) => Ok((p, file)),
        Err(err) => {
            print_diagnostics(&err.sources, &err.diagnostics, ErrorFormat::Human);
            Err(Exit::Failure)
        }
    }
}

fn print_diagnostics(sources: &Sources, diags: &[Diagnostic], format: ErrorFormat) {
    let mut err = std::io::stderr().lock();
    match format {
        ErrorFormat::Human => {
            for d in diags {
                let _ = write!(err, "{}", d.render(sources));
            }
        }
        ErrorFormat::Plain => {
            for d in diags {
                let _ = writeln!(err, "{}", d.render_plain(sources));
            }
        }
        ErrorFormat::Json => {}
    }
}

fn check(
    paths: &[PathBuf],
    format: ErrorFormat,
    deny_warnings: bool,
    contract_reach: bool,
) -> Exit {
    let opts = CheckOptions {
        contract_reach,
        ..options()
    };
    let mut failed = false;
    let mut json_out = Vec::new();
    for file in expand_modules(paths) {
        let report = match read_policy(&file) {
            Ok(Ok(text)) => {
                let loader = FsLoader::for_policy(&file);
                haven_core::check(&file.display().to_string(), &text, &loader, &opts)
            }
            Ok(Err(not_utf8)) => haven_core::CheckReport {
                sources: not_utf8.sources,
                diagnostics: not_utf8.diagnostics,
            },
            Err(e) => return e,
        };
        let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = report.diagnostics.len() - errors;
        if errors > 0 || (deny_warnings && warnings > 0) {
            failed = true;
        }
        match format {
            ErrorFormat::Json => {
                json_out.extend(
                    report
                        .diagnostics
                        .iter()
                        .map(|d| d.detailed(&report.sources)),
                );
            }
            _ => {
                print_diagnostics(&report.sources, &report.diagnostics, format);
                let status = if errors > 0 { "failed" } else { "ok" };
                eprintln!(
                    "{}: {status} ({errors} error{}, {warnings} warning{})",
                    file.display(),
                    plural(errors),
                    plural(warnings)
                );
            }
        }
    }
    if format == ErrorFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json_out).unwrap_or_default()
        );
    }
    if failed {
        Exit::Failure
    } else {
        Exit::Ok
    }
}

/// Policy paths to check: a policy directory means its `policy.haven`; a module directory
/// (such as `policies/std`) means every `.haven` file in it.
fn expand_modules(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        let file = policy_file(path);
        if path.is_dir() && !file.exists() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "haven"))
                .collect();
            files.sort();
            if !files.is_empty() {
                out.extend(files);
                continue;
            }
        }
        out.push(file);
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// How `eval` prints a decision.
#[derive(Clone, Copy)]
struct Render {
    format: OutFormat,
    explain: bool,
    pretty: bool,
}

/// Print every error of a rejected record, with its position where there is text.
fn print_incident_errors(prefix: &str, errs: &[haven_core::IncidentError]) {
    for e in errs {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!(" at {l}:{c}"),
            _ => String::new(),
        };
        eprintln!("{prefix}error[{}]{at}: {}", e.code, e.message);
        if !e.expected.is_empty() {
            eprintln!("  = expected: {}", e.expected);
        }
    }
}

/// Whether `text` holds one JSON value on its first non-empty line with more lines after it
/// (JSON Lines), found by balancing brackets outside strings: nothing is parsed twice.
fn is_json_lines(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let (Some(first), Some(_)) = (lines.next(), lines.next()) else {
        return false;
    };
    let (mut depth, mut in_string, mut escaped) = (0i64, false, false);
    for b in first.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            _ => {}
        }
    }
    depth == 0 && !in_string
}

fn eval(policy_path: &Path, incident: &Path, render: Render, log: Option<&Path>) -> Exit {
    let (policy, _) = match load(policy_path) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let log = match log.map(|path| haven_serve::log::EvalLog::open(path, &policy)) {
        None => None,
        Some(Ok((log, torn))) => {
            if let Some(t) = torn {
                eprintln!(
                    "warning: decision log: truncated a torn last record ({} bytes)",
                    t.bytes
                );
            }
            Some(log)
        }
        Some(Err(e)) => {
            eprintln!("error: cannot open the decision log: {e}");
            return Exit::Io;
        }
    };
    // Record a decision before printing it; a decision that cannot be logged is not given.
    let logged = |text: &str, d: &haven_core::Decision<'_>| match &log {
        Some(log) => log.record(text, &d.to_json()).map(|_| ()).map_err(|e| {
            eprintln!("error: cannot write the decision log: {e}");
            Exit::Io
        }),
        None => Ok(()),
    };
    let input = if incident == Path::new("-") {
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
            eprintln!("error: cannot read standard input: {e}");
            return Exit::Io;
        }
        match utf8("standard input", bytes) {
            Ok(text) => text,
            Err(e) => return e,
        }
    } else {
        match read(incident) {
            Ok(t) => t,
            Err(e) => return e,
        }
    };
    let trimmed = input.trim();
    // One JSON object, or JSON Lines (one object per line); each record is parsed once.
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if !is_json_lines(trimmed) {
        return match policy.incident_from_json_all(trimmed) {
            Ok(incident) => {
                let d = policy.evaluate(&incident);
                if let Err(e) = logged(trimmed, &d) {
                    return e;
                }
                if let Some(Err(e)) = log.as_ref().map(haven_serve::log::EvalLog::sync) {
                    eprintln!("error: cannot sync the decision log: {e}");
                    return Exit::Io;
                }
                let _ = write!(out, "{}", render_decision(&d, render));
                Exit::Ok
            }
            Err(errs) => {
                print_incident_errors("", &errs);
                Exit::IncidentRejected
            }
        };
    }
    let lines: Vec<&str> = input.lines().collect();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(lines.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} incidents {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut rejected = 0usize;
    for (n, line) in lines.iter().enumerate() {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match policy.incident_from_json_all(line) {
            Ok(incident) => {
                let d = policy.evaluate(&incident);
                if let Err(e) = logged(line, &d) {
                    return e;
                }
                if render.format == OutFormat::Text {
                    // Which incident this is: its own id, and always the line it came from.
                    let id = match d.incident_id() {
                        Some(serde_json::Value::String(s)) => format!("incident {s} · "),
                        Some(other) => format!("incident {other} · "),
                        None => String::new(),
                    };
                    let _ = writeln!(out, "── {id}line {} ──", n + 1);
                }
                let _ = write!(out, "{}", render_decision(&d, render));
                if render.format == OutFormat::Text {
                    let _ = writeln!(out);
                }
            }
            Err(errs) => {
                rejected += 1;
                if render.format == OutFormat::Text {
                    let _ = writeln!(out, "── line {} ──", n + 1);
                    for e in &errs {
                        let _ = writeln!(out, "rejected: error[{}]: {}", e.code, e.message);
                    }
                    let _ = writeln!(out);
                } else {
                    let err = haven_core::api::RejectedLine::new(n + 1, &errs);
                    let _ = writeln!(out, "{}", serde_json::to_string(&err).unwrap_or_default());
                }
                if bar.is_none() {
                    print_incident_errors(&format!("line {}: ", n + 1), &errs);
                }
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let _ = out.flush();
    if let Some(Err(e)) = log.as_ref().map(haven_serve::log::EvalLog::sync) {
        eprintln!("error: cannot sync the decision log: {e}");
        return Exit::Io;
    }
    if rejected > 0 {
        eprintln!("{rejected} incident{} rejected", plural(rejected));
        Exit::IncidentRejected
    } else {
        Exit::Ok
    }
}

/// A decision with `--explain`'s rules after the contract keys.
#[derive(serde::Serialize)]
struct Explained<'a, 'p> {
    #[serde(flatten)]
    decision: &'a haven_core::Decision<'p>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<serde_json::Value>,
}

/// The decision in the contract's key order (`policy`, `incident_id`, `status`, `breach`,
/// `permission`, `actions`, `questions`, `notes`), straight from its serialiser.
fn render_decision(d: &haven_core::Decision<'_>, render: Render) -> String {
    match render.format {
        OutFormat::Text => {
            let mut s = d.to_text();
            if render.explain {
                s.push_str(&format!(
                    "\napplied: {}\nmay apply: {}\n",
                    d.fired_rules().collect::<Vec<_>>().join(", "),
                    d.possible_rules().collect::<Vec<_>>().join(", ")
                ));
            }
            s
        }
        OutFormat::Json => {
            let explained = Explained {
                decision: d,
                explain: render.explain.then(|| {
                    serde_json::json!({
                        "applied": d.fired_rules().collect::<Vec<_>>(),
                        "may_apply": d.possible_rules().collect::<Vec<_>>(),
                    })
                }),
            };
            let text = if render.pretty {
                serde_json::to_string_pretty(&explained)
            } else {
                serde_json::to_string(&explained)
            };
            format!("{}\n", text.unwrap_or_default())
        }
    }
}

fn discover() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir("policies") {
        for e in entries.flatten() {
            let p = e.path();
            if p.join("policy.haven").is_file() && p.join("scenarios.toml").is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn test(paths: &[PathBuf], coverage: bool) -> Exit {
    let paths = if paths.is_empty() {
        discover()
    } else {
        paths.to_vec()
    };
    if paths.is_empty() {
        eprintln!("error: no policies given and none found under ./policies");
        return Exit::Io;
    }
    let mut passed = 0usize;
    let mut failed = 0usize;
    let mut uncovered_total = 0usize;
    let mut failures: Vec<(String, String, Vec<String>)> = Vec::new();
    let started = std::time::Instant::now();
    for path in &paths {
        if path.is_dir() && !policy_file(path).exists() {
            println!(
                "\nskipping {}: a module directory (no policy.haven)",
                path.display()
            );
            continue;
        }
        let (policy, file) = match load(path) {
            Ok(p) => p,
            Err(_) => {
                failed += 1;
                failures.push((
                    path.display().to_string(),
                    "policy does not compile".to_owned(),
                    Vec::new(),
                ));
                continue;
            }
        };
        let sfile = scenarios_file(&file);
        let text = match read(&sfile) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let scenarios = match haven_core::scenario::parse_scenarios(&text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {}: {e}", sfile.display());
                return Exit::Failure;
            }
        };
        println!(
            "\nrunning {} scenarios for {}",
            scenarios.len(),
            policy.id()
        );
        let mut exercised: std::collections::HashSet<String> = std::collections::HashSet::new();
        for s in &scenarios {
            let r = haven_core::scenario::run_scenario(&policy, s);
            exercised.extend(r.exercised.iter().cloned());
            if r.passed() {
                passed += 1;
                println!("test {}::{} ... ok", policy.id(), r.name);
            } else {
                failed += 1;
                println!("test {}::{} ... FAILED", policy.id(), r.name);
                failures.push((
                    format!("{}::{}", policy.id(), r.name),
                    r.cites.clone(),
                    r.failures.clone(),
                ));
            }
        }
        if coverage {
            let incidents: Vec<(String, haven_core::Incident)> = scenarios
                .iter()
                .filter_map(|s| {
                    let json = haven_core::scenario::to_json(&s.incident);
                    policy
                        .incident_from_value(&json)
                        .ok()
                        .map(|i| (s.name.clone(), i))
                })
                .collect();
            let cc = policy.criterion_coverage(&incidents);
            println!(
                "criterion coverage {}: {}/{} condition parts shown to matter by a scenario ({} masked: they can never matter)",
                policy.id(),
                cc.shown(),
                cc.can_matter(),
                cc.parts.len() - cc.can_matter()
            );
            for part in cc.parts.iter().filter(|p| p.shown_by.is_none()) {
                let what = part
                    .criterion
                    .as_ref()
                    .map_or_else(|| part.part.clone(), |c| format!("criterion {c}"));
                if part.masked {
                    println!("  masked: {} — {what}", part.rule);
                } else {
                    println!("  not shown: {} — {what}", part.rule);
                    if let Some(p) = &part.proposal {
                        println!("      proposed incident: {p}");
                    }
                }
            }
            let own: Vec<&str> = policy.own_rule_ids().collect();
            let missed: Vec<&&str> = own.iter().filter(|r| !exercised.contains(**r)).collect();
            uncovered_total += missed.len();
            println!(
                "coverage {}: {}/{} rules and rows exercised",
                policy.id(),
                own.len() - missed.len(),
                own.len()
            );
            for m in missed {
                println!("  not exercised: {m}");
            }
        }
    }
    if !failures.is_empty() {
        println!("\nfailures:");
        for (name, cites, why) in &failures {
            println!("\n---- {name} ----\n  cites: {cites}");
            for w in why {
                println!("  {w}");
            }
        }
    }
    let result = if failed == 0 && uncovered_total == 0 {
        "ok"
    } else {
        "FAILED"
    };
    println!(
        "\ntest result: {result}. {passed} passed; {failed} failed; finished in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    if coverage && uncovered_total > 0 {
        println!(
            "{uncovered_total} rule{} or row{} not exercised",
            plural(uncovered_total),
            plural(uncovered_total)
        );
    }
    if failed == 0 && uncovered_total == 0 {
        Exit::Ok
    } else {
        Exit::Failure
    }
}

/// Every `.haven` file named, or under a directory named, in a stable order.
fn haven_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Exit> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Exit> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            eprintln!("error: cannot read `{}`: {e}", dir.display());
            Exit::Io
        })?;
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.extension().is_some_and(|e| e == "haven") {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn fmt(paths: &[PathBuf], check: bool) -> Exit {
    let files = match haven_files(paths) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let mut failed = false;
    let mut changed = 0usize;
    for file in &files {
        let text = match read_policy(file) {
            Ok(Ok(t)) => t,
            Ok(Err(not_utf8)) => {
                print_diagnostics(&not_utf8.sources, &not_utf8.diagnostics, ErrorFormat::Human);
                failed = true;
                continue;
            }
            Err(e) => return e,
        };
        let mut sources = Sources::new();
        let id = sources.add(file.display().to_string(), "", text.as_str());
        let (ast, diags) = haven_core::syntax::parse(id, &text, &Limits::default());
        let ast = match ast {
            Some(ast) if !diags.iter().any(Diagnostic::is_error) => ast,
            _ => {
                print_diagnostics(&sources, &diags, ErrorFormat::Human);
                eprintln!("{}: not formatted (see the errors above)", file.display());
                failed = true;
                continue;
            }
        };
        let formatted = haven_core::syntax::format(&ast, &text);
        if formatted == text {
            continue;
        }
        changed += 1;
        if check {
            println!("{}", file.display());
        } else if let Err(e) = std::fs::write(file, formatted) {
            eprintln!("error: cannot write `{}`: {e}", file.display());
            return Exit::Io;
        } else {
            eprintln!("formatted {}", file.display());
        }
    }
    if check && changed > 0 {
        eprintln!(
            "{changed} file{} would be reformatted (run `haven fmt` without --check)",
            plural(changed)
        );
    }
    if failed || (check && changed > 0) {
        Exit::Failure
    } else {
        Exit::Ok
    }
}

fn render(path: &Path, format: RenderFormat, output: Option<&Path>) -> Exit {
    let (policy, _) = match load(path) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let text = match format {
        RenderFormat::Md => haven_core::render::markdown(&policy),
        RenderFormat::Html => haven_core::render::html(&policy),
    };
    match output {
        Some(out) => match std::fs::write(out, text) {
            Ok(()) => Exit::Ok,
            Err(e) => {
                eprintln!("error: cannot write `{}`: {e}", out.display());
                Exit::Io
            }
        },
        None => {
            print!("{text}");
            Exit::Ok
        }
    }
}
