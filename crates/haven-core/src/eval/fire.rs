//! Phase 2: fire the plain rules that hold (their actions, breach and notes join the
//! decision); keep the undecided ones as possible, and the defaults and breach
//! consequences for phases 3 and 5.

use super::conditions::{effective, Candidates};
use super::flat::Flat;
use super::permission::PermissionState;
use crate::decision::{ActionOut, Decision, RuleList};
use crate::ir::{ActionIr, Layer, PolicyIr, Tri};
use crate::model::RuleKind;
use std::borrow::Cow;

/// Fire the plain candidate rules that hold; return the definite permission rules among
/// them. `later` receives the defaults and `on breach` rules that are not false.
#[inline]
pub(super) fn plain_rules<'p>(
    ir: &'p PolicyIr,
    flat: &Flat,
    whens: &[Tri],
    candidates: &Candidates<'_>,
    decision: &mut Decision<'p>,
    later: &mut Vec<(usize, Tri)>,
    unique_hits: &mut Vec<(usize, usize)>,
) -> PermissionState {
    let mut perm = PermissionState::default();
    later.clear();
    unique_hits.clear();
    for i in candidates.iter() {
        let Some(rule) = ir.rules.get(i) else {
            continue;
        };
        let t = effective(flat, whens, i);
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
                fire(decision, ir, i);
                if let Some(p) = &rule.effects.permission {
                    perm.add_winner(ir, i, p.verdict);
                }
            }
            _ => {
                if decision.possible.capacity() == 0 {
                    decision.possible = Vec::with_capacity(8);
                }
                decision.possible.push(i);
            }
        }
    }
    unique_table_notes(decision, ir, unique_hits);
    perm
}

/// Record that rule `i` holds: its actions, breach and notes join the decision.
pub(super) fn fire<'p>(decision: &mut Decision<'p>, ir: &'p PolicyIr, i: usize) {
    let Some(rule) = ir.rules.get(i) else {
        return;
    };
    if decision.fired.capacity() == 0 {
        decision.fired = Vec::with_capacity(8);
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
        *actions = Vec::with_capacity(8);
    }
    actions.push(ActionOut {
        ir: a,
        targets: Cow::Borrowed(&a.targets),
        deadline: a.deadline,
        rules: RuleList::new(rule),
        school: layer == Layer::School,
    });
}
