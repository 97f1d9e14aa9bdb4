//! The decision (DESIGN §5): what must, should and may happen, who is told, by when, which
//! sentence says so, and which questions remain. Borrows the compiled policy, so building
//! one allocates little; serialises to the version-1 JSON contract.

use crate::ir::{ActionIr, Layer, PolicyIr, Sym, Target};
use crate::model::{Modality, PermConditionKind, TargetMode, TokenKind, Verdict};
use crate::question::QKey;
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// Whether questions remain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every action is decided.
    Complete,
    /// Some actions depend on facts not given; see [`Decision::questions`].
    Incomplete,
}

/// An action in a decision (merged from every rule that requires it).
#[derive(Clone, Debug)]
pub(crate) struct ActionOut<'p> {
    pub(crate) ir: &'p ActionIr,
    pub(crate) targets: Cow<'p, [Target]>,
    pub(crate) deadline: Option<Sym>,
    pub(crate) rules: RuleList,
    pub(crate) school: bool,
}

/// The rules behind a merged action: almost always one, kept without allocating.
#[derive(Clone, Debug)]
pub(crate) struct RuleList {
    first: usize,
    rest: Vec<usize>,
}

impl RuleList {
    pub(crate) fn new(first: usize) -> Self {
        RuleList {
            first,
            rest: Vec::new(),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + Clone + '_ {
        std::iter::once(self.first).chain(self.rest.iter().copied())
    }

    /// Add `rule` unless it is there already.
    pub(crate) fn add(&mut self, rule: usize) {
        if self.first != rule && !self.rest.contains(&rule) {
            self.rest.push(rule);
        }
    }
}

impl ActionOut<'_> {
    /// Whether adding `a` would change nothing: the same action, at least as strongly
    /// (`must` covers `should` and `may`; `must_not` covers `should_not`), with a deadline
    /// at least as strict, is already decided.
    pub(crate) fn covers(&self, a: &ActionIr) -> bool {
        let at_least = |mine: Modality, theirs: Modality| {
            use Modality::*;
            mine == theirs
                || matches!(
                    (mine, theirs),
                    (Must, Should | May) | (Should, May) | (MustNot, ShouldNot)
                )
        };
        at_least(self.ir.modality, a.modality)
            && self.ir.action == a.action
            && self.ir.by == a.by
            && self.ir.target_mode == a.target_mode
            && *self.targets == *a.targets
            && match (self.deadline, a.deadline) {
                (_, None) => true,
                (Some(mine), Some(theirs)) => mine <= theirs,
                (None, Some(_)) => false,
            }
    }

    pub(crate) fn same_as(&self, a: &ActionIr) -> bool {
        self.ir.modality == a.modality
            && self.ir.action == a.action
            && self.ir.by == a.by
            && self.ir.target_mode == a.target_mode
            && *self.targets == *a.targets
    }
}

/// The permission part of a decision.
#[derive(Clone, Debug)]
pub(crate) struct PermissionOut<'p> {
    /// `None` while an undecided rule could change it.
    pub(crate) verdict: Option<Verdict>,
    pub(crate) conditions: Vec<&'p (PermConditionKind, String)>,
    /// Every definite rule at the winning verdict (their `allowed_if` conditions combine).
    pub(crate) rules: Vec<usize>,
}

/// A fact whose answer could add or change actions.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Question {
    /// Path of the fact in the incident record, e.g. `facts.adult_involved`.
    pub fact: String,
    /// The policy author's question.
    pub ask: String,
    /// What a "yes" could add, e.g. `must refer police or childrens_social_care due immediately`.
    pub could_add: Vec<String>,
}

/// A question as evaluation leaves it: which field it asks about; its path and wording
/// are rendered only when read ([`Decision::questions`]) or serialised.
#[derive(Clone, Debug)]
pub(crate) struct QuestionOut {
    pub(crate) key: QKey,
    /// Order of creation: what the decision's `could_add` entries refer to.
    pub(crate) id: usize,
    /// (modality rank, deadline) of the most severe thing it could add.
    pub(crate) severity: (u8, u32),
}

/// The answer to one incident.
#[derive(Clone, Debug)]
pub struct Decision<'p> {
    pub(crate) ir: &'p PolicyIr,
    pub(crate) id: Option<Arc<serde_json::Value>>,
    pub(crate) breach: Option<bool>,
    pub(crate) permission: Option<PermissionOut<'p>>,
    pub(crate) actions: Vec<ActionOut<'p>>,
    /// Sorted, most severe first.
    pub(crate) questions: Vec<QuestionOut>,
    /// What each question could add, `(question id, text)`, in the order found.
    pub(crate) could_add: Vec<(usize, &'p str)>,
    /// [`Decision::questions`], rendered on first read.
    pub(crate) rendered: OnceLock<Vec<Question>>,
    pub(crate) notes: Vec<Cow<'p, str>>,
    pub(crate) fired: Vec<usize>,
    pub(crate) possible: Vec<usize>,
    /// Extra keys asked for (`explain`, `next_questions`); `None` unless requested, so
    /// evaluation never builds them.
    pub(crate) extra: Option<Box<serde_json::Map<String, serde_json::Value>>>,
    /// The due time of each action (in `actions` order), set by the `due` post-pass when the
    /// record carries `reported_at`; `None` otherwise (no `due` key is written).
    pub(crate) due: Option<Vec<Option<haven_calendar::LocalTime>>>,
}

/// A read-only view of one action.
#[derive(Clone, Copy, Debug)]
pub struct ActionView<'d, 'p> {
    out: &'d ActionOut<'p>,
    ir: &'p PolicyIr,
    /// `None`: not computed (no `reported_at`); `Some(None)`: the deadline names no time.
    due: Option<Option<haven_calendar::LocalTime>>,
}

impl<'d, 'p> ActionView<'d, 'p> {
    /// `must`, `must_not`, `should`, `should_not` or `may`.
    pub fn modality(&self) -> Modality {
        self.out.ir.modality
    }

    /// The action token, e.g. `refer`.
    pub fn action(&self) -> &'p str {
        self.ir.vocab.name(TokenKind::Action, self.out.ir.action)
    }

    /// Target names.
    pub fn targets(&self) -> Vec<&'p str> {
        self.out
            .targets
            .iter()
            .map(|t| self.ir.vocab.name(t.kind, t.sym))
            .collect()
    }

    /// Whether any one target (`any`) or all of them (`all`) is meant.
    pub fn target_mode(&self) -> TargetMode {
        self.out.ir.target_mode
    }

    /// The strictest deadline of the merged rules.
    pub fn deadline(&self) -> Option<&'p str> {
        self.out
            .deadline
            .map(|d| self.ir.vocab.name(TokenKind::Deadline, d))
    }

    /// When the deadline falls (RFC 3339, UK local time with its offset), when the record
    /// carries `reported_at` and the deadline names a time.
    pub fn due(&self) -> Option<String> {
        self.due
            .flatten()
            .map(haven_calendar::LocalTime::to_rfc3339)
    }

    /// The role that carries it out.
    pub fn by(&self) -> Option<&'p str> {
        self.out
            .ir
            .by
            .map(|r| self.ir.vocab.name(TokenKind::Role, r))
    }

    /// Named holder(s) of the target role.
    pub fn person(&self) -> Option<&'p str> {
        self.out.ir.person.as_deref()
    }

    /// Ids of the rules (or table rows) that require it.
    pub fn rules(&self) -> Vec<&'p str> {
        self.out
            .rules
            .iter()
            .filter_map(|r| self.ir.rules.get(r).map(|r| r.id.as_str()))
            .collect()
    }

    /// `school` or `baseline`.
    pub fn source(&self) -> &'static str {
        if self.out.school {
            Layer::School.as_str()
        } else {
            Layer::Baseline.as_str()
        }
    }

    /// The id of the layer that set it: the policy (or the policy it extends, at any depth)
    /// of the outermost rule requiring it.
    pub fn layer(&self) -> &'p str {
        let depth = self
            .out
            .rules
            .iter()
            .filter_map(|r| self.ir.rules.get(r).map(|r| r.depth))
            .min()
            .unwrap_or(0);
        self.ir
            .layers
            .get(usize::from(depth))
            .map_or("", String::as_str)
    }

    /// Every citation behind it.
    pub fn cites(&self) -> Vec<&'p str> {
        let mut out: Vec<&'p str> = Vec::new();
        for r in self.out.rules.iter() {
            if let Some(rule) = self.ir.rules.get(r) {
                for c in &rule.cites {
                    if !out.contains(&c.as_str()) {
                        out.push(c.as_str());
                    }
                }
            }
        }
        out
    }

    /// Whether this action matches a scenario expectation such as `refer police` or
    /// `notify dsl immediately`: the action token first, then targets (each must be one of
    /// the action's targets) and at most one deadline.
    pub fn matches(&self, expectation: &str) -> bool {
        let mut words = expectation.split_whitespace();
        if words.next() != Some(self.action()) {
            return false;
        }
        let targets = self.targets();
        words.all(|w| {
            if self.ir.vocab.lookup(TokenKind::Deadline, w).is_some() {
                self.deadline() == Some(w)
            } else if let Some(role) = w.strip_prefix("by:") {
                self.by() == Some(role)
            } else {
                targets.contains(&w)
            }
        })
    }
}

impl<'p> Decision<'p> {
    /// The incident record's own `id` (a string or number), when it gave one.
    pub fn incident_id(&self) -> Option<&serde_json::Value> {
        self.id.as_deref()
    }

    pub(crate) fn new(ir: &'p PolicyIr, id: Option<Arc<serde_json::Value>>) -> Self {
        Decision {
            ir,
            id,
            breach: None,
            permission: None,
            actions: Vec::new(),
            questions: Vec::new(),
            could_add: Vec::new(),
            rendered: OnceLock::new(),
            notes: Vec::new(),
            fired: Vec::new(),
            possible: Vec::new(),
            extra: None,
            due: None,
        }
    }

    /// The permission verdict, or `None` if no activity was asked about or it is open.
    pub fn verdict(&self) -> Option<Verdict> {
        self.permission.as_ref().and_then(|p| p.verdict)
    }

    /// Add a key to the decision JSON after the contract's own keys (`explain`,
    /// `next_questions`). The contract's keys are never replaced.
    pub fn insert_extra(&mut self, key: &str, value: serde_json::Value) {
        const CONTRACT: [&str; 8] = [
            "policy",
            "incident_id",
            "status",
            "breach",
            "permission",
            "actions",
            "questions",
            "notes",
        ];
        if CONTRACT.contains(&key) {
            return;
        }
        self.extra
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), value);
    }

    /// `complete` when no question remains.
    pub fn status(&self) -> Status {
        if self.questions.is_empty() {
            Status::Complete
        } else {
            Status::Incomplete
        }
    }

    /// Whether the incident or request breaches the policy (`None`: unknown or not applicable).
    pub fn breach(&self) -> Option<bool> {
        self.breach
    }

    /// The permission verdict as its keyword (`allowed`, `allowed_if`, `not_allowed`), or
    /// `None` if no activity was asked about or the verdict is still open.
    pub fn permission(&self) -> Option<&'static str> {
        self.permission
            .as_ref()
            .and_then(|p| p.verdict)
            .map(Verdict::keyword)
    }

    /// The decided actions, sorted: modality, deadline, target.
    pub fn actions(&self) -> impl Iterator<Item = ActionView<'_, 'p>> + '_ {
        let due = self.due.as_deref();
        self.actions
            .iter()
            .enumerate()
            .map(move |(i, out)| ActionView {
                out,
                ir: self.ir,
                due: due.map(|d| d.get(i).copied().flatten()),
            })
    }

    /// Questions whose answers could add or change actions, most severe first. Rendered
    /// (paths, wording) on the first call; evaluation builds no text.
    pub fn questions(&self) -> &[Question] {
        self.rendered.get_or_init(|| {
            self.questions
                .iter()
                .map(|q| Question {
                    fact: q.key.path(self.ir).to_string(),
                    ask: q.key.ask(self.ir).to_string(),
                    could_add: self.could_add_of(q).map(str::to_owned).collect(),
                })
                .collect()
        })
    }

    /// What answering `q` could add, in the order found.
    fn could_add_of<'a>(&'a self, q: &'a QuestionOut) -> impl Iterator<Item = &'p str> + 'a {
        self.could_add
            .iter()
            .filter(move |(id, _)| *id == q.id)
            .map(|&(_, text)| text)
    }

    /// Advisory notes.
    pub fn notes(&self) -> impl Iterator<Item = &str> {
        self.notes.iter().map(|n| n.as_ref())
    }

    /// Ids of the rules and table rows that definitely applied.
    pub fn fired_rules(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.fired
            .iter()
            .filter_map(|&i| self.ir.rules.get(i).map(|r| r.id.as_str()))
    }

    /// Ids of the rules and table rows that may apply, depending on the questions.
    pub fn possible_rules(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.possible
            .iter()
            .filter_map(|&i| self.ir.rules.get(i).map(|r| r.id.as_str()))
    }

    /// The JSON contract as a value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The JSON contract as text, written in one pass into a buffer sized for it.
    /// The policy's fixed texts are copied from `texts` when given ([`JsonTexts`]).
    pub(crate) fn to_json_string_with(&self, texts: Option<&JsonTexts>) -> String {
        // A generous size per action and question, so most decisions are written without
        // growing the buffer (full Basnett averages 10.7 KB per decision).
        let guess = 512 + 448 * self.actions.len() + 256 * self.questions.len();
        let mut out = Json {
            out: String::with_capacity(guess),
            texts,
        };
        out.decision(self);
        out.out
    }

    /// A short human-readable rendering.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let version = self.ir.meta.version.as_deref().unwrap_or("-");
        let _ = writeln!(out, "policy {} (version {version})", self.ir.meta.id);
        let _ = writeln!(
            out,
            "status: {}",
            match self.status() {
                Status::Complete => "complete",
                Status::Incomplete => "incomplete: questions outstanding",
            }
        );
        if !self.questions.is_empty() {
            let _ = writeln!(out, "\nquestions:");
            for q in self.questions() {
                let _ = writeln!(out, "  ? {} [{}]", q.ask, q.fact);
                for c in &q.could_add {
                    let _ = writeln!(out, "      could add: {c}");
                }
            }
        }
        if let Some(p) = &self.permission {
            let verdict = p.verdict.map_or("undecided", Verdict::keyword);
            let _ = writeln!(out, "\npermission: {verdict}");
            for (k, v) in p.conditions.iter().copied() {
                let _ = writeln!(out, "  if {} {v}", k.keyword());
            }
        }
        let _ = writeln!(
            out,
            "breach: {}",
            match self.breach {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            }
        );
        if !self.actions.is_empty() {
            let _ = writeln!(out, "\nactions:");
            for a in self.actions() {
                let mut line = format!("  {:<10} {}", a.modality().keyword(), a.action());
                let targets = a.targets();
                if !targets.is_empty() {
                    let sep = if a.target_mode() == TargetMode::Any {
                        " or "
                    } else {
                        " and "
                    };
                    line.push(' ');
                    line.push_str(&targets.join(sep));
                }
                if let Some(p) = a.person() {
                    let _ = write!(line, " ({p})");
                }
                if let Some(d) = a.deadline() {
                    let _ = write!(line, " — {}", d.replace('_', " "));
                }
                if let Some(b) = a.by() {
                    let _ = write!(line, " [by {b}]");
                }
                if let Some(due) = a.due() {
                    let _ = write!(line, " (due {due})");
                }
                let _ = writeln!(out, "{line}");
                for c in a.cites() {
                    let _ = writeln!(out, "      {c}");
                }
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nnotes:");
            for n in &self.notes {
                let _ = writeln!(out, "  - {n}");
            }
        }
        out
    }
}

/// The decision JSON written straight into a `String`: the same text `serde_json` writes
/// from the [`Serialize`] impl below (compact, keys in contract order), without its per-byte
/// escape loop. [`Json::escaped`] finds the bytes to escape 16 at a time and copies the runs
/// between (cited sentences hold quotes); rule ids and citations come from [`JsonTexts`],
/// escaped once per policy. `tests::writer_escapes_as_serde_json`, `tests/json_writer.rs` and
/// `tests/oracle.rs` hold the two writers to the same bytes.
struct Json<'t> {
    out: String,
    /// The policy's fixed texts, escaped once ([`JsonTexts`]); `None`: escape as written.
    texts: Option<&'t JsonTexts>,
}

/// The texts of a decision that are fixed per policy, escaped once and kept with the
/// policy (`Policy::evaluate_json_to_string` builds them on first use): each rule's id as
/// a JSON string, and each rule's citations (each once) as a JSON list, which is what an
/// action required by one rule cites. Written with a single copy each.
#[derive(Clone, Debug)]
pub(crate) struct JsonTexts {
    ids: Vec<String>,
    cites: Vec<String>,
    /// Each rule's citations, each as a JSON string, for actions several rules require.
    each_cite: Vec<Vec<String>>,
}

impl JsonTexts {
    pub(crate) fn new(ir: &PolicyIr) -> Self {
        let text = |f: &dyn Fn(&mut Json<'_>)| {
            let mut out = Json {
                out: String::new(),
                texts: None,
            };
            f(&mut out);
            out.out
        };
        JsonTexts {
            ids: ir.rules.iter().map(|r| text(&|j| j.str(&r.id))).collect(),
            cites: (0..ir.rules.len())
                .map(|r| text(&|j| j.cites(ir, std::iter::once(r))))
                .collect(),
            each_cite: ir
                .rules
                .iter()
                .map(|r| r.cites.iter().map(|c| text(&|j| j.str(c))).collect())
                .collect(),
        }
    }
}

/// The letter after the backslash that JSON writes for a byte [`bad`] flags, as
/// `serde_json` does: a short escape where there is one, else `u` (`\u00XX`).
fn escape_letter(b: u8) -> u8 {
    match b {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x09 => b't',
        0x0a => b'n',
        0x0c => b'f',
        0x0d => b'r',
        _ => b'u',
    }
}

/// Whether JSON escapes byte `b`: 1 if so, else 0.
fn bad(b: u8) -> u8 {
    u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
}

/// Whether a 16-byte block holds a byte JSON escapes. Branch-free, so it compiles to
/// vector compares.
fn has_escape(block: &[u8; 16]) -> bool {
    block.iter().fold(0u8, |acc, &b| acc | bad(b)) != 0
}

/// Where the first byte of `s` that must be escaped is, searched 16 bytes at a time (the
/// last, short block padded with spaces), so cited sentences, which hold quotes, are
/// copied in long runs.
fn first_escape(s: &[u8]) -> Option<usize> {
    let (blocks, rest) = s.as_chunks::<16>();
    let mut last = [b' '; 16];
    last.get_mut(..rest.len())?.copy_from_slice(rest);
    let end = blocks.len() * 16;
    let block = blocks
        .iter()
        .enumerate()
        .map(|(n, b)| (n * 16, b))
        .chain(std::iter::once((end, &last)))
        .find(|(_, b)| has_escape(b))?;
    let (at, block) = block;
    block.iter().position(|&b| bad(b) != 0).map(|i| at + i)
}

impl Json<'_> {
    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// The contents of a JSON string (no quotes).
    fn escaped(&mut self, s: &str) {
        let mut rest = s;
        while let Some(i) = first_escape(rest.as_bytes()) {
            // Escaped bytes are ASCII, so `i` and `i + 1` fall on character boundaries.
            let (Some(run), Some(&b), Some(after)) =
                (rest.get(..i), rest.as_bytes().get(i), rest.get(i + 1..))
            else {
                break;
            };
            self.out.push_str(run);
            self.out.push('\\');
            match escape_letter(b) {
                b'u' => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    let hex =
                        |n: u8| char::from(HEX.get(usize::from(n & 0xf)).copied().unwrap_or(b'0'));
                    self.out.push_str("u00");
                    self.out.push(hex(b >> 4));
                    self.out.push(hex(b));
                }
                e => self.out.push(char::from(e)),
            }
            rest = after;
        }
        self.out.push_str(rest);
    }

    fn str(&mut self, s: &str) {
        self.out.push('"');
        self.escaped(s);
        self.out.push('"');
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.raw("null"),
        }
    }

    /// A text written as a JSON string straight from its `Display`.
    fn display(&mut self, d: impl std::fmt::Display) {
        use std::fmt::Write as _;
        self.out.push('"');
        let _ = write!(self, "{d}");
        self.out.push('"');
    }

    /// `"key":`
    fn key(&mut self, k: &str) {
        self.str(k);
        self.out.push(':');
    }

    /// A list of strings.
    fn strs<'s>(&mut self, items: impl Iterator<Item = &'s str>) {
        self.out.push('[');
        for (n, s) in items.enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            self.str(s);
        }
        self.out.push(']');
    }

    /// Any other value, through `serde_json` (the incident id, extra keys).
    fn value(&mut self, v: &impl Serialize) {
        match serde_json::to_string(v) {
            Ok(text) => self.out.push_str(&text),
            Err(_) => self.raw("null"),
        }
    }

    /// Every citation of the given rules, each once, in order (as [`Cites`]).
    fn cites(&mut self, ir: &PolicyIr, rules: impl Iterator<Item = usize> + Clone) {
        let mut one = rules.clone();
        if let (Some(r), None) = (one.next(), one.next()) {
            if let Some(t) = self.texts.and_then(|t| t.cites.get(r)) {
                self.out.push_str(t);
                return;
            }
        }
        // `(rule, citation index, text)` of every citation, in order.
        let cites = |r: usize| {
            let list = ir.rules.get(r).map_or(&[][..], |r| r.cites.as_slice());
            list.iter().enumerate().map(move |(i, c)| (r, i, c))
        };
        let all = || rules.clone().flat_map(cites);
        self.out.push('[');
        let mut first = true;
        for (n, (r, i, c)) in all().enumerate() {
            if all().take(n).any(|(_, _, seen)| seen == c) {
                continue;
            }
            if !first {
                self.out.push(',');
            }
            first = false;
            match self.texts.and_then(|t| t.each_cite.get(r)?.get(i)) {
                Some(t) => self.out.push_str(t),
                None => self.str(c),
            }
        }
        self.out.push(']');
    }

    /// Rule `r`'s id as a JSON string; false (nothing written) if there is no such rule.
    fn rule_id(&mut self, ir: &PolicyIr, r: usize) -> bool {
        if let Some(t) = self.texts.and_then(|t| t.ids.get(r)) {
            self.out.push_str(t);
            return true;
        }
        match ir.rules.get(r) {
            Some(rule) => {
                self.str(&rule.id);
                true
            }
            None => false,
        }
    }

    /// `,"rule":…,"rules":[…]`: the first rule's id and every rule's id.
    fn rule_fields(&mut self, ir: &PolicyIr, rules: impl Iterator<Item = usize> + Clone) {
        self.raw(",\"rule\":");
        if !rules.clone().any(|r| self.rule_id(ir, r)) {
            self.raw("null");
        }
        self.raw(",\"rules\":[");
        let mut first = true;
        for r in rules {
            if ir.rules.get(r).is_some() {
                if !first {
                    self.out.push(',');
                }
                first = false;
                self.rule_id(ir, r);
            }
        }
        self.out.push(']');
    }

    fn action(&mut self, a: &ActionView<'_, '_>) {
        let ir = a.ir;
        self.raw("{\"modality\":\"");
        self.raw(a.modality().keyword());
        self.raw("\",\"action\":");
        self.str(a.action());
        self.raw(",\"target\":");
        self.strs(a.out.targets.iter().map(|t| ir.vocab.name(t.kind, t.sym)));
        self.raw(match a.target_mode() {
            TargetMode::Any => ",\"target_mode\":\"any\",\"deadline\":",
            TargetMode::All => ",\"target_mode\":\"all\",\"deadline\":",
        });
        self.opt_str(a.deadline());
        self.raw(",\"by\":");
        self.opt_str(a.by());
        self.raw(",\"person\":");
        self.opt_str(a.person());
        self.rule_fields(ir, a.out.rules.iter());
        self.raw(",\"source\":");
        self.str(a.source());
        self.raw(",\"layer\":");
        self.str(a.layer());
        self.raw(",\"cites\":");
        self.cites(ir, a.out.rules.iter());
        if let Some(due) = a.due {
            self.raw(",\"due\":");
            match due {
                Some(t) => self.str(&t.to_rfc3339()),
                None => self.raw("null"),
            }
        }
        self.out.push('}');
    }

    fn permission(&mut self, p: &PermissionOut<'_>, ir: &PolicyIr) {
        self.raw("{\"verdict\":");
        match p.verdict {
            Some(v) => {
                self.out.push('"');
                self.raw(v.keyword());
                self.out.push('"');
            }
            None => self.raw("null"),
        }
        self.raw(",\"conditions\":[");
        for (n, (kind, value)) in p.conditions.iter().copied().enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            self.raw("{\"kind\":\"");
            self.raw(kind.keyword());
            self.raw("\",\"value\":");
            self.str(value);
            self.out.push('}');
        }
        self.out.push(']');
        self.rule_fields(ir, p.rules.iter().copied());
        self.raw(",\"cites\":");
        self.cites(ir, p.rules.iter().copied());
        self.out.push('}');
    }

    fn decision(&mut self, d: &Decision<'_>) {
        let ir = d.ir;
        self.raw("{\"policy\":{\"id\":");
        self.str(&ir.meta.id);
        self.raw(",\"version\":");
        self.opt_str(ir.meta.version.as_deref());
        self.out.push('}');
        if let Some(id) = &d.id {
            self.raw(",\"incident_id\":");
            match &**id {
                // Most ids are strings: written in place, no text made first.
                serde_json::Value::String(text) => self.str(text),
                other => self.value(other),
            }
        }
        self.raw(match d.status() {
            Status::Complete => ",\"status\":\"complete\",\"breach\":",
            Status::Incomplete => ",\"status\":\"incomplete\",\"breach\":",
        });
        self.raw(match d.breach {
            Some(true) => "true",
            Some(false) => "false",
            None => "null",
        });
        self.raw(",\"permission\":");
        match &d.permission {
            Some(p) => self.permission(p, ir),
            None => self.raw("null"),
        }
        self.raw(",\"actions\":[");
        for (n, a) in d.actions().enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            self.action(&a);
        }
        self.raw("],\"questions\":[");
        for (n, q) in d.questions.iter().enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            self.raw("{\"fact\":");
            self.display(q.key.path(ir));
            self.raw(",\"ask\":");
            self.display(q.key.ask(ir));
            self.raw(",\"could_add\":");
            self.strs(d.could_add_of(q));
            self.out.push('}');
        }
        self.raw("],\"notes\":");
        self.strs(d.notes.iter().map(|n| n.as_ref()));
        if let Some(extra) = &d.extra {
            for (k, v) in extra.iter() {
                self.out.push(',');
                self.key(k);
                self.value(v);
            }
        }
        self.out.push('}');
    }
}

impl std::fmt::Write for Json<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.escaped(s);
        Ok(())
    }
}

/// Writes one action of the contract. One `serialize_field` per key, in contract order;
/// lists are written straight from the decision, never collected first.
struct ActionJson<'d, 'p>(ActionView<'d, 'p>);

impl Serialize for ActionJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = &self.0;
        let ir = a.ir;
        let rule_id = |r: usize| ir.rules.get(r).map(|r| r.id.as_str());
        let mut m = s.serialize_struct("Action", 12)?;
        m.serialize_field("modality", &a.modality())?;
        m.serialize_field("action", a.action())?;
        m.serialize_field(
            "target",
            &Each(|| a.out.targets.iter().map(|t| ir.vocab.name(t.kind, t.sym))),
        )?;
        m.serialize_field("target_mode", &a.target_mode())?;
        m.serialize_field("deadline", &a.deadline())?;
        m.serialize_field("by", &a.by())?;
        m.serialize_field("person", &a.person())?;
        m.serialize_field("rule", &a.out.rules.iter().find_map(rule_id))?;
        m.serialize_field("rules", &Each(|| a.out.rules.iter().filter_map(rule_id)))?;
        m.serialize_field("source", a.source())?;
        m.serialize_field("layer", a.layer())?;
        m.serialize_field("cites", &Cites(ir, || a.out.rules.iter()))?;
        if let Some(due) = a.due {
            m.serialize_field("due", &due.map(haven_calendar::LocalTime::to_rfc3339))?;
        }
        m.end()
    }
}

/// A JSON list of the items an iterator gives (made afresh for each serialisation).
struct Each<F>(F);

impl<F, I> Serialize for Each<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// Every citation of the given rules, each once, in order (no set is built: the lists
/// are a handful long).
struct Cites<'p, F>(&'p PolicyIr, F);

impl<'p, F, I> Serialize for Cites<'p, F>
where
    F: Fn() -> I,
    I: Iterator<Item = usize>,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ir = self.0;
        let cites = |r: usize| ir.rules.get(r).map_or(&[][..], |r| r.cites.as_slice());
        let all = || (self.1)().flat_map(cites);
        let mut seq = s.serialize_seq(None)?;
        for (n, c) in all().enumerate() {
            if !all().take(n).any(|seen| seen == c) {
                seq.serialize_element(c.as_str())?;
            }
        }
        seq.end()
    }
}

/// A text written as a JSON string straight from its `Display`.
struct Text<D>(D);

impl<D: std::fmt::Display> Serialize for Text<D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

struct Conditions<'a, 'p>(&'a [&'p (PermConditionKind, String)]);

impl Serialize for Conditions<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (kind, value) in self.0.iter().copied() {
            seq.serialize_element(&ConditionJson(*kind, value))?;
        }
        seq.end()
    }
}

struct ConditionJson<'a>(PermConditionKind, &'a str);

impl Serialize for ConditionJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("kind", &self.0)?;
        m.serialize_entry("value", self.1)?;
        m.end()
    }
}

struct PermissionJson<'d, 'p>(&'d PermissionOut<'p>, &'p PolicyIr);

impl Serialize for PermissionJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let PermissionJson(p, ir) = *self;
        let rule_id = |r: &usize| ir.rules.get(*r).map(|r| r.id.as_str());
        let mut m = s.serialize_struct("Permission", 5)?;
        m.serialize_field("verdict", &p.verdict)?;
        m.serialize_field("conditions", &Conditions(&p.conditions))?;
        m.serialize_field("rule", &p.rules.iter().find_map(rule_id))?;
        m.serialize_field("rules", &Each(|| p.rules.iter().filter_map(rule_id)))?;
        m.serialize_field("cites", &Cites(ir, || p.rules.iter().copied()))?;
        m.end()
    }
}

struct QuestionJson<'d, 'p>(&'d Decision<'p>, &'d QuestionOut);

impl Serialize for QuestionJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let QuestionJson(d, q) = *self;
        let mut m = s.serialize_struct("Question", 3)?;
        m.serialize_field("fact", &Text(q.key.path(d.ir)))?;
        m.serialize_field("ask", &Text(q.key.ask(d.ir)))?;
        m.serialize_field("could_add", &Each(|| d.could_add_of(q)))?;
        m.end()
    }
}

struct PolicyRef<'p>(&'p PolicyIr);

impl Serialize for PolicyRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("PolicyRef", 2)?;
        m.serialize_field("id", &self.0.meta.id)?;
        m.serialize_field("version", &self.0.meta.version)?;
        m.end()
    }
}

impl Serialize for Decision<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("policy", &PolicyRef(self.ir))?;
        if let Some(id) = &self.id {
            m.serialize_entry("incident_id", &**id)?;
        }
        m.serialize_entry("status", &self.status())?;
        m.serialize_entry("breach", &self.breach)?;
        m.serialize_entry(
            "permission",
            &self.permission.as_ref().map(|p| PermissionJson(p, self.ir)),
        )?;
        m.serialize_entry("actions", &Each(|| self.actions().map(ActionJson)))?;
        m.serialize_entry(
            "questions",
            &Each(|| self.questions.iter().map(|q| QuestionJson(self, q))),
        )?;
        m.serialize_entry("notes", &Each(|| self.notes.iter().map(|n| n.as_ref())))?;
        if let Some(extra) = &self.extra {
            for (k, v) in extra.iter() {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::Json;

    /// The direct writer escapes strings exactly as `serde_json` does: every byte below
    /// 0x80 alone and inside text, long and short runs, and text beyond ASCII.
    #[test]
    fn writer_escapes_as_serde_json() {
        let mut texts: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        texts
            .extend((0u8..0x80).map(|b| format!("a sentence \"quoted\" {} é — ok", char::from(b))));
        texts.push("x".repeat(40) + "\n" + &"y".repeat(17));
        texts.push("£ 16 bytes here!".repeat(5));
        texts.push(String::new());
        for t in &texts {
            let mut out = Json {
                out: String::new(),
                texts: None,
            };
            out.str(t);
            assert_eq!(Some(out.out), serde_json::to_string(t).ok(), "{t:?}");
        }
    }
}
