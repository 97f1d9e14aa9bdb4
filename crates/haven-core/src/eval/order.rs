//! Phase 7: the actions in contract order: modality, deadline (strictest first, none
//! last), first target, action name.

use crate::decision::{ActionOut, Decision};
use crate::ir::PolicyIr;
use crate::model::{Modality, TokenKind};

/// Sort the decision's actions.
pub(super) fn sort_actions<'p>(decision: &mut Decision<'p>, ir: &'p PolicyIr) {
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
