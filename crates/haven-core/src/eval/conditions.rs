//! Phase 1: the truth of every candidate rule's own condition, and of a rule once its
//! exceptions (and the earlier rows of a first-hit table) are taken into account.

use super::cond::Cx;
use crate::incident::Incident;
use crate::ir::{PolicyIr, Tri};

/// The rules that can hold for a record: those the index lists for its category (or
/// activity), ascending, so everything after happens in rule order, as over all the rules.
/// Every other rule's condition is false whatever the rest of the record says
/// (`ir::RuleIndex`).
pub(super) struct Candidates<'p> {
    listed: Option<&'p [u32]>,
    all: usize,
}

impl<'p> Candidates<'p> {
    pub(super) fn new(ir: &'p PolicyIr, inc: &Incident) -> Self {
        let listed = ir.index.candidates(inc.category, inc.activity);
        let all = if listed.is_none() { ir.rules.len() } else { 0 };
        Candidates { listed, all }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.listed
            .unwrap_or_default()
            .iter()
            .map(|&i| i as usize)
            .chain(0..self.all)
    }
}

/// Fill `whens` (one slot per rule; `False` for the rules that are not candidates).
pub(super) fn evaluate(cx: &Cx<'_>, candidates: &Candidates<'_>, whens: &mut Vec<Tri>) {
    whens.clear();
    whens.resize(cx.ir.rules.len(), Tri::False);
    for i in candidates.iter() {
        if let (Some(w), Some(rule)) = (whens.get_mut(i), cx.ir.rules.get(i)) {
            *w = cx.eval(&rule.cond, None);
        }
    }
}

/// Whether rule `i` holds: its own condition holds and no exception to it (nor an earlier
/// row of a first-hit table) does. An exception is not scoped by the rule it overrides: it
/// holds wherever its own condition holds; naming the rule states precedence only.
pub(super) fn effective(ir: &PolicyIr, whens: &[Tri], i: usize) -> Tri {
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
}
