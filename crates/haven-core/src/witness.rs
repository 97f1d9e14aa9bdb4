//! Witness incidents: a record on which a set of conditions all hold.
//!
//! Conditions range over finite vocabularies and bounded integers, so the search is exact
//! over a finite partition: each field a condition tests takes one of the values the
//! conditions name (plus one value none names, and the neighbours of every compared
//! number). A depth-first search assigns fields one at a time and prunes as soon as the
//! three-valued evaluation of any condition is false on the partial record (an unassigned
//! field is unknown, so a false verdict on a partial record is false on every completion).
//! Fields no condition needs stay absent from the witness.
//!
//! Completeness over that partition: two values a condition cannot tell apart (neither is
//! named by a test, and they sit on the same side of every comparison) give every
//! condition the same truth value, so trying one representative per class loses nothing.
//! People: quantifiers range over the actor and the subject (`others` is empty), which is
//! enough for any condition on at most two people.

use crate::eval;
use crate::incident::{Incident, Person, Val};
use crate::ir::{Cond, FactTy, Field, PolicyIr, Sym, Test, Tri, Who};
use crate::syntax::ast::TokenKind;
use serde_json::{Map, Value};

/// What a search found.
#[derive(Debug)]
pub(crate) enum Search {
    /// A record on which every condition holds.
    Found(Box<Incident>),
    /// No record can make them all hold.
    Impossible,
    /// The search stopped at its bound before deciding.
    GaveUp,
}

/// A field of one concrete person or of the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Top(Field),
    Role(Who),
    PersonFact(Who, u16),
}

/// Find a record on which every one of `conds` is true, visiting at most `budget` partial
/// records.
pub(crate) fn find(ir: &PolicyIr, conds: &[&Cond], budget: usize) -> Search {
    find_within(ir, conds, budget, &|_, _| true)
}

/// Which values a search may give a field; a field given none stays unknown.
pub(crate) type Allow<'a> = dyn Fn(FieldRef, Val) -> bool + 'a;

/// A field of the record, as a restriction sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldRef {
    /// A top-level field.
    Top(Field),
    /// A person's role.
    Role,
    /// A person fact.
    PersonFact(u16),
}

/// [`find`], giving fields only the values `allow` accepts (the rest stay unknown).
pub(crate) fn find_within(
    ir: &PolicyIr,
    conds: &[&Cond],
    budget: usize,
    allow: &Allow<'_>,
) -> Search {
    let mut slots: Vec<Slot> = Vec::new();
    let mut numbers: Vec<(Slot, i64)> = Vec::new();
    let mut syms: Vec<(Slot, Sym)> = Vec::new();
    for c in conds {
        collect(c, &mut slots, &mut numbers, &mut syms);
    }
    let mut inc = blank(ir);
    let mut visited = 0usize;
    let space = Space {
        slots: &slots,
        numbers: &numbers,
        syms: &syms,
        allow,
    };
    match dfs(ir, conds, &space, 0, &mut inc, &mut visited, budget) {
        Some(true) => Search::Found(Box::new(inc)),
        Some(false) => Search::Impossible,
        None => Search::GaveUp,
    }
}

pub(crate) fn blank(ir: &PolicyIr) -> Incident {
    let person = || Person {
        role: Val::Unknown,
        facts: vec![Val::Unknown; ir.vocab.person_facts.len()],
    };
    Incident {
        id: None,
        category: Val::Unknown,
        activity: Val::Unknown,
        location: Val::Unknown,
        time: Val::Unknown,
        device_kind: Val::Unknown,
        device_owner: Val::Unknown,
        actor: Some(person()),
        subject: Some(person()),
        reporter: Some(person()),
        others: Some(Vec::new()),
        facts: vec![Val::Unknown; ir.vocab.facts.len()],
        occurred_at: None,
        reported_at: None,
    }
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// The slots a condition reads, with the numbers and tokens it names.
pub(crate) fn collect(
    cond: &Cond,
    slots: &mut Vec<Slot>,
    numbers: &mut Vec<(Slot, i64)>,
    syms: &mut Vec<(Slot, Sym)>,
) {
    match cond {
        Cond::Const(_) => {}
        Cond::Not(c) => collect(c, slots, numbers, syms),
        Cond::And(cs) | Cond::Or(cs) => {
            for c in cs.iter() {
                collect(c, slots, numbers, syms);
            }
        }
        Cond::Quant { body, .. } => collect(body, slots, numbers, syms),
        Cond::Test(field, test) => {
            let concrete: Vec<Slot> = match field {
                Field::Role(Who::Each) => vec![Slot::Role(Who::Actor), Slot::Role(Who::Subject)],
                Field::PersonFact(Who::Each, i) => vec![
                    Slot::PersonFact(Who::Actor, *i),
                    Slot::PersonFact(Who::Subject, *i),
                ],
                Field::Role(w) => vec![Slot::Role(*w)],
                Field::PersonFact(w, i) => vec![Slot::PersonFact(*w, *i)],
                other => vec![Slot::Top(*other)],
            };
            for slot in concrete {
                push(slots, slot);
                match test {
                    Test::Cmp(_, c) => push(numbers, (slot, *c)),
                    Test::Sym(s) | Test::RoleIs(s) => push(syms, (slot, *s)),
                    Test::Syms(ss) | Test::RoleIn(ss) => {
                        for s in ss.iter() {
                            push(syms, (slot, *s));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

pub(crate) fn set(inc: &mut Incident, slot: Slot, v: Val) {
    let target: Option<&mut Val> = match slot {
        Slot::Top(Field::Category) => Some(&mut inc.category),
        Slot::Top(Field::Activity) => Some(&mut inc.activity),
        Slot::Top(Field::Location) => Some(&mut inc.location),
        Slot::Top(Field::Time) => Some(&mut inc.time),
        Slot::Top(Field::DeviceKind) => Some(&mut inc.device_kind),
        Slot::Top(Field::DeviceOwner) => Some(&mut inc.device_owner),
        Slot::Top(Field::Fact(i)) => inc.facts.get_mut(usize::from(i)),
        Slot::Top(_) => None,
        Slot::Role(w) => who_mut(inc, w).map(|p| &mut p.role),
        Slot::PersonFact(w, i) => who_mut(inc, w).and_then(|p| p.facts.get_mut(usize::from(i))),
    };
    if let Some(t) = target {
        *t = v;
    }
}

/// The value of `slot` on `inc`.
pub(crate) fn get(inc: &Incident, slot: Slot) -> Val {
    let who = |w: Who| match w {
        Who::Actor => inc.actor.as_ref(),
        Who::Subject => inc.subject.as_ref(),
        Who::Reporter => inc.reporter.as_ref(),
        Who::Each => None,
    };
    match slot {
        Slot::Top(Field::Category) => inc.category,
        Slot::Top(Field::Activity) => inc.activity,
        Slot::Top(Field::Location) => inc.location,
        Slot::Top(Field::Time) => inc.time,
        Slot::Top(Field::DeviceKind) => inc.device_kind,
        Slot::Top(Field::DeviceOwner) => inc.device_owner,
        Slot::Top(Field::Fact(i)) => inc
            .facts
            .get(usize::from(i))
            .copied()
            .unwrap_or(Val::Unknown),
        Slot::Top(_) => Val::Unknown,
        Slot::Role(w) => who(w).map_or(Val::Unknown, |p| p.role),
        Slot::PersonFact(w, i) => who(w)
            .and_then(|p| p.facts.get(usize::from(i)).copied())
            .unwrap_or(Val::Unknown),
    }
}

/// The record path of `slot`, as questions and incident errors name it.
pub(crate) fn path(ir: &PolicyIr, slot: Slot) -> String {
    let who = |w: Who| match w {
        Who::Actor => "actor",
        Who::Subject => "subject",
        Who::Reporter => "reporter",
        Who::Each => "each",
    };
    match slot {
        Slot::Top(Field::Category) => "category".to_owned(),
        Slot::Top(Field::Activity) => "activity".to_owned(),
        Slot::Top(Field::Location) => "location".to_owned(),
        Slot::Top(Field::Time) => "time".to_owned(),
        Slot::Top(Field::DeviceKind) => "device.kind".to_owned(),
        Slot::Top(Field::DeviceOwner) => "device.owner".to_owned(),
        Slot::Top(Field::Fact(i)) => format!(
            "facts.{}",
            ir.vocab
                .facts
                .get(usize::from(i))
                .map_or("?", |f| f.name.as_str())
        ),
        Slot::Top(_) => "?".to_owned(),
        Slot::Role(w) => format!("{}.role", who(w)),
        Slot::PersonFact(w, i) => format!(
            "{}.{}",
            who(w),
            ir.vocab
                .person_facts
                .get(usize::from(i))
                .map_or("?", |f| f.name.as_str())
        ),
    }
}

/// A value of `slot` as JSON (what a record would hold), or `None` for unknown.
pub(crate) fn value_json(ir: &PolicyIr, slot: Slot, val: Val) -> Option<Value> {
    let v = &ir.vocab;
    let kind = match slot {
        Slot::Top(Field::Category) => Some(TokenKind::Category),
        Slot::Top(Field::Activity) => Some(TokenKind::Activity),
        Slot::Top(Field::Location) => Some(TokenKind::Location),
        Slot::Top(Field::Time) => Some(TokenKind::Time),
        Slot::Top(Field::DeviceKind) => Some(TokenKind::Device),
        Slot::Top(Field::DeviceOwner) => Some(TokenKind::Owner),
        Slot::Role(_) => Some(TokenKind::Role),
        _ => None,
    };
    let ty = match slot {
        Slot::Top(Field::Fact(i)) => v.facts.get(usize::from(i)).map(|f| &f.ty),
        Slot::PersonFact(_, i) => v.person_facts.get(usize::from(i)).map(|f| &f.ty),
        _ => None,
    };
    match (kind, ty, val) {
        (_, _, Val::Unknown) => None,
        (_, _, Val::Absent) => Some(Value::Null),
        (_, _, Val::Bool(b)) => Some(Value::Bool(b)),
        (_, _, Val::Int(i)) => Some(Value::from(i)),
        (_, _, Val::RoleNone) => Some(Value::String("none".to_owned())),
        (Some(k), _, Val::Sym(s)) => Some(Value::String(v.name(k, s).to_owned())),
        (None, Some(FactTy::Role), Val::Sym(s)) => {
            Some(Value::String(v.name(TokenKind::Role, s).to_owned()))
        }
        (None, Some(FactTy::Enum(values)), Val::Sym(s)) => {
            values.get(s as usize).map(|x| Value::String(x.clone()))
        }
        _ => None,
    }
}

fn who_mut(inc: &mut Incident, w: Who) -> Option<&mut Person> {
    match w {
        Who::Actor => inc.actor.as_mut(),
        Who::Subject => inc.subject.as_mut(),
        Who::Reporter => inc.reporter.as_mut(),
        Who::Each => None,
    }
}

/// One value per class of the partition, for `slot`.
pub(crate) fn candidates(
    ir: &PolicyIr,
    slot: Slot,
    numbers: &[(Slot, i64)],
    syms: &[(Slot, Sym)],
) -> Vec<Val> {
    let named: Vec<Sym> = syms
        .iter()
        .filter(|(s, _)| *s == slot)
        .map(|(_, x)| *x)
        .collect();
    let tokens = |kind: TokenKind, named: &[Sym]| -> Vec<Val> {
        let n = Sym::try_from(ir.vocab.count(kind)).unwrap_or(0);
        let mut out: Vec<Val> = named.iter().map(|s| Val::Sym(*s)).collect();
        if let Some(other) = (0..n).find(|s| !named.contains(s)) {
            out.push(Val::Sym(other));
        }
        out
    };
    let all_roles = || -> Vec<Val> {
        let n = Sym::try_from(ir.vocab.count(TokenKind::Role)).unwrap_or(0);
        (0..n).map(Val::Sym).collect()
    };
    let ints = |min: i64, max: i64| -> Vec<Val> {
        let mut out = Vec::new();
        for &(s, c) in numbers {
            if s != slot {
                continue;
            }
            for v in [c.saturating_sub(1), c, c.saturating_add(1)] {
                if (min..=max).contains(&v) {
                    push(&mut out, Val::Int(v));
                }
            }
        }
        push(&mut out, Val::Int(min));
        push(&mut out, Val::Int(max));
        out
    };
    let fact = |ty: &FactTy| -> Vec<Val> {
        match ty {
            FactTy::Bool => vec![Val::Bool(true), Val::Bool(false)],
            FactTy::Int { min, max } => ints(*min, *max),
            FactTy::Role => {
                let mut v = all_roles();
                v.push(Val::RoleNone);
                v
            }
            FactTy::Enum(values) => (0..values.len())
                .filter_map(|i| Sym::try_from(i).ok().map(Val::Sym))
                .collect(),
        }
    };
    match slot {
        Slot::Top(Field::Category) => {
            let mut v = tokens(TokenKind::Category, &named);
            v.push(Val::Absent);
            v
        }
        Slot::Top(Field::Activity) => {
            let mut v = tokens(TokenKind::Activity, &named);
            v.push(Val::Absent);
            v
        }
        Slot::Top(Field::Location) => tokens(TokenKind::Location, &named),
        Slot::Top(Field::Time) => tokens(TokenKind::Time, &named),
        Slot::Top(Field::DeviceKind) => tokens(TokenKind::Device, &named),
        Slot::Top(Field::DeviceOwner) => tokens(TokenKind::Owner, &named),
        Slot::Top(Field::Fact(i)) => ir
            .vocab
            .facts
            .get(usize::from(i))
            .map_or_else(Vec::new, |f| fact(&f.ty)),
        Slot::Top(_) => Vec::new(),
        Slot::Role(_) => all_roles(),
        Slot::PersonFact(_, i) => ir
            .vocab
            .person_facts
            .get(usize::from(i))
            .map_or_else(Vec::new, |f| fact(&f.ty)),
    }
}

/// The search space: the fields to assign and the values the conditions name.
struct Space<'a> {
    slots: &'a [Slot],
    numbers: &'a [(Slot, i64)],
    syms: &'a [(Slot, Sym)],
    allow: &'a Allow<'a>,
}

/// `Some(true)`: found (left in `inc`); `Some(false)`: impossible; `None`: out of budget.
fn dfs(
    ir: &PolicyIr,
    conds: &[&Cond],
    space: &Space<'_>,
    next: usize,
    inc: &mut Incident,
    visited: &mut usize,
    budget: usize,
) -> Option<bool> {
    *visited += 1;
    if *visited > budget {
        return None;
    }
    let mut all_true = true;
    for c in conds {
        match eval::truth(ir, inc, c) {
            Tri::False => return Some(false),
            Tri::Unknown => all_true = false,
            Tri::True => {}
        }
    }
    if all_true {
        return Some(true);
    }
    let Some(&slot) = space.slots.get(next) else {
        return Some(false);
    };
    let field = match slot {
        Slot::Top(f) => FieldRef::Top(f),
        Slot::Role(_) => FieldRef::Role,
        Slot::PersonFact(_, i) => FieldRef::PersonFact(i),
    };
    let mut values = candidates(ir, slot, space.numbers, space.syms);
    values.retain(|v| (space.allow)(field, *v));
    // A field no allowed value fits stays unknown.
    if values.is_empty() {
        return dfs(ir, conds, space, next + 1, inc, visited, budget);
    }
    for v in values {
        set(inc, slot, v);
        match dfs(ir, conds, space, next + 1, inc, visited, budget) {
            Some(true) => return Some(true),
            None => return None,
            Some(false) => {}
        }
    }
    set(inc, slot, Val::Unknown);
    Some(false)
}

/// The record as incident JSON (contract v1), leaving out what is unknown.
pub(crate) fn to_json(ir: &PolicyIr, inc: &Incident) -> Value {
    let v = &ir.vocab;
    let mut m = Map::new();
    let token = |kind: TokenKind, val: Val| match val {
        Val::Sym(s) => Some(Value::String(v.name(kind, s).to_owned())),
        _ => None,
    };
    let fact_value = |ty: &FactTy, val: Val| -> Option<Value> {
        match (ty, val) {
            (_, Val::Bool(b)) => Some(Value::Bool(b)),
            (_, Val::Int(i)) => Some(Value::from(i)),
            (_, Val::RoleNone) => Some(Value::String("none".to_owned())),
            (FactTy::Role, Val::Sym(s)) => {
                Some(Value::String(v.name(TokenKind::Role, s).to_owned()))
            }
            (FactTy::Enum(values), Val::Sym(s)) => {
                values.get(s as usize).map(|x| Value::String(x.clone()))
            }
            _ => None,
        }
    };
    let person = |p: &Person| -> Option<Value> {
        let mut pm = Map::new();
        if let Some(r) = token(TokenKind::Role, p.role) {
            pm.insert("role".to_owned(), r);
        }
        for (i, val) in p.facts.iter().enumerate() {
            if let Some(info) = v.person_facts.get(i) {
                if let Some(x) = fact_value(&info.ty, *val) {
                    pm.insert(info.name.clone(), x);
                }
            }
        }
        (!pm.is_empty()).then_some(Value::Object(pm))
    };
    if let Some(c) = token(TokenKind::Category, inc.category) {
        m.insert("category".to_owned(), c);
    }
    if let Some(a) = token(TokenKind::Activity, inc.activity) {
        m.insert("activity".to_owned(), a);
    }
    for (key, who) in [
        ("actor", &inc.actor),
        ("subject", &inc.subject),
        ("reporter", &inc.reporter),
    ] {
        if let Some(p) = who.as_ref().and_then(person) {
            m.insert(key.to_owned(), p);
        }
    }
    let mut device = Map::new();
    if let Some(k) = token(TokenKind::Device, inc.device_kind) {
        device.insert("kind".to_owned(), k);
    }
    if let Some(o) = token(TokenKind::Owner, inc.device_owner) {
        device.insert("owner".to_owned(), o);
    }
    if !device.is_empty() {
        m.insert("device".to_owned(), Value::Object(device));
    }
    if let Some(l) = token(TokenKind::Location, inc.location) {
        m.insert("location".to_owned(), l);
    }
    if let Some(t) = token(TokenKind::Time, inc.time) {
        m.insert("time".to_owned(), t);
    }
    let mut facts = Map::new();
    for (i, val) in inc.facts.iter().enumerate() {
        if let Some(info) = v.facts.get(i) {
            if let Some(x) = fact_value(&info.ty, *val) {
                facts.insert(info.name.clone(), x);
            }
        }
    }
    if !facts.is_empty() {
        m.insert("facts".to_owned(), Value::Object(facts));
    }
    if !m.contains_key("category") && !m.contains_key("activity") {
        // The contract needs one of them; a witness for conditions on neither is any
        // request, so name the first activity.
        if let Some(a) = token(TokenKind::Activity, Val::Sym(0)) {
            m.insert("activity".to_owned(), a);
        }
    }
    Value::Object(m)
}

/// The whole record as incident JSON: as [`to_json`], with the `others` list when known
/// (an empty list included) and the incident id.
pub(crate) fn record_json(ir: &PolicyIr, inc: &Incident) -> Value {
    let mut v = to_json(ir, inc);
    if let Value::Object(m) = &mut v {
        if let Some(others) = &inc.others {
            let list: Vec<Value> = others
                .iter()
                .map(|p| {
                    let probe = Incident {
                        actor: Some(p.clone()),
                        ..blank(ir)
                    };
                    to_json(ir, &probe)
                        .get("actor")
                        .cloned()
                        .unwrap_or_else(|| Value::Object(Map::new()))
                })
                .collect();
            m.insert("others".to_owned(), Value::Array(list));
        }
        if let Some(id) = &inc.id {
            m.insert("id".to_owned(), (**id).clone());
        }
        for (key, t) in [
            ("occurred_at", inc.occurred_at),
            ("reported_at", inc.reported_at),
        ] {
            if let Some(t) = t {
                m.insert(key.to_owned(), Value::String(t.to_rfc3339()));
            }
        }
    }
    v
}
