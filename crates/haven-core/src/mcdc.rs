//! Criterion coverage (MC/DC-style) for `haven test --coverage`: for each condition part of
//! a rule (each test, and each criterion of an inlined criteria list), is there a scenario
//! in which that part alone flips the rule's condition? Flipping means evaluating the rule's
//! condition with that one part negated (inside a quantifier: for every person) and every
//! other part as the record says; the part is shown to matter when both values are decided
//! and differ. For a part no scenario shows, a witness search proposes an incident that
//! would: a record on which the condition with the part forced true and with it forced false
//! disagree (`witness.rs`, exact over the partition). If there is none, the part can never
//! matter: it is masked by the rest of the condition.

use crate::describe::{self, criterion_name};
use crate::eval;
use crate::incident::{Incident, Person};
use crate::ir::{Cond, PolicyIr, Tri};
use crate::witness::{self, Search};
use serde::Serialize;
use serde_json::Value;

/// One condition part of one rule.
#[derive(Clone, Debug, Serialize)]
pub struct PartCoverage {
    /// The rule or table row.
    pub rule: String,
    /// The part in words.
    pub part: String,
    /// The criterion it is (`list.item`), if it is one.
    pub criterion: Option<String>,
    /// The first scenario in which it alone flips the rule's condition.
    pub shown_by: Option<String>,
    /// For a part no scenario shows: an incident in which it would (check it against the
    /// sentence before pasting it into `scenarios.toml`).
    pub proposal: Option<Value>,
    /// No record lets it matter: the rest of the condition masks it.
    pub masked: bool,
}

/// Criterion coverage of a policy's own rules by a set of scenarios.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CriterionCoverage {
    /// Every part of every own rule, in rule order.
    pub parts: Vec<PartCoverage>,
}

impl CriterionCoverage {
    /// Parts shown to matter by some scenario.
    pub fn shown(&self) -> usize {
        self.parts.iter().filter(|p| p.shown_by.is_some()).count()
    }

    /// Parts that can matter (not masked).
    pub fn can_matter(&self) -> usize {
        self.parts.iter().filter(|p| !p.masked).count()
    }
}

/// The parts of `cond` to cover, by address, with whether they sit inside a quantifier.
fn parts<'a>(ir: &PolicyIr, cond: &'a Cond, in_quant: bool, out: &mut Vec<(&'a Cond, bool)>) {
    let is_criterion = ir
        .criteria
        .iter()
        .any(|c| c.item.is_some() && c.cond == *cond);
    match cond {
        Cond::Test(..) => out.push((cond, in_quant)),
        Cond::Const(_) => {}
        Cond::Not(c) => parts(ir, c, in_quant, out),
        Cond::And(cs) | Cond::Or(cs) => {
            if is_criterion {
                out.push((cond, in_quant));
            }
            for c in cs.iter() {
                parts(ir, c, in_quant, out);
            }
        }
        Cond::Quant { body, .. } => {
            if is_criterion {
                out.push((cond, in_quant));
            }
            parts(ir, body, true, out);
        }
    }
}

/// `cond` evaluated with the part at `target` negated.
fn flipped(
    ir: &PolicyIr,
    inc: &Incident,
    cond: &Cond,
    target: *const Cond,
    each: Option<&Person>,
) -> Tri {
    let t = match cond {
        Cond::Const(t) => *t,
        Cond::Test(..) => eval::truth_each(ir, inc, cond, each),
        Cond::Not(c) => flipped(ir, inc, c, target, each).not(),
        Cond::And(cs) => cs.iter().fold(Tri::True, |acc, c| {
            acc.and(flipped(ir, inc, c, target, each))
        }),
        Cond::Or(cs) => cs.iter().fold(Tri::False, |acc, c| {
            acc.not().and(flipped(ir, inc, c, target, each).not()).not()
        }),
        Cond::Quant { all, list, body } => {
            let (people, unknown) = eval::quant_people(ir, inc, *list);
            let mut acc = if unknown {
                Tri::Unknown
            } else {
                Tri::from_bool(*all)
            };
            for (p, _) in people {
                let v = flipped(ir, inc, body, target, Some(p));
                acc = if *all {
                    acc.and(v)
                } else {
                    acc.not().and(v.not()).not()
                };
            }
            acc
        }
    };
    if std::ptr::eq(cond, target) {
        t.not()
    } else {
        t
    }
}

/// `cond` with the part at `target` replaced by a constant.
fn replaced(cond: &Cond, target: *const Cond, with: Tri) -> Cond {
    if std::ptr::eq(cond, target) {
        return Cond::Const(with);
    }
    match cond {
        Cond::Const(_) | Cond::Test(..) => cond.clone(),
        Cond::Not(c) => Cond::Not(Box::new(replaced(c, target, with))),
        Cond::And(cs) => Cond::And(cs.iter().map(|c| replaced(c, target, with)).collect()),
        Cond::Or(cs) => Cond::Or(cs.iter().map(|c| replaced(c, target, with)).collect()),
        Cond::Quant { all, list, body } => Cond::Quant {
            all: *all,
            list: *list,
            body: Box::new(replaced(body, target, with)),
        },
    }
}

/// Whether the part at `target` alone flips `cond` on `inc`.
fn shows(ir: &PolicyIr, inc: &Incident, cond: &Cond, target: *const Cond) -> bool {
    let t = eval::truth(ir, inc, cond);
    let f = flipped(ir, inc, cond, target, None);
    t != Tri::Unknown && f != Tri::Unknown && t != f
}

/// How many partial records one proposal search may visit.
const BUDGET: usize = 200_000;

/// Criterion coverage of `ir`'s own rules (depth 0) by `scenarios` (name, incident).
pub(crate) fn coverage(ir: &PolicyIr, scenarios: &[(String, Incident)]) -> CriterionCoverage {
    let mut out = CriterionCoverage::default();
    for rule in ir.rules.iter().filter(|r| r.depth == 0) {
        let mut list = Vec::new();
        parts(ir, &rule.cond, false, &mut list);
        for (part, in_quant) in list {
            let target: *const Cond = part;
            let shown_by = scenarios
                .iter()
                .find(|(_, inc)| shows(ir, inc, &rule.cond, target))
                .map(|(n, _)| n.clone());
            let text = match part {
                Cond::Test(f, t) => describe::test_text(ir, *f, t, false),
                other => describe::cond_text(ir, other),
            };
            let mut proposal = None;
            let mut masked = false;
            if shown_by.is_none() {
                let when_true = replaced(&rule.cond, target, Tri::True);
                let when_false = replaced(&rule.cond, target, Tri::False);
                let differ = Cond::Not(Box::new(when_false.clone()));
                let mut tries: Vec<Vec<&Cond>> = Vec::new();
                let negated = Cond::Not(Box::new(part.clone()));
                let negated_true = Cond::Not(Box::new(when_true.clone()));
                if !in_quant {
                    tries.push(vec![part, &when_true, &differ]);
                    tries.push(vec![&negated, &when_false, &negated_true]);
                } else {
                    tries.push(vec![&when_true, &differ]);
                    tries.push(vec![&when_false, &negated_true]);
                }
                let mut impossible = 0;
                for conds in &tries {
                    match witness::find(ir, conds, BUDGET) {
                        Search::Found(inc) if shows(ir, &inc, &rule.cond, target) => {
                            proposal = Some(witness::record_json(ir, &inc));
                            break;
                        }
                        Search::Impossible => impossible += 1,
                        _ => {}
                    }
                }
                masked = impossible == tries.len();
            }
            out.parts.push(PartCoverage {
                rule: rule.id.clone(),
                part: text,
                criterion: criterion_name(ir, part).filter(|_| !matches!(part, Cond::Test(..))),
                shown_by,
                proposal,
                masked,
            });
        }
    }
    out
}
