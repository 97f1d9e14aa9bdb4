//! Checking: load the module tree, resolve every name, check types, precedence, tables and
//! statutory clauses, and lower the AST to [`PolicyIr`]. Collects every diagnostic; never
//! stops at the first.

mod expr;
mod lints;
mod load;
mod relations;

use load::{is_shared_vocabulary, layer_ids, load_tree, Loaded};
pub use load::{Cached, LoadError, Loader, MapLoader, ModuleCache, NoModules};

use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::*;
use crate::limits::Limits;
use crate::source::{SourceId, Sources, Span};
use crate::syntax::ast::{self, Date, HeaderKind, Item, Meta as AstMeta, TokenKind};
use std::collections::HashMap;

/// Options for checking.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Today's date, for the overdue-review warning. `None` skips that check.
    pub today: Option<Date>,
    /// Input limits.
    pub limits: Limits,
    /// Also report the rules no record of contract fields alone can trigger
    /// (`haven::check::needs_school_fact`), so integrators know what they must send.
    pub contract_reach: bool,
}

/// Compile the file `root` (already in `sources`) and everything it loads: the IR and the
/// root file's syntax tree (kept for rendering, so nothing parses the text twice).
pub(crate) fn compile(
    sources: &mut Sources,
    root: SourceId,
    loader: &dyn Loader,
    opts: &CheckOptions,
) -> (Option<(PolicyIr, ast::File)>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let files = load_tree(sources, root, loader, opts, &mut diags);
    let Some(files) = files else {
        return (None, diags);
    };
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    let mut cx = Checker::new(opts, diags);
    cx.run(&files);
    let Checker { diags, mut ir, .. } = cx;
    let failed = diags.iter().any(Diagnostic::is_error);
    let mut diags = diags;
    sort_diagnostics(&mut diags);
    let root_file = files.into_iter().find(|l| l.source == root).map(|l| l.file);
    match root_file {
        Some(file) if !failed => {
            ir.build_index();
            (Some((ir, file)), diags)
        }
        _ => (None, diags),
    }
}

fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| {
        d.span()
            .map(|s| (s.source, s.start, s.end))
            .unwrap_or_default()
    });
}

/// A criteria list after resolution.
struct CriteriaIr {
    cond: Cond,
    items: HashMap<String, Cond>,
    /// 1 + the depth of the deepest criteria list it refers to.
    depth: usize,
    /// Condition nodes it expands to.
    size: usize,
}

/// What a rule id refers to while checking relations.
#[derive(Clone)]
pub(super) struct RuleRef {
    pub(super) idx: usize,
    pub(super) layer: usize,
    pub(super) span: Span,
}

pub(crate) struct Checker<'a> {
    opts: &'a CheckOptions,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) ir: PolicyIr,
    criteria: HashMap<String, CriteriaIr>,
    root_layer_is_baseline: bool,
    person_keys: HashMap<Vec<usize>, u32>,
    /// Citation prefix of the file being checked.
    cite_prefix: String,
    /// Statutory flag and layer of each rule in `ir.rules`.
    pub(crate) statutory: Vec<StatutoryInfo>,
    /// Deepest criteria list referred to while resolving the current criteria list.
    criteria_ref_depth: usize,
}

impl<'a> Checker<'a> {
    fn new(opts: &'a CheckOptions, diags: Vec<Diagnostic>) -> Self {
        Checker {
            opts,
            diags,
            ir: PolicyIr {
                meta: Meta::default(),
                vocab: Vocab::default(),
                people: Vec::new(),
                rules: Vec::new(),
                tables: Vec::new(),
                layers: Vec::new(),
                index: RuleIndex::default(),
                criteria: Vec::new(),
            },
            criteria: HashMap::new(),
            root_layer_is_baseline: false,
            person_keys: HashMap::new(),
            cite_prefix: String::new(),
            statutory: Vec::new(),
            criteria_ref_depth: 0,
        }
    }

    pub(crate) fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn run(&mut self, files: &[Loaded]) {
        if let Some(root) = files
            .iter()
            .find(|f| f.layer == 0 && f.file.header.kind == HeaderKind::Policy)
        {
            self.meta(root);
        } else if let Some(root) = files.last() {
            self.meta(root);
        }
        // The root's rules are the school's own unless the root declares itself national
        // guidance (`layer "national"`); rules of every layer it extends are `baseline`.
        self.root_layer_is_baseline = self.ir.meta.layer_kind.as_deref() == Some("national");
        self.ir.layers = layer_ids(files);
        for f in files {
            self.declarations(f);
        }
        for f in files {
            self.resolve_role_parents(f);
        }
        self.role_hierarchy();
        self.category_hierarchy();
        for f in files {
            self.fact_relations(f);
        }
        for f in files {
            self.set_prefix(f);
            self.people(f);
        }
        let mut refs: HashMap<String, RuleRef> = HashMap::new();
        let mut relations: Vec<(usize, usize, ast::Relation)> = Vec::new();
        for f in files {
            self.set_prefix(f);
            for item in &f.file.items {
                match item {
                    Item::Criteria(c) => self.criteria(c),
                    Item::Rule(r) => self.rule(r, f.layer, &mut refs, &mut relations),
                    Item::Table(t) => self.table(t, f.layer, &mut refs),
                    Item::Caveat(c) if f.layer == 0 => self.caveat(c),
                    Item::Caveat(_) => {}
                    Item::Declines(d) => self.declines(d),
                    Item::Decl(_) | Item::Person(_) | Item::Relation(_) => {}
                }
            }
        }
        let removed = relations::link(
            &mut self.ir.rules,
            &self.statutory,
            &refs,
            &relations,
            &mut self.diags,
        );
        lints::exception_cycles(self);
        lints::statutory_contradictions(self);
        relations::remove_rules(&mut self.ir, &mut self.statutory, &removed);
        lints::run(self);
    }

    fn set_prefix(&mut self, f: &Loaded) {
        let header = &f.file.header;
        let mut cite_as = None;
        let mut source = None;
        for m in &header.meta {
            if let AstMeta::Text(key, text) = m {
                match key {
                    ast::TextKey::CiteAs => cite_as = Some(text.node.clone()),
                    ast::TextKey::Source => source = Some(text.node.clone()),
                    _ => {}
                }
            }
        }
        self.cite_prefix = cite_as
            .or_else(|| {
                source.map(|s| {
                    let base = s.rsplit('/').next().unwrap_or(&s).to_owned();
                    base.strip_suffix(".txt").map(str::to_owned).unwrap_or(base)
                })
            })
            .unwrap_or_else(|| header.id.node.clone());
    }

    fn meta(&mut self, root: &Loaded) {
        let header = &root.file.header;
        let meta = &mut self.ir.meta;
        meta.id = header.id.node.clone();
        meta.title = header.title.as_ref().map(|t| t.node.clone());
        let mut adopted_span = None;
        let mut review_span = None;
        for m in &header.meta {
            match m {
                AstMeta::Extends(n) => meta.extends.push(n.node.clone()),
                AstMeta::Use(_) => {}
                AstMeta::Date(ast::DateKey::Adopted, d) => {
                    meta.adopted = Some(d.node);
                    adopted_span = Some(d.span);
                }
                AstMeta::Date(ast::DateKey::ReviewBy, d) => {
                    meta.review_by = Some(d.node);
                    review_span = Some(d.span);
                }
                AstMeta::Text(ast::TextKey::Version, t) => meta.version = Some(t.node.clone()),
                AstMeta::Text(ast::TextKey::ApprovedBy, t) => {
                    meta.approved_by = Some(t.node.clone());
                }
                AstMeta::Text(ast::TextKey::Source, t) => meta.source = Some(t.node.clone()),
                AstMeta::Text(ast::TextKey::CiteAs, _) => {}
                AstMeta::Text(ast::TextKey::Layer, t) => {
                    if !matches!(t.node.as_str(), "national" | "local" | "trust" | "school") {
                        self.diags.push(
                            Diagnostic::error(
                                "haven::check::unknown_layer",
                                format!("`{}` is not a kind of layer", t.node),
                                t.span,
                            )
                            .with_help("a layer is `national`, `local`, `trust` or `school`"),
                        );
                    }
                    meta.layer_kind = Some(t.node.clone());
                }
            }
        }
        if header.kind == HeaderKind::Policy && meta.version.is_none() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::missing_version",
                    format!("policy `{}` has no version", header.id.node),
                    header.id.span,
                )
                .with_help("add `version \"1\"` to the header, as the document numbers it"),
            );
        }
        let (adopted, review_by) = (self.ir.meta.adopted, self.ir.meta.review_by);
        if let (Some(a), Some(r), Some(rs)) = (adopted, review_by, review_span) {
            if r < a {
                let mut d = Diagnostic::error(
                    "haven::check::review_before_adoption",
                    format!("review date {r} is before the adoption date {a}"),
                    rs,
                );
                if let Some(s) = adopted_span {
                    d = d.with_secondary(s, "adopted here");
                }
                self.diags.push(d);
            }
        }
        if let (Some(today), Some(r), Some(rs)) = (self.opts.today, review_by, review_span) {
            let due = Date {
                day: Some(r.day.unwrap_or(31)),
                ..r
            };
            let now = Date {
                day: Some(today.day.unwrap_or(1)),
                ..today
            };
            if due < now {
                self.diags.push(
                    Diagnostic::warning(
                        "haven::check::review_overdue",
                        format!("policy review was due by {r} (today is {today})"),
                        rs,
                    )
                    .with_label("review date has passed")
                    .with_help("review the policy with the governors and update `review_by`"),
                );
            }
        }
    }

    fn declarations(&mut self, f: &Loaded) {
        let contract = is_shared_vocabulary(&f.file);
        for item in &f.file.items {
            let Item::Decl(decl) = item else { continue };
            match &decl.kind {
                ast::DeclKind::Token {
                    kind,
                    name,
                    parents: _,
                    label,
                    needs_target,
                } => {
                    if *needs_target && *kind != TokenKind::Action {
                        self.diags.push(
                            Diagnostic::error(
                                "haven::check::needs_target_not_action",
                                format!(
                                    "only an action needs a target, not {} `{}`",
                                    kind.keyword(),
                                    name.node
                                ),
                                name.span,
                            )
                            .with_help("remove `needs target`"),
                        );
                    }
                    let k = kind.index();
                    let vocab = &mut self.ir.vocab;
                    if let Some(&existing) = vocab.index.get(k).and_then(|m| m.get(&name.node)) {
                        let prev = vocab
                            .tokens
                            .get(k)
                            .and_then(|t| t.get(existing as usize))
                            .map(|t| t.span);
                        let mut d = Diagnostic::error(
                            "haven::check::duplicate_declaration",
                            format!("{} `{}` is declared twice", kind.keyword(), name.node),
                            name.span,
                        )
                        .with_label("declared again here");
                        if let Some(prev) = prev {
                            d = d.with_secondary(prev, "first declared here");
                        }
                        self.diags.push(d);
                        continue;
                    }
                    let (Some(tokens), Some(index)) =
                        (vocab.tokens.get_mut(k), vocab.index.get_mut(k))
                    else {
                        continue;
                    };
                    let sym = Sym::try_from(tokens.len()).unwrap_or(Sym::MAX);
                    tokens.push(TokenInfo {
                        name: name.node.clone(),
                        label: label.as_ref().map(|l| l.node.clone()),
                        parents: Vec::new(),
                        span: name.span,
                        contract,
                        needs_target: *needs_target,
                    });
                    index.insert(name.node.clone(), sym);
                }
                ast::DeclKind::Fact {
                    person,
                    name,
                    ty,
                    ask,
                } => {
                    let resolved = match &ty.node {
                        ast::FactType::Bool => FactTy::Bool,
                        ast::FactType::Int { min, max } => FactTy::Int {
                            min: *min,
                            max: *max,
                        },
                        ast::FactType::Role => FactTy::Role,
                        ast::FactType::Enum(values) => {
                            FactTy::Enum(values.iter().map(|v| v.node.clone()).collect())
                        }
                    };
                    let vocab = &mut self.ir.vocab;
                    let (list, index) = if *person {
                        (&mut vocab.person_facts, &mut vocab.person_fact_index)
                    } else {
                        (&mut vocab.facts, &mut vocab.fact_index)
                    };
                    if let Some(prev) = index.get(&name.node).and_then(|&i| list.get(i)) {
                        let d = Diagnostic::error(
                            "haven::check::duplicate_declaration",
                            format!(
                                "{} `{}` is declared twice",
                                if *person { "person_fact" } else { "fact" },
                                name.node
                            ),
                            name.span,
                        )
                        .with_label("declared again here")
                        .with_secondary(prev.span, "first declared here");
                        self.diags.push(d);
                        continue;
                    }
                    if list.len() >= usize::from(u16::MAX) {
                        continue;
                    }
                    index.insert(name.node.clone(), list.len());
                    list.push(FactInfo {
                        name: name.node.clone(),
                        ty: resolved,
                        ask: ask.as_ref().map(|a| a.node.clone()),
                        span: name.span,
                        contract,
                    });
                }
            }
        }
        // Parents are resolved once every role is known (a parent may be declared later).
        for item in &f.file.items {
            let Item::Decl(ast::Decl {
                kind:
                    ast::DeclKind::Token {
                        kind,
                        name,
                        parents,
                        ..
                    },
                ..
            }) = item
            else {
                continue;
            };
            if parents.is_empty() {
                continue;
            }
            if !matches!(kind, TokenKind::Role | TokenKind::Category) {
                if let Some(first) = parents.first() {
                    self.diags.push(
                        Diagnostic::error(
                            "haven::check::parent_on_non_role",
                            format!(
                                "only roles and categories have parents; `{}` is a {}",
                                name.node,
                                kind.keyword()
                            ),
                            first.span,
                        )
                        .with_help("remove `is ...` from this declaration"),
                    );
                }
                continue;
            }
        }
    }

    fn role_hierarchy(&mut self) {
        let n = self.ir.vocab.count(TokenKind::Role);
        let mut is_a = vec![false; n * n];
        for i in 0..n {
            if let Some(cell) = is_a.get_mut(i * n + i) {
                *cell = true;
            }
        }
        // Transitive closure by walking parents (the hierarchy is small).
        let parents: Vec<Vec<Sym>> = self
            .ir
            .vocab
            .tokens
            .get(TokenKind::Role.index())
            .map(|t| t.iter().map(|r| r.parents.clone()).collect())
            .unwrap_or_default();
        for start in 0..n {
            let mut stack: Vec<Sym> = parents.get(start).cloned().unwrap_or_default();
            let mut steps = 0usize;
            while let Some(p) = stack.pop() {
                steps += 1;
                if steps > n * n + 1 {
                    break;
                }
                let idx = start * n + p as usize;
                if let Some(cell) = is_a.get_mut(idx) {
                    if !*cell {
                        *cell = true;
                        stack.extend(parents.get(p as usize).cloned().unwrap_or_default());
                    }
                }
            }
        }
        self.ir.vocab.role_is_a = is_a;
    }

    /// Resolve `is parent` on roles and categories once every token is declared.
    fn resolve_role_parents(&mut self, f: &Loaded) {
        for item in &f.file.items {
            let Item::Decl(ast::Decl {
                kind:
                    ast::DeclKind::Token {
                        kind: kind @ (TokenKind::Role | TokenKind::Category),
                        name,
                        parents,
                        ..
                    },
                ..
            }) = item
            else {
                continue;
            };
            let kind = *kind;
            let Some(sym) = self.ir.vocab.lookup(kind, &name.node) else {
                continue;
            };
            let mut resolved = Vec::new();
            for p in parents {
                match self.ir.vocab.lookup(kind, &p.node) {
                    Some(ps) if ps == sym => self.diags.push(Diagnostic::error(
                        "haven::check::role_cycle",
                        format!(
                            "{} `{}` cannot be its own parent",
                            kind.keyword(),
                            name.node
                        ),
                        p.span,
                    )),
                    Some(ps) => resolved.push(ps),
                    None => {
                        let d = self.unknown_name(kind, &p.node, p.span);
                        self.diags.push(d);
                    }
                }
            }
            if let Some(info) = self
                .ir
                .vocab
                .tokens
                .get_mut(kind.index())
                .and_then(|t| t.get_mut(sym as usize))
            {
                if info.span == name.span {
                    info.parents = resolved;
                }
            }
        }
    }

    /// `relation a implies b`: both sides yes/no facts.
    fn fact_relations(&mut self, f: &Loaded) {
        for item in &f.file.items {
            let Item::Relation(rel) = item else { continue };
            let mut lit = |l: &ast::FactLiteral| -> Option<(u16, bool)> {
                let vocab = &self.ir.vocab;
                match vocab.fact_index.get(&l.fact.node).copied() {
                    Some(i) if vocab.facts.get(i).is_some_and(|f| f.ty == FactTy::Bool) => {
                        Some((u16::try_from(i).ok()?, !l.negated))
                    }
                    Some(_) => {
                        self.diags.push(
                            Diagnostic::error(
                                "haven::check::relation_not_bool",
                                format!("`{}` is not a yes/no fact", l.fact.node),
                                l.fact.span,
                            )
                            .with_help("a relation links yes/no (`bool`) facts"),
                        );
                        None
                    }
                    None => {
                        let names: Vec<String> = vocab.fact_index.keys().cloned().collect();
                        let mut d = Diagnostic::error(
                            "haven::check::unknown_fact",
                            format!("no fact is called `{}`", l.fact.node),
                            l.fact.span,
                        );
                        if let Some(s) = suggest(&l.fact.node, &names) {
                            d = d.with_suggestion(s);
                        }
                        self.diags.push(d);
                        None
                    }
                }
            };
            let (Some(a), Some(b)) = (lit(&rel.antecedent), lit(&rel.consequent)) else {
                continue;
            };
            if a.0 == b.0 {
                self.diags.push(Diagnostic::error(
                    "haven::check::relation_on_itself",
                    format!("`{}` cannot settle itself", rel.antecedent.fact.node),
                    rel.consequent.fact.span,
                ));
                continue;
            }
            let show = |l: &ast::FactLiteral| {
                if l.negated {
                    format!("not {}", l.fact.node)
                } else {
                    l.fact.node.clone()
                }
            };
            self.ir.vocab.relations.push(FactRelationIr {
                antecedent: a,
                consequent: b,
                text: format!(
                    "{} implies {}",
                    show(&rel.antecedent),
                    show(&rel.consequent)
                ),
            });
        }
    }

    /// Each category with its descendants (itself first): `category is parent` covers them.
    fn category_hierarchy(&mut self) {
        let parents: Vec<Vec<Sym>> = self
            .ir
            .vocab
            .tokens
            .get(TokenKind::Category.index())
            .map(|t| t.iter().map(|c| c.parents.clone()).collect())
            .unwrap_or_default();
        let n = parents.len();
        let mut below: Vec<Vec<Sym>> = (0..n)
            .map(|i| vec![Sym::try_from(i).unwrap_or(Sym::MAX)])
            .collect();
        for start in 0..n {
            let Ok(child) = Sym::try_from(start) else {
                break;
            };
            let mut stack: Vec<Sym> = parents.get(start).cloned().unwrap_or_default();
            let mut seen: Vec<Sym> = Vec::new();
            while let Some(p) = stack.pop() {
                if seen.contains(&p) || seen.len() > n {
                    continue;
                }
                seen.push(p);
                if let Some(list) = below.get_mut(p as usize) {
                    if !list.contains(&child) {
                        list.push(child);
                    }
                }
                stack.extend(parents.get(p as usize).cloned().unwrap_or_default());
            }
        }
        self.ir.vocab.category_below = below;
    }

    fn people(&mut self, f: &Loaded) {
        for item in &f.file.items {
            let Item::Person(p) = item else { continue };
            let mut roles = Vec::new();
            for r in &p.roles {
                match self.ir.vocab.lookup(TokenKind::Role, &r.node) {
                    Some(sym) => roles.push(sym),
                    None => {
                        let d = self.unknown_name(TokenKind::Role, &r.node, r.span);
                        self.diags.push(d);
                    }
                }
            }
            if let Some(prev) = self.ir.people.iter().position(|q| q.name == p.name.node) {
                // The same person named twice (e.g. in the baseline and the school): merge roles.
                if let Some(existing) = self.ir.people.get_mut(prev) {
                    for r in roles {
                        if !existing.roles.contains(&r) {
                            existing.roles.push(r);
                        }
                    }
                }
            } else {
                self.ir.people.push(PersonIr {
                    name: p.name.node.clone(),
                    roles,
                });
            }
        }
    }

    /// An "unknown X" diagnostic with a suggestion.
    pub(crate) fn unknown_name(&self, kind: TokenKind, name: &str, span: Span) -> Diagnostic {
        let known = self.ir.vocab.names(kind);
        let code = match kind {
            TokenKind::Role => "haven::check::unknown_role",
            TokenKind::Agency => "haven::check::unknown_agency",
            TokenKind::Device => "haven::check::unknown_device",
            TokenKind::Owner => "haven::check::unknown_owner",
            TokenKind::Location => "haven::check::unknown_location",
            TokenKind::Time => "haven::check::unknown_time",
            TokenKind::Activity => "haven::check::unknown_activity",
            TokenKind::Category => "haven::check::unknown_category",
            TokenKind::Action => "haven::check::unknown_action",
            TokenKind::Deadline => "haven::check::unknown_deadline",
        };
        let d = Diagnostic::error(code, format!("unknown {} `{name}`", kind.keyword()), span)
            .with_label(format!("not a declared {}", kind.keyword()));
        if let Some(word) = synonym(kind, name).filter(|w| known.iter().any(|k| k == w)) {
            return d.with_suggestion(word).with_help(format!(
                "did you mean `{word}`? the vocabulary calls {name_words} `{word}`; declare `{} {name}` only if it means something else",
                kind.keyword(),
                name_words = name.replace('_', " "),
            ));
        }
        match suggest(name, &known) {
            Some(s) => d.with_suggestion(s),
            None if known.is_empty() => d.with_help(format!(
                "no {} is declared; add `use std/vocabulary` to the header",
                kind.keyword()
            )),
            None => d.with_help(format!(
                "declare it with `{} {name}` or use one of {}",
                kind.keyword(),
                quote_list(&known)
            )),
        }
    }

    fn render_cite(&self, cite: &ast::Cite) -> String {
        match &cite.quote {
            Some(q) => format!("{} {}: \"{}\"", self.cite_prefix, cite.section.node, q.node),
            None => format!("{} {}", self.cite_prefix, cite.section.node),
        }
    }

    fn criteria(&mut self, c: &ast::Criteria) {
        if self.criteria.contains_key(&c.name.node) {
            self.diags.push(Diagnostic::error(
                "haven::check::duplicate_criteria",
                format!("criteria list `{}` is declared twice", c.name.node),
                c.name.span,
            ));
            return;
        }
        let mut items = HashMap::new();
        let mut conds = Vec::new();
        self.criteria_ref_depth = 0;
        for item in &c.items {
            let cond = self.cond(&item.expr, false);
            self.ir.criteria.push(crate::ir::CriterionIr {
                list: c.name.node.clone(),
                item: Some(item.name.node.clone()),
                cond: cond.clone(),
            });
            if items.insert(item.name.node.clone(), cond.clone()).is_some() {
                self.diags.push(Diagnostic::error(
                    "haven::check::duplicate_criterion",
                    format!(
                        "criterion `{}` appears twice in `{}`",
                        item.name.node, c.name.node
                    ),
                    item.name.span,
                ));
            }
            conds.push(cond);
        }
        let cond = match c.quantifier.node {
            ast::Quantifier::Any => Cond::Or(conds.into_boxed_slice()),
            ast::Quantifier::All => Cond::And(conds.into_boxed_slice()),
        };
        self.ir.criteria.push(crate::ir::CriterionIr {
            list: c.name.node.clone(),
            item: None,
            cond: cond.clone(),
        });
        let depth = self.criteria_ref_depth + 1;
        let size = cond_size(&cond);
        self.criteria.insert(
            c.name.node.clone(),
            CriteriaIr {
                cond,
                items,
                depth,
                size,
            },
        );
    }

    pub(crate) fn has_criteria(&self, name: &str) -> bool {
        self.criteria.contains_key(name)
    }

    /// The condition of criteria list `name` (or one of its items), inlined. Refuses, with a
    /// located error, lists that nest or expand beyond the limits, before copying anything.
    pub(crate) fn criteria_ref(
        &mut self,
        name: &str,
        item: Option<&str>,
        span: Span,
    ) -> Option<Option<Cond>> {
        let (depth, size) = {
            let c = self.criteria.get(name)?;
            (c.depth, c.size)
        };
        let limits = &self.opts.limits;
        if depth >= limits.max_criteria_depth {
            let limit = limits.max_criteria_depth;
            self.diags.push(
                Diagnostic::error(
                    "haven::check::criteria_too_deep",
                    format!("criteria lists refer to each other too deeply (limit {limit})"),
                    span,
                )
                .with_help("flatten the chain: refer to the facts directly"),
            );
            return Some(None);
        }
        if size > limits.max_condition_nodes {
            let limit = limits.max_condition_nodes;
            self.diags.push(
                Diagnostic::error(
                    "haven::check::condition_too_large",
                    format!("criteria list `{name}` expands to {size} conditions (limit {limit})"),
                    span,
                )
                .with_help(
                    "criteria lists are copied where they are used; share facts instead of lists",
                ),
            );
            return Some(None);
        }
        self.criteria_ref_depth = self.criteria_ref_depth.max(depth);
        let c = self.criteria.get(name)?;
        Some(match item {
            None => Some(c.cond.clone()),
            Some(i) => c.items.get(i).cloned(),
        })
    }

    fn layer_of(&self, layer: usize) -> Layer {
        if layer == 0 && !self.root_layer_is_baseline {
            Layer::School
        } else {
            Layer::Baseline
        }
    }

    fn rule(
        &mut self,
        r: &ast::Rule,
        layer: usize,
        refs: &mut HashMap<String, RuleRef>,
        relations: &mut Vec<(usize, usize, ast::Relation)>,
    ) {
        if r.cites.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::missing_citation",
                    format!("rule `{}` cites nothing", r.name.node),
                    r.name.span,
                )
                .with_help("add `cites \"§section\": \"the sentence it encodes\"`"),
            );
        }
        let cond = self.cond(&r.when, false);
        let effects = self.effects(&r.outcomes, &r.name.node);
        lints::rule_kind(self, r, &effects);
        if layer == 0 {
            // Deeper layers are linted when they are checked themselves.
            lints::modality(self, r);
        }
        let idx = self.ir.rules.len();
        if let Some(prev) = refs.get(&r.name.node) {
            let replaces = r.relations.iter().any(|rel| {
                rel.kind == ast::RelationKind::Replaces && rel.target.node == r.name.node
            });
            if !replaces || prev.layer <= layer {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::duplicate_rule",
                        format!("rule `{}` is defined twice", r.name.node),
                        r.name.span,
                    )
                    .with_secondary(prev.span, "first defined here")
                    .with_help("rename one, or write `replaces` to stand in for a baseline rule"),
                );
            }
        }
        refs.insert(
            r.name.node.clone(),
            RuleRef {
                idx,
                layer,
                span: r.name.span,
            },
        );
        for rel in &r.relations {
            relations.push((idx, layer, rel.clone()));
        }
        let cites = r.cites.iter().map(|c| self.render_cite(c)).collect();
        self.ir.rules.push(RuleIr {
            id: r.name.node.clone(),
            cond,
            effects,
            exceptions: Vec::new(),
            overrides: Vec::new(),
            preceded_by: 0..0,
            unique_table: None,
            layer: self.layer_of(layer),
            depth: u16::try_from(layer).unwrap_or(u16::MAX),
            kind: r.kind,
            cites,
            span: r.name.span,
        });
        self.statutory.push(StatutoryInfo {
            statutory: r.statutory,
            layer,
            removed: false,
        });
    }

    fn table(&mut self, t: &ast::Table, layer: usize, refs: &mut HashMap<String, RuleRef>) {
        if t.cites.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::missing_citation",
                    format!("table `{}` cites nothing", t.name.node),
                    t.name.span,
                )
                .with_help("add `cites \"§section\"` naming where the table is in the document"),
            );
        }
        if let Some(prev) = refs.get(&t.name.node) {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::duplicate_rule",
                    format!(
                        "table `{}` has the same id as another rule or table",
                        t.name.node
                    ),
                    t.name.span,
                )
                .with_secondary(prev.span, "first defined here"),
            );
        }
        let table_cond = t.when.as_ref().map(|w| self.cond(w, false));
        let mut columns: Vec<Effects> = Vec::new();
        let mut seen_keys: HashMap<&str, Span> = HashMap::new();
        for col in &t.columns {
            if let Some(prev) = seen_keys.insert(&col.key.node, col.key.span) {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::duplicate_column",
                        format!(
                            "column `{}` appears twice in table `{}`",
                            col.key.node, t.name.node
                        ),
                        col.key.span,
                    )
                    .with_secondary(prev, "first here"),
                );
            }
            columns.push(self.effects(&col.outcomes, &t.name.node));
        }
        let table_cites: Vec<String> = t.cites.iter().map(|c| self.render_cite(c)).collect();
        let table_idx = self.ir.tables.len();
        let first_row = self.ir.rules.len();
        let ordered: Vec<usize> = lints::row_order(self, t);
        let mut row_rule_idx = vec![0usize; t.rows.len()];
        for (pos, &row_i) in ordered.iter().enumerate() {
            let Some(row) = t.rows.get(row_i) else {
                continue;
            };
            let _ = pos;
            let row_cond = self.cond(&row.when, false);
            let cond = match &table_cond {
                Some(tc) => Cond::And(vec![tc.clone(), row_cond].into_boxed_slice()),
                None => row_cond,
            };
            if row.cells.len() != t.columns.len() {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::row_arity",
                        format!(
                            "row has {} cells but table `{}` has {} columns",
                            row.cells.len(),
                            t.name.node,
                            t.columns.len()
                        ),
                        row.label.span,
                    )
                    .with_help("give every row one cell per column; leave a cell empty or write `-` for no tick"),
                );
            }
            let mut effects = Effects::default();
            for (cell, col) in row.cells.iter().zip(&columns) {
                match cell.node.as_deref() {
                    None | Some("-") => {}
                    Some(glyph) if is_tick(glyph) => {
                        effects.actions.extend(col.actions.iter().cloned());
                        if col.permission.is_some() {
                            effects.permission = col.permission.clone();
                        }
                        effects.breach |= col.breach;
                        effects.notes.extend(col.notes.iter().cloned());
                    }
                    Some(glyph) => self.diags.push(
                        Diagnostic::error(
                            "haven::check::unknown_tick",
                            format!("`{glyph}` is not a tick mark"),
                            cell.span,
                        )
                        .with_help("a ticked cell holds `X` (Latin, Cyrillic `Х`/`х` or Greek `Χ` also count) or `✓`; an empty cell is blank or `-`"),
                    ),
                }
            }
            let mut cites = table_cites.clone();
            match &row.cites {
                Some(c) => cites.push(self.render_cite(c)),
                None => {
                    if let Some(first) = cites.first_mut() {
                        first.push_str(&format!(", row \"{}\"", row.label.node));
                    }
                }
            }
            let idx = self.ir.rules.len();
            if let Some(slot) = row_rule_idx.get_mut(row_i) {
                *slot = idx;
            }
            let preceded_by = match t.hit.node {
                ast::HitPolicy::First | ast::HitPolicy::Priority => first_row..idx,
                _ => idx..idx,
            };
            self.ir.rules.push(RuleIr {
                id: format!("{}/{}", t.name.node, row_i + 1),
                cond,
                effects,
                exceptions: Vec::new(),
                overrides: Vec::new(),
                preceded_by,
                unique_table: (t.hit.node == ast::HitPolicy::Unique).then_some(table_idx),
                layer: self.layer_of(layer),
                depth: u16::try_from(layer).unwrap_or(u16::MAX),
                kind: ast::RuleKind::Plain,
                cites,
                span: row.label.span,
            });
            self.statutory.push(StatutoryInfo {
                statutory: false,
                layer,
                removed: false,
            });
        }
        refs.insert(
            t.name.node.clone(),
            RuleRef {
                idx: first_row,
                layer,
                span: t.name.span,
            },
        );
        self.ir.tables.push(TableIr {
            id: t.name.node.clone(),
            rows: first_row..self.ir.rules.len(),
        });
        lints::table(self, t, &row_rule_idx);
    }

    fn caveat(&mut self, c: &ast::Caveat) {
        // The message quotes the caveat; underlining a long sentence again would only fill
        // the terminal with carets, so the label marks the `caveat` keyword.
        let keyword = Span {
            end: c.span.start.saturating_add(6).min(c.span.end),
            ..c.span
        };
        let mut d = Diagnostic::warning(
            "haven::check::source_caveat",
            format!("source document caveat: {}", c.text.node),
            keyword,
        )
        .with_label("recorded here");
        if let Some(first) = c.cites.first() {
            d = d.with_help(format!("see {}", self.render_cite(first)));
        }
        self.diags.push(d);
    }

    /// A declined sentence needs no IR, only a quote and a reason (`haven trace` reads it).
    fn declines(&mut self, d: &ast::Declines) {
        if d.quote.node.trim().is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::empty_declined_sentence",
                    "`declines` quotes no sentence",
                    d.quote.span,
                )
                .with_label("empty sentence")
                .with_help("quote the source sentence the policy does not encode"),
            );
        }
        if d.reason.node.trim().is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::empty_decline_reason",
                    "`declines` gives no reason",
                    d.reason.span,
                )
                .with_label("empty reason")
                .with_help("say why the policy does not encode this sentence, e.g. `because \"curriculum content, not an incident response\"`"),
            );
        }
    }

    fn effects(&mut self, outcomes: &[ast::Outcome], owner: &str) -> Effects {
        let mut effects = Effects::default();
        let mut permission_span: Option<Span> = None;
        for o in outcomes {
            match o {
                ast::Outcome::Action(a) => {
                    if let Some(action) = self.action(a) {
                        effects.actions.push(action);
                    }
                }
                ast::Outcome::Permission(p) => {
                    if let Some(prev) = permission_span {
                        self.diags.push(
                            Diagnostic::error(
                                "haven::check::duplicate_permission",
                                format!("`{owner}` gives two permission verdicts"),
                                p.span,
                            )
                            .with_secondary(prev, "first verdict here"),
                        );
                    }
                    permission_span = Some(p.span);
                    effects.permission = Some(self.permission(p));
                }
                ast::Outcome::Breach(_) => effects.breach = true,
                ast::Outcome::Note(n) => effects.notes.push(n.node.clone()),
            }
        }
        effects
    }

    fn permission(&mut self, p: &ast::PermissionSpec) -> PermissionIr {
        let mut conditions = Vec::new();
        if p.verdict.node != ast::Verdict::AllowedIf && !p.conditions.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::conditions_without_allowed_if",
                    format!("`{}` takes no conditions", p.verdict.node.keyword()),
                    p.verdict.span,
                )
                .with_help("write `permission allowed_if [...]` for a conditional permission"),
            );
        }
        if p.verdict.node == ast::Verdict::AllowedIf && p.conditions.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::allowed_if_without_conditions",
                    "`allowed_if` needs at least one condition",
                    p.verdict.span,
                )
                .with_help("e.g. `permission allowed_if [approval headteacher]`"),
            );
        }
        for c in &p.conditions {
            let ok = match c.kind {
                ast::PermConditionKind::Approval => self.check_token(TokenKind::Role, &c.value),
                ast::PermConditionKind::Place => self.check_token(TokenKind::Location, &c.value),
                ast::PermConditionKind::Time => self.check_token(TokenKind::Time, &c.value),
                ast::PermConditionKind::Consent => {
                    let known = self.ir.vocab.fact_index.contains_key(&c.value.node);
                    if !known {
                        let names: Vec<String> =
                            self.ir.vocab.facts.iter().map(|f| f.name.clone()).collect();
                        let mut d = Diagnostic::error(
                            "haven::check::unknown_fact",
                            format!("unknown fact `{}`", c.value.node),
                            c.value.span,
                        );
                        if let Some(s) = suggest(&c.value.node, &names) {
                            d = d.with_suggestion(s);
                        }
                        self.diags.push(d);
                    }
                    known
                }
            };
            if ok {
                conditions.push((c.kind, c.value.node.clone()));
            }
        }
        PermissionIr {
            verdict: p.verdict.node,
            conditions,
        }
    }

    fn check_token(&mut self, kind: TokenKind, name: &ast::Name) -> bool {
        if self.ir.vocab.lookup(kind, &name.node).is_some() {
            true
        } else {
            let d = self.unknown_name(kind, &name.node, name.span);
            self.diags.push(d);
            false
        }
    }

    fn action(&mut self, a: &ast::ActionSpec) -> Option<ActionIr> {
        let action = match self.ir.vocab.lookup(TokenKind::Action, &a.action.node) {
            Some(s) => s,
            None => {
                let d = self.unknown_name(TokenKind::Action, &a.action.node, a.action.span);
                self.diags.push(d);
                return None;
            }
        };
        let mut targets = Vec::new();
        for t in &a.targets {
            let found = [TokenKind::Role, TokenKind::Agency, TokenKind::Location]
                .into_iter()
                .find_map(|k| {
                    self.ir
                        .vocab
                        .lookup(k, &t.node)
                        .map(|sym| Target { kind: k, sym })
                });
            match found {
                Some(target) => targets.push(target),
                None => {
                    let mut known = self.ir.vocab.names(TokenKind::Role);
                    known.extend(self.ir.vocab.names(TokenKind::Agency));
                    known.extend(self.ir.vocab.names(TokenKind::Location));
                    let mut d = Diagnostic::error(
                        "haven::check::unknown_target",
                        format!("unknown target `{}`", t.node),
                        t.span,
                    )
                    .with_label("not a declared role, agency or location");
                    let synonym = [TokenKind::Role, TokenKind::Agency]
                        .into_iter()
                        .find_map(|k| synonym(k, &t.node))
                        .filter(|w| known.iter().any(|k| k == w));
                    if let Some(deadline) = known_deadline(self, &t.node) {
                        // `must notify dsl immediately` parses `immediately` as a target.
                        d = d
                            .with_fix(
                                t.span,
                                format!("due {deadline}"),
                                format!("write `due {deadline}`"),
                            )
                            .with_help(format!(
                                "did you mean `due {deadline}`? `{deadline}` is a deadline, written after the targets with `due`"
                            ));
                    } else if let Some(word) = synonym {
                        d = d.with_suggestion(word);
                    } else if let Some(s) = suggest(&t.node, &known) {
                        d = d.with_suggestion(s);
                    }
                    self.diags.push(d);
                }
            }
        }
        // Which actions need a target is the vocabulary's to say (`action refer needs target`).
        let needs_target = self
            .ir
            .vocab
            .tokens
            .get(TokenKind::Action.index())
            .and_then(|t| t.get(action as usize))
            .is_some_and(|t| t.needs_target);
        if needs_target && a.targets.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::missing_target",
                    format!("`{}` needs a target", a.action.node),
                    a.action.span,
                )
                .with_help(format!(
                    "say who, e.g. `{} {} dsl`",
                    a.modality.node.keyword(),
                    a.action.node
                )),
            );
        }
        let deadline = match &a.deadline {
            Some(d) if a.modality.node.is_negative() => {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::deadline_on_prohibition",
                        format!("a `{}` action has no deadline", a.modality.node.keyword()),
                        d.span,
                    )
                    .with_help("remove `due ...`: a prohibition holds at all times"),
                );
                None
            }
            Some(d) => {
                if self.check_token(TokenKind::Deadline, d) {
                    self.ir.vocab.lookup(TokenKind::Deadline, &d.node)
                } else {
                    None
                }
            }
            None => None,
        };
        let by = match &a.by {
            Some(b) => {
                if self.check_token(TokenKind::Role, b) {
                    self.ir.vocab.lookup(TokenKind::Role, &b.node)
                } else {
                    None
                }
            }
            None => None,
        };
        // Named holders of the target roles.
        let mut holders: Vec<usize> = Vec::new();
        for t in &targets {
            if t.kind != TokenKind::Role {
                continue;
            }
            for (i, p) in self.ir.people.iter().enumerate() {
                if p.roles.contains(&t.sym) && !holders.contains(&i) {
                    holders.push(i);
                }
            }
        }
        let person = (!holders.is_empty()).then(|| {
            holders
                .iter()
                .filter_map(|&i| self.ir.people.get(i).map(|p| p.name.clone()))
                .collect::<Vec<_>>()
                .join(
                    if a.target_mode == ast::TargetMode::Any && a.targets.len() > 1 {
                        " or "
                    } else {
                        " and "
                    },
                )
        });
        let person_key = if holders.is_empty() {
            None
        } else {
            let next = u32::try_from(self.person_keys.len()).unwrap_or(u32::MAX);
            Some(*self.person_keys.entry(holders).or_insert(next))
        };
        let mut text = format!("{} {}", a.modality.node.keyword(), a.action.node);
        let sep = match a.target_mode {
            ast::TargetMode::Any => " or ",
            ast::TargetMode::All => " and ",
        };
        if !a.targets.is_empty() {
            text.push(' ');
            text.push_str(
                &a.targets
                    .iter()
                    .map(|t| t.node.as_str())
                    .collect::<Vec<_>>()
                    .join(sep),
            );
        }
        if let Some(d) = &a.deadline {
            if !a.modality.node.is_negative() {
                text.push_str(" due ");
                text.push_str(&d.node);
            }
        }
        if let Some(b) = &a.by {
            text.push_str(" by ");
            text.push_str(&b.node);
        }
        Some(ActionIr {
            modality: a.modality.node,
            action,
            targets,
            target_mode: if a.targets.len() > 1 {
                a.target_mode
            } else {
                ast::TargetMode::All
            },
            deadline,
            by,
            person,
            person_key,
            text,
        })
    }
}

/// Number of nodes in a condition tree.
fn cond_size(cond: &Cond) -> usize {
    match cond {
        Cond::Const(_) | Cond::Test(..) => 1,
        Cond::Not(c) => 1 + cond_size(c),
        Cond::And(cs) | Cond::Or(cs) => 1 + cs.iter().map(cond_size).sum::<usize>(),
        Cond::Quant { body, .. } => 1 + cond_size(body),
    }
}

/// Per-rule facts the checker needs beyond the IR.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatutoryInfo {
    pub(crate) statutory: bool,
    pub(crate) layer: usize,
    #[allow(dead_code, reason = "kept for diagnostics on removed rules")]
    pub(crate) removed: bool,
}

/// The glyphs that count as a tick (the seeds use Latin, Cyrillic and Greek X).
pub(crate) fn is_tick(glyph: &str) -> bool {
    matches!(
        glyph,
        "X" | "x" | "Х" | "х" | "Χ" | "χ" | "✓" | "✔" | "✗" | "✘"
    )
}

/// The vocabulary's word for a name authors often write instead (`sexting` is
/// `sharing_nudes`), per token kind.
const SYNONYMS: &[(TokenKind, &[&str], &str)] = &[
    (
        TokenKind::Category,
        &[
            "sexting",
            "nudes",
            "nude_images",
            "nude_selfies",
            "semi_nudes",
            "sharing_nudes_and_semi_nudes",
            "youth_produced_sexual_imagery",
            "self_generated_images",
        ],
        "sharing_nudes",
    ),
    (
        TokenKind::Category,
        &["bullying", "online_bullying", "cyber_bullying", "trolling"],
        "cyberbullying",
    ),
    (
        TokenKind::Category,
        &["extremism", "extremist_material", "radicalization"],
        "radicalisation",
    ),
    (
        TokenKind::Category,
        &["sexual_extortion", "financially_motivated_sexual_extortion"],
        "sextortion",
    ),
    (
        TokenKind::Category,
        &[
            "indecent_images",
            "indecent_images_of_children",
            "child_sexual_abuse_material",
            "child_abuse_images",
        ],
        "csam",
    ),
    (
        TokenKind::Category,
        &["peer_on_peer_abuse", "peer_abuse"],
        "child_on_child_abuse",
    ),
    (
        TokenKind::Category,
        &["self_harm", "suicide_risk", "suicidal_ideation"],
        "self_harm_risk",
    ),
    (
        TokenKind::Category,
        &["hacking", "virus", "malware", "computer_misuse"],
        "hacking_or_virus",
    ),
    (
        TokenKind::Category,
        &["data_breach", "gdpr_breach", "personal_data_breach"],
        "data_protection_breach",
    ),
    (TokenKind::Category, &["gambling"], "online_gambling"),
    (
        TokenKind::Category,
        &["piracy", "plagiarism"],
        "copyright_breach",
    ),
    (
        TokenKind::Category,
        &["filter_evasion", "vpn_use", "proxy_use"],
        "filter_bypass",
    ),
    (
        TokenKind::Category,
        &["fake_account"],
        "impersonation_account",
    ),
    (
        TokenKind::Role,
        &["designated_safeguarding_lead", "safeguarding_lead", "dsp"],
        "dsl",
    ),
    (
        TokenKind::Role,
        &["head", "head_teacher", "principal"],
        "headteacher",
    ),
    (
        TokenKind::Role,
        &["parent", "carer", "parents"],
        "parent_carer",
    ),
    (TokenKind::Role, &["ta"], "teaching_assistant"),
    (TokenKind::Role, &["deputy_head"], "deputy_headteacher"),
    (TokenKind::Role, &["student", "child", "learner"], "pupil"),
    (TokenKind::Role, &["chair"], "chair_of_governors"),
    (
        TokenKind::Agency,
        &["social_care", "social_services"],
        "childrens_social_care",
    ),
];

fn synonym(kind: TokenKind, name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    SYNONYMS
        .iter()
        .find(|(k, words, _)| *k == kind && words.contains(&name.as_str()))
        .map(|(_, _, word)| *word)
}

/// `name` if it is a declared deadline (written where a target was expected).
fn known_deadline(cx: &Checker, name: &str) -> Option<String> {
    cx.ir
        .vocab
        .names(TokenKind::Deadline)
        .into_iter()
        .find(|d| d == name)
}
