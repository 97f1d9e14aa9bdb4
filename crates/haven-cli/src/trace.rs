//! `haven trace` (which duty sentences of a source document the policy accounts for) and
//! `haven draft` (a skeleton policy from a source document).

use crate::{print_diagnostics, read, read_policy, ErrorFormat, Exit};
use clap::ValueEnum;
use haven_core::syntax::ast::{File, Item};
use haven_core::{Diagnostic, Limits, Sources};
use haven_modules::policy_file;
use haven_trace::{Status, Trace, TracedSentence};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Output formats of `haven trace`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum TraceFormat {
    /// the summary and the unaccounted sentences
    Text,
    /// every sentence with its status
    Json,
    /// a self-contained page: each sentence beside the rules that encode it
    Html,
}

/// Parse a policy or vocabulary text; errors are printed. `None` when it does not parse.
fn parse_file(name: &str, text: &str) -> Option<File> {
    let mut sources = Sources::new();
    let id = sources.add(name.to_owned(), "", text);
    let (file, diags) = haven_core::syntax::parse(id, text, &Limits::default());
    match file {
        Some(f) if !diags.iter().any(Diagnostic::is_error) => Some(f),
        _ => {
            print_diagnostics(&sources, &diags, ErrorFormat::Human);
            None
        }
    }
}

/// The policy's root file: its path, text and tree.
fn load_root(path: &Path) -> Result<(PathBuf, String, File), Exit> {
    let file = policy_file(path);
    let text = match read_policy(&file)? {
        Ok(t) => t,
        Err(err) => {
            print_diagnostics(&err.sources, &err.diagnostics, ErrorFormat::Human);
            return Err(Exit::Failure);
        }
    };
    let ast = parse_file(&file.display().to_string(), &text).ok_or(Exit::Failure)?;
    Ok((file, text, ast))
}

pub(crate) fn trace(
    policy: &Path,
    source: &Path,
    format: TraceFormat,
    deny_unaccounted: bool,
) -> Exit {
    let (file, policy_text, ast) = match load_root(policy) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let source_text = match read(source) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let accounts = haven_trace::accounts(&ast);
    let t = haven_trace::trace(&source_text, &accounts);
    let out = match format {
        TraceFormat::Text => text_report(&file, source, &t),
        TraceFormat::Json => {
            let v = serde_json::json!({
                "policy": file.display().to_string(),
                "source": source.display().to_string(),
                "summary": t.summary,
                "sentences": t.sentences,
                "unmatched_quotes": t.unmatched_quotes,
            });
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        TraceFormat::Html => html_report(&file, source, &t, &ast, &policy_text),
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    if deny_unaccounted && t.summary.unaccounted > 0 {
        eprintln!(
            "error: {} sentence{} of `{}` unaccounted for (cite them in a rule or write `declines \"§…\": \"…\" because \"…\"`)",
            t.summary.unaccounted,
            crate::plural(t.summary.unaccounted),
            source.display()
        );
        Exit::Failure
    } else {
        Exit::Ok
    }
}

fn kind_word(s: &TracedSentence) -> String {
    match &s.found {
        Some(f) => format!(
            "{}, {}",
            serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            f.modality.keyword()
        ),
        None => String::new(),
    }
}

fn text_report(policy: &Path, source: &Path, t: &Trace) -> String {
    let s = &t.summary;
    let mut out = format!(
        "trace {} against {}\nfound {} · cited {} · declined {} · unaccounted {}\n",
        policy.display(),
        source.display(),
        s.found,
        s.cited,
        s.declined,
        s.unaccounted
    );
    if s.unaccounted > 0 {
        out.push_str("\nunaccounted:\n");
        for u in t.unaccounted() {
            let section = if u.section.is_empty() {
                String::new()
            } else {
                format!(" §{}", u.section)
            };
            let _ = writeln!(
                out,
                "  line {}{section} [{}]: {}",
                u.line,
                kind_word(u),
                u.text
            );
        }
    }
    if !t.unmatched_quotes.is_empty() {
        let _ = writeln!(
            out,
            "\nquotes that match no sentence of the source ({}):",
            t.unmatched_quotes.len()
        );
        for q in &t.unmatched_quotes {
            let _ = writeln!(out, "  {} {}: \"{}\"", q.by, q.section, q.quote);
        }
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The source text of what `by` names (`rule x`, `table t/3`, `criteria c.c1`, `person "N"`).
fn encoding_text<'a>(by: &str, ast: &File, text: &'a str) -> Option<&'a str> {
    let (kind, name) = by.split_once(' ')?;
    let span = ast.items.iter().find_map(|item| match (kind, item) {
        ("rule", Item::Rule(r)) if r.name.node == name => Some(r.span),
        ("table", Item::Table(t)) => {
            let (table, row) = name.split_once('/').unwrap_or((name, ""));
            if t.name.node != table {
                return None;
            }
            match row.parse::<usize>() {
                Ok(n) => t.rows.get(n.checked_sub(1)?).map(|r| r.span),
                Err(_) => Some(t.span),
            }
        }
        ("criteria", Item::Criteria(c)) => {
            let (list, key) = name.split_once('.').unwrap_or((name, ""));
            if c.name.node != list {
                return None;
            }
            let item_span = c.items.iter().find(|i| i.name.node == key).map(|i| {
                let end = i.cites.as_ref().map_or(i.expr.span.end, |c| c.span.end);
                haven_core::Span { end, ..i.name.span }
            });
            Some(item_span.unwrap_or(c.span))
        }
        ("person", Item::Person(p)) if format!("\"{}\"", p.name.node) == name => Some(p.span),
        _ => None,
    })?;
    text.get(span.start as usize..span.end as usize)
}

fn html_report(policy: &Path, source: &Path, t: &Trace, ast: &File, policy_text: &str) -> String {
    let s = &t.summary;
    let title = format!(
        "haven trace: {} against {}",
        policy.display(),
        source.display()
    );
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body{{font-family:system-ui,sans-serif;margin:2rem;line-height:1.45;color:#1b1b1b}}\n\
         table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}}\n\
         th{{background:#f0f0f0}}td.line{{color:#666;white-space:nowrap}}pre{{margin:.2rem 0;white-space:pre-wrap;font-size:.85rem;background:#f7f7f7;padding:.3rem}}\n\
         tr.cited td.status{{background:#d8f0d8}}tr.declined td.status{{background:#fff0c2}}tr.unaccounted td.status{{background:#f8d0d0}}\n\
         .section{{color:#555;font-size:.85rem}}.summary span{{padding:.1rem .5rem;margin-right:.5rem}}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let _ = writeln!(
        out,
        "<p class=\"summary\"><span>found {}</span><span style=\"background:#d8f0d8\">cited {}</span><span style=\"background:#fff0c2\">declined {}</span><span style=\"background:#f8d0d0\">unaccounted {}</span></p>",
        s.found, s.cited, s.declined, s.unaccounted
    );
    out.push_str("<table>\n<tr><th>line</th><th>source sentence</th><th>status</th><th>encoded by</th></tr>\n");
    for sentence in t.sentences.iter().filter(|x| x.found.is_some()) {
        let status = match sentence.status {
            Status::Cited => "cited",
            Status::Declined => "declined",
            Status::Unaccounted => "unaccounted",
        };
        let mut encoded = String::new();
        for by in &sentence.cited_by {
            let _ = write!(encoded, "<div><b>{}</b>", escape(by));
            if let Some(src) = encoding_text(by, ast, policy_text) {
                let _ = write!(encoded, "<pre>{}</pre>", escape(src));
            }
            encoded.push_str("</div>");
        }
        if let Some(reason) = &sentence.declined_because {
            let _ = write!(encoded, "<div>declined: {}</div>", escape(reason));
        }
        let _ = writeln!(
            out,
            "<tr class=\"{status}\"><td class=\"line\">{}</td><td><div class=\"section\">§{}</div>{}</td><td class=\"status\">{status}<br><small>{}</small></td><td>{encoded}</td></tr>",
            sentence.line,
            escape(&sentence.section),
            escape(&sentence.text),
            escape(&kind_word(sentence)),
        );
    }
    out.push_str("</table>\n");
    if !t.unmatched_quotes.is_empty() {
        out.push_str("<h2>Quotes that match no sentence of the source</h2>\n<ul>\n");
        for q in &t.unmatched_quotes {
            let _ = writeln!(
                out,
                "<li><b>{}</b> {}: “{}”</li>",
                escape(&q.by),
                escape(&q.section),
                escape(&q.quote)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

use crate::new::valid_id;

pub(crate) fn draft(
    source: &Path,
    id: &str,
    out_dir: Option<&Path>,
    compare: Option<&Path>,
) -> Exit {
    if !valid_id(id) {
        eprintln!(
            "error: `{id}` is not a policy id (letters, digits and `_`, starting with a letter)"
        );
        return Exit::Usage;
    }
    let source_text = match read(source) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(vocab_text) = haven_modules::Bundled::text("std/vocabulary") else {
        eprintln!("error: the bundled `std/vocabulary` is missing from this build");
        return Exit::Failure;
    };
    let Some(vocab) = parse_file("std/vocabulary.haven", vocab_text) else {
        return Exit::Failure;
    };
    let source_name = source.file_name().map_or_else(
        || source.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let d = haven_trace::draft(&source_text, &source_name, id, &vocab);
    if let Some(hand) = compare {
        let (_, _, hand_ast) = match load_root(hand) {
            Ok(x) => x,
            Err(e) => return e,
        };
        let a = haven_trace::agreement(&d, &hand_ast);
        let pct = |n: usize, of: usize| {
            if of == 0 {
                0.0
            } else {
                100.0 * n as f64 / of as f64
            }
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(
            stdout,
            "draft against {}: {} drafted sentences the hand encoding cites\n  modality agrees: {}/{} ({:.0}%)\n  action agrees:   {}/{} ({:.0}%) of those whose citing rules carry an action",
            hand.display(),
            a.cited,
            a.modality_agrees,
            a.cited,
            pct(a.modality_agrees, a.cited),
            a.action_agrees,
            a.with_action,
            pct(a.action_agrees, a.with_action)
        );
        for d in &a.disagreements {
            let hand_m: Vec<&str> = d.hand.0.iter().map(|m| m.keyword()).collect();
            let _ = writeln!(
                stdout,
                "  line {}: draft {} {} / hand {} {}: {}",
                d.line,
                d.draft.0.keyword(),
                d.draft.1.as_deref().unwrap_or("-"),
                hand_m.join("|"),
                d.hand.1.join("|"),
                d.quote
            );
        }
        if out_dir.is_none() {
            return Exit::Ok;
        }
    }
    let dir = out_dir.map_or_else(|| PathBuf::from(id), Path::to_path_buf);
    let policy = dir.join("policy.haven");
    if policy.exists() {
        eprintln!(
            "error: `{}` exists: draft into a new directory (--out)",
            policy.display()
        );
        return Exit::Failure;
    }
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&policy, &d.policy))
        .and_then(|()| std::fs::write(dir.join("scenarios.toml"), &d.scenarios))
        .and_then(|()| std::fs::write(dir.join("NOTES.md"), &d.notes));
    if let Err(e) = written {
        eprintln!("error: cannot write into `{}`: {e}", dir.display());
        return Exit::Io;
    }
    eprintln!(
        "drafted {} rules into {} (complete each `when todo`; `haven check` lists them)",
        d.rules.len(),
        policy.display()
    );
    Exit::Ok
}
