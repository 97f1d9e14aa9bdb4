//! Whole-policy checks that need every rule resolved: table rows, precedence cycles,
//! statutory contradictions, unreachable rules.

use super::{is_tick, Checker};
use crate::diagnostic::Diagnostic;
use crate::ir::{Cond, Field, Sym, Test, Tri};
use crate::syntax::ast::{self, HitPolicy, Modality};

/// Evaluation order of a table's rows: by descending priority for `hit priority`
/// (ties keep document order), document order otherwise.
pub(super) fn row_order(cx: &mut Checker<'_>, t: &ast::Table) -> Vec<usize> {
    let mut order: Vec<usize> = (0..t.rows.len()).collect();
    if t.hit.node == HitPolicy::Priority {
        for row in &t.rows {
            if row.priority.is_none() {
                cx.error(
                    Diagnostic::error(
                        "haven::check::missing_priority",
                        format!("row in priority table `{}` has no priority", t.name.node),
                        row.label.span,
                    )
                    .with_help("add `priority N` after the row's condition (higher wins)"),
                );
            }
        }
        order.sort_by_key(|&i| {
            std::cmp::Reverse(
                t.rows
                    .get(i)
                    .and_then(|r| r.priority.as_ref())
                    .map_or(i64::MIN, |p| p.node),
            )
        });
    } else {
        for row in &t.rows {
            if let Some(p) = &row.priority {
                cx.error(
                    Diagnostic::warning(
                        "haven::check::priority_ignored",
                        format!(
                            "`priority` has no effect in a `hit {}` table",
                            t.hit.node.keyword()
                        ),
                        p.span,
                    )
                    .with_help("use `hit priority`, or remove the priority"),
                );
            }
        }
    }
    order
}

/// Row-level checks: duplicated and unreachable rows, overlaps in unique tables, missing
/// combinations.
pub(super) fn table(cx: &mut Checker<'_>, t: &ast::Table, row_rule_idx: &[usize]) {
    missing_combinations(cx, t, row_rule_idx);
    let ticks = |r: &ast::Row| -> Vec<bool> {
        r.cells
            .iter()
            .map(|c| c.node.as_deref().is_some_and(is_tick))
            .collect()
    };
    for (i, row) in t.rows.iter().enumerate() {
        let resolved_false = row_rule_idx
            .get(i)
            .and_then(|&idx| cx.ir.rules.get(idx))
            .is_some_and(|r| matches!(&r.cond, Cond::Const(Tri::False)));
        if resolved_false {
            continue;
        }
        for (j, earlier) in t.rows.iter().enumerate().take(i) {
            if earlier.when != row.when {
                continue;
            }
            match t.hit.node {
                HitPolicy::First => cx.error(
                    Diagnostic::warning(
                        "haven::check::unreachable_row",
                        format!("row {} can never be chosen", i + 1),
                        row.label.span,
                    )
                    .with_secondary(earlier.label.span, format!("row {} has the same condition and comes first", j + 1))
                    .with_help("remove the row or make its condition more specific"),
                ),
                HitPolicy::Unique if ticks(earlier) != ticks(row) => cx.error(
                    Diagnostic::error(
                        "haven::check::overlapping_rows",
                        format!("rows {} and {} of unique table `{}` overlap with different outcomes", j + 1, i + 1, t.name.node),
                        row.label.span,
                    )
                    .with_secondary(earlier.label.span, "same condition here")
                    .with_help("a `hit unique` table allows one matching row; make the conditions disjoint or use `hit collect`"),
                ),
                _ => cx.error(
                    Diagnostic::warning(
                        "haven::check::duplicate_row",
                        format!("row {} repeats the condition of row {}", i + 1, j + 1),
                        row.label.span,
                    )
                    .with_secondary(earlier.label.span, "first here"),
                ),
            }
            break;
        }
        if t.hit.node == HitPolicy::First {
            if let Some((j, catch_all)) = t
                .rows
                .iter()
                .enumerate()
                .take(i)
                .find(|(_, r)| matches!(r.when.kind, ast::ExprKind::Bool(true)))
            {
                cx.error(
                    Diagnostic::warning(
                        "haven::check::unreachable_row",
                        format!("row {} can never be chosen", i + 1),
                        row.label.span,
                    )
                    .with_secondary(
                        catch_all.label.span,
                        format!("row {} always matches and comes first", j + 1),
                    ),
                );
            }
        }
    }
}

/// Missing combinations in a `unique` or `first` table: where rows for the same categories
/// split on a yes/no fact, both answers must have a row (or a row must ignore the fact).
pub(super) fn missing_combinations(cx: &mut Checker<'_>, t: &ast::Table, row_rule_idx: &[usize]) {
    if !matches!(t.hit.node, HitPolicy::Unique | HitPolicy::First) {
        return;
    }
    // (category set, fact index) -> (seen true, seen false, seen unconstrained)
    let mut groups: Vec<(Vec<Sym>, u16, [bool; 3])> = Vec::new();
    // `None` categories: the row is not limited by category, so it covers every group.
    let rows: Vec<RowShape> = row_rule_idx
        .iter()
        .filter_map(|&idx| cx.ir.rules.get(idx))
        .map(|r| (category_set(&r.cond), bool_literals(&r.cond)))
        .collect();
    for (cats, lits) in &rows {
        let Some(cats) = cats else { continue };
        for (fact, value) in lits {
            if !groups.iter().any(|(c, f, _)| c == cats && f == fact) {
                groups.push((cats.clone(), *fact, [false; 3]));
            }
            let _ = value;
        }
    }
    for (cats, fact, seen) in &mut groups {
        for (row_cats, lits) in &rows {
            if row_cats.as_ref().is_some_and(|rc| rc != cats) {
                continue;
            }
            match lits.iter().find(|(f, _)| f == fact) {
                Some((_, true)) => seen[0] = true,
                Some((_, false)) => seen[1] = true,
                None => seen[2] = true,
            }
        }
    }
    for (cats, fact, seen) in groups {
        if seen[2] || (seen[0] && seen[1]) {
            continue;
        }
        let fact_name = cx
            .ir
            .vocab
            .facts
            .get(usize::from(fact))
            .map_or("?".to_owned(), |f| f.name.clone());
        let missing = if seen[0] {
            format!("not {fact_name}")
        } else {
            fact_name.clone()
        };
        let cat_names: Vec<String> = cats
            .iter()
            .map(|c| cx.ir.vocab.name(ast::TokenKind::Category, *c).to_owned())
            .collect();
        cx.diags.push(
            Diagnostic::warning(
                "haven::check::missing_combination",
                format!(
                    "table `{}` has no row for `category is {}` with `{missing}`",
                    t.name.node,
                    cat_names.join("|")
                ),
                t.name.span,
            )
            .with_help(format!(
                "add a row for `{missing}`, or drop `{fact_name}` from the rows that test it"
            )),
        );
    }
}

/// A row's category set (`None`: not limited by category) and the yes/no facts it fixes.
type RowShape = (Option<Vec<Sym>>, Vec<(u16, bool)>);

/// Yes/no facts a conjunction fixes: `fact` or `not fact` / `fact is false`.
fn bool_literals(cond: &Cond) -> Vec<(u16, bool)> {
    match cond {
        Cond::Test(Field::Fact(f), Test::Truthy) => vec![(*f, true)],
        Cond::Test(Field::Fact(f), Test::Bool(b)) => vec![(*f, *b)],
        Cond::Not(inner) => match inner.as_ref() {
            Cond::Test(Field::Fact(f), Test::Truthy) => vec![(*f, false)],
            Cond::Test(Field::Fact(f), Test::Bool(b)) => vec![(*f, !*b)],
            _ => Vec::new(),
        },
        Cond::And(parts) => parts.iter().flat_map(bool_literals).collect(),
        _ => Vec::new(),
    }
}

/// Exceptions must not form a cycle (`a overrides b`, `b overrides a`).
pub(super) fn exception_cycles(cx: &mut Checker<'_>) {
    let n = cx.ir.rules.len();
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
            let exceptions = cx
                .ir
                .rules
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
                            .filter_map(|(r, _)| cx.ir.rules.get(*r).map(|x| x.id.clone()))
                            .collect();
                        let span = cx.ir.rules.get(child).map(|r| r.span).unwrap_or_default();
                        cx.error(
                            Diagnostic::error(
                                "haven::check::exception_cycle",
                                format!(
                                    "exceptions form a cycle: {} → {}",
                                    path.join(" → "),
                                    cx.ir.rules.get(child).map_or("", |r| r.id.as_str())
                                ),
                                span,
                            )
                            .with_help("precedence must be a hierarchy; remove one `overrides`"),
                        );
                        // Break the cycle so evaluation stays well-founded.
                        if let Some(r) = cx.ir.rules.get_mut(node) {
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
pub(super) fn statutory_contradictions(cx: &mut Checker<'_>) {
    let mut found = Vec::new();
    for (si, s) in cx.ir.rules.iter().enumerate() {
        let Some(s_info) = cx.statutory.get(si) else {
            continue;
        };
        if !s_info.statutory {
            continue;
        }
        for (ri, r) in cx.ir.rules.iter().enumerate() {
            let Some(r_info) = cx.statutory.get(ri) else {
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
                    if weakens && targets_meet && !granted_by_baseline(cx, s_info.layer, ra) {
                        found.push((ri, si, ra.text.clone(), sa.text.clone()));
                    }
                }
            }
        }
    }
    for (ri, si, r_text, s_text) in found {
        let (Some(r), Some(s)) = (cx.ir.rules.get(ri), cx.ir.rules.get(si)) else {
            continue;
        };
        // Only where both conditions can hold at once: find a record on the overlap.
        let witness = match crate::witness::find(&cx.ir, &[&s.cond, &r.cond], WITNESS_BUDGET) {
            crate::witness::Search::Impossible => continue,
            crate::witness::Search::Found(inc) => {
                Some(crate::witness::to_json(&cx.ir, &inc).to_string())
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
        cx.error(d);
    }
}

/// How many partial records a witness search may visit before it gives up.
const WITNESS_BUDGET: usize = 200_000;

/// Whether the layers at or below `layer` themselves grant this action to this performer
/// (e.g. the baseline's `may view_imagery by dsl` beside its statutory `must_not`): a school
/// restating that grant does not weaken anything.
fn granted_by_baseline(cx: &Checker<'_>, layer: usize, a: &crate::ir::ActionIr) -> bool {
    a.by.is_some()
        && cx.ir.rules.iter().enumerate().any(|(i, r)| {
            cx.statutory.get(i).is_some_and(|info| info.layer >= layer)
                && r.effects
                    .actions
                    .iter()
                    .any(|b| b.action == a.action && b.modality == a.modality && b.by == a.by)
        })
}

/// Checks run once everything is resolved.
pub(super) fn run(cx: &mut Checker<'_>) {
    unreachable_rules(cx);
    if cx.opts.contract_reach {
        contract_reach(cx);
    }
}

/// DESIGN §3 "contract tokens first": the root policy's rules that no record sending only
/// contract fields can trigger, because they need a token or fact the policy declares itself
/// (and no fact relation derives it from contract facts).
fn contract_reach(cx: &mut Checker<'_>) {
    use crate::incident::Val;
    use crate::syntax::ast::TokenKind;
    use crate::witness::{find_within, FieldRef, Search};
    let vocab = &cx.ir.vocab;
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
    for (i, rule) in cx.ir.rules.iter().enumerate() {
        if cx.statutory.get(i).is_none_or(|s| s.layer != 0) {
            continue;
        }
        if let Search::Impossible = find_within(&cx.ir, &[&rule.cond], WITNESS_BUDGET, &allow) {
            let mut needs = Vec::new();
            school_only(&cx.ir, &rule.cond, &mut needs);
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
        cx.error(
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
fn school_only(ir: &crate::ir::PolicyIr, cond: &Cond, out: &mut Vec<String>) {
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
fn unreachable_rules(cx: &mut Checker<'_>) {
    let mut found = Vec::new();
    for r in &cx.ir.rules {
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
            .filter_map(|&e| cx.ir.rules.get(e))
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
        cx.diags.push(
            Diagnostic::warning("haven::check::unreachable_rule", message, span).with_help(help),
        );
    }
}

/// `default rule` decides a permission, so it must carry one; `on breach rule` follows a
/// breach, so it cannot itself decide a permission or declare one.
pub(super) fn rule_kind(cx: &mut Checker<'_>, r: &ast::Rule, effects: &crate::ir::Effects) {
    match r.kind {
        ast::RuleKind::Plain => {}
        ast::RuleKind::Default => {
            if effects.permission.is_none() {
                cx.error(
                    Diagnostic::error(
                        "haven::check::default_without_permission",
                        format!("default rule `{}` gives no permission", r.name.node),
                        r.name.span,
                    )
                    .with_help(
                        "a default decides a request no other rule speaks to: add `permission …`",
                    ),
                );
            }
        }
        ast::RuleKind::OnBreach => {
            for o in &r.outcomes {
                let what = match o {
                    ast::Outcome::Permission(_) => "a permission",
                    ast::Outcome::Breach(_) => "`breach`",
                    _ => continue,
                };
                cx.error(
                    Diagnostic::error(
                        "haven::check::breach_rule_outcome",
                        format!("`on breach` rule `{}` cannot give {what}", r.name.node),
                        o.span(),
                    )
                    .with_label("it follows a breach another rule decides")
                    .with_help("keep the actions that follow the breach; decide the permission in a plain rule"),
                );
            }
        }
    }
    if let Some(because) = &r.because {
        if because.node.trim().is_empty() {
            cx.error(
                Diagnostic::error(
                    "haven::check::empty_reason",
                    "`because` gives no reason".to_owned(),
                    because.span,
                )
                .with_help("say why the rule departs from its sentence's verb"),
            );
        }
    }
}

/// DESIGN §3: a rule's modality follows the verb of the sentence it cites, unless the rule
/// says why (`because "…"`).
pub(super) fn modality(cx: &mut Checker<'_>, r: &ast::Rule) {
    if r.because.is_some() {
        return;
    }
    let mut verbs: Option<crate::modal::VerbSet> = None;
    let mut all = String::new();
    for cite in &r.cites {
        if let Some(q) = &cite.quote {
            all.push_str(&q.node);
            all.push_str(". ");
        }
    }
    if !all.trim().is_empty() {
        verbs = Some(crate::modal::modalities(&all));
    }
    let Some(verbs) = verbs else { return };
    for o in &r.outcomes {
        let ast::Outcome::Action(a) = o else { continue };
        let m = a.modality.node;
        if verbs.allows(m) {
            continue;
        }
        let cite_span = r
            .cites
            .iter()
            .find_map(|c| c.quote.as_ref().map(|q| q.span))
            .unwrap_or(r.name.span);
        cx.error(
            Diagnostic::warning(
                "haven::check::modality_mismatch",
                format!(
                    "`{} {}` departs from its sentence, which says {}",
                    m.keyword(),
                    a.action.node,
                    verbs.describe()
                ),
                a.modality.span,
            )
            .with_label(format!("`{}` here", m.keyword()))
            .with_secondary(cite_span, "the cited sentence")
            .with_help(match verbs.primary() {
                Some(p) => format!(
                    "write `{}` as the sentence does, or say why with `because \"…\"` after the citation",
                    p.keyword()
                ),
                None => "say why with `because \"…\"` after the citation".to_owned(),
            }),
        );
    }
}

/// The categories a condition is limited to, if it is (a conjunction with a `category is`/
/// `category in` test, or a disjunction of such conditions).
fn category_set(cond: &Cond) -> Option<Vec<Sym>> {
    match cond {
        Cond::Test(Field::Category, Test::Sym(s)) => Some(vec![*s]),
        Cond::Test(Field::Category, Test::Syms(ss)) => Some(ss.to_vec()),
        Cond::And(parts) => parts
            .iter()
            .filter_map(category_set)
            .reduce(|a, b| a.into_iter().filter(|x| b.contains(x)).collect()),
        Cond::Or(parts) => {
            let sets: Option<Vec<Vec<Sym>>> = parts.iter().map(category_set).collect();
            sets.map(|s| s.concat())
        }
        _ => None,
    }
}
