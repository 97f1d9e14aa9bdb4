//! The checked, resolved policy that evaluation runs: every name is an index, every
//! table row is a rule with its precedence made explicit, every citation pre-rendered.

use crate::model::{CmpOp, Date, Modality, PermConditionKind, TargetMode, TokenKind, Verdict};
use crate::source::Span;
use std::collections::HashMap;

/// A token's index within its vocabulary kind.
pub(crate) type Sym = u32;

/// A declared token.
#[derive(Clone, Debug)]
pub(crate) struct TokenInfo {
    pub(crate) name: String,
    /// Human label, for rendering.
    #[allow(dead_code, reason = "read by the renderer")]
    pub(crate) label: Option<String>,
    pub(crate) parents: Vec<Sym>,
    pub(crate) span: Span,
    /// Declared by the shared vocabulary (a contract token), not by a policy.
    pub(crate) contract: bool,
    /// `action … needs target`: every use names a target.
    pub(crate) needs_target: bool,
}

/// A fact's resolved type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FactTy {
    Bool,
    Int { min: i64, max: i64 },
    Role,
    Enum(Vec<String>),
}

impl FactTy {
    pub(crate) fn describe(&self) -> String {
        match self {
            FactTy::Bool => "true, false or null".to_owned(),
            FactTy::Int { min, max } => format!("a whole number from {min} to {max}, or null"),
            FactTy::Role => "a role name, `none`, or null".to_owned(),
            FactTy::Enum(values) => format!("one of {}, or null", quote_list(values)),
        }
    }
}

pub(crate) fn quote_list(values: &[String]) -> String {
    let shown: Vec<String> = values.iter().take(12).map(|v| format!("`{v}`")).collect();
    let more = values.len().saturating_sub(12);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A declared fact.
#[derive(Clone, Debug)]
pub(crate) struct FactInfo {
    pub(crate) name: String,
    pub(crate) ty: FactTy,
    pub(crate) ask: Option<String>,
    pub(crate) span: Span,
    /// Declared by the shared vocabulary (a contract fact), not by a policy.
    pub(crate) contract: bool,
}

/// `relation a implies b`, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FactRelationIr {
    /// The fact and the value that makes the antecedent true.
    pub(crate) antecedent: (u16, bool),
    /// The fact and the value that makes the consequent true.
    pub(crate) consequent: (u16, bool),
    /// `relation x implies y` as written, for messages.
    pub(crate) text: String,
}

/// All declared names.
#[derive(Clone, Debug, Default)]
pub(crate) struct Vocab {
    pub(crate) tokens: [Vec<TokenInfo>; 10],
    pub(crate) index: [HashMap<String, Sym>; 10],
    /// `role_is_a[a * n + b]`: role `a` is (or descends from) role `b`.
    pub(crate) role_is_a: Vec<bool>,
    /// `category_below[c]`: category `c` and every category declared under it.
    pub(crate) category_below: Vec<Vec<Sym>>,
    /// Fact relations: `(antecedent, consequent)`, each a yes/no fact and the value that
    /// makes the literal true.
    pub(crate) relations: Vec<FactRelationIr>,
    pub(crate) facts: Vec<FactInfo>,
    pub(crate) fact_index: HashMap<String, usize>,
    pub(crate) person_facts: Vec<FactInfo>,
    pub(crate) person_fact_index: HashMap<String, usize>,
}

impl Vocab {
    pub(crate) fn lookup(&self, kind: TokenKind, name: &str) -> Option<Sym> {
        self.index.get(kind.index())?.get(name).copied()
    }

    pub(crate) fn name(&self, kind: TokenKind, sym: Sym) -> &str {
        self.tokens
            .get(kind.index())
            .and_then(|t| t.get(sym as usize))
            .map_or("?", |t| t.name.as_str())
    }

    pub(crate) fn names(&self, kind: TokenKind) -> Vec<String> {
        self.tokens
            .get(kind.index())
            .map(|t| t.iter().map(|i| i.name.clone()).collect())
            .unwrap_or_default()
    }

    pub(crate) fn count(&self, kind: TokenKind) -> usize {
        self.tokens.get(kind.index()).map_or(0, Vec::len)
    }

    /// The categories `category is c` covers: `c` and its descendants.
    pub(crate) fn categories_under(&self, c: Sym) -> &[Sym] {
        self.category_below
            .get(c as usize)
            .map_or(&[], Vec::as_slice)
    }

    pub(crate) fn is_a(&self, role: Sym, ancestor: Sym) -> bool {
        let n = self.count(TokenKind::Role);
        self.role_is_a
            .get(role as usize * n + ancestor as usize)
            .copied()
            .unwrap_or(false)
    }
}

/// Three-valued truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Tri {
    False,
    Unknown,
    True,
}

impl Tri {
    pub(crate) fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
            Tri::True => Tri::False,
        }
    }

    pub(crate) fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    /// A quantifier over a list of people in Kleene logic (`all`: every one, else some one):
    /// `values` are the body's truth for each known person, read only until the result is
    /// settled; `others_unknown` (the list itself not given) keeps an unsettled result unknown.
    pub(crate) fn quantify(
        all: bool,
        others_unknown: bool,
        values: impl IntoIterator<Item = Tri>,
    ) -> Tri {
        let (settled, mut acc) = if all {
            (Tri::False, Tri::True)
        } else {
            (Tri::True, Tri::False)
        };
        if others_unknown {
            acc = Tri::Unknown;
        }
        for v in values {
            acc = if all {
                acc.and(v)
            } else {
                acc.not().and(v.not()).not()
            };
            if acc == settled {
                return settled;
            }
        }
        acc
    }

    pub(crate) fn from_bool(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
}

/// Which person a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Who {
    Actor,
    Subject,
    Reporter,
    /// The person a quantifier is looking at.
    Each,
}

/// Which people a quantifier ranges over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PeopleList {
    /// `others`
    Others,
    /// `people`: actor, subject and others.
    People,
}

/// A field of the incident record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Category,
    Activity,
    Location,
    Time,
    DeviceKind,
    DeviceOwner,
    Role(Who),
    PersonFact(Who, u16),
    Fact(u16),
}

impl Field {
    /// The vocabulary of one of the record's own token fields (`category`, `device.kind`, …);
    /// `None` for people's roles and for facts, whose kind depends on the person or the fact.
    pub(crate) fn record_token_kind(self) -> Option<TokenKind> {
        match self {
            Field::Category => Some(TokenKind::Category),
            Field::Activity => Some(TokenKind::Activity),
            Field::Location => Some(TokenKind::Location),
            Field::Time => Some(TokenKind::Time),
            Field::DeviceKind => Some(TokenKind::Device),
            Field::DeviceOwner => Some(TokenKind::Owner),
            Field::Role(_) | Field::PersonFact(..) | Field::Fact(_) => None,
        }
    }
}

/// A test on one field.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Test {
    /// A yes/no field is true.
    Truthy,
    /// The field has a value (`is any`).
    Present,
    /// A token field equals this token.
    Sym(Sym),
    /// A token field is one of these.
    Syms(Box<[Sym]>),
    /// A role field is this role or a descendant.
    RoleIs(Sym),
    /// A role field is one of these roles or a descendant.
    RoleIn(Box<[Sym]>),
    /// A role fact is `none`.
    RoleNone,
    /// A number compared with a constant.
    Cmp(CmpOp, i64),
    /// A yes/no field equals this.
    Bool(bool),
}

/// A resolved condition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cond {
    Const(Tri),
    And(Box<[Cond]>),
    Or(Box<[Cond]>),
    Not(Box<Cond>),
    Test(Field, Test),
    Quant {
        all: bool,
        list: PeopleList,
        body: Box<Cond>,
    },
}

/// Who or what an action is directed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Target {
    pub(crate) kind: TokenKind,
    pub(crate) sym: Sym,
}

/// A resolved action.
#[derive(Clone, Debug)]
pub(crate) struct ActionIr {
    pub(crate) modality: Modality,
    pub(crate) action: Sym,
    pub(crate) targets: Vec<Target>,
    pub(crate) target_mode: TargetMode,
    pub(crate) deadline: Option<Sym>,
    pub(crate) by: Option<Sym>,
    /// Names of the people holding the target roles, joined.
    pub(crate) person: Option<String>,
    /// Identifies the set of people behind `person` (for merging notifications).
    pub(crate) person_key: Option<u32>,
    /// Human text: `must refer police or childrens_social_care due immediately`.
    pub(crate) text: String,
}

/// A resolved permission verdict.
#[derive(Clone, Debug)]
pub(crate) struct PermissionIr {
    pub(crate) verdict: Verdict,
    pub(crate) conditions: Vec<(PermConditionKind, String)>,
}

/// What follows when a rule applies.
#[derive(Clone, Debug, Default)]
pub(crate) struct Effects {
    pub(crate) actions: Vec<ActionIr>,
    pub(crate) permission: Option<PermissionIr>,
    pub(crate) breach: bool,
    pub(crate) notes: Vec<String>,
}

/// Where a rule came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layer {
    School,
    Baseline,
}

impl Layer {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Layer::School => "school",
            Layer::Baseline => "baseline",
        }
    }
}

/// A rule or a table row, ready to evaluate.
#[derive(Clone, Debug)]
pub(crate) struct RuleIr {
    /// `rule_id`, or `table_id/3` for the third row of a table.
    pub(crate) id: String,
    pub(crate) cond: Cond,
    pub(crate) effects: Effects,
    /// Rules that override this one (exceptions): while any holds, this one does not.
    pub(crate) exceptions: Vec<usize>,
    /// Rules this one is an exception to: it applies only within their scope.
    pub(crate) overrides: Vec<usize>,
    /// Earlier rows of a first-hit or priority table: this row applies only if none did.
    pub(crate) preceded_by: std::ops::Range<usize>,
    /// Unique-hit table this row belongs to, if any.
    pub(crate) unique_table: Option<usize>,
    pub(crate) layer: Layer,
    /// Which layer set it: 0 is the root policy, 1 what it extends, and so on.
    pub(crate) depth: u16,
    /// Plain, default or on breach.
    pub(crate) kind: crate::syntax::ast::RuleKind,
    pub(crate) cites: Vec<String>,
    pub(crate) span: Span,
}

/// A named person.
#[derive(Clone, Debug)]
pub(crate) struct PersonIr {
    pub(crate) name: String,
    pub(crate) roles: Vec<Sym>,
}

/// A table's metadata, for coverage and rendering.
#[derive(Clone, Debug)]
pub(crate) struct TableIr {
    pub(crate) id: String,
    pub(crate) rows: std::ops::Range<usize>,
}

/// Policy metadata.
#[derive(Clone, Debug, Default)]
pub(crate) struct Meta {
    pub(crate) id: String,
    pub(crate) title: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) adopted: Option<Date>,
    pub(crate) review_by: Option<Date>,
    pub(crate) approved_by: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) extends: Vec<String>,
    /// `layer "national"` etc., as declared.
    pub(crate) layer_kind: Option<String>,
}

/// A criteria list, or one of its criteria, as resolved: kept so explanations can name the
/// criterion behind a part of an inlined condition.
#[derive(Clone, Debug)]
pub(crate) struct CriterionIr {
    /// The list's name.
    pub(crate) list: String,
    /// The criterion's label (`c1`), or `None` for the whole list.
    pub(crate) item: Option<String>,
    pub(crate) cond: Cond,
}

/// A compiled policy.
#[derive(Clone, Debug)]
pub(crate) struct PolicyIr {
    pub(crate) meta: Meta,
    pub(crate) vocab: Vocab,
    /// Named people and their roles. Lowering reads them (each action names its targets'
    /// holders); nothing reads them from the compiled policy yet.
    #[allow(
        dead_code,
        reason = "kept in the IR; lowering reads them from the resolve pass"
    )]
    pub(crate) people: Vec<PersonIr>,
    pub(crate) rules: Vec<RuleIr>,
    pub(crate) tables: Vec<TableIr>,
    /// The id of each layer, root first (`layers[rule.depth]` set the rule).
    pub(crate) layers: Vec<String>,
    /// Which rules can apply to which kind of incident; built by [`PolicyIr::build_index`].
    pub(crate) index: RuleIndex,
    /// Every criteria list and criterion, for explanations (evaluation never reads it).
    pub(crate) criteria: Vec<CriterionIr>,
}

/// The rules that can apply to an incident of a given category (or, for a permission
/// request without one, a given activity). Every other rule's condition is `false` whatever
/// the rest of the record says, so evaluation skips it: the decision is the same, and the
/// cost of an evaluation follows the rules that concern the incident, not the policy's size.
#[derive(Clone, Debug, Default)]
pub(crate) struct RuleIndex {
    /// `by_category[c]`: the rules that may hold when `category` is token `c`, ascending.
    by_category: Vec<Box<[u32]>>,
    /// `incident[c]`: the same when, as in most incident records, there is no `activity`
    /// (every permission rule asking about an activity drops out).
    incident: Vec<Box<[u32]>>,
    /// `by_activity[a]`: the rules that may hold when there is no category and `activity`
    /// is token `a`, ascending.
    by_activity: Vec<Box<[u32]>>,
    /// What evaluation derives from the rules and these lists, built on first use.
    pub(crate) derived: Derived,
}

/// What evaluation compiles from the IR once and keeps with it (the compiled conditions of
/// `eval/flat.rs`), built by the first evaluation. It is held as `Any` because evaluation
/// depends on the IR and never the reverse (`tests/layering.rs`); [`PolicyIr::build_index`]
/// empties it, so it never outlives the rules it was built from.
#[derive(Clone, Default)]
pub(crate) struct Derived(std::sync::OnceLock<std::sync::Arc<dyn std::any::Any + Send + Sync>>);

impl Derived {
    /// The value, built by `build` on first use; `None` if it was built as another type.
    pub(crate) fn get_or_init<T: std::any::Any + Send + Sync>(
        &self,
        build: impl FnOnce() -> T,
    ) -> Option<&T> {
        self.0
            .get_or_init(|| std::sync::Arc::new(build()))
            .downcast_ref::<T>()
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Derived(built)"
        } else {
            "Derived(empty)"
        })
    }
}

impl RuleIndex {
    /// The candidate rules for an incident with these `category` and `activity` values, or
    /// `None` when every rule must be evaluated. (Evaluation reads the same lists from its
    /// compiled conditions, each rule with its condition; the tests compare.)
    #[cfg(test)]
    pub(crate) fn candidates(&self, category: Val, activity: Val) -> Option<&[u32]> {
        match (category, activity) {
            (Val::Sym(c), Val::Absent) => self.incident.get(c as usize).map(|l| &**l),
            (Val::Sym(c), _) => self.by_category.get(c as usize).map(|l| &**l),
            (Val::Absent, Val::Sym(a)) => self.by_activity.get(a as usize).map(|l| &**l),
            _ => None,
        }
    }

    /// The candidate lists: by category, by category without an activity, by activity.
    pub(crate) fn lists(&self) -> [&[Box<[u32]>]; 3] {
        [&self.by_category, &self.incident, &self.by_activity]
    }
}

/// A set of possible truth values, as bits: `F`, `U`, `T`.
type TriSet = u8;
const F: TriSet = 1;
const U: TriSet = 2;
const T: TriSet = 4;
const ANY: TriSet = F | U | T;

fn tri_bit(t: Tri) -> TriSet {
    match t {
        Tri::False => F,
        Tri::Unknown => U,
        Tri::True => T,
    }
}

fn tri_members(s: TriSet) -> impl Iterator<Item = Tri> {
    [Tri::False, Tri::Unknown, Tri::True]
        .into_iter()
        .filter(move |t| s & tri_bit(*t) != 0)
}

/// `{ op(x, y) | x in a, y in b }`.
fn combine(a: TriSet, b: TriSet, op: fn(Tri, Tri) -> Tri) -> TriSet {
    let mut out = 0;
    for x in tri_members(a) {
        for y in tri_members(b) {
            out |= tri_bit(op(x, y));
        }
    }
    out
}

fn tri_or(a: Tri, b: Tri) -> Tri {
    a.not().and(b.not()).not()
}

/// What a token test gives on a known token value (mirrors `eval`'s test), or `None` for a
/// test this analysis does not read.
fn token_test(val: Val, test: &Test) -> Option<Tri> {
    match (val, test) {
        (Val::Unknown, _) => Some(Tri::Unknown),
        (Val::Absent, _) => Some(Tri::False),
        (Val::Sym(_), Test::Present) => Some(Tri::True),
        (Val::Sym(v), Test::Sym(s)) => Some(Tri::from_bool(v == *s)),
        (Val::Sym(v), Test::Syms(ss)) => Some(Tri::from_bool(ss.contains(&v))),
        _ => None,
    }
}

/// The truth values `cond` can take when the category and activity are as given (`None`:
/// anything); every other field may be anything. Sound: the true value is always in the set.
fn range(cond: &Cond, category: Option<Val>, activity: Option<Val>) -> TriSet {
    match cond {
        Cond::Const(t) => tri_bit(*t),
        Cond::Not(c) => {
            let r = range(c, category, activity);
            (r & U) | if r & F != 0 { T } else { 0 } | if r & T != 0 { F } else { 0 }
        }
        Cond::And(cs) => cs.iter().fold(T, |acc, c| {
            combine(acc, range(c, category, activity), Tri::and)
        }),
        Cond::Or(cs) => cs.iter().fold(F, |acc, c| {
            combine(acc, range(c, category, activity), tri_or)
        }),
        Cond::Test(Field::Category, test) => category
            .and_then(|v| token_test(v, test))
            .map_or(ANY, tri_bit),
        Cond::Test(Field::Activity, test) => activity
            .and_then(|v| token_test(v, test))
            .map_or(ANY, tri_bit),
        Cond::Test(..) | Cond::Quant { .. } => ANY,
    }
}

/// The tokens of `field` that `cond` tests for (outside quantifiers).
pub(crate) fn tested_syms(cond: &Cond, field: Field, out: &mut Vec<Sym>) {
    match cond {
        Cond::Not(c) => tested_syms(c, field, out),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| tested_syms(c, field, out)),
        Cond::Test(f, Test::Sym(s)) if *f == field => out.push(*s),
        Cond::Test(f, Test::Syms(ss)) if *f == field => out.extend(ss.iter().copied()),
        _ => {}
    }
}

/// For each token of `field` (`n` of them), the rules that may hold when the field has that
/// value. A rule's condition only tells apart the tokens it names, so it is analysed once
/// per named token and once for "any other token".
fn candidates_by(
    rules: &[RuleIr],
    n: usize,
    field: Field,
    at: impl Fn(&Cond, Val) -> TriSet,
) -> Vec<Box<[u32]>> {
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut named: Vec<Sym> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let Ok(i) = u32::try_from(i) else { break };
        named.clear();
        tested_syms(&rule.cond, field, &mut named);
        named.sort_unstable();
        named.dedup();
        // A token no test names: `Sym::MAX` is never declared.
        let other_possible = at(&rule.cond, Val::Sym(Sym::MAX)) != F;
        for (sym, list) in lists.iter_mut().enumerate() {
            let Ok(sym) = Sym::try_from(sym) else { break };
            let possible = if named.binary_search(&sym).is_ok() {
                at(&rule.cond, Val::Sym(sym)) != F
            } else {
                other_possible
            };
            if possible {
                list.push(i);
            }
        }
    }
    lists.into_iter().map(Vec::into_boxed_slice).collect()
}

impl PolicyIr {
    /// The kind of token a field holds: the token fields, roles, and role-typed facts;
    /// `None` for numbers, yes/no and `one_of` facts.
    pub(crate) fn token_kind(&self, f: Field) -> Option<TokenKind> {
        let fact_role =
            |ty: Option<&FactTy>| matches!(ty, Some(FactTy::Role)).then_some(TokenKind::Role);
        match f {
            Field::Role(_) => Some(TokenKind::Role),
            Field::Fact(i) => fact_role(self.vocab.facts.get(usize::from(i)).map(|f| &f.ty)),
            Field::PersonFact(_, i) => {
                fact_role(self.vocab.person_facts.get(usize::from(i)).map(|f| &f.ty))
            }
            _ => f.record_token_kind(),
        }
    }

    /// Build [`RuleIndex`]; call once the rules are final.
    pub(crate) fn build_index(&mut self) {
        let by_category = candidates_by(
            &self.rules,
            self.vocab.count(TokenKind::Category),
            Field::Category,
            |c, v| range(c, Some(v), None),
        );
        let incident = candidates_by(
            &self.rules,
            self.vocab.count(TokenKind::Category),
            Field::Category,
            |c, v| range(c, Some(v), Some(Val::Absent)),
        );
        let by_activity = candidates_by(
            &self.rules,
            self.vocab.count(TokenKind::Activity),
            Field::Activity,
            |c, v| range(c, Some(Val::Absent), Some(v)),
        );
        self.index = RuleIndex {
            by_category,
            incident,
            by_activity,
            derived: Derived::default(),
        };
    }
}

/// A field value as evaluation sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    /// Absent or null: unknown.
    Unknown,
    /// Known not to apply (e.g. `category` of a pure permission request).
    Absent,
    Bool(bool),
    Int(i64),
    Sym(Sym),
    /// A role fact answered `none`.
    RoleNone,
}
