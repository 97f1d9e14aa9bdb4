//! haven for JavaScript, in Node and the browser.
//!
//! An adapter over haven-core: JS values in (as JSON text, made by `glue.js`, for core's
//! readers), `haven_core::api` answers out (`serde_json` text, parsed by `JSON.parse`). Nothing
//! throws: every result is a tagged object (`type: "success"` or `type: "failure"`) whose
//! errors carry core's code and, where there is one, a line and column. Every code and message
//! is core's. The TypeScript types are in `types.d.ts`, spliced into the generated `.d.ts`.

mod batch;
pub mod envelope;
pub mod explain;
mod glue;

use envelope::to_json;
use haven_core::api::options::{self, Arguments};
use haven_core::api::{Answer, Error};
use haven_core::Policy;
use haven_modules::WithBundled;
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("../types.d.ts");

/// A compiled policy: compile once, evaluate many.
#[wasm_bindgen(js_name = Policy)]
pub struct JsPolicy {
    policy: Policy,
    /// The warnings, parsed once and frozen: every answer shares this one array.
    warnings: JsValue,
}

#[wasm_bindgen(js_class = Policy)]
impl JsPolicy {
    /// The policy id, e.g. `kenilworth_2022`.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.policy.id().to_owned()
    }

    /// The version string, or `undefined` when the header gives none.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> Option<String> {
        self.policy.version().map(str::to_owned)
    }

    /// The title, or `undefined`.
    #[wasm_bindgen(getter)]
    pub fn title(&self) -> Option<String> {
        self.policy.title().map(str::to_owned)
    }

    /// The policy's vocabulary: every token by kind (its own, its modules' and its layers'),
    /// and the facts with their types, for forms that offer this policy's choices.
    #[wasm_bindgen(getter, unchecked_return_type = "Vocabulary")]
    pub fn vocabulary(&self) -> JsValue {
        parse(&self.policy.vocabulary_json().to_string())
    }

    /// Warnings found while checking (a frozen array, shared with every answer).
    #[wasm_bindgen(getter, unchecked_return_type = "readonly Diagnostic[]")]
    pub fn warnings(&self) -> JsValue {
        self.warnings.clone()
    }

    /// Evaluate one incident record (an object, or its JSON text).
    #[wasm_bindgen(unchecked_return_type = "Answer")]
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Incident | string")] incident: JsValue,
    ) -> JsValue {
        glue::share(parse(&to_json(&self.answer(&incident))), &self.warnings)
    }

    /// Evaluate many incident records: one answer each, in order. If `incidents` is not an
    /// array, the result is a single failure.
    #[wasm_bindgen(js_name = evaluateMany, unchecked_return_type = "Answer[]")]
    pub fn evaluate_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ReadonlyArray<Incident | string>")]
        incidents: JsValue,
    ) -> JsValue {
        let Some(list) = incidents.dyn_ref::<Array>() else {
            let error = options::not_incidents(&glue::type_of(&incidents));
            return parse(&to_json(&[Answer::failure(vec![error])]));
        };
        let out = batch::answers(&self.policy, list).unwrap_or_else(|| {
            let answers: Vec<Answer<'_>> = list.iter().map(|i| self.answer(&i)).collect();
            to_json(&answers)
        });
        glue::share(parse(&out), &self.warnings)
    }
}

impl JsPolicy {
    fn answer(&self, incident: &JsValue) -> Answer<'_> {
        match glue::incident_text(incident) {
            Ok(text) => Answer::from_json(&self.policy, &text, None),
            Err(errors) => Answer::failure(errors),
        }
    }
}

/// Parse, check and compile a policy. `use` and `extends` resolve from `options.modules`,
/// then from the bundled `std/vocabulary`, `baseline` and school policies. `name` is the file
/// name diagnostics show (default `policy.haven`).
#[wasm_bindgen(unchecked_return_type = "CompileResult")]
pub fn compile(
    #[wasm_bindgen(unchecked_param_type = "string")] source: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] name: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CompileOptions")] options: JsValue,
) -> JsValue {
    let args = arguments(source, name, options);
    match args.and_then(|args| args.compile(&WithBundled(&args.options))) {
        Ok(policy) => {
            let warnings = glue::freeze(parse(&to_json(&policy.warning_errors())));
            let policy = JsPolicy { policy, warnings };
            let result = Object::new();
            let _ = Reflect::set(&result, &"type".into(), &"success".into());
            let _ = Reflect::set(&result, &"warnings".into(), &policy.warnings);
            let _ = Reflect::set(&result, &"policy".into(), &policy.into());
            result.into()
        }
        Err(errors) => parse(&to_json(&Answer::failure(errors))),
    }
}

/// Every diagnostic (errors and warnings) of a policy, in source order; empty when clean.
#[wasm_bindgen(unchecked_return_type = "Diagnostic[]")]
pub fn check(
    #[wasm_bindgen(unchecked_param_type = "string")] source: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] name: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CompileOptions")] options: JsValue,
) -> JsValue {
    let args = arguments(source, name, options);
    let errors = args.map_or_else(|e| e, |args| args.check(&WithBundled(&args.options)));
    parse(&to_json(&errors))
}

/// The policies bundled into this module: the school policies, `baseline` and `example`.
#[wasm_bindgen(js_name = bundledPolicies, unchecked_return_type = "BundledPolicy[]")]
pub fn bundled_policies() -> JsValue {
    parse(&to_json(&envelope::bundled()))
}

/// The version of this package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// `(source, name?, options?)` read by core.
fn arguments(source: JsValue, name: JsValue, options: JsValue) -> Result<Arguments, Vec<Error>> {
    Arguments::read(&glue::args(&Array::of3(&source, &name, &options)))
}

/// JSON text made here → a JS value. The text always parses; `null` if it ever does not.
fn parse(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or(JsValue::NULL)
}
