//! Conditions: resolve paths, check types, fold what can never hold.

use super::CriteriaIr;
use crate::check::resolve::unknown_name;
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{quote_list, Cond, FactTy, Field, PeopleList, Test, Tri, Vocab, Who};
use crate::limits::Limits;
use crate::record;
use crate::source::Span;
use crate::syntax::ast::{self, CmpOp, ExprKind, TestOp, TokenKind, Value};
use std::collections::HashMap;

/// What lowering a condition reads: the resolved vocabulary and the criteria lists lowered
/// before it (a condition may name only those).
pub(super) struct Scope<'a> {
    pub(super) vocab: &'a Vocab,
    pub(super) criteria: &'a HashMap<String, CriteriaIr>,
    pub(super) limits: &'a Limits,
}

/// Lower a condition. Also returns the depth of the deepest criteria list it refers to
/// (0 if none), from which a criteria list's own depth follows.
pub(super) fn lower(
    scope: &Scope<'_>,
    expr: &ast::Expr,
    diags: &mut Vec<Diagnostic>,
) -> (Cond, usize) {
    let mut cx = Conds {
        vocab: scope.vocab,
        criteria: scope.criteria,
        limits: scope.limits,
        diags,
        depth: 0,
    };
    let cond = cx.cond(expr, false);
    (cond, cx.depth)
}

/// The type of a resolved path.
#[derive(Clone, Debug)]
enum Ty {
    Token(TokenKind),
    Role,
    Fact(FactTy),
}

enum Resolved {
    Field(Field, Ty),
    Criteria(Cond),
}

/// What looking up a criteria reference found. A refusal has been reported already; a
/// missing list or item has not (the caller words it).
enum Lookup {
    Found(Cond),
    /// Over the depth or size limit: reported, not looked into.
    Refused,
    Missing,
}

/// Lowering one condition: the scope it reads, where its diagnostics go, and the depth of
/// the deepest criteria list it has referred to.
struct Conds<'a, 'd> {
    vocab: &'a Vocab,
    criteria: &'a HashMap<String, CriteriaIr>,
    limits: &'a Limits,
    diags: &'d mut Vec<Diagnostic>,
    depth: usize,
}

impl Conds<'_, '_> {
    /// Resolve a condition. `in_quant` is true inside `any(...)`/`all(...)`.
    fn cond(&mut self, expr: &ast::Expr, in_quant: bool) -> Cond {
        match &expr.kind {
            ExprKind::Bool(b) => Cond::Const(Tri::from_bool(*b)),
            ExprKind::Todo(what) => {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::to_complete",
                        format!("condition to complete: {}", what.node),
                        expr.span,
                    )
                    .with_label("to complete")
                    .with_help("replace `todo \"...\"` with the rule's condition"),
                );
                Cond::Const(Tri::Unknown)
            }
            ExprKind::Not(inner) => Cond::Not(Box::new(self.cond(inner, in_quant))),
            ExprKind::Or(parts) => Cond::Or(parts.iter().map(|p| self.cond(p, in_quant)).collect()),
            ExprKind::And(parts) => {
                let conds: Vec<Cond> = parts.iter().map(|p| self.cond(p, in_quant)).collect();
                if let Some(msg) = contradiction(self.vocab, &conds) {
                    self.diags.push(
                        Diagnostic::warning(
                            "haven::check::contradiction",
                            format!("condition can never hold: {msg}"),
                            expr.span,
                        )
                        .with_help("check the condition; the rule or row it guards is unreachable"),
                    );
                    return Cond::Const(Tri::False);
                }
                Cond::And(conds.into_boxed_slice())
            }
            ExprKind::Quantified {
                quantifier,
                list,
                body,
            } => {
                if in_quant {
                    self.diags.push(
                        Diagnostic::error(
                            "haven::check::nested_quantifier",
                            "`any(...)` and `all(...)` cannot be nested",
                            expr.span,
                        )
                        .with_help("combine the conditions inside one quantifier"),
                    );
                    return Cond::Const(Tri::Unknown);
                }
                let people = match list.node.as_str() {
                    "people" => PeopleList::People,
                    "others" => PeopleList::Others,
                    other => {
                        self.diags.push(
                            Diagnostic::error(
                                "haven::check::unknown_list",
                                format!("unknown list `{other}`"),
                                list.span,
                            )
                            .with_help(
                                "quantify over `people` (actor, subject and others) or `others`",
                            ),
                        );
                        return Cond::Const(Tri::Unknown);
                    }
                };
                Cond::Quant {
                    all: *quantifier == ast::Quantifier::All,
                    list: people,
                    body: Box::new(self.cond(body, true)),
                }
            }
            ExprKind::Test { path, op } => self.test(path, op.as_ref(), in_quant, expr.span),
        }
    }

    fn test(
        &mut self,
        path: &crate::source::Spanned<Vec<String>>,
        op: Option<&TestOp>,
        in_quant: bool,
        span: Span,
    ) -> Cond {
        let Some(resolved) = self.resolve_path(path, in_quant) else {
            return Cond::Const(Tri::Unknown);
        };
        let text = path.node.join(".");
        let (field, ty) = match resolved {
            Resolved::Criteria(cond) => {
                if op.is_some() {
                    self.diags.push(
                        Diagnostic::error(
                            "haven::check::type_mismatch",
                            format!("`{text}` is a criteria list; it cannot be compared"),
                            span,
                        )
                        .with_help(format!(
                            "write `{text}` alone: it holds when its criteria do"
                        )),
                    );
                }
                return cond;
            }
            Resolved::Field(field, ty) => (field, ty),
        };
        let Some(op) = op else {
            if matches!(ty, Ty::Fact(FactTy::Bool)) {
                return Cond::Test(field, Test::Truthy);
            }
            let hint = match &ty {
                Ty::Fact(FactTy::Int { .. }) => format!("compare it, e.g. `{text} >= 2`"),
                _ => format!("test it, e.g. `{text} is ...`"),
            };
            self.diags.push(
                Diagnostic::error(
                    "haven::check::not_a_condition",
                    format!("`{text}` is not a yes/no fact"),
                    path.span,
                )
                .with_help(hint),
            );
            return Cond::Const(Tri::Unknown);
        };
        match op {
            TestOp::Is(v) => self
                .is_test(field, &ty, v, &text)
                .unwrap_or(Cond::Const(Tri::Unknown)),
            TestOp::IsNot(v) => match self.is_test(field, &ty, v, &text) {
                Some(c) => Cond::Not(Box::new(c)),
                None => Cond::Const(Tri::Unknown),
            },
            TestOp::In(values) => self.in_test(field, &ty, values, &text),
            TestOp::Cmp(cmp, v) => self.cmp_test(field, &ty, *cmp, v, &text),
        }
    }

    fn resolve_path(
        &mut self,
        path: &crate::source::Spanned<Vec<String>>,
        in_quant: bool,
    ) -> Option<Resolved> {
        let segs: Vec<&str> = path.node.iter().map(String::as_str).collect();
        let who = record::person;
        // A token field of the record table; `device` alone means `device.kind`.
        let token_row = |segs: &[&str]| {
            let row = match segs {
                ["device"] => record::by_path("device.kind"),
                [a] => record::by_path(a),
                [a, b] => record::by_path(&format!("{a}.{b}")),
                _ => None,
            };
            match row?.slot {
                record::Slot::Token(f, k) => Some(Resolved::Field(f, Ty::Token(k))),
                _ => None,
            }
        };
        let resolved = match segs.as_slice() {
            s @ ([_] | [_, _]) if token_row(s).is_some() => token_row(s),
            [w] | [w, "role"] if who(w).is_some() => {
                who(w).map(|w| Resolved::Field(Field::Role(w), Ty::Role))
            }
            [w, fact] if who(w).is_some() => {
                let w = who(w)?;
                self.person_fact(fact, w, path.span)
            }
            ["role"] if in_quant => Some(Resolved::Field(Field::Role(Who::Each), Ty::Role)),
            [fact] if in_quant && self.vocab.person_fact_index.contains_key(*fact) => {
                self.person_fact(fact, Who::Each, path.span)
            }
            ["facts", fact] => self.fact(fact, path.span),
            [name] if self.vocab.fact_index.contains_key(*name) => self.fact(name, path.span),
            [name] if self.criteria.contains_key(*name) => {
                match self.criteria_ref(name, None, path.span) {
                    Lookup::Found(c) => Some(Resolved::Criteria(c)),
                    Lookup::Refused | Lookup::Missing => None,
                }
            }
            [name, item] if self.criteria.contains_key(*name) => {
                match self.criteria_ref(name, Some(item), path.span) {
                    Lookup::Found(c) => Some(Resolved::Criteria(c)),
                    // Already reported by the refusal; the item is not looked at.
                    Lookup::Refused => None,
                    Lookup::Missing => {
                        self.diags.push(Diagnostic::error(
                            "haven::check::unknown_criterion",
                            format!("criteria list `{name}` has no item `{item}`"),
                            path.span,
                        ));
                        None
                    }
                }
            }
            _ => {
                let mut known: Vec<String> = record::FIELDS
                    .iter()
                    .filter(|f| matches!(f.shape(), "token" | "person" | "object"))
                    .map(|f| f.path.to_owned())
                    .collect();
                known.extend(self.vocab.facts.iter().map(|f| f.name.clone()));
                let text = path.node.join(".");
                let mut d = Diagnostic::error(
                    "haven::check::unknown_name",
                    format!("unknown name `{text}`"),
                    path.span,
                )
                .with_label("not a field, fact or criteria list");
                let person_fact = self.vocab.person_fact_index.contains_key(text.as_str());
                if person_fact && !in_quant {
                    // `when age < 13`: a person fact needs the person it is about.
                    d = d
                        .with_label("a fact about a person: whose?")
                        .with_help(format!(
                        "`{text}` belongs to a person: write `actor.{text}` (whose conduct it is), `subject.{text}` (who is affected) or `reporter.{text}`; for anyone involved, `any(people: {text} ...)`"
                    ));
                } else if let Some(s) = suggest(&text, &known) {
                    d = d.with_suggestion(s);
                } else if in_quant {
                    d = d.with_help(
                        "inside `any(...)`/`all(...)` write person fields such as `role` or `age`",
                    );
                } else {
                    d = d.with_help(
                        "declare facts with `fact name: bool` (or use `std/vocabulary`)",
                    );
                }
                self.diags.push(d);
                None
            }
        };
        resolved
    }

    fn fact(&mut self, name: &str, span: Span) -> Option<Resolved> {
        match self.vocab.fact_index.get(name).copied() {
            Some(i) => {
                let ty = self.vocab.facts.get(i)?.ty.clone();
                Some(Resolved::Field(
                    Field::Fact(u16::try_from(i).ok()?),
                    Ty::Fact(ty),
                ))
            }
            None => {
                let names: Vec<String> = self.vocab.facts.iter().map(|f| f.name.clone()).collect();
                let mut d = Diagnostic::error(
                    "haven::check::unknown_fact",
                    format!("unknown fact `{name}`"),
                    span,
                );
                if let Some(s) = suggest(name, &names) {
                    d = d.with_suggestion(s);
                }
                self.diags.push(d);
                None
            }
        }
    }

    fn person_fact(&mut self, name: &str, who: Who, span: Span) -> Option<Resolved> {
        match self.vocab.person_fact_index.get(name).copied() {
            Some(i) => {
                let ty = self.vocab.person_facts.get(i)?.ty.clone();
                Some(Resolved::Field(
                    Field::PersonFact(who, u16::try_from(i).ok()?),
                    Ty::Fact(ty),
                ))
            }
            None => {
                let names: Vec<String> = self
                    .vocab
                    .person_facts
                    .iter()
                    .map(|f| f.name.clone())
                    .collect();
                let mut d = Diagnostic::error(
                    "haven::check::unknown_person_fact",
                    format!("unknown person fact `{name}`"),
                    span,
                );
                d = match suggest(name, &names) {
                    Some(s) => d.with_suggestion(s),
                    None => d.with_help(format!("person facts: `role`, {}", quote_list(&names))),
                };
                self.diags.push(d);
                None
            }
        }
    }

    fn type_error(&mut self, text: &str, ty: &Ty, v: &crate::source::Spanned<Value>) {
        let what = describe_ty(ty);
        let found = match &v.node {
            Value::Int(_) => "a number",
            Value::Bool(_) => "`true`/`false`",
            Value::Any => "`any`",
            Value::Name(_) => "a name",
        };
        self.diags.push(
            Diagnostic::error(
                "haven::check::type_mismatch",
                format!("`{text}` is {what}, but `{}` is {found}", v.node),
                v.span,
            )
            .with_label(format!("expected {what}")),
        );
    }

    fn is_test(
        &mut self,
        field: Field,
        ty: &Ty,
        v: &crate::source::Spanned<Value>,
        text: &str,
    ) -> Option<Cond> {
        if v.node == Value::Any {
            return Some(Cond::Test(field, Test::Present));
        }
        let test = match (ty, &v.node) {
            (Ty::Token(kind), Value::Name(n)) => match self.vocab.lookup(*kind, n) {
                Some(sym) if *kind == TokenKind::Category => {
                    match self.vocab.categories_under(sym) {
                        [] | [_] => Test::Sym(sym),
                        below => Test::Syms(below.into()),
                    }
                }
                Some(sym) => Test::Sym(sym),
                None => {
                    let d = unknown_name(self.vocab, *kind, n, v.span);
                    self.diags.push(d);
                    return None;
                }
            },
            (Ty::Role | Ty::Fact(FactTy::Role), Value::Name(n)) if n == "none" => {
                if matches!(ty, Ty::Role) {
                    self.diags.push(
                        Diagnostic::error(
                            "haven::check::type_mismatch",
                            "a person's role cannot be `none`".to_owned(),
                            v.span,
                        )
                        .with_help(format!("to test that the role is unknown, ask; `{text} is none` only applies to role facts such as `approved_by`")),
                    );
                    return None;
                }
                Test::RoleNone
            }
            (Ty::Role | Ty::Fact(FactTy::Role), Value::Name(n)) => {
                match self.vocab.lookup(TokenKind::Role, n) {
                    Some(sym) => Test::RoleIs(sym),
                    None => {
                        let d = unknown_name(self.vocab, TokenKind::Role, n, v.span);
                        self.diags.push(d);
                        return None;
                    }
                }
            }
            (Ty::Fact(FactTy::Bool), Value::Bool(b)) => Test::Bool(*b),
            (Ty::Fact(FactTy::Int { .. }), Value::Int(i)) => {
                return Some(self.cmp_cond(field, ty, CmpOp::Eq, *i, text, v.span));
            }
            (Ty::Fact(FactTy::Enum(values)), Value::Name(n)) => {
                match values.iter().position(|x| x == n) {
                    Some(i) => Test::Sym(u32::try_from(i).ok()?),
                    None => {
                        let mut d = Diagnostic::error(
                            "haven::check::unknown_value",
                            format!("`{n}` is not a value of `{text}`"),
                            v.span,
                        )
                        .with_help(format!("`{text}` is one of {}", quote_list(values)));
                        if let Some(s) = suggest(n, values) {
                            d = d.with_suggestion(s);
                        }
                        self.diags.push(d);
                        return None;
                    }
                }
            }
            _ => {
                self.type_error(text, ty, v);
                return None;
            }
        };
        Some(Cond::Test(field, test))
    }

    fn in_test(
        &mut self,
        field: Field,
        ty: &Ty,
        values: &[crate::source::Spanned<Value>],
        text: &str,
    ) -> Cond {
        let mut syms = Vec::new();
        let mut roles = Vec::new();
        let mut ors = Vec::new();
        for v in values {
            match self.is_test(field, ty, v, text) {
                Some(Cond::Test(_, Test::Sym(s))) if !syms.contains(&s) => syms.push(s),
                Some(Cond::Test(_, Test::Sym(_))) => {}
                Some(Cond::Test(_, Test::Syms(ss))) => {
                    for s in ss.iter() {
                        if !syms.contains(s) {
                            syms.push(*s);
                        }
                    }
                }
                Some(Cond::Test(_, Test::RoleIs(r))) => roles.push(r),
                Some(other) => ors.push(other),
                None => {}
            }
        }
        if !syms.is_empty() && roles.is_empty() && ors.is_empty() {
            return Cond::Test(field, Test::Syms(syms.into_boxed_slice()));
        }
        if !roles.is_empty() && syms.is_empty() && ors.is_empty() {
            return Cond::Test(field, Test::RoleIn(roles.into_boxed_slice()));
        }
        ors.extend(syms.into_iter().map(|s| Cond::Test(field, Test::Sym(s))));
        ors.extend(
            roles
                .into_iter()
                .map(|r| Cond::Test(field, Test::RoleIs(r))),
        );
        Cond::Or(ors.into_boxed_slice())
    }

    fn cmp_test(
        &mut self,
        field: Field,
        ty: &Ty,
        op: CmpOp,
        v: &crate::source::Spanned<Value>,
        text: &str,
    ) -> Cond {
        match (ty, &v.node) {
            (Ty::Fact(FactTy::Int { .. }), Value::Int(i)) => {
                self.cmp_cond(field, ty, op, *i, text, v.span)
            }
            (_, _)
                if matches!(op, CmpOp::Eq | CmpOp::Ne)
                    && !matches!(ty, Ty::Fact(FactTy::Int { .. })) =>
            {
                match self.is_test(field, ty, v, text) {
                    Some(c) if op == CmpOp::Ne => Cond::Not(Box::new(c)),
                    Some(c) => c,
                    None => Cond::Const(Tri::Unknown),
                }
            }
            (Ty::Fact(FactTy::Int { .. }), _) => {
                self.type_error(text, ty, v);
                Cond::Const(Tri::Unknown)
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::type_mismatch",
                        format!(
                            "`{}` compares numbers, but `{text}` is {}",
                            op.symbol(),
                            describe_ty(ty)
                        ),
                        v.span,
                    )
                    .with_help(format!("write `{text} is {}`", v.node)),
                );
                Cond::Const(Tri::Unknown)
            }
        }
    }

    fn cmp_cond(
        &mut self,
        field: Field,
        ty: &Ty,
        op: CmpOp,
        value: i64,
        text: &str,
        span: Span,
    ) -> Cond {
        if let Ty::Fact(FactTy::Int { min, max }) = ty {
            let possible = match op {
                CmpOp::Eq => (*min..=*max).contains(&value),
                CmpOp::Ne => true,
                CmpOp::Lt => value > *min,
                CmpOp::Le => value >= *min,
                CmpOp::Gt => value < *max,
                CmpOp::Ge => value <= *max,
            };
            if !possible {
                self.diags.push(
                    Diagnostic::warning(
                        "haven::check::impossible_comparison",
                        format!("`{text} {} {value}` can never hold", op.symbol()),
                        span,
                    )
                    .with_label(format!("`{text}` lies between {min} and {max}")),
                );
                return Cond::Const(Tri::Unknown);
            }
        }
        Cond::Test(field, Test::Cmp(op, value))
    }

    /// The condition of criteria list `name` (or one of its items), inlined. Refuses, with a
    /// located error, lists that nest or expand beyond the limits, before copying anything.
    /// A missing list or item is left to the caller to report.
    fn criteria_ref(&mut self, name: &str, item: Option<&str>, span: Span) -> Lookup {
        let Some(c) = self.criteria.get(name) else {
            return Lookup::Missing;
        };
        let (depth, size) = (c.depth, c.size);
        let limits = &self.limits;
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
            return Lookup::Refused;
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
            return Lookup::Refused;
        }
        self.depth = self.depth.max(depth);
        let found = match item {
            None => Some(&c.cond),
            Some(i) => c.items.get(i),
        };
        match found {
            Some(cond) => Lookup::Found(cond.clone()),
            None => Lookup::Missing,
        }
    }
}

fn describe_ty(ty: &Ty) -> String {
    match ty {
        Ty::Token(k) => format!("a {}", k.keyword()),
        Ty::Role => "a role".to_owned(),
        Ty::Fact(FactTy::Bool) => "yes/no".to_owned(),
        Ty::Fact(FactTy::Int { min, max }) => format!("a number from {min} to {max}"),
        Ty::Fact(FactTy::Role) => "a role".to_owned(),
        Ty::Fact(FactTy::Enum(v)) => format!("one of {}", quote_list(v)),
    }
}

/// Two equality tests on the same field with different values in one conjunction.
fn contradiction(vocab: &Vocab, conds: &[Cond]) -> Option<String> {
    for (i, a) in conds.iter().enumerate() {
        let Cond::Test(fa, Test::Sym(sa)) = a else {
            continue;
        };
        for b in conds.iter().skip(i + 1) {
            let Cond::Test(fb, Test::Sym(sb)) = b else {
                continue;
            };
            if fa == fb && sa != sb {
                return Some(match fa.record_token_kind() {
                    Some(k) => format!(
                        "`{}` cannot be both `{}` and `{}`",
                        k.keyword(),
                        vocab.name(k, *sa),
                        vocab.name(k, *sb)
                    ),
                    None => "a field cannot have two values".to_owned(),
                });
            }
        }
    }
    None
}
