//! The relations pass: `overrides` links an exception to the rule it overrides, `replaces`
//! removes a rule of a deeper layer, and neither may weaken a statutory rule. Runs after the
//! rules are lowered; takes the lowered rules and what the checker recorded of them, and
//! returns which rules a `replaces` removes ([`remove_rules`] applies that after the lints
//! that need the full set have run).

use super::lower::{RuleRef, StatutoryInfo};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{PolicyIr, RuleIr};
use crate::syntax::ast;
use std::collections::HashMap;

/// Check every `overrides` / `replaces` and link them: exceptions onto their rules; the
/// returned flags mark the rules replaced.
pub(super) fn link(
    rules: &mut [RuleIr],
    statutory: &[StatutoryInfo],
    refs: &HashMap<String, RuleRef>,
    relations: &[(usize, usize, ast::Relation)],
    diags: &mut Vec<Diagnostic>,
) -> Vec<bool> {
    let mut removed = vec![false; rules.len()];
    for (idx, layer, rel) in relations {
        let Some(target) = refs.get(&rel.target.node) else {
            let names: Vec<String> = refs.keys().cloned().collect();
            let mut d = Diagnostic::error(
                "haven::check::unknown_rule",
                format!("`{}` names no rule", rel.target.node),
                rel.target.span,
            )
            .with_label(match rel.kind {
                ast::RelationKind::Overrides => "this exception overrides nothing",
                ast::RelationKind::Replaces => "this replaces nothing",
            });
            if let Some(s) = suggest(&rel.target.node, &names) {
                d = d.with_suggestion(s);
            }
            diags.push(d);
            continue;
        };
        let target_idx = if rel.target.node == rules.get(*idx).map_or("", |r| r.id.as_str()) {
            // `rule x replaces x`: the target is the earlier definition.
            rules
                .iter()
                .position(|r| r.id == rel.target.node)
                .unwrap_or(target.idx)
        } else {
            target.idx
        };
        if target_idx == *idx {
            diags.push(Diagnostic::error(
                "haven::check::self_override",
                format!("rule `{}` cannot override itself", rel.target.node),
                rel.target.span,
            ));
            continue;
        }
        let target_layer = statutory.get(target_idx).map_or(0, |s| s.layer);
        let target_statutory = statutory.get(target_idx).is_some_and(|s| s.statutory);
        if target_statutory && target_layer > *layer {
            let verb = match rel.kind {
                ast::RelationKind::Overrides => "overrides",
                ast::RelationKind::Replaces => "replaces",
            };
            diags.push(
                Diagnostic::error(
                    "haven::check::weakens_statutory",
                    format!(
                        "`{}` {verb} the statutory rule `{}`",
                        rules.get(*idx).map_or("", |r| r.id.as_str()),
                        rel.target.node
                    ),
                    rel.target.span,
                )
                .with_label("a school policy cannot weaken a statutory clause")
                .with_secondary(target.span, "statutory rule declared here")
                .with_help("add a stricter rule beside it instead; statutory duties always apply"),
            );
            continue;
        }
        match rel.kind {
            ast::RelationKind::Overrides => {
                if let Some(r) = rules.get_mut(target_idx) {
                    r.exceptions.push(*idx);
                }
                if let Some(r) = rules.get_mut(*idx) {
                    r.overrides.push(target_idx);
                }
            }
            ast::RelationKind::Replaces => {
                if target_layer <= *layer {
                    diags.push(
                        Diagnostic::error(
                            "haven::check::replaces_same_layer",
                            format!(
                                "`replaces {}` must name a rule of the policy this one extends",
                                rel.target.node
                            ),
                            rel.target.span,
                        )
                        .with_secondary(target.span, "this rule is in the same policy")
                        .with_help("within one policy, use `overrides` for an exception"),
                    );
                    continue;
                }
                if let Some(slot) = removed.get_mut(target_idx) {
                    *slot = true;
                }
            }
        }
    }
    removed
}

/// Drop the rules `removed` marks, renumbering every rule index the IR holds.
pub(super) fn remove_rules(
    ir: &mut PolicyIr,
    statutory: &mut Vec<StatutoryInfo>,
    removed: &[bool],
) {
    if !removed.iter().any(|r| *r) {
        return;
    }
    let mut remap = vec![usize::MAX; ir.rules.len()];
    let mut next = 0;
    for (i, slot) in remap.iter_mut().enumerate() {
        if !removed.get(i).copied().unwrap_or(false) {
            *slot = next;
            next += 1;
        }
    }
    let old = std::mem::take(&mut ir.rules);
    for (i, mut rule) in old.into_iter().enumerate() {
        if removed.get(i).copied().unwrap_or(false) {
            continue;
        }
        rule.exceptions = rule
            .exceptions
            .iter()
            .filter_map(|e| remap.get(*e).copied().filter(|v| *v != usize::MAX))
            .collect();
        rule.overrides = rule
            .overrides
            .iter()
            .filter_map(|e| remap.get(*e).copied().filter(|v| *v != usize::MAX))
            .collect();
        // Table rows are never removed (only `replaces` targets are), so the range of
        // earlier rows shifts as a block.
        let start = remap
            .get(rule.preceded_by.start)
            .copied()
            .filter(|v| *v != usize::MAX);
        rule.preceded_by = match start {
            Some(start) => start..start + rule.preceded_by.len(),
            None => 0..0,
        };
        ir.rules.push(rule);
    }
    for t in &mut ir.tables {
        let start = remap.get(t.rows.start).copied().unwrap_or(0);
        let end = start + t.rows.len();
        t.rows = start..end;
    }
    let old_stat = std::mem::take(statutory);
    *statutory = old_stat
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !removed.get(*i).copied().unwrap_or(false))
        .map(|(_, s)| s)
        .collect();
}
