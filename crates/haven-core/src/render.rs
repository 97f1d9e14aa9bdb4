//! The readable policy document: what `haven render` prints. Rules are grouped under the
//! section they cite, in document order; tables stay tables; every rule shows its citation.

use crate::source::{SourceId, Sources};
use crate::syntax::ast::{self, Item, Meta, Outcome, TargetMode, TextKey};
use crate::Policy;
use std::fmt::Write as _;

/// A block of the rendered document, before it is written as Markdown or HTML.
enum Block {
    Heading(u8, String),
    Para(String),
    List(Vec<String>),
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// Render a compiled policy's own file as Markdown.
pub fn markdown(policy: &Policy) -> String {
    let mut out = String::new();
    for block in blocks(policy.sources(), policy) {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "{} {}\n", "#".repeat(usize::from(level)), text);
            }
            Block::Para(text) => {
                let _ = writeln!(out, "{text}\n");
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {item}");
                }
                out.push('\n');
            }
            Block::Table { header, rows } => {
                let cell = |s: &str| s.replace('|', "\\|");
                let _ = writeln!(
                    out,
                    "| {} |",
                    header
                        .iter()
                        .map(|h| cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
                for row in rows {
                    let _ = writeln!(
                        out,
                        "| {} |",
                        row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                    );
                }
                out.push('\n');
            }
        }
    }
    out.trim_end().to_owned() + "\n"
}

/// Render a compiled policy's own file as a self-contained HTML page.
pub fn html(policy: &Policy) -> String {
    let title = escape(policy.title().unwrap_or(policy.id()));
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\nbody{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}}\ntable{{border-collapse:collapse;margin:1rem 0}}th,td{{border:1px solid #bbb;padding:.25rem .5rem;vertical-align:top}}th{{background:#f0f0f0}}\ncode{{background:#f5f5f5;padding:0 .2rem}}blockquote{{margin:0;color:#444}}\n</style>\n</head>\n<body>\n"
    );
    for block in blocks(policy.sources(), policy) {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", inline(&text));
            }
            Block::Para(text) => {
                let _ = writeln!(out, "<p>{}</p>", inline(&text));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", inline(&item));
                }
                out.push_str("</ul>\n");
            }
            Block::Table { header, rows } => {
                out.push_str("<table>\n<tr>");
                for h in header {
                    let _ = write!(out, "<th>{}</th>", inline(&h));
                }
                out.push_str("</tr>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for c in row {
                        let _ = write!(out, "<td>{}</td>", inline(&c));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escape, then turn the Markdown subset used by `blocks` (`code`, **bold**) into HTML.
fn inline(s: &str) -> String {
    let escaped = escape(s);
    let mut out = String::with_capacity(escaped.len());
    let mut in_code = false;
    let mut in_bold = false;
    let mut rest = escaped.as_str();
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("**") && !in_code {
            out.push_str(if in_bold { "</strong>" } else { "<strong>" });
            in_bold = !in_bold;
            rest = rest.get(2..).unwrap_or("");
            continue;
        }
        if c == '`' {
            out.push_str(if in_code { "</code>" } else { "<code>" });
            in_code = !in_code;
        } else {
            out.push(c);
        }
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    out
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cite_text(c: &ast::Cite) -> String {
    match &c.quote {
        Some(q) => format!("{} — “{}”", c.section.node, q.node),
        None => c.section.node.clone(),
    }
}

fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Action(a) => {
            let mut s = format!(
                "**{}** {}",
                a.modality.node.keyword().replace('_', " "),
                a.action.node.replace('_', " ")
            );
            if !a.targets.is_empty() {
                let sep = if a.target_mode == TargetMode::Any {
                    " or "
                } else {
                    " and "
                };
                s.push(' ');
                s.push_str(
                    &a.targets
                        .iter()
                        .map(|t| format!("`{}`", t.node))
                        .collect::<Vec<_>>()
                        .join(sep),
                );
            }
            if let Some(d) = &a.deadline {
                let _ = write!(s, ", {}", d.node.replace('_', " "));
            }
            if let Some(b) = &a.by {
                let _ = write!(s, " (by `{}`)", b.node);
            }
            s
        }
        Outcome::Permission(p) => {
            let mut s = format!(
                "permission: **{}**",
                p.verdict.node.keyword().replace('_', " ")
            );
            if !p.conditions.is_empty() {
                let conds: Vec<String> = p
                    .conditions
                    .iter()
                    .map(|c| format!("{} `{}`", c.kind.keyword(), c.value.node))
                    .collect();
                let _ = write!(s, " ({})", conds.join(", "));
            }
            s
        }
        Outcome::Breach(_) => "a **breach** of the policy".to_owned(),
        Outcome::Note(n) => format!("note: {}", n.node),
    }
}

fn blocks(sources: &Sources, policy: &Policy) -> Vec<Block> {
    let Some(root) = sources.get(SourceId(0)) else {
        return Vec::new();
    };
    let file = policy.root_syntax();
    let slice = |span: crate::Span| squash(root.text.get(span.range()).unwrap_or(""));
    let mut out = Vec::new();
    let title = file
        .header
        .title
        .as_ref()
        .map_or(file.header.id.node.clone(), |t| t.node.clone());
    out.push(Block::Heading(1, title));
    let mut meta = vec![format!("Policy id: `{}`", file.header.id.node)];
    for m in &file.header.meta {
        match m {
            Meta::Text(TextKey::Version, t) => meta.push(format!("Version: {}", t.node)),
            Meta::Text(TextKey::Layer, t) => meta.push(format!("Layer: {}", t.node)),
            Meta::Text(TextKey::ApprovedBy, t) => meta.push(format!("Approved by: {}", t.node)),
            Meta::Text(TextKey::Source, t) => meta.push(format!("Source document: `{}`", t.node)),
            Meta::Date(ast::DateKey::Adopted, d) => meta.push(format!("Adopted: {}", d.node)),
            Meta::Date(ast::DateKey::ReviewBy, d) => meta.push(format!("Review by: {}", d.node)),
            Meta::Extends(n) => meta.push(format!(
                "Extends: `{}` (its rules apply where this policy is silent)",
                n.node
            )),
            Meta::Use(n) => meta.push(format!("Uses: `{}`", n.node)),
            Meta::Text(TextKey::CiteAs, _) => {}
        }
    }
    out.push(Block::List(meta));
    out.push(Block::Para(format!(
        "Generated by `haven render` from the policy file; {} rules and rows in force including any baseline.",
        policy.rule_ids().count()
    )));

    let people: Vec<Vec<String>> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Person(p) => Some(vec![
                p.name.node.clone(),
                p.roles
                    .iter()
                    .map(|r| format!("`{}`", r.node))
                    .collect::<Vec<_>>()
                    .join(", "),
                p.cites.as_ref().map(cite_text).unwrap_or_default(),
            ]),
            _ => None,
        })
        .collect();
    if !people.is_empty() {
        out.push(Block::Heading(2, "Named people".to_owned()));
        out.push(Block::Table {
            header: vec!["Name".to_owned(), "Roles".to_owned(), "Source".to_owned()],
            rows: people,
        });
    }

    let caveats: Vec<String> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Caveat(c) => Some(match c.cites.first() {
                Some(cite) => format!("{} ({})", c.text.node, cite_text(cite)),
                None => c.text.node.clone(),
            }),
            _ => None,
        })
        .collect();
    if !caveats.is_empty() {
        out.push(Block::Heading(
            2,
            "Known problems in the source document".to_owned(),
        ));
        out.push(Block::List(caveats));
    }

    let declined: Vec<String> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Declines(d) => Some(format!(
                "{}: \"{}\" (because {})",
                d.section.node, d.quote.node, d.reason.node
            )),
            _ => None,
        })
        .collect();
    if !declined.is_empty() {
        out.push(Block::Heading(2, "Sentences not encoded".to_owned()));
        out.push(Block::List(declined));
    }

    // Rules and tables, grouped by the section they cite, in order of first appearance.
    let mut sections: Vec<(String, Vec<&Item>)> = Vec::new();
    for item in &file.items {
        let section = match item {
            Item::Rule(r) => r.cites.first().map(|c| c.section.node.clone()),
            Item::Table(t) => t.cites.first().map(|c| c.section.node.clone()),
            Item::Criteria(c) => Some(
                c.cites
                    .as_ref()
                    .map_or("Criteria".to_owned(), |c| c.section.node.clone()),
            ),
            _ => None,
        };
        let Some(section) = section else { continue };
        match sections.iter_mut().find(|(s, _)| *s == section) {
            Some((_, items)) => items.push(item),
            None => sections.push((section, vec![item])),
        }
    }
    if !sections.is_empty() {
        out.push(Block::Heading(2, "Rules".to_owned()));
    }
    for (section, items) in sections {
        out.push(Block::Heading(3, section));
        for item in items {
            match item {
                Item::Rule(r) => {
                    let mut head = format!("**{}**", r.name.node);
                    if r.statutory {
                        head.push_str(" (statutory: cannot be weakened)");
                    }
                    for rel in &r.relations {
                        let verb = match rel.kind {
                            ast::RelationKind::Overrides => "exception to",
                            ast::RelationKind::Replaces => "replaces",
                        };
                        let _ = write!(head, " — {verb} `{}`", rel.target.node);
                    }
                    out.push(Block::Para(head));
                    let mut lines = Vec::new();
                    for c in &r.cites {
                        lines.push(format!("Cites: {}", cite_text(c)));
                    }
                    lines.push(format!("When: `{}`", slice(r.when.span)));
                    for o in &r.outcomes {
                        lines.push(format!("Then: {}", outcome_text(o)));
                    }
                    out.push(Block::List(lines));
                }
                Item::Criteria(c) => {
                    let q = match c.quantifier.node {
                        ast::Quantifier::Any => "any of",
                        ast::Quantifier::All => "all of",
                    };
                    let title = c
                        .title
                        .as_ref()
                        .map_or(c.name.node.clone(), |t| t.node.clone());
                    out.push(Block::Para(format!("**{title}** (`{}`): {q}", c.name.node)));
                    out.push(Block::List(
                        c.items
                            .iter()
                            .map(|i| {
                                let mut s = format!("`{}`: `{}`", i.name.node, slice(i.expr.span));
                                if let Some(cite) = &i.cites {
                                    let _ = write!(s, " — {}", cite_text(cite));
                                }
                                s
                            })
                            .collect(),
                    ));
                }
                Item::Table(t) => {
                    let title = t
                        .title
                        .as_ref()
                        .map_or(t.name.node.clone(), |x| x.node.clone());
                    out.push(Block::Para(format!(
                        "**{title}** (`{}`, hit policy: {})",
                        t.name.node,
                        t.hit.node.keyword()
                    )));
                    let mut lines: Vec<String> = t
                        .cites
                        .iter()
                        .map(|c| format!("Cites: {}", cite_text(c)))
                        .collect();
                    if let Some(w) = &t.when {
                        lines.push(format!("Applies when: `{}`", slice(w.span)));
                    }
                    for col in &t.columns {
                        lines.push(format!(
                            "Column `{}`: {}",
                            col.key.node,
                            col.outcomes
                                .iter()
                                .map(outcome_text)
                                .collect::<Vec<_>>()
                                .join("; ")
                        ));
                    }
                    out.push(Block::List(lines));
                    let mut header = vec!["Row".to_owned(), "When".to_owned()];
                    header.extend(t.columns.iter().map(|c| c.key.node.clone()));
                    let rows = t
                        .rows
                        .iter()
                        .map(|row| {
                            let mut cells = vec![
                                row.label.node.clone(),
                                format!("`{}`", slice(row.when.span)),
                            ];
                            cells.extend(row.cells.iter().map(|c| match c.node.as_deref() {
                                None | Some("-") => String::new(),
                                Some(_) => "✓".to_owned(),
                            }));
                            cells
                        })
                        .collect();
                    out.push(Block::Table { header, rows });
                }
                _ => {}
            }
        }
    }
    out
}
