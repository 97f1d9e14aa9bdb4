//! JSON Schemas (draft 2020-12) of the incident record and the decision, version 1.
//!
//! The incident schema is generated from the record table ([`crate::record::FIELDS`]) and a
//! policy's vocabulary: every fact the vocabulary declares gets its type. An *open* schema
//! (the committed `docs/schema/incident.v1.json`, made from `policies/std`) also accepts the
//! facts, person facts and tokens a school policy adds; a *closed* one (`haven schema
//! incident --policy DIR`) accepts exactly one policy's vocabulary. The decision schema
//! follows the serialisers in `decision.rs`; its enums come from the language's keywords.

use crate::ir::{FactInfo, FactTy, PolicyIr};
use crate::record::{self, Slot};
use crate::syntax::ast::{Modality, PermConditionKind, TargetMode, TokenKind, Verdict};
use serde_json::{json, Map, Value};

/// The draft the schemas declare.
pub const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Version of the incident record and decision contracts.
pub const CONTRACT_VERSION: u32 = 1;

/// An RFC 3339 date-time with its offset (`format: date-time` is only an annotation in
/// draft 2020-12, so the shape is also a pattern).
const TIMESTAMP_PATTERN: &str =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

/// A vocabulary name: what the grammar accepts as an identifier.
const NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";

fn nullable(mut schema: Value) -> Value {
    if let Some(Value::String(t)) = schema.get("type").cloned() {
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("type".to_owned(), json!([t, "null"]));
        }
    }
    schema
}

fn fact_schema(ir: &PolicyIr, info: &FactInfo, closed: bool) -> Value {
    let mut s = match &info.ty {
        FactTy::Bool => json!({ "type": ["boolean", "null"] }),
        FactTy::Int { min, max } => {
            json!({ "type": ["integer", "null"], "minimum": min, "maximum": max })
        }
        FactTy::Role => {
            if closed {
                let mut names: Vec<Value> = ir
                    .vocab
                    .names(TokenKind::Role)
                    .into_iter()
                    .map(Value::String)
                    .collect();
                names.push(json!("none"));
                names.push(Value::Null);
                json!({ "enum": names })
            } else {
                json!({ "type": ["string", "null"], "pattern": NAME_PATTERN })
            }
        }
        FactTy::Enum(values) => {
            let mut v: Vec<Value> = values.iter().cloned().map(Value::String).collect();
            v.push(Value::Null);
            json!({ "enum": v })
        }
    };
    if let (Some(obj), Some(ask)) = (s.as_object_mut(), &info.ask) {
        obj.insert(
            "description".to_owned(),
            json!(ask.replace("{who}", "person")),
        );
    }
    s
}

fn token_schema(ir: &PolicyIr, kind: TokenKind, doc: &str, closed: bool) -> Value {
    let names = ir.vocab.names(kind);
    if closed {
        let mut v: Vec<Value> = names.into_iter().map(Value::String).collect();
        v.push(Value::Null);
        json!({ "description": doc, "enum": v })
    } else {
        json!({
            "description": doc,
            "type": ["string", "null"],
            "pattern": NAME_PATTERN,
            "examples": names,
        })
    }
}

/// Any value a fact may take (for the facts an open schema does not know).
fn any_fact() -> Value {
    json!({ "type": ["boolean", "integer", "string", "null"] })
}

fn facts_object(ir: &PolicyIr, facts: &[FactInfo], closed: bool, doc: &str) -> Value {
    let mut props = Map::new();
    for f in facts {
        props.insert(f.name.clone(), fact_schema(ir, f, closed));
    }
    json!({
        "description": doc,
        "type": "object",
        "properties": props,
        "additionalProperties": if closed { Value::Bool(false) } else { any_fact() },
    })
}

/// The incident record schema for a policy's vocabulary. `closed` rejects names the
/// vocabulary does not declare; open accepts any well-formed name (school extensions).
pub(crate) fn incident(ir: &PolicyIr, closed: bool) -> Value {
    let mut props = Map::new();
    for row in record::FIELDS.iter().filter(|r| r.is_top()) {
        let s = match row.slot {
            Slot::Id => json!({ "description": row.doc, "type": ["string", "number", "null"] }),
            Slot::Token(_, kind) => token_schema(ir, kind, row.doc, closed),
            Slot::Person(..) => json!({
                "description": row.doc,
                "anyOf": [{ "$ref": "#/$defs/person" }, { "type": "null" }],
            }),
            Slot::People => json!({
                "description": row.doc,
                "type": ["array", "null"],
                "items": { "$ref": "#/$defs/person" },
                "maxItems": crate::Limits::default().max_list_len,
            }),
            Slot::Object => {
                let mut inner = Map::new();
                for key in record::child_keys(row.path) {
                    let path = format!("{}.{key}", row.path);
                    if let Some(child) = record::FIELDS.iter().find(|r| r.path == path) {
                        if let Slot::Token(_, kind) = child.slot {
                            inner.insert(key.to_owned(), token_schema(ir, kind, child.doc, closed));
                        }
                    }
                }
                nullable(json!({
                    "description": row.doc,
                    "type": "object",
                    "properties": inner,
                    "additionalProperties": false,
                }))
            }
            Slot::Facts => nullable(facts_object(ir, &ir.vocab.facts, closed, row.doc)),
            Slot::Timestamp(_) => json!({
                "description": row.doc,
                "type": ["string", "null"],
                "format": "date-time",
                "pattern": TIMESTAMP_PATTERN,
            }),
        };
        props.insert(row.path.to_owned(), s);
    }
    let mut person = facts_object(
        ir,
        &ir.vocab.person_facts,
        closed,
        "A person: a role and the vocabulary's person facts.",
    );
    if let Some(Value::Object(p)) = person.get_mut("properties") {
        p.insert(
            "role".to_owned(),
            token_schema(ir, TokenKind::Role, "The person's role.", closed),
        );
    }
    let title = format!("haven incident record, version {CONTRACT_VERSION}");
    let id = if closed {
        format!("urn:haven:incident:v{CONTRACT_VERSION}:{}", ir.meta.id)
    } else {
        format!("urn:haven:incident:v{CONTRACT_VERSION}")
    };
    json!({
        "$schema": DRAFT,
        "$id": id,
        "title": title,
        "description": "One incident or permission request. Absent or null means unknown. \
                        At least one of `category` and `activity` is given. Keys are unique \
                        at every depth. See docs/contract.md.",
        "type": "object",
        "properties": props,
        "additionalProperties": false,
        "anyOf": [
            { "required": ["category"], "properties": { "category": { "type": "string" } } },
            { "required": ["activity"], "properties": { "activity": { "type": "string" } } },
        ],
        "$defs": { "person": person },
    })
}

fn keywords<T: Copy>(all: &[T], kw: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|&t| kw(t)).collect()
}

/// The decision schema, version 1.
pub(crate) fn decision() -> Value {
    use Modality::*;
    let modality = keywords(&[Must, MustNot, Should, ShouldNot, May], Modality::keyword);
    let mut verdict: Vec<Value> = keywords(
        &[
            Verdict::Allowed,
            Verdict::AllowedIf,
            Verdict::NotAllowed,
            Verdict::NotAddressed,
        ],
        Verdict::keyword,
    )
    .into_iter()
    .map(Value::from)
    .collect();
    // Undecided: the answer depends on the questions.
    verdict.push(Value::Null);
    let condition = keywords(
        &[
            PermConditionKind::Approval,
            PermConditionKind::Consent,
            PermConditionKind::Place,
            PermConditionKind::Time,
        ],
        PermConditionKind::keyword,
    );
    let target_mode = keywords(&[TargetMode::Any, TargetMode::All], |m| match m {
        TargetMode::Any => "any",
        TargetMode::All => "all",
    });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let opt_string = json!({ "type": ["string", "null"] });
    json!({
        "$schema": DRAFT,
        "$id": format!("urn:haven:decision:v{CONTRACT_VERSION}"),
        "title": format!("haven decision, version {CONTRACT_VERSION}"),
        "description": "What must, should and may happen for one incident, who is told, by \
                        when, which sentence says so, and which questions remain. See \
                        docs/contract.md.",
        "type": "object",
        "required": ["policy", "status", "breach", "permission", "actions", "questions", "notes"],
        "additionalProperties": false,
        "properties": {
            "policy": {
                "type": "object",
                "required": ["id", "version"],
                "additionalProperties": false,
                "properties": { "id": { "type": "string" }, "version": opt_string },
            },
            "incident_id": {
                "description": "The record's `id`, when it had one.",
                "type": ["string", "number"],
            },
            "status": {
                "description": "`incomplete` when some actions depend on facts not given.",
                "enum": ["complete", "incomplete"],
            },
            "breach": {
                "description": "Whether the incident breaches the policy; null when no rule says.",
                "type": ["boolean", "null"],
            },
            "permission": {
                "description": "The answer to a permission request (`activity`); null otherwise.",
                "anyOf": [{ "type": "null" }, { "$ref": "#/$defs/permission" }],
            },
            "actions": { "type": "array", "items": { "$ref": "#/$defs/action" } },
            "questions": { "type": "array", "items": { "$ref": "#/$defs/question" } },
            "notes": strings,
        },
        "$defs": {
            "permission": {
                "type": "object",
                "required": ["verdict", "conditions", "rule", "rules", "cites"],
                "additionalProperties": false,
                "properties": {
                    "verdict": {
                        "description": "null while the answer depends on the questions.",
                        "enum": verdict,
                    },
                    "conditions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["kind", "value"],
                            "additionalProperties": false,
                            "properties": {
                                "kind": { "enum": condition },
                                "value": { "type": "string" },
                            },
                        },
                    },
                    "rule": opt_string,
                    "rules": strings,
                    "cites": strings,
                },
            },
            "action": {
                "type": "object",
                "required": ["modality", "action", "target", "target_mode", "deadline", "by",
                             "person", "rule", "rules", "source", "layer", "cites"],
                "additionalProperties": false,
                "properties": {
                    "modality": { "enum": modality },
                    "action": { "type": "string" },
                    "target": strings,
                    "target_mode": { "enum": target_mode },
                    "deadline": opt_string,
                    "by": opt_string,
                    "person": opt_string,
                    "rule": opt_string,
                    "rules": strings,
                    "source": {
                        "description": "`school` for the school's own rules, `baseline` for a layer beneath.",
                        "enum": ["school", "baseline"],
                    },
                    "layer": {
                        "description": "The id of the policy layer whose rule decided the action.",
                        "type": "string",
                    },
                    "cites": strings,
                    "due": {
                        "description": "Present when the record carries `reported_at`: when the deadline falls on the school's calendar (RFC 3339, UK local time with its offset); null when the deadline names no time. The rules: docs/calendar.md.",
                        "type": ["string", "null"],
                        "format": "date-time",
                    },
                },
            },
            "question": {
                "type": "object",
                "required": ["fact", "ask", "could_add"],
                "additionalProperties": false,
                "properties": {
                    "fact": { "description": "The record path to fill in, e.g. `facts.consent_given` or `actor.age`.", "type": "string" },
                    "ask": { "type": "string" },
                    "could_add": strings,
                },
            },
        },
    })
}
