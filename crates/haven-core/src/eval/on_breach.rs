//! Phase 5: what follows a breach (`on breach` rules), wherever the breach holds.

use super::fire::fire;
use crate::decision::Decision;
use crate::ir::{PolicyIr, Tri};
use crate::model::RuleKind;

/// Fire the `on breach` rules in `later` that hold with the breach; keep the undecided.
pub(super) fn fire_consequences<'p>(
    ir: &'p PolicyIr,
    decision: &mut Decision<'p>,
    later: &[(usize, Tri)],
    breach_now: Tri,
) {
    for &(i, t) in later {
        let is_consequence = ir
            .rules
            .get(i)
            .is_some_and(|r| r.kind == RuleKind::OnBreach);
        if !is_consequence {
            continue;
        }
        match t.and(breach_now) {
            Tri::True => fire(decision, ir, i),
            Tri::Unknown => decision.possible.push(i),
            Tri::False => {}
        }
    }
}
