//! The checks that see one rule or table alone, made as it is lowered: a table's row order
//! and priorities, duplicated, unreachable and overlapping rows, missing combinations; a
//! rule's kind (`default`, `on breach`) and its modality against the cited sentence.

use super::is_tick;
use crate::diagnostic::Diagnostic;
use crate::ir::{Cond, Effects, Field, RuleIr, Sym, Test, Tri, Vocab};
use crate::syntax::ast::{self, HitPolicy};

/// Evaluation order of a table's rows: by descending priority for `hit priority`
/// (ties keep document order), document order otherwise.
pub(super) fn row_order(t: &ast::Table, diags: &mut Vec<Diagnostic>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..t.rows.len()).collect();
    if t.hit.node == HitPolicy::Priority {
        for row in &t.rows {
            if row.priority.is_none() {
                diags.push(
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
                diags.push(
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
pub(super) fn table(
    t: &ast::Table,
    rules: &[RuleIr],
    vocab: &Vocab,
    row_rule_idx: &[usize],
    diags: &mut Vec<Diagnostic>,
) {
    missing_combinations(t, rules, vocab, row_rule_idx, diags);
    let ticks = |r: &ast::Row| -> Vec<bool> {
        r.cells
            .iter()
            .map(|c| c.node.as_deref().is_some_and(is_tick))
            .collect()
    };
    for (i, row) in t.rows.iter().enumerate() {
        let resolved_false = row_rule_idx
            .get(i)
            .and_then(|&idx| rules.get(idx))
            .is_some_and(|r| matches!(&r.cond, Cond::Const(Tri::False)));
        if resolved_false {
            continue;
        }
        for (j, earlier) in t.rows.iter().enumerate().take(i) {
            if earlier.when != row.when {
                continue;
            }
            match t.hit.node {
                HitPolicy::First => diags.push(
                    Diagnostic::warning(
                        "haven::check::unreachable_row",
                        format!("row {} can never be chosen", i + 1),
                        row.label.span,
                    )
                    .with_secondary(earlier.label.span, format!("row {} has the same condition and comes first", j + 1))
                    .with_help("remove the row or make its condition more specific"),
                ),
                HitPolicy::Unique if ticks(earlier) != ticks(row) => diags.push(
                    Diagnostic::error(
                        "haven::check::overlapping_rows",
                        format!("rows {} and {} of unique table `{}` overlap with different outcomes", j + 1, i + 1, t.name.node),
                        row.label.span,
                    )
                    .with_secondary(earlier.label.span, "same condition here")
                    .with_help("a `hit unique` table allows one matching row; make the conditions disjoint or use `hit collect`"),
                ),
                _ => diags.push(
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
                diags.push(
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
fn missing_combinations(
    t: &ast::Table,
    rules: &[RuleIr],
    vocab: &Vocab,
    row_rule_idx: &[usize],
    diags: &mut Vec<Diagnostic>,
) {
    if !matches!(t.hit.node, HitPolicy::Unique | HitPolicy::First) {
        return;
    }
    // (category set, fact index) -> (seen true, seen false, seen unconstrained)
    let mut groups: Vec<(Vec<Sym>, u16, [bool; 3])> = Vec::new();
    // `None` categories: the row is not limited by category, so it covers every group.
    let rows: Vec<RowShape> = row_rule_idx
        .iter()
        .filter_map(|&idx| rules.get(idx))
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
        let fact_name = vocab
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
            .map(|c| vocab.name(ast::TokenKind::Category, *c).to_owned())
            .collect();
        diags.push(
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

/// `default rule` decides a permission, so it must carry one; `on breach rule` follows a
/// breach, so it cannot itself decide a permission or declare one.
pub(super) fn rule_kind(r: &ast::Rule, effects: &Effects, diags: &mut Vec<Diagnostic>) {
    match r.kind {
        ast::RuleKind::Plain => {}
        ast::RuleKind::Default => {
            if effects.permission.is_none() {
                diags.push(
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
                diags.push(
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
            diags.push(
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
pub(super) fn modality(r: &ast::Rule, diags: &mut Vec<Diagnostic>) {
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
        diags.push(
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
