//! haven for JavaScript, in Node and the browser.
//!
//! An adapter over haven-core: JS values in (JSON text for core's one incident reader),
//! `haven_core::api` answers out (`serde_json` text, parsed by `JSON.parse`). Nothing throws:
//! every result is a tagged object (`type: "success"` or `type: "failure"`) whose errors carry
//! core's code and, where there is one, a line and column. The TypeScript types are in
//! `types.d.ts`, spliced into the generated `.d.ts`.

mod batch;
pub mod envelope;
pub mod explain;
mod incident;

use envelope::{to_json, Compiled};
use haven_core::api::{Answer, Error};
use incident::{describe, incident_text};
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("../types.d.ts");

/// A compiled policy: compile once, evaluate many.
#[wasm_bindgen(js_name = Policy)]
pub struct JsPolicy {
    inner: Compiled,
    /// The warnings, parsed once and frozen: every answer shares this one array.
    warnings: JsValue,
}

#[wasm_bindgen(js_class = Policy)]
impl JsPolicy {
    /// The policy id, e.g. `kenilworth_2022`.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.inner.policy.id().to_owned()
    }

    /// The version string, or `undefined` when the header gives none.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> Option<String> {
        self.inner.policy.version().map(str::to_owned)
    }

    /// The title, or `undefined`.
    #[wasm_bindgen(getter)]
    pub fn title(&self) -> Option<String> {
        self.inner.policy.title().map(str::to_owned)
    }

    /// The policy's vocabulary: every token by kind (its own, its modules' and its layers'),
    /// and the facts with their types, for forms that offer this policy's choices.
    #[wasm_bindgen(getter, unchecked_return_type = "Vocabulary")]
    pub fn vocabulary(&self) -> JsValue {
        parse(&self.inner.policy.vocabulary_json().to_string())
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
        let answer = parse(&to_json(&self.answer(&incident)));
        self.share_warnings(&answer);
        answer
    }

    /// Evaluate many incident records: one answer each, in order. If `incidents` is not an
    /// array, the result is a single failure.
    #[wasm_bindgen(js_name = evaluateMany, unchecked_return_type = "Answer[]")]
    pub fn evaluate_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ReadonlyArray<Incident | string>")]
        incidents: JsValue,
    ) -> JsValue {
        if !Array::is_array(&incidents) {
            let found = describe(&incidents);
            let error = Error::wrong_argument("incidents", "an array of incidents", &found);
            return parse(&to_json(&[Answer::failure(vec![error])]));
        }
        let list = Array::from(&incidents);
        let out = batch::answers(self, &list).unwrap_or_else(|| {
            let answers: Vec<Answer<'_>> = list.iter().map(|i| self.answer(&i)).collect();
            to_json(&answers)
        });
        let answers = parse(&out);
        batch::share_warnings(&answers, &self.warnings);
        answers
    }
}

impl JsPolicy {
    fn new(inner: Compiled) -> JsPolicy {
        let warnings = parse(&to_json(&inner.warnings));
        if let Some(list) = warnings.dyn_ref::<Array>() {
            for w in list.iter() {
                if let Some(w) = w.dyn_ref::<Object>() {
                    Object::freeze(w);
                }
            }
            Object::freeze(list);
        }
        JsPolicy { inner, warnings }
    }

    /// Answers are built with `"warnings": null`; point each success at the shared array
    /// rather than parsing the same warnings into every answer.
    fn share_warnings(&self, answer: &JsValue) {
        let key = JsValue::from_str("warnings");
        if Reflect::get(answer, &key).is_ok_and(|w| w.is_null()) {
            let _ = Reflect::set(answer, &key, &self.warnings);
        }
    }

    fn answer(&self, incident: &JsValue) -> Answer<'_> {
        match incident_text(incident) {
            Ok(text) => Answer::from_json(&self.inner.policy, &text, None),
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
    let (source, name, options) = match arguments(&source, &name, &options) {
        Ok(args) => args,
        Err(errors) => return parse(&envelope::failure(errors)),
    };
    match envelope::compile(&source, &name, &options) {
        Ok(inner) => {
            let result = Object::new();
            let policy = JsPolicy::new(inner);
            let warnings = policy.warnings.clone();
            let _ = Reflect::set(&result, &"type".into(), &"success".into());
            let _ = Reflect::set(&result, &"policy".into(), &policy.into());
            let _ = Reflect::set(&result, &"warnings".into(), &warnings);
            result.into()
        }
        Err(errors) => parse(&envelope::failure(errors)),
    }
}

/// Every diagnostic (errors and warnings) of a policy, in source order; empty when clean.
#[wasm_bindgen(unchecked_return_type = "Diagnostic[]")]
pub fn check(
    #[wasm_bindgen(unchecked_param_type = "string")] source: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] name: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CompileOptions")] options: JsValue,
) -> JsValue {
    match arguments(&source, &name, &options) {
        Ok((source, name, options)) => parse(&to_json(&envelope::check(&source, &name, &options))),
        Err(errors) => parse(&to_json(&errors)),
    }
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

type Arguments = (String, String, envelope::Options);

/// Read `(source, name?, options?)`; a wrong type is an error made by core.
fn arguments(source: &JsValue, name: &JsValue, options: &JsValue) -> Result<Arguments, Vec<Error>> {
    let wrong = |argument: &str, expected: &str, found: &JsValue| {
        vec![Error::wrong_argument(argument, expected, &describe(found))]
    };
    let Some(text) = source.as_string() else {
        return Err(wrong("source", "a string", source));
    };
    let name = if is_absent(name) {
        envelope::DEFAULT_NAME.to_owned()
    } else {
        name.as_string()
            .ok_or_else(|| wrong("name", "a string", name))?
    };
    let source = well_formed(source, text, &name)?;
    let mut out = envelope::Options::default();
    if is_absent(options) {
        return Ok((source, name, out));
    }
    if !options.is_object() || Array::is_array(options) {
        return Err(wrong("options", "an object", options));
    }
    let today = get(options, "today");
    if !is_absent(&today) {
        out.today = if let Some(date) = today.dyn_ref::<js_sys::Date>() {
            date_of(date)
        } else if let Some(text) = today.as_string() {
            haven_core::Date::parse(&text)
        } else {
            None
        };
        if out.today.is_none() {
            return Err(wrong(
                "options.today",
                "a valid Date or a \"YYYY-MM-DD\" string",
                &today,
            ));
        }
    }
    let modules = get(options, "modules");
    if !is_absent(&modules) {
        if !modules.is_object() || Array::is_array(&modules) {
            return Err(wrong(
                "options.modules",
                "an object of module path to text",
                &modules,
            ));
        }
        for entry in Object::entries(modules.unchecked_ref::<Object>()).iter() {
            let entry = Array::from(&entry);
            let (module, text) = (entry.get(0), entry.get(1));
            let module = module.as_string().unwrap_or_default();
            let Some(converted) = text.as_string() else {
                return Err(wrong(
                    &format!("options.modules[\"{module}\"]"),
                    "a string",
                    &text,
                ));
            };
            let file = format!("{module}.haven");
            let text = well_formed(&text, converted, &file)?;
            out.modules.insert(module, file, text);
        }
    }
    let calendar = get(options, "calendar");
    if !is_absent(&calendar) {
        let Some(converted) = calendar.as_string() else {
            return Err(wrong(
                "options.calendar",
                "the text of a calendar.toml",
                &calendar,
            ));
        };
        out.calendar = Some(well_formed(&calendar, converted, "calendar.toml")?);
    }
    Ok((source, name, out))
}

/// `text` (`js` as converted to Rust) if `js` had no unpaired surrogate; else the located
/// error. Conversion turns each unpaired surrogate into U+FFFD, so
/// only a U+FFFD that `js` does not hold at the same UTF-16 index needs looking at.
fn well_formed(js: &JsValue, text: String, name: &str) -> Result<String, Vec<Error>> {
    if !text.contains('\u{fffd}') {
        return Ok(text);
    }
    let js = js.unchecked_ref::<js_sys::JsString>();
    let mut unit = 0u32;
    let mut unpaired = None;
    for (offset, c) in text.char_indices() {
        if c == '\u{fffd}' && js.char_code_at(unit) != f64::from(0xfffd_u16) {
            unpaired = Some(offset);
            break;
        }
        unit += u32::try_from(c.len_utf16()).unwrap_or(1);
    }
    match unpaired {
        None => Ok(text),
        Some(offset) => {
            let error = haven_core::unpaired_surrogate(name, text, offset);
            Err(Error::policy(error.detailed()))
        }
    }
}

fn is_absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The local calendar date of a JS `Date`; `None` for an invalid date.
fn date_of(date: &js_sys::Date) -> Option<haven_core::Date> {
    if date.get_time().is_nan() {
        return None;
    }
    Some(haven_core::Date {
        year: u16::try_from(date.get_full_year()).ok()?,
        month: u8::try_from(date.get_month() + 1).ok()?,
        day: Some(u8::try_from(date.get_date()).ok()?),
    })
}

/// JSON text made here → a JS value. The text always parses; `null` if it ever does not.
fn parse(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or(JsValue::NULL)
}
