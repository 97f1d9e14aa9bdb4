//! Conditions in plain English, for explanations and diff reports: `facts.adult_involved is
//! true and someone involved has age under 13`. Criteria lists that were inlined where a
//! rule names them are recognised and named (`criterion ukcis_immediate_referral.c1`).

use crate::ir::{Cond, Field, PeopleList, PolicyIr, Test, Tri, Who};
use crate::syntax::ast::{CmpOp, TokenKind};
use crate::witness::{self, Slot};

/// The criterion whose condition is exactly `cond`, as `list.item` (or `list`).
pub(crate) fn criterion_name(ir: &PolicyIr, cond: &Cond) -> Option<String> {
    // An item first: a one-item list is better named by its item.
    let hit = ir
        .criteria
        .iter()
        .filter(|c| c.cond == *cond)
        .min_by_key(|c| c.item.is_none())?;
    Some(match &hit.item {
        Some(i) => format!("{}.{i}", hit.list),
        None => hit.list.clone(),
    })
}

fn who(w: Who) -> &'static str {
    match w {
        Who::Actor => "actor",
        Who::Subject => "subject",
        Who::Reporter => "reporter",
        Who::Each => "they",
    }
}

fn field_path(ir: &PolicyIr, f: Field) -> String {
    match f {
        Field::Role(Who::Each) => "their role".to_owned(),
        Field::PersonFact(Who::Each, i) => format!(
            "their {}",
            ir.vocab
                .person_facts
                .get(usize::from(i))
                .map_or("?", |p| p.name.as_str())
        ),
        Field::Role(w) => format!("{}.role", who(w)),
        Field::PersonFact(w, i) => witness::path(ir, Slot::PersonFact(w, i)),
        other => witness::path(ir, Slot::Top(other)),
    }
}

fn sym_name(ir: &PolicyIr, f: Field, s: u32) -> String {
    if let Some(k) = ir.token_kind(f) {
        return ir.vocab.name(k, s).to_owned();
    }
    let ty = match f {
        Field::Fact(i) => ir.vocab.facts.get(usize::from(i)).map(|f| &f.ty),
        Field::PersonFact(_, i) => ir.vocab.person_facts.get(usize::from(i)).map(|f| &f.ty),
        _ => None,
    };
    match ty {
        Some(crate::ir::FactTy::Enum(values)) => values
            .get(s as usize)
            .cloned()
            .unwrap_or_else(|| "?".to_owned()),
        _ => "?".to_owned(),
    }
}

fn op_text(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "is",
        CmpOp::Ne => "is not",
        CmpOp::Lt => "is under",
        CmpOp::Le => "is at most",
        CmpOp::Gt => "is over",
        CmpOp::Ge => "is at least",
    }
}

/// One test in words, optionally negated.
pub(crate) fn test_text(ir: &PolicyIr, f: Field, t: &Test, negated: bool) -> String {
    let path = field_path(ir, f);
    let list = |ss: &[u32]| {
        ss.iter()
            .map(|s| sym_name(ir, f, *s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (yes, no) = match t {
        Test::Truthy => (format!("{path} is true"), format!("{path} is not true")),
        Test::Bool(b) => (format!("{path} is {b}"), format!("{path} is not {b}")),
        Test::Present => (format!("{path} is given"), format!("{path} is not given")),
        Test::Sym(s) => {
            let n = sym_name(ir, f, *s);
            (format!("{path} is {n}"), format!("{path} is not {n}"))
        }
        Test::Syms(ss) => (
            format!("{path} is one of [{}]", list(ss)),
            format!("{path} is none of [{}]", list(ss)),
        ),
        Test::RoleIs(r) => {
            let n = ir.vocab.name(TokenKind::Role, *r);
            (format!("{path} is {n}"), format!("{path} is not {n}"))
        }
        Test::RoleIn(rs) => {
            let names: Vec<&str> = rs
                .iter()
                .map(|r| ir.vocab.name(TokenKind::Role, *r))
                .collect();
            (
                format!("{path} is one of [{}]", names.join(", ")),
                format!("{path} is none of [{}]", names.join(", ")),
            )
        }
        Test::RoleNone => (format!("{path} is none"), format!("{path} is not none")),
        Test::Cmp(op, c) => {
            let neg = match op {
                CmpOp::Eq => CmpOp::Ne,
                CmpOp::Ne => CmpOp::Eq,
                CmpOp::Lt => CmpOp::Ge,
                CmpOp::Le => CmpOp::Gt,
                CmpOp::Gt => CmpOp::Le,
                CmpOp::Ge => CmpOp::Lt,
            };
            (
                format!("{path} {} {c}", op_text(*op)),
                format!("{path} {} {c}", op_text(neg)),
            )
        }
    };
    if negated {
        no
    } else {
        yes
    }
}

/// A whole condition in words.
pub(crate) fn cond_text(ir: &PolicyIr, cond: &Cond) -> String {
    text(ir, cond, false, true)
}

fn text(ir: &PolicyIr, cond: &Cond, negated: bool, top: bool) -> String {
    if let Some(name) = criterion_name(ir, cond) {
        let inner = text_plain(ir, cond, false, true);
        let body = format!("criterion {name} ({inner})");
        return if negated { format!("not {body}") } else { body };
    }
    text_plain(ir, cond, negated, top)
}

fn text_plain(ir: &PolicyIr, cond: &Cond, negated: bool, top: bool) -> String {
    match cond {
        Cond::Const(t) => match (t, negated) {
            (Tri::True, false) | (Tri::False, true) => "always".to_owned(),
            (Tri::False, false) | (Tri::True, true) => "never".to_owned(),
            (Tri::Unknown, _) => "unknown".to_owned(),
        },
        Cond::Not(c) => text(ir, c, !negated, top),
        Cond::Test(f, t) => test_text(ir, *f, t, negated),
        Cond::And(cs) | Cond::Or(cs) => {
            let is_and = matches!(cond, Cond::And(_)) != negated;
            let parts: Vec<String> = cs.iter().map(|c| text(ir, c, negated, false)).collect();
            let joined = parts.join(if is_and { " and " } else { " or " });
            if top || parts.len() < 2 {
                joined
            } else {
                format!("({joined})")
            }
        }
        Cond::Quant { all, list, body } => {
            let who = match list {
                PeopleList::Others => "other person involved",
                PeopleList::People => "person involved",
            };
            let all = *all != negated;
            let q = if all { "every" } else { "some" };
            format!("for {q} {who}, {}", text(ir, body, negated, false))
        }
    }
}
