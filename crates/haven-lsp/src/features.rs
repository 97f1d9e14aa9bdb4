//! The answers: diagnostics, hover, definitions, completion, symbols, formatting, fixes.

use crate::analysis::{Analysis, Symbol, SymbolKind};
use crate::lines::LineIndex;
use haven_core::syntax::ast::{self, FactType, Item, TokenKind};
use haven_core::{Limits, Severity, Span};
use lsp_types as lsp;
use std::collections::HashMap;

/// Every diagnostic of the document. One found in a module it loads is shown at the top
/// of the document, naming the file.
pub(crate) fn diagnostics(a: &Analysis) -> Vec<lsp::Diagnostic> {
    let index = LineIndex::new(&a.text);
    a.report
        .diagnostics
        .iter()
        .map(|d| {
            let span = d.span();
            let in_root = span.is_some_and(|s| s.source == a.root_id);
            let range = match span {
                Some(s) if in_root => index.range(s.start as usize, s.end as usize),
                _ => lsp::Range::default(),
            };
            let mut message = d.message.clone();
            if !in_root {
                if let Some(file) = span.and_then(|s| a.report.sources.get(s.source)) {
                    message = format!("in `{}`: {message}", file.name);
                }
            }
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let related = d
                .labels
                .iter()
                .filter(|l| !l.primary && !l.message.is_empty())
                .filter_map(|l| {
                    Some(lsp::DiagnosticRelatedInformation {
                        location: location(a, l.span)?,
                        message: l.message.clone(),
                    })
                })
                .collect::<Vec<_>>();
            lsp::Diagnostic {
                range,
                severity: Some(match d.severity {
                    Severity::Error => lsp::DiagnosticSeverity::ERROR,
                    Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                }),
                code: Some(lsp::NumberOrString::String(d.code.to_owned())),
                source: Some("haven".to_owned()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..lsp::Diagnostic::default()
            }
        })
        .collect()
}

/// The location of a span in whichever file it is in.
fn location(a: &Analysis, span: Span) -> Option<lsp::Location> {
    let file = a.file_of(span.source)?;
    let uri = file.uri.clone()?;
    let index = LineIndex::new(&file.text);
    Some(lsp::Location::new(
        uri,
        index.range(span.start as usize, span.end as usize),
    ))
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '/'
}

/// The name under the cursor, its byte range, and the path segment before it (`facts` in
/// `facts.adult_involved`).
fn word_at(text: &str, offset: usize) -> Option<(String, usize, usize, Option<String>)> {
    let offset = offset.min(text.len());
    let before = text.get(..offset)?;
    let after = text.get(offset..)?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = offset
        + after
            .char_indices()
            .find(|(_, c)| !is_word_char(*c))
            .map_or(after.len(), |(i, _)| i);
    let word = text.get(start..end)?;
    if word.is_empty() {
        return None;
    }
    let base = text.get(..start).and_then(|b| {
        let b = b.strip_suffix('.')?;
        let seg_start = b
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word_char(*c))
            .last()
            .map(|(i, _)| i)?;
        b.get(seg_start..).map(str::to_owned)
    });
    Some((word.to_owned(), start, end, base))
}

/// The person named in a string literal around the cursor, if any.
fn person_in_string<'a>(a: &'a Analysis, text: &str, offset: usize) -> Option<&'a Symbol> {
    let line_start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text
        .get(offset..)?
        .find('\n')
        .map_or(text.len(), |i| offset + i);
    let line = text.get(line_start..line_end)?;
    a.of(|k| *k == SymbolKind::Person).find(|p| {
        line.match_indices(p.name.as_str()).any(|(i, m)| {
            let start = line_start + i;
            (start..=start + m.len()).contains(&offset)
        })
    })
}

/// The symbols the cursor names, most specific first.
fn symbols_at(a: &Analysis, offset: usize) -> Vec<&Symbol> {
    if let Some(person) = person_in_string(a, &a.text, offset) {
        return vec![person];
    }
    let Some((word, _, _, base)) = word_at(&a.text, offset) else {
        return Vec::new();
    };
    let mut found: Vec<&Symbol> = a.lookup(&word).collect();
    match base.as_deref() {
        Some("facts") => found.retain(|s| matches!(s.kind, SymbolKind::Fact { person: false, .. })),
        Some("actor" | "subject" | "reporter") => {
            found.retain(|s| matches!(s.kind, SymbolKind::Fact { person: true, .. }));
        }
        _ => {}
    }
    found
}

pub(crate) fn hover(a: &Analysis, offset: usize) -> Option<lsp::Hover> {
    let found = symbols_at(a, offset);
    if found.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    for s in &found {
        let mut doc = s.doc.clone();
        if let SymbolKind::Token(TokenKind::Role) = s.kind {
            let holders: Vec<&str> = a
                .of(|k| *k == SymbolKind::Person)
                .filter(|p| p.roles.contains(&s.name))
                .map(|p| p.name.as_str())
                .collect();
            if !holders.is_empty() {
                doc.push_str(&format!("\n\nheld by {}", holders.join(", ")));
            }
        }
        parts.push(doc);
    }
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: parts.join("\n\n---\n\n"),
        }),
        range: None,
    })
}

/// Where the names under the cursor are declared. A role also leads to the people who
/// hold it.
pub(crate) fn definition(a: &Analysis, offset: usize) -> Vec<lsp::Location> {
    let found = symbols_at(a, offset);
    let mut out: Vec<lsp::Location> = found
        .iter()
        .filter_map(|s| location_of(a, s))
        .collect::<Vec<_>>();
    if let Some(role) = found
        .iter()
        .find(|s| s.kind == SymbolKind::Token(TokenKind::Role))
    {
        out.extend(
            a.of(|k| *k == SymbolKind::Person)
                .filter(|p| p.roles.contains(&role.name))
                .filter_map(|p| location_of(a, p)),
        );
    }
    out
}

fn location_of(a: &Analysis, s: &Symbol) -> Option<lsp::Location> {
    let file = a.files.get(s.file)?;
    let uri = file.uri.clone()?;
    let index = LineIndex::new(&file.text);
    let range = if s.kind == SymbolKind::Module {
        lsp::Range::default()
    } else {
        index.range(s.name_span.start as usize, s.name_span.end as usize)
    };
    Some(lsp::Location::new(uri, range))
}

const KEYWORDS: &[&str] = &[
    "rule",
    "statutory",
    "default",
    "on breach",
    "table",
    "criteria",
    "person",
    "caveat",
    "declines",
    "relation",
    "implies",
    "because",
    "cites",
    "when",
    "must",
    "must_not",
    "should",
    "should_not",
    "may",
    "permission",
    "breach",
    "note",
    "overrides",
    "replaces",
    "due",
    "by",
    "todo",
    "and",
    "or",
    "not",
    "is",
    "in",
];

const MODALITIES: &[&str] = &["must", "must_not", "should", "should_not", "may"];

fn item(label: &str, kind: lsp::CompletionItemKind, detail: &str) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then(|| detail.to_owned()),
        ..lsp::CompletionItem::default()
    }
}

fn symbol_item(s: &Symbol) -> lsp::CompletionItem {
    let kind = match &s.kind {
        SymbolKind::Token(TokenKind::Action) => lsp::CompletionItemKind::FUNCTION,
        SymbolKind::Token(_) => lsp::CompletionItemKind::ENUM_MEMBER,
        SymbolKind::Fact { .. } => lsp::CompletionItemKind::FIELD,
        SymbolKind::Person => lsp::CompletionItemKind::VALUE,
        SymbolKind::Criteria => lsp::CompletionItemKind::CONSTANT,
        SymbolKind::Rule | SymbolKind::Table => lsp::CompletionItemKind::REFERENCE,
        SymbolKind::Module => lsp::CompletionItemKind::MODULE,
    };
    lsp::CompletionItem {
        documentation: Some(lsp::Documentation::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: s.doc.clone(),
        })),
        ..item(&s.name, kind, &s.detail)
    }
}

/// Fact names ordered by type (yes/no first, then numbers, roles, choices), with the type
/// as the detail.
fn facts(a: &Analysis, person: bool) -> Vec<lsp::CompletionItem> {
    a.of(|k| matches!(k, SymbolKind::Fact { person: p, .. } if *p == person))
        .map(|s| {
            let rank = match &s.kind {
                SymbolKind::Fact { ty, .. } => match ty {
                    FactType::Bool => 0,
                    FactType::Int { .. } => 1,
                    FactType::Role => 2,
                    FactType::Enum(_) => 3,
                },
                _ => 4,
            };
            lsp::CompletionItem {
                sort_text: Some(format!("{rank}{}", s.name)),
                ..symbol_item(s)
            }
        })
        .collect()
}

fn tokens(a: &Analysis, kinds: &[TokenKind]) -> Vec<lsp::CompletionItem> {
    kinds
        .iter()
        .flat_map(|k| a.tokens(*k))
        .map(symbol_item)
        .collect()
}

/// The token kind a path compares against, or the fact it names.
enum Field<'a> {
    Token(TokenKind),
    Fact(&'a Symbol),
}

fn field_of<'a>(a: &'a Analysis, path: &str) -> Option<Field<'a>> {
    let segs: Vec<&str> = path.split('.').collect();
    match segs.as_slice() {
        ["category"] => Some(Field::Token(TokenKind::Category)),
        ["activity"] => Some(Field::Token(TokenKind::Activity)),
        ["location"] => Some(Field::Token(TokenKind::Location)),
        ["time"] => Some(Field::Token(TokenKind::Time)),
        ["device"] | ["device", "kind"] => Some(Field::Token(TokenKind::Device)),
        ["device", "owner"] => Some(Field::Token(TokenKind::Owner)),
        ["actor" | "subject" | "reporter" | "role"]
        | ["actor" | "subject" | "reporter", "role"] => Some(Field::Token(TokenKind::Role)),
        ["facts", name] | [name] => a
            .lookup(name)
            .find(|s| matches!(s.kind, SymbolKind::Fact { person: false, .. }))
            .map(Field::Fact),
        ["actor" | "subject" | "reporter", name] => a
            .lookup(name)
            .find(|s| matches!(s.kind, SymbolKind::Fact { person: true, .. }))
            .map(Field::Fact),
        _ => None,
    }
}

fn values_of(a: &Analysis, field: Field<'_>) -> Vec<lsp::CompletionItem> {
    match field {
        Field::Token(kind) => {
            let mut out = tokens(a, &[kind]);
            out.push(item("any", lsp::CompletionItemKind::KEYWORD, "any value"));
            out
        }
        Field::Fact(s) => match &s.kind {
            SymbolKind::Fact { ty, .. } => match ty {
                FactType::Bool => ["true", "false"]
                    .iter()
                    .map(|v| item(v, lsp::CompletionItemKind::VALUE, "bool"))
                    .collect(),
                FactType::Role => {
                    let mut out = tokens(a, &[TokenKind::Role]);
                    out.push(item("none", lsp::CompletionItemKind::VALUE, "no role"));
                    out
                }
                FactType::Enum(values) => values
                    .iter()
                    .map(|v| item(&v.node, lsp::CompletionItemKind::ENUM_MEMBER, &s.name))
                    .collect(),
                FactType::Int { .. } => Vec::new(),
            },
            _ => Vec::new(),
        },
    }
}

/// Completion at `offset`, from what the line says before the cursor.
pub(crate) fn completion(a: &Analysis, offset: usize) -> Vec<lsp::CompletionItem> {
    let text = &a.text;
    let offset = offset.min(text.len());
    let line_start = text
        .get(..offset)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line = text.get(line_start..offset).unwrap_or("");
    // The partial word being typed, with its dotted base.
    let partial_len = line
        .chars()
        .rev()
        .take_while(|c| is_word_char(*c) || *c == '.')
        .map(char::len_utf8)
        .sum::<usize>();
    let partial = line.get(line.len() - partial_len..).unwrap_or("");
    if let Some((base, _)) = partial.rsplit_once('.') {
        return match base {
            "facts" => facts(a, false),
            "actor" | "subject" | "reporter" => {
                let mut out = facts(a, true);
                out.push(item("role", lsp::CompletionItemKind::FIELD, "role"));
                out
            }
            "device" => vec![
                item("kind", lsp::CompletionItemKind::FIELD, "device kind"),
                item(
                    "owner",
                    lsp::CompletionItemKind::FIELD,
                    "personal or school",
                ),
            ],
            _ => Vec::new(),
        };
    }
    let before = line.get(..line.len() - partial_len).unwrap_or("");
    let words: Vec<&str> = before
        .split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | ',' | '(' | ')' | '{'))
        .filter(|w| !w.is_empty())
        .collect();
    let last = words.last().copied().unwrap_or("");
    let rules = || {
        a.of(|k| matches!(k, SymbolKind::Rule))
            .map(symbol_item)
            .collect::<Vec<_>>()
    };
    match last {
        "overrides" | "replaces" => return rules(),
        "use" | "extends" => {
            let mut names: Vec<String> = haven_modules::Bundled::policies()
                .into_iter()
                .map(str::to_owned)
                .collect();
            names.extend(a.of(|k| *k == SymbolKind::Module).map(|s| s.name.clone()));
            names.push("std/vocabulary".to_owned());
            names.sort();
            names.dedup();
            return names
                .iter()
                .map(|n| item(n, lsp::CompletionItemKind::MODULE, "module"))
                .collect();
        }
        "due" => return tokens(a, &[TokenKind::Deadline]),
        "by" | "holds" | "approval" => return tokens(a, &[TokenKind::Role]),
        "place" => return tokens(a, &[TokenKind::Location]),
        "consent" => return facts(a, false),
        "permission" => {
            return ["allowed", "allowed_if", "not_allowed"]
                .iter()
                .map(|v| item(v, lsp::CompletionItemKind::KEYWORD, "verdict"))
                .collect()
        }
        "hit" => {
            return ["collect", "first", "unique", "priority"]
                .iter()
                .map(|v| item(v, lsp::CompletionItemKind::KEYWORD, "hit policy"))
                .collect()
        }
        m if MODALITIES.contains(&m) => return tokens(a, &[TokenKind::Action]),
        _ => {}
    }
    // `holds a, b, |`: more roles.
    if words.contains(&"holds") && !words.contains(&"cites") {
        return tokens(a, &[TokenKind::Role]);
    }
    // `path is |`, `path is not |`, `path in [a, |`, `time` in `permission ... [time |`.
    if let Some(op_idx) = words.iter().rposition(|w| matches!(*w, "is" | "in")) {
        let tail_ok = words
            .get(op_idx + 1..)
            .is_some_and(|t| t.iter().all(|w| *w == "not") || before.trim_end().ends_with(','));
        if tail_ok {
            if let Some(field) = op_idx
                .checked_sub(1)
                .and_then(|i| words.get(i))
                .and_then(|p| field_of(a, p))
            {
                return values_of(a, field);
            }
        }
    }
    if words.contains(&"permission") && last == "time" {
        return tokens(a, &[TokenKind::Time]);
    }
    // `must notify |`, `must refer police or |`: targets.
    if let Some(m) = words.iter().position(|w| MODALITIES.contains(w)) {
        if words.len() > m + 1 && !words.contains(&"when") {
            return tokens(
                a,
                &[TokenKind::Role, TokenKind::Agency, TokenKind::Location],
            );
        }
    }
    let mut out: Vec<lsp::CompletionItem> = KEYWORDS
        .iter()
        .map(|k| item(k, lsp::CompletionItemKind::KEYWORD, "keyword"))
        .collect();
    out.extend(
        [
            "category", "activity", "location", "time", "device", "actor", "subject", "reporter",
            "facts",
        ]
        .iter()
        .map(|f| item(f, lsp::CompletionItemKind::FIELD, "incident field")),
    );
    out.extend(a.of(|k| *k == SymbolKind::Criteria).map(symbol_item));
    out.extend(facts(a, false));
    out
}

/// Rules, tables (with their rows), criteria, people and declarations of the document.
#[expect(
    deprecated,
    reason = "DocumentSymbol::deprecated must still be written out"
)]
pub(crate) fn document_symbols(a: &Analysis) -> Vec<lsp::DocumentSymbol> {
    let Some(root) = a.root() else {
        return Vec::new();
    };
    let Some(ast) = &root.ast else {
        return Vec::new();
    };
    let index = LineIndex::new(&root.text);
    let range = |s: Span| index.range(s.start as usize, s.end as usize);
    let sym = |name: String,
               detail: Option<String>,
               kind: lsp::SymbolKind,
               whole: Span,
               name_span: Span,
               children: Option<Vec<lsp::DocumentSymbol>>| lsp::DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: range(whole),
        selection_range: range(name_span),
        children,
    };
    let mut out = Vec::new();
    for item in &ast.items {
        match item {
            Item::Rule(r) => out.push(sym(
                r.name.node.clone(),
                r.cites.first().map(|c| c.section.node.clone()),
                lsp::SymbolKind::FUNCTION,
                r.span,
                r.name.span,
                None,
            )),
            Item::Table(t) => {
                let rows = t
                    .rows
                    .iter()
                    .map(|row| {
                        sym(
                            row.label.node.clone(),
                            None,
                            lsp::SymbolKind::FIELD,
                            row.span,
                            row.label.span,
                            None,
                        )
                    })
                    .collect();
                out.push(sym(
                    t.name.node.clone(),
                    t.title.as_ref().map(|x| x.node.clone()),
                    lsp::SymbolKind::STRUCT,
                    t.span,
                    t.name.span,
                    Some(rows),
                ));
            }
            Item::Criteria(c) => {
                let items = c
                    .items
                    .iter()
                    .map(|i| {
                        sym(
                            i.name.node.clone(),
                            None,
                            lsp::SymbolKind::FIELD,
                            i.name.span.to(i.expr.span),
                            i.name.span,
                            None,
                        )
                    })
                    .collect();
                out.push(sym(
                    c.name.node.clone(),
                    c.title.as_ref().map(|x| x.node.clone()),
                    lsp::SymbolKind::ENUM,
                    c.span,
                    c.name.span,
                    Some(items),
                ));
            }
            Item::Person(p) => out.push(sym(
                p.name.node.clone(),
                Some(
                    p.roles
                        .iter()
                        .map(|r| r.node.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                lsp::SymbolKind::OBJECT,
                p.span,
                p.name.span,
                None,
            )),
            Item::Decl(d) => match &d.kind {
                ast::DeclKind::Token { kind, name, .. } => out.push(sym(
                    name.node.clone(),
                    Some(kind.keyword().to_owned()),
                    lsp::SymbolKind::ENUM_MEMBER,
                    d.span,
                    name.span,
                    None,
                )),
                ast::DeclKind::Fact { name, person, .. } => out.push(sym(
                    name.node.clone(),
                    Some(if *person { "person_fact" } else { "fact" }.to_owned()),
                    lsp::SymbolKind::PROPERTY,
                    d.span,
                    name.span,
                    None,
                )),
            },
            Item::Caveat(_) | Item::Declines(_) | Item::Relation(_) => {}
        }
    }
    out
}

/// The whole document in `haven fmt`'s layout; nothing when it does not parse or is
/// already formatted.
pub(crate) fn format(text: &str) -> Vec<lsp::TextEdit> {
    let mut sources = haven_core::Sources::new();
    let id = sources.add("document", "", text);
    let (ast, diags) = haven_core::syntax::parse(id, text, &Limits::default());
    let Some(ast) = ast.filter(|_| !diags.iter().any(haven_core::Diagnostic::is_error)) else {
        return Vec::new();
    };
    let formatted = haven_core::syntax::format(&ast, text);
    if formatted == text {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    vec![lsp::TextEdit::new(index.range(0, text.len()), formatted)]
}

/// A quick fix for each diagnostic in `range` that has one.
pub(crate) fn code_actions(
    a: &Analysis,
    uri: &lsp::Url,
    range: lsp::Range,
) -> Vec<lsp::CodeActionOrCommand> {
    let index = LineIndex::new(&a.text);
    let (start, end) = (index.offset(range.start), index.offset(range.end));
    let published = diagnostics(a);
    a.report
        .diagnostics
        .iter()
        .zip(published)
        .filter_map(|(d, shown)| {
            let fix = d.fix.as_ref()?;
            if fix.span.source != a.root_id {
                return None;
            }
            let span = d.span()?;
            let touches = (span.start as usize) <= end && start <= (span.end as usize);
            if !touches {
                return None;
            }
            let edit = lsp::TextEdit::new(
                index.range(fix.span.start as usize, fix.span.end as usize),
                fix.replacement.clone(),
            );
            let changes: HashMap<lsp::Url, Vec<lsp::TextEdit>> =
                HashMap::from([(uri.clone(), vec![edit])]);
            Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: fix.title.clone(),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![shown]),
                edit: Some(lsp::WorkspaceEdit {
                    changes: Some(changes),
                    ..lsp::WorkspaceEdit::default()
                }),
                is_preferred: Some(true),
                ..lsp::CodeAction::default()
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::word_at;

    #[test]
    fn word_at_finds_the_name_and_its_dotted_base() {
        let text = "when facts.adult_involved and x";
        let at = text.find("adult").unwrap_or(0) + 2;
        let (word, _, _, base) = word_at(text, at).unwrap_or_default();
        assert_eq!(word, "adult_involved");
        assert_eq!(base.as_deref(), Some("facts"));
        assert!(word_at(text, 4).is_some());
        assert!(word_at("  ", 1).is_none());
    }
}
