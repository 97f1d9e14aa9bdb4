//! Why, why not, guided questions and the semantic diff (issue 15), for JavaScript: core's
//! [`Explained`] (the JSON `haven explain` / `haven diff` print with `--format json`, inside
//! the success envelope) or a failure [`Answer`]. Core's [`options::why_not`] reads the
//! why-not goal, exactly as `haven explain --why-not` reads its words.

use crate::envelope::to_json;
use crate::{glue, parse, JsPolicy};
use haven_core::api::{options, Answer, Explained};
use haven_core::{Incident, Policy};
use wasm_bindgen::prelude::*;

/// An incident (object or JSON text) validated against `policy`, or the failure answer.
fn incident_of(policy: &Policy, incident: &JsValue) -> Result<Incident, String> {
    let text = glue::incident_text(incident).map_err(|e| to_json(&Answer::failure(e)))?;
    let incident = policy.incident_from_json_all(&text);
    incident.map_err(|errs| to_json(&Answer::rejected(&errs)))
}

#[wasm_bindgen(js_class = Policy)]
impl JsPolicy {
    /// Why the decision on `incident` is what it is (`haven explain --format json`): for each
    /// action and the permission, the rules, cited sentences, conditions that held with their
    /// values, the layer, and minimal counterfactuals. With `{ whyNot: { action, target? } }`,
    /// the minimal fact changes that would make that action required, or why none can.
    #[wasm_bindgen(unchecked_return_type = "ExplainAnswer")]
    pub fn explain(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Incident | string")] incident: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ExplainOptions")] options: JsValue,
    ) -> JsValue {
        let policy = &self.policy;
        let goal = options::why_not(&glue::args(&options));
        let answer = goal
            .map_err(|e| to_json(&Answer::failure(e)))
            .and_then(|goal| {
                let incident = incident_of(policy, &incident)?;
                Ok(to_json(&match goal {
                    None => Explained::explain(policy, &incident),
                    Some(goal) => Explained::why_not(policy, &incident, &goal),
                }))
            });
        parse(&answer.unwrap_or_else(|failure| failure))
    }

    /// The open questions grouped by the action they settle, and ordered best first.
    #[wasm_bindgen(js_name = nextQuestions, unchecked_return_type = "NextQuestionsAnswer")]
    pub fn next_questions(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Incident | string")] incident: JsValue,
    ) -> JsValue {
        let policy = &self.policy;
        let answer =
            incident_of(policy, &incident).map(|i| to_json(&Explained::next_questions(policy, &i)));
        parse(&answer.unwrap_or_else(|failure| failure))
    }
}

/// The classes of incidents on which two compiled policies answer differently, each with its
/// condition in words and a witness incident verified under both (`haven diff --format json`).
#[wasm_bindgen(unchecked_return_type = "DiffAnswer")]
pub fn diff(old: &JsPolicy, new: &JsPolicy) -> JsValue {
    parse(&to_json(&Explained::diff(&old.policy, &new.policy)))
}
