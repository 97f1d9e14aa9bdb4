//! The semantic diff of two policies (issue 15): the classes of incidents whose answers
//! differ, each with a witness incident verified by evaluating it under both policies.
//!
//! **Method.** Both policies' conditions are translated into one joint record space: the
//! tokens and facts both vocabularies declare (with the same type). A test on a token or
//! fact only one policy knows can never be true of a record both accept, so it becomes
//! "unknown unless the field is absent". Role hierarchies are expanded into explicit role
//! sets per policy, so each policy keeps its own. From each policy's rules the diff builds,
//! as conditions over that space, exactly when each rule fires (its own condition, no
//! exception or earlier row holding; for `default` rules, no plain permission rule holding
//! and no stricter default; for `on breach` rules, the breach holding), when each
//! permission verdict is given and when the breach holds. A class is then a conjunction,
//! e.g. for "the new policy requires action A where the old does not":
//! `fires_new(r) ∧ present_new(A) ∧ ¬covered_old(A)` for each rule `r` of the new policy
//! producing `A`. The witness search (`witness.rs`) decides each conjunction exactly over the
//! partition the conditions' atoms induce (three-valued: an unassigned field is unknown, and
//! the search only accepts records on which every conjunct is definitely true), so a class
//! is reported if and only if some record of the joint space belongs to it, unless the
//! search budget runs out (counted in `gave_up`). Each witness is then evaluated by both
//! policies through the ordinary path (record JSON, validation, evaluation) and reported
//! only if the two decisions show the stated difference; a witness that does not is first
//! completed (every field either policy reads gets a value, which keeps every conjunct
//! true) and checked again, and counted in `unverified` if it still does not.
//!
//! Not compared: notes, citations, questions, and the `allowed_if` conditions of a verdict
//! that is `allowed_if` in both.

use crate::decision::Decision;
use crate::describe;
use crate::explain::{key_covers, ActionKey};
use crate::incident::Val;
use crate::ir::{Cond, FactInfo, Field, PolicyIr, Sym, Test, TokenInfo, Tri, Vocab};
use crate::syntax::ast::{Modality, RuleKind, TokenKind, Verdict};
use crate::witness::{self, Search, Slot};
use crate::Policy;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// How hard the diff searches.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    /// Partial records one class's search may visit before giving up.
    pub budget: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions { budget: 100_000 }
    }
}

/// How two decisions on one incident differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// The new decision has an action no action of the old one covers.
    ActionAdded {
        /// The action.
        action: ActionKey,
    },
    /// The old decision has an action no action of the new one covers.
    ActionRemoved {
        /// The action.
        action: ActionKey,
    },
    /// Both decide a permission verdict, and they differ.
    Permission {
        /// The old verdict.
        old: Verdict,
        /// The new verdict.
        new: Verdict,
    },
    /// One decision is a breach and the other is not (or not known to be).
    Breach {
        /// Whether the old decision is a breach.
        old: bool,
        /// Whether the new one is.
        new: bool,
    },
}

/// Every difference between two decisions on the same incident. Actions are compared by
/// coverage (`must` covers `should`, a stricter deadline covers a later one); deadlines are
/// ranked by the old policy's vocabulary.
pub fn compare(old: &Decision<'_>, new: &Decision<'_>) -> Vec<Difference> {
    let ir = old.ir;
    let old_keys: Vec<ActionKey> = old.actions().map(|a| ActionKey::of(&a)).collect();
    let new_keys: Vec<ActionKey> = new.actions().map(|a| ActionKey::of(&a)).collect();
    let mut out = Vec::new();
    for k in &new_keys {
        if !old_keys.iter().any(|o| key_covers(ir, o, k)) {
            out.push(Difference::ActionAdded { action: k.clone() });
        }
    }
    for k in &old_keys {
        if !new_keys.iter().any(|n| key_covers(ir, n, k)) {
            out.push(Difference::ActionRemoved { action: k.clone() });
        }
    }
    if let (Some(o), Some(n)) = (old.verdict(), new.verdict()) {
        if o != n {
            out.push(Difference::Permission { old: o, new: n });
        }
    }
    let (ob, nb) = (old.breach() == Some(true), new.breach() == Some(true));
    if ob != nb {
        out.push(Difference::Breach { old: ob, new: nb });
    }
    out
}

/// What one policy decided on a witness, briefly.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Decided actions.
    pub actions: Vec<String>,
    /// The permission verdict.
    pub permission: Option<Verdict>,
    /// Whether it is a breach.
    pub breach: Option<bool>,
    /// The rules that applied.
    pub rules: Vec<String>,
    /// The decided actions as data.
    #[serde(skip)]
    pub keys: Vec<ActionKey>,
}

impl Outcome {
    fn of(d: &Decision<'_>) -> Outcome {
        Outcome {
            actions: d.actions().map(|a| ActionKey::of(&a).text()).collect(),
            permission: d.verdict(),
            breach: d.breach(),
            rules: d.fired_rules().map(str::to_owned).collect(),
            keys: d.actions().map(|a| ActionKey::of(&a)).collect(),
        }
    }
}

/// A class of incidents whose answers differ.
#[derive(Clone, Debug, Serialize)]
pub struct DiffClass {
    /// The difference every incident of the class shows.
    pub difference: Difference,
    /// `added`, `removed`, `stronger modality`, `weaker modality`, `stricter deadline`,
    /// `later deadline`, `permission changed`, `breach changed`.
    pub change: String,
    /// One line for a reader.
    pub summary: String,
    /// When it happens, in words.
    pub condition: String,
    /// The incident category of the witness, if any.
    pub category: Option<String>,
    /// A witness incident record, verified under both policies.
    pub witness: Value,
    /// The old policy's decision on the witness.
    pub old: Outcome,
    /// The new policy's decision on the witness.
    pub new: Outcome,
}

/// The classes of incidents on which two policies answer differently.
#[derive(Clone, Debug, Serialize)]
pub struct DiffReport {
    /// The old policy's id and version.
    pub old_policy: String,
    /// The new policy's id and version.
    pub new_policy: String,
    /// Every class found, grouped by category.
    pub classes: Vec<DiffClass>,
    /// How many conjunctions were searched.
    pub searched: usize,
    /// Searches that stopped at the budget whose difference no other search found (such a
    /// class may be missing).
    pub gave_up: usize,
    /// Witnesses that did not show the stated difference even when completed (not reported).
    pub unverified: usize,
    /// Those differences, with their last witness, for the record.
    pub unverified_classes: Vec<String>,
    /// The conditions of the searches that stopped at the budget.
    pub gave_up_classes: Vec<String>,
    /// Tokens or facts only one policy declares (records using them are outside the
    /// comparison).
    pub not_shared: Vec<String>,
}

/// Translation of one policy's indices into the joint space.
struct Side<'a> {
    ir: &'a PolicyIr,
    tok: Vec<Vec<Option<Sym>>>,
    facts: Vec<Option<u16>>,
    pfacts: Vec<Option<u16>>,
}

/// The tokens and facts both policies declare, indexed in the old policy's order.
fn joint_vocab(a: &PolicyIr, b: &PolicyIr, not_shared: &mut Vec<String>) -> Vocab {
    let mut v = Vocab::default();
    for kind in TokenKind::ALL {
        let k = kind.index();
        let (Some(ta), Some(va)) = (a.vocab.tokens.get(k), v.tokens.get_mut(k)) else {
            continue;
        };
        let mut index = HashMap::new();
        for t in ta {
            if b.vocab.lookup(kind, &t.name).is_some() {
                if let Ok(sym) = Sym::try_from(va.len()) {
                    index.insert(t.name.clone(), sym);
                }
                va.push(TokenInfo {
                    name: t.name.clone(),
                    label: None,
                    parents: Vec::new(),
                    span: t.span,
                    contract: t.contract,
                    needs_target: t.needs_target,
                });
            } else {
                not_shared.push(format!("{} {} (old only)", kind.keyword(), t.name));
            }
        }
        if let Some(tb) = b.vocab.tokens.get(k) {
            for t in tb {
                if a.vocab.lookup(kind, &t.name).is_none() {
                    not_shared.push(format!("{} {} (new only)", kind.keyword(), t.name));
                }
            }
        }
        if let Some(slot) = v.index.get_mut(k) {
            *slot = index;
        }
    }
    let n = v.count(TokenKind::Role);
    v.role_is_a = (0..n * n).map(|x| x / n.max(1) == x % n.max(1)).collect();
    v.category_below = (0..v.count(TokenKind::Category))
        .filter_map(|c| Sym::try_from(c).ok().map(|c| vec![c]))
        .collect();
    let shared = |fa: &[FactInfo], fb: &[FactInfo], what: &str, not_shared: &mut Vec<String>| {
        let mut out: Vec<FactInfo> = Vec::new();
        for f in fa {
            if fb.iter().any(|g| g.name == f.name && g.ty == f.ty) {
                out.push(f.clone());
            } else {
                not_shared.push(format!(
                    "{what} {} (old only, or typed differently)",
                    f.name
                ));
            }
        }
        for g in fb {
            if !fa.iter().any(|f| f.name == g.name && f.ty == g.ty) {
                not_shared.push(format!(
                    "{what} {} (new only, or typed differently)",
                    g.name
                ));
            }
        }
        out
    };
    v.facts = shared(&a.vocab.facts, &b.vocab.facts, "fact", not_shared);
    v.fact_index = v
        .facts
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), i))
        .collect();
    v.person_facts = shared(
        &a.vocab.person_facts,
        &b.vocab.person_facts,
        "person fact",
        not_shared,
    );
    v.person_fact_index = v
        .person_facts
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), i))
        .collect();
    v
}

fn side<'a>(ir: &'a PolicyIr, joint: &Vocab) -> Side<'a> {
    let tok = TokenKind::ALL
        .iter()
        .map(|&kind| {
            ir.vocab
                .tokens
                .get(kind.index())
                .map(|ts| ts.iter().map(|t| joint.lookup(kind, &t.name)).collect())
                .unwrap_or_default()
        })
        .collect();
    let map_facts = |own: &[FactInfo], index: &HashMap<String, usize>| -> Vec<Option<u16>> {
        own.iter()
            .map(|f| index.get(&f.name).and_then(|&i| u16::try_from(i).ok()))
            .collect()
    };
    Side {
        ir,
        tok,
        facts: map_facts(&ir.vocab.facts, &joint.fact_index),
        pfacts: map_facts(&ir.vocab.person_facts, &joint.person_fact_index),
    }
}

impl Side<'_> {
    fn sym(&self, kind: TokenKind, s: Sym) -> Option<Sym> {
        self.tok
            .get(kind.index())
            .and_then(|m| m.get(s as usize).copied().flatten())
    }

    fn roles_under(&self, r: Sym) -> Vec<Sym> {
        let n = self.ir.vocab.count(TokenKind::Role);
        (0..n)
            .filter_map(|v| Sym::try_from(v).ok())
            .filter(|&v| self.ir.vocab.is_a(v, r))
            .filter_map(|v| self.sym(TokenKind::Role, v))
            .collect()
    }

    /// `cond` in the joint space.
    fn cond(&self, cond: &Cond) -> Cond {
        match cond {
            Cond::Const(t) => Cond::Const(*t),
            Cond::Not(c) => Cond::Not(Box::new(self.cond(c))),
            Cond::And(cs) => Cond::And(cs.iter().map(|c| self.cond(c)).collect()),
            Cond::Or(cs) => Cond::Or(cs.iter().map(|c| self.cond(c)).collect()),
            Cond::Quant { all, list, body } => Cond::Quant {
                all: *all,
                list: *list,
                body: Box::new(self.cond(body)),
            },
            Cond::Test(f, t) => {
                let field = match f {
                    Field::Fact(i) => match self.facts.get(usize::from(*i)).copied().flatten() {
                        Some(j) => Field::Fact(j),
                        None => return Cond::Const(Tri::Unknown),
                    },
                    Field::PersonFact(w, i) => {
                        match self.pfacts.get(usize::from(*i)).copied().flatten() {
                            Some(j) => Field::PersonFact(*w, j),
                            None => return Cond::Const(Tri::Unknown),
                        }
                    }
                    other => *other,
                };
                let Some(kind) = self.ir.token_kind(*f) else {
                    return Cond::Test(field, t.clone());
                };
                let map = |ss: &[Sym]| -> Box<[Sym]> {
                    let mut v: Vec<Sym> = ss.iter().filter_map(|s| self.sym(kind, *s)).collect();
                    v.sort_unstable();
                    v.dedup();
                    v.into_boxed_slice()
                };
                let test = match t {
                    Test::Sym(s) => match self.sym(kind, *s) {
                        Some(j) => Test::Sym(j),
                        None => Test::Syms(Box::new([])),
                    },
                    Test::Syms(ss) => Test::Syms(map(ss)),
                    Test::RoleIs(r) => Test::Syms(map(&self.roles_under(*r))),
                    Test::RoleIn(rs) => {
                        let all: Vec<Sym> = rs.iter().flat_map(|r| self.roles_under(*r)).collect();
                        Test::Syms(map(&all))
                    }
                    other => other.clone(),
                };
                Cond::Test(field, test)
            }
        }
    }
}

/// Whether `cond` can evaluate to `want` on some record (a sound over-approximation: only
/// constants are read).
fn can_be(cond: &Cond, want: bool) -> bool {
    match cond {
        Cond::Const(t) => *t == Tri::from_bool(want),
        Cond::Not(c) => can_be(c, !want),
        Cond::And(cs) if want => cs.iter().all(|c| can_be(c, true)),
        Cond::And(cs) => cs.iter().any(|c| can_be(c, false)),
        Cond::Or(cs) if want => cs.iter().any(|c| can_be(c, true)),
        Cond::Or(cs) => cs.iter().all(|c| can_be(c, false)),
        Cond::Test(..) | Cond::Quant { .. } => true,
    }
}

fn or(cs: Vec<Cond>) -> Cond {
    if cs.is_empty() {
        Cond::Const(Tri::False)
    } else if cs.len() == 1 {
        cs.into_iter().next().unwrap_or(Cond::Const(Tri::False))
    } else {
        Cond::Or(cs.into_boxed_slice())
    }
}

fn and(cs: Vec<Cond>) -> Cond {
    if cs.len() == 1 {
        cs.into_iter().next().unwrap_or(Cond::Const(Tri::True))
    } else {
        Cond::And(cs.into_boxed_slice())
    }
}

fn not(c: Cond) -> Cond {
    Cond::Not(Box::new(c))
}

fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Allowed | Verdict::NotAddressed => 0,
        Verdict::AllowedIf => 1,
        Verdict::NotAllowed => 2,
    }
}

/// One policy's decision, as conditions over the joint space.
struct Formulas {
    /// When each rule fires (adds its actions).
    fires: Vec<Cond>,
    /// When each verdict is given.
    verdict: Vec<(Verdict, Cond)>,
    /// When the decision is a breach.
    breach: Cond,
    /// The rules' action keys.
    actions: Vec<Vec<ActionKey>>,
    /// Every translated rule condition (for completing witnesses).
    whens: Vec<Cond>,
}

fn formulas(s: &Side<'_>) -> Formulas {
    let ir = s.ir;
    let whens: Vec<Cond> = ir.rules.iter().map(|r| s.cond(&r.cond)).collect();
    let when = |i: usize| whens.get(i).cloned().unwrap_or(Cond::Const(Tri::False));
    let eff: Vec<Cond> = ir
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut parts = vec![when(i)];
            for e in r.exceptions.iter().copied().chain(r.preceded_by.clone()) {
                parts.push(not(when(e)));
            }
            and(parts)
        })
        .collect();
    let eff_of = |i: usize| eff.get(i).cloned().unwrap_or(Cond::Const(Tri::False));
    let activity = Cond::Test(Field::Activity, Test::Present);
    let perm_rules = |kind: RuleKind, v: Option<Verdict>| -> Cond {
        or(ir
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind == kind)
            .filter(|(_, r)| {
                r.effects
                    .permission
                    .as_ref()
                    .is_some_and(|p| v.is_none_or(|v| p.verdict == v))
            })
            .map(|(i, _)| eff_of(i))
            .collect())
    };
    let h = |v| perm_rules(RuleKind::Plain, Some(v));
    let d = |v| perm_rules(RuleKind::Default, Some(v));
    let any_h = perm_rules(RuleKind::Plain, None);
    let any_d = perm_rules(RuleKind::Default, None);
    let na = Verdict::NotAllowed;
    let ai = Verdict::AllowedIf;
    let al = Verdict::Allowed;
    let verdict = vec![
        (
            na,
            and(vec![
                activity.clone(),
                or(vec![h(na), and(vec![not(any_h.clone()), d(na)])]),
            ]),
        ),
        (
            ai,
            and(vec![
                activity.clone(),
                or(vec![
                    and(vec![not(h(na)), h(ai)]),
                    and(vec![not(any_h.clone()), not(d(na)), d(ai)]),
                ]),
            ]),
        ),
        (
            al,
            and(vec![
                activity.clone(),
                or(vec![
                    and(vec![not(h(na)), not(h(ai)), h(al)]),
                    and(vec![not(any_h.clone()), not(d(na)), not(d(ai)), d(al)]),
                ]),
            ]),
        ),
        (
            Verdict::NotAddressed,
            and(vec![activity.clone(), not(any_h.clone()), not(any_d)]),
        ),
    ];
    let not_allowed = verdict
        .first()
        .map_or(Cond::Const(Tri::False), |(_, c)| c.clone());
    let breach = or(ir
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == RuleKind::Plain && r.effects.breach)
        .map(|(i, _)| eff_of(i))
        .chain(std::iter::once(not_allowed))
        .collect());
    let fires = ir
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| match r.kind {
            RuleKind::Plain => eff_of(i),
            RuleKind::OnBreach => and(vec![eff_of(i), breach.clone()]),
            RuleKind::Default => {
                let rank = r
                    .effects
                    .permission
                    .as_ref()
                    .map_or(0, |p| verdict_rank(p.verdict));
                let stricter = or(ir
                    .rules
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| x.kind == RuleKind::Default)
                    .filter(|(_, x)| {
                        x.effects
                            .permission
                            .as_ref()
                            .is_some_and(|p| verdict_rank(p.verdict) > rank)
                    })
                    .map(|(j, _)| eff_of(j))
                    .collect());
                and(vec![
                    activity.clone(),
                    not(any_h.clone()),
                    eff_of(i),
                    not(stricter),
                ])
            }
        })
        .collect();
    let actions = ir
        .rules
        .iter()
        .map(|r| {
            r.effects
                .actions
                .iter()
                .map(|a| crate::explain::action_ir_key(ir, a))
                .collect()
        })
        .collect();
    Formulas {
        fires,
        verdict,
        breach,
        actions,
        whens,
    }
}

fn same_entry(a: &ActionKey, b: &ActionKey) -> bool {
    a.modality == b.modality
        && a.action == b.action
        && a.targets == b.targets
        && a.target_mode == b.target_mode
        && a.by == b.by
}

/// When policy `f` (vocabulary `ir`) decides an entry `key` with exactly its deadline.
fn present(ir: &PolicyIr, f: &Formulas, key: &ActionKey) -> Cond {
    let rank = |d: &Option<String>| {
        d.as_deref()
            .and_then(|d| ir.vocab.lookup(TokenKind::Deadline, d))
    };
    let mut exact = Vec::new();
    let mut stricter = Vec::new();
    for (i, keys) in f.actions.iter().enumerate() {
        for k in keys {
            if !same_entry(k, key) {
                continue;
            }
            let fire = f.fires.get(i).cloned().unwrap_or(Cond::Const(Tri::False));
            if k.deadline == key.deadline {
                exact.push(fire);
            } else {
                let is_stricter = match (rank(&k.deadline), rank(&key.deadline)) {
                    (Some(_), None) if key.deadline.is_none() => true,
                    (Some(a), Some(b)) => a < b,
                    _ => false,
                };
                if is_stricter {
                    stricter.push(fire);
                }
            }
        }
    }
    and(vec![or(exact), not(or(stricter))])
}

/// When policy `f` decides some action covering `key` (deadlines ranked in `rank_ir`).
fn covered(rank_ir: &PolicyIr, f: &Formulas, key: &ActionKey) -> Cond {
    let mut parts = Vec::new();
    for (i, keys) in f.actions.iter().enumerate() {
        if keys.iter().any(|k| key_covers(rank_ir, k, key)) {
            parts.push(f.fires.get(i).cloned().unwrap_or(Cond::Const(Tri::False)));
        }
    }
    or(parts)
}

struct Cx<'a> {
    old: &'a Policy,
    new: &'a Policy,
    joint: PolicyIr,
    fo: Formulas,
    fnew: Formulas,
    opts: &'a DiffOptions,
    report: DiffReport,
    /// Searches that stopped at the budget, with the difference they looked for.
    gave_up: Vec<(Difference, String)>,
}

impl Cx<'_> {
    /// Search one conjunction; verify and record its class.
    fn class(&mut self, conds: Vec<Cond>, want: Difference, condition: String) {
        if self.report.classes.iter().any(|c| c.difference == want) {
            // One witness per difference: a further rule giving the same one adds nothing a
            // reader needs (the condition names the first rule found).
            return;
        }
        self.report.searched += 1;
        if conds.iter().any(|c| !can_be(c, true)) {
            // A conjunct that can never be true (it rests on a fact or token only one
            // policy declares): no record of the joint space is in the class.
            return;
        }
        let refs: Vec<&Cond> = conds.iter().collect();
        let inc = match witness::find(&self.joint, &refs, self.opts.budget) {
            Search::Found(inc) => inc,
            Search::Impossible => return,
            Search::GaveUp => {
                self.gave_up.push((want, condition));
                return;
            }
        };
        let mut inc = *inc;
        let mut record = witness_json(&self.joint, &inc);
        let mut verified = self.verify(&record, &want);
        // An undecided rule of either policy can keep the stated difference open (a verdict
        // left open, a breach unknown): answer the questions the two decisions ask, a round
        // at a time, then, if need be, every field either policy reads. Every conjunct
        // true on the witness stays true.
        for _ in 0..8 {
            if !matches!(verified, Err(true)) {
                break;
            }
            if !self.answer_questions(&mut inc, &record) {
                break;
            }
            record = witness_json(&self.joint, &inc);
            verified = self.verify(&record, &want);
        }
        if verified.is_err() {
            complete(&self.joint, &self.fo, &self.fnew, &mut inc);
            record = witness_json(&self.joint, &inc);
            verified = self.verify(&record, &want);
        }
        let Ok((old_out, new_out)) = verified else {
            self.report.unverified += 1;
            self.report
                .unverified_classes
                .push(format!("{want:?}: {record}"));
            return;
        };
        let (change, summary) = label(&want, &old_out, &new_out);
        let category = record
            .get("category")
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.report.classes.push(DiffClass {
            difference: want,
            change,
            summary,
            condition,
            category,
            witness: record,
            old: old_out,
            new: new_out,
        });
    }

    /// After a search for `want` gave up, search again with each of `steer` first (each
    /// one a way the class can arise), until one finds it.
    fn steered(&mut self, conds: &[Cond], want: &Difference, condition: &str, steer: Vec<Cond>) {
        let gave_up = self.gave_up.last().is_some_and(|(d, _)| d == want);
        if !gave_up {
            return;
        }
        for first in steer {
            if self.report.classes.iter().any(|c| c.difference == *want) {
                return;
            }
            let mut all = vec![first];
            all.extend(conds.iter().cloned());
            self.class(all, want.clone(), condition.to_owned());
        }
    }

    /// Both decisions on `record` if they show `want`; otherwise whether questions remain.
    fn verify(&self, record: &Value, want: &Difference) -> Result<(Outcome, Outcome), bool> {
        let io = self.old.incident_from_value(record).map_err(|_| false)?;
        let inew = self.new.incident_from_value(record).map_err(|_| false)?;
        let dold = self.old.evaluate(&io);
        let dnew = self.new.evaluate(&inew);
        if compare(&dold, &dnew).contains(want) {
            Ok((Outcome::of(&dold), Outcome::of(&dnew)))
        } else {
            Err(!dold.questions().is_empty() || !dnew.questions().is_empty())
        }
    }

    /// Give the fields the two decisions on `record` ask about their first class
    /// representative; whether any was given.
    fn answer_questions(&self, inc: &mut crate::incident::Incident, record: &Value) -> bool {
        let mut asked: Vec<String> = Vec::new();
        for p in [self.old, self.new] {
            if let Ok(i) = p.incident_from_value(record) {
                asked.extend(p.evaluate(&i).questions().iter().map(|q| q.fact.clone()));
            }
        }
        let mut slots = Vec::new();
        let mut numbers = Vec::new();
        let mut syms = Vec::new();
        for c in self.fo.whens.iter().chain(self.fnew.whens.iter()) {
            witness::collect(c, &mut slots, &mut numbers, &mut syms);
        }
        let mut any = false;
        for s in slots {
            if witness::get(inc, s) != Val::Unknown
                || !asked.contains(&witness::path(&self.joint, s))
            {
                continue;
            }
            if let Some(v) = witness::candidates(&self.joint, s, &numbers, &syms)
                .into_iter()
                .find(|v| *v != Val::Absent)
            {
                witness::set(inc, s, v);
                any = true;
            }
        }
        any
    }
}

/// The witness as an incident record; `others` is given as empty (the search ranges over
/// the actor and subject only).
fn witness_json(ir: &PolicyIr, inc: &crate::incident::Incident) -> Value {
    let mut v = witness::to_json(ir, inc);
    if let Value::Object(m) = &mut v {
        m.entry("others")
            .or_insert_with(|| Value::Array(Vec::new()));
    }
    v
}

/// Give every field either policy reads a value (the first of its class representatives),
/// keeping what the witness already says: every condition true on the witness stays true.
fn complete(ir: &PolicyIr, a: &Formulas, b: &Formulas, inc: &mut crate::incident::Incident) {
    let mut slots = Vec::new();
    let mut numbers = Vec::new();
    let mut syms = Vec::new();
    for c in a.whens.iter().chain(b.whens.iter()) {
        witness::collect(c, &mut slots, &mut numbers, &mut syms);
    }
    for s in slots {
        if matches!(s, Slot::Top(Field::Category) | Slot::Top(Field::Activity)) {
            continue;
        }
        if witness::get(inc, s) == Val::Unknown {
            if let Some(v) = witness::candidates(ir, s, &numbers, &syms)
                .into_iter()
                .find(|v| *v != Val::Absent)
            {
                witness::set(inc, s, v);
            }
        }
    }
}

/// What a modality does, for a reader: `must` requires, `may` allows.
fn verb(m: Modality) -> &'static str {
    match m {
        Modality::Must => "requires",
        Modality::Should => "recommends",
        Modality::May => "allows",
        Modality::MustNot => "forbids",
        Modality::ShouldNot => "advises against",
    }
}

fn label(d: &Difference, old: &Outcome, new: &Outcome) -> (String, String) {
    // The other decision's entry for the same action and targets, if any, says what kind
    // of change this is.
    let kind = |other: &[ActionKey], k: &ActionKey, stronger: bool| -> (&'static str, String) {
        let Some(o) = other
            .iter()
            .find(|o| o.action == k.action && o.targets == k.targets)
        else {
            return (if stronger { "added" } else { "removed" }, String::new());
        };
        let which = if stronger { "old" } else { "new" };
        let note = format!(" ({which}: `{}`)", o.text());
        let change = if o.modality != k.modality {
            if stronger {
                "stronger modality"
            } else {
                "weaker modality"
            }
        } else if o.deadline != k.deadline {
            if stronger {
                "stricter deadline"
            } else {
                "later deadline"
            }
        } else if o.by != k.by {
            "different performer"
        } else {
            "different targets"
        };
        (change, note)
    };
    match d {
        Difference::ActionAdded { action } => {
            let (change, extra) = kind(&old.keys, action, true);
            (
                change.to_owned(),
                format!(
                    "the new policy {} `{}`{extra}",
                    verb(action.modality),
                    action.text()
                ),
            )
        }
        Difference::ActionRemoved { action } => {
            let (change, extra) = kind(&new.keys, action, false);
            (
                change.to_owned(),
                format!(
                    "the new policy no longer {} `{}`{extra}",
                    verb(action.modality),
                    action.text()
                ),
            )
        }
        Difference::Permission { old, new } => (
            "permission changed".to_owned(),
            format!(
                "the permission changes from {} to {}",
                old.keyword(),
                new.keyword()
            ),
        ),
        Difference::Breach { old, new } => (
            "breach changed".to_owned(),
            if *new && !*old {
                "the new policy treats it as a breach; the old did not".to_owned()
            } else {
                "the old policy treated it as a breach; the new does not".to_owned()
            },
        ),
    }
}

fn rule_ids(ir: &PolicyIr, f: &Formulas, key: &ActionKey) -> Vec<String> {
    f.actions
        .iter()
        .enumerate()
        .filter(|(_, keys)| keys.iter().any(|k| key_covers(ir, k, key)))
        .filter_map(|(i, _)| ir.rules.get(i).map(|r| format!("`{}`", r.id)))
        .collect()
}

/// Compare two policies (see the module documentation for the method).
pub(crate) fn diff(old: &Policy, new: &Policy, opts: &DiffOptions) -> DiffReport {
    let mut not_shared = Vec::new();
    let vocab = joint_vocab(&old.ir, &new.ir, &mut not_shared);
    let so = side(&old.ir, &vocab);
    let sn = side(&new.ir, &vocab);
    let fo = formulas(&so);
    let fnew = formulas(&sn);
    let mut joint = old.ir.clone();
    joint.vocab = vocab;
    joint.rules = Vec::new();
    joint.criteria = Vec::new();
    joint.build_index();
    let name = |p: &Policy| match p.version() {
        Some(v) => format!("{} (version {v})", p.id()),
        None => p.id().to_owned(),
    };
    let mut cx = Cx {
        old,
        new,
        joint,
        fo,
        fnew,
        opts,
        gave_up: Vec::new(),
        report: DiffReport {
            old_policy: name(old),
            new_policy: name(new),
            classes: Vec::new(),
            searched: 0,
            gave_up: 0,
            unverified: 0,
            unverified_classes: Vec::new(),
            gave_up_classes: Vec::new(),
            not_shared,
        },
    };
    // Actions the new policy adds, rule by rule, then those it drops.
    for added in [true, false] {
        let (to_ir, to_f, from_f) = if added {
            (&new.ir, &cx.fnew, &cx.fo)
        } else {
            (&old.ir, &cx.fo, &cx.fnew)
        };
        let mut jobs: Vec<(Vec<Cond>, Difference, String)> = Vec::new();
        for (i, keys) in to_f.actions.iter().enumerate() {
            let Some(rule) = to_ir.rules.get(i) else {
                continue;
            };
            for key in keys {
                let diff = if added {
                    Difference::ActionAdded {
                        action: key.clone(),
                    }
                } else {
                    Difference::ActionRemoved {
                        action: key.clone(),
                    }
                };
                let fire = to_f
                    .fires
                    .get(i)
                    .cloned()
                    .unwrap_or(Cond::Const(Tri::False));
                let cover = covered(&old.ir, from_f, key);
                // The other policy has the same rule (the same condition in the joint space)
                // with an action covering this one: the class is empty, no search needed.
                let same_rule = match &cover {
                    Cond::Or(cs) => cs.contains(&fire),
                    c => *c == fire,
                };
                if same_rule {
                    continue;
                }
                let conds = vec![fire, present(to_ir, to_f, key), not(cover)];
                let others = rule_ids(&old.ir, from_f, key);
                let (who, other) = if added {
                    ("new", "old")
                } else {
                    ("old", "new")
                };
                let condition = format!(
                    "where `{}` ({who} policy) applies — {} — and no rule of the {other} policy requiring it (or more) applies{}",
                    rule.id,
                    describe::cond_text(to_ir, &rule.cond),
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", others.join(", "))
                    }
                );
                jobs.push((conds, diff, condition));
            }
        }
        for (conds, d, c) in jobs {
            cx.class(conds, d, c);
        }
    }
    // Permission verdicts.
    let pairs: Vec<(Verdict, Cond, Verdict, Cond)> = cx
        .fo
        .verdict
        .iter()
        .flat_map(|(vo, co)| {
            cx.fnew
                .verdict
                .iter()
                .filter(move |(vn, _)| vn != vo)
                .map(move |(vn, cn)| (*vo, co.clone(), *vn, cn.clone()))
        })
        .collect();
    // The same verdict conditions in both policies give the same verdict on every record.
    let same_verdicts = cx.fo.verdict == cx.fnew.verdict;
    for (vo, co, vn, cn) in pairs.into_iter().filter(|_| !same_verdicts) {
        let condition = format!(
            "where the old policy's verdict is {} and the new policy's is {}",
            vo.keyword(),
            vn.keyword()
        );
        let want = Difference::Permission { old: vo, new: vn };
        cx.class(
            vec![co.clone(), cn.clone()],
            want.clone(),
            condition.clone(),
        );
        // A search over every permission rule at once can outgrow the budget; steer it
        // through each rule that gives the verdict, one at a time.
        let steer: Vec<Cond> = [(&new.ir, &cx.fnew, vn), (&old.ir, &cx.fo, vo)]
            .into_iter()
            .flat_map(|(ir, f, v)| {
                ir.rules
                    .iter()
                    .zip(&f.fires)
                    .filter(move |(r, _)| {
                        r.effects
                            .permission
                            .as_ref()
                            .is_some_and(|p| p.verdict == v)
                    })
                    .map(|(_, c)| c.clone())
            })
            .collect();
        cx.steered(&[co, cn], &want, &condition, steer);
    }
    // Breach.
    let same_breach = cx.fo.breach == cx.fnew.breach && same_verdicts;
    for new_breach in [true, false].into_iter().filter(|_| !same_breach) {
        let (yes, no) = if new_breach {
            (cx.fnew.breach.clone(), cx.fo.breach.clone())
        } else {
            (cx.fo.breach.clone(), cx.fnew.breach.clone())
        };
        let want = Difference::Breach {
            old: !new_breach,
            new: new_breach,
        };
        let condition = if new_breach {
            "where the new policy decides a breach and the old does not".to_owned()
        } else {
            "where the old policy decided a breach and the new does not".to_owned()
        };
        let conds = vec![yes, not(no)];
        cx.class(conds.clone(), want.clone(), condition.clone());
        let (ir, f) = if new_breach {
            (&new.ir, &cx.fnew)
        } else {
            (&old.ir, &cx.fo)
        };
        let steer: Vec<Cond> = ir
            .rules
            .iter()
            .zip(&f.fires)
            .filter(|(r, _)| {
                r.effects.breach
                    || r.effects
                        .permission
                        .as_ref()
                        .is_some_and(|p| p.verdict == Verdict::NotAllowed)
            })
            .map(|(_, c)| c.clone())
            .collect();
        cx.steered(&conds, &want, &condition, steer);
    }
    let mut report = cx.report;
    // A search that gave up matters only if no other rule's search found its difference.
    for (d, condition) in cx.gave_up {
        if !report.classes.iter().any(|c| c.difference == d) {
            report.gave_up += 1;
            report.gave_up_classes.push(condition);
        }
    }
    report.classes.sort_by(|a, b| {
        a.category
            .cmp(&b.category)
            .then_with(|| a.summary.cmp(&b.summary))
    });
    report
}

/// A table cell: a dash when empty.
fn cell(s: &str) -> &str {
    if s.is_empty() {
        "—"
    } else {
        s
    }
}

impl DiffReport {
    /// Keep only the classes where the new policy requires less than the old (actions
    /// removed or weakened, a more permissive verdict, a breach no longer decided): with the
    /// baseline as the old policy, where a school falls short of it.
    pub fn retain_weaker(&mut self) {
        self.classes.retain(|c| match &c.difference {
            Difference::ActionAdded { .. } => false,
            Difference::ActionRemoved { action } => action.modality != Modality::May,
            Difference::Permission { old, new } => verdict_rank(*new) < verdict_rank(*old),
            Difference::Breach { old, new } => *old && !*new,
        });
    }

    /// Plain text.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(s, "diff {} → {}", self.old_policy, self.new_policy);
        let _ = writeln!(
            s,
            "{} class(es) of incidents answered differently ({} searches, {} stopped at the budget, {} unverified)",
            self.classes.len(),
            self.searched,
            self.gave_up,
            self.unverified
        );
        let mut last: Option<&Option<String>> = None;
        for c in &self.classes {
            if last != Some(&c.category) {
                let _ = writeln!(
                    s,
                    "\n== {} ==",
                    c.category.as_deref().unwrap_or("permission requests")
                );
                last = Some(&c.category);
            }
            let _ = writeln!(s, "\n[{}] {}", c.change, c.summary);
            let _ = writeln!(s, "  when: {}", c.condition);
            let _ = writeln!(s, "  witness: {}", c.witness);
        }
        s
    }

    /// A Markdown report for governors.
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# What changes: {} → {}\n",
            self.old_policy, self.new_policy
        );
        let _ = writeln!(
            s,
            "This report lists every kind of incident that the two policies answer differently. \
             Each entry gives one example incident (a *witness*) that was run through both \
             policies to confirm the difference.\n"
        );
        let _ = writeln!(
            s,
            "- Kinds of incident answered differently: **{}**",
            self.classes.len()
        );
        let added = self
            .classes
            .iter()
            .filter(|c| matches!(c.difference, Difference::ActionAdded { .. }))
            .count();
        let removed = self
            .classes
            .iter()
            .filter(|c| matches!(c.difference, Difference::ActionRemoved { .. }))
            .count();
        let _ = writeln!(s, "- The new policy asks more: {added}");
        let _ = writeln!(s, "- The new policy asks less: {removed}");
        let _ = writeln!(
            s,
            "- Permission or breach changes: {}",
            self.classes.len() - added - removed
        );
        if self.gave_up > 0 || self.unverified > 0 {
            let _ = writeln!(
                s,
                "- Searches that stopped early: {}; unconfirmed examples left out: {}",
                self.gave_up, self.unverified
            );
        }
        let mut last: Option<&Option<String>> = None;
        for c in &self.classes {
            if last != Some(&c.category) {
                let title = c
                    .category
                    .as_deref()
                    .map_or("Requests to use devices or services".to_owned(), |x| {
                        x.replace('_', " ")
                    });
                let _ = writeln!(s, "\n## {title}\n");
                last = Some(&c.category);
            }
            let _ = writeln!(s, "### {} ({})\n", c.summary, c.change);
            let _ = writeln!(s, "*When:* {}\n", c.condition);
            let _ = writeln!(s, "*Example incident:* `{}`\n", c.witness);
            let _ = writeln!(
                s,
                "| | old policy | new policy |\n|---|---|---|\n| actions | {} | {} |\n| permission | {} | {} |\n| rules | {} | {} |\n",
                cell(&c.old.actions.join("; ")),
                cell(&c.new.actions.join("; ")),
                c.old.permission.map_or("—", Verdict::keyword),
                c.new.permission.map_or("—", Verdict::keyword),
                cell(&c.old.rules.join(", ")),
                cell(&c.new.rules.join(", ")),
            );
        }
        s
    }

    /// A self-contained HTML page (the Markdown report's content).
    pub fn to_html(&self) -> String {
        use std::fmt::Write as _;
        let esc = |t: &str| {
            t.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
             <style>body{{font-family:sans-serif;max-width:60rem;margin:auto;line-height:1.4}}\
             table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.3rem;vertical-align:top}}\
             code{{font-size:.85em;word-break:break-all}}</style></head><body>",
            esc(&format!("{} → {}", self.old_policy, self.new_policy))
        );
        let _ = writeln!(
            s,
            "<h1>What changes: {} → {}</h1><p>{} kinds of incident are answered differently. \
             Each has an example incident run through both policies to confirm it.</p>",
            esc(&self.old_policy),
            esc(&self.new_policy),
            self.classes.len()
        );
        let mut last: Option<&Option<String>> = None;
        for c in &self.classes {
            if last != Some(&c.category) {
                let title = c
                    .category
                    .as_deref()
                    .map_or("Requests to use devices or services".to_owned(), |x| {
                        x.replace('_', " ")
                    });
                let _ = writeln!(s, "<h2>{}</h2>", esc(&title));
                last = Some(&c.category);
            }
            let _ = writeln!(
                s,
                "<section><h3>{} ({})</h3><p><em>When:</em> {}</p><p><em>Example incident:</em> <code>{}</code></p>\
                 <table><tr><th></th><th>old policy</th><th>new policy</th></tr>\
                 <tr><td>actions</td><td>{}</td><td>{}</td></tr>\
                 <tr><td>permission</td><td>{}</td><td>{}</td></tr></table></section>",
                esc(&c.summary),
                esc(&c.change),
                esc(&c.condition),
                esc(&c.witness.to_string()),
                esc(&c.old.actions.join("; ")),
                esc(&c.new.actions.join("; ")),
                c.old.permission.map_or("—", Verdict::keyword),
                c.new.permission.map_or("—", Verdict::keyword),
            );
        }
        s.push_str("</body></html>\n");
        s
    }
}
