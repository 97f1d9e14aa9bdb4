//! Phase 1, conditions: a rule's condition, three-valued, on one record. A missing fact is
//! unknown, never false; quantifiers range over the people of the record without
//! collecting them. [`Cx::unknowns`] names the unknown fields that keep a condition
//! undecided (the keys of the questions).

use crate::incident::{Incident, Person, Val};
use crate::ir::{Cond, Field, PeopleList, PolicyIr, Test, Tri, Who};
use crate::model::CmpOp;
use crate::question::{PersonRef, QKey};

/// Stands in for an actor the record does not describe.
static UNKNOWN_PERSON: Person = Person {
    role: Val::Unknown,
    facts: Vec::new(),
};

/// A record being evaluated against a policy.
pub(crate) struct Cx<'a> {
    pub(crate) ir: &'a PolicyIr,
    pub(crate) inc: &'a Incident,
}

impl<'a> Cx<'a> {
    pub(crate) fn person(
        &self,
        who: Who,
        each: Option<(&'a Person, PersonRef)>,
    ) -> Option<&'a Person> {
        match who {
            Who::Actor => self.inc.actor.as_ref(),
            Who::Subject => self.inc.subject.as_ref(),
            Who::Reporter => self.inc.reporter.as_ref(),
            Who::Each => each.map(|(p, _)| p),
        }
    }

    pub(crate) fn field(&self, field: Field, each: Option<(&'a Person, PersonRef)>) -> Val {
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

    pub(crate) fn test(&self, val: Val, test: &Test) -> Tri {
        test_val(self.ir, val, test)
    }

    /// The people a quantifier ranges over (without allocating), and whether the `others`
    /// list is unknown.
    pub(crate) fn people(
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

    pub(crate) fn eval(&self, cond: &Cond, each: Option<(&'a Person, PersonRef)>) -> Tri {
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
                let values = people.into_iter().map(|p| self.eval(body, Some(p)));
                Tri::quantify(*all, others_unknown, values)
            }
        }
    }

    /// The unknown fields that keep `cond` unknown (empty if it is decided). The reference
    /// for `Flat::unknowns`, which evaluation uses (the tests compare them).
    #[cfg(test)]
    pub(crate) fn unknowns(
        &self,
        cond: &Cond,
        each: Option<(&'a Person, PersonRef)>,
        out: &mut Vec<QKey>,
    ) {
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
                    push_unique(out, QKey::of(*field, each.map(|(_, r)| r)));
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

/// A test on a field's value (the record is not needed: only the role hierarchy).
pub(crate) fn test_val(ir: &PolicyIr, val: Val, test: &Test) -> Tri {
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
        (Test::RoleIs(r), Val::Sym(v)) => ir.vocab.is_a(v, *r),
        (Test::RoleIn(rs), Val::Sym(v)) => rs.iter().any(|r| ir.vocab.is_a(v, *r)),
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

/// Add `key` unless it is there already.
pub(crate) fn push_unique(out: &mut Vec<QKey>, key: QKey) {
    if !out.contains(&key) {
        out.push(key);
    }
}
