//! Phase 3: the permission. The most restrictive definite verdict, unless an undecided
//! rule could change it. Where no plain rule speaks, a declared default decides; where
//! none does either, the policy is silent: `not_addressed`, never a silent "no".

use super::cond::Cx;
use super::fire::fire;
use crate::decision::{Decision, PermissionOut};
use crate::incident::Val;
use crate::ir::{Cond, Field, PolicyIr, Tri, Who};
use crate::model::{PermConditionKind, RuleKind, Verdict};
use std::borrow::Cow;

/// What phase 3 found, for the phases after it.
pub(super) struct Permission {
    /// Whether the record asks about an activity (a permission request).
    pub(super) activity_asked: bool,
    /// Whether the verdict is still open (an undecided rule could change it).
    pub(super) open: bool,
}

/// Decide the permission of a request; fire the winning defaults.
#[inline]
pub(super) fn decide<'p>(
    ir: &'p PolicyIr,
    cx: &Cx<'_>,
    decision: &mut Decision<'p>,
    perm: &mut PermissionState,
    later: &[(usize, Tri)],
) -> Permission {
    let activity_asked = matches!(cx.inc.activity, Val::Sym(_));
    if !activity_asked {
        // No request, no verdict: nothing below would set one, and whether an undecided rule
        // could change a verdict matters to no later phase.
        return Permission {
            activity_asked,
            open: false,
        };
    }
    for &i in &decision.possible {
        let p = ir.rules.get(i).and_then(|r| r.effects.permission.as_ref());
        if let Some(p) = p {
            if permission_can_change(ir, &perm.winners, i, p.verdict) {
                perm.open = true;
            }
        }
    }
    let mut defaults = PermissionState::default();
    let use_defaults = perm.winners.is_empty() && !perm.open;
    if use_defaults && activity_asked {
        for &(i, t) in later {
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
        for &(i, t) in later {
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
            fire(decision, ir, w);
        }
    }
    if activity_asked {
        let (state, silent) = if use_defaults {
            (&defaults, defaults.winners.is_empty() && !defaults.open)
        } else {
            (&*perm, false)
        };
        decision.permission = Some(state.resolve(ir, silent));
        if silent {
            decision.notes.push(silence_note(cx));
        }
    }
    let open = decision
        .permission
        .as_ref()
        .is_some_and(|p| p.verdict.is_none());
    Permission {
        activity_asked,
        open,
    }
}

/// Definite permission rules at the most restrictive verdict seen so far, and whether an
/// undecided rule could still change it.
#[derive(Default)]
pub(super) struct PermissionState {
    pub(super) winners: Vec<usize>,
    pub(super) open: bool,
}

impl PermissionState {
    pub(super) fn add_winner(&mut self, ir: &PolicyIr, i: usize, v: Verdict) {
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

    pub(super) fn resolve<'p>(&self, ir: &'p PolicyIr, silent: bool) -> PermissionOut<'p> {
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

/// Whether undecided rule `i` with verdict `v` could change the definite verdict: there is
/// none yet, `v` is stricter, `v` adds `allowed_if` conditions, or `i` is an exception to a
/// rule that currently wins.
pub(super) fn permission_can_change(
    ir: &PolicyIr,
    winners: &[usize],
    i: usize,
    v: Verdict,
) -> bool {
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

/// The note for a request no rule speaks to, naming the permission rules that came nearest
/// (by how many of activity, device and actor they share with the request).
fn silence_note(cx: &Cx<'_>) -> Cow<'static, str> {
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
    const NOTE: &str = "the policy does not address this request: no rule of it or of the \
                        policies it extends speaks to it, so it is neither allowed nor a breach";
    if names.is_empty() {
        return Cow::Borrowed(NOTE);
    }
    Cow::Owned(format!("{NOTE} (nearest rules: {})", names.join(", ")))
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

fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Allowed => 0,
        Verdict::AllowedIf => 1,
        Verdict::NotAllowed => 2,
        Verdict::NotAddressed => 0,
    }
}
