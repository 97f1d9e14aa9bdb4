//! `docs/vocabulary.md` is generated from `policies/std/` (every token with its label and
//! parents, every fact with its type and question, the fact relations, and the comments an
//! author wrote beside each), and this test fails when it is stale.
//! Regenerate with `HAVEN_UPDATE_DOCS=1 cargo test -p haven-tests --test vocabulary_doc`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_core::syntax::ast::{self, DeclKind, FactType, Item, TokenKind};
use haven_core::{Limits, SourceId, Sources};
use haven_tests::repo;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// `|` and newlines would break a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn fact_type(ty: &FactType) -> String {
    match ty {
        FactType::Bool => "yes/no".to_owned(),
        FactType::Int { min, max } => format!("whole number {min}..{max}"),
        FactType::Role => "a role (or `none`)".to_owned(),
        FactType::Enum(values) => format!(
            "one of {}",
            values
                .iter()
                .map(|v| format!("`{}`", v.node))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn heading(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Role => "Roles",
        TokenKind::Agency => "Agencies",
        TokenKind::Device => "Device kinds",
        TokenKind::Owner => "Device owners",
        TokenKind::Location => "Locations",
        TokenKind::Time => "Times",
        TokenKind::Activity => "Activities (permission requests)",
        TokenKind::Category => "Incident categories",
        TokenKind::Action => "Actions",
        TokenKind::Deadline => "Deadlines (strictest first)",
    }
}

/// The comment of a declaration: on its own line (trailing), or the contiguous comment lines
/// directly above it, when no blank line separates them.
struct Comments<'a> {
    text: &'a str,
    by_line: BTreeMap<usize, String>,
}

impl<'a> Comments<'a> {
    fn new(text: &'a str, file: &ast::File) -> Self {
        let by_line = file
            .comments
            .iter()
            .map(|c| {
                let line = text[..c.span.start as usize].matches('\n').count();
                let body = c.node.trim_start_matches('/').trim().to_owned();
                (line, body)
            })
            .collect();
        Comments { text, by_line }
    }

    /// The item's own note, and a heading note: a comment block above the first of a run
    /// of declarations (no blank line or comment after it) speaks for the whole run.
    fn of(&self, span: haven_core::Span) -> (String, Option<String>) {
        let first = self.text[..span.start as usize].matches('\n').count();
        let last = self.text[..span.end as usize].matches('\n').count();
        let mut above = Vec::new();
        let mut line = first;
        while line > 0 {
            line -= 1;
            let Some(c) = self.by_line.get(&line) else {
                break;
            };
            above.push(c.clone());
        }
        above.reverse();
        let trailing: Vec<String> = (first..=last)
            .filter_map(|l| self.by_line.get(&l).cloned())
            .collect();
        let next = self.text.lines().nth(last + 1).unwrap_or("").trim();
        let starts_run = !next.is_empty() && !next.starts_with("//");
        if starts_run && !above.is_empty() {
            (trailing.join(" "), Some(above.join(" ")))
        } else {
            above.extend(trailing);
            (above.join(" "), None)
        }
    }
}

fn generate() -> String {
    let path = repo().join("policies/std/vocabulary.haven");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sources = Sources::new();
    let id: SourceId = sources.add(
        "policies/std/vocabulary.haven",
        "std/vocabulary",
        text.as_str(),
    );
    let (file, diags) = haven_core::syntax::parse(id, &text, &Limits::default());
    assert!(
        diags.is_empty(),
        "policies/std/vocabulary.haven does not parse"
    );
    let file = file.unwrap();
    let comments = Comments::new(&text, &file);

    let mut tokens: BTreeMap<TokenKind, Vec<(String, String, String, String)>> = BTreeMap::new();
    let mut headings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut note = |span, section: &str| {
        let (own, heading) = comments.of(span);
        if let Some(h) = heading {
            headings.entry(section.to_owned()).or_default().push(h);
        }
        own
    };
    let mut facts = Vec::new();
    let mut person_facts = Vec::new();
    let mut relations = Vec::new();
    for item in &file.items {
        match item {
            Item::Decl(d) => match &d.kind {
                DeclKind::Token {
                    kind,
                    name,
                    parents,
                    label,
                    needs_target,
                } => tokens.entry(*kind).or_default().push((
                    name.node.clone(),
                    label.as_ref().map(|l| l.node.clone()).unwrap_or_default(),
                    parents
                        .iter()
                        .map(|p| format!("`{}`", p.node))
                        .collect::<Vec<_>>()
                        .join(", "),
                    {
                        let note = note(d.span, kind.keyword());
                        match (*needs_target, note.is_empty()) {
                            (false, _) => note,
                            (true, true) => "needs a target (`needs target`)".to_owned(),
                            (true, false) => format!("needs a target (`needs target`). {note}"),
                        }
                    },
                )),
                DeclKind::Fact {
                    person,
                    name,
                    ty,
                    ask,
                } => {
                    let section = if *person { "person_fact" } else { "fact" };
                    let row = (
                        name.node.clone(),
                        fact_type(&ty.node),
                        ask.as_ref().map(|a| a.node.clone()).unwrap_or_default(),
                        note(d.span, section),
                    );
                    if *person {
                        person_facts.push(row);
                    } else {
                        facts.push(row);
                    }
                }
            },
            Item::Relation(r) => {
                let lit = |l: &ast::FactLiteral| {
                    format!("{}`{}`", if l.negated { "not " } else { "" }, l.fact.node)
                };
                relations.push((
                    lit(&r.antecedent),
                    lit(&r.consequent),
                    note(r.span, "relation"),
                ));
            }
            _ => {}
        }
    }

    let mut out = String::new();
    let title = file
        .header
        .title
        .as_ref()
        .map_or("haven standard vocabulary", |t| t.node.as_str());
    let _ = writeln!(out, "# The haven vocabulary ({title})\n");
    let _ = writeln!(
        out,
        "Generated from [`policies/std/vocabulary.haven`](../policies/std/vocabulary.haven), the module every \
         policy `use`s. Do not edit by hand: change the module, then run\n\
         `HAVEN_UPDATE_DOCS=1 cargo test -p haven-tests --test vocabulary_doc` (the test fails while this file is stale).\n"
    );
    let _ = writeln!(
        out,
        "Tokens are contract words (DESIGN §4–5): they are extended, never renamed. A policy may \
         declare its own tokens and facts beside these.\n"
    );
    let _ = writeln!(out, "| kind | count |\n|---|---|");
    for kind in TokenKind::ALL {
        let n = tokens.get(&kind).map_or(0, Vec::len);
        let _ = writeln!(out, "| {} (`{}`) | {n} |", heading(kind), kind.keyword());
    }
    let _ = writeln!(out, "| Facts (`fact`) | {} |", facts.len());
    let _ = writeln!(
        out,
        "| Person facts (`person_fact`) | {} |",
        person_facts.len()
    );
    let _ = writeln!(
        out,
        "| Fact relations (`relation`) | {} |\n",
        relations.len()
    );

    for kind in TokenKind::ALL {
        let Some(rows) = tokens.get(&kind) else {
            continue;
        };
        let _ = writeln!(out, "## {}\n", heading(kind));
        for h in headings.get(kind.keyword()).into_iter().flatten() {
            let _ = writeln!(out, "{h}\n");
        }
        let with_parents = kind == TokenKind::Role || rows.iter().any(|r| !r.2.is_empty());
        if with_parents {
            let _ = writeln!(
                out,
                "| `{}` | label | is a | notes |\n|---|---|---|---|",
                kind.keyword()
            );
        } else {
            let _ = writeln!(
                out,
                "| `{}` | label | notes |\n|---|---|---|",
                kind.keyword()
            );
        }
        for (name, label, parents, notes) in rows {
            if with_parents {
                let _ = writeln!(
                    out,
                    "| `{name}` | {} | {parents} | {} |",
                    cell(label),
                    cell(notes)
                );
            } else {
                let _ = writeln!(out, "| `{name}` | {} | {} |", cell(label), cell(notes));
            }
        }
        out.push('\n');
    }
    for (heading, rows, path, section) in [
        ("Facts about the incident", &facts, "facts.NAME", "fact"),
        (
            "Facts about each person",
            &person_facts,
            "actor.NAME, subject.NAME, reporter.NAME",
            "person_fact",
        ),
    ] {
        let _ = writeln!(out, "## {heading}\n\nWritten in conditions as `{path}`.\n");
        for h in headings.get(section).into_iter().flatten() {
            let _ = writeln!(out, "{h}\n");
        }
        let _ = writeln!(
            out,
            "| fact | type | question asked while unknown | notes |\n|---|---|---|---|"
        );
        for (name, ty, ask, notes) in rows {
            let _ = writeln!(out, "| `{name}` | {ty} | {} | {} |", cell(ask), cell(notes));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "## Fact relations\n\nOne yes/no fact settles another: a question whose answer is implied is not asked.\n"
    );
    for h in headings.get("relation").into_iter().flatten() {
        let _ = writeln!(out, "{h}\n");
    }
    let _ = writeln!(out, "| when | then | source |\n|---|---|---|");
    for (a, b, notes) in &relations {
        let _ = writeln!(out, "| {a} | {b} | {} |", cell(notes));
    }
    out
}

#[test]
fn vocabulary_doc_is_generated_from_std_and_not_stale() {
    let fresh = generate();
    let path = repo().join("docs/vocabulary.md");
    if std::env::var_os("HAVEN_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "docs/vocabulary.md is stale: run `HAVEN_UPDATE_DOCS=1 cargo test -p haven-tests --test vocabulary_doc`"
    );
    // Spot checks, so a generator that writes nothing cannot pass.
    assert!(fresh.contains("| `sharing_nudes` |"));
    assert!(fresh.contains("| `dsl` | Designated safeguarding lead | `staff` |"));
    assert!(fresh.contains("| `age` | whole number 0..120 |"));
}
