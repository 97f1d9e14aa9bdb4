//! The abstract syntax tree: what a `.haven` file says, with spans, before names are
//! resolved. No pest type appears here.

use crate::source::{Span, Spanned};
// The vocabulary of decisions lives below the syntax (evaluation reads it without the
// syntax); re-exported here so its public paths stay the same.
pub use crate::model::{
    CmpOp, Date, Modality, PermConditionKind, RuleKind, TargetMode, TokenKind, Verdict,
};

/// A name as written.
pub type Name = Spanned<String>;
/// A string literal's unescaped text.
pub type Text = Spanned<String>;

/// One parsed file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// The `policy` or `module` header.
    pub header: Header,
    /// Everything after the header, in source order.
    pub items: Vec<Item>,
    /// Comments with their spans, in source order (kept for the formatter).
    pub comments: Vec<Spanned<String>>,
}

/// Whether a file is a policy or a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderKind {
    /// A complete, evaluable policy.
    Policy,
    /// A module other files `use`.
    Module,
}

/// `policy id "Title" { ... }`
#[derive(Clone, Debug)]
pub struct Header {
    /// Policy or module.
    pub kind: HeaderKind,
    /// The id.
    pub id: Name,
    /// The title.
    pub title: Option<Text>,
    /// Metadata lines.
    pub meta: Vec<Meta>,
    /// The whole header.
    pub span: Span,
}

/// Date-valued metadata keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateKey {
    /// `adopted`
    Adopted,
    /// `review_by`
    ReviewBy,
}

/// Text-valued metadata keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKey {
    /// `version`
    Version,
    /// `approved_by`
    ApprovedBy,
    /// `source`
    Source,
    /// `cite_as`
    CiteAs,
    /// `layer`: `national`, `local`, `trust` or `school` (the default).
    Layer,
}

/// One metadata line.
#[derive(Clone, Debug, PartialEq)]
pub enum Meta {
    /// `extends baseline`
    Extends(Name),
    /// `use std/vocabulary`
    Use(Name),
    /// `adopted 2022-03`
    Date(DateKey, Spanned<Date>),
    /// `version "003"`
    Text(TextKey, Text),
}

/// Anything after the header.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A vocabulary declaration.
    Decl(Decl),
    /// A named person.
    Person(Person),
    /// A criteria list.
    Criteria(Criteria),
    /// A rule.
    Rule(Rule),
    /// A decision table.
    Table(Table),
    /// A known problem in the source document.
    Caveat(Caveat),
    /// A source sentence the policy deliberately does not encode.
    Declines(Declines),
    /// `relation a implies b`: one yes/no fact settles another.
    Relation(FactRelation),
}

impl Item {
    /// The whole item's span.
    pub fn span(&self) -> Span {
        match self {
            Item::Decl(d) => d.span,
            Item::Person(p) => p.span,
            Item::Criteria(c) => c.span,
            Item::Rule(r) => r.span,
            Item::Table(t) => t.span,
            Item::Caveat(c) => c.span,
            Item::Declines(d) => d.span,
            Item::Relation(r) => r.span,
        }
    }
}

/// A fact's type.
#[derive(Clone, Debug, PartialEq)]
pub enum FactType {
    /// Yes or no.
    Bool,
    /// A whole number within bounds.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A role token, or `none`.
    Role,
    /// One of a closed set of names.
    Enum(Vec<Name>),
}

/// A vocabulary declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum DeclKind {
    /// `role teacher is staff "Teacher"`
    Token {
        /// Which vocabulary.
        kind: TokenKind,
        /// The token.
        name: Name,
        /// `is a, b` parents (roles only).
        parents: Vec<Name>,
        /// Human label.
        label: Option<Text>,
        /// `needs target` (actions only): every use must name a target.
        needs_target: bool,
    },
    /// `fact x: bool ask "..."` or `person_fact x: int 0..120 ask "..."`.
    Fact {
        /// Whether this is a fact about each person.
        person: bool,
        /// The fact's name.
        name: Name,
        /// Its type.
        ty: Spanned<FactType>,
        /// The question to ask when it is unknown.
        ask: Option<Text>,
    },
}

/// A vocabulary declaration with its span.
#[derive(Clone, Debug)]
pub struct Decl {
    /// What it declares.
    pub kind: DeclKind,
    /// The whole declaration.
    pub span: Span,
}

/// `cites "§2": "sentence"`
#[derive(Clone, Debug)]
pub struct Cite {
    /// The section.
    pub section: Text,
    /// The sentence quoted, when given.
    pub quote: Option<Text>,
    /// The whole citation.
    pub span: Span,
}

/// `person "Fiona Ajose" holds online_safety_coordinator, dsl`
#[derive(Clone, Debug)]
pub struct Person {
    /// Full name.
    pub name: Text,
    /// Roles held.
    pub roles: Vec<Name>,
    /// Where the document names them.
    pub cites: Option<Cite>,
    /// The whole item.
    pub span: Span,
}

/// `any` or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// At least one.
    Any,
    /// Every one.
    All,
}

/// `criteria ukcis_referral "..." any { c1: ... }`
#[derive(Clone, Debug)]
pub struct Criteria {
    /// The list's name.
    pub name: Name,
    /// Title.
    pub title: Option<Text>,
    /// Whether any or all items must hold.
    pub quantifier: Spanned<Quantifier>,
    /// Where the list comes from.
    pub cites: Option<Cite>,
    /// The items.
    pub items: Vec<Criterion>,
    /// The whole item.
    pub span: Span,
}

/// One item of a criteria list.
#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    /// Its key (`c1`).
    pub name: Name,
    /// Its condition.
    pub expr: Expr,
    /// The sentence it encodes.
    pub cites: Option<Cite>,
}

/// How one rule relates to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationKind {
    /// An exception: while this rule holds, the other rule's outcomes are replaced.
    Overrides,
    /// A school rule standing in for a baseline rule.
    Replaces,
}

/// `overrides other`
#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    /// Which relation.
    pub kind: RelationKind,
    /// The other rule.
    pub target: Name,
}

/// A rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Whether an extending policy may not weaken it.
    pub statutory: bool,
    /// Plain, default, or on breach.
    pub kind: RuleKind,
    /// `because "…"`: why its modality departs from the cited sentence's verb.
    pub because: Option<Text>,
    /// Its id.
    pub name: Name,
    /// `overrides` / `replaces` relations.
    pub relations: Vec<Relation>,
    /// Citations.
    pub cites: Vec<Cite>,
    /// The condition.
    pub when: Expr,
    /// What follows.
    pub outcomes: Vec<Outcome>,
    /// The whole rule.
    pub span: Span,
}

/// `must refer police or childrens_social_care due immediately by dsl`
#[derive(Clone, Debug)]
pub struct ActionSpec {
    /// Modality.
    pub modality: Spanned<Modality>,
    /// The action token.
    pub action: Name,
    /// Who or what it is directed at.
    pub targets: Vec<Name>,
    /// `or` or `and` between targets.
    pub target_mode: TargetMode,
    /// The deadline.
    pub deadline: Option<Name>,
    /// The role that carries it out.
    pub by: Option<Name>,
    /// The whole action.
    pub span: Span,
}

/// `approval slt`
#[derive(Clone, Debug, PartialEq)]
pub struct PermCondition {
    /// Which kind.
    pub kind: PermConditionKind,
    /// Role, fact, location or time.
    pub value: Name,
}

/// `permission allowed_if [approval slt]`
#[derive(Clone, Debug)]
pub struct PermissionSpec {
    /// The verdict.
    pub verdict: Spanned<Verdict>,
    /// Conditions of an `allowed_if`.
    pub conditions: Vec<PermCondition>,
    /// The whole clause.
    pub span: Span,
}

/// What follows when a rule or ticked cell applies.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// An action with a modality.
    Action(ActionSpec),
    /// A permission verdict.
    Permission(PermissionSpec),
    /// The incident breaches the policy.
    Breach(Span),
    /// Advice carried into the decision.
    Note(Text),
}

impl Outcome {
    /// Its span.
    pub fn span(&self) -> Span {
        match self {
            Outcome::Action(a) => a.span,
            Outcome::Permission(p) => p.span,
            Outcome::Breach(s) => *s,
            Outcome::Note(n) => n.span,
        }
    }
}

/// Hit policies of decision tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HitPolicy {
    /// Every matching row applies.
    Collect,
    /// The first matching row applies.
    First,
    /// At most one row may match.
    Unique,
    /// The matching row with the highest priority applies.
    Priority,
}

impl HitPolicy {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            HitPolicy::Collect => "collect",
            HitPolicy::First => "first",
            HitPolicy::Unique => "unique",
            HitPolicy::Priority => "priority",
        }
    }
}

/// A decision table.
#[derive(Clone, Debug)]
pub struct Table {
    /// Its id.
    pub name: Name,
    /// Title as in the document.
    pub title: Option<Text>,
    /// Citations.
    pub cites: Vec<Cite>,
    /// Hit policy.
    pub hit: Spanned<HitPolicy>,
    /// When the table applies at all.
    pub when: Option<Expr>,
    /// Columns, left to right.
    pub columns: Vec<Column>,
    /// Rows, top to bottom.
    pub rows: Vec<Row>,
    /// The whole table.
    pub span: Span,
}

/// `ht: must refer headteacher`
#[derive(Clone, Debug)]
pub struct Column {
    /// Column key.
    pub key: Name,
    /// What a tick in this column means.
    pub outcomes: Vec<Outcome>,
    /// The whole column.
    pub span: Span,
}

/// `row "label" when ... | X | - |`
#[derive(Clone, Debug)]
pub struct Row {
    /// The row's label as in the document.
    pub label: Text,
    /// When the row matches.
    pub when: Expr,
    /// Priority, for `hit priority`.
    pub priority: Option<Spanned<i64>>,
    /// Cells: the glyph, or `None` for an empty cell.
    pub cells: Vec<Spanned<Option<String>>>,
    /// The sentence it encodes.
    pub cites: Option<Cite>,
    /// The whole row.
    pub span: Span,
}

/// `caveat "text" cites ...`
#[derive(Clone, Debug)]
pub struct Caveat {
    /// What is wrong with the source document.
    pub text: Text,
    /// Where.
    pub cites: Vec<Cite>,
    /// The whole item.
    pub span: Span,
}

/// `declines "§Heading": "sentence" because "reason"`
#[derive(Clone, Debug)]
pub struct Declines {
    /// The section the sentence is in.
    pub section: Text,
    /// The sentence (or a `…`-shortened part of it), as in the document.
    pub quote: Text,
    /// Why the policy does not encode it.
    pub reason: Text,
    /// The whole item.
    pub span: Span,
}

/// A yes/no fact, possibly negated, in a fact relation.
#[derive(Clone, Debug)]
pub struct FactLiteral {
    /// `not fact`.
    pub negated: bool,
    /// The fact.
    pub fact: Name,
}

/// `relation a implies b cites "…"`
#[derive(Clone, Debug)]
pub struct FactRelation {
    /// When this holds…
    pub antecedent: FactLiteral,
    /// …this holds too.
    pub consequent: FactLiteral,
    /// Where the relation comes from.
    pub cites: Option<Cite>,
    /// The whole item.
    pub span: Span,
}

/// A condition.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// Any of these.
    Or(Vec<Expr>),
    /// All of these.
    And(Vec<Expr>),
    /// Not this.
    Not(Box<Expr>),
    /// `true` / `false`.
    Bool(bool),
    /// `todo "..."`: a condition the author has still to write (`haven draft`).
    Todo(Text),
    /// `any(people: ...)`
    Quantified {
        /// Any or all.
        quantifier: Quantifier,
        /// `people` or `others`.
        list: Name,
        /// Condition on each person.
        body: Box<Expr>,
    },
    /// `path`, `path is x`, `path in [..]`, `path < 3`.
    Test {
        /// The dotted path.
        path: Spanned<Vec<String>>,
        /// The test, if any (a bare path tests a yes/no fact or a criteria list).
        op: Option<TestOp>,
    },
}

/// A condition with its span.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// The test applied to a path.
#[derive(Clone, Debug, PartialEq)]
pub enum TestOp {
    /// `is x`
    Is(Spanned<Value>),
    /// `is not x`
    IsNot(Spanned<Value>),
    /// `in [a, b]`
    In(Vec<Spanned<Value>>),
    /// `< 13`
    Cmp(CmpOp, Spanned<Value>),
}

/// A literal in a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A whole number.
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// `any`: the field is present.
    Any,
    /// A token name.
    Name(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Any => f.write_str("any"),
            Value::Name(n) => f.write_str(n),
        }
    }
}

/// AST equality ignores spans, so trees can be compared across reformatting.
macro_rules! eq_ignoring_span {
    ($($ty:ident { $($field:ident),* })*) => {$(
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                true $(&& self.$field == other.$field)*
            }
        }
    )*};
}

eq_ignoring_span! {
    Header { kind, id, title, meta }
    Decl { kind }
    Cite { section, quote }
    Person { name, roles, cites }
    Criteria { name, title, quantifier, cites, items }
    Rule { statutory, kind, because, name, relations, cites, when, outcomes }
    FactLiteral { negated, fact }
    FactRelation { antecedent, consequent, cites }
    ActionSpec { modality, action, targets, target_mode, deadline, by }
    PermissionSpec { verdict, conditions }
    Table { name, title, cites, hit, when, columns, rows }
    Column { key, outcomes }
    Row { label, when, priority, cells, cites }
    Caveat { text, cites }
    Declines { section, quote, reason }
    Expr { kind }
}

impl PartialEq for Outcome {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Outcome::Action(a), Outcome::Action(b)) => a == b,
            (Outcome::Permission(a), Outcome::Permission(b)) => a == b,
            (Outcome::Breach(_), Outcome::Breach(_)) => true,
            (Outcome::Note(a), Outcome::Note(b)) => a == b,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn dates_parse_with_optional_day_and_reject_nonsense() {
        assert_eq!(
            Date::parse("2025-03-01"),
            Some(Date {
                year: 2025,
                month: 3,
                day: Some(1)
            })
        );
        assert_eq!(Date::parse("2025-03").map(|d| d.day), Some(None));
        for bad in [
            "",
            "2025",
            "2025-13",
            "2025-03-32",
            "2025-03-01-01",
            "x-1-1",
            "2025-3-x",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }
}
