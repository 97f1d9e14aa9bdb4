//! A JavaScript incident value → JSON text for core. Values JSON cannot carry (`NaN`,
//! `Infinity`, BigInt, functions, symbols) are errors naming their key path, as in the Python
//! binding: `JSON.stringify` would turn `Infinity` into `null` (unknown) or drop a function
//! silently, and a wrong value must never quietly become a missing one.

use crate::envelope;
use haven_core::{IncidentError, Limits};
use js_sys::{Array, Object, JSON};
use wasm_bindgen::prelude::*;

thread_local! {
    /// `JSON.stringify`'s replacer: passes every value through, throws on one with no JSON
    /// form. Made once; the error path below then finds where the value was.
    static REPLACER: Closure<dyn Fn(JsValue, JsValue) -> Result<JsValue, JsValue>> =
        Closure::new(|_key: JsValue, value: JsValue| {
            if has_no_json_form(&value) {
                Err(JsValue::NULL)
            } else {
                Ok(value)
            }
        });
}

fn has_no_json_form(v: &JsValue) -> bool {
    v.as_f64().is_some_and(|f| !f.is_finite()) || v.is_bigint() || v.is_function() || v.is_symbol()
}

/// An incident as JSON text: strings pass through, other values are stringified. `Err` holds
/// the errors JSON of the envelope.
pub(crate) fn incident_text(incident: &JsValue) -> Result<String, String> {
    if let Some(text) = incident.as_string() {
        return Ok(text);
    }
    let expected = "an incident object or its JSON text";
    if incident.is_undefined() || has_no_json_form(incident) {
        return Err(envelope::incident_error(
            "haven::incident::wrong_type",
            expected,
            format!("incident must be {expected}, found {}", describe(incident)),
        ));
    }
    let stringified = REPLACER.with(|replacer| {
        JSON::stringify_with_replacer(incident, replacer.as_ref().unchecked_ref())
    });
    match stringified {
        Ok(text) => text.as_string().ok_or_else(|| {
            envelope::incident_error(
                "haven::incident::wrong_type",
                expected,
                format!("incident must be {expected}, found {}", describe(incident)),
            )
        }),
        Err(thrown) => {
            // Find the value the replacer refused, or the nesting that overflowed the stack
            // or looped back on itself; else report what JavaScript threw (a `toJSON` or a
            // getter that throws).
            let max_depth = Limits::default().max_incident_depth;
            let mut stack = Vec::new();
            match locate(incident, &mut String::new(), max_depth, &mut stack) {
                Some(error) => Err(envelope::incident_errors_json(&error)),
                None => {
                    let why = thrown
                        .dyn_ref::<js_sys::Error>()
                        .map(|e| String::from(e.message()))
                        .unwrap_or_else(|| "it threw".to_owned());
                    Err(envelope::incident_error(
                        "haven::incident::invalid_json",
                        expected,
                        format!("incident cannot be converted to JSON: {why}"),
                    ))
                }
            }
        }
    }
}

/// The first value under `value` with no JSON form, or the first object nested deeper than
/// `max_depth` (a cycle is that too), as the error core would give for it.
fn locate(
    value: &JsValue,
    path: &mut String,
    max_depth: usize,
    stack: &mut Vec<JsValue>,
) -> Option<IncidentError> {
    if has_no_json_form(value) {
        let number = value.as_f64().is_some();
        let expected = if number {
            "a finite number"
        } else {
            "a JSON value"
        };
        return Some(IncidentError {
            key: path.clone(),
            expected: expected.to_owned(),
            message: format!(
                "`{path}` must be {expected}, found {}",
                value.as_f64().map_or_else(|| describe(value), js_number)
            ),
            code: "haven::incident::not_json",
            line: None,
            column: None,
        });
    }
    if !value.is_object() {
        return None;
    }
    if stack.iter().any(|seen| Object::is(seen, value)) {
        return Some(IncidentError {
            key: path.clone(),
            expected: "a JSON value (no cycles)".to_owned(),
            message: format!("`{path}` refers back to an object that contains it (a cycle)"),
            code: "haven::incident::too_deep",
            line: None,
            column: None,
        });
    }
    if stack.len() >= max_depth {
        return Some(IncidentError {
            key: path.clone(),
            expected: format!("at most {max_depth} levels of nesting"),
            message: format!("incident record is nested too deeply (limit {max_depth})"),
            code: "haven::incident::too_deep",
            line: None,
            column: None,
        });
    }
    stack.push(value.clone());
    let len = path.len();
    let mut found = None;
    if let Some(list) = value.dyn_ref::<Array>() {
        for (i, item) in list.iter().enumerate() {
            path.push_str(&format!("[{i}]"));
            found = locate(&item, path, max_depth, stack);
            path.truncate(len);
            if found.is_some() {
                break;
            }
        }
    } else if let Some(object) = value.dyn_ref::<Object>() {
        for entry in Object::entries(object).iter() {
            let entry = Array::from(&entry);
            let key = entry.get(0).as_string().unwrap_or_default();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key);
            found = locate(&entry.get(1), path, max_depth, stack);
            path.truncate(len);
            if found.is_some() {
                break;
            }
        }
    }
    stack.pop();
    found
}

/// A number as JavaScript writes it (`NaN`, `Infinity`, `-Infinity`, `1.5`).
fn js_number(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        f.to_string()
    }
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
