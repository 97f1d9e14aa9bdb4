//! Phase 6: the questions. For each undecided rule, the unknown fields that keep it
//! undecided, each with what its answer could add (actions not already required at least
//! as strongly, a permission verdict, a breach). Only the keys are found here; the wording
//! is rendered from them when the decision is read ([`crate::question`]).

use super::cond::{push_unique, Cx};
use super::flat::{Flat, Root, FIXED_TEXTS};
use super::order::modality_rank;
use super::permission::{permission_can_change, PermissionState};
use crate::decision::{ActionOut, Decision, QuestionOut};
use crate::ir::{PolicyIr, RuleIr, Sym, Tri};
use crate::model::{RuleKind, Verdict};
use crate::question::QKey;

/// Buffers reused across evaluations.
#[derive(Default)]
pub(super) struct Scratch {
    breach_keys: Vec<QKey>,
    keys: Vec<QKey>,
    /// What the rule under way could add.
    adds: Vec<Add>,
    /// Per question (in order of creation), a bit set of the numbers of the texts it has in
    /// `could_add`.
    seen: Vec<u64>,
}

/// What answering a question about a rule's fields could add (actions not already required
/// at least as strongly, a permission verdict, a breach), into `out`: each `could_add` text
/// with its number ([`Flat::text_ids`]) and a severity (modality rank, deadline) for
/// ordering the questions.
fn could_add(
    flat: &Flat,
    (decided, decided_kinds): (&[ActionOut<'_>], u64),
    breach_now: Option<bool>,
    (i, rule): (usize, &RuleIr),
    permission: Option<(&'static str, u32)>,
    out: &mut Vec<Add>,
) {
    out.clear();
    let ids = flat.text_ids(i);
    for (k, a) in rule.effects.actions.iter().enumerate() {
        // Only a decided action of the same kind can cover `a`: most are told apart by
        // `decided_kinds` (a bit per kind, modulo 64) without looking at them.
        let covered = decided_kinds & kind_bit(a.action) != 0
            && decided
                .iter()
                .any(|d| d.ir.action == a.action && d.covers(a));
        if !covered {
            out.push(Add {
                text: Text::Action(k),
                id: ids.get(k).copied().unwrap_or(NO_ID),
                severity: (modality_rank(a.modality), a.deadline.unwrap_or(u32::MAX)),
            });
        }
    }
    if let Some((_, id)) = permission {
        out.push(Add {
            text: Text::Fixed(id as usize),
            id,
            severity: (1, u32::MAX),
        });
    }
    if rule.effects.breach && breach_now != Some(true) {
        out.push(Add {
            text: Text::Fixed(BREACH as usize),
            id: BREACH,
            severity: (2, u32::MAX),
        });
    }
}

/// The bit of an action kind in a set of kinds (modulo 64).
fn kind_bit(action: Sym) -> u64 {
    1 << (action % 64)
}

/// A `could_add` text, its number and severity.
#[derive(Clone, Copy)]
pub(super) struct Add {
    text: Text,
    id: u32,
    severity: (u8, u32),
}

/// Where a `could_add` text is: the rule's action `k`, or [`FIXED_TEXTS`].
#[derive(Clone, Copy)]
enum Text {
    Action(usize),
    Fixed(usize),
}

impl Text {
    fn of(self, rule: &RuleIr) -> &str {
        match self {
            Text::Action(k) => rule.effects.actions.get(k).map_or("", |a| a.text.as_str()),
            Text::Fixed(i) => FIXED_TEXTS.get(i).copied().unwrap_or_default(),
        }
    }
}

/// A text without a number (never, as the compiled form is built): compared as text.
const NO_ID: u32 = u32::MAX;
/// The number of `breach` in [`FIXED_TEXTS`].
const BREACH: u32 = 4;

/// What the earlier phases settled that the questions depend on.
pub(super) struct Settled<'a> {
    /// The definite permission rules (phase 2) and whether the verdict is open.
    pub(super) perm: &'a PermissionState,
    /// Whether the record asks about an activity.
    pub(super) activity_asked: bool,
    /// The breach as a truth value (phase 4).
    pub(super) breach_now: Tri,
}

/// `permission <verdict>`, as `could_add` says it, with its number in [`FIXED_TEXTS`].
fn permission_text(v: Verdict) -> (&'static str, u32) {
    let i = match v {
        Verdict::Allowed => 0,
        Verdict::AllowedIf => 1,
        Verdict::NotAllowed => 2,
        Verdict::NotAddressed => 3,
    };
    (FIXED_TEXTS.get(i).copied().unwrap_or_default(), i as u32)
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
    let Scratch {
        breach_keys,
        keys,
        adds,
        seen,
    } = scratch;
    let stride = conds.flat.texts().div_ceil(64);
    seen.clear();
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
    let decided_kinds = decision
        .actions
        .iter()
        .fold(0, |bits, d| bits | kind_bit(d.ir.action));
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
        could_add(
            conds.flat,
            (&decision.actions, decided_kinds),
            decision.breach,
            (i, rule),
            permission,
            adds,
        );
        let Some(severity) = adds.iter().map(|a| a.severity).min() else {
            continue;
        };
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
                    seen.resize(decision.questions.len() * stride, 0);
                    decision.questions.len() - 1
                }
            };
            let Some(q) = decision.questions.get_mut(qi) else {
                continue;
            };
            q.severity = q.severity.min(severity);
            let id = q.id;
            for add in adds.iter() {
                let text = add.text.of(rule);
                let fresh = match seen.get_mut(qi * stride + add.id as usize / 64) {
                    Some(bits) if add.id != NO_ID => {
                        let bit = 1u64 << (add.id % 64);
                        let fresh = *bits & bit == 0;
                        *bits |= bit;
                        fresh
                    }
                    _ => !decision
                        .could_add
                        .iter()
                        .any(|&(q, c)| q == id && (std::ptr::eq(c, text) || c == text)),
                };
                if fresh {
                    if decision.could_add.capacity() == 0 {
                        // One allocation for the usual few, rather than growing 4, 8, 16.
                        decision.could_add = Vec::with_capacity(16);
                    }
                    decision.could_add.push((id, text));
                }
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
