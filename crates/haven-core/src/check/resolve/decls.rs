//! Declarations: tokens and facts, the role and category hierarchies, fact relations and
//! named people.

use super::{unknown_name, Resolver};
use crate::check::load::{is_shared_vocabulary, Loaded};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{FactInfo, FactRelationIr, FactTy, PersonIr, Sym, TokenInfo};
use crate::syntax::ast::{self, Item, TokenKind};

impl Resolver<'_> {
    /// Declare `f`'s tokens and facts (a name declared twice is an error; its first
    /// declaration stands).
    pub(super) fn declarations(&mut self, f: &Loaded) {
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
                    let vocab = &mut self.vocab;
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
                    let vocab = &mut self.vocab;
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

    /// The role `is_a` matrix: each role with every role above it (transitively).
    pub(super) fn role_hierarchy(&mut self) {
        let n = self.vocab.count(TokenKind::Role);
        let mut is_a = vec![false; n * n];
        for i in 0..n {
            if let Some(cell) = is_a.get_mut(i * n + i) {
                *cell = true;
            }
        }
        // Transitive closure by walking parents (the hierarchy is small).
        let parents: Vec<Vec<Sym>> = self
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
        self.vocab.role_is_a = is_a;
    }

    /// Resolve `is parent` on roles and categories once every token is declared.
    pub(super) fn resolve_role_parents(&mut self, f: &Loaded) {
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
            let Some(sym) = self.vocab.lookup(kind, &name.node) else {
                continue;
            };
            let mut resolved = Vec::new();
            for p in parents {
                match self.vocab.lookup(kind, &p.node) {
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
                        let d = unknown_name(&self.vocab, kind, &p.node, p.span);
                        self.diags.push(d);
                    }
                }
            }
            if let Some(info) = self
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
    pub(super) fn fact_relations(&mut self, f: &Loaded) {
        for item in &f.file.items {
            let Item::Relation(rel) = item else { continue };
            let mut lit = |l: &ast::FactLiteral| -> Option<(u16, bool)> {
                let vocab = &self.vocab;
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
            self.vocab.relations.push(FactRelationIr {
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
    pub(super) fn category_hierarchy(&mut self) {
        let parents: Vec<Vec<Sym>> = self
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
        self.vocab.category_below = below;
    }

    /// `f`'s named people with their roles; a person named again gets the new roles too.
    pub(super) fn people(&mut self, f: &Loaded) {
        for item in &f.file.items {
            let Item::Person(p) = item else { continue };
            let mut roles = Vec::new();
            for r in &p.roles {
                match self.vocab.lookup(TokenKind::Role, &r.node) {
                    Some(sym) => roles.push(sym),
                    None => {
                        let d = unknown_name(&self.vocab, TokenKind::Role, &r.node, r.span);
                        self.diags.push(d);
                    }
                }
            }
            if let Some(prev) = self.people.iter().position(|q| q.name == p.name.node) {
                // The same person named twice (e.g. in the baseline and the school): merge roles.
                if let Some(existing) = self.people.get_mut(prev) {
                    for r in roles {
                        if !existing.roles.contains(&r) {
                            existing.roles.push(r);
                        }
                    }
                }
            } else {
                self.people.push(PersonIr {
                    name: p.name.node.clone(),
                    roles,
                });
            }
        }
    }
}
