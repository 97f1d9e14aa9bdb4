//! The incident record (DESIGN §4): JSON in, typed facts out. Unknown keys and wrongly typed
//! values are errors naming the key and the expected type; absent or `null` means unknown.

use crate::ir::{quote_list, FactInfo, FactTy, Field, PolicyIr, Vocab, Who};
use crate::limits::Limits;
use crate::record;
use crate::syntax::ast::TokenKind;
use haven_calendar::LocalTime;
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::Arc;

pub(crate) use crate::ir::Val;

/// One person in the incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Person {
    pub(crate) role: Val,
    pub(crate) facts: Vec<Val>,
}

/// A validated incident record, ready to evaluate against the policy that read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// Shared with every decision made from this record (no copy per evaluation).
    pub(crate) id: Option<Arc<Value>>,
    pub(crate) category: Val,
    pub(crate) activity: Val,
    pub(crate) location: Val,
    pub(crate) time: Val,
    pub(crate) device_kind: Val,
    pub(crate) device_owner: Val,
    pub(crate) actor: Option<Person>,
    pub(crate) subject: Option<Person>,
    pub(crate) reporter: Option<Person>,
    pub(crate) others: Option<Vec<Person>>,
    pub(crate) facts: Vec<Val>,
    /// When it happened (UK local time); never evaluated by rules.
    pub(crate) occurred_at: Option<LocalTime>,
    /// When it was reported (UK local time): deadlines run from here.
    pub(crate) reported_at: Option<LocalTime>,
}

/// Why an incident record was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct IncidentError {
    /// The offending key as a path, e.g. `actor.age` or `others[2].role`; empty for the
    /// record as a whole.
    pub key: String,
    /// What was expected there.
    pub expected: String,
    /// The whole message.
    pub message: String,
    /// Stable code, e.g. `haven::incident::unknown_key`.
    pub code: &'static str,
    /// 1-based line in the record's text, where there is text and the error has a place
    /// (invalid JSON, a repeated key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column (in characters) on that line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl IncidentError {
    fn new(code: &'static str, key: &str, expected: impl Into<String>, message: String) -> Self {
        IncidentError {
            key: key.to_owned(),
            expected: expected.into(),
            message,
            code,
            line: None,
            column: None,
        }
    }

    fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// A list longer than [`Limits::max_list_len`]: `others`, or any list a binding meets
    /// while converting a record (so it can stop before copying a million entries).
    pub fn list_too_long(key: &str, len: usize, limit: usize) -> Self {
        let noun = if key == "others" || key.ends_with("].others") {
            "people"
        } else {
            "entries"
        };
        IncidentError::new(
            "haven::incident::list_too_long",
            key,
            format!("at most {limit} {noun}"),
            format!("`{key}` lists {len} {noun} (limit {limit})"),
        )
    }

    fn wrong_type(key: &str, expected: &str, found: &Value) -> Self {
        IncidentError::new(
            "haven::incident::wrong_type",
            key,
            expected,
            format!("`{key}` must be {expected}, found {}", describe(found)),
        )
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number {}", truncate(&n.to_string())),
        Value::String(s) => format!("the string \"{}\"", truncate(s)),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// At most 40 characters of a value or key the caller sent, so an error never echoes a
/// megabyte of input.
fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut t: String = s.chars().take(40).collect();
        t.push('…');
        t
    } else {
        s.to_owned()
    }
}

/// Where a value sits in the record (`actor.age`, `others[2].role`): rendered only when an
/// error names it, so validating a good record formats no paths.
#[derive(Clone, Copy)]
enum Key<'a> {
    Top(&'a str),
    Other(usize),
    Field(&'a Key<'a>, &'a str),
}

impl Key<'_> {
    fn render(&self) -> String {
        match self {
            Key::Top(s) => truncate(s),
            Key::Other(i) => format!("others[{i}]"),
            Key::Field(parent, name) => format!("{}.{}", parent.render(), truncate(name)),
        }
    }
}

/// The size and depth limits, checked on the text before any parser runs.
fn check_text(text: &str, limits: &Limits) -> Result<(), IncidentError> {
    if text.len() > limits.max_incident_bytes {
        return Err(IncidentError::new(
            "haven::incident::too_large",
            "",
            format!("at most {} bytes", limits.max_incident_bytes),
            format!(
                "incident record is too large ({} bytes, limit {})",
                text.len(),
                limits.max_incident_bytes
            ),
        ));
    }
    // Depth is checked on the text before serde builds anything, so a deeply nested record
    // cannot exhaust the stack.
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limits.max_incident_depth {
                    return Err(IncidentError::new(
                        "haven::incident::too_deep",
                        "",
                        format!("at most {} levels of nesting", limits.max_incident_depth),
                        format!(
                            "incident record is nested too deeply (limit {})",
                            limits.max_incident_depth
                        ),
                    ));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The deepest record the fast reader accepts: the record, `others`, a person in it.
const FAST_DEPTH: usize = 3;

/// [`fast::read`] when the text is within the size limit and every record the fast reader
/// accepts is within the depth limit, so the depth scan of [`check_text`] can only pass and
/// is left to the slow path. serde_json's own recursion limit keeps a deeply nested value
/// (an `id` list, say) from exhausting the stack before the fast reader gives up on it.
fn fast_read(ir: &PolicyIr, text: &str, limits: &Limits) -> Option<Incident> {
    if text.len() > limits.max_incident_bytes {
        return None;
    }
    if limits.max_incident_depth < FAST_DEPTH {
        check_text(text, limits).ok()?;
    }
    fast::read(ir, text, limits)
}

/// Parse JSON text into a value, enforcing the size and depth limits.
pub(crate) fn parse_json(text: &str, limits: &Limits) -> Result<Value, IncidentError> {
    check_text(text, limits)?;
    serde_json::from_str(text).map_err(|e| {
        IncidentError::new(
            "haven::incident::invalid_json",
            "",
            "a JSON object",
            format!("incident is not valid JSON: {e}"),
        )
        .at(e.line(), e.column())
    })
}

/// Every key that appears twice in one object of the JSON text, at any depth, naming the
/// key path and both positions. Run only on text serde has parsed, and only when the fast
/// path gave up, so a valid record never pays for it.
fn duplicate_keys(text: &str) -> Vec<IncidentError> {
    struct Frame {
        path: String,
        object: bool,
        expect_key: bool,
        index: usize,
        current: String,
        keys: Vec<(String, usize, usize)>,
    }
    let mut errs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let (mut line, mut col) = (1usize, 0usize);
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        col += 1;
        match c {
            '\n' => {
                line += 1;
                col = 0;
            }
            '"' => {
                let (start_line, start_col) = (line, col);
                let mut end = at + 1;
                let mut escaped = false;
                for (i, c) in chars.by_ref() {
                    col += 1;
                    end = i + c.len_utf8();
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                let Some(top) = stack.last_mut() else {
                    continue;
                };
                if !(top.object && top.expect_key) {
                    continue;
                }
                top.expect_key = false;
                let raw = text.get(at..end).unwrap_or("");
                let key: String = serde_json::from_str(raw).unwrap_or_default();
                if let Some((_, l, c)) = top.keys.iter().find(|(k, _, _)| *k == key) {
                    let path = if top.path.is_empty() {
                        truncate(&key)
                    } else {
                        format!("{}.{}", top.path, truncate(&key))
                    };
                    errs.push(
                        IncidentError::new(
                            "haven::incident::duplicate_key",
                            &path,
                            "each key once",
                            format!(
                                "key `{path}` appears twice: at {l}:{c} and {start_line}:{start_col}"
                            ),
                        )
                        .at(start_line, start_col),
                    );
                } else {
                    top.keys.push((key.clone(), start_line, start_col));
                }
                top.current = key;
            }
            '{' | '[' => {
                let path = match stack.last() {
                    None => String::new(),
                    Some(f) if f.object && f.path.is_empty() => truncate(&f.current),
                    Some(f) if f.object => format!("{}.{}", f.path, truncate(&f.current)),
                    Some(f) => format!("{}[{}]", f.path, f.index),
                };
                stack.push(Frame {
                    path,
                    object: c == '{',
                    expect_key: c == '{',
                    index: 0,
                    current: String::new(),
                    keys: Vec::new(),
                });
            }
            '}' | ']' => {
                stack.pop();
            }
            ',' => {
                if let Some(top) = stack.last_mut() {
                    if top.object {
                        top.expect_key = true;
                    } else {
                        top.index += 1;
                    }
                }
            }
            _ => {}
        }
    }
    errs
}

impl Incident {
    /// Validate JSON text against a policy's vocabulary. A record that validates is read
    /// straight from the text into typed values ([`fast`]); anything else takes the path
    /// through a `serde_json::Value` ([`Incident::from_value`]), which names the problem.
    /// Both give the same incident for every record that validates.
    pub(crate) fn from_json(
        ir: &PolicyIr,
        text: &str,
        limits: &Limits,
    ) -> Result<Incident, IncidentError> {
        if let Some(incident) = fast_read(ir, text, limits) {
            return incident.settle(&ir.vocab);
        }
        check_text(text, limits)?;
        Incident::from_json_slow(ir, text, limits).map_err(|mut errs| errs.swap_remove(0))
    }

    /// [`Incident::from_json`] reporting every error of the record, in text order of the
    /// repeated keys first, then the others key by key (never an empty list).
    pub(crate) fn from_json_all(
        ir: &PolicyIr,
        text: &str,
        limits: &Limits,
    ) -> Result<Incident, Vec<IncidentError>> {
        if let Some(incident) = fast_read(ir, text, limits) {
            return incident.settle(&ir.vocab).map_err(|e| vec![e]);
        }
        check_text(text, limits).map_err(|e| vec![e])?;
        Incident::from_json_slow(ir, text, limits)
    }

    fn from_json_slow(
        ir: &PolicyIr,
        text: &str,
        limits: &Limits,
    ) -> Result<Incident, Vec<IncidentError>> {
        let value = parse_json(text, limits).map_err(|e| vec![e])?;
        let mut errs = duplicate_keys(text);
        match Incident::from_value_all(ir, &value, limits) {
            Ok(incident) if errs.is_empty() => Ok(incident),
            Ok(_) => Err(errs),
            Err(more) => {
                errs.extend(more);
                Err(errs)
            }
        }
    }

    /// Apply the vocabulary's fact relations: a fact another settles is filled in (so no
    /// question asks it), and a record whose facts contradict a relation is rejected.
    /// A relation only removes impossible worlds; it never adds an answer the facts do not
    /// imply.
    pub(crate) fn settle(mut self, vocab: &Vocab) -> Result<Incident, IncidentError> {
        if vocab.relations.is_empty() {
            return Ok(self);
        }
        let name = |i: u16| {
            vocab
                .facts
                .get(usize::from(i))
                .map_or("?", |f| f.name.as_str())
        };
        // Each pass settles at least one fact or stops: bounded by the number of relations.
        for _ in 0..=vocab.relations.len() {
            let mut changed = false;
            for rel in &vocab.relations {
                let (a, a_true) = rel.antecedent;
                let (b, b_true) = rel.consequent;
                let get = |f: &[Val], i: u16| f.get(usize::from(i)).copied();
                let va = get(&self.facts, a);
                let vb = get(&self.facts, b);
                match (va, vb) {
                    (Some(Val::Bool(x)), Some(Val::Bool(y))) if x == a_true && y != b_true => {
                        let key = format!("facts.{}", name(b));
                        return Err(IncidentError::new(
                            "haven::incident::contradicts_relation",
                            &key,
                            format!("`{}` (the vocabulary says {})", b_true, rel.text),
                            format!(
                                "`facts.{}` is {x} but `{key}` is {y}, and the vocabulary says {}",
                                name(a),
                                rel.text
                            ),
                        ));
                    }
                    (Some(Val::Bool(x)), Some(Val::Unknown)) if x == a_true => {
                        if let Some(slot) = self.facts.get_mut(usize::from(b)) {
                            *slot = Val::Bool(b_true);
                            changed = true;
                        }
                    }
                    (Some(Val::Unknown), Some(Val::Bool(y))) if y != b_true => {
                        if let Some(slot) = self.facts.get_mut(usize::from(a)) {
                            *slot = Val::Bool(!a_true);
                            changed = true;
                        }
                    }
                    _ => {}
                }
            }
            if !changed {
                break;
            }
        }
        Ok(self)
    }

    /// The value of a token field of the record table.
    fn token_slot(&mut self, field: Field) -> Option<&mut Val> {
        match field {
            Field::Category => Some(&mut self.category),
            Field::Activity => Some(&mut self.activity),
            Field::Location => Some(&mut self.location),
            Field::Time => Some(&mut self.time),
            Field::DeviceKind => Some(&mut self.device_kind),
            Field::DeviceOwner => Some(&mut self.device_owner),
            _ => None,
        }
    }

    /// Validate a JSON value against a policy's vocabulary: the first error, if any.
    pub(crate) fn from_value(
        ir: &PolicyIr,
        value: &Value,
        limits: &Limits,
    ) -> Result<Incident, IncidentError> {
        Incident::from_value_all(ir, value, limits).map_err(|mut errs| errs.swap_remove(0))
    }

    /// Validate a JSON value against a policy's vocabulary, reporting every error (never an
    /// empty list). Each key is read on its own, so one bad key does not hide the next.
    pub(crate) fn from_value_all(
        ir: &PolicyIr,
        value: &Value,
        limits: &Limits,
    ) -> Result<Incident, Vec<IncidentError>> {
        let Value::Object(map) = value else {
            return Err(vec![IncidentError::wrong_type("", "an object", value)]);
        };
        let mut errs = Vec::new();
        for key in map.keys() {
            if !record::top_keys().any(|k| k == key) {
                errs.push(unknown_key(
                    &truncate(key),
                    &record::top_keys().collect::<Vec<_>>(),
                ));
            }
        }
        let vocab = &ir.vocab;
        let get = |k: &str| map.get(k).filter(|v| !v.is_null());
        let mut incident = Incident {
            id: map
                .get("id")
                .filter(|v| !v.is_null())
                .cloned()
                .map(Arc::new),
            category: Val::Unknown,
            activity: Val::Unknown,
            location: Val::Unknown,
            time: Val::Unknown,
            device_kind: Val::Unknown,
            device_owner: Val::Unknown,
            actor: None,
            subject: None,
            reporter: None,
            others: None,
            facts: vec![Val::Unknown; vocab.facts.len()],
            occurred_at: None,
            reported_at: None,
        };
        let val = |r: Result<Val, IncidentError>, errs: &mut Vec<IncidentError>| {
            r.unwrap_or_else(|e| {
                errs.push(e);
                Val::Unknown
            })
        };
        for row in record::FIELDS.iter().filter(|r| r.is_top()) {
            if let record::Slot::Token(field, kind) = row.slot {
                let v = val(
                    token(vocab, kind, Key::Top(row.path), get(row.path)),
                    &mut errs,
                );
                if let Some(slot) = incident.token_slot(field) {
                    *slot = v;
                }
            }
        }
        for row in record::FIELDS {
            if let record::Slot::Person(who, _) = row.slot {
                let p = person(vocab, Key::Top(row.path), get(row.path), &mut errs);
                match who {
                    Who::Actor => incident.actor = p,
                    Who::Subject => incident.subject = p,
                    Who::Reporter => incident.reporter = p,
                    Who::Each => {}
                }
            }
        }
        for row in record::FIELDS {
            if let record::Slot::Timestamp(stamp) = row.slot {
                let t = timestamp(row.path, get(row.path)).unwrap_or_else(|e| {
                    errs.push(e);
                    None
                });
                match stamp {
                    record::Stamp::Occurred => incident.occurred_at = t,
                    record::Stamp::Reported => incident.reported_at = t,
                }
            }
        }
        if let Some(e) = occurred_after_reported(&incident) {
            errs.push(e);
        }
        if let Some(id) = &incident.id {
            if !(id.is_string() || id.is_number()) {
                errs.push(IncidentError::wrong_type("id", "a string or number", id));
            }
        }
        match (incident.category, incident.activity) {
            // Only when neither is given at all: a rejected value is its own error.
            (Val::Unknown, Val::Unknown)
                if get("category").is_none() && get("activity").is_none() =>
            {
                errs.push(IncidentError::new(
                    "haven::incident::missing_category",
                    "category",
                    "an incident category, or an `activity` for a permission request",
                    "incident has neither `category` nor `activity`".to_owned(),
                ))
            }
            (Val::Unknown, Val::Unknown) => {}
            (Val::Unknown, _) => incident.category = Val::Absent,
            (_, Val::Unknown) => incident.activity = Val::Absent,
            _ => {}
        }
        if let Some(device) = get("device") {
            if let Value::Object(d) = device {
                for key in d.keys() {
                    if !record::child_keys("device").any(|k| k == key) {
                        errs.push(unknown_key(
                            &format!("device.{}", truncate(key)),
                            &record::child_keys("device").collect::<Vec<_>>(),
                        ));
                    }
                }
                let dget = |k: &str| d.get(k).filter(|v| !v.is_null());
                for row in record::FIELDS {
                    let (Some(key), record::Slot::Token(field, kind)) =
                        (row.path.strip_prefix("device."), row.slot)
                    else {
                        continue;
                    };
                    let v = val(token(vocab, kind, Key::Top(row.path), dget(key)), &mut errs);
                    if let Some(slot) = incident.token_slot(field) {
                        *slot = v;
                    }
                }
            } else {
                errs.push(IncidentError::wrong_type(
                    "device",
                    "an object like {\"kind\": \"phone\", \"owner\": \"personal\"}",
                    device,
                ));
            }
        }
        if let Some(others) = get("others") {
            match others {
                Value::Array(list) if list.len() > limits.max_list_len => {
                    errs.push(IncidentError::list_too_long(
                        "others",
                        list.len(),
                        limits.max_list_len,
                    ));
                }
                Value::Array(list) => {
                    let mut people = Vec::with_capacity(list.len());
                    for (i, p) in list.iter().enumerate() {
                        let key = Key::Other(i);
                        if p.is_null() {
                            errs.push(IncidentError::wrong_type(
                                &key.render(),
                                "a person object",
                                p,
                            ));
                        } else if let Some(person) = person(vocab, key, Some(p), &mut errs) {
                            people.push(person);
                        }
                    }
                    incident.others = Some(people);
                }
                _ => errs.push(IncidentError::wrong_type(
                    "others",
                    "a list of people",
                    others,
                )),
            }
        }
        if let Some(facts) = get("facts") {
            if let Value::Object(f) = facts {
                for (key, v) in f {
                    let Some(&idx) = vocab.fact_index.get(key) else {
                        let names: Vec<String> =
                            vocab.facts.iter().map(|f| f.name.clone()).collect();
                        let shown = truncate(key);
                        let mut err = IncidentError::new(
                            "haven::incident::unknown_fact",
                            &format!("facts.{shown}"),
                            format!("a declared fact: {}", quote_list(&names)),
                            format!("unknown fact `facts.{shown}`"),
                        );
                        if let Some(s) = crate::diagnostic::suggest(key, &names) {
                            err.message.push_str(&format!(" (did you mean `{s}`?)"));
                        }
                        errs.push(err);
                        continue;
                    };
                    let Some(info) = vocab.facts.get(idx) else {
                        continue;
                    };
                    let v = val(
                        fact_value(vocab, info, Key::Field(&Key::Top("facts"), key), v),
                        &mut errs,
                    );
                    if let Some(slot) = incident.facts.get_mut(idx) {
                        *slot = v;
                    }
                }
            } else {
                errs.push(IncidentError::wrong_type(
                    "facts",
                    "an object of facts",
                    facts,
                ));
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        incident.settle(vocab).map_err(|e| vec![e])
    }
}

/// What a timestamp key expects.
const TIMESTAMP: &str =
    "an RFC 3339 date and time with its offset, such as 2026-10-23T15:40:00+01:00 or 2026-10-23T14:40:00Z";

/// A timestamp key (`reported_at`): `null` or absent is unknown.
fn timestamp(key: &str, v: Option<&Value>) -> Result<Option<LocalTime>, IncidentError> {
    let Some(v) = v else { return Ok(None) };
    let Value::String(s) = v else {
        return Err(IncidentError::wrong_type(key, TIMESTAMP, v));
    };
    LocalTime::parse_rfc3339(s).map(Some).ok_or_else(|| {
        IncidentError::new(
            "haven::incident::invalid_time",
            key,
            TIMESTAMP,
            format!("`{key}` must be {TIMESTAMP}, found \"{}\"", truncate(s)),
        )
    })
}

/// An incident said to have happened after it was reported.
fn occurred_after_reported(incident: &Incident) -> Option<IncidentError> {
    let (occurred, reported) = (incident.occurred_at?, incident.reported_at?);
    (occurred > reported).then(|| {
        IncidentError::new(
            "haven::incident::occurred_after_reported",
            "occurred_at",
            "a time no later than `reported_at`",
            format!(
                "`occurred_at` ({}) is after `reported_at` ({})",
                occurred.to_rfc3339(),
                reported.to_rfc3339()
            ),
        )
    })
}

fn unknown_key(key: &str, allowed: &[&str]) -> IncidentError {
    let allowed: Vec<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let mut message = format!("unknown key `{key}`");
    if let Some(s) = crate::diagnostic::suggest(leaf, &allowed) {
        message.push_str(&format!(" (did you mean `{s}`?)"));
    }
    IncidentError::new(
        "haven::incident::unknown_key",
        key,
        format!("one of {}", quote_list(&allowed)),
        message,
    )
}

fn token(
    vocab: &Vocab,
    kind: TokenKind,
    key: Key<'_>,
    v: Option<&Value>,
) -> Result<Val, IncidentError> {
    let Some(v) = v else { return Ok(Val::Unknown) };
    if let Value::String(s) = v {
        if let Some(sym) = vocab.lookup(kind, s) {
            return Ok(Val::Sym(sym));
        }
    }
    let key = &key.render();
    let expected = || {
        format!(
            "a {} name such as {}",
            kind.keyword(),
            quote_list(&vocab.names(kind).into_iter().take(4).collect::<Vec<_>>())
        )
    };
    let Value::String(s) = v else {
        return Err(IncidentError::wrong_type(key, &expected(), v));
    };
    match vocab.lookup(kind, s) {
        Some(sym) => Ok(Val::Sym(sym)),
        None => {
            let names = vocab.names(kind);
            let mut message = format!("unknown {} \"{}\" in `{key}`", kind.keyword(), truncate(s));
            if let Some(sug) = crate::diagnostic::suggest(s, &names) {
                message.push_str(&format!(" (did you mean \"{sug}\"?)"));
            }
            Err(IncidentError::new(
                "haven::incident::unknown_value",
                key,
                format!("one of {}", quote_list(&names)),
                message,
            ))
        }
    }
}

fn person(
    vocab: &Vocab,
    key: Key<'_>,
    v: Option<&Value>,
    errs: &mut Vec<IncidentError>,
) -> Option<Person> {
    let v = v?;
    let Value::Object(map) = v else {
        errs.push(IncidentError::wrong_type(
            &key.render(),
            "a person object like {\"role\": \"pupil\", \"age\": 12}",
            v,
        ));
        return None;
    };
    Some(person_fields(vocab, key, map, errs))
}

fn person_fields(
    vocab: &Vocab,
    key: Key<'_>,
    map: &Map<String, Value>,
    errs: &mut Vec<IncidentError>,
) -> Person {
    let mut person = Person {
        role: Val::Unknown,
        facts: vec![Val::Unknown; vocab.person_facts.len()],
    };
    for (k, v) in map {
        let path = Key::Field(&key, k);
        if k == "role" {
            match token(
                vocab,
                TokenKind::Role,
                path,
                Some(v).filter(|v| !v.is_null()),
            ) {
                Ok(role) => person.role = role,
                Err(e) => errs.push(e),
            }
            continue;
        }
        let Some(&idx) = vocab.person_fact_index.get(k) else {
            let mut allowed: Vec<&str> = vec!["role"];
            allowed.extend(vocab.person_facts.iter().map(|f| f.name.as_str()));
            errs.push(unknown_key(&path.render(), &allowed));
            continue;
        };
        let Some(info) = vocab.person_facts.get(idx) else {
            continue;
        };
        match fact_value(vocab, info, path, v) {
            Ok(val) => {
                if let Some(slot) = person.facts.get_mut(idx) {
                    *slot = val;
                }
            }
            Err(e) => errs.push(e),
        }
    }
    person
}

fn fact_value(
    vocab: &Vocab,
    info: &FactInfo,
    key: Key<'_>,
    v: &Value,
) -> Result<Val, IncidentError> {
    if v.is_null() {
        return Ok(Val::Unknown);
    }
    // The good cases first: nothing is formatted unless the value is rejected.
    match (&info.ty, v) {
        (FactTy::Bool, Value::Bool(b)) => return Ok(Val::Bool(*b)),
        (FactTy::Int { min, max }, Value::Number(n)) => {
            if let Some(i) = n.as_i64().filter(|i| i >= min && i <= max) {
                return Ok(Val::Int(i));
            }
        }
        (FactTy::Enum(values), Value::String(s)) => {
            if let Some(i) = values.iter().position(|x| x == s) {
                return Ok(Val::Sym(u32::try_from(i).unwrap_or(u32::MAX)));
            }
        }
        (FactTy::Role, Value::String(s)) if s == "none" => return Ok(Val::RoleNone),
        (FactTy::Role, Value::String(s)) => {
            if let Some(sym) = vocab.lookup(TokenKind::Role, s) {
                return Ok(Val::Sym(sym));
            }
        }
        _ => {}
    }
    let expected = info.ty.describe();
    let key = &key.render();
    match (&info.ty, v) {
        (FactTy::Bool, Value::Bool(b)) => Ok(Val::Bool(*b)),
        (FactTy::Int { min, max }, Value::Number(n)) => {
            let Some(i) = n.as_i64() else {
                let what = if n.is_f64() {
                    "a whole number"
                } else {
                    "a number that fits"
                };
                return Err(IncidentError::new(
                    "haven::incident::out_of_range",
                    key,
                    expected.clone(),
                    format!(
                        "`{key}` must be {what} from {min} to {max}, found {}",
                        truncate(&n.to_string())
                    ),
                ));
            };
            if i < *min || i > *max {
                return Err(IncidentError::new(
                    "haven::incident::out_of_range",
                    key,
                    expected,
                    format!("`{key}` must be from {min} to {max}, found {i}"),
                ));
            }
            Ok(Val::Int(i))
        }
        (FactTy::Role, Value::String(s)) if s == "none" => Ok(Val::RoleNone),
        (FactTy::Role, Value::String(_)) => token(vocab, TokenKind::Role, Key::Top(key), Some(v)),
        (FactTy::Enum(values), Value::String(s)) => match values.iter().position(|x| x == s) {
            Some(i) => Ok(Val::Sym(u32::try_from(i).unwrap_or(u32::MAX))),
            None => Err(IncidentError::new(
                "haven::incident::unknown_value",
                key,
                expected.clone(),
                format!("`{key}` must be {expected}, found \"{}\"", truncate(s)),
            )),
        },
        _ => Err(IncidentError::wrong_type(key, &expected, v)),
    }
}

/// JSON text straight into an [`Incident`], without building a `serde_json::Value`: the
/// path every valid record takes. It gives up (`None`) at the first thing that is not
/// plainly valid — an unknown key or value, a wrong type, a repeated key, a list over the
/// limit, invalid JSON — and the caller re-reads the record through `from_value`, which
/// produces the located error. So it never has to produce errors itself.
mod fast {
    use super::{Incident, Person, Val};
    use crate::ir::{FactInfo, FactTy, PolicyIr, Vocab};
    use crate::limits::Limits;
    use crate::syntax::ast::TokenKind;
    use haven_calendar::LocalTime;
    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;
    use std::fmt;
    use std::sync::Arc;

    /// Give up: the slow path will say why.
    fn bail<T, E: de::Error>() -> Result<T, E> {
        Err(E::custom("not on the fast path"))
    }

    pub(super) fn read(ir: &PolicyIr, text: &str, limits: &Limits) -> Option<Incident> {
        let mut de = serde_json::Deserializer::from_str(text);
        let incident = IncidentSeed {
            vocab: &ir.vocab,
            limits,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        Some(incident)
    }

    /// A key, as a borrowed or unescaped string, handed to `f`.
    struct KeySeed<F>(F);

    impl<'de, T, F: FnOnce(&str) -> Option<T>> DeserializeSeed<'de> for KeySeed<F> {
        type Value = T;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de, T, F: FnOnce(&str) -> Option<T>> Visitor<'de> for KeySeed<F> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
            match (self.0)(s) {
                Some(t) => Ok(t),
                None => bail(),
            }
        }
    }

    /// A token field: `null` is unknown, a declared name is its token.
    struct TokenSeed<'a> {
        vocab: &'a Vocab,
        kind: TokenKind,
    }

    impl<'de> DeserializeSeed<'de> for TokenSeed<'_> {
        type Value = Val;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for TokenSeed<'_> {
        type Value = Val;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a token")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Val, E> {
            Ok(Val::Unknown)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Val, E> {
            match self.vocab.lookup(self.kind, s) {
                Some(sym) => Ok(Val::Sym(sym)),
                None => bail(),
            }
        }
    }

    /// A fact value of a declared type (mirrors `fact_value`'s accepted cases).
    struct FactSeed<'a> {
        vocab: &'a Vocab,
        info: &'a FactInfo,
    }

    impl<'de> DeserializeSeed<'de> for FactSeed<'_> {
        type Value = Val;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for FactSeed<'_> {
        type Value = Val;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a fact value")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Val, E> {
            Ok(Val::Unknown)
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<Val, E> {
            match self.info.ty {
                FactTy::Bool => Ok(Val::Bool(b)),
                _ => bail(),
            }
        }
        fn visit_i64<E: de::Error>(self, i: i64) -> Result<Val, E> {
            match self.info.ty {
                FactTy::Int { min, max } if i >= min && i <= max => Ok(Val::Int(i)),
                _ => bail(),
            }
        }
        fn visit_u64<E: de::Error>(self, u: u64) -> Result<Val, E> {
            match i64::try_from(u) {
                Ok(i) => self.visit_i64(i),
                Err(_) => bail(),
            }
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Val, E> {
            match &self.info.ty {
                FactTy::Role if s == "none" => Ok(Val::RoleNone),
                FactTy::Role => match self.vocab.lookup(TokenKind::Role, s) {
                    Some(sym) => Ok(Val::Sym(sym)),
                    None => bail(),
                },
                FactTy::Enum(values) => match values.iter().position(|x| x == s) {
                    Some(i) => Ok(Val::Sym(u32::try_from(i).unwrap_or(u32::MAX))),
                    None => bail(),
                },
                _ => bail(),
            }
        }
    }

    /// A timestamp (`null`: unknown); anything but an RFC 3339 date-time gives up.
    struct StampSeed;

    impl<'de> DeserializeSeed<'de> for StampSeed {
        type Value = Option<LocalTime>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for StampSeed {
        type Value = Option<LocalTime>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date and time")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            match LocalTime::parse_rfc3339(s) {
                Some(t) => Ok(Some(t)),
                None => bail(),
            }
        }
    }

    /// Marks keys seen, to give up on a repeated key (the `Value` path keeps the last).
    struct Seen([u64; 4]);

    impl Seen {
        /// False if `i` was seen already or is out of range.
        fn first(&mut self, i: usize) -> bool {
            let Some(word) = self.0.get_mut(i / 64) else {
                return false;
            };
            let bit = 1u64 << (i % 64);
            let fresh = *word & bit == 0;
            *word |= bit;
            fresh
        }
    }

    /// A person object (or `null`: nobody described).
    struct PersonSeed<'a> {
        vocab: &'a Vocab,
    }

    impl<'de> DeserializeSeed<'de> for PersonSeed<'_> {
        type Value = Option<Person>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for PersonSeed<'_> {
        type Value = Option<Person>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a person")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let vocab = self.vocab;
            let mut person = Person {
                role: Val::Unknown,
                facts: vec![Val::Unknown; vocab.person_facts.len()],
            };
            let mut seen = Seen([0; 4]);
            let mut role_seen = false;
            // `None`: the role; `Some(i)`: person fact `i`.
            while let Some(key) = map.next_key_seed(KeySeed(|k: &str| {
                if k == "role" {
                    Some(None)
                } else {
                    vocab.person_fact_index.get(k).map(|&i| Some(i))
                }
            }))? {
                match key {
                    None => {
                        if std::mem::replace(&mut role_seen, true) {
                            return bail();
                        }
                        person.role = map.next_value_seed(TokenSeed {
                            vocab,
                            kind: TokenKind::Role,
                        })?;
                    }
                    Some(i) => {
                        let (Some(info), true) = (vocab.person_facts.get(i), seen.first(i)) else {
                            return bail();
                        };
                        let v = map.next_value_seed(FactSeed { vocab, info })?;
                        if let Some(slot) = person.facts.get_mut(i) {
                            *slot = v;
                        }
                    }
                }
            }
            Ok(Some(person))
        }
    }

    /// The `others` list (`null`: unknown).
    struct OthersSeed<'a> {
        vocab: &'a Vocab,
        max: usize,
    }

    impl<'de> DeserializeSeed<'de> for OthersSeed<'_> {
        type Value = Option<Vec<Person>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for OthersSeed<'_> {
        type Value = Option<Vec<Person>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of people")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut people = Vec::new();
            while let Some(p) = seq.next_element_seed(PersonSeed { vocab: self.vocab })? {
                // A `null` entry is an error; so is a list over the limit.
                let Some(p) = p else { return bail() };
                if people.len() >= self.max {
                    return bail();
                }
                people.push(p);
            }
            Ok(Some(people))
        }
    }

    /// `device`: `(kind, owner)`.
    struct DeviceSeed<'a> {
        vocab: &'a Vocab,
    }

    impl<'de> DeserializeSeed<'de> for DeviceSeed<'_> {
        type Value = (Val, Val);
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for DeviceSeed<'_> {
        type Value = (Val, Val);
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a device")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok((Val::Unknown, Val::Unknown))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let (mut kind, mut owner) = (Val::Unknown, Val::Unknown);
            let mut seen = Seen([0; 4]);
            while let Some(is_kind) = map.next_key_seed(KeySeed(|k: &str| match k {
                "kind" => Some(true),
                "owner" => Some(false),
                _ => None,
            }))? {
                if !seen.first(usize::from(is_kind)) {
                    return bail();
                }
                let (slot, token) = if is_kind {
                    (&mut kind, TokenKind::Device)
                } else {
                    (&mut owner, TokenKind::Owner)
                };
                *slot = map.next_value_seed(TokenSeed {
                    vocab: self.vocab,
                    kind: token,
                })?;
            }
            Ok((kind, owner))
        }
    }

    /// `facts`: into the incident's fact slots.
    struct FactsSeed<'a> {
        vocab: &'a Vocab,
        facts: &'a mut Vec<Val>,
    }

    impl<'de> DeserializeSeed<'de> for FactsSeed<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for FactsSeed<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of facts")
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let vocab = self.vocab;
            let mut seen = Seen([0; 4]);
            while let Some(i) =
                map.next_key_seed(KeySeed(|k: &str| vocab.fact_index.get(k).copied()))?
            {
                let (Some(info), true) = (vocab.facts.get(i), seen.first(i)) else {
                    return bail();
                };
                let v = map.next_value_seed(FactSeed { vocab, info })?;
                if let Some(slot) = self.facts.get_mut(i) {
                    *slot = v;
                }
            }
            Ok(())
        }
    }

    #[derive(Clone, Copy)]
    enum Top {
        Id,
        Category,
        Activity,
        Actor,
        Subject,
        Reporter,
        Others,
        Device,
        Location,
        Time,
        Facts,
        OccurredAt,
        ReportedAt,
    }

    struct IncidentSeed<'a> {
        vocab: &'a Vocab,
        limits: &'a Limits,
    }

    impl<'de> DeserializeSeed<'de> for IncidentSeed<'_> {
        type Value = Incident;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Incident, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for IncidentSeed<'_> {
        type Value = Incident;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an incident record")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Incident, A::Error> {
            let vocab = self.vocab;
            let mut inc = Incident {
                id: None,
                category: Val::Unknown,
                activity: Val::Unknown,
                location: Val::Unknown,
                time: Val::Unknown,
                device_kind: Val::Unknown,
                device_owner: Val::Unknown,
                actor: None,
                subject: None,
                reporter: None,
                others: None,
                facts: vec![Val::Unknown; vocab.facts.len()],
                occurred_at: None,
                reported_at: None,
            };
            let mut seen = Seen([0; 4]);
            let token = |kind| TokenSeed { vocab, kind };
            let person = || PersonSeed { vocab };
            while let Some(key) = map.next_key_seed(KeySeed(|k: &str| {
                Some(match k {
                    "id" => Top::Id,
                    "category" => Top::Category,
                    "activity" => Top::Activity,
                    "actor" => Top::Actor,
                    "subject" => Top::Subject,
                    "reporter" => Top::Reporter,
                    "others" => Top::Others,
                    "device" => Top::Device,
                    "location" => Top::Location,
                    "time" => Top::Time,
                    "facts" => Top::Facts,
                    "occurred_at" => Top::OccurredAt,
                    "reported_at" => Top::ReportedAt,
                    _ => return None,
                })
            }))? {
                if !seen.first(key as usize) {
                    return bail();
                }
                match key {
                    Top::Id => {
                        let v: Value = map.next_value()?;
                        match v {
                            Value::Null => {}
                            Value::String(_) | Value::Number(_) => inc.id = Some(Arc::new(v)),
                            _ => return bail(),
                        }
                    }
                    Top::Category => {
                        inc.category = map.next_value_seed(token(TokenKind::Category))?
                    }
                    Top::Activity => {
                        inc.activity = map.next_value_seed(token(TokenKind::Activity))?
                    }
                    Top::Location => {
                        inc.location = map.next_value_seed(token(TokenKind::Location))?
                    }
                    Top::Time => inc.time = map.next_value_seed(token(TokenKind::Time))?,
                    Top::Actor => inc.actor = map.next_value_seed(person())?,
                    Top::Subject => inc.subject = map.next_value_seed(person())?,
                    Top::Reporter => inc.reporter = map.next_value_seed(person())?,
                    Top::Others => {
                        inc.others = map.next_value_seed(OthersSeed {
                            vocab,
                            max: self.limits.max_list_len,
                        })?;
                    }
                    Top::Device => {
                        (inc.device_kind, inc.device_owner) =
                            map.next_value_seed(DeviceSeed { vocab })?;
                    }
                    Top::Facts => map.next_value_seed(FactsSeed {
                        vocab,
                        facts: &mut inc.facts,
                    })?,
                    Top::OccurredAt => inc.occurred_at = map.next_value_seed(StampSeed)?,
                    Top::ReportedAt => inc.reported_at = map.next_value_seed(StampSeed)?,
                }
            }
            if super::occurred_after_reported(&inc).is_some() {
                return bail();
            }
            match (inc.category, inc.activity) {
                (Val::Unknown, Val::Unknown) => return bail(),
                (Val::Unknown, _) => inc.category = Val::Absent,
                (_, Val::Unknown) => inc.activity = Val::Absent,
                _ => {}
            }
            Ok(inc)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        reason = "test code: a panic is a test failure with its message"
    )]

    use super::*;
    use crate::{CheckOptions, NoModules, Policy};

    const POLICY: &str = r#"policy t "fast path test" {
  version "1"
  source "t.txt"
}
role adult "Adult"
role staff is adult "Staff"
role pupil "Pupil"
category bullying
activity use
location classroom
time lesson
device phone
owner personal
action log_incident
fact flag: bool
fact count: int 0..10
fact approver: role
fact platform: one_of [snap, other]
person_fact age: int 0..120
person_fact sen: bool
rule r {
  cites "§1": "Log it."
  when category is bullying and flag
  must log_incident
}
"#;

    /// The fast path and the `Value` path agree on every record: the same incident when it
    /// validates, and the fast path gives up whenever the `Value` path rejects it.
    #[test]
    fn fast_path_agrees_with_the_value_path() {
        let policy = Policy::compile("t", POLICY, &NoModules, &CheckOptions::default())
            .unwrap_or_else(|e| panic!("{}", e.render()));
        let limits = Limits {
            max_list_len: 3,
            ..Limits::default()
        };
        let valid = [
            r#"{"category": "bullying"}"#,
            r#"{"activity": "use", "device": {"kind": "phone", "owner": "personal"}}"#,
            r#"{"activity": "use", "device": {"kind": null}, "category": null}"#,
            r#"{"id": "a-1", "category": "bullying", "location": "classroom", "time": "lesson"}"#,
            r#"{"id": 17, "category": "bullying", "time": null, "device": null}"#,
            r#"{"id": null, "category": "bullying", "others": null, "facts": null}"#,
            r#"{"category": "bullying", "actor": {"role": "staff", "age": 40, "sen": false}}"#,
            r#"{"category": "bullying", "actor": {"role": null, "age": null}, "subject": null}"#,
            r#"{"category": "bullying", "reporter": {}, "subject": {"role": "pupil"}}"#,
            r#"{"category": "bullying", "others": [], "facts": {}}"#,
            r#"{"category": "bullying", "others": [{"age": 9}, {"role": "pupil", "sen": true}]}"#,
            r#"{"category": "bullying", "facts": {"flag": true, "count": 10, "approver": "none"}}"#,
            r#"{"category": "bullying", "facts": {"count": 0, "approver": "staff", "platform": "other"}}"#,
            r#"{"category": "bullying", "facts": {"flag": null, "count": null, "platform": "snap"}}"#,
            r#"{"c\u0061tegory": "bull\u0079ing", "facts": {"fl\u0061g": false}}"#,
            " {\"category\" : \"bullying\" } \n",
            r#"{"category": "bullying", "activity": "use"}"#,
            r#"{"category": "bullying", "reported_at": "2026-10-23T15:40:00+01:00", "occurred_at": null}"#,
            r#"{"category": "bullying", "occurred_at": "2026-10-23T14:00:00.5z", "reported_at": "2026-10-23t15:40:00+01:00"}"#,
        ];
        let invalid = [
            "",
            "null",
            "[]",
            r#""bullying""#,
            "{",
            r#"{"category": "bullying"} x"#,
            r#"{}"#,
            r#"{"category": null}"#,
            r#"{"category": "nope"}"#,
            r#"{"category": 3}"#,
            r#"{"category": "bullying", "zzz": 1}"#,
            r#"{"category": "bullying", "id": true}"#,
            r#"{"category": "bullying", "id": [1]}"#,
            r#"{"category": "bullying", "actor": "staff"}"#,
            r#"{"category": "bullying", "actor": {"role": "chef"}}"#,
            r#"{"category": "bullying", "actor": {"height": 3}}"#,
            r#"{"category": "bullying", "actor": {"age": 121}}"#,
            r#"{"category": "bullying", "actor": {"age": -1}}"#,
            r#"{"category": "bullying", "actor": {"age": 12.0}}"#,
            r#"{"category": "bullying", "actor": {"age": 99999999999999999999}}"#,
            r#"{"category": "bullying", "others": {}}"#,
            r#"{"category": "bullying", "others": [null]}"#,
            r#"{"category": "bullying", "others": [{}, {}, {}, {}]}"#,
            r#"{"category": "bullying", "device": "phone"}"#,
            r#"{"category": "bullying", "device": {"colour": "red"}}"#,
            r#"{"category": "bullying", "device": {"kind": "pager"}}"#,
            r#"{"category": "bullying", "facts": []}"#,
            r#"{"category": "bullying", "facts": {"nope": true}}"#,
            r#"{"category": "bullying", "facts": {"nope": null}}"#,
            r#"{"category": "bullying", "facts": {"flag": "yes"}}"#,
            r#"{"category": "bullying", "facts": {"count": 11}}"#,
            r#"{"category": "bullying", "facts": {"approver": "chef"}}"#,
            r#"{"category": "bullying", "facts": {"platform": "myspace"}}"#,
            r#"{"category": "bullying", "facts": {"platform": 1}}"#,
            r#"{"category": "bullying", "reported_at": "2026-10-23T15:40"}"#,
            r#"{"category": "bullying", "reported_at": "2026-02-30T15:40:00Z"}"#,
            r#"{"category": "bullying", "reported_at": 5}"#,
            r#"{"category": "bullying", "occurred_at": "2026-10-23T16:00:00+01:00", "reported_at": "2026-10-23T15:40:00+01:00"}"#,
        ];
        // Repeated keys: the fast path leaves them to the slow path, which rejects them.
        let repeated = [
            r#"{"category": "bullying", "category": "bullying"}"#,
            r#"{"category": "bullying", "actor": {"age": 9, "age": 10}}"#,
            r#"{"category": "bullying", "actor": {"role": "staff", "role": "pupil"}}"#,
            r#"{"category": "bullying", "device": {"kind": "phone", "kind": "phone"}}"#,
            r#"{"category": "bullying", "facts": {"flag": true, "flag": false}}"#,
            r#"{"category": "bullying", "reported_at": "2026-10-23T15:40:00Z", "reported_at": "2026-10-23T15:40:00Z"}"#,
        ];
        for text in repeated {
            assert_eq!(fast::read(&policy.ir, text, &limits), None, "{text}");
            let err = Incident::from_json(&policy.ir, text, &limits).unwrap_err();
            assert_eq!(err.code, "haven::incident::duplicate_key", "{text}");
        }
        for text in valid {
            let slow = parse_json(text, &limits)
                .and_then(|v| Incident::from_value(&policy.ir, &v, &limits))
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            let fast = fast::read(&policy.ir, text, &limits);
            assert_eq!(fast.as_ref(), Some(&slow), "{text}");
            assert_eq!(Incident::from_json(&policy.ir, text, &limits), Ok(slow));
        }
        for text in invalid {
            let slow = parse_json(text, &limits)
                .and_then(|v| Incident::from_value(&policy.ir, &v, &limits));
            let Err(slow) = slow else {
                panic!("{text} should be rejected")
            };
            assert_eq!(fast::read(&policy.ir, text, &limits), None, "{text}");
            assert_eq!(Incident::from_json(&policy.ir, text, &limits), Err(slow));
        }
    }

    /// A depth limit below what the fast reader accepts still rejects a record it would
    /// read (the fast reader skips the depth scan only when the limit is 3 or more).
    #[test]
    fn a_low_depth_limit_holds_on_the_fast_path() {
        let policy = Policy::compile("t", POLICY, &NoModules, &CheckOptions::default())
            .unwrap_or_else(|e| panic!("{}", e.render()));
        let limits = |d| Limits {
            max_incident_depth: d,
            ..Limits::default()
        };
        let actor = r#"{"category": "bullying", "actor": {"age": 9}}"#;
        let others = r#"{"category": "bullying", "others": [{"age": 9}]}"#;
        let code = |text: &str, d| {
            Incident::from_json(&policy.ir, text, &limits(d))
                .err()
                .map(|e| e.code)
        };
        assert_eq!(code(actor, 1), Some("haven::incident::too_deep"));
        assert_eq!(code(actor, 2), None);
        assert_eq!(code(others, 2), Some("haven::incident::too_deep"));
        assert_eq!(code(others, 3), None);
        let all = Incident::from_json_all(&policy.ir, others, &limits(2)).unwrap_err();
        assert_eq!(all[0].code, "haven::incident::too_deep");
    }

    /// Key path, code and (line, column) of one error.
    type Found = (String, &'static str, Option<(usize, usize)>);

    fn all_errors(text: &str) -> Vec<Found> {
        let policy = Policy::compile("t", POLICY, &NoModules, &CheckOptions::default())
            .unwrap_or_else(|e| panic!("{}", e.render()));
        let errs = Incident::from_json_all(&policy.ir, text, &Limits::default()).unwrap_err();
        errs.into_iter()
            .map(|e| (e.key, e.code, e.line.zip(e.column)))
            .collect()
    }

    /// A repeated key is an error at every depth, naming the key path and both positions.
    #[test]
    fn duplicate_keys_at_every_depth_name_both_positions() {
        let text = "{\"category\": \"bullying\",\n \"category\": \"bullying\",\n \"actor\": {\"age\": 9, \"age\": 10},\n \"device\": {\"kind\": \"phone\", \"kind\": \"phone\"},\n \"others\": [{}, {\"role\": \"pupil\", \"r\\u006fle\": \"pupil\"}],\n \"facts\": {\"flag\": true, \"flag\": false}}";
        let dup = "haven::incident::duplicate_key";
        assert_eq!(
            all_errors(text),
            [
                ("category".to_owned(), dup, Some((2, 2))),
                ("actor.age".to_owned(), dup, Some((3, 22))),
                ("device.kind".to_owned(), dup, Some((4, 30))),
                ("others[1].role".to_owned(), dup, Some((5, 35))),
                ("facts.flag".to_owned(), dup, Some((6, 26))),
            ]
        );
        let policy = Policy::compile("t", POLICY, &NoModules, &CheckOptions::default())
            .unwrap_or_else(|e| panic!("{}", e.render()));
        let first = Incident::from_json(&policy.ir, text, &Limits::default()).unwrap_err();
        assert_eq!(
            first.message,
            "key `category` appears twice: at 1:2 and 2:2"
        );
        // Keys that repeat across objects, or values that look like keys, are fine.
        let ok = r#"{"category": "bullying", "actor": {"age": 9}, "subject": {"age": 9}, "facts": {"flag": true}, "id": "age"}"#;
        assert!(Incident::from_json_all(&policy.ir, ok, &Limits::default()).is_ok());
    }

    /// Every error of a record, not only the first, each with its code and key: record keys
    /// in contract order, the keys inside an object in name order.
    #[test]
    fn a_record_reports_every_error() {
        let text = r#"{"category": "nope", "zzz": 1, "actor": {"age": 121, "height": 3, "role": "chef"},
            "device": {"kind": "pager"}, "others": [null, {"sen": "yes"}],
            "facts": {"count": 11, "nope": true, "flag": "yes"}, "id": true}"#;
        let got: Vec<(String, &str)> = all_errors(text)
            .into_iter()
            .map(|(k, c, _)| (k, c.trim_start_matches("haven::incident::")))
            .collect();
        let want = [
            ("zzz", "unknown_key"),
            ("category", "unknown_value"),
            ("actor.age", "out_of_range"),
            ("actor.height", "unknown_key"),
            ("actor.role", "unknown_value"),
            ("id", "wrong_type"),
            ("device.kind", "unknown_value"),
            ("others[0]", "wrong_type"),
            ("others[1].sen", "wrong_type"),
            ("facts.count", "out_of_range"),
            ("facts.flag", "wrong_type"),
            ("facts.nope", "unknown_fact"),
        ];
        let want: Vec<(String, &str)> = want.iter().map(|(k, c)| ((*k).to_owned(), *c)).collect();
        assert_eq!(got, want);
        // Invalid JSON is one error, with its position.
        assert_eq!(
            all_errors("{\n  \"category\": }"),
            [(
                String::new(),
                "haven::incident::invalid_json",
                Some((2, 15))
            )]
        );
    }
}
