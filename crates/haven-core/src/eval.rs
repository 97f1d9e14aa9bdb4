//! Three-valued evaluation. A missing fact is unknown, never false: a rule whose condition
//! is unknown contributes questions, never a silent "no". Evaluation is a fixed number of
//! passes over the rules: it always terminates and is deterministic.

use crate::decision::{ActionOut, Decision, PermissionOut, Question, RuleList};
use crate::incident::{Incident, Person, Val};
use crate::ir::*;
use crate::record;
use crate::syntax::ast::{CmpOp, Modality, PermConditionKind, RuleKind, TokenKind, Verdict};
use std::borrow::Cow;

/// Which person a quantifier is looking at, for naming questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PersonRef {
    Actor,
    Subject,
    Reporter,
    Other(usize),
}

impl PersonRef {
    /// The named person of the record table, or `None` for an entry of `others`.
    fn who(self) -> Option<Who> {
        match self {
            PersonRef::Actor => Some(Who::Actor),
            PersonRef::Subject => Some(Who::Subject),
            PersonRef::Reporter => Some(Who::Reporter),
            PersonRef::Other(_) => None,
        }
    }

    fn index(self) -> usize {
        match self {
            PersonRef::Other(i) => i,
            _ => 0,
        }
    }
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
            QKey::Field(
                f @ (Field::Category
                | Field::Activity
                | Field::Location
                | Field::Time
                | Field::DeviceKind
                | Field::DeviceOwner),
            ) => record::by_field(*f).map_or("?", |r| r.path).to_owned(),
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
                let base = match p.who() {
                    Some(who) => record::person_row(who).map_or("?", |r| r.0).to_owned(),
                    None => format!("others[{}]", p.index()),
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
        let who_text = |p: &PersonRef| match p.who() {
            Some(who) => record::person_row(who).map_or("?", |r| r.1).to_owned(),
            None => format!("other person involved (others[{}])", p.index()),
        };
        match self {
            QKey::Field(
                f @ (Field::Category
                | Field::Activity
                | Field::Location
                | Field::Time
                | Field::DeviceKind
                | Field::DeviceOwner),
            ) => record::by_field(*f).map_or("?", |r| r.question).to_owned(),
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
        Verdict::NotAddressed => 0,
    }
}

/// The truth of one condition on a record (for witness searches).
pub(crate) fn truth(ir: &PolicyIr, inc: &Incident, cond: &Cond) -> Tri {
    Cx { ir, inc }.eval(cond, None)
}

/// The truth of `cond` with `each` as the person a quantifier's body looks at (for
/// explanations, which walk into quantifiers).
pub(crate) fn truth_each(ir: &PolicyIr, inc: &Incident, cond: &Cond, each: Option<&Person>) -> Tri {
    Cx { ir, inc }.eval(cond, each.map(|p| (p, PersonRef::Actor)))
}

/// The people a quantifier over `list` ranges over, each with its record path, and whether
/// the `others` list is unknown.
pub(crate) fn quant_people<'a>(
    ir: &'a PolicyIr,
    inc: &'a Incident,
    list: PeopleList,
) -> (Vec<(&'a Person, String)>, bool) {
    let cx = Cx { ir, inc };
    let (people, unknown) = cx.people(list);
    let out = people
        .map(|(p, r)| {
            let path = match r {
                PersonRef::Actor => "actor".to_owned(),
                PersonRef::Subject => "subject".to_owned(),
                PersonRef::Reporter => "reporter".to_owned(),
                PersonRef::Other(i) => format!("others[{i}]"),
            };
            (p, path)
        })
        .collect();
    (out, unknown)
}

/// Evaluate `inc` against `ir`, in named phases: conditions, firing, permission, breach,
/// consequences of the breach, questions, ordering.
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
    // Phase 1: every candidate's own condition. Small policies keep them on the stack.
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
    let whens: &[Tri] = whens;
    // A rule holds where its own condition holds and no exception to it (nor an earlier row
    // of a first-hit table) does. An exception is not scoped by the rule it overrides: it
    // holds wherever its own condition holds; naming the rule states precedence only.
    let effective = |i: usize| -> Tri {
        let Some(rule) = ir.rules.get(i) else {
            return Tri::False;
        };
        let mut t = whens.get(i).copied().unwrap_or(Tri::False);
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

    // Phase 2: fire the plain rules; keep defaults and breach consequences for later.
    let mut decision = Decision::new(ir, inc.id.clone());
    let mut perm = PermissionState::default();
    let mut breach_possible = false;
    let mut unique_hits: Vec<(usize, usize)> = Vec::new();
    let mut later: Vec<(usize, Tri)> = Vec::new();
    for i in candidates() {
        let Some(rule) = ir.rules.get(i) else {
            continue;
        };
        let t = effective(i);
        if t == Tri::False {
            continue;
        }
        if rule.kind != RuleKind::Plain {
            later.push((i, t));
            continue;
        }
        match t {
            Tri::True => {
                if let Some(t) = rule.unique_table {
                    unique_hits.push((t, i));
                }
                fire(&mut decision, ir, i);
                if let Some(p) = &rule.effects.permission {
                    perm.add_winner(ir, i, p.verdict);
                }
            }
            _ => {
                if decision.possible.capacity() == 0 {
                    decision.possible.reserve(8);
                }
                decision.possible.push(i);
            }
        }
    }
    unique_table_notes(&mut decision, ir, &mut unique_hits);

    // Phase 3: the permission. The most restrictive definite verdict, unless an undecided
    // rule could change it. Where no plain rule speaks, a declared default decides; where
    // none does either, the policy is silent: `not_addressed`, never a silent "no".
    let activity_asked = matches!(inc.activity, Val::Sym(_));
    for &i in &decision.possible {
        let Some(rule) = ir.rules.get(i) else {
            continue;
        };
        if let Some(p) = &rule.effects.permission {
            if permission_can_change(ir, &perm.winners, i, p.verdict) {
                perm.open = true;
            }
        }
        if rule.effects.breach && decision.breach != Some(true) {
            breach_possible = true;
        }
    }
    let mut defaults = PermissionState::default();
    let use_defaults = perm.winners.is_empty() && !perm.open;
    if use_defaults && activity_asked {
        for &(i, t) in &later {
            let Some(rule) = ir.rules.get(i) else {
                continue;
            };
            if rule.kind != RuleKind::Default {
                continue;
            }
            let Some(p) = &rule.effects.permission else {
                continue;
            };
            if t == Tri::True {
                defaults.add_winner(ir, i, p.verdict);
            } else {
                decision.possible.push(i);
            }
        }
        for &(i, t) in &later {
            let default_possible =
                t == Tri::Unknown && ir.rules.get(i).is_some_and(|r| r.kind == RuleKind::Default);
            if default_possible {
                let v = ir
                    .rules
                    .get(i)
                    .and_then(|r| r.effects.permission.as_ref())
                    .map(|p| p.verdict);
                if let Some(v) = v {
                    if permission_can_change(ir, &defaults.winners, i, v) {
                        defaults.open = true;
                    }
                }
            }
        }
        for &w in &defaults.winners {
            fire(&mut decision, ir, w);
        }
    }
    if activity_asked {
        let (state, silent) = if use_defaults {
            (&defaults, defaults.winners.is_empty() && !defaults.open)
        } else {
            (&perm, false)
        };
        decision.permission = Some(state.resolve(ir, silent));
        if silent {
            decision.notes.push(Cow::Owned(silence_note(&cx)));
        }
    }
    let permission_open = decision
        .permission
        .as_ref()
        .is_some_and(|p| p.verdict.is_none());

    // Phase 4: breach. A rule marking the incident a breach, or a request ruled not
    // allowed; unknown while a rule that could make it one is undecided; null where the
    // policy is silent or nothing was asked.
    if decision.breach.is_none() {
        decision.breach = match decision.permission.as_ref().and_then(|p| p.verdict) {
            _ if breach_possible => None,
            Some(Verdict::NotAllowed) => Some(true),
            Some(Verdict::NotAddressed) | None => None,
            Some(_) => Some(false),
        };
    }
    let breach_now = match decision.breach {
        Some(true) => Tri::True,
        _ if breach_possible || permission_open => Tri::Unknown,
        _ => Tri::False,
    };

    // Phase 5: what follows a breach (`on breach` rules), wherever the breach holds.
    for &(i, t) in &later {
        let is_consequence = ir
            .rules
            .get(i)
            .is_some_and(|r| r.kind == RuleKind::OnBreach);
        if !is_consequence {
            continue;
        }
        match t.and(breach_now) {
            Tri::True => fire(&mut decision, ir, i),
            Tri::Unknown => decision.possible.push(i),
            Tri::False => {}
        }
    }

    // Phase 6: questions.
    questions(
        &cx,
        ir,
        &mut decision,
        whens,
        &perm,
        activity_asked,
        breach_now,
    );

    // Phase 7: order the actions: modality, deadline (strictest first, none last), target.
    sort_actions(&mut decision, ir);
    decision
}

/// Definite permission rules at the most restrictive verdict seen so far, and whether an
/// undecided rule could still change it.
#[derive(Default)]
struct PermissionState {
    winners: Vec<usize>,
    open: bool,
}

impl PermissionState {
    fn add_winner(&mut self, ir: &PolicyIr, i: usize, v: Verdict) {
        let current = self
            .winners
            .first()
            .and_then(|&w| ir.rules.get(w))
            .and_then(|w| w.effects.permission.as_ref())
            .map(|c| verdict_rank(c.verdict));
        match current {
            Some(c) if c > verdict_rank(v) => {}
            Some(c) if c == verdict_rank(v) => self.winners.push(i),
            _ => {
                self.winners.clear();
                self.winners.push(i);
            }
        }
    }

    fn resolve<'p>(&self, ir: &'p PolicyIr, silent: bool) -> PermissionOut<'p> {
        if silent {
            return PermissionOut {
                verdict: Some(Verdict::NotAddressed),
                conditions: Vec::new(),
                rules: Vec::new(),
            };
        }
        let verdict = self
            .winners
            .first()
            .and_then(|&w| ir.rules.get(w))
            .and_then(|w| w.effects.permission.as_ref())
            .map(|p| p.verdict);
        match (verdict, self.open) {
            (Some(v), false) => {
                let mut conditions: Vec<&(PermConditionKind, String)> = Vec::new();
                for &w in &self.winners {
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
                    rules: self.winners.clone(),
                }
            }
            _ => PermissionOut {
                verdict: None,
                conditions: Vec::new(),
                rules: Vec::new(),
            },
        }
    }
}

/// Record that rule `i` holds: its actions, breach and notes join the decision.
fn fire<'p>(decision: &mut Decision<'p>, ir: &'p PolicyIr, i: usize) {
    let Some(rule) = ir.rules.get(i) else {
        return;
    };
    if decision.fired.capacity() == 0 {
        decision.fired.reserve(8);
    }
    decision.fired.push(i);
    for a in &rule.effects.actions {
        merge_action(&mut decision.actions, a, i, rule.layer);
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

/// Unique tables: more than one definite row is an authoring error surfaced as a note.
fn unique_table_notes(decision: &mut Decision<'_>, ir: &PolicyIr, hits: &mut [(usize, usize)]) {
    hits.sort_unstable();
    for pair in hits.windows(2) {
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
}

/// The note for a request no rule speaks to, naming the permission rules that came nearest
/// (by how many of activity, device and actor they share with the request).
fn silence_note(cx: &Cx<'_>) -> String {
    let mut scored: Vec<(usize, usize)> = Vec::new();
    for (i, rule) in cx.ir.rules.iter().enumerate() {
        if rule.effects.permission.is_none() {
            continue;
        }
        let mut hits = Vec::new();
        nearness(cx, &rule.cond, &mut hits);
        hits.sort_unstable();
        hits.dedup();
        if !hits.is_empty() {
            scored.push((hits.len(), i));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let names: Vec<String> = scored
        .iter()
        .take(3)
        .filter_map(|&(_, i)| cx.ir.rules.get(i).map(|r| format!("`{}`", r.id)))
        .collect();
    let mut note = "the policy does not address this request: no rule of it or of the policies \
                    it extends speaks to it, so it is neither allowed nor a breach"
        .to_owned();
    if !names.is_empty() {
        note.push_str(&format!(" (nearest rules: {})", names.join(", ")));
    }
    note
}

/// Which of activity (0), device kind (1) and actor role (2) a condition tests and the
/// request matches.
fn nearness(cx: &Cx<'_>, cond: &Cond, out: &mut Vec<u8>) {
    match cond {
        Cond::Not(_) | Cond::Const(_) | Cond::Quant { .. } => {}
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| nearness(cx, c, out)),
        Cond::Test(field, test) => {
            let which = match field {
                Field::Activity => 0,
                Field::DeviceKind => 1,
                Field::Role(Who::Actor) => 2,
                _ => return,
            };
            if cx.test(cx.field(*field, None), test) == Tri::True {
                out.push(which);
            }
        }
    }
}

/// For each undecided rule, the unknown fields that keep it undecided, each with what its
/// answer could add (actions not already required at least as strongly).
fn questions<'p>(
    cx: &Cx<'_>,
    ir: &'p PolicyIr,
    decision: &mut Decision<'p>,
    whens: &[Tri],
    perm: &PermissionState,
    activity_asked: bool,
    breach_now: Tri,
) {
    // The unknown fields that keep the breach undecided, for `on breach` rules.
    let mut breach_keys: Vec<QKey> = Vec::new();
    if breach_now == Tri::Unknown {
        for &i in &decision.possible {
            let Some(rule) = ir.rules.get(i) else {
                continue;
            };
            let decides = rule.effects.breach
                || rule
                    .effects
                    .permission
                    .as_ref()
                    .is_some_and(|p| p.verdict == Verdict::NotAllowed);
            if decides && rule.kind != RuleKind::OnBreach {
                rule_unknowns(cx, whens, i, &mut breach_keys);
            }
        }
    }
    let mut keys: Vec<QKey> = Vec::new();
    // Which question each key asks (a question is found by its key before its path is
    // rendered, so a repeated key costs no allocation).
    let mut asked: Vec<(QKey, usize)> = Vec::new();
    let mut could_add: Vec<(Cow<'p, str>, (u8, u32))> = Vec::new();
    let possible = std::mem::take(&mut decision.possible);
    for &i in &possible {
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
            let open = decision
                .permission
                .as_ref()
                .is_some_and(|p| p.verdict.is_none());
            let can_change = match rule.kind {
                RuleKind::Default => open,
                _ => permission_can_change(ir, &perm.winners, i, p.verdict),
            };
            if activity_asked && can_change {
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
        rule_unknowns(cx, whens, i, &mut keys);
        if rule.kind == RuleKind::OnBreach {
            for k in &breach_keys {
                push_unique(&mut keys, *k);
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
    decision.possible = possible;
    decision.questions.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| a.fact.cmp(&b.fact))
    });
}

/// The unknown fields that keep rule `i` undecided: its own condition's, and those of the
/// exceptions and earlier rows that could still pre-empt it.
fn rule_unknowns(cx: &Cx<'_>, whens: &[Tri], i: usize, keys: &mut Vec<QKey>) {
    let Some(rule) = cx.ir.rules.get(i) else {
        return;
    };
    if whens.get(i) == Some(&Tri::Unknown) {
        cx.unknowns(&rule.cond, None, keys);
    }
    for e in rule
        .exceptions
        .iter()
        .copied()
        .chain(rule.preceded_by.clone())
    {
        if whens.get(e) == Some(&Tri::Unknown) {
            if let Some(er) = cx.ir.rules.get(e) {
                cx.unknowns(&er.cond, None, keys);
            }
        }
    }
}

fn sort_actions<'p>(decision: &mut Decision<'p>, ir: &'p PolicyIr) {
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
