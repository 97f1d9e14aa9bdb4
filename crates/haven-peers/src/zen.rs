//! The decision as a JDM graph for `zen-engine`: an expression node computing `under_13`
//! (zen's `some` over the actor, the subject and the others) feeding a decision table with
//! hit policy `collect` whose rows are the UKCIS criteria and the staff sanctions rows.

use crate::{column_bit, err, PeerError};
use std::sync::Arc;
use zen_engine::model::DecisionContent;
use zen_engine::Variable;
use zen_engine::{Decision, DecisionEngine};

const GRAPH: &str = include_str!("../encodings/decision.jdm.json");
const COLUMNS: [&str; 9] = [
    "referral", "lm", "ht", "la", "pol", "tech", "w", "sus", "dis",
];

/// The loaded, precompiled decision.
pub struct Zen {
    decision: Decision,
}

impl Zen {
    /// Load and precompile the graph.
    pub fn new() -> Result<Self, PeerError> {
        let content: DecisionContent =
            serde_json::from_str(GRAPH).map_err(|e| err("decision.jdm.json", e))?;
        let mut decision = DecisionEngine::default()
            .create_decision(Arc::new(content))
            .map_err(|e| err("create_decision", e))?;
        decision.compile();
        Ok(Zen { decision })
    }

    /// The input: the haven incident record, unchanged.
    pub fn input(text: &str) -> Result<Variable, PeerError> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| err("input", e))?;
        Ok(Variable::from(v))
    }

    /// Evaluate (zen's API is async; the graph does no I/O, so a local executor suffices).
    pub fn decide(&self, input: &Variable) -> Result<u16, PeerError> {
        let response = futures::executor::block_on(self.decision.evaluate(input.deep_clone()))
            .map_err(|e| err("evaluate", e))?;
        let mut out = 0;
        let Some(rows) = response.result.as_array() else {
            return Err(PeerError(format!(
                "unexpected result {}",
                response.result.to_value()
            )));
        };
        for row in rows.borrow().iter() {
            for key in COLUMNS {
                if row.dot(key).and_then(|v| v.as_bool()) == Some(true) {
                    out |= column_bit(key).unwrap_or(0);
                }
            }
        }
        Ok(out)
    }

    /// From the incident's JSON text.
    pub fn decide_json(&self, text: &str) -> Result<u16, PeerError> {
        self.decide(&Self::input(text)?)
    }
}
