//! Why, why not, and what would change it (issue 15).
//!
//! An explanation names, for each action and the permission, the rules behind it, the
//! sentences they cite, the layer that set them, and the parts of their conditions that held
//! with the values they read. A **counterfactual** is a minimal set of fact changes that makes
//! a claim about the decision true ("this action is no longer required", "this action becomes
//! required", "the permission verdict changes"). The search is exact over the partition the
//! witness search uses (`witness.rs`): each field a relevant condition reads takes one value
//! per class the conditions can tell apart, so trying one representative per class loses
//! nothing. Sets are tried by increasing size, and a set is skipped when a smaller set already
//! found is part of it: every reported set is minimal (no proper subset of its changes makes
//! the claim true), and every minimal set up to the size bound is reported unless the
//! evaluation budget runs out (`searched_all` says which).
//!
//! Only the rules that can decide the claim are read for fields: the rules producing (or
//! covering) the action, their exceptions and earlier rows, and, where the claim depends on
//! the breach or the permission, every rule that decides those. The incident's `category`
//! and `activity` are never changed: they say what is being explained.
//!
//! Explanations are built only on request (`Policy::explain`); evaluation never calls into
//! this module.

use crate::decision::{ActionView, Decision};
use crate::describe::{self, criterion_name};
use crate::eval;
use crate::incident::{Incident, Person, Val};
use crate::ir::{Cond, Field, PolicyIr, RuleIr, Test, Tri, Who};
use crate::syntax::ast::{Modality, RuleKind, TargetMode, TokenKind, Verdict};
use crate::witness::{self, Slot};
use serde::Serialize;
use serde_json::Value;

/// How far an explanation searches.
#[derive(Clone, Debug)]
pub struct ExplainOptions {
    /// Whether to search for counterfactuals at all.
    pub counterfactuals: bool,
    /// The largest number of fact changes a counterfactual may make.
    pub max_changes: usize,
    /// How many evaluations one counterfactual search may make before it stops.
    pub max_evaluations: usize,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        ExplainOptions {
            counterfactuals: true,
            max_changes: 2,
            max_evaluations: 20_000,
        }
    }
}

/// One changed field of an incident record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Its path in the record, e.g. `facts.adult_involved` or `actor.age`.
    pub fact: String,
    /// Its value before (`null`: not given).
    pub from: Value,
    /// Its value after.
    pub to: Value,
}

/// A minimal set of fact changes that makes a claim true.
#[derive(Clone, Debug, Serialize)]
pub struct Counterfactual {
    /// The changes, in record-path order.
    pub changes: Vec<Change>,
    /// The claim it makes true, in words.
    pub result: String,
    /// Criteria (`list.item`) used by the rules concerned whose truth the changes flip.
    pub criteria: Vec<String>,
    /// The whole counterfactual in a sentence.
    pub text: String,
}

/// Why one rule applies.
#[derive(Clone, Debug, Serialize)]
pub struct RuleReason {
    /// The rule or table row.
    pub rule: String,
    /// The layer that set it (a policy id).
    pub layer: String,
    /// The sentences it cites.
    pub cites: Vec<String>,
    /// The parts of its condition that held, with the values they read.
    pub held: Vec<String>,
    /// The criteria of its condition that held.
    pub criteria: Vec<String>,
    /// Its exceptions (and earlier rows) that did not hold.
    pub exceptions_not_holding: Vec<String>,
}

/// Why an action is in the decision, and what would remove or weaken it.
#[derive(Clone, Debug, Serialize)]
pub struct ActionExplanation {
    /// The action as the decision states it.
    pub action: String,
    /// The same, as data (what [`Goal::Lose`] takes).
    #[serde(skip)]
    pub key: ActionKey,
    /// The rules requiring it.
    pub because: Vec<RuleReason>,
    /// Minimal fact changes that would remove or weaken it.
    pub counterfactuals: Vec<Counterfactual>,
    /// Whether the search covered every set up to the size bound.
    pub searched_all: bool,
}

/// A permission rule whose own condition held but which an exception (or an earlier row)
/// pre-empted.
#[derive(Clone, Debug, Serialize)]
pub struct Overridden {
    /// The rule.
    pub rule: String,
    /// What it would have said.
    pub verdict: Verdict,
    /// The exceptions or earlier rows that held.
    pub by: Vec<String>,
}

/// Why the permission verdict is what it is.
#[derive(Clone, Debug, Serialize)]
pub struct PermissionExplanation {
    /// The verdict (`None`: undecided).
    pub verdict: Option<Verdict>,
    /// The rules deciding it.
    pub because: Vec<RuleReason>,
    /// Rules that held but were overridden.
    pub overridden: Vec<Overridden>,
    /// Minimal fact changes that would change the verdict.
    pub counterfactuals: Vec<Counterfactual>,
    /// Whether the search covered every set up to the size bound.
    pub searched_all: bool,
}

/// A decision explained.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// Each decided action.
    pub actions: Vec<ActionExplanation>,
    /// The permission, when an activity was asked about.
    pub permission: Option<PermissionExplanation>,
    /// Ids of the rules that applied.
    pub applied: Vec<String>,
    /// Ids of the rules that may apply, depending on the questions.
    pub may_apply: Vec<String>,
}

/// A rule that could produce what was asked about, and what stands in its way.
#[derive(Clone, Debug, Serialize)]
pub struct Producer {
    /// The rule or row.
    pub rule: String,
    /// The layer that set it.
    pub layer: String,
    /// Its condition in words.
    pub when: String,
    /// Whether its condition holds on this incident (`None`: unknown).
    pub holds: Option<bool>,
    /// Exceptions or earlier rows that hold and pre-empt it.
    pub blocked_by: Vec<String>,
}

/// The answer to "why not …?".
#[derive(Clone, Debug, Serialize)]
pub struct WhyNot {
    /// The claim asked about, in words.
    pub goal: String,
    /// Whether the decision already satisfies it.
    pub already: bool,
    /// The rules that could produce it (empty: no rule of the policy can).
    pub producers: Vec<Producer>,
    /// Minimal fact changes that would make it true.
    pub counterfactuals: Vec<Counterfactual>,
    /// Whether the search covered every set up to the size bound.
    pub searched_all: bool,
    /// Why no counterfactual exists, when none was found.
    pub reason: Option<String>,
}

/// An action, named as a decision names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionKey {
    /// `must`, `should`, …
    pub modality: Modality,
    /// The action token.
    pub action: String,
    /// Target names.
    pub targets: Vec<String>,
    /// `any` or `all`.
    pub target_mode: TargetMode,
    /// Who carries it out.
    pub by: Option<String>,
    /// The deadline.
    pub deadline: Option<String>,
}

impl ActionKey {
    /// The key of a decided action.
    pub fn of(a: &ActionView<'_, '_>) -> ActionKey {
        let mut targets: Vec<String> = a.targets().iter().map(|s| (*s).to_owned()).collect();
        targets.sort();
        ActionKey {
            modality: a.modality(),
            action: a.action().to_owned(),
            targets,
            target_mode: a.target_mode(),
            by: a.by().map(str::to_owned),
            deadline: a.deadline().map(str::to_owned),
        }
    }

    /// `must refer childrens_social_care or police due immediately by dsl`.
    pub fn text(&self) -> String {
        let mut s = format!("{} {}", self.modality.keyword(), self.action);
        if !self.targets.is_empty() {
            let sep = match self.target_mode {
                TargetMode::Any => " or ",
                TargetMode::All => " and ",
            };
            s.push(' ');
            s.push_str(&self.targets.join(sep));
        }
        if let Some(d) = &self.deadline {
            s.push_str(" due ");
            s.push_str(d);
        }
        if let Some(b) = &self.by {
            s.push_str(" by ");
            s.push_str(b);
        }
        s
    }
}

/// Whether modality `mine` is at least as strong as `theirs` (`must` covers `should` and
/// `may`; `must_not` covers `should_not`).
pub(crate) fn at_least(mine: Modality, theirs: Modality) -> bool {
    use Modality::*;
    mine == theirs
        || matches!(
            (mine, theirs),
            (Must, Should | May) | (Should, May) | (MustNot, ShouldNot)
        )
}

/// Deadline strictness by the order `ir` declares them (strictest first).
fn deadline_rank(ir: &PolicyIr, d: &str) -> Option<u32> {
    ir.vocab.lookup(TokenKind::Deadline, d)
}

/// Whether `have` covers `want`: as strong, the same action, targets and performer, and a
/// deadline at least as strict. Deadlines are ranked in `ir`.
pub(crate) fn key_covers(ir: &PolicyIr, have: &ActionKey, want: &ActionKey) -> bool {
    at_least(have.modality, want.modality)
        && have.action == want.action
        && have.targets == want.targets
        && have.target_mode == want.target_mode
        && have.by == want.by
        && match (&have.deadline, &want.deadline) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(h), Some(w)) => {
                h == w
                    || matches!(
                        (deadline_rank(ir, h), deadline_rank(ir, w)),
                        (Some(a), Some(b)) if a <= b
                    )
            }
        }
}

/// A claim about a decision that a counterfactual makes true.
#[derive(Clone, Debug)]
pub enum Goal {
    /// No decided action covers this one any more (it is removed or weakened).
    Lose(ActionKey),
    /// A decided action at least this strong matches the expectation (`refer police`).
    Gain {
        /// The modality asked for.
        modality: Modality,
        /// The action token then targets, deadline or `by:role`, as in scenarios.
        expectation: String,
    },
    /// The permission verdict is decided and differs from this one.
    VerdictOtherThan(Verdict),
    /// The permission verdict is decided and is this one.
    Verdict(Verdict),
}

impl Goal {
    /// Whether `d` satisfies the claim.
    pub fn holds(&self, d: &Decision<'_>) -> bool {
        match self {
            Goal::Lose(key) => !d
                .actions()
                .any(|a| key_covers(d.ir, &ActionKey::of(&a), key)),
            Goal::Gain {
                modality,
                expectation,
            } => d
                .actions()
                .any(|a| at_least(a.modality(), *modality) && a.matches(expectation)),
            Goal::VerdictOtherThan(v) => d.verdict().is_some_and(|x| x != *v),
            Goal::Verdict(v) => d.verdict() == Some(*v),
        }
    }

    /// The claim in words.
    pub fn text(&self) -> String {
        match self {
            Goal::Lose(k) => format!("`{}` would no longer be required", k.text()),
            Goal::Gain {
                modality,
                expectation,
            } => format!("`{} {expectation}` would be required", modality.keyword()),
            Goal::VerdictOtherThan(v) => {
                format!("the permission would no longer be {}", v.keyword())
            }
            Goal::Verdict(v) => format!("the permission would be {}", v.keyword()),
        }
    }
}

/// Whether action `a` of a rule matches an expectation such as `refer police`.
fn action_ir_matches(ir: &PolicyIr, a: &crate::ir::ActionIr, expectation: &str) -> bool {
    let mut words = expectation.split_whitespace();
    if words.next() != Some(ir.vocab.name(TokenKind::Action, a.action)) {
        return false;
    }
    words.all(|w| {
        if let Some(d) = ir.vocab.lookup(TokenKind::Deadline, w) {
            a.deadline == Some(d)
        } else if let Some(role) = w.strip_prefix("by:") {
            a.by.map(|b| ir.vocab.name(TokenKind::Role, b)) == Some(role)
        } else {
            a.targets.iter().any(|t| ir.vocab.name(t.kind, t.sym) == w)
        }
    })
}

pub(crate) fn action_ir_key(ir: &PolicyIr, a: &crate::ir::ActionIr) -> ActionKey {
    let mut targets: Vec<String> = a
        .targets
        .iter()
        .map(|t| ir.vocab.name(t.kind, t.sym).to_owned())
        .collect();
    targets.sort();
    ActionKey {
        modality: a.modality,
        action: ir.vocab.name(TokenKind::Action, a.action).to_owned(),
        targets,
        target_mode: a.target_mode,
        by: a.by.map(|b| ir.vocab.name(TokenKind::Role, b).to_owned()),
        deadline: a
            .deadline
            .map(|d| ir.vocab.name(TokenKind::Deadline, d).to_owned()),
    }
}

/// The rules whose firing can change whether `goal` holds.
fn relevant_rules(ir: &PolicyIr, goal: &Goal) -> Vec<usize> {
    let mut direct: Vec<usize> = Vec::new();
    for (i, r) in ir.rules.iter().enumerate() {
        let hit =
            match goal {
                Goal::Lose(key) => r
                    .effects
                    .actions
                    .iter()
                    .any(|a| key_covers(ir, &action_ir_key(ir, a), key)),
                Goal::Gain {
                    modality,
                    expectation,
                } => r.effects.actions.iter().any(|a| {
                    at_least(a.modality, *modality) && action_ir_matches(ir, a, expectation)
                }),
                Goal::VerdictOtherThan(_) | Goal::Verdict(_) => r.effects.permission.is_some(),
            };
        if hit {
            direct.push(i);
        }
    }
    let needs_breach = direct.iter().any(|&i| {
        ir.rules
            .get(i)
            .is_some_and(|r| r.kind == RuleKind::OnBreach)
    });
    let needs_permission = matches!(goal, Goal::VerdictOtherThan(_) | Goal::Verdict(_))
        || needs_breach
        || direct
            .iter()
            .any(|&i| ir.rules.get(i).is_some_and(|r| r.kind == RuleKind::Default));
    let mut out = direct.clone();
    for (i, r) in ir.rules.iter().enumerate() {
        let decides = (needs_breach && r.effects.breach)
            || (needs_permission && r.effects.permission.is_some());
        if decides && !out.contains(&i) {
            out.push(i);
        }
    }
    let mut with_exceptions = out.clone();
    for &i in &out {
        if let Some(r) = ir.rules.get(i) {
            for e in r.exceptions.iter().copied().chain(r.preceded_by.clone()) {
                if !with_exceptions.contains(&e) {
                    with_exceptions.push(e);
                }
            }
        }
    }
    with_exceptions
}

/// The fields the conditions of `rules` read (never category or activity), with the values
/// they name.
type Partition = (Vec<Slot>, Vec<(Slot, i64)>, Vec<(Slot, u32)>);

fn partition(ir: &PolicyIr, rules: &[usize]) -> Partition {
    let mut slots = Vec::new();
    let mut numbers = Vec::new();
    let mut syms = Vec::new();
    for &i in rules {
        if let Some(r) = ir.rules.get(i) {
            witness::collect(&r.cond, &mut slots, &mut numbers, &mut syms);
        }
    }
    slots.retain(|s| {
        !matches!(
            s,
            Slot::Top(Field::Category) | Slot::Top(Field::Activity) | Slot::Role(Who::Each)
        )
    });
    (slots, numbers, syms)
}

/// The criteria whose condition is part of one of `rules`' conditions.
fn criteria_in<'a>(ir: &'a PolicyIr, rules: &[usize]) -> Vec<&'a crate::ir::CriterionIr> {
    fn contains(hay: &Cond, needle: &Cond) -> bool {
        if hay == needle {
            return true;
        }
        match hay {
            Cond::Not(c) => contains(c, needle),
            Cond::And(cs) | Cond::Or(cs) => cs.iter().any(|c| contains(c, needle)),
            Cond::Quant { body, .. } => contains(body, needle),
            _ => false,
        }
    }
    ir.criteria
        .iter()
        .filter(|c| c.item.is_some())
        .filter(|c| {
            rules
                .iter()
                .filter_map(|&i| ir.rules.get(i))
                .any(|r| contains(&r.cond, &c.cond))
        })
        .collect()
}

/// Every minimal set of changes (up to `opts.max_changes`) making `goal` true.
pub(crate) fn counterfactuals(
    ir: &PolicyIr,
    inc: &Incident,
    goal: &Goal,
    opts: &ExplainOptions,
) -> (Vec<Counterfactual>, bool) {
    let rules = relevant_rules(ir, goal);
    let (slots, numbers, syms) = partition(ir, &rules);
    let criteria = criteria_in(ir, &rules);
    let options: Vec<Vec<Val>> = slots
        .iter()
        .map(|&s| {
            let now = witness::get(inc, s);
            witness::candidates(ir, s, &numbers, &syms)
                .into_iter()
                .filter(|v| *v != now && *v != Val::Unknown)
                .collect()
        })
        .collect();
    let mut found: Vec<(Vec<usize>, Vec<Val>)> = Vec::new();
    let mut evaluations = 0usize;
    let mut complete = true;
    'sizes: for k in 1..=opts.max_changes.min(slots.len()) {
        let mut combo: Vec<usize> = (0..k).collect();
        loop {
            let superset = found
                .iter()
                .any(|(set, _)| set.iter().all(|s| combo.contains(s)));
            if !superset {
                match try_combo(
                    ir,
                    inc,
                    goal,
                    &slots,
                    &options,
                    &combo,
                    &mut evaluations,
                    opts,
                ) {
                    Some(Ok(values)) => found.push((combo.clone(), values)),
                    Some(Err(())) => {
                        complete = false;
                        break 'sizes;
                    }
                    None => {}
                }
            }
            if !next_combo(&mut combo, slots.len()) {
                break;
            }
        }
    }
    let out = found
        .into_iter()
        .map(|(set, values)| render_cf(ir, inc, goal, &slots, &set, &values, &criteria))
        .collect();
    (out, complete)
}

/// Advance `combo` to the next k-subset of `0..n` in lexicographic order.
fn next_combo(combo: &mut [usize], n: usize) -> bool {
    let k = combo.len();
    let mut i = k;
    while i > 0 {
        i -= 1;
        let max = n - k + i;
        if let Some(c) = combo.get(i).copied() {
            if c < max {
                let start = c + 1;
                for (j, x) in combo.iter_mut().enumerate().skip(i) {
                    *x = start + (j - i);
                }
                return true;
            }
        }
    }
    false
}

/// The incident with `changes` applied and the vocabulary's relations settled, or `None`
/// if the result contradicts a relation.
fn apply(ir: &PolicyIr, inc: &Incident, changes: &[(Slot, Val)]) -> Option<Incident> {
    let mut next = inc.clone();
    for &(s, v) in changes {
        witness::set(&mut next, s, v);
    }
    next.settle(&ir.vocab).ok()
}

/// The first value assignment to the slots of `combo` that makes `goal` true: `Some(Ok)`,
/// none: `None`, out of budget: `Some(Err)`.
#[allow(
    clippy::too_many_arguments,
    reason = "one search step threading its state"
)]
fn try_combo(
    ir: &PolicyIr,
    inc: &Incident,
    goal: &Goal,
    slots: &[Slot],
    options: &[Vec<Val>],
    combo: &[usize],
    evaluations: &mut usize,
    opts: &ExplainOptions,
) -> Option<Result<Vec<Val>, ()>> {
    let lists: Vec<&Vec<Val>> = combo.iter().filter_map(|&i| options.get(i)).collect();
    if lists.len() != combo.len() || lists.iter().any(|l| l.is_empty()) {
        return None;
    }
    let mut idx = vec![0usize; combo.len()];
    loop {
        let changes: Vec<(Slot, Val)> = combo
            .iter()
            .zip(&idx)
            .filter_map(|(&s, &j)| Some((*slots.get(s)?, *options.get(s)?.get(j)?)))
            .collect();
        *evaluations += 1;
        if *evaluations > opts.max_evaluations {
            return Some(Err(()));
        }
        if let Some(next) = apply(ir, inc, &changes) {
            if goal.holds(&eval::evaluate(ir, &next)) {
                return Some(Ok(changes.into_iter().map(|(_, v)| v).collect()));
            }
        }
        // Next value assignment (odometer).
        let mut pos = idx.len();
        loop {
            if pos == 0 {
                return None;
            }
            pos -= 1;
            let (Some(i), Some(list)) = (idx.get_mut(pos), lists.get(pos)) else {
                return None;
            };
            *i += 1;
            if *i < list.len() {
                break;
            }
            *i = 0;
        }
    }
}

fn render_cf(
    ir: &PolicyIr,
    inc: &Incident,
    goal: &Goal,
    slots: &[Slot],
    set: &[usize],
    values: &[Val],
    criteria: &[&crate::ir::CriterionIr],
) -> Counterfactual {
    let pairs: Vec<(Slot, Val)> = set
        .iter()
        .zip(values)
        .filter_map(|(&s, &v)| Some((*slots.get(s)?, v)))
        .collect();
    let changes: Vec<Change> = pairs
        .iter()
        .map(|&(s, v)| Change {
            fact: witness::path(ir, s),
            from: witness::value_json(ir, s, witness::get(inc, s)).unwrap_or(Value::Null),
            to: witness::value_json(ir, s, v).unwrap_or(Value::Null),
        })
        .collect();
    let after = apply(ir, inc, &pairs);
    let flipped: Vec<String> = criteria
        .iter()
        .filter(|c| {
            let before = eval::truth(ir, inc, &c.cond);
            let now = after
                .as_ref()
                .map_or(before, |a| eval::truth(ir, a, &c.cond));
            before != now
        })
        .filter_map(|c| criterion_name(ir, &c.cond))
        .fold(Vec::new(), |mut acc, n| {
            if !acc.contains(&n) {
                acc.push(n);
            }
            acc
        });
    let mut result = goal.text();
    if let (Goal::VerdictOtherThan(_), Some(a)) = (goal, &after) {
        if let Some(v) = eval::evaluate(ir, a).verdict() {
            result.push_str(&format!(" (it would be {})", v.keyword()));
        }
    }
    let what: Vec<String> = changes
        .iter()
        .map(|c| format!("{} were {}", c.fact, c.to))
        .collect();
    let mut text = format!("{result} if {}", what.join(" and "));
    if !flipped.is_empty() {
        text.push_str(&format!(" (criteria: {})", flipped.join(", ")));
    }
    Counterfactual {
        changes,
        result,
        criteria: flipped,
        text,
    }
}

/// The parts of `cond` that make it `want` on `inc`, in words, and the criteria among them.
fn held(
    ir: &PolicyIr,
    inc: &Incident,
    cond: &Cond,
    want: bool,
    each: Option<(&Person, &str)>,
    out: &mut Vec<String>,
    crit: &mut Vec<String>,
) {
    let t = eval::truth_each(ir, inc, cond, each.map(|(p, _)| p));
    if t != Tri::from_bool(want) {
        return;
    }
    if let Some(name) = criterion_name(ir, cond) {
        let name = if want { name } else { format!("not {name}") };
        if !crit.contains(&name) {
            crit.push(name);
        }
    }
    match cond {
        Cond::Const(_) => {}
        Cond::Not(c) => held(ir, inc, c, !want, each, out, crit),
        Cond::And(cs) | Cond::Or(cs) => {
            // A true `and` (false `or`) needs every part; a true `or` (false `and`) any part
            // that decides it.
            for c in cs.iter() {
                held(ir, inc, c, want, each, out, crit);
            }
        }
        Cond::Test(f, test) => {
            let mut s = describe::test_text(ir, *f, test, !want);
            let slot = match f {
                Field::Role(Who::Each) => None,
                Field::PersonFact(Who::Each, _) => None,
                Field::Role(w) => Some(Slot::Role(*w)),
                Field::PersonFact(w, i) => Some(Slot::PersonFact(*w, *i)),
                other => Some(Slot::Top(*other)),
            };
            if let Some((p, path)) = each {
                s = s.replace("their ", &format!("{path}."));
                if let (Field::PersonFact(Who::Each, i), Test::Cmp(..)) = (f, test) {
                    if let Some(Val::Int(v)) = p.facts.get(usize::from(*i)) {
                        s.push_str(&format!(" ({v})"));
                    }
                }
            }
            if let (Some(slot), Test::Cmp(..) | Test::Syms(_) | Test::RoleIs(_) | Test::RoleIn(_)) =
                (slot, test)
            {
                if let Some(v) = witness::value_json(ir, slot, witness::get(inc, slot)) {
                    s.push_str(&format!(" ({v})"));
                }
            }
            if !out.contains(&s) {
                out.push(s);
            }
        }
        Cond::Quant { all, list, body } => {
            let (people, _) = eval::quant_people(ir, inc, *list);
            for (p, path) in &people {
                let bt = eval::truth_each(ir, inc, body, Some(p));
                // `some` true / `every` false: the people who decide it.
                let deciding = (*all != want) && bt == Tri::from_bool(want);
                let all_needed = *all == want;
                if deciding || all_needed {
                    held(ir, inc, body, want, Some((p, path)), out, crit);
                }
            }
        }
    }
}

fn reason(ir: &PolicyIr, inc: &Incident, i: usize) -> Option<RuleReason> {
    let r = ir.rules.get(i)?;
    let mut held_parts = Vec::new();
    let mut crit = Vec::new();
    held(ir, inc, &r.cond, true, None, &mut held_parts, &mut crit);
    crit.retain(|c| !c.starts_with("not "));
    let exceptions_not_holding = r
        .exceptions
        .iter()
        .copied()
        .chain(r.preceded_by.clone())
        .filter_map(|e| ir.rules.get(e))
        .filter(|e| eval::truth(ir, inc, &e.cond) != Tri::True)
        .map(|e| e.id.clone())
        .collect();
    Some(RuleReason {
        rule: r.id.clone(),
        layer: layer_of(ir, r),
        cites: r.cites.clone(),
        held: held_parts,
        criteria: crit,
        exceptions_not_holding,
    })
}

fn layer_of(ir: &PolicyIr, r: &RuleIr) -> String {
    ir.layers
        .get(usize::from(r.depth))
        .cloned()
        .unwrap_or_default()
}

/// Explain a decision on `inc`.
pub(crate) fn explain(ir: &PolicyIr, inc: &Incident, opts: &ExplainOptions) -> Explanation {
    let d = eval::evaluate(ir, inc);
    let mut actions = Vec::new();
    for (a, out) in d.actions().zip(d.actions.iter()) {
        let key = ActionKey::of(&a);
        let because = out
            .rules
            .iter()
            .filter_map(|i| reason(ir, inc, i))
            .collect();
        let (counterfactuals, searched_all) = if opts.counterfactuals {
            counterfactuals(ir, inc, &Goal::Lose(key.clone()), opts)
        } else {
            (Vec::new(), false)
        };
        actions.push(ActionExplanation {
            action: key.text(),
            key: key.clone(),
            because,
            counterfactuals,
            searched_all,
        });
    }
    let permission = d.permission.as_ref().map(|p| {
        let because = p.rules.iter().filter_map(|&i| reason(ir, inc, i)).collect();
        let mut overridden = Vec::new();
        for r in ir.rules.iter() {
            let Some(perm) = &r.effects.permission else {
                continue;
            };
            if eval::truth(ir, inc, &r.cond) != Tri::True {
                continue;
            }
            let by: Vec<String> = r
                .exceptions
                .iter()
                .copied()
                .chain(r.preceded_by.clone())
                .filter_map(|e| ir.rules.get(e))
                .filter(|e| eval::truth(ir, inc, &e.cond) == Tri::True)
                .map(|e| e.id.clone())
                .collect();
            if !by.is_empty() {
                overridden.push(Overridden {
                    rule: r.id.clone(),
                    verdict: perm.verdict,
                    by,
                });
            }
        }
        let (counterfactuals, searched_all) = match (p.verdict, opts.counterfactuals) {
            (Some(v), true) => counterfactuals(ir, inc, &Goal::VerdictOtherThan(v), opts),
            _ => (Vec::new(), false),
        };
        PermissionExplanation {
            verdict: p.verdict,
            because,
            overridden,
            counterfactuals,
            searched_all,
        }
    });
    Explanation {
        actions,
        permission,
        applied: d.fired_rules().map(str::to_owned).collect(),
        may_apply: d.possible_rules().map(str::to_owned).collect(),
    }
}

/// Answer "why not …?".
pub(crate) fn why_not(ir: &PolicyIr, inc: &Incident, goal: &Goal, opts: &ExplainOptions) -> WhyNot {
    let d = eval::evaluate(ir, inc);
    let already = goal.holds(&d);
    let mut producers = Vec::new();
    for r in &ir.rules {
        let produces =
            match goal {
                Goal::Gain {
                    modality,
                    expectation,
                } => r.effects.actions.iter().any(|a| {
                    at_least(a.modality, *modality) && action_ir_matches(ir, a, expectation)
                }),
                Goal::Verdict(v) => r
                    .effects
                    .permission
                    .as_ref()
                    .is_some_and(|p| p.verdict == *v),
                Goal::VerdictOtherThan(v) => r
                    .effects
                    .permission
                    .as_ref()
                    .is_some_and(|p| p.verdict != *v),
                Goal::Lose(_) => false,
            };
        if !produces {
            continue;
        }
        let holds = match eval::truth(ir, inc, &r.cond) {
            Tri::True => Some(true),
            Tri::False => Some(false),
            Tri::Unknown => None,
        };
        let blocked_by = r
            .exceptions
            .iter()
            .copied()
            .chain(r.preceded_by.clone())
            .filter_map(|e| ir.rules.get(e))
            .filter(|e| eval::truth(ir, inc, &e.cond) == Tri::True)
            .map(|e| e.id.clone())
            .collect();
        producers.push(Producer {
            rule: r.id.clone(),
            layer: layer_of(ir, r),
            when: describe::cond_text(ir, &r.cond),
            holds,
            blocked_by,
        });
    }
    let (counterfactuals, searched_all) = if already || producers.is_empty() {
        (Vec::new(), true)
    } else {
        counterfactuals(ir, inc, goal, opts)
    };
    let reason = if already {
        Some("the decision already says so".to_owned())
    } else if producers.is_empty() {
        Some("no rule of the policy or of the policies it extends produces it".to_owned())
    } else if counterfactuals.is_empty() {
        let blocked: Vec<String> = producers
            .iter()
            .filter(|p| !p.blocked_by.is_empty())
            .map(|p| format!("`{}` is overridden by {}", p.rule, p.blocked_by.join(", ")))
            .collect();
        let mut why = if searched_all {
            format!(
                "no change of at most {} fact(s) other than the category and activity makes it so",
                opts.max_changes
            )
        } else {
            "the search stopped at its budget before finding a change".to_owned()
        };
        if !blocked.is_empty() {
            why.push_str(&format!("; {}", blocked.join("; ")));
        }
        Some(why)
    } else {
        None
    };
    WhyNot {
        goal: goal.text(),
        already,
        producers,
        counterfactuals,
        searched_all,
        reason,
    }
}

/// Set `path` (`facts.x`, `actor.age`, `device.kind`, `category`) in an incident record.
pub fn set_path(record: &mut Value, path: &str, value: Value) {
    let mut cur = record;
    let parts: Vec<&str> = path.split('.').collect();
    for (n, part) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(serde_json::Map::new());
        }
        let Value::Object(map) = cur else { return };
        if n + 1 == parts.len() {
            if value.is_null() {
                map.remove(*part);
            } else {
                map.insert((*part).to_owned(), value);
            }
            return;
        }
        cur = map
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
}

/// `record` with every change of `changes` applied.
pub fn apply_changes(record: &Value, changes: &[Change]) -> Value {
    let mut out = record.clone();
    for c in changes {
        set_path(&mut out, &c.fact, c.to.clone());
    }
    out
}

impl Explanation {
    /// Plain English, one paragraph per action.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        for a in &self.actions {
            let _ = writeln!(s, "{}", a.action);
            reasons_text(&mut s, &a.because);
            cfs_text(&mut s, &a.counterfactuals, a.searched_all);
        }
        if let Some(p) = &self.permission {
            let v = p.verdict.map_or("undecided", Verdict::keyword);
            let _ = writeln!(s, "permission {v}");
            reasons_text(&mut s, &p.because);
            for o in &p.overridden {
                let _ = writeln!(
                    s,
                    "  `{}` ({}) is overridden by {}",
                    o.rule,
                    o.verdict.keyword(),
                    o.by.join(", ")
                );
            }
            cfs_text(&mut s, &p.counterfactuals, p.searched_all);
        }
        s
    }
}

fn reasons_text(s: &mut String, reasons: &[RuleReason]) {
    use std::fmt::Write as _;
    for r in reasons {
        let _ = writeln!(s, "  because `{}` ({} layer) applies:", r.rule, r.layer);
        for h in &r.held {
            let _ = writeln!(s, "    - {h}");
        }
        if !r.criteria.is_empty() {
            let _ = writeln!(s, "    criteria met: {}", r.criteria.join(", "));
        }
        for c in r.cites.iter().take(2) {
            let _ = writeln!(s, "    cites {c}");
        }
    }
}

fn cfs_text(s: &mut String, cfs: &[Counterfactual], all: bool) {
    use std::fmt::Write as _;
    if cfs.is_empty() {
        let _ = writeln!(
            s,
            "  no change of the facts alone would remove it{}",
            if all { "" } else { " (search stopped early)" }
        );
        return;
    }
    for c in cfs {
        let _ = writeln!(s, "  - {}", c.text);
    }
}

impl WhyNot {
    /// Plain English.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(s, "why not: {}", self.goal);
        if let Some(r) = &self.reason {
            let _ = writeln!(s, "  {r}");
        }
        for p in &self.producers {
            let holds = match p.holds {
                Some(true) => "holds",
                Some(false) => "does not hold",
                None => "is unknown",
            };
            let _ = writeln!(
                s,
                "  `{}` ({} layer) {holds}: when {}",
                p.rule, p.layer, p.when
            );
            if !p.blocked_by.is_empty() {
                let _ = writeln!(s, "    overridden here by {}", p.blocked_by.join(", "));
            }
        }
        for c in &self.counterfactuals {
            let _ = writeln!(s, "  - {}", c.text);
        }
        s
    }
}

/// Questions that settle the same action: any one answer of these makes it required.
#[derive(Clone, Debug, Serialize)]
pub struct QuestionGroup {
    /// The action still open, most severe group first.
    pub action: String,
    /// The answers (one per question) each of which alone makes it required.
    pub settled_by_any: Vec<Change>,
}

/// A question with how much it is expected to settle.
#[derive(Clone, Debug, Serialize)]
pub struct NextQuestion {
    /// The record path it asks about.
    pub fact: String,
    /// The policy author's wording.
    pub ask: String,
    /// The mean number of rules still undecided after answering it, over the answers that
    /// its conditions tell apart (lower settles more); -1 when it cannot be scored.
    pub expected_open_rules: f64,
}

/// Guided questions: groups that settle the same action, and the questions best asked next.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NextQuestions {
    /// For each open action, the answers that settle it on their own.
    pub groups: Vec<QuestionGroup>,
    /// Every open question, best first.
    pub questions: Vec<NextQuestion>,
}

/// The unknown fields of `inc` that the decision's questions ask about, with the values
/// that tell the conditions apart.
fn question_slots(ir: &PolicyIr, inc: &Incident, d: &Decision<'_>) -> Vec<(Slot, Vec<Val>)> {
    let all: Vec<usize> = (0..ir.rules.len()).collect();
    let (slots, numbers, syms) = partition(ir, &all);
    slots
        .into_iter()
        .filter(|&s| witness::get(inc, s) == Val::Unknown)
        .filter(|&s| {
            let p = witness::path(ir, s);
            d.questions().iter().any(|q| q.fact == p)
        })
        .map(|s| {
            let vals = witness::candidates(ir, s, &numbers, &syms)
                .into_iter()
                .filter(|v| *v != Val::Unknown && *v != Val::Absent)
                .collect();
            (s, vals)
        })
        .collect()
}

/// Group the open questions by the action they settle and order them by how much they are
/// expected to settle: a one-step lookahead over each question's answers, scored by the mean
/// number of rules left undecided (ties keep the decision's severity order). Scoring by the
/// number of questions left instead measured worse (docs/explain.md).
pub(crate) fn next_questions(ir: &PolicyIr, inc: &Incident) -> NextQuestions {
    let d = eval::evaluate(ir, inc);
    if d.questions().is_empty() {
        return NextQuestions::default();
    }
    let slots = question_slots(ir, inc, &d);
    // Open actions: those of the rules that may apply, not yet covered, most severe first.
    let mut open: Vec<ActionKey> = Vec::new();
    for &i in &d.possible {
        for a in ir
            .rules
            .get(i)
            .map_or(&[][..], |r| r.effects.actions.as_slice())
        {
            let key = action_ir_key(ir, a);
            let covered = d
                .actions()
                .any(|x| key_covers(ir, &ActionKey::of(&x), &key));
            if !covered && !open.contains(&key) {
                open.push(key);
            }
        }
    }
    let rank = |k: &ActionKey| {
        let m = match k.modality {
            Modality::Must => 0,
            Modality::MustNot => 1,
            Modality::Should => 2,
            Modality::ShouldNot => 3,
            Modality::May => 4,
        };
        let dl = k
            .deadline
            .as_deref()
            .and_then(|x| deadline_rank(ir, x))
            .unwrap_or(u32::MAX);
        (m, dl)
    };
    open.sort_by_key(|k| rank(k));
    let mut groups = Vec::new();
    for key in open {
        let mut settled = Vec::new();
        for (s, vals) in &slots {
            for &v in vals {
                let Some(next) = apply(ir, inc, &[(*s, v)]) else {
                    continue;
                };
                let nd = eval::evaluate(ir, &next);
                if nd
                    .actions()
                    .any(|x| key_covers(ir, &ActionKey::of(&x), &key))
                {
                    settled.push(Change {
                        fact: witness::path(ir, *s),
                        from: Value::Null,
                        to: witness::value_json(ir, *s, v).unwrap_or(Value::Null),
                    });
                    break;
                }
            }
        }
        if !settled.is_empty() {
            groups.push(QuestionGroup {
                action: key.text(),
                settled_by_any: settled,
            });
        }
    }
    let mut scored: Vec<(f64, usize, NextQuestion)> = Vec::new();
    for (n, q) in d.questions().iter().enumerate() {
        let slot = slots.iter().find(|(s, _)| witness::path(ir, *s) == q.fact);
        let expected = match slot {
            Some((s, vals)) if !vals.is_empty() => {
                let mut total = 0usize;
                let mut count = 0usize;
                for &v in vals {
                    if let Some(next) = apply(ir, inc, &[(*s, v)]) {
                        let nd = eval::evaluate(ir, &next);
                        total += nd.possible.len();
                        count += 1;
                    }
                }
                if count == 0 {
                    f64::MAX
                } else {
                    total as f64 / count as f64
                }
            }
            _ => f64::MAX,
        };
        scored.push((
            expected,
            n,
            NextQuestion {
                fact: q.fact.clone(),
                ask: q.ask.clone(),
                expected_open_rules: if expected == f64::MAX { -1.0 } else { expected },
            },
        ));
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    NextQuestions {
        groups,
        questions: scored.into_iter().map(|(_, _, q)| q).collect(),
    }
}

/// How many questions an interview asks before the decision on `full` is complete (or no
/// answerable question is left), starting from a record that gives only the category and
/// activity. Each answer is the value `full` gives (or "not known"). `guided`: ask in
/// [`next_questions`] order; otherwise in the decision's own order (severity).
pub(crate) fn interview_length(ir: &PolicyIr, full: &Incident, guided: bool) -> usize {
    let all: Vec<usize> = (0..ir.rules.len()).collect();
    let (slots, _, _) = partition(ir, &all);
    let mut cur = full.clone();
    for &s in &slots {
        witness::set(&mut cur, s, Val::Unknown);
    }
    let mut asked: Vec<String> = Vec::new();
    let mut count = 0usize;
    // Each round asks one new question, so this ends within the number of fields.
    for _ in 0..=slots.len() + 1 {
        let d = eval::evaluate(ir, &cur);
        if d.questions().is_empty() {
            break;
        }
        let order: Vec<String> = if guided {
            next_questions(ir, &cur)
                .questions
                .into_iter()
                .map(|q| q.fact)
                .collect()
        } else {
            d.questions().iter().map(|q| q.fact.clone()).collect()
        };
        let pick = order
            .into_iter()
            .find(|f| !asked.contains(f) && slots.iter().any(|s| witness::path(ir, *s) == *f));
        let Some(fact) = pick else { break };
        asked.push(fact.clone());
        count += 1;
        if let Some(&s) = slots.iter().find(|s| witness::path(ir, **s) == fact) {
            witness::set(&mut cur, s, witness::get(full, s));
            if let Ok(settled) = cur.clone().settle(&ir.vocab) {
                cur = settled;
            }
        }
    }
    count
}
