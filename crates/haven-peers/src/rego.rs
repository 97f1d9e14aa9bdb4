//! The decision in Rego (`regorus`).

use crate::{element_bit, err, PeerError};
use regorus::{CompiledPolicy, Engine, Rc, Value};

const POLICY: &str = include_str!("../encodings/decision.rego");
const RULE: &str = "data.haven.decision";

/// A regorus engine holding the module, and the same module compiled for its entry point.
pub struct Rego {
    engine: Engine,
    compiled: CompiledPolicy,
}

impl Rego {
    /// Load and compile the module.
    pub fn new() -> Result<Self, PeerError> {
        let mut engine = Engine::new();
        engine
            .add_policy("decision.rego".into(), POLICY.into())
            .map_err(|e| err("decision.rego", e))?;
        let compiled = engine
            .compile_with_entrypoint(&Rc::from(RULE))
            .map_err(|e| err("compile", e))?;
        Ok(Rego { engine, compiled })
    }

    /// The input: the haven incident record, unchanged.
    pub fn input(text: &str) -> Result<Value, PeerError> {
        Value::from_json_str(text).map_err(|e| err("input", e))
    }

    /// `Engine::set_input` + `Engine::eval_rule`.
    pub fn decide(&mut self, input: &Value) -> Result<u16, PeerError> {
        self.engine.set_input(input.clone());
        let v = self
            .engine
            .eval_rule(RULE.to_owned())
            .map_err(|e| err("eval", e))?;
        bits(&v)
    }

    /// `CompiledPolicy::eval_with_input` (the compiled entry point).
    pub fn decide_compiled(&self, input: &Value) -> Result<u16, PeerError> {
        let v = self
            .compiled
            .eval_with_input(input.clone())
            .map_err(|e| err("eval", e))?;
        bits(&v)
    }

    /// From the incident's JSON text, with the compiled entry point.
    pub fn decide_json(&self, text: &str) -> Result<u16, PeerError> {
        self.decide_compiled(&Self::input(text)?)
    }
}

/// The set of `[modality, action, [targets]]` as a bit set.
fn bits(v: &Value) -> Result<u16, PeerError> {
    if *v == Value::Undefined {
        return Ok(0);
    }
    let set = v.as_set().map_err(|e| err("decision", e))?;
    let mut out = 0;
    for element in set.iter() {
        let a = element.as_array().map_err(|e| err("element", e))?;
        let action = a.get(1).and_then(|x| x.as_string().ok());
        let first = a
            .get(2)
            .and_then(|t| t.as_array().ok())
            .and_then(|t| t.first())
            .and_then(|t| t.as_string().ok());
        if let Some(action) = action {
            out |= element_bit(action, first.map(|s| &**s));
        }
    }
    Ok(out)
}
