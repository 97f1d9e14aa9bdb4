//! Phase 4: the breach. A rule marking the incident a breach, or a request ruled not
//! allowed; unknown while a rule that could make it one is undecided; null where the policy
//! is silent or nothing was asked.

use crate::decision::Decision;
use crate::ir::{PolicyIr, Tri};
use crate::model::{RuleKind, Verdict};

/// Set the decision's breach; return it as a truth value for the `on breach` rules
/// (unknown while it could still change, including while the verdict is open).
pub(super) fn decide(ir: &PolicyIr, decision: &mut Decision<'_>, permission_open: bool) -> Tri {
    // An undecided plain rule marking a breach (defaults joined `possible` later and decide
    // no breach before the verdict does).
    let possible = decision.breach != Some(true)
        && decision.possible.iter().any(|&i| {
            ir.rules
                .get(i)
                .is_some_and(|r| r.kind == RuleKind::Plain && r.effects.breach)
        });
    if decision.breach.is_none() {
        decision.breach = match decision.permission.as_ref().and_then(|p| p.verdict) {
            _ if possible => None,
            Some(Verdict::NotAllowed) => Some(true),
            Some(Verdict::NotAddressed) | None => None,
            Some(_) => Some(false),
        };
    }
    match decision.breach {
        Some(true) => Tri::True,
        _ if possible || permission_open => Tri::Unknown,
        _ => Tri::False,
    }
}
