//! Phase 6: the questions. For each undecided rule, the unknown fields that keep it
//! undecided, each with what its answer could add (actions not already required at least
//! as strongly, a permission verdict, a breach). Only the keys are found here; the wording
//! is rendered from them when the decision is read ([`crate::question`]).

use super::cond::{push_unique, Cx};
use super::flat::{Flat, Root};
use super::order::modality_rank;
use super::permission::{permission_can_change, PermissionState};
use crate::decision::{ActionOut, Decision, QuestionOut};
use crate::ir::{PolicyIr, RuleIr, Tri};
use crate::model::{RuleKind, Verdict};
use crate::question::QKey;

/// Buffers reused across evaluations.
#[derive(Default)]
pub(super) struct Scratch {
    breach_keys: Vec<QKey>,
    keys: Vec<QKey>,
}

/// What answering a question about a rule's fields could add, as `could_add` texts with a
/// severity (modality rank, deadline) for ordering the questions.
fn could_add<'d, 'p: 'd>(
    decided: &'d [ActionOut<'p>],
    breach_now: Option<bool>,
    rule: &'p RuleIr,
    permission: Option<&'static str>,
) -> impl Iterator<Item = (&'p str, (u8, u32))> + 'd {
    let actions = rule
        .effects
        .actions
        .iter()
        .filter(|a| !decided.iter().any(|d| d.covers(a)))
        .map(|a| {
            (
                a.text.as_str(),
                (modality_rank(a.modality), a.deadline.unwrap_or(u32::MAX)),
            )
        });
    let breach =
        (rule.effects.breach && breach_now != Some(true)).then_some(("breach", (2, u32::MAX)));
    actions
        .chain(permission.map(|p| (p, (1, u32::MAX))))
        .chain(breach)
}

/// What the earlier phases settled that the questions depend on.
pub(super) struct Settled<'a> {
    /// The definite permission rules (phase 2) and whether the verdict is open.
    pub(super) perm: &'a PermissionState,
    /// Whether the record asks about an activity.
    pub(super) activity_asked: bool,
    /// The breach as a truth value (phase 4).
    pub(super) breach_now: Tri,
}

/// `permission <verdict>`, as `could_add` says it.
fn permission_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Allowed => "permission allowed",
        Verdict::AllowedIf => "permission allowed_if",
        Verdict::NotAllowed => "permission not_allowed",
        Verdict::NotAddressed => "permission not_addressed",
    }
}

/// Add the decision's questions, most severe first (then by path).
pub(super) fn ask<'p>(
    ir: &'p PolicyIr,
    conds: &Conds<'_>,
    decision: &mut Decision<'p>,
    settled: Settled<'_>,
    scratch: &mut Scratch,
) {
    let Settled {
        perm,
        activity_asked,
        breach_now,
    } = settled;
    let Scratch { breach_keys, keys } = scratch;
    // The unknown fields that keep the breach undecided, for `on breach` rules.
    breach_keys.clear();
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
                rule_unknowns(conds, i, breach_keys);
            }
        }
    }
    let permission_open = decision
        .permission
        .as_ref()
        .is_some_and(|p| p.verdict.is_none());
    let possible = std::mem::take(&mut decision.possible);
    for &i in &possible {
        let Some(rule) = ir.rules.get(i) else {
            continue;
        };
        let permission = rule.effects.permission.as_ref().and_then(|p| {
            let can_change = match rule.kind {
                RuleKind::Default => permission_open,
                _ => permission_can_change(ir, &perm.winners, i, p.verdict),
            };
            (activity_asked && can_change).then(|| permission_text(p.verdict))
        });
        if could_add(&decision.actions, decision.breach, rule, permission)
            .next()
            .is_none()
        {
            continue;
        }
        keys.clear();
        rule_unknowns(conds, i, keys);
        if rule.kind == RuleKind::OnBreach {
            for k in breach_keys.iter() {
                push_unique(keys, *k);
            }
        }
        for key in keys.iter() {
            let qi = match decision.questions.iter().position(|q| q.key == *key) {
                Some(qi) => qi,
                None => {
                    if decision.questions.capacity() == 0 {
                        decision.questions = Vec::with_capacity(8);
                    }
                    decision.questions.push(QuestionOut {
                        key: *key,
                        id: decision.questions.len(),
                        severity: (u8::MAX, u32::MAX),
                    });
                    decision.questions.len() - 1
                }
            };
            let Some(id) = decision.questions.get(qi).map(|q| q.id) else {
                continue;
            };
            let mut severity = (u8::MAX, u32::MAX);
            for (text, sev) in could_add(&decision.actions, decision.breach, rule, permission) {
                severity = severity.min(sev);
                if !decision
                    .could_add
                    .iter()
                    .any(|&(q, c)| q == id && (std::ptr::eq(c, text) || c == text))
                {
                    if decision.could_add.capacity() == 0 {
                        // One allocation for the usual few, rather than growing 4, 8, 16.
                        decision.could_add = Vec::with_capacity(16);
                    }
                    decision.could_add.push((id, text));
                }
            }
            if let Some(q) = decision.questions.get_mut(qi) {
                q.severity = q.severity.min(severity);
            }
        }
    }
    decision.possible = possible;
    if decision.questions.len() > 1 {
        let flat = conds.flat;
        decision.questions.sort_by(|a, b| {
            a.severity
                .cmp(&b.severity)
                .then_with(|| flat.cmp_keys(&a.key, &b.key, ir))
        });
    }
}

/// The unknown fields that keep rule `i` undecided: its own condition's, and those of the
/// exceptions and earlier rows that could still pre-empt it.
fn rule_unknowns(conds: &Conds<'_>, i: usize, keys: &mut Vec<QKey>) {
    let Conds {
        cx,
        flat,
        whens,
        roots,
    } = *conds;
    let unknown = |r: usize| whens.get(r) == Some(&Tri::Unknown);
    // An unknown condition is a candidate's (every other rule's is false), evaluated from
    // `roots`.
    if unknown(i) {
        if let Some(&root) = roots.get(i) {
            flat.unknowns_of_undecided(cx, root, keys);
        }
    }
    for &e in flat.blockers(i) {
        if unknown(e as usize) {
            if let Some(&root) = roots.get(e as usize) {
                flat.unknowns_of_undecided(cx, root, keys);
            }
        }
    }
}

/// The conditions of phase 1: the record, the compiled conditions, each rule's truth and the
/// condition evaluated for it.
#[derive(Clone, Copy)]
pub(super) struct Conds<'a> {
    pub(super) cx: &'a Cx<'a>,
    pub(super) flat: &'a Flat,
    pub(super) whens: &'a [Tri],
    pub(super) roots: &'a [Root],
}
