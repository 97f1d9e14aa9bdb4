//! The decision in Cedar (`cedar-policy`).

use crate::{column_bit, err, PeerError};
use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicyId, PolicySet, Request};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::str::FromStr;

const POLICIES: &str = include_str!("../encodings/decision.cedar");
const ROLES: &str = include_str!("../encodings/roles.json");

/// The compiled Cedar policy set, the role hierarchy and each policy's ticked outputs.
pub struct Cedar {
    policies: PolicySet,
    entities: Entities,
    outputs: HashMap<PolicyId, u16>,
    authorizer: Authorizer,
    principal: EntityUid,
    action: EntityUid,
    resource: EntityUid,
}

fn uid(s: &str) -> Result<EntityUid, PeerError> {
    EntityUid::from_str(s).map_err(|e| err("entity uid", e))
}

impl Cedar {
    /// Parse the encoding.
    pub fn new() -> Result<Self, PeerError> {
        let policies = PolicySet::from_str(POLICIES).map_err(|e| err("decision.cedar", e))?;
        let entities = Entities::from_json_str(ROLES, None).map_err(|e| err("roles.json", e))?;
        let mut outputs = HashMap::new();
        for p in policies.policies() {
            let mut bits = 0;
            for key in p
                .annotation("outputs")
                .unwrap_or_default()
                .split_whitespace()
            {
                bits |=
                    column_bit(key).ok_or_else(|| PeerError(format!("unknown output {key}")))?;
            }
            outputs.insert(p.id().clone(), bits);
        }
        Ok(Cedar {
            policies,
            entities,
            outputs,
            authorizer: Authorizer::new(),
            principal: uid(r#"Incident::"incident""#)?,
            action: uid(r#"Action::"decide""#)?,
            resource: uid(r#"Policy::"basnett_2024""#)?,
        })
    }

    /// The request for a haven incident record: its category, the actor's role as an entity,
    /// every incident fact, and the known ages of everyone involved (Cedar has no
    /// quantifiers, so the policy tests this set).
    pub fn request(&self, incident: &Value) -> Result<Request, PeerError> {
        let mut ctx = Map::new();
        if let Some(c) = incident.get("category").and_then(Value::as_str) {
            ctx.insert("category".into(), json!(c));
        }
        if let Some(r) = incident
            .get("actor")
            .and_then(|a| a.get("role"))
            .and_then(Value::as_str)
        {
            ctx.insert(
                "actor_role".into(),
                json!({ "__entity": { "type": "Role", "id": r } }),
            );
        }
        if let Some(facts) = incident.get("facts").and_then(Value::as_object) {
            for (k, v) in facts {
                if !v.is_null() {
                    ctx.insert(k.clone(), v.clone());
                }
            }
        }
        let mut ages = Vec::new();
        let age = |p: &Value| p.get("age").and_then(Value::as_i64);
        ages.extend(incident.get("actor").and_then(age));
        ages.extend(incident.get("subject").and_then(age));
        if let Some(others) = incident.get("others").and_then(Value::as_array) {
            ages.extend(others.iter().filter_map(age));
        }
        ctx.insert("ages".into(), json!(ages));
        let context =
            Context::from_json_value(Value::Object(ctx), None).map_err(|e| err("context", e))?;
        Request::new(
            self.principal.clone(),
            self.action.clone(),
            self.resource.clone(),
            context,
            None,
        )
        .map_err(|e| err("request", e))
    }

    /// Authorize once; the satisfied policies are the decision.
    pub fn decide(&self, request: &Request) -> u16 {
        let response = self
            .authorizer
            .is_authorized(request, &self.policies, &self.entities);
        response.diagnostics().reason().fold(0, |acc, id| {
            acc | self.outputs.get(id).copied().unwrap_or(0)
        })
    }

    /// From the incident's JSON text.
    pub fn decide_json(&self, text: &str) -> Result<u16, PeerError> {
        let v: Value = serde_json::from_str(text).map_err(|e| err("incident", e))?;
        Ok(self.decide(&self.request(&v)?))
    }
}
