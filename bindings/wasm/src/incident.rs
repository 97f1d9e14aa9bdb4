//! A JavaScript incident value → JSON text for core's reader. Values JSON cannot carry (`NaN`,
//! `Infinity`, BigInt, functions, symbols) are errors naming their key path, with core's
//! codes: `JSON.stringify` would turn `Infinity` into `null` (unknown) or drop a function
//! silently, and a wrong value must never quietly become a missing one.

use haven_core::api::Error;
use haven_core::{IncidentError, Limits};
use js_sys::{Array, Object, JSON};
use wasm_bindgen::prelude::*;

thread_local! {
    /// `JSON.stringify`'s replacer: passes every value through, throws on one with no JSON
    /// form. Made once; the error path below then finds where the value was.
    static REPLACER: Closure<dyn Fn(JsValue, JsValue) -> Result<JsValue, JsValue>> =
        Closure::new(|_key: JsValue, value: JsValue| {
            if has_no_json_form(&value) { Err(JsValue::NULL) } else { Ok(value) }
        });
}

fn has_no_json_form(v: &JsValue) -> bool {
    v.as_f64().is_some_and(|f| !f.is_finite()) || v.is_bigint() || v.is_function() || v.is_symbol()
}

fn rejected(e: IncidentError) -> Vec<Error> {
    vec![Error::Incident((&e).into())]
}

/// An incident as JSON text: strings pass through, other values are stringified. `Err` holds
/// the errors, made by core.
pub(crate) fn incident_text(incident: &JsValue) -> Result<String, Vec<Error>> {
    if let Some(text) = incident.as_string() {
        return Ok(text);
    }
    let not_a_record = || rejected(IncidentError::not_a_record(&describe(incident)));
    if incident.is_undefined() || has_no_json_form(incident) {
        return Err(not_a_record());
    }
    let stringified =
        REPLACER.with(|r| JSON::stringify_with_replacer(incident, r.as_ref().unchecked_ref()));
    match stringified {
        Ok(text) => text.as_string().ok_or_else(not_a_record),
        Err(thrown) => {
            // The value the replacer refused, or the nesting that overflowed the stack or
            // looped back on itself; else what JavaScript threw (a `toJSON` that throws).
            let max_depth = Limits::default().max_incident_depth;
            let found = locate(incident, &mut String::new(), max_depth, &mut Vec::new());
            Err(rejected(found.unwrap_or_else(|| {
                let why = thrown
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()));
                IncidentError::not_data("", &why.unwrap_or_else(|| "it threw".to_owned()))
            })))
        }
    }
}

/// The first value under `value` with no JSON form, or the first object nested deeper than
/// `max_depth` (a cycle is that too), as core's error for it.
fn locate(
    value: &JsValue,
    path: &mut String,
    max_depth: usize,
    stack: &mut Vec<JsValue>,
) -> Option<IncidentError> {
    if let Some(f) = value.as_f64().filter(|f| !f.is_finite()) {
        let js = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        };
        return Some(IncidentError::not_finite(path, js));
    }
    if has_no_json_form(value) {
        return Some(IncidentError::not_data(path, &describe(value)));
    }
    if !value.is_object() {
        return None;
    }
    if stack.len() >= max_depth || stack.iter().any(|seen| Object::is(seen, value)) {
        return Some(IncidentError::too_deep(path, max_depth));
    }
    stack.push(value.clone());
    let len = path.len();
    let entries: Vec<(String, JsValue)> = match value.dyn_ref::<Array>() {
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("[{i}]"), v))
            .collect(),
        None => Object::entries(value.unchecked_ref::<Object>())
            .iter()
            .map(|e| Array::from(&e))
            .map(|e| (e.get(0).as_string().unwrap_or_default(), e.get(1)))
            .map(|(k, v)| (if len == 0 { k } else { format!(".{k}") }, v))
            .collect(),
    };
    let found = entries.into_iter().find_map(|(segment, item)| {
        path.push_str(&segment);
        let found = locate(&item, path, max_depth, stack);
        path.truncate(len);
        found
    });
    stack.pop();
    found
}

/// How a JavaScript value is named in a message.
pub(crate) fn describe(v: &JsValue) -> String {
    if v.is_null() {
        "null".to_owned()
    } else if Array::is_array(v) {
        "an array".to_owned()
    } else if v.is_bigint() {
        "a bigint".to_owned()
    } else {
        match v.js_typeof().as_string().as_deref() {
            Some("object") => "an object".to_owned(),
            Some("undefined") => "undefined".to_owned(),
            Some(t) => format!("a {t}"),
            None => "a value".to_owned(),
        }
    }
}
