//! Phase 1: the truth of every candidate rule's own condition, and of a rule once its
//! exceptions (and the earlier rows of a first-hit table) are taken into account.

use super::cond::Cx;
use super::flat::{Flat, Root};
use crate::incident::Incident;
use crate::ir::Tri;

/// The rules that can hold for a record: those the index lists for its category (or
/// activity), ascending, so everything after happens in rule order, as over all the rules.
/// Every other rule's condition is false whatever the rest of the record says
/// (`ir::RuleIndex`). Each comes with its condition as compiled for the list
/// ([`Flat::candidates`]).
pub(super) struct Candidates<'p> {
    listed: Option<&'p [(u32, Root)]>,
    all: &'p [Root],
}

impl<'p> Candidates<'p> {
    pub(super) fn new(flat: &'p Flat, inc: &Incident) -> Self {
        let listed = flat.candidates(inc.category, inc.activity);
        let all = if listed.is_none() {
            flat.generic()
        } else {
            &[]
        };
        Candidates { listed, all }
    }

    /// The candidate rules, ascending.
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.with_roots().map(|(i, _)| i)
    }

    /// The candidate rules with their compiled conditions.
    pub(super) fn with_roots(&self) -> impl Iterator<Item = (usize, Root)> + '_ {
        self.listed
            .unwrap_or_default()
            .iter()
            .map(|&(i, r)| (i as usize, r))
            .chain(self.all.iter().enumerate().map(|(i, &r)| (i, r)))
    }
}

/// Set the slot of every candidate rule in `whens` (which holds `False` everywhere else,
/// one slot per rule) to its condition's truth, and its slot in `roots` to the condition
/// evaluated.
#[inline]
pub(super) fn evaluate(
    cx: &Cx<'_>,
    flat: &Flat,
    candidates: &Candidates<'_>,
    whens: &mut [Tri],
    roots: &mut [Root],
) {
    for (i, root) in candidates.with_roots() {
        if let (Some(w), Some(r)) = (whens.get_mut(i), roots.get_mut(i)) {
            *w = flat.eval(cx, root);
            *r = root;
        }
    }
}

/// Whether rule `i` holds: its own condition holds and no exception to it (nor an earlier
/// row of a first-hit table) does. An exception is not scoped by the rule it overrides: it
/// holds wherever its own condition holds; naming the rule states precedence only.
pub(super) fn effective(flat: &Flat, whens: &[Tri], i: usize) -> Tri {
    let mut t = whens.get(i).copied().unwrap_or(Tri::False);
    for &e in flat.blockers(i) {
        if t == Tri::False {
            break;
        }
        t = t.and(whens.get(e as usize).copied().unwrap_or(Tri::False).not());
    }
    t
}
