//! Three-valued evaluation. A missing fact is unknown, never false: a rule whose condition
//! is unknown contributes questions, never a silent "no". Evaluation is a fixed number of
//! passes over the rules: it always terminates and is deterministic.

use crate::decision::{ActionOut, Decision, PermissionOut, Question, RuleList};
use crate::incident::{Incident, Person, Val};
use crate::ir::*;
use crate::syntax::ast::{CmpOp, Modality, PermConditionKind, TokenKind, Verdict};
use std::borrow::Cow;

/// Which person a quantifier is looking at, for naming questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PersonRef {
    Actor,
    Subject,
    Reporter,
    Other(usize),
}

/// Stands in for an actor the record does not describe.
static UNKNOWN_PERSON: Person = Person {
    role: Val::Unknown,
    facts: Vec::new(),
};

struct Cx<'a> {
    ir: &'a PolicyIr,
    inc: &'a Incident,
}

impl<'a> Cx<'a> {
    fn person(&self, who: Who, each: Option<(&'a Person, PersonRef)>) -> Option<&'a Person> {
        match who {
            Who::Actor => self.inc.actor.as_ref(),
            Who::Subject => self.inc.subject.as_ref(),
            Who::Reporter => self.inc.reporter.as_ref(),
            Who::Each => each.map(|(p, _)| p),
        }
    }

    fn field(&self, field: Field, each: Option<(&'a Person, PersonRef)>) -> Val {
        match field {
            Field::Category => self.inc.category,
            Field::Activity => self.inc.activity,
            Field::Location => self.inc.location,
            Field::Time => self.inc.time,
            Field::DeviceKind => self.inc.device_kind,
            Field::DeviceOwner => self.inc.device_owner,
            Field::Role(who) => self.person(who, each).map_or(Val::Unknown, |p| p.role),
            Field::PersonFact(who, i) => self
                .person(who, each)
                .and_then(|p| p.facts.get(usize::from(i)).copied())
                .unwrap_or(Val::Unknown),
            Field::Fact(i) => self
                .inc
                .facts
                .get(usize::from(i))
                .copied()
                .unwrap_or(Val::Unknown),
        }
    }

    fn test(&self, val: Val, test: &Test) -> Tri {
        match val {
            Val::Unknown => return Tri::Unknown,
            Val::Absent => return Tri::False,
            _ => {}
        }
        let b = match (test, val) {
            (Test::Present, _) => true,
            (Test::Truthy, Val::Bool(b)) => b,
            (Test::Bool(want), Val::Bool(b)) => b == *want,
            (Test::Sym(s), Val::Sym(v)) => v == *s,
            (Test::Syms(ss), Val::Sym(v)) => ss.contains(&v),
            (Test::RoleIs(r), Val::Sym(v)) => self.ir.vocab.is_a(v, *r),
            (Test::RoleIn(rs), Val::Sym(v)) => rs.iter().any(|r| self.ir.vocab.is_a(v, *r)),
            (Test::RoleNone, Val::RoleNone) => true,
            (Test::Cmp(op, c), Val::Int(v)) => match op {
                CmpOp::Eq => v == *c,
                CmpOp::Ne => v != *c,
                CmpOp::Lt => v < *c,
                CmpOp::Le => v <= *c,
                CmpOp::Gt => v > *c,
                CmpOp::Ge => v >= *c,
            },
            _ => false,
        };
        Tri::from_bool(b)
    }

    /// The people a quantifier ranges over (without allocating), and whether the `others`
    /// list is unknown.
    fn people(
        &self,
        list: PeopleList,
    ) -> (impl Iterator<Item = (&'a Person, PersonRef)> + 'a, bool) {
        let inc = self.inc;
        // There is always an actor: an absent one is a person whose facts are all unknown,
        // never nobody. The subject is, by the contract, recorded "when different from the
        // actor", so an absent subject adds no one.
        let lead = (list == PeopleList::People).then(|| {
            std::iter::once((
                inc.actor.as_ref().unwrap_or(&UNKNOWN_PERSON),
                PersonRef::Actor,
            ))
            .chain(inc.subject.as_ref().map(|p| (p, PersonRef::Subject)))
        });
        let others = inc
            .others
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, p)| (p, PersonRef::Other(i)));
        (
            lead.into_iter().flatten().chain(others),
            inc.others.is_none(),
        )
    }

    fn eval(&self, cond: &Cond, each: Option<(&'a Person, PersonRef)>) -> Tri {
        match cond {
            Cond::Const(t) => *t,
            Cond::Not(c) => self.eval(c, each).not(),
            Cond::And(cs) => {
                let mut acc = Tri::True;
                for c in cs.iter() {
                    match self.eval(c, each) {
                        Tri::False => return Tri::False,
                        Tri::Unknown => acc = Tri::Unknown,
                        Tri::True => {}
                    }
                }
                acc
            }
            Cond::Or(cs) => {
                let mut acc = Tri::False;
                for c in cs.iter() {
                    match self.eval(c, each) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => acc = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                acc
            }
            Cond::Test(field, test) => self.test(self.field(*field, each), test),
            Cond::Quant { all, list, body } => {
                let (people, others_unknown) = self.people(*list);
                let unknown_rest = if others_unknown {
                    Tri::Unknown
                } else if *all {
                    Tri::True
                } else {
                    Tri::False
                };
                let mut acc = unknown_rest;
                for p in people {
                    let v = self.eval(body, Some(p));
                    if *all {
                        acc = acc.and(v);
                        if acc == Tri::False {
                            return Tri::False;
                        }
                    } else {
                        acc = acc.not().and(v.not()).not();
                        if acc == Tri::True {
                            return Tri::True;
                        }
                    }
                }
                acc
            }
        }
    }

    /// The unknown fields that keep `cond` unknown (empty if it is decided).
    fn unknowns(&self, cond: &Cond, each: Option<(&'a Person, PersonRef)>, out: &mut Vec<QKey>) {
        match cond {
            Cond::Const(_) => {}
            Cond::Not(c) => self.unknowns(c, each, out),
            Cond::And(cs) | Cond::Or(cs) => {
                let decided = if matches!(cond, Cond::And(_)) {
                    Tri::False
                } else {
                    Tri::True
                };
                // Evaluation is pure: evaluating twice costs less than collecting the values.
                if cs.iter().any(|c| self.eval(c, each) == decided) {
                    return;
                }
                for c in cs.iter() {
                    if self.eval(c, each) == Tri::Unknown {
                        self.unknowns(c, each, out);
                    }
                }
            }
            Cond::Test(field, test) => {
                if self.test(self.field(*field, each), test) == Tri::Unknown {
                    push_unique(out, qkey(*field, each));
                }
            }
            Cond::Quant { list, body, .. } => {
                if self.eval(cond, each) != Tri::Unknown {
                    return;
                }
                let (people, others_unknown) = self.people(*list);
                for p in people {
                    if self.eval(body, Some(p)) == Tri::Unknown {
                        self.unknowns(body, Some(p), out);
                    }
                }
                if others_unknown {
                    push_unique(out, QKey::OthersList);
                }
            }
        }
    }
}

fn push_unique(out: &mut Vec<QKey>, key: QKey) {
    if !out.contains(&key) {
        out.push(key);
    }
}

/// A field a question asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QKey {
    Field(Field),
    Person(PersonRef, Option<u16>),
    OthersList,
}

fn qkey(field: Field, each: Option<(&Person, PersonRef)>) -> QKey {
    let concrete = |who: Who| match who {
        Who::Actor => Some(PersonRef::Actor),
        Who::Subject => Some(PersonRef::Subject),
        Who::Reporter => Some(PersonRef::Reporter),
        Who::Each => each.map(|(_, r)| r),
    };
    match field {
        Field::Role(who) => concrete(who).map_or(QKey::Field(field), |p| QKey::Person(p, None)),
        Field::PersonFact(who, i) => {
            concrete(who).map_or(QKey::Field(field), |p| QKey::Person(p, Some(i)))
        }
        other => QKey::Field(other),
    }
}

impl QKey {
    pub(crate) fn path(&self, ir: &PolicyIr) -> String {
        let person_fact = |i: u16| {
            ir.vocab
                .person_facts
                .get(usize::from(i))
                .map_or("?", |f| f.name.as_str())
        };
        match self {
            QKey::Field(Field::Category) => "category".to_owned(),
            QKey::Field(Field::Activity) => "activity".to_owned(),
            QKey::Field(Field::Location) => "location".to_owned(),
            QKey::Field(Field::Time) => "time".to_owned(),
            QKey::Field(Field::DeviceKind) => "device.kind".to_owned(),
            QKey::Field(Field::DeviceOwner) => "device.owner".to_owned(),
            QKey::Field(Field::Fact(i)) => format!(
                "facts.{}",
                ir.vocab
                    .facts
                    .get(usize::from(*i))
                    .map_or("?", |f| f.name.as_str())
            ),
            QKey::Field(Field::Role(_)) => "role".to_owned(),
            QKey::Field(Field::PersonFact(_, i)) => person_fact(*i).to_owned(),
            QKey::Person(p, fact) => {
                let base = match p {
                    PersonRef::Actor => "actor".to_owned(),
                    PersonRef::Subject => "subject".to_owned(),
                    PersonRef::Reporter => "reporter".to_owned(),
                    PersonRef::Other(i) => format!("others[{i}]"),
                };
                match fact {
                    None => format!("{base}.role"),
                    Some(i) => format!("{base}.{}", person_fact(*i)),
                }
            }
            QKey::OthersList => "others".to_owned(),
        }
    }

    pub(crate) fn ask(&self, ir: &PolicyIr) -> String {
        let who_text = |p: &PersonRef| match p {
            PersonRef::Actor => "person whose conduct this is about".to_owned(),
            PersonRef::Subject => "person affected".to_owned(),
            PersonRef::Reporter => "person who reported it".to_owned(),
            PersonRef::Other(i) => format!("other person involved (others[{i}])"),
        };
        match self {
            QKey::Field(Field::Category) => "What kind of incident is it?".to_owned(),
            QKey::Field(Field::Activity) => "What activity is being asked about?".to_owned(),
            QKey::Field(Field::Location) => "Where is this happening?".to_owned(),
            QKey::Field(Field::Time) => "At what time of the school day?".to_owned(),
            QKey::Field(Field::DeviceKind) => "What kind of device is involved?".to_owned(),
            QKey::Field(Field::DeviceOwner) => "Is the device personal or school-owned?".to_owned(),
            QKey::Field(Field::Fact(i)) => {
                let f = ir.vocab.facts.get(usize::from(*i));
                f.and_then(|f| f.ask.clone())
                    .unwrap_or_else(|| format!("What is `{}`?", f.map_or("?", |f| f.name.as_str())))
            }
            QKey::Person(p, None) => format!("What is the role of the {}?", who_text(p)),
            QKey::Person(p, Some(i)) => {
                let f = ir.vocab.person_facts.get(usize::from(*i));
                let template = f.and_then(|f| f.ask.clone()).unwrap_or_else(|| {
                    format!(
                        "What is the {{who}}'s `{}`?",
                        f.map_or("?", |f| f.name.as_str())
                    )
                });
                template.replace("{who}", &who_text(p))
            }
            QKey::Field(_) => "Who is involved?".to_owned(),
            QKey::OthersList => "Who else is involved (the `others` list)?".to_owned(),
        }
    }
}

fn modality_rank(m: Modality) -> u8 {
    match m {
        Modality::Must => 0,
        Modality::MustNot => 1,
        Modality::Should => 2,
        Modality::ShouldNot => 3,
        Modality::May => 4,
    }
}

fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Allowed => 0,
        Verdict::AllowedIf => 1,
        Verdict::NotAllowed => 2,
    }
}

/// Evaluate `inc` against `ir`.
pub(crate) fn evaluate<'p>(ir: &'p PolicyIr, inc: &Incident) -> Decision<'p> {
    let cx = Cx { ir, inc };
    // Only the rules the index lists for this category (or activity) can hold; every other
    // rule's condition is false whatever the rest of the record says (`ir::RuleIndex`).
    // Ascending, so everything below happens in rule order, as over all the rules.
    let listed = ir.index.candidates(inc.category, inc.activity);
    let candidates = || {
        let all = if listed.is_none() { ir.rules.len() } else { 0 };
        listed
            .unwrap_or_default()
            .iter()
            .map(|&i| i as usize)
            .chain(0..all)
    };
    // Small policies keep their truth values on the stack.
    let mut stack = [Tri::False; 64];
    let mut heap: Vec<Tri> = Vec::new();
    let whens: &mut [Tri] = match stack.get_mut(..ir.rules.len()) {
        Some(w) => w,
        None => {
            heap.resize(ir.rules.len(), Tri::False);
            &mut heap
        }
    };
    for i in candidates() {
        if let (Some(w), Some(rule)) = (whens.get_mut(i), ir.rules.get(i)) {
            *w = cx.eval(&rule.cond, None);
        }
    }
    let effective = |i: usize| -> Tri {
        let Some(rule) = ir.rules.get(i) else {
            return Tri::False;
        };
        // An exception applies only where a rule it overrides would, transitively: in a
        // chain `c overrides b overrides a`, `c` needs `b`'s and `a`'s conditions too.
        let mut t = scoped_when(ir, whens, i);
        for e in rule
            .exceptions
            .iter()
            .copied()
            .chain(rule.preceded_by.clone())
        {
            if t == Tri::False {
                break;
            }
            t = t.and(whens.get(e).copied().unwrap_or(Tri::False).not());
        }
        t
    };

    let mut decision = Decision::new(ir, inc.id.clone());
    // Definite permission rules at the most restrictive verdict seen so far.
    let mut winners: Vec<usize> = Vec::new();
    let mut breach_possible = false;
    let mut unique_hits: Vec<(usize, usize)> = Vec::new();

    for i in candidates() {
        let Some(rule) = ir.rules.get(i) else {
            continue;
        };
        match effective(i) {
            Tri::False => {}
            Tri::True => {
                if decision.fired.capacity() == 0 {
                    decision.fired.reserve(8);
                }
                decision.fired.push(i);
                if let Some(t) = rule.unique_table {
                    unique_hits.push((t, i));
                }
                for a in &rule.effects.actions {
                    merge_action(&mut decision.actions, a, i, rule.layer);
                }
                if let Some(p) = &rule.effects.permission {
                    let current = winners
                        .first()
                        .and_then(|&w| ir.rules.get(w))
                        .and_then(|w| w.effects.permission.as_ref())
                        .map(|c| verdict_rank(c.verdict));
                    match current {
                        Some(c) if c > verdict_rank(p.verdict) => {}
                        Some(c) if c == verdict_rank(p.verdict) => winners.push(i),
                        _ => {
                            winners.clear();
                            winners.push(i);
                        }
                    }
                }
                if rule.effects.breach {
                    decision.breach = Some(true);
                }
                for n in &rule.effects.notes {
                    if !decision.notes.iter().any(|x| x == n) {
                        decision.notes.push(Cow::Borrowed(n.as_str()));
                    }
                }
            }
            Tri::Unknown => {
                if decision.possible.capacity() == 0 {
                    decision.possible.reserve(8);
                }
                decision.possible.push(i);
            }
        }
    }

    // Unique tables: more than one definite row is an authoring error surfaced as a note.
    unique_hits.sort_unstable();
    for pair in unique_hits.windows(2) {
        if let [(t1, r1), (t2, r2)] = pair {
            if t1 == t2 {
                let table = ir.tables.get(*t1).map_or("?", |t| t.id.as_str());
                let a = ir.rules.get(*r1).map_or("?", |r| r.id.as_str());
                let b = ir.rules.get(*r2).map_or("?", |r| r.id.as_str());
                decision.notes.push(Cow::Owned(format!(
                    "table `{table}` is `hit unique` but rows `{a}` and `{b}` both match"
                )));
            }
        }
    }

    // Permission: the most restrictive definite verdict, unless an undecided rule could
    // make it stricter (or there is no definite verdict yet).
    let activity_asked = matches!(inc.activity, Val::Sym(_));
    let mut permission_open = false;
    for &i in &decision.possible {
        let Some(rule) = ir.rules.get(i) else {
            continue;
        };
        if let Some(p) = &rule.effects.permission {
            if permission_can_change(ir, &winners, i, p.verdict) {
                permission_open = true;
            }
        }
        if rule.effects.breach && decision.breach != Some(true) {
            breach_possible = true;
        }
    }
    if activity_asked {
        let verdict = winners
            .first()
            .and_then(|&w| ir.rules.get(w))
            .and_then(|w| w.effects.permission.as_ref())
            .map(|p| p.verdict);
        decision.permission = Some(match (verdict, permission_open) {
            (_, true) => PermissionOut {
                verdict: None,
                conditions: Vec::new(),
                rules: Vec::new(),
            },
            (Some(v), false) => {
                let mut conditions: Vec<&(PermConditionKind, String)> = Vec::new();
                for &w in &winners {
                    let conds = ir.rules.get(w).and_then(|r| r.effects.permission.as_ref());
                    for c in conds.map_or(&[][..], |p| p.conditions.as_slice()) {
                        if !conditions.contains(&c) {
                            conditions.push(c);
                        }
                    }
                }
                PermissionOut {
                    verdict: Some(v),
                    conditions,
                    rules: winners.clone(),
                }
            }
            (None, false) => PermissionOut {
                verdict: Some(Verdict::NotAllowed),
                conditions: Vec::new(),
                rules: Vec::new(),
            },
        });
    }
    if decision.breach.is_none() {
        decision.breach = match decision.permission.as_ref().and_then(|p| p.verdict) {
            _ if breach_possible => None,
            Some(Verdict::NotAllowed) => Some(true),
            Some(_) => Some(false),
            None => None,
        };
    }

    // Questions: for each undecided rule, the unknown fields that keep it undecided.
    let mut keys: Vec<QKey> = Vec::new();
    // Which question each key asks (a question is found by its key before its path is
    // rendered, so a repeated key costs no allocation).
    let mut asked: Vec<(QKey, usize)> = Vec::new();
    let mut could_add: Vec<(Cow<'p, str>, (u8, u32))> = Vec::new();
    for &i in &decision.possible {
        let Some(rule) = ir.rules.get(i) else {
            continue;
        };
        could_add.clear();
        could_add.extend(
            rule.effects
                .actions
                .iter()
                .filter(|a| !decision.actions.iter().any(|d| d.covers(a)))
                .map(|a| {
                    (
                        Cow::Borrowed(a.text.as_str()),
                        (modality_rank(a.modality), a.deadline.unwrap_or(u32::MAX)),
                    )
                }),
        );
        if let Some(p) = &rule.effects.permission {
            if activity_asked && permission_can_change(ir, &winners, i, p.verdict) {
                could_add.push((
                    Cow::Owned(format!("permission {}", p.verdict.keyword())),
                    (1, u32::MAX),
                ));
            }
        }
        if rule.effects.breach && decision.breach != Some(true) {
            could_add.push((Cow::Borrowed("breach"), (2, u32::MAX)));
        }
        if could_add.is_empty() {
            continue;
        }
        keys.clear();
        if whens.get(i) == Some(&Tri::Unknown) {
            cx.unknowns(&rule.cond, None, &mut keys);
        }
        for e in rule
            .exceptions
            .iter()
            .copied()
            .chain(rule.preceded_by.clone())
            .chain(scope_chain(ir, i))
        {
            if whens.get(e) == Some(&Tri::Unknown) {
                if let Some(er) = ir.rules.get(e) {
                    cx.unknowns(&er.cond, None, &mut keys);
                }
            }
        }
        for key in &keys {
            let found = match asked.iter().find(|(k, _)| k == key) {
                Some(&(_, qi)) => Some(qi),
                None => {
                    let path = key.path(ir);
                    let qi = match decision.questions.iter().position(|q| q.fact == path) {
                        Some(qi) => qi,
                        None => {
                            if decision.questions.capacity() == 0 {
                                decision.questions.reserve(8);
                            }
                            decision.questions.push(Question {
                                fact: path,
                                ask: key.ask(ir),
                                could_add: Vec::new(),
                                rules: Vec::new(),
                                severity: (u8::MAX, u32::MAX),
                            });
                            decision.questions.len() - 1
                        }
                    };
                    asked.push((*key, qi));
                    Some(qi)
                }
            };
            let Some(q) = found.and_then(|qi| decision.questions.get_mut(qi)) else {
                continue;
            };
            for (text, sev) in &could_add {
                if !q.could_add.iter().any(|c| c == text) {
                    q.could_add.push(text.clone().into_owned());
                }
                q.severity = q.severity.min(*sev);
            }
            if !q.rules.contains(&i) {
                q.rules.push(i);
            }
        }
    }
    decision.questions.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| a.fact.cmp(&b.fact))
    });

    // Sort actions: modality, deadline (strictest first, none last), then target.
    decision.actions.sort_by(|a, b| {
        modality_rank(a.ir.modality)
            .cmp(&modality_rank(b.ir.modality))
            .then_with(|| {
                a.deadline
                    .unwrap_or(u32::MAX)
                    .cmp(&b.deadline.unwrap_or(u32::MAX))
            })
            .then_with(|| {
                let name = |x: &ActionOut<'_>| {
                    x.targets
                        .first()
                        .map_or("", |t| ir.vocab.name(t.kind, t.sym))
                };
                name(a).cmp(name(b))
            })
            .then_with(|| {
                ir.vocab
                    .name(TokenKind::Action, a.ir.action)
                    .cmp(ir.vocab.name(TokenKind::Action, b.ir.action))
            })
    });
    decision
}

/// Whether undecided rule `i` with verdict `v` could change the definite verdict: there is
/// none yet, `v` is stricter, `v` adds `allowed_if` conditions, or `i` is an exception to a
/// rule that currently wins.
fn permission_can_change(ir: &PolicyIr, winners: &[usize], i: usize, v: Verdict) -> bool {
    let current = winners
        .first()
        .and_then(|&w| ir.rules.get(w))
        .and_then(|w| w.effects.permission.as_ref());
    match current {
        None => true,
        Some(cur) => {
            verdict_rank(v) > verdict_rank(cur.verdict)
                || (v == Verdict::AllowedIf && cur.verdict == Verdict::AllowedIf)
                || winners
                    .iter()
                    .any(|&w| ir.rules.get(w).is_some_and(|r| r.exceptions.contains(&i)))
        }
    }
}

/// `when(i)` and, for an exception, the scope of the rules it overrides (any of them),
/// followed down the chain. Bounded by the number of rules, so cycles cannot loop.
fn scoped_when(ir: &PolicyIr, whens: &[Tri], i: usize) -> Tri {
    let mut t = whens.get(i).copied().unwrap_or(Tri::False);
    if t == Tri::False {
        return t;
    }
    let mut frontier: Vec<usize> = ir
        .rules
        .get(i)
        .map(|r| r.overrides.clone())
        .unwrap_or_default();
    let mut steps = 0usize;
    while !frontier.is_empty() && t != Tri::False && steps <= ir.rules.len() {
        steps += 1;
        let scope = frontier.iter().fold(Tri::False, |acc, &o| {
            acc.not()
                .and(whens.get(o).copied().unwrap_or(Tri::False).not())
                .not()
        });
        t = t.and(scope);
        let mut next = Vec::new();
        for &o in &frontier {
            if let Some(r) = ir.rules.get(o) {
                next.extend(r.overrides.iter().copied());
            }
        }
        frontier = next;
    }
    t
}

/// The rules whose conditions bound rule `i`'s scope (the chain of rules it overrides).
fn scope_chain(ir: &PolicyIr, i: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut frontier: Vec<usize> = ir
        .rules
        .get(i)
        .map(|r| r.overrides.clone())
        .unwrap_or_default();
    while let Some(o) = frontier.pop() {
        if out.contains(&o) || out.len() > ir.rules.len() {
            continue;
        }
        out.push(o);
        if let Some(r) = ir.rules.get(o) {
            frontier.extend(r.overrides.iter().copied());
        }
    }
    out
}

/// Add an action, merging with an equal one (same modality, action, targets, performer) or,
/// for notifications, with one that reaches the same named people.
fn merge_action<'p>(actions: &mut Vec<ActionOut<'p>>, a: &'p ActionIr, rule: usize, layer: Layer) {
    for existing in actions.iter_mut() {
        let same = existing.same_as(a);
        let same_people = a.person_key.is_some()
            && existing.ir.person_key == a.person_key
            && existing.ir.modality == a.modality
            && existing.ir.action == a.action
            && existing.ir.by == a.by
            && existing.ir.target_mode == a.target_mode;
        if same || same_people {
            if !same {
                let mut targets = existing.targets.to_vec();
                for t in &a.targets {
                    if !targets.contains(t) {
                        targets.push(*t);
                    }
                }
                existing.targets = Cow::Owned(targets);
            }
            existing.deadline = match (existing.deadline, a.deadline) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            existing.rules.add(rule);
            if layer == Layer::School {
                existing.school = true;
            }
            return;
        }
    }
    if actions.capacity() == 0 {
        // One allocation for the usual handful of actions, rather than growing 1, 4, 8.
        actions.reserve(8);
    }
    actions.push(ActionOut {
        ir: a,
        targets: Cow::Borrowed(&a.targets),
        deadline: a.deadline,
        rules: RuleList::new(rule),
        school: layer == Layer::School,
    });
}
