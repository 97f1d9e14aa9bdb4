//! The small, closed vocabulary shared by every stage: modalities, verdicts, token kinds,
//! rule kinds, comparison operators, dates. It sits below the syntax, the IR and evaluation,
//! so evaluation can use it without depending on the syntax; `syntax::ast` re-exports every
//! item, so public paths (`haven_core::Modality`, `haven_core::syntax::ast::Verdict`) stay.

/// A calendar date; the day is optional (`2022-03`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31, when given.
    pub day: Option<u8>,
}

impl Date {
    /// Parse `YYYY-MM` or `YYYY-MM-DD` (as in a policy header); `None` if malformed or out
    /// of range.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().split('-');
        let year: u16 = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: Option<u8> = match parts.next() {
            Some(d) => Some(d.parse().ok()?),
            None => None,
        };
        let valid = (1..=12).contains(&month)
            && day.is_none_or(|d| (1..=31).contains(&d))
            && parts.next().is_none();
        valid.then_some(Date { year, month, day })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)?;
        if let Some(day) = self.day {
            write!(f, "-{day:02}")?;
        }
        Ok(())
    }
}

/// The kinds of vocabulary token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    /// People's roles, with a hierarchy.
    Role,
    /// External agencies.
    Agency,
    /// Device kinds.
    Device,
    /// Device owners.
    Owner,
    /// Places.
    Location,
    /// Times of day.
    Time,
    /// Activities a permission request asks about.
    Activity,
    /// Incident categories.
    Category,
    /// Action verbs.
    Action,
    /// Deadlines, strictest first.
    Deadline,
}

impl TokenKind {
    /// Every kind, in declaration order.
    pub const ALL: [TokenKind; 10] = [
        TokenKind::Role,
        TokenKind::Agency,
        TokenKind::Device,
        TokenKind::Owner,
        TokenKind::Location,
        TokenKind::Time,
        TokenKind::Activity,
        TokenKind::Category,
        TokenKind::Action,
        TokenKind::Deadline,
    ];

    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            TokenKind::Role => "role",
            TokenKind::Agency => "agency",
            TokenKind::Device => "device",
            TokenKind::Owner => "owner",
            TokenKind::Location => "location",
            TokenKind::Time => "time",
            TokenKind::Activity => "activity",
            TokenKind::Category => "category",
            TokenKind::Action => "action",
            TokenKind::Deadline => "deadline",
        }
    }

    /// Index into per-kind tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What kind of rule: an ordinary one, a default, or a consequence of a breach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RuleKind {
    /// `rule`: applies wherever its condition holds.
    #[default]
    Plain,
    /// `default rule`: decides a permission only where no other rule does.
    Default,
    /// `on breach rule`: applies whenever the decision is a breach and its condition holds.
    OnBreach,
}

/// `must`, `must_not`, `should`, `should_not`, `may`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Required.
    Must,
    /// Forbidden.
    MustNot,
    /// Recommended.
    Should,
    /// Advised against.
    ShouldNot,
    /// Allowed, at discretion.
    May,
}

impl Modality {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Modality::Must => "must",
            Modality::MustNot => "must_not",
            Modality::Should => "should",
            Modality::ShouldNot => "should_not",
            Modality::May => "may",
        }
    }

    /// Whether this forbids or advises against.
    pub fn is_negative(self) -> bool {
        matches!(self, Modality::MustNot | Modality::ShouldNot)
    }
}

/// Whether any or all targets are meant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetMode {
    /// `a or b`: any one of them.
    Any,
    /// `a and b` (or a single target): all of them.
    All,
}

/// `allowed`, `allowed_if`, `not_allowed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Allowed.
    Allowed,
    /// Allowed when the conditions are met.
    AllowedIf,
    /// Not allowed.
    NotAllowed,
    /// No rule of the policy or its layers speaks to the request (a decision only; never
    /// written in a policy).
    NotAddressed,
}

impl Verdict {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::AllowedIf => "allowed_if",
            Verdict::NotAllowed => "not_allowed",
            Verdict::NotAddressed => "not_addressed",
        }
    }
}

/// Kinds of condition on `allowed_if`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PermConditionKind {
    /// Approval by a role.
    Approval,
    /// A consent fact.
    Consent,
    /// Only in a place.
    Place,
    /// Only at a time.
    Time,
}

impl PermConditionKind {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            PermConditionKind::Approval => "approval",
            PermConditionKind::Consent => "consent",
            PermConditionKind::Place => "place",
            PermConditionKind::Time => "time",
        }
    }
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}
