//! Why, why not, guided questions and the semantic diff (issue 15), for JavaScript.
//!
//! The JSON is haven-core's, exactly as the CLI prints it: `policy.explain(incident)` gives
//! the decision of `haven explain --format json` (with its `explain` and, while questions
//! remain, `next_questions` keys); `{ whyNot: { action, target } }` gives the document of
//! `haven explain --why-not ACTION TARGET --format json`; `diff(old, new)` gives the report
//! of `haven diff --format json`. Each comes in the same tagged envelope as `evaluate`, so an
//! incident the policy rejects is a `failure`, never an exception.

use crate::envelope;
use crate::incident::{describe, incident_text};
use crate::JsPolicy;
use haven_core::{DiffOptions, ExplainOptions, Goal, Incident, Modality, Verdict};
use serde::Serialize;
use wasm_bindgen::prelude::*;

fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// What a why-not asks for: `{ action, target?, modality? }`, or a verdict as `action`
/// (`allowed`, `allowed_if`, `not_allowed`).
#[derive(Debug, Default, PartialEq)]
pub struct WhyNotAsk {
    /// The action token, or a verdict.
    pub action: String,
    /// The target token, if any.
    pub target: Option<String>,
    /// `must` (the default), `should`, `may`, …
    pub modality: Option<String>,
}

/// The goal a why-not asks about, as `haven explain --why-not` reads its words.
pub fn goal(ask: &WhyNotAsk) -> Result<Goal, String> {
    let action = ask.action.trim();
    let verdict = match action {
        "allowed" => Some(Verdict::Allowed),
        "allowed_if" => Some(Verdict::AllowedIf),
        "not_allowed" => Some(Verdict::NotAllowed),
        _ => None,
    };
    if let Some(v) = verdict {
        return Ok(Goal::Verdict(v));
    }
    if action.is_empty() || action.contains(char::is_whitespace) {
        return Err(format!(
            "`options.whyNot.action` must be one action token (e.g. `refer`) or a verdict, found {action:?}"
        ));
    }
    let modality = match ask.modality.as_deref().unwrap_or("must") {
        "must" => Modality::Must,
        "must_not" => Modality::MustNot,
        "should" => Modality::Should,
        "should_not" => Modality::ShouldNot,
        "may" => Modality::May,
        other => {
            return Err(format!(
            "`options.whyNot.modality` must be must, must_not, should, should_not or may, found {other:?}"
        ))
        }
    };
    let mut expectation = action.to_owned();
    if let Some(t) = ask
        .target
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        expectation.push(' ');
        expectation.push_str(t);
    }
    Ok(Goal::Gain {
        modality,
        expectation,
    })
}

/// The explanation answer as JSON text: `{"type":"success","decision":…}` where the decision
/// carries `explain` (and `next_questions` while questions remain).
pub fn explain_json(policy: &haven_core::Policy, incident: &Incident) -> String {
    let d = policy.evaluate_explained(incident, &ExplainOptions::default());
    format!(
        r#"{{"type":"success","decision":{}}}"#,
        to_json(&d.to_json())
    )
}

/// The why-not answer as JSON text: `{"type":"success","whyNot":…}`.
pub fn why_not_json(policy: &haven_core::Policy, incident: &Incident, goal: &Goal) -> String {
    let w = policy.why_not(incident, goal, &ExplainOptions::default());
    format!(r#"{{"type":"success","whyNot":{}}}"#, to_json(&w))
}

/// The guided questions as JSON text: `{"type":"success","nextQuestions":…}`.
pub fn next_questions_json(policy: &haven_core::Policy, incident: &Incident) -> String {
    let n = policy.next_questions(incident);
    format!(r#"{{"type":"success","nextQuestions":{}}}"#, to_json(&n))
}

/// The diff report as JSON text: `{"type":"success","report":…}`.
pub fn diff_json(old: &haven_core::Policy, new: &haven_core::Policy) -> String {
    let report = haven_core::diff(old, new, &DiffOptions::default());
    format!(r#"{{"type":"success","report":{}}}"#, to_json(&report))
}

/// An incident (object or JSON text) validated against `policy`; `Err` is a failure answer.
fn incident_of(policy: &haven_core::Policy, incident: &JsValue) -> Result<Incident, String> {
    let text = incident_text(incident).map_err(|e| envelope::failure(&e))?;
    policy
        .incident_from_json_all(&text)
        .map_err(|errs| envelope::failure(&envelope::incident_errors_json_all(&errs)))
}

fn wrong_option(argument: &str, expected: &str, found: &JsValue) -> String {
    envelope::failure(&envelope::argument_error(
        argument,
        expected,
        &describe(found),
    ))
}

/// Read `options.whyNot`, if given.
fn why_not_ask(options: &JsValue) -> Result<Option<WhyNotAsk>, String> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    if !options.is_object() || js_sys::Array::is_array(options) {
        return Err(wrong_option("options", "an object", options));
    }
    let why = crate::get(options, "whyNot");
    if why.is_undefined() || why.is_null() {
        return Ok(None);
    }
    if !why.is_object() || js_sys::Array::is_array(&why) {
        return Err(wrong_option(
            "options.whyNot",
            "an object { action, target? }",
            &why,
        ));
    }
    let text = |key: &str| -> Result<Option<String>, String> {
        let v = crate::get(&why, key);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        v.as_string()
            .map(Some)
            .ok_or_else(|| wrong_option(&format!("options.whyNot.{key}"), "a string", &v))
    };
    let Some(action) = text("action")? else {
        return Err(wrong_option(
            "options.whyNot.action",
            "a string",
            &JsValue::UNDEFINED,
        ));
    };
    Ok(Some(WhyNotAsk {
        action,
        target: text("target")?,
        modality: text("modality")?,
    }))
}

fn parse(json: &str) -> JsValue {
    crate::parse(json)
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
        let ask = match why_not_ask(&options) {
            Ok(ask) => ask,
            Err(failure) => return parse(&failure),
        };
        let incident = match incident_of(policy, &incident) {
            Ok(i) => i,
            Err(failure) => return parse(&failure),
        };
        let json = match ask {
            None => explain_json(policy, &incident),
            Some(ask) => match goal(&ask) {
                Ok(goal) => why_not_json(policy, &incident, &goal),
                Err(message) => envelope::failure(&envelope::argument_error(
                    "options.whyNot",
                    "an action token or a verdict",
                    &message,
                )),
            },
        };
        parse(&json)
    }

    /// The open questions grouped by the action they settle, and ordered best first.
    #[wasm_bindgen(js_name = nextQuestions, unchecked_return_type = "NextQuestionsAnswer")]
    pub fn next_questions(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Incident | string")] incident: JsValue,
    ) -> JsValue {
        let policy = &self.inner.policy;
        match incident_of(policy, &incident) {
            Ok(i) => parse(&next_questions_json(policy, &i)),
            Err(failure) => parse(&failure),
        }
    }
}

/// The classes of incidents on which two compiled policies answer differently, each with its
/// condition in words and a witness incident verified under both (`haven diff --format json`).
#[wasm_bindgen(unchecked_return_type = "DiffAnswer")]
pub fn diff(old: &JsPolicy, new: &JsPolicy) -> JsValue {
    parse(&diff_json(&old.inner.policy, &new.inner.policy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{compile, Options};
    use haven_modules::Bundled;
    use serde_json::Value;

    fn policy(id: &str) -> haven_core::Policy {
        compile(Bundled::text(id).unwrap(), "p.haven", &Options::default())
            .unwrap()
            .policy
    }

    fn json(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    fn incident(p: &haven_core::Policy, text: &str) -> Incident {
        p.incident_from_json_all(text).unwrap()
    }

    #[test]
    fn explain_carries_the_cli_explanation() {
        let p = policy("example");
        let i = incident(
            &p,
            r#"{"category":"sharing_nudes","actor":{"role":"pupil","age":12}}"#,
        );
        let v = json(&explain_json(&p, &i));
        assert_eq!(v["type"], "success");
        let cli = p
            .evaluate_explained(&i, &ExplainOptions::default())
            .to_json();
        assert_eq!(v["decision"], cli);
        assert!(v["decision"]["explain"]["actions"].is_array());
    }

    #[test]
    fn why_not_reads_action_target_and_verdicts() {
        let ask = WhyNotAsk {
            action: "refer".into(),
            target: Some("police".into()),
            modality: None,
        };
        assert!(matches!(
            goal(&ask),
            Ok(Goal::Gain { modality: Modality::Must, ref expectation }) if expectation == "refer police"
        ));
        let verdict = WhyNotAsk {
            action: "allowed".into(),
            ..WhyNotAsk::default()
        };
        assert!(matches!(
            goal(&verdict),
            Ok(Goal::Verdict(Verdict::Allowed))
        ));
        let bad = WhyNotAsk {
            action: "refer police".into(),
            ..WhyNotAsk::default()
        };
        assert!(goal(&bad).is_err());
        let p = policy("example");
        let i = incident(&p, r#"{"category":"sharing_nudes"}"#);
        let v = json(&why_not_json(&p, &i, &goal(&ask).unwrap()));
        assert_eq!(v["type"], "success");
        assert!(v["whyNot"]["goal"]
            .as_str()
            .is_some_and(|g| g.contains("refer police")));
    }

    #[test]
    fn next_questions_and_diff_have_the_core_shapes() {
        let p = policy("example");
        let i = incident(&p, r#"{"category":"sharing_nudes"}"#);
        let v = json(&next_questions_json(&p, &i));
        assert!(v["nextQuestions"]["questions"].is_array());
        assert!(v["nextQuestions"]["groups"].is_array());
        let same = json(&diff_json(&p, &p));
        assert_eq!(same["type"], "success");
        assert_eq!(same["report"]["classes"], Value::Array(vec![]));
        let base = policy("baseline");
        let d = json(&diff_json(&base, &p));
        let classes = d["report"]["classes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!classes.is_empty());
        assert!(classes.iter().all(|c| c["witness"].is_object()));
    }
}
