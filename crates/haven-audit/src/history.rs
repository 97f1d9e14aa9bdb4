//! History records (docs/history.md): an incident, when it happened and was reported, what
//! was done, and where the DSL departed from the policy on purpose. Validated against the
//! policy's vocabulary; every error names the key it is about.

use haven_calendar::calendar::{age_on, year_group};
use haven_calendar::time::{Day, LocalTime};
use haven_core::api::data::kind_of;
use haven_core::syntax::ast::TokenKind;
use haven_core::{Incident, Policy};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fmt;

/// An action actually taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    /// The action token, e.g. `refer`.
    pub action: String,
    /// Who or what it was directed at (roles, agencies, places); empty when not recorded.
    pub targets: Vec<String>,
    /// The role that took it, when recorded.
    pub by: Option<String>,
    /// When.
    pub at: LocalTime,
}

/// How a recorded professional judgement departs from the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Departure {
    /// The action was deliberately not taken.
    NotTaken,
    /// The action was taken differently (later, another target, another way).
    TakenDifferently,
}

impl Departure {
    /// `not_taken` or `taken_differently`.
    pub fn as_str(self) -> &'static str {
        match self {
            Departure::NotTaken => "not_taken",
            Departure::TakenDifferently => "taken_differently",
        }
    }
}

/// A recorded professional judgement: where the DSL departed from what the policy requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// The action departed from.
    pub action: String,
    /// Its target, when the judgement is about one target only.
    pub target: Option<String>,
    /// The rule departed from, when recorded.
    pub rule: Option<String>,
    /// Not taken, or taken differently.
    pub departure: Departure,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub decided_by: String,
    /// Who reviewed the decision, if anyone has.
    pub reviewed_by: Option<String>,
}

/// One validated history record.
#[derive(Clone, Debug)]
pub struct HistoryRecord {
    /// The record's id (or `line N` when it has none).
    pub id: String,
    /// The school it belongs to, if the record says.
    pub school: Option<String>,
    /// When the incident happened.
    pub occurred_at: Option<LocalTime>,
    /// When it was reported to the school: deadlines run from here.
    pub reported_at: LocalTime,
    /// The incident category, if given.
    pub category: Option<String>,
    /// The validated incident.
    pub incident: Incident,
    /// What was done.
    pub taken: Vec<Taken>,
    /// Recorded departures.
    pub judgements: Vec<Judgement>,
}

/// A history record that cannot be audited: the key it is about and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryError {
    /// The key path, e.g. `taken[2].at` or `incident.actor.age`; empty for the whole record.
    pub key: String,
    /// The message.
    pub message: String,
    /// A stable code, e.g. `haven::history::bad_time`.
    pub code: &'static str,
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HistoryError {}

impl HistoryError {
    /// The code and the message on one line: `haven::history::bad_time: `reported_at` …`.
    pub fn coded(&self) -> String {
        format!("{}: {}", self.code, self.message)
    }
}

fn err(code: &'static str, key: &str, message: String) -> HistoryError {
    HistoryError {
        key: key.to_owned(),
        message,
        code,
    }
}

const TOP_KEYS: &[&str] = &[
    "id",
    "school",
    "occurred_at",
    "reported_at",
    "incident",
    "taken",
    "judgements",
];
const TAKEN_KEYS: &[&str] = &["action", "target", "by", "at"];
const JUDGEMENT_KEYS: &[&str] = &[
    "action",
    "target",
    "rule",
    "departure",
    "reason",
    "decided_by",
    "reviewed_by",
];
const PERSON_KEYS: &[&str] = &["actor", "subject", "reporter"];

fn check_keys(
    obj: &Map<String, Value>,
    allowed: &[&str],
    prefix: &str,
) -> Result<(), HistoryError> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            let path = join(prefix, key);
            return Err(err(
                "haven::history::unknown_key",
                &path,
                format!(
                    "unknown key `{path}` (expected one of: {})",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn string<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<Option<&'v str>, HistoryError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => {
            let path = join(prefix, key);
            Err(err(
                "haven::history::wrong_type",
                &path,
                format!("`{path}` must be a string, found {}", kind_of(other)),
            ))
        }
    }
}

fn required<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<&'v str, HistoryError> {
    string(obj, key, prefix)?.ok_or_else(|| {
        let path = join(prefix, key);
        err(
            "haven::history::missing_key",
            &path,
            format!("`{path}` is required"),
        )
    })
}

fn time(
    obj: &Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<Option<LocalTime>, HistoryError> {
    match string(obj, key, prefix)? {
        None => Ok(None),
        Some(s) => LocalTime::parse(s).map(Some).ok_or_else(|| {
            let path = join(prefix, key);
            err(
                "haven::history::bad_time",
                &path,
                format!("`{path}` must be a date and time such as 2026-03-13T15:40 (UK local time) or 2026-03-13T15:40:00Z, found `{s}`"),
            )
        }),
    }
}

fn object<'v>(v: &'v Value, path: &str) -> Result<&'v Map<String, Value>, HistoryError> {
    v.as_object().ok_or_else(|| {
        err(
            "haven::history::wrong_type",
            path,
            format!(
                "`{}` must be an object, found {}",
                if path.is_empty() { "the record" } else { path },
                kind_of(v)
            ),
        )
    })
}

fn list<'v>(obj: &'v Map<String, Value>, key: &str) -> Result<&'v [Value], HistoryError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(err(
            "haven::history::wrong_type",
            key,
            format!("`{key}` must be a list, found {}", kind_of(other)),
        )),
    }
}

/// What a record is checked against: the policy's vocabulary and rule ids.
pub(crate) struct Validator<'p> {
    pub(crate) policy: &'p Policy,
    pub(crate) rules: &'p HashSet<String>,
}

impl Validator<'_> {
    fn token(
        &self,
        kinds: &[TokenKind],
        name: &str,
        path: &str,
        what: &str,
    ) -> Result<(), HistoryError> {
        if kinds.iter().any(|k| self.policy.has_token(*k, name)) {
            Ok(())
        } else {
            Err(err(
                "haven::history::unknown_token",
                path,
                format!("`{path}`: `{name}` is not {what} the policy's vocabulary declares"),
            ))
        }
    }

    /// Parse and validate one record given as JSON text. `fallback_id` names records
    /// without an `id` (the CLI passes `line N`).
    pub(crate) fn parse(
        &self,
        text: &str,
        fallback_id: &str,
    ) -> Result<HistoryRecord, HistoryError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            err(
                "haven::history::not_json",
                "",
                format!("not a JSON object: {e}"),
            )
        })?;
        self.parse_value(value, fallback_id)
    }

    pub(crate) fn parse_value(
        &self,
        value: Value,
        fallback_id: &str,
    ) -> Result<HistoryRecord, HistoryError> {
        let obj = object(&value, "")?;
        check_keys(obj, TOP_KEYS, "")?;
        let id = match obj.get("id") {
            None | Some(Value::Null) => fallback_id.to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(err(
                    "haven::history::wrong_type",
                    "id",
                    format!("`id` must be a string or number, found {}", kind_of(other)),
                ))
            }
        };
        let school = string(obj, "school", "")?.map(str::to_owned);
        let occurred_at = time(obj, "occurred_at", "")?;
        let reported_at = time(obj, "reported_at", "")?.ok_or_else(|| {
            err(
                "haven::history::missing_key",
                "reported_at",
                "`reported_at` is required: deadlines run from the report".into(),
            )
        })?;
        if let Some(occurred) = occurred_at {
            if occurred > reported_at {
                return Err(err(
                    "haven::history::reported_before_occurred",
                    "occurred_at",
                    format!("`occurred_at` ({occurred}) is after `reported_at` ({reported_at})"),
                ));
            }
        }
        let incident_value = obj.get("incident").ok_or_else(|| {
            err(
                "haven::history::missing_key",
                "incident",
                "`incident` is required".into(),
            )
        })?;
        object(incident_value, "incident")?;
        let on = occurred_at.unwrap_or(reported_at).day();
        let incident_value = derive_people(incident_value.clone(), on)?;
        let category = incident_value
            .get("category")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let incident = self
            .policy
            .incident_from_value(&incident_value)
            .map_err(|e| {
                let key = if e.key.is_empty() {
                    "incident".to_owned()
                } else {
                    format!("incident.{}", e.key)
                };
                HistoryError {
                    message: format!("`{key}`: {}", e.message),
                    key,
                    code: e.code,
                }
            })?;

        let mut taken = Vec::new();
        for (i, t) in list(obj, "taken")?.iter().enumerate() {
            let prefix = format!("taken[{i}]");
            let t = object(t, &prefix)?;
            check_keys(t, TAKEN_KEYS, &prefix)?;
            let action = required(t, "action", &prefix)?;
            self.token(
                &[TokenKind::Action],
                action,
                &join(&prefix, "action"),
                "an action",
            )?;
            let targets = self.targets(t, &prefix)?;
            let by = string(t, "by", &prefix)?;
            if let Some(by) = by {
                self.token(&[TokenKind::Role], by, &join(&prefix, "by"), "a role")?;
            }
            let at = time(t, "at", &prefix)?.ok_or_else(|| {
                let path = join(&prefix, "at");
                err(
                    "haven::history::missing_key",
                    &path,
                    format!("`{path}` is required: when the action was taken"),
                )
            })?;
            taken.push(Taken {
                action: action.to_owned(),
                targets,
                by: by.map(str::to_owned),
                at,
            });
        }

        let mut judgements = Vec::new();
        for (i, j) in list(obj, "judgements")?.iter().enumerate() {
            let prefix = format!("judgements[{i}]");
            let j = object(j, &prefix)?;
            check_keys(j, JUDGEMENT_KEYS, &prefix)?;
            let action = required(j, "action", &prefix)?;
            self.token(
                &[TokenKind::Action],
                action,
                &join(&prefix, "action"),
                "an action",
            )?;
            let target = string(j, "target", &prefix)?;
            if let Some(target) = target {
                self.token(
                    &[TokenKind::Role, TokenKind::Agency, TokenKind::Location],
                    target,
                    &join(&prefix, "target"),
                    "a role, agency or place",
                )?;
            }
            let rule = string(j, "rule", &prefix)?;
            if let Some(rule) = rule {
                if !self.rules.contains(rule) {
                    let path = join(&prefix, "rule");
                    return Err(err(
                        "haven::history::unknown_rule",
                        &path,
                        format!("`{path}`: the policy has no rule `{rule}`"),
                    ));
                }
            }
            let departure = match required(j, "departure", &prefix)? {
                "not_taken" => Departure::NotTaken,
                "taken_differently" => Departure::TakenDifferently,
                other => {
                    let path = join(&prefix, "departure");
                    return Err(err(
                        "haven::history::bad_departure",
                        &path,
                        format!(
                            "`{path}` must be `not_taken` or `taken_differently`, found `{other}`"
                        ),
                    ));
                }
            };
            let reason = required(j, "reason", &prefix)?;
            if reason.trim().is_empty() {
                let path = join(&prefix, "reason");
                return Err(err(
                    "haven::history::missing_key",
                    &path,
                    format!("`{path}` must say why"),
                ));
            }
            judgements.push(Judgement {
                action: action.to_owned(),
                target: target.map(str::to_owned),
                rule: rule.map(str::to_owned),
                departure,
                reason: reason.to_owned(),
                decided_by: required(j, "decided_by", &prefix)?.to_owned(),
                reviewed_by: string(j, "reviewed_by", &prefix)?.map(str::to_owned),
            });
        }

        Ok(HistoryRecord {
            id,
            school,
            occurred_at,
            reported_at,
            category,
            incident,
            taken,
            judgements,
        })
    }

    fn targets(&self, t: &Map<String, Value>, prefix: &str) -> Result<Vec<String>, HistoryError> {
        let path = join(prefix, "target");
        let names: Vec<&str> = match t.get("target") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => {
                let mut out = Vec::new();
                for (i, v) in a.iter().enumerate() {
                    out.push(v.as_str().ok_or_else(|| {
                        err(
                            "haven::history::wrong_type",
                            &format!("{path}[{i}]"),
                            format!("`{path}[{i}]` must be a string, found {}", kind_of(v)),
                        )
                    })?);
                }
                out
            }
            Some(other) => {
                return Err(err(
                    "haven::history::wrong_type",
                    &path,
                    format!(
                        "`{path}` must be a string or a list of strings, found {}",
                        kind_of(other)
                    ),
                ))
            }
        };
        for name in &names {
            self.token(
                &[TokenKind::Role, TokenKind::Agency, TokenKind::Location],
                name,
                &path,
                "a role, agency or place",
            )?;
        }
        Ok(names.into_iter().map(str::to_owned).collect())
    }
}

/// Replace each person's `date_of_birth` by the `age` on the incident date and, for pupils
/// (or people whose role is not given), the `year_group`, unless the record gives them; a
/// given value that disagrees with the date of birth is an error.
fn derive_people(mut incident: Value, on: Day) -> Result<Value, HistoryError> {
    let Some(obj) = incident.as_object_mut() else {
        return Ok(incident);
    };
    for key in PERSON_KEYS {
        if let Some(person) = obj.get_mut(*key) {
            derive_person(person, &format!("incident.{key}"), on)?;
        }
    }
    if let Some(Value::Array(others)) = obj.get_mut("others") {
        for (i, person) in others.iter_mut().enumerate() {
            derive_person(person, &format!("incident.others[{i}]"), on)?;
        }
    }
    Ok(incident)
}

fn derive_person(person: &mut Value, path: &str, on: Day) -> Result<(), HistoryError> {
    let Some(p) = person.as_object_mut() else {
        return Ok(());
    };
    let Some(dob) = p.remove("date_of_birth") else {
        return Ok(());
    };
    let key = format!("{path}.date_of_birth");
    let born = match &dob {
        Value::Null => return Ok(()),
        Value::String(s) => Day::parse(s).ok_or_else(|| {
            err(
                "haven::history::bad_date",
                &key,
                format!("`{key}` must be a date such as 2014-09-01, found `{s}`"),
            )
        })?,
        other => {
            return Err(err(
                "haven::history::wrong_type",
                &key,
                format!("`{key}` must be a date string, found {}", kind_of(other)),
            ))
        }
    };
    if born > on {
        return Err(err(
            "haven::history::born_after_incident",
            &key,
            format!("`{key}` ({born}) is after the incident ({on})"),
        ));
    }
    let age = age_on(born, on);
    let derived_year = year_group(born, on);
    let pupil_like = matches!(p.get("role"), None | Some(Value::Null))
        || p.get("role").and_then(Value::as_str) == Some("pupil");
    let mut set = |field: &str, value: i64| -> Result<(), HistoryError> {
        match p.get(field) {
            None | Some(Value::Null) => {
                p.insert(field.to_owned(), Value::from(value));
                Ok(())
            }
            Some(given) if given.as_i64() == Some(value) => Ok(()),
            Some(given) => {
                let k = format!("{path}.{field}");
                Err(err(
                    "haven::history::disagrees_with_date_of_birth",
                    &k,
                    format!("`{k}` is {given} but `date_of_birth` {born} gives {value} on {on}"),
                ))
            }
        }
    };
    set("age", age)?;
    if pupil_like && (-1..=13).contains(&derived_year) {
        set("year_group", derived_year)?;
    }
    Ok(())
}
