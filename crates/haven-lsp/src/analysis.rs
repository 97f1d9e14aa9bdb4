//! One document's analysis: `haven check` on its text (with the modules it loads) and an
//! index of every name declared in it and in those modules.

use haven_core::syntax::ast::{
    self, Cite, DeclKind, FactType, HeaderKind, Item, Meta, Outcome, TextKey, TokenKind,
};
use haven_core::{CheckOptions, CheckReport, Limits, SourceId, Span};
use haven_modules::{Bundled, FsLoader};
use lsp_types::Url;
use std::path::{Path, PathBuf};

/// What a declared name is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SymbolKind {
    /// A vocabulary token.
    Token(TokenKind),
    /// A fact (`person` for a fact about each person), with its type.
    Fact { person: bool, ty: FactType },
    /// A named person (the name is their full name).
    Person,
    /// A criteria list.
    Criteria,
    /// A rule.
    Rule,
    /// A decision table.
    Table,
    /// A module or policy file that is `use`d or `extends`ed.
    Module,
}

/// A declared name.
#[derive(Clone, Debug)]
pub(crate) struct Symbol {
    pub(crate) name: String,
    pub(crate) kind: SymbolKind,
    /// Index into [`Analysis::files`].
    pub(crate) file: usize,
    /// The name as written (the whole item for a module).
    pub(crate) name_span: Span,
    /// One line for completion lists.
    pub(crate) detail: String,
    /// Markdown for hover.
    pub(crate) doc: String,
    /// Roles a person holds (for "who holds this role").
    pub(crate) roles: Vec<String>,
}

/// One file the document loaded (the document itself first).
pub(crate) struct FileInfo {
    pub(crate) id: SourceId,
    pub(crate) module: String,
    pub(crate) text: String,
    pub(crate) uri: Option<Url>,
    pub(crate) ast: Option<ast::File>,
    /// The layer its rules belong to: the policy id and its `layer` kind.
    pub(crate) layer: Option<(String, String)>,
}

/// Everything the server knows about one document.
pub(crate) struct Analysis {
    /// The document's current text (the root of `report`).
    pub(crate) text: String,
    /// The document's id in `report.sources`.
    pub(crate) root_id: SourceId,
    pub(crate) report: CheckReport,
    /// The document first, then every module it loaded.
    pub(crate) files: Vec<FileInfo>,
    pub(crate) symbols: Vec<Symbol>,
}

impl Analysis {
    /// Check `text` (the document at `uri`) and index its names. While the text does not
    /// parse (mid-edit), the names come from `previous`, the last analysis that did.
    pub(crate) fn new(
        uri: &Url,
        text: &str,
        options: &CheckOptions,
        previous: Option<Analysis>,
    ) -> Analysis {
        let path = uri.to_file_path().ok();
        let loader = match &path {
            Some(p) => FsLoader::for_policy(p),
            None => FsLoader::new(None),
        };
        let name = path
            .as_deref()
            .map_or_else(|| uri.to_string(), |p| p.display().to_string());
        let report = haven_core::check(&name, text, &loader, options);
        let mut files = Vec::new();
        for (id, source) in report.sources.iter() {
            let file_uri = if source.module.is_empty() {
                Some(uri.clone())
            } else {
                module_path(loader.root(), &source.module, &source.text)
                    .and_then(|p| Url::from_file_path(p).ok())
            };
            let (parsed, _) = haven_core::syntax::parse(id, &source.text, &Limits::default());
            files.push(FileInfo {
                id,
                module: source.module.clone(),
                text: source.text.clone(),
                uri: file_uri,
                ast: parsed,
                layer: None,
            });
        }
        // The document first.
        files.sort_by_key(|f| !f.module.is_empty());
        let root_id = files.first().map(|f| f.id).unwrap_or_default();
        if files.first().is_some_and(|f| f.ast.is_none()) {
            // Nothing parsed before: the header alone still names the modules to index.
            let previous = previous.or_else(|| {
                let header = text.get(..=text.find('}')?)?;
                let parsed = Analysis::new(uri, header, options, None);
                parsed.files.first()?.ast.as_ref()?;
                Some(parsed)
            });
            if let Some(previous) = previous {
                return Analysis {
                    text: text.to_owned(),
                    root_id,
                    report,
                    files: previous.files,
                    symbols: previous.symbols,
                };
            }
        }
        assign_layers(&mut files);
        let mut symbols = Vec::new();
        for (idx, file) in files.iter().enumerate() {
            if let Some(ast) = &file.ast {
                collect(idx, file, ast, &mut symbols);
            }
        }
        Analysis {
            text: text.to_owned(),
            root_id,
            report,
            files,
            symbols,
        }
    }

    /// The document's own file.
    pub(crate) fn root(&self) -> Option<&FileInfo> {
        self.files.first()
    }

    /// The file a span is in.
    pub(crate) fn file_of(&self, id: SourceId) -> Option<&FileInfo> {
        self.files.iter().find(|f| f.id == id)
    }

    /// Every symbol with this name.
    pub(crate) fn lookup(&self, name: &str) -> impl Iterator<Item = &Symbol> {
        let name = name.to_owned();
        self.symbols.iter().filter(move |s| s.name == name)
    }

    /// Tokens of one kind.
    pub(crate) fn tokens(&self, kind: TokenKind) -> impl Iterator<Item = &Symbol> {
        self.symbols
            .iter()
            .filter(move |s| s.kind == SymbolKind::Token(kind))
    }

    /// Symbols of the given class.
    pub(crate) fn of(&self, pred: impl Fn(&SymbolKind) -> bool) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(move |s| pred(&s.kind))
    }
}

/// Where a loaded module lives: on disk under the policies root, or (bundled) a copy
/// written once under the temporary directory so an editor can open it.
fn module_path(root: Option<&Path>, module: &str, text: &str) -> Option<PathBuf> {
    if let Some(root) = root {
        for candidate in [
            root.join(format!("{module}.haven")),
            root.join(module).join("policy.haven"),
        ] {
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    Bundled::text(module)?;
    let rel = if Bundled::policies().contains(&module) {
        PathBuf::from(module).join("policy.haven")
    } else {
        PathBuf::from(format!("{module}.haven"))
    };
    let dir = std::env::temp_dir().join(format!("haven-lsp-bundled-{}", env!("CARGO_PKG_VERSION")));
    let path = dir.join(rel);
    let current = std::fs::read_to_string(&path).ok();
    if current.as_deref() != Some(text) {
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::write(&path, text).ok()?;
    }
    Some(path)
}

/// A policy file is its own layer; a module belongs to the layer of the policy that `use`s it.
fn assign_layers(files: &mut [FileInfo]) {
    let mut layers: Vec<(String, String, Vec<String>)> = Vec::new();
    for file in files.iter() {
        let Some(ast) = &file.ast else { continue };
        if ast.header.kind != HeaderKind::Policy {
            continue;
        }
        let kind = ast
            .header
            .meta
            .iter()
            .find_map(|m| match m {
                Meta::Text(TextKey::Layer, t) => Some(t.node.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "school".to_owned());
        let uses = ast
            .header
            .meta
            .iter()
            .filter_map(|m| match m {
                Meta::Use(n) => Some(n.node.clone()),
                _ => None,
            })
            .collect();
        layers.push((ast.header.id.node.clone(), kind, uses));
    }
    for file in files.iter_mut() {
        let Some(ast) = &file.ast else { continue };
        file.layer = if ast.header.kind == HeaderKind::Policy {
            layers
                .iter()
                .find(|(id, _, _)| *id == ast.header.id.node)
                .map(|(id, kind, _)| (id.clone(), kind.clone()))
        } else {
            layers
                .iter()
                .find(|(_, _, uses)| uses.contains(&file.module))
                .map(|(id, kind, _)| (id.clone(), kind.clone()))
        };
    }
}

fn quote(cite: &Cite) -> String {
    match &cite.quote {
        Some(q) => format!("> {}: “{}”", cite.section.node, q.node),
        None => format!("> {}", cite.section.node),
    }
}

fn fact_type(ty: &FactType) -> String {
    match ty {
        FactType::Bool => "bool".to_owned(),
        FactType::Int { min, max } => format!("int {min}..{max}"),
        FactType::Role => "role".to_owned(),
        FactType::Enum(values) => format!(
            "one_of [{}]",
            values
                .iter()
                .map(|v| v.node.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn where_declared(file: &FileInfo) -> String {
    if file.module.is_empty() {
        "this file".to_owned()
    } else {
        format!("`{}`", file.module)
    }
}

fn collect(idx: usize, file: &FileInfo, ast: &ast::File, out: &mut Vec<Symbol>) {
    let from = where_declared(file);
    let layer = match &file.layer {
        Some((id, kind)) => format!("layer `{id}` ({kind})"),
        None => "no layer".to_owned(),
    };
    if !file.module.is_empty() {
        out.push(Symbol {
            name: file.module.clone(),
            kind: SymbolKind::Module,
            file: idx,
            name_span: ast.header.id.span,
            detail: format!("{} {}", header_word(ast), ast.header.id.node),
            doc: format!(
                "**{} `{}`**{}",
                header_word(ast),
                ast.header.id.node,
                ast.header
                    .title
                    .as_ref()
                    .map(|t| format!(" — {}", t.node))
                    .unwrap_or_default()
            ),
            roles: Vec::new(),
        });
    }
    for item in &ast.items {
        match item {
            Item::Decl(decl) => match &decl.kind {
                DeclKind::Token {
                    kind,
                    name,
                    parents,
                    label,
                    ..
                } => {
                    let parents = parents
                        .iter()
                        .map(|p| format!("`{}`", p.node))
                        .collect::<Vec<_>>();
                    let label_text = label.as_ref().map(|l| l.node.clone()).unwrap_or_default();
                    let mut doc = format!("**{} `{}`**", kind.keyword(), name.node);
                    if !label_text.is_empty() {
                        doc.push_str(&format!(" — {label_text}"));
                    }
                    if !parents.is_empty() {
                        doc.push_str(&format!("\n\nis {}", parents.join(", ")));
                    }
                    doc.push_str(&format!("\n\ndeclared in {from}"));
                    out.push(Symbol {
                        name: name.node.clone(),
                        kind: SymbolKind::Token(*kind),
                        file: idx,
                        name_span: name.span,
                        detail: if label_text.is_empty() {
                            kind.keyword().to_owned()
                        } else {
                            format!("{} — {label_text}", kind.keyword())
                        },
                        doc,
                        roles: Vec::new(),
                    });
                }
                DeclKind::Fact {
                    person,
                    name,
                    ty,
                    ask,
                } => {
                    let word = if *person { "person_fact" } else { "fact" };
                    let ty_text = fact_type(&ty.node);
                    let mut doc = format!("**{word} `{}`**: `{ty_text}`", name.node);
                    if let Some(ask) = ask {
                        doc.push_str(&format!("\n\nasks: “{}”", ask.node));
                    }
                    doc.push_str(&format!("\n\ndeclared in {from}"));
                    out.push(Symbol {
                        name: name.node.clone(),
                        kind: SymbolKind::Fact {
                            person: *person,
                            ty: ty.node.clone(),
                        },
                        file: idx,
                        name_span: name.span,
                        detail: format!("{word}: {ty_text}"),
                        doc,
                        roles: Vec::new(),
                    });
                }
            },
            Item::Person(p) => {
                let roles: Vec<String> = p.roles.iter().map(|r| r.node.clone()).collect();
                let mut doc = format!(
                    "**person** {} — holds {}",
                    p.name.node,
                    roles
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                if let Some(c) = &p.cites {
                    doc.push_str(&format!("\n\n{}", quote(c)));
                }
                out.push(Symbol {
                    name: p.name.node.clone(),
                    kind: SymbolKind::Person,
                    file: idx,
                    name_span: p.name.span,
                    detail: format!("person holding {}", roles.join(", ")),
                    doc,
                    roles,
                });
            }
            Item::Criteria(c) => {
                let mut doc = format!(
                    "**criteria `{}`**{} — {} of {} item{}",
                    c.name.node,
                    c.title
                        .as_ref()
                        .map(|t| format!(" “{}”", t.node))
                        .unwrap_or_default(),
                    match c.quantifier.node {
                        ast::Quantifier::Any => "any",
                        ast::Quantifier::All => "all",
                    },
                    c.items.len(),
                    if c.items.len() == 1 { "" } else { "s" }
                );
                if let Some(cite) = &c.cites {
                    doc.push_str(&format!("\n\n{}", quote(cite)));
                }
                doc.push_str(&format!("\n\n{layer}"));
                out.push(Symbol {
                    name: c.name.node.clone(),
                    kind: SymbolKind::Criteria,
                    file: idx,
                    name_span: c.name.span,
                    detail: "criteria list".to_owned(),
                    doc,
                    roles: Vec::new(),
                });
            }
            Item::Rule(r) => {
                let kind = match r.kind {
                    ast::RuleKind::Plain => "rule",
                    ast::RuleKind::Default => "default rule",
                    ast::RuleKind::OnBreach => "on breach rule",
                };
                let mut doc = format!(
                    "**{}{kind} `{}`** · {layer}",
                    if r.statutory { "statutory " } else { "" },
                    r.name.node
                );
                for cite in &r.cites {
                    doc.push_str(&format!("\n\n{}", quote(cite)));
                }
                if let Some(b) = &r.because {
                    doc.push_str(&format!("\n\nbecause: {}", b.node));
                }
                let outcomes = outcome_lines(&r.outcomes);
                if !outcomes.is_empty() {
                    doc.push_str(&format!("\n\n{outcomes}"));
                }
                out.push(Symbol {
                    name: r.name.node.clone(),
                    kind: SymbolKind::Rule,
                    file: idx,
                    name_span: r.name.span,
                    detail: format!("{kind} ({layer})"),
                    doc,
                    roles: Vec::new(),
                });
            }
            Item::Table(t) => {
                let mut doc = format!(
                    "**table `{}`**{} · hit {} · {} rows · {layer}",
                    t.name.node,
                    t.title
                        .as_ref()
                        .map(|x| format!(" “{}”", x.node))
                        .unwrap_or_default(),
                    t.hit.node.keyword(),
                    t.rows.len()
                );
                for cite in &t.cites {
                    doc.push_str(&format!("\n\n{}", quote(cite)));
                }
                out.push(Symbol {
                    name: t.name.node.clone(),
                    kind: SymbolKind::Table,
                    file: idx,
                    name_span: t.name.span,
                    detail: format!("decision table ({layer})"),
                    doc,
                    roles: Vec::new(),
                });
            }
            Item::Caveat(_) | Item::Declines(_) | Item::Relation(_) => {}
        }
    }
}

fn header_word(ast: &ast::File) -> &'static str {
    match ast.header.kind {
        HeaderKind::Policy => "policy",
        HeaderKind::Module => "module",
    }
}

fn outcome_lines(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Action(a) => {
                let mut s = format!("{} {}", a.modality.node.keyword(), a.action.node);
                if !a.targets.is_empty() {
                    let joiner = match a.target_mode {
                        haven_core::TargetMode::Any => " or ",
                        haven_core::TargetMode::All => " and ",
                    };
                    s.push(' ');
                    s.push_str(
                        &a.targets
                            .iter()
                            .map(|t| t.node.as_str())
                            .collect::<Vec<_>>()
                            .join(joiner),
                    );
                }
                if let Some(d) = &a.deadline {
                    s.push_str(&format!(" due {}", d.node));
                }
                Some(format!("- `{s}`"))
            }
            Outcome::Permission(p) => Some(format!("- `permission {}`", p.verdict.node.keyword())),
            Outcome::Breach(_) => Some("- `breach`".to_owned()),
            Outcome::Note(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
