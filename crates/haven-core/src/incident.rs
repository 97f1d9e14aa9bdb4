//! The incident record (DESIGN §4): JSON in, typed facts out. Unknown keys and wrongly typed
//! values are errors naming the key and the expected type; absent or `null` means unknown.

use crate::ir::{quote_list, FactInfo, FactTy, PolicyIr, Sym, Vocab};
use crate::limits::Limits;
use crate::syntax::ast::TokenKind;
use serde::Serialize;
use serde_json::{Map, Value};

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

/// One person in the incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Person {
    pub(crate) role: Val,
    pub(crate) facts: Vec<Val>,
}

/// A validated incident record, ready to evaluate against the policy that read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    pub(crate) id: Option<Value>,
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
}

impl IncidentError {
    fn new(code: &'static str, key: &str, expected: impl Into<String>, message: String) -> Self {
        IncidentError {
            key: key.to_owned(),
            expected: expected.into(),
            message,
            code,
        }
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

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut t: String = s.chars().take(40).collect();
        t.push('…');
        t
    } else {
        s.to_owned()
    }
}

const TOP_KEYS: [&str; 11] = [
    "id", "category", "activity", "actor", "subject", "reporter", "others", "device", "location",
    "time", "facts",
];

/// Parse JSON text into a value, enforcing the size and depth limits.
pub(crate) fn parse_json(text: &str, limits: &Limits) -> Result<Value, IncidentError> {
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
    serde_json::from_str(text).map_err(|e| {
        IncidentError::new(
            "haven::incident::invalid_json",
            "",
            "a JSON object",
            format!("incident is not valid JSON: {e}"),
        )
    })
}

impl Incident {
    /// Validate a JSON value against a policy's vocabulary.
    pub(crate) fn from_value(
        ir: &PolicyIr,
        value: &Value,
        limits: &Limits,
    ) -> Result<Incident, IncidentError> {
        let Value::Object(map) = value else {
            return Err(IncidentError::wrong_type("", "an object", value));
        };
        for key in map.keys() {
            if !TOP_KEYS.contains(&key.as_str()) {
                return Err(unknown_key(key, &TOP_KEYS));
            }
        }
        let vocab = &ir.vocab;
        let get = |k: &str| map.get(k).filter(|v| !v.is_null());
        let mut incident = Incident {
            id: map.get("id").cloned().filter(|v| !v.is_null()),
            category: token(vocab, TokenKind::Category, "category", get("category"))?,
            activity: token(vocab, TokenKind::Activity, "activity", get("activity"))?,
            location: token(vocab, TokenKind::Location, "location", get("location"))?,
            time: token(vocab, TokenKind::Time, "time", get("time"))?,
            device_kind: Val::Unknown,
            device_owner: Val::Unknown,
            actor: person(vocab, "actor", get("actor"))?,
            subject: person(vocab, "subject", get("subject"))?,
            reporter: person(vocab, "reporter", get("reporter"))?,
            others: None,
            facts: vec![Val::Unknown; vocab.facts.len()],
        };
        if let Some(id) = &incident.id {
            if !(id.is_string() || id.is_number()) {
                return Err(IncidentError::wrong_type("id", "a string or number", id));
            }
        }
        match (incident.category, incident.activity) {
            (Val::Unknown, Val::Unknown) => {
                return Err(IncidentError::new(
                    "haven::incident::missing_category",
                    "category",
                    "an incident category, or an `activity` for a permission request",
                    "incident has neither `category` nor `activity`".to_owned(),
                ))
            }
            (Val::Unknown, _) => incident.category = Val::Absent,
            (_, Val::Unknown) => incident.activity = Val::Absent,
            _ => {}
        }
        if let Some(device) = get("device") {
            let Value::Object(d) = device else {
                return Err(IncidentError::wrong_type(
                    "device",
                    "an object like {\"kind\": \"phone\", \"owner\": \"personal\"}",
                    device,
                ));
            };
            for key in d.keys() {
                if key != "kind" && key != "owner" {
                    return Err(unknown_key(&format!("device.{key}"), &["kind", "owner"]));
                }
            }
            let dget = |k: &str| d.get(k).filter(|v| !v.is_null());
            incident.device_kind = token(vocab, TokenKind::Device, "device.kind", dget("kind"))?;
            incident.device_owner = token(vocab, TokenKind::Owner, "device.owner", dget("owner"))?;
        }
        if let Some(others) = get("others") {
            let Value::Array(list) = others else {
                return Err(IncidentError::wrong_type(
                    "others",
                    "a list of people",
                    others,
                ));
            };
            if list.len() > limits.max_list_len {
                return Err(IncidentError::new(
                    "haven::incident::list_too_long",
                    "others",
                    format!("at most {} people", limits.max_list_len),
                    format!(
                        "`others` lists {} people (limit {})",
                        list.len(),
                        limits.max_list_len
                    ),
                ));
            }
            let mut people = Vec::with_capacity(list.len());
            for (i, p) in list.iter().enumerate() {
                let key = format!("others[{i}]");
                if p.is_null() {
                    return Err(IncidentError::wrong_type(&key, "a person object", p));
                }
                if let Some(person) = person(vocab, &key, Some(p))? {
                    people.push(person);
                }
            }
            incident.others = Some(people);
        }
        if let Some(facts) = get("facts") {
            let Value::Object(f) = facts else {
                return Err(IncidentError::wrong_type(
                    "facts",
                    "an object of facts",
                    facts,
                ));
            };
            for (key, v) in f {
                let Some(&idx) = vocab.fact_index.get(key) else {
                    let names: Vec<String> = vocab.facts.iter().map(|f| f.name.clone()).collect();
                    let mut err = IncidentError::new(
                        "haven::incident::unknown_fact",
                        &format!("facts.{key}"),
                        format!("a declared fact: {}", quote_list(&names)),
                        format!("unknown fact `facts.{key}`"),
                    );
                    if let Some(s) = crate::check::suggest(key, &names) {
                        err.message.push_str(&format!(" (did you mean `{s}`?)"));
                    }
                    return Err(err);
                };
                let Some(info) = vocab.facts.get(idx) else {
                    continue;
                };
                if let Some(slot) = incident.facts.get_mut(idx) {
                    *slot = fact_value(vocab, info, &format!("facts.{key}"), v)?;
                }
            }
        }
        Ok(incident)
    }
}

fn unknown_key(key: &str, allowed: &[&str]) -> IncidentError {
    let allowed: Vec<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let mut message = format!("unknown key `{key}`");
    if let Some(s) = crate::check::suggest(leaf, &allowed) {
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
    key: &str,
    v: Option<&Value>,
) -> Result<Val, IncidentError> {
    let Some(v) = v else { return Ok(Val::Unknown) };
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
            if let Some(sug) = crate::check::suggest(s, &names) {
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

fn person(vocab: &Vocab, key: &str, v: Option<&Value>) -> Result<Option<Person>, IncidentError> {
    let Some(v) = v else { return Ok(None) };
    let Value::Object(map) = v else {
        return Err(IncidentError::wrong_type(
            key,
            "a person object like {\"role\": \"pupil\", \"age\": 12}",
            v,
        ));
    };
    person_fields(vocab, key, map).map(Some)
}

fn person_fields(
    vocab: &Vocab,
    key: &str,
    map: &Map<String, Value>,
) -> Result<Person, IncidentError> {
    let mut person = Person {
        role: Val::Unknown,
        facts: vec![Val::Unknown; vocab.person_facts.len()],
    };
    for (k, v) in map {
        let path = format!("{key}.{k}");
        if k == "role" {
            person.role = token(
                vocab,
                TokenKind::Role,
                &path,
                Some(v).filter(|v| !v.is_null()),
            )?;
            continue;
        }
        let Some(&idx) = vocab.person_fact_index.get(k) else {
            let mut allowed: Vec<&str> = vec!["role"];
            allowed.extend(vocab.person_facts.iter().map(|f| f.name.as_str()));
            return Err(unknown_key(&path, &allowed));
        };
        let Some(info) = vocab.person_facts.get(idx) else {
            continue;
        };
        if let Some(slot) = person.facts.get_mut(idx) {
            *slot = fact_value(vocab, info, &path, v)?;
        }
    }
    Ok(person)
}

fn fact_value(vocab: &Vocab, info: &FactInfo, key: &str, v: &Value) -> Result<Val, IncidentError> {
    if v.is_null() {
        return Ok(Val::Unknown);
    }
    let expected = info.ty.describe();
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
        (FactTy::Role, Value::String(_)) => token(vocab, TokenKind::Role, key, Some(v)),
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
