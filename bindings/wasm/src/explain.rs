//! Why, why not, guided questions and the semantic diff (issue 15), for JavaScript.
//!
//! The answers are haven-core's [`Explained`] (the JSON `haven explain` / `haven diff` print
//! with `--format json`, inside the success envelope) or a failure [`Answer`]; the why-not
//! goal is read by core's [`api::goal`], exactly as `haven explain --why-not` reads its words.

use crate::envelope::to_json;
use crate::incident::{describe, incident_text};
use crate::{get, parse, JsPolicy};
use haven_core::api::{self, Answer, Error, Explained};
use haven_core::{Goal, Incident, Policy};
use wasm_bindgen::prelude::*;

/// An incident (object or JSON text) validated against `policy`; `Err` is the failure answer.
fn incident_of(policy: &Policy, incident: &JsValue) -> Result<Incident, String> {
    let text = incident_text(incident).map_err(|e| to_json(&Answer::failure(e)))?;
    policy
        .incident_from_json_all(&text)
        .map_err(|errs| to_json(&Answer::rejected(&errs)))
}

fn wrong(argument: &str, expected: &str, found: &JsValue) -> String {
    let error = Error::wrong_argument(argument, expected, &describe(found));
    to_json(&Answer::failure(vec![error]))
}

/// `options.whyNot` (`{ action, target?, modality? }`) as core's goal, if given. The words are
/// joined as `haven explain --why-not` takes them: `[modality] action [target]`.
fn why_not_goal(options: &JsValue) -> Result<Option<Goal>, String> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    if !options.is_object() || js_sys::Array::is_array(options) {
        return Err(wrong("options", "an object", options));
    }
    let why = get(options, "whyNot");
    if why.is_undefined() || why.is_null() {
        return Ok(None);
    }
    if !why.is_object() || js_sys::Array::is_array(&why) {
        return Err(wrong(
            "options.whyNot",
            "an object { action, target? }",
            &why,
        ));
    }
    let mut words = Vec::new();
    for key in ["modality", "action", "target"] {
        let v = get(&why, key);
        if v.is_undefined() || v.is_null() {
            continue;
        }
        match v.as_string() {
            Some(word) if !word.trim().contains(char::is_whitespace) => words.push(word),
            _ => return Err(wrong(&format!("options.whyNot.{key}"), "one token", &v)),
        }
    }
    api::goal(&words.join(" "))
        .map(Some)
        .map_err(|e| to_json(&Answer::failure(vec![*e])))
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
        let policy = &self.inner.policy;
        let answer = why_not_goal(&options).and_then(|goal| {
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
        let policy = &self.inner.policy;
        let answer =
            incident_of(policy, &incident).map(|i| to_json(&Explained::next_questions(policy, &i)));
        parse(&answer.unwrap_or_else(|failure| failure))
    }
}

/// The classes of incidents on which two compiled policies answer differently, each with its
/// condition in words and a witness incident verified under both (`haven diff --format json`).
#[wasm_bindgen(unchecked_return_type = "DiffAnswer")]
pub fn diff(old: &JsPolicy, new: &JsPolicy) -> JsValue {
    parse(&to_json(&Explained::diff(
        &old.inner.policy,
        &new.inner.policy,
    )))
}
