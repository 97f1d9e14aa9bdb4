//! Conditions compiled once per policy, when `Policy::compile` builds it (and kept with its IR in
//! [`crate::ir::RuleIndex`]), to a flat form that evaluation runs without re-deriving
//! anything from the IR:
//!
//! - every condition is a run of [`Node`]s in one array (prefix order, each node knowing
//!   where its subtree ends), so a walk reads consecutive memory and skips a decided
//!   subtree in one step;
//! - a test is a field and a [`Check`] on its value: token lists and role hierarchies
//!   (`role is staff`, `category in [...]`) are bit sets built once, never searched;
//! - for each list of candidate rules of [`crate::ir::RuleIndex`] (by category, or by
//!   activity) a rule's condition is also compiled *with that category and activity known*:
//!   the tests of those fields fold to constants and the residual condition is all that is
//!   left to evaluate. A rule only tells apart the tokens it names, so it is compiled once
//!   per named token and once for every other token.
//!
//! - the texts a question's `could_add` can list are numbered (equal texts, equal numbers),
//!   so a question's texts are a bit set; and the names action order compares are ranked
//!   in string order, so actions are sorted by integer keys ([`super::order`]).
//!
//! Folding is exact in the three-valued logic (`true and x` is `x`, `false and x` is
//! `false`; an unknown constant is kept), and so is flattening nested `and`/`or`: the value
//! of every condition and the unknown fields that keep it undecided ([`Flat::unknowns`])
//! are those of the tree walk in [`super::cond`], which stays the reference (explanations
//! and the witness search use it; a property test compares the two).

use super::cond::{push_unique, test_val, Cx};
#[cfg(test)]
use crate::incident::Incident;
use crate::incident::{Person, Val};
use crate::ir::{Cond, Field, PeopleList, PolicyIr, Sym, Test, Tri, Who};
use crate::model::{CmpOp, TokenKind};
use crate::question::{PersonRef, QKey};
use std::cmp::Ordering;

/// A test on a field's value, once the value is known (neither unknown nor absent).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Check {
    Truthy,
    Present,
    Bool(bool),
    Sym(Sym),
    /// A token in the bit set `sets[start..start + len]`.
    Set {
        start: u32,
        len: u32,
    },
    RoleNone,
    Cmp(CmpOp, i64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Const(Tri),
    And,
    Or,
    Not,
    Quant { all: bool, list: PeopleList },
    Test(Field, Check),
}

/// One node: its operation and the index just past its subtree (children follow it).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Node {
    op: Op,
    end: u32,
}

/// The index of a compiled condition's root node.
pub(crate) type Root = u32;

/// A policy's conditions, compiled.
#[derive(Clone, Debug, Default)]
pub(crate) struct Flat {
    /// How many rules were compiled (a policy whose rules changed since is recompiled).
    rules: usize,
    nodes: Vec<Node>,
    sets: Vec<u64>,
    /// Each rule's whole condition.
    generic: Vec<Root>,
    /// The candidate lists of the index, each rule with its condition specialised to the
    /// list's category and activity: `(rule, root)`.
    by_category: Vec<Box<[(u32, Root)]>>,
    incident: Vec<Box<[(u32, Root)]>>,
    by_activity: Vec<Box<[(u32, Root)]>>,
    /// The rules that may block each rule (its exceptions, then the earlier rows of its
    /// table), as ranges into `blockers`.
    blocked_by: Vec<(u32, u32)>,
    blockers: Vec<u32>,
    /// The rank of each question path that names no `others` entry, in string order (see
    /// [`Flat::cmp_keys`]).
    path_rank: Vec<u32>,
    facts: usize,
    person_facts: usize,
    /// Each rule's action texts as numbers (equal texts, equal numbers; the fixed texts of
    /// [`FIXED_TEXTS`] first), as ranges into `text_ids`, for telling texts apart without
    /// comparing them.
    text_at: Vec<(u32, u32)>,
    text_ids: Vec<u32>,
    texts: usize,
    /// The rank of each token's name that action order compares (the actions' and their
    /// first targets') among those names and `""`, in string order (equal names, equal
    /// ranks), by token kind ([`u32::MAX`]: not ranked).
    name_rank: Vec<Vec<u32>>,
    /// The rank of `""`.
    empty_rank: u32,
}

/// The `could_add` texts that are not action texts, numbered `0..` in this order.
pub(crate) const FIXED_TEXTS: [&str; 5] = [
    "permission allowed",
    "permission allowed_if",
    "permission not_allowed",
    "permission not_addressed",
    "breach",
];

/// The values of the category and activity a specialised condition assumes (`None`: any).
#[derive(Clone, Copy)]
struct Known {
    category: Option<Val>,
    activity: Option<Val>,
}

const ANY: Known = Known {
    category: None,
    activity: None,
};

impl Flat {
    /// Compile every rule of `ir`, and the candidate lists of its index.
    pub(crate) fn build(ir: &PolicyIr) -> Flat {
        let mut flat = Flat {
            rules: ir.rules.len(),
            facts: ir.vocab.facts.len(),
            person_facts: ir.vocab.person_facts.len(),
            ..Flat::default()
        };
        for rule in &ir.rules {
            let root = flat.compile(ir, &rule.cond, ANY);
            flat.generic.push(root);
            let start = u32::try_from(flat.blockers.len()).unwrap_or(u32::MAX);
            for e in rule
                .exceptions
                .iter()
                .copied()
                .chain(rule.preceded_by.clone())
            {
                flat.blockers.push(u32::try_from(e).unwrap_or(u32::MAX));
            }
            let end = u32::try_from(flat.blockers.len()).unwrap_or(u32::MAX);
            flat.blocked_by.push((start, end));
        }
        let [by_category, incident, by_activity] = ir.index.lists();
        flat.by_category = flat.specialise(ir, by_category, Field::Category, |v| Known {
            category: Some(v),
            activity: None,
        });
        flat.incident = flat.specialise(ir, incident, Field::Category, |v| Known {
            category: Some(v),
            activity: Some(Val::Absent),
        });
        flat.by_activity = flat.specialise(ir, by_activity, Field::Activity, |v| Known {
            category: Some(Val::Absent),
            activity: Some(v),
        });
        flat.path_rank = flat.path_ranks(ir);
        flat.number_texts(ir);
        flat.rank_names(ir);
        flat
    }

    /// Rank the names action order compares: the actions' and their first targets'.
    fn rank_names(&mut self, ir: &PolicyIr) {
        let mut used: Vec<(TokenKind, Sym)> = Vec::new();
        for a in ir.rules.iter().flat_map(|r| &r.effects.actions) {
            used.push((TokenKind::Action, a.action));
            if let Some(t) = a.targets.first() {
                used.push((t.kind, t.sym));
            }
        }
        used.sort_unstable();
        used.dedup();
        let mut names: Vec<&str> = used.iter().map(|&(k, s)| ir.vocab.name(k, s)).collect();
        names.push("");
        names.sort_unstable();
        names.dedup();
        let rank = |name: &str| {
            names
                .binary_search(&name)
                .map_or(u32::MAX, |r| u32::try_from(r).unwrap_or(u32::MAX))
        };
        self.empty_rank = rank("");
        let mut by_kind = vec![Vec::new(); TokenKind::ALL.len()];
        for (kind, sym) in used {
            if let Some(ranks) = by_kind.get_mut(kind.index()) {
                if ranks.len() <= sym as usize {
                    ranks.resize(sym as usize + 1, u32::MAX);
                }
                if let Some(r) = ranks.get_mut(sym as usize) {
                    *r = rank(ir.vocab.name(kind, sym));
                }
            }
        }
        self.name_rank = by_kind;
    }

    /// The rank of a token's name in string order among the names action order compares
    /// and `""` (`None`: not ranked; then names are compared).
    pub(crate) fn name_rank(&self, kind: TokenKind, sym: Sym) -> Option<u32> {
        self.name_rank
            .get(kind.index())?
            .get(sym as usize)
            .copied()
            .filter(|&r| r != u32::MAX)
    }

    /// The rank of `""` among the names ([`Flat::name_rank`]).
    pub(crate) fn empty_rank(&self) -> u32 {
        self.empty_rank
    }

    fn number_texts(&mut self, ir: &PolicyIr) {
        let mut ids: std::collections::HashMap<&str, u32> =
            FIXED_TEXTS.iter().zip(0..).map(|(&t, i)| (t, i)).collect();
        for rule in &ir.rules {
            let start = u32::try_from(self.text_ids.len()).unwrap_or(u32::MAX);
            for a in &rule.effects.actions {
                let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                let id = *ids.entry(a.text.as_str()).or_insert(next);
                self.text_ids.push(id);
            }
            let end = u32::try_from(self.text_ids.len()).unwrap_or(u32::MAX);
            self.text_at.push((start, end));
        }
        self.texts = ids.len();
    }

    /// The numbers of rule `i`'s action texts, one per action.
    pub(crate) fn text_ids(&self, i: usize) -> &[u32] {
        self.text_at
            .get(i)
            .and_then(|&(s, e)| self.text_ids.get(s as usize..e as usize))
            .unwrap_or_default()
    }

    /// How many distinct texts are numbered.
    pub(crate) fn texts(&self) -> usize {
        self.texts
    }

    /// Whether this was compiled from `ir`'s current rules.
    pub(crate) fn fits(&self, ir: &PolicyIr) -> bool {
        self.rules == ir.rules.len()
    }

    /// The candidate rules (with their specialised conditions) for a record with these
    /// `category` and `activity` values, or `None` when every rule must be evaluated
    /// (mirrors `RuleIndex::candidates`).
    pub(crate) fn candidates(&self, category: Val, activity: Val) -> Option<&[(u32, Root)]> {
        match (category, activity) {
            (Val::Sym(c), Val::Absent) => self.incident.get(c as usize).map(|l| &**l),
            (Val::Sym(c), _) => self.by_category.get(c as usize).map(|l| &**l),
            (Val::Absent, Val::Sym(a)) => self.by_activity.get(a as usize).map(|l| &**l),
            _ => None,
        }
    }

    /// Each rule's whole condition, by rule.
    pub(crate) fn generic(&self) -> &[Root] {
        &self.generic
    }

    /// The rules that may block rule `i`: its exceptions, then the earlier rows of its table.
    pub(crate) fn blockers(&self, i: usize) -> &[u32] {
        self.blocked_by
            .get(i)
            .and_then(|&(s, e)| self.blockers.get(s as usize..e as usize))
            .unwrap_or_default()
    }

    /// For each candidate list of `lists` (one per token of `field`), its rules with their
    /// conditions specialised to `known(token)`.
    fn specialise(
        &mut self,
        ir: &PolicyIr,
        lists: &[Box<[u32]>],
        field: Field,
        known: impl Fn(Val) -> Known,
    ) -> Vec<Box<[(u32, Root)]>> {
        // Per rule: the tokens of `field` it names, and the roots compiled so far for them
        // (`None`: any other token).
        let mut named: Vec<Option<Vec<Sym>>> = vec![None; ir.rules.len()];
        let mut roots: Vec<Vec<(Option<Sym>, Root)>> = vec![Vec::new(); ir.rules.len()];
        let mut out = Vec::with_capacity(lists.len());
        for (sym, list) in lists.iter().enumerate() {
            let sym = Sym::try_from(sym).unwrap_or(Sym::MAX);
            let mut entries = Vec::with_capacity(list.len());
            for &i in list.iter() {
                let (Some(rule), Some(generic)) = (
                    ir.rules.get(i as usize),
                    self.generic.get(i as usize).copied(),
                ) else {
                    continue;
                };
                let k = known(Val::Sym(sym));
                let mut root = generic;
                if mentions(&rule.cond, k) {
                    let names = named.get_mut(i as usize).map(|n| {
                        n.get_or_insert_with(|| {
                            let mut v = Vec::new();
                            crate::ir::tested_syms(&rule.cond, field, &mut v);
                            v.sort_unstable();
                            v.dedup();
                            v
                        })
                    });
                    // Tests other than `is`/`in`/`is any` (a role hierarchy) may tell apart
                    // tokens the rule does not name: no sharing then.
                    let key = match names {
                        Some(n) if n.binary_search(&sym).is_err() && plain_tests(&rule.cond) => {
                            None
                        }
                        _ => Some(sym),
                    };
                    let seen = roots
                        .get(i as usize)
                        .and_then(|r| r.iter().find(|(s, _)| *s == key).map(|&(_, r)| r));
                    root = match seen {
                        Some(r) => r,
                        None => {
                            let r = self.compile(ir, &rule.cond, k);
                            if let Some(list) = roots.get_mut(i as usize) {
                                list.push((key, r));
                            }
                            r
                        }
                    };
                }
                entries.push((i, root));
            }
            out.push(entries.into_boxed_slice());
        }
        out
    }

    /// Compile `cond` with what `known` says folded in; return its root.
    fn compile(&mut self, ir: &PolicyIr, cond: &Cond, known: Known) -> Root {
        let folded = fold(ir, cond, known);
        let root = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.emit(ir, &folded);
        root
    }

    fn emit(&mut self, ir: &PolicyIr, cond: &Cond) {
        let at = self.nodes.len();
        let op = match cond {
            Cond::Const(t) => Op::Const(*t),
            Cond::And(_) => Op::And,
            Cond::Or(_) => Op::Or,
            Cond::Not(_) => Op::Not,
            Cond::Quant { all, list, .. } => Op::Quant {
                all: *all,
                list: *list,
            },
            Cond::Test(field, test) => Op::Test(*field, self.check(ir, test)),
        };
        self.nodes.push(Node { op, end: 0 });
        match cond {
            Cond::And(cs) | Cond::Or(cs) => {
                let and = matches!(cond, Cond::And(_));
                for c in cs.iter() {
                    self.emit_flattened(ir, c, and);
                }
            }
            Cond::Not(c) | Cond::Quant { body: c, .. } => self.emit(ir, c),
            Cond::Const(_) | Cond::Test(..) => {}
        }
        let end = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        if let Some(n) = self.nodes.get_mut(at) {
            n.end = end;
        }
    }

    /// Emit `c` as a child of an `and` (or an `or`): a nested `and` (`or`) contributes its
    /// children directly (Kleene conjunction and disjunction are associative, and the
    /// unknown fields are found in the same order).
    fn emit_flattened(&mut self, ir: &PolicyIr, c: &Cond, and: bool) {
        match c {
            Cond::And(cs) if and => cs.iter().for_each(|c| self.emit_flattened(ir, c, and)),
            Cond::Or(cs) if !and => cs.iter().for_each(|c| self.emit_flattened(ir, c, and)),
            _ => self.emit(ir, c),
        }
    }

    fn check(&mut self, ir: &PolicyIr, test: &Test) -> Check {
        match test {
            Test::Truthy => Check::Truthy,
            Test::Present => Check::Present,
            Test::Bool(b) => Check::Bool(*b),
            Test::Sym(s) => Check::Sym(*s),
            Test::RoleNone => Check::RoleNone,
            Test::Cmp(op, c) => Check::Cmp(*op, *c),
            Test::Syms(ss) => {
                let n = ss.iter().max().map_or(0, |&m| m as usize + 1);
                self.set(n, |v| ss.contains(&v))
            }
            Test::RoleIs(r) => self.set(ir.vocab.count(TokenKind::Role), |v| ir.vocab.is_a(v, *r)),
            Test::RoleIn(rs) => self.set(ir.vocab.count(TokenKind::Role), |v| {
                rs.iter().any(|r| ir.vocab.is_a(v, *r))
            }),
        }
    }

    /// A bit set of the tokens below `n` for which `member` holds (tokens from `n` on are
    /// never members).
    fn set(&mut self, n: usize, member: impl Fn(Sym) -> bool) -> Check {
        let start = self.sets.len();
        let words = n.div_ceil(64);
        self.sets.resize(start + words, 0);
        for v in 0..n {
            let Ok(sym) = Sym::try_from(v) else { break };
            if member(sym) {
                if let Some(w) = self.sets.get_mut(start + v / 64) {
                    *w |= 1 << (v % 64);
                }
            }
        }
        Check::Set {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(words).unwrap_or(0),
        }
    }

    /// The truth of the condition at `root` on the record.
    #[inline]
    pub(crate) fn eval(&self, cx: &Cx<'_>, root: Root) -> Tri {
        self.node(cx, root as usize, None)
    }

    fn end(&self, i: usize) -> usize {
        self.nodes.get(i).map_or(usize::MAX, |n| n.end as usize)
    }

    /// The truth of the subtree at `i`. Tests and constants are answered here, inline in the
    /// loop of the `and` or `or` above them; the rest in [`Flat::inner`].
    #[inline(always)]
    fn node<'a>(&self, cx: &Cx<'a>, i: usize, each: Option<(&'a Person, PersonRef)>) -> Tri {
        match self.nodes.get(i) {
            Some(&Node {
                op: Op::Test(field, check),
                ..
            }) => self.test(value(cx, field, each), check),
            Some(&Node {
                op: Op::Const(t), ..
            }) => t,
            Some(&Node { op, end }) => self.inner(cx, i, op, end, each),
            None => Tri::Unknown,
        }
    }

    #[inline(never)]
    fn inner<'a>(
        &self,
        cx: &Cx<'a>,
        i: usize,
        op: Op,
        end: u32,
        each: Option<(&'a Person, PersonRef)>,
    ) -> Tri {
        match op {
            Op::Test(field, check) => self.test(value(cx, field, each), check),
            Op::Const(t) => t,
            Op::Not => self.node(cx, i + 1, each).not(),
            Op::And => {
                let mut acc = Tri::True;
                let mut j = i + 1;
                while j < end as usize {
                    match self.node(cx, j, each) {
                        Tri::False => return Tri::False,
                        Tri::Unknown => acc = Tri::Unknown,
                        Tri::True => {}
                    }
                    j = self.end(j);
                }
                acc
            }
            Op::Or => {
                let mut acc = Tri::False;
                let mut j = i + 1;
                while j < end as usize {
                    match self.node(cx, j, each) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => acc = Tri::Unknown,
                        Tri::False => {}
                    }
                    j = self.end(j);
                }
                acc
            }
            Op::Quant { all, list } => {
                let (people, others_unknown) = cx.people(list);
                let values = people.into_iter().map(|p| self.node(cx, i + 1, Some(p)));
                Tri::quantify(all, others_unknown, values)
            }
        }
    }

    /// [`Cx::test`] on a compiled check.
    #[inline(always)]
    fn test(&self, val: Val, check: Check) -> Tri {
        let b = match (check, val) {
            (_, Val::Unknown) => return Tri::Unknown,
            (_, Val::Absent) => return Tri::False,
            (Check::Present, _) => true,
            (Check::Truthy, Val::Bool(b)) => b,
            (Check::Bool(want), Val::Bool(b)) => b == want,
            (Check::Sym(s), Val::Sym(v)) => v == s,
            (Check::Set { start, len }, Val::Sym(v)) => {
                let w = v as usize / 64;
                w < len as usize
                    && self
                        .sets
                        .get(start as usize + w)
                        .is_some_and(|bits| bits >> (v % 64) & 1 == 1)
            }
            (Check::RoleNone, Val::RoleNone) => true,
            (Check::Cmp(op, c), Val::Int(v)) => match op {
                CmpOp::Eq => v == c,
                CmpOp::Ne => v != c,
                CmpOp::Lt => v < c,
                CmpOp::Le => v <= c,
                CmpOp::Gt => v > c,
                CmpOp::Ge => v >= c,
            },
            _ => false,
        };
        Tri::from_bool(b)
    }

    /// The unknown fields that keep the condition at `root` undecided ([`Cx::unknowns`]):
    /// none if it is decided.
    #[cfg(test)]
    pub(crate) fn unknowns(&self, cx: &Cx<'_>, root: Root, out: &mut Vec<QKey>) {
        if self.eval(cx, root) == Tri::Unknown {
            self.undecided(cx, root as usize, None, out);
        }
    }

    /// [`Flat::unknowns`] of a condition already known to be unknown (`whens` says so).
    pub(crate) fn unknowns_of_undecided(&self, cx: &Cx<'_>, root: Root, out: &mut Vec<QKey>) {
        self.undecided(cx, root as usize, None, out);
    }

    /// The unknown fields under node `i`, which is unknown. So is every node this descends
    /// to: an unknown `and` has no false child (an `or` no true one), only unknown children
    /// are visited, and the child of an unknown `not` is unknown. So nothing is evaluated
    /// twice to find out whether a node is decided, as the tree walk does.
    fn undecided<'a>(
        &self,
        cx: &Cx<'a>,
        i: usize,
        each: Option<(&'a Person, PersonRef)>,
        out: &mut Vec<QKey>,
    ) {
        let Some(&Node { op, end }) = self.nodes.get(i) else {
            return;
        };
        match op {
            Op::Const(_) => {}
            Op::Not => self.undecided(cx, i + 1, each, out),
            Op::And | Op::Or => {
                let mut j = i + 1;
                while j < end as usize {
                    if self.node(cx, j, each) == Tri::Unknown {
                        self.undecided(cx, j, each, out);
                    }
                    j = self.end(j);
                }
            }
            Op::Test(field, _) => push_unique(out, QKey::of(field, each.map(|(_, r)| r))),
            Op::Quant { list, .. } => {
                let (people, others_unknown) = cx.people(list);
                for p in people {
                    if self.node(cx, i + 1, Some(p)) == Tri::Unknown {
                        self.undecided(cx, i + 1, Some(p), out);
                    }
                }
                if others_unknown {
                    push_unique(out, QKey::OthersList);
                }
            }
        }
    }

    /// Two questions' keys in the order of their record paths as strings
    /// ([`QKey::cmp_path`]), without rendering the paths unless one names an `others` entry.
    pub(crate) fn cmp_keys(&self, a: &QKey, b: &QKey, ir: &PolicyIr) -> Ordering {
        match (self.rank(a), self.rank(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => a.cmp_path(b, ir),
        }
    }

    fn rank(&self, key: &QKey) -> Option<u32> {
        self.path_rank
            .get(path_slot(key, self.facts, self.person_facts)?)
            .copied()
            .filter(|&r| r != NO_RANK)
    }
}

/// A field's value ([`Cx::field`]), with the commonest case, a fact of the record, inline.
#[inline(always)]
fn value<'a>(cx: &Cx<'a>, field: Field, each: Option<(&'a Person, PersonRef)>) -> Val {
    match field {
        Field::Fact(i) => cx
            .inc
            .facts
            .get(usize::from(i))
            .copied()
            .unwrap_or(Val::Unknown),
        _ => cx.field(field, each),
    }
}

/// How many entries of `others` have ranked paths (beyond, comparing renders the paths).
const RANKED_OTHERS: usize = 8;

/// The slot of a key whose path names no `others` entry beyond [`RANKED_OTHERS`], among the
/// [`path_slots`]: the top fields, `others`, the facts, then each named person's (and the
/// first `others` entries') role and facts.
fn path_slot(key: &QKey, facts: usize, person_facts: usize) -> Option<usize> {
    const TOP: usize = 7;
    let person = |who: Who| match who {
        Who::Actor => Some(0),
        Who::Subject => Some(1),
        Who::Reporter => Some(2),
        Who::Each => None,
    };
    match *key {
        QKey::Field(Field::Category) => Some(0),
        QKey::Field(Field::Activity) => Some(1),
        QKey::Field(Field::Location) => Some(2),
        QKey::Field(Field::Time) => Some(3),
        QKey::Field(Field::DeviceKind) => Some(4),
        QKey::Field(Field::DeviceOwner) => Some(5),
        QKey::OthersList => Some(6),
        QKey::Field(Field::Fact(i)) => (usize::from(i) < facts).then(|| TOP + usize::from(i)),
        QKey::Person(p, fact) => {
            let who = match p {
                PersonRef::Actor => person(Who::Actor),
                PersonRef::Subject => person(Who::Subject),
                PersonRef::Reporter => person(Who::Reporter),
                PersonRef::Other(k) => (k < RANKED_OTHERS).then_some(3 + k),
            }?;
            let within = match fact {
                None => 0,
                Some(i) if usize::from(i) < person_facts => 1 + usize::from(i),
                Some(_) => return None,
            };
            Some(TOP + facts + who * (1 + person_facts) + within)
        }
        QKey::Field(_) => None,
    }
}

/// Every key [`path_slot`] numbers, in slot order.
fn path_slots(facts: usize, person_facts: usize) -> Vec<QKey> {
    let mut keys = vec![
        QKey::Field(Field::Category),
        QKey::Field(Field::Activity),
        QKey::Field(Field::Location),
        QKey::Field(Field::Time),
        QKey::Field(Field::DeviceKind),
        QKey::Field(Field::DeviceOwner),
        QKey::OthersList,
    ];
    let index = |i: usize| u16::try_from(i).ok();
    keys.extend(
        (0..facts)
            .filter_map(index)
            .map(|i| QKey::Field(Field::Fact(i))),
    );
    let people = [PersonRef::Actor, PersonRef::Subject, PersonRef::Reporter]
        .into_iter()
        .chain((0..RANKED_OTHERS).map(PersonRef::Other));
    for p in people {
        keys.push(QKey::Person(p, None));
        keys.extend(
            (0..person_facts)
                .filter_map(index)
                .map(|i| QKey::Person(p, Some(i))),
        );
    }
    keys
}

impl Flat {
    /// The rank of each slot's path in string order (equal paths, equal ranks), for the keys a
    /// question can have: those of the fields the conditions test ([`NO_RANK`] elsewhere).
    fn path_ranks(&self, ir: &PolicyIr) -> Vec<u32> {
        let (facts, person_facts) = (self.facts, self.person_facts);
        let slots = 7 + facts + (3 + RANKED_OTHERS) * (1 + person_facts);
        let mut used = vec![false; slots];
        let mut mark = |key: QKey| {
            if let Some(u) = path_slot(&key, facts, person_facts).and_then(|s| used.get_mut(s)) {
                *u = true;
            }
        };
        mark(QKey::OthersList);
        for node in &self.nodes {
            let Op::Test(field, _) = node.op else {
                continue;
            };
            match field {
                // A quantifier's person: the actor, the subject or an entry of `others`.
                Field::Role(Who::Each) | Field::PersonFact(Who::Each, _) => {
                    let people = [PersonRef::Actor, PersonRef::Subject, PersonRef::Reporter]
                        .into_iter()
                        .chain((0..RANKED_OTHERS).map(PersonRef::Other));
                    for p in people {
                        mark(QKey::of(field, Some(p)));
                    }
                }
                _ => mark(QKey::of(field, None)),
            }
        }
        let keys = path_slots(facts, person_facts);
        // Only if a fact index did not fit a key: no ranks, every comparison renders.
        if keys.len() != slots {
            return Vec::new();
        }
        let mut paths: Vec<(String, usize)> = keys
            .iter()
            .enumerate()
            .filter(|(slot, _)| used.get(*slot) == Some(&true))
            .map(|(slot, k)| (k.path(ir).to_string(), slot))
            .collect();
        paths.sort();
        let mut rank = vec![NO_RANK; slots];
        let mut r = 0u32;
        let mut prev: Option<&str> = None;
        for (path, slot) in &paths {
            if prev.is_some_and(|p| p != path) {
                r += 1;
            }
            prev = Some(path);
            if let Some(x) = rank.get_mut(*slot) {
                *x = r;
            }
        }
        rank
    }
}

/// The rank of a key no question can have.
const NO_RANK: u32 = u32::MAX;

/// Whether `cond` tests a field whose value `known` gives.
fn mentions(cond: &Cond, known: Known) -> bool {
    match cond {
        Cond::Const(_) => false,
        Cond::Not(c) | Cond::Quant { body: c, .. } => mentions(c, known),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().any(|c| mentions(c, known)),
        Cond::Test(Field::Category, _) => known.category.is_some(),
        Cond::Test(Field::Activity, _) => known.activity.is_some(),
        Cond::Test(..) => false,
    }
}

/// Whether every category and activity test of `cond` gives the same result for every
/// token it does not name (`is`, `in`, `is any`, and tests no token passes).
fn plain_tests(cond: &Cond) -> bool {
    match cond {
        Cond::Const(_) => true,
        Cond::Not(c) | Cond::Quant { body: c, .. } => plain_tests(c),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().all(plain_tests),
        Cond::Test(Field::Category | Field::Activity, test) => {
            !matches!(test, Test::RoleIs(_) | Test::RoleIn(_))
        }
        Cond::Test(..) => true,
    }
}

/// `cond` with the tests of the fields `known` gives folded to constants, and the `and`,
/// `or` and `not` above them simplified where that changes no value and no unknown field.
fn fold(ir: &PolicyIr, cond: &Cond, known: Known) -> Cond {
    let value = |field: Field| match field {
        Field::Category => known.category,
        Field::Activity => known.activity,
        _ => None,
    };
    match cond {
        Cond::Test(field, test) => match value(*field) {
            Some(v) => Cond::Const(test_val(ir, v, test)),
            None => cond.clone(),
        },
        Cond::Const(_) => cond.clone(),
        Cond::Not(c) => match fold(ir, c, known) {
            Cond::Const(t) => Cond::Const(t.not()),
            c => Cond::Not(Box::new(c)),
        },
        Cond::And(cs) | Cond::Or(cs) => {
            let and = matches!(cond, Cond::And(_));
            // `and`: a false child decides, a true one adds nothing (`or`: the reverse).
            let (decides, neutral) = if and {
                (Tri::False, Tri::True)
            } else {
                (Tri::True, Tri::False)
            };
            let mut kept = Vec::with_capacity(cs.len());
            for c in cs.iter() {
                match fold(ir, c, known) {
                    Cond::Const(t) if t == decides => return Cond::Const(decides),
                    Cond::Const(t) if t == neutral => {}
                    c => kept.push(c),
                }
            }
            match kept.len() {
                0 => Cond::Const(neutral),
                1 => kept.pop().unwrap_or(Cond::Const(neutral)),
                _ if and => Cond::And(kept.into_boxed_slice()),
                _ => Cond::Or(kept.into_boxed_slice()),
            }
        }
        Cond::Quant { all, list, body } => Cond::Quant {
            all: *all,
            list: *list,
            body: Box::new(fold(ir, body, known)),
        },
    }
}

#[cfg(test)]
mod tests {
    //! The compiled conditions against the tree walk ([`Cx::eval`], [`Cx::unknowns`]), the
    //! reference, on every rule of the seed policies and on generated records: the same
    //! truth and the same unknown fields, in the same order, for each rule's whole condition
    //! and for the condition as specialised for the record's candidate list; and every rule
    //! the candidate list leaves out is false.
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        reason = "test code: a panic is a test failure with its message"
    )]

    use super::*;
    use crate::{CheckOptions, MapLoader, Policy};
    use proptest::prelude::*;

    const POLICIES: [(&str, &str); 7] = [
        (
            "basnett_2024",
            include_str!("../../../../policies/basnett_2024/policy.haven"),
        ),
        (
            "dukestreet_2023",
            include_str!("../../../../policies/dukestreet_2023/policy.haven"),
        ),
        (
            "kenilworth_2022",
            include_str!("../../../../policies/kenilworth_2022/policy.haven"),
        ),
        (
            "kingsbury_2019",
            include_str!("../../../../policies/kingsbury_2019/policy.haven"),
        ),
        (
            "thornton_2021",
            include_str!("../../../../policies/thornton_2021/policy.haven"),
        ),
        (
            "baseline",
            include_str!("../../../../policies/baseline/policy.haven"),
        ),
        (
            "example",
            include_str!("../../../../policies/example/policy.haven"),
        ),
    ];

    fn policies() -> Vec<Policy> {
        let mut loader = MapLoader::new();
        loader.insert(
            "std/vocabulary",
            "policies/std/vocabulary.haven",
            include_str!("../../../../policies/std/vocabulary.haven"),
        );
        loader.insert(
            "baseline",
            "policies/baseline/policy.haven",
            include_str!("../../../../policies/baseline/policy.haven"),
        );
        loader.insert(
            "shared/ukcis_2024",
            "policies/shared/ukcis_2024.haven",
            include_str!("../../../../policies/shared/ukcis_2024.haven"),
        );
        POLICIES
            .iter()
            .map(|(id, text)| {
                Policy::compile(
                    &format!("policies/{id}/policy.haven"),
                    text,
                    &loader,
                    &CheckOptions::default(),
                )
                .unwrap_or_else(|e| panic!("{id}: {}", e.render()))
            })
            .collect()
    }

    /// A small deterministic generator (the seed comes from proptest).
    struct Gen(u64);

    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }

        /// A token field: mostly a declared token, sometimes unknown, absent or one no
        /// policy declares.
        fn token(&mut self, n: usize) -> Val {
            match self.next(10) {
                0 => Val::Unknown,
                1 => Val::Absent,
                2 => Val::Sym(n as Sym + self.next(3) as Sym),
                _ => Val::Sym(self.next(n as u64) as Sym),
            }
        }

        /// Any value at all: conditions must agree even on ill-typed ones.
        fn any(&mut self, roles: usize) -> Val {
            match self.next(9) {
                0 | 1 => Val::Unknown,
                2 => Val::Absent,
                3 | 4 => Val::Bool(self.next(2) == 1),
                5 => Val::Int(self.next(30) as i64 - 5),
                6 => Val::RoleNone,
                _ => Val::Sym(self.next(roles as u64 + 1) as Sym),
            }
        }

        fn person(&mut self, ir: &PolicyIr) -> Person {
            let roles = ir.vocab.count(TokenKind::Role);
            let n = ir.vocab.person_facts.len();
            let len = if self.next(8) == 0 {
                self.next(n as u64 + 1) as usize
            } else {
                n
            };
            Person {
                role: self.token(roles),
                facts: (0..len).map(|_| self.any(roles)).collect(),
            }
        }

        fn incident(&mut self, ir: &PolicyIr) -> Incident {
            let v = &ir.vocab;
            let roles = v.count(TokenKind::Role);
            let person = |g: &mut Gen| (g.next(5) != 0).then(|| g.person(ir));
            let mut category = self.token(v.count(TokenKind::Category));
            let activity = self.token(v.count(TokenKind::Activity));
            // Permission requests usually carry no category.
            if matches!(activity, Val::Sym(_)) && self.next(2) == 0 {
                category = Val::Absent;
            }
            Incident {
                id: None,
                category,
                activity,
                location: self.token(v.count(TokenKind::Location)),
                time: self.token(v.count(TokenKind::Time)),
                device_kind: self.token(v.count(TokenKind::Device)),
                device_owner: self.token(v.count(TokenKind::Owner)),
                actor: person(self),
                subject: person(self),
                reporter: person(self),
                others: match self.next(4) {
                    0 => None,
                    k => Some((1..k).map(|_| self.person(ir)).collect()),
                },
                facts: (0..v.facts.len()).map(|_| self.any(roles)).collect(),
                occurred_at: None,
                reported_at: None,
            }
        }
    }

    fn check(ir: &PolicyIr, flat: &Flat, inc: &Incident) {
        let cx = Cx { ir, inc };
        let reference = |i: usize| {
            let cond = &ir.rules[i].cond;
            let mut keys = Vec::new();
            cx.unknowns(cond, None, &mut keys);
            (cx.eval(cond, None), keys)
        };
        let compiled = |root: Root| {
            let mut keys = Vec::new();
            flat.unknowns(&cx, root, &mut keys);
            (flat.eval(&cx, root), keys)
        };
        for (i, &root) in flat.generic().iter().enumerate() {
            assert_eq!(compiled(root), reference(i), "rule {}", ir.rules[i].id);
        }
        if let Some(list) = flat.candidates(inc.category, inc.activity) {
            let listed: Vec<usize> = list.iter().map(|&(i, _)| i as usize).collect();
            assert_eq!(
                Some(&listed[..]),
                ir.index
                    .candidates(inc.category, inc.activity)
                    .map(|l| l.iter().map(|&i| i as usize).collect::<Vec<_>>())
                    .as_deref()
            );
            for &(i, root) in list {
                let i = i as usize;
                assert_eq!(
                    compiled(root),
                    reference(i),
                    "rule {} (specialised)",
                    ir.rules[i].id
                );
            }
            for i in (0..ir.rules.len()).filter(|i| !listed.contains(i)) {
                assert_eq!(
                    cx.eval(&ir.rules[i].cond, None),
                    Tri::False,
                    "rule {}",
                    ir.rules[i].id
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn compiled_conditions_match_the_tree_walk(seed in any::<u64>()) {
            thread_local! {
                static POLICIES: Vec<Policy> = policies();
            }
            POLICIES.with(|ps| {
                let mut g = Gen(seed);
                for p in ps {
                    for _ in 0..8 {
                        let inc = g.incident(&p.ir);
                        check(&p.ir, super::super::compiled(&p.ir).unwrap(), &inc);
                    }
                }
            });
        }

        #[test]
        fn question_order_matches_the_paths(seed in any::<u64>()) {
            thread_local! {
                static POLICIES: Vec<Policy> = policies();
            }
            POLICIES.with(|ps| {
                let mut g = Gen(seed);
                for p in ps {
                    let ir = &p.ir;
                    let (nf, npf) = (ir.vocab.facts.len(), ir.vocab.person_facts.len());
                    let mut keys = path_slots(nf, npf);
                    for k in 0..12 {
                        keys.push(QKey::Person(PersonRef::Other(k), None));
                        keys.push(QKey::Person(PersonRef::Other(k), Some(g.next(npf as u64) as u16)));
                    }
                    for _ in 0..200 {
                        let a = keys[g.next(keys.len() as u64) as usize];
                        let b = keys[g.next(keys.len() as u64) as usize];
                        assert_eq!(super::super::compiled(ir).unwrap().cmp_keys(&a, &b, ir), a.cmp_path(&b, ir), "{a:?} {b:?}");
                    }
                }
            });
        }
    }

    /// The compiled form is not used for an IR whose rules changed after it was built.
    #[test]
    fn a_stale_compiled_form_is_noticed() {
        let p = &policies()[0];
        let mut ir = p.ir.clone();
        assert!(super::super::compiled(&ir).is_some());
        ir.rules.pop();
        assert!(super::super::compiled(&ir).is_none());
    }
}
