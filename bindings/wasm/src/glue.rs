//! The JavaScript half of the adapter, `glue.js` (made once with `new Function`): JS values to
//! JSON text for core, and the answers' shared warnings. What it refuses comes back as a key
//! path and a `typeof`, and core's [`options`] makes the error.

use haven_core::api::{options, Error};
use haven_core::Limits;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

thread_local! {
    /// `[record, args, share, freeze, typeOf]`.
    static GLUE: Array = Function::new_no_args(include_str!("glue.js"))
        .call0(&JsValue::NULL)
        .map_or_else(|_| Array::new(), |v| Array::from(&v));
}

fn call(helper: u32, args: &[&JsValue]) -> JsValue {
    let args: Array = args.iter().copied().collect();
    let f = GLUE.with(|g| g.get(helper)).unchecked_into::<Function>();
    f.apply(&JsValue::NULL, &args).unwrap_or(JsValue::UNDEFINED)
}

/// An incident (object or JSON text) as JSON text, or core's error for what was refused.
pub(crate) fn incident_text(incident: &JsValue) -> Result<String, Vec<Error>> {
    if let Some(text) = incident.as_string() {
        return Ok(text);
    }
    let max = Limits::default().max_incident_depth;
    let out = record(incident, max, false);
    out.as_string().ok_or_else(|| {
        let refused = Array::from(&out);
        let [key, js_type, shown] =
            [0, 1, 2].map(|i| refused.get(i).as_string().unwrap_or_default());
        vec![options::refused(&key, &js_type, &shown, max)]
    })
}

/// `glue.js`'s `record`: JSON text, or what was refused (`undefined` for a batch).
pub(crate) fn record(value: &JsValue, max_depth: usize, batch: bool) -> JsValue {
    let max = JsValue::from(u32::try_from(max_depth).unwrap_or(u32::MAX));
    call(0, &[value, &max, &JsValue::from(batch)])
}

/// Call arguments as JSON text for [`options`].
pub(crate) fn args(value: &JsValue) -> String {
    call(1, &[value]).as_string().unwrap_or_default()
}

/// Point each success's `warnings: null` (in one answer or an array of them) at `warnings`.
pub(crate) fn share(answers: JsValue, warnings: &JsValue) -> JsValue {
    call(2, &[&answers, warnings])
}

/// The warnings array, frozen with each warning in it.
pub(crate) fn freeze(warnings: JsValue) -> JsValue {
    call(3, &[&warnings])
}

/// `typeof`, or `null` or `array`.
pub(crate) fn type_of(value: &JsValue) -> String {
    call(4, &[value]).as_string().unwrap_or_default()
}
