//! Three-valued evaluation of one record against a compiled policy, in named phases. A
//! missing fact is unknown, never false: a rule whose condition is unknown contributes
//! questions, never a silent "no". Evaluation is a fixed number of passes over the rules:
//! it always terminates and is deterministic.
//!
//! The phases, each a module, run in this order:
//!
//! 1. [`conditions`]: every candidate rule's own condition ([`cond`] interprets one).
//! 2. [`fire`]: the plain rules that hold fire; the undecided ones are kept as possible.
//! 3. [`permission`]: the verdict — plain rules, then declared defaults, then
//!    `not_addressed`.
//! 4. [`breach`]: whether the record is a breach.
//! 5. [`on_breach`]: what follows a breach.
//! 6. [`questions`]: the unknown fields that keep an undecided rule open (keys only; the
//!    wording is [`crate::question`]'s, rendered when the decision is read).
//! 7. [`order`]: the actions in contract order.
//!
//! Evaluation reads the IR and the record only; it does not import the syntax.

mod breach;
mod cond;
mod conditions;
mod fire;
mod flat;
mod on_breach;
mod order;
mod permission;
mod questions;

use crate::decision::Decision;
use crate::incident::{Incident, Person};
use crate::ir::{Cond, PeopleList, PolicyIr, Tri};
use crate::question::PersonRef;
use cond::Cx;
use flat::Flat;
use std::cell::RefCell;

/// Buffers one evaluation needs and the next can reuse: kept per thread, so a batch
/// allocates them once.
#[derive(Default)]
struct Scratch {
    /// One slot per rule: `False`, but for the candidates of the evaluation under way.
    whens: Vec<Tri>,
    /// The condition evaluated for each candidate (meaningful where `whens` is not false).
    roots: Vec<flat::Root>,
    /// Set while an evaluation runs: if one never finished (a panic), `whens` is reset.
    dirty: bool,
    later: Vec<(usize, Tri)>,
    unique_hits: Vec<(usize, usize)>,
    questions: questions::Scratch,
    /// The actions' sort keys ([`order::sort_actions`]).
    action_keys: Vec<u128>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Evaluate `inc` against `ir`: the phases above, in order.
#[inline]
pub(crate) fn evaluate<'p>(ir: &'p PolicyIr, inc: &Incident) -> Decision<'p> {
    // Built here, not inside the closure, so it is not moved out of it (a `Decision` is a
    // few hundred bytes).
    let mut decision = Decision::new(ir, inc.id.clone());
    SCRATCH.with(|cell| {
        let mut guard = cell.try_borrow_mut().ok();
        // Only if evaluation were ever re-entered on one thread: fresh buffers.
        let mut fresh = None;
        let scratch = match guard.as_deref_mut() {
            Some(s) => s,
            None => fresh.insert(Scratch::default()),
        };
        evaluate_with(ir, inc, scratch, &mut decision);
    });
    decision
}

#[inline]
fn evaluate_with<'p>(
    ir: &'p PolicyIr,
    inc: &Incident,
    scratch: &mut Scratch,
    decision: &mut Decision<'p>,
) {
    let rebuilt;
    let flat = match compiled(ir) {
        Some(flat) => flat,
        None => {
            rebuilt = Flat::build(ir);
            &rebuilt
        }
    };
    let cx = Cx { ir, inc };
    let Scratch {
        whens,
        roots,
        dirty,
        later,
        unique_hits,
        questions: question_scratch,
        action_keys,
    } = scratch;
    let n = ir.rules.len();
    if *dirty {
        whens.clear();
    }
    if whens.len() < n {
        whens.resize(n, Tri::False);
        roots.resize(n, 0);
    }
    *dirty = true;
    let candidates = conditions::Candidates::new(flat, inc);
    // Phase 1.
    conditions::evaluate(&cx, flat, &candidates, whens, roots);
    {
        let whens: &[Tri] = whens;
        // Phase 2.
        let mut perm =
            fire::plain_rules(ir, flat, whens, &candidates, decision, later, unique_hits);
        // Phase 3.
        let permission = permission::decide(ir, &cx, decision, &mut perm, later);
        // Phase 4.
        let breach_now = breach::decide(ir, decision, permission.open);
        // Phase 5.
        on_breach::fire_consequences(ir, decision, later, breach_now);
        // Phase 6.
        questions::ask(
            ir,
            &questions::Conds {
                cx: &cx,
                flat,
                whens,
                roots,
            },
            decision,
            questions::Settled {
                perm: &perm,
                activity_asked: permission.activity_asked,
                breach_now,
            },
            question_scratch,
        );
    }
    // Phase 7.
    order::sort_actions(decision, ir, flat, action_keys);
    // Back to `False` everywhere for the next evaluation.
    for i in candidates.iter() {
        if let Some(w) = whens.get_mut(i) {
            *w = Tri::False;
        }
    }
    *dirty = false;
}

/// The IR with its compiled conditions ([`flat`]) built now, as `Policy::compile` hands it
/// over: the first evaluation (a service's first request) then costs what every other does.
pub(crate) fn prepared(ir: PolicyIr) -> PolicyIr {
    let _ = compiled(&ir);
    ir
}

/// The policy's compiled conditions ([`flat`]): built when the policy is compiled (or by the
/// first evaluation of an IR made another way) and kept with the IR; `None` only for an IR
/// whose rules changed since (never, as the IR is built).
#[inline]
fn compiled(ir: &PolicyIr) -> Option<&Flat> {
    ir.index
        .derived
        .get_or_init(|| Flat::build(ir))
        .filter(|f| f.fits(ir))
}

/// The truth of one condition on a record (for witness searches).
pub(crate) fn truth(ir: &PolicyIr, inc: &Incident, cond: &Cond) -> Tri {
    Cx { ir, inc }.eval(cond, None)
}

/// The truth of `cond` with `each` as the person a quantifier's body looks at (for
/// explanations, which walk into quantifiers).
pub(crate) fn truth_each(ir: &PolicyIr, inc: &Incident, cond: &Cond, each: Option<&Person>) -> Tri {
    Cx { ir, inc }.eval(cond, each.map(|p| (p, PersonRef::Actor)))
}

/// The people a quantifier over `list` ranges over, each with its record path, and whether
/// the `others` list is unknown.
pub(crate) fn quant_people<'a>(
    ir: &'a PolicyIr,
    inc: &'a Incident,
    list: PeopleList,
) -> (Vec<(&'a Person, String)>, bool) {
    let cx = Cx { ir, inc };
    let (people, unknown) = cx.people(list);
    let out = people
        .map(|(p, r)| {
            let path = match r {
                PersonRef::Actor => "actor".to_owned(),
                PersonRef::Subject => "subject".to_owned(),
                PersonRef::Reporter => "reporter".to_owned(),
                PersonRef::Other(i) => format!("others[{i}]"),
            };
            (p, path)
        })
        .collect();
    (out, unknown)
}
