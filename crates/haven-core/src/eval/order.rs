//! Phase 7: the actions in contract order: modality, deadline (strictest first, none
//! last), first target, action name.

use super::flat::Flat;
use crate::decision::{ActionOut, Decision};
use crate::ir::PolicyIr;
use crate::model::{Modality, TokenKind};

/// Sort the decision's actions.
pub(super) fn sort_actions<'p>(
    decision: &mut Decision<'p>,
    ir: &'p PolicyIr,
    flat: &Flat,
    keys: &mut Vec<u128>,
) {
    if decision.actions.len() < 2 {
        return;
    }
    // The same order, with names compared by their ranks ([`Flat::name_rank`]): each
    // action's key worked out once, with its index last (so equal keys keep their order).
    let key = |(i, x): (usize, &ActionOut<'_>)| {
        let target = match x.targets.first() {
            None => flat.empty_rank(),
            Some(t) => flat.name_rank(t.kind, t.sym)?,
        };
        let action = flat.name_rank(TokenKind::Action, x.ir.action)?;
        let i = u16::try_from(i).ok()?;
        Some(
            u128::from(modality_rank(x.ir.modality)) << 112
                | u128::from(x.deadline.unwrap_or(u32::MAX)) << 80
                | u128::from(target) << 48
                | u128::from(action) << 16
                | u128::from(i),
        )
    };
    keys.clear();
    for k in decision.actions.iter().enumerate().map(key) {
        match k {
            Some(k) => keys.push(k),
            None => break,
        }
    }
    if keys.len() == decision.actions.len() {
        keys.sort_unstable();
        // Move each action to its place, one cycle of the permutation at a time
        // (`USED` marks a place filled).
        const USED: u128 = u128::MAX;
        for i in 0..keys.len() {
            let mut j = i;
            while let Some(slot) = keys.get_mut(j) {
                if *slot == USED {
                    break;
                }
                let k = (*slot & 0xffff) as usize;
                *slot = USED;
                if k == i {
                    break;
                }
                decision.actions.swap(j, k);
                j = k;
            }
        }
        return;
    }
    sort_by_names(decision, ir);
}

/// [`sort_actions`] comparing the names themselves (only if one was not ranked).
#[inline(never)]
fn sort_by_names<'p>(decision: &mut Decision<'p>, ir: &'p PolicyIr) {
    decision.actions.sort_by(|a, b| {
        modality_rank(a.ir.modality)
            .cmp(&modality_rank(b.ir.modality))
            .then_with(|| {
                a.deadline
                    .unwrap_or(u32::MAX)
                    .cmp(&b.deadline.unwrap_or(u32::MAX))
            })
            .then_with(|| {
                let name = |x: &ActionOut<'_>| {
                    x.targets
                        .first()
                        .map_or("", |t| ir.vocab.name(t.kind, t.sym))
                };
                name(a).cmp(name(b))
            })
            .then_with(|| {
                ir.vocab
                    .name(TokenKind::Action, a.ir.action)
                    .cmp(ir.vocab.name(TokenKind::Action, b.ir.action))
            })
    });
}

/// `must` first, `may` last.
pub(super) fn modality_rank(m: Modality) -> u8 {
    match m {
        Modality::Must => 0,
        Modality::MustNot => 1,
        Modality::Should => 2,
        Modality::ShouldNot => 3,
        Modality::May => 4,
    }
}
