//! The lints pass: whole-policy checks that need every rule lowered and linked: exception
//! cycles (broken so evaluation stays well-founded), statutory contradictions (with a
//! witness record), then, once replaced rules are gone, unreachable rules and, on request,
//! contract reach.

use super::lower::StatutoryInfo;
use crate::diagnostic::Diagnostic;
use crate::ir::{Cond, Field, PolicyIr, RuleIr, Test, Tri};
use crate::syntax::ast::Modality;

/// Exceptions must not form a cycle (`a overrides b`, `b overrides a`).
pub(super) fn exception_cycles(rules: &mut [RuleIr], diags: &mut Vec<Diagnostic>) {
    let n = rules.len();
    // 0 = unvisited, 1 = on stack, 2 = done
    let mut state = vec![0u8; n];
    for start in 0..n {
        if state.get(start).copied() != Some(0) {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(s) = state.get_mut(start) {
            *s = 1;
        }
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let exceptions = rules
                .get(node)
                .map(|r| r.exceptions.clone())
                .unwrap_or_default();
            if let Some(&child) = exceptions.get(*next) {
                *next += 1;
                match state.get(child).copied() {
                    Some(0) => {
                        if let Some(s) = state.get_mut(child) {
                            *s = 1;
                        }
                        stack.push((child, 0));
                    }
                    Some(1) => {
                        let path: Vec<String> = stack
                            .iter()
                            .skip_while(|(r, _)| *r != child)
                            .filter_map(|(r, _)| rules.get(*r).map(|x| x.id.clone()))
                            .collect();
                        let span = rules.get(child).map(|r| r.span).unwrap_or_default();
                        diags.push(
                            Diagnostic::error(
                                "haven::check::exception_cycle",
                                format!(
                                    "exceptions form a cycle: {} → {}",
                                    path.join(" → "),
                                    rules.get(child).map_or("", |r| r.id.as_str())
                                ),
                                span,
                            )
                            .with_help("precedence must be a hierarchy; remove one `overrides`"),
                        );
                        // Break the cycle so evaluation stays well-founded.
                        if let Some(r) = rules.get_mut(node) {
                            r.exceptions.retain(|&e| e != child);
                        }
                    }
                    _ => {}
                }
            } else {
                if let Some(s) = state.get_mut(node) {
                    *s = 2;
                }
                stack.pop();
            }
        }
    }
}

/// A school rule that says the opposite of a statutory baseline duty about the same action
/// and target weakens it.
pub(super) fn statutory_contradictions(
    ir: &PolicyIr,
    statutory: &[StatutoryInfo],
    diags: &mut Vec<Diagnostic>,
) {
    let mut found = Vec::new();
    for (si, s) in ir.rules.iter().enumerate() {
        let Some(s_info) = statutory.get(si) else {
            continue;
        };
        if !s_info.statutory {
            continue;
        }
        for (ri, r) in ir.rules.iter().enumerate() {
            let Some(r_info) = statutory.get(ri) else {
                continue;
            };
            if r_info.layer >= s_info.layer {
                continue;
            }
            for sa in &s.effects.actions {
                for ra in &r.effects.actions {
                    if sa.action != ra.action {
                        continue;
                    }
                    // Weaker where both apply: the opposite duty. `may X` beside a
                    // statutory `must X` weakens nothing (both hold: X is required).
                    let weakens = match sa.modality {
                        Modality::Must => {
                            matches!(ra.modality, Modality::MustNot | Modality::ShouldNot)
                        }
                        Modality::MustNot => matches!(
                            ra.modality,
                            Modality::Must | Modality::Should | Modality::May
                        ),
                        _ => false,
                    };
                    let targets_meet = sa.targets.is_empty()
                        || ra.targets.is_empty()
                        || sa.targets.iter().any(|t| ra.targets.contains(t));
                    if weakens
                        && targets_meet
                        && !granted_by_baseline(ir, statutory, s_info.layer, ra)
                    {
                        found.push((ri, si, ra.text.clone(), sa.text.clone()));
                    }
                }
            }
        }
    }
    for (ri, si, r_text, s_text) in found {
        let (Some(r), Some(s)) = (ir.rules.get(ri), ir.rules.get(si)) else {
            continue;
        };
        // Only where both conditions can hold at once: find a record on the overlap.
        let witness = match crate::witness::find(ir, &[&s.cond, &r.cond], WITNESS_BUDGET) {
            crate::witness::Search::Impossible => continue,
            crate::witness::Search::Found(inc) => {
                Some(crate::witness::to_json(ir, &inc).to_string())
            }
            crate::witness::Search::GaveUp => None,
        };
        let mut d = Diagnostic::error(
            "haven::check::weakens_statutory",
            format!(
                "`{}` says `{r_text}`, weakening the statutory `{s_text}`",
                r.id
            ),
            r.span,
        )
        .with_secondary(s.span, format!("statutory rule `{}` declared here", s.id));
        let advice = "statutory duties cannot be relaxed: narrow this rule's condition so it cannot meet the statutory one, or remove it";
        d = match witness {
            Some(w) => d.with_help(format!("{advice}; both apply to this incident: {w}")),
            None => d.with_help(format!(
                "{advice}; no incident on which both apply was found within {WITNESS_BUDGET} steps, and none was ruled out"
            )),
        };
        diags.push(d);
    }
}

/// How many partial records a witness search may visit before it gives up.
const WITNESS_BUDGET: usize = 200_000;

/// Whether the layers at or below `layer` themselves grant this action to this performer
/// (e.g. the baseline's `may view_imagery by dsl` beside its statutory `must_not`): a school
/// restating that grant does not weaken anything.
fn granted_by_baseline(
    ir: &PolicyIr,
    statutory: &[StatutoryInfo],
    layer: usize,
    a: &crate::ir::ActionIr,
) -> bool {
    a.by.is_some()
        && ir.rules.iter().enumerate().any(|(i, r)| {
            statutory.get(i).is_some_and(|info| info.layer >= layer)
                && r.effects
                    .actions
                    .iter()
                    .any(|b| b.action == a.action && b.modality == a.modality && b.by == a.by)
        })
}

/// Checks run once everything is resolved.
pub(super) fn run(
    ir: &PolicyIr,
    statutory: &[StatutoryInfo],
    contract: bool,
    diags: &mut Vec<Diagnostic>,
) {
    unreachable_rules(&ir.rules, diags);
    if contract {
        contract_reach(ir, statutory, diags);
    }
}

/// DESIGN §3 "contract tokens first": the root policy's rules that no record sending only
/// contract fields can trigger, because they need a token or fact the policy declares itself
/// (and no fact relation derives it from contract facts).
fn contract_reach(ir: &PolicyIr, statutory: &[StatutoryInfo], diags: &mut Vec<Diagnostic>) {
    use crate::incident::Val;
    use crate::syntax::ast::TokenKind;
    use crate::witness::{find_within, FieldRef, Search};
    let vocab = &ir.vocab;
    let derivable: Vec<u16> = vocab
        .relations
        .iter()
        .filter(|r| {
            vocab
                .facts
                .get(usize::from(r.antecedent.0))
                .is_some_and(|f| f.contract)
        })
        .map(|r| r.consequent.0)
        .collect();
    let token_ok = |kind: TokenKind, v: Val| match v {
        Val::Sym(s) => vocab
            .tokens
            .get(kind.index())
            .and_then(|t| t.get(s as usize))
            .is_some_and(|t| t.contract),
        _ => true,
    };
    let allow = |field: FieldRef, v: Val| -> bool {
        match field {
            FieldRef::Top(Field::Category) => token_ok(TokenKind::Category, v),
            FieldRef::Top(Field::Activity) => token_ok(TokenKind::Activity, v),
            FieldRef::Top(Field::Location) => token_ok(TokenKind::Location, v),
            FieldRef::Top(Field::Time) => token_ok(TokenKind::Time, v),
            FieldRef::Top(Field::DeviceKind) => token_ok(TokenKind::Device, v),
            FieldRef::Top(Field::DeviceOwner) => token_ok(TokenKind::Owner, v),
            FieldRef::Top(Field::Fact(i)) => {
                derivable.contains(&i)
                    || vocab.facts.get(usize::from(i)).is_some_and(|f| f.contract)
            }
            FieldRef::Top(_) => true,
            FieldRef::Role => token_ok(TokenKind::Role, v),
            FieldRef::PersonFact(i) => vocab
                .person_facts
                .get(usize::from(i))
                .is_some_and(|f| f.contract),
        }
    };
    let mut found = Vec::new();
    for (i, rule) in ir.rules.iter().enumerate() {
        if statutory.get(i).is_none_or(|s| s.layer != 0) {
            continue;
        }
        if let Search::Impossible = find_within(ir, &[&rule.cond], WITNESS_BUDGET, &allow) {
            let mut needs = Vec::new();
            school_only(ir, &rule.cond, &mut needs);
            found.push((rule.id.clone(), rule.span, needs));
        }
    }
    for (id, span, needs) in found {
        let help = if needs.is_empty() {
            "use the contract's tokens (DESIGN §4), or derive the school fact with a `relation`"
                .to_owned()
        } else {
            format!(
                "integrators must send {}; or use the contract's tokens, or derive them with a `relation`",
                needs.join(", ")
            )
        };
        diags.push(
            Diagnostic::warning(
                "haven::check::needs_school_fact",
                format!("no record of contract fields alone can trigger rule `{id}`"),
                span,
            )
            .with_label("it needs a token or fact this policy declares itself")
            .with_help(help),
        );
    }
}

/// The school-declared tokens and facts a condition names, as `kind name`.
fn school_only(ir: &PolicyIr, cond: &Cond, out: &mut Vec<String>) {
    use crate::syntax::ast::TokenKind;
    let v = &ir.vocab;
    match cond {
        Cond::Const(_) => {}
        Cond::Not(c) => school_only(ir, c, out),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| school_only(ir, c, out)),
        Cond::Quant { body, .. } => school_only(ir, body, out),
        Cond::Test(field, test) => {
            let mut found = None;
            if let Field::Fact(i) = field {
                if let Some(f) = v.facts.get(usize::from(*i)).filter(|f| !f.contract) {
                    found = Some(format!("`facts.{}`", f.name));
                }
            }
            let kind = match field {
                Field::Category => Some(TokenKind::Category),
                Field::Activity => Some(TokenKind::Activity),
                Field::Location => Some(TokenKind::Location),
                Field::Time => Some(TokenKind::Time),
                Field::DeviceKind => Some(TokenKind::Device),
                _ => None,
            };
            if let (Some(kind), Test::Sym(s)) = (kind, test) {
                if let Some(t) = v
                    .tokens
                    .get(kind.index())
                    .and_then(|t| t.get(*s as usize))
                    .filter(|t| !t.contract)
                {
                    found = Some(format!("{} `{}`", kind.keyword(), t.name));
                }
            }
            if let Some(f) = found {
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
    }
}

/// Rules whose condition folds to false, or that an always-true exception shadows.
fn unreachable_rules(rules: &[RuleIr], diags: &mut Vec<Diagnostic>) {
    let mut found = Vec::new();
    for r in rules {
        if r.id.contains('/') {
            continue;
        }
        if matches!(r.cond, Cond::Const(Tri::False)) {
            found.push((
                r.span,
                format!("rule `{}` can never apply", r.id),
                "its condition is always false".to_owned(),
            ));
        } else if let Some(e) = r
            .exceptions
            .iter()
            .filter_map(|&e| rules.get(e))
            .find(|e| matches!(e.cond, Cond::Const(Tri::True)))
        {
            found.push((
                r.span,
                format!("rule `{}` can never apply", r.id),
                format!("its exception `{}` always holds", e.id),
            ));
        }
    }
    for (span, message, help) in found {
        diags.push(
            Diagnostic::warning("haven::check::unreachable_rule", message, span).with_help(help),
        );
    }
}
