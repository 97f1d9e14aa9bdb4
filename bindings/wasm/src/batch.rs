//! `evaluateMany`'s batch path (issue 18): the whole array crosses the boundary as one JSON
//! text and the answers come back as one, instead of one `JSON.stringify` (with a replacer
//! called back into WASM for every value) and one string copy per incident.
//!
//! The batch is stringified by a plain JavaScript function whose replacer refuses exactly the
//! values the per-incident path reports (`NaN`, `±Infinity`, BigInt, functions, symbols, and
//! an `undefined` array element); when it refuses, throws (a cycle, a throwing getter) or
//! the text is not an array of JSON values, the caller uses the per-incident path, which
//! names the offending key. Each element's text is then evaluated exactly as `evaluate`
//! evaluates JSON text, so both paths give the same answers.

use crate::envelope::to_json;
use crate::JsPolicy;
use haven_core::api::Answer;
use js_sys::{Array, Function};
use serde_json::value::RawValue;
use wasm_bindgen::prelude::*;

thread_local! {
    /// `batch => JSON text | undefined`.
    static STRINGIFY: Function = Function::new_with_args(
        "batch",
        "try { return JSON.stringify(batch, function (k, v) { \
           if ((typeof v === 'number' && !isFinite(v)) || typeof v === 'bigint' \
               || typeof v === 'function' || typeof v === 'symbol' \
               || (v === undefined && Array.isArray(this))) throw null; \
           return v; }); } catch (e) { return undefined; }",
    );
    /// `(answers, warnings) => answers`, with each `warnings: null` pointed at the shared array.
    static SHARE: Function = Function::new_with_args(
        "answers, warnings",
        "for (const a of answers) if (a !== null && a.warnings === null) a.warnings = warnings; \
         return answers;",
    );
}

/// The answers to every incident of `list` as one JSON array text, or `None` when the batch
/// cannot take this path (the caller then converts incident by incident).
pub(crate) fn answers(policy: &JsPolicy, list: &Array) -> Option<String> {
    let text = STRINGIFY
        .with(|f| f.call1(&JsValue::NULL, list))
        .ok()?
        .as_string()?;
    let items: Vec<&RawValue> = serde_json::from_str(&text).ok()?;
    if u32::try_from(items.len()).ok()? != list.length() {
        return None;
    }
    let mut out = String::with_capacity(items.len() * 512 + 2);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let raw = item.get();
        if raw.starts_with('"') {
            // An element given as JSON text: evaluate the text it holds.
            match serde_json::from_str::<String>(raw) {
                Ok(inner) => out.push_str(&to_json(&Answer::from_json(
                    &policy.inner.policy,
                    &inner,
                    None,
                ))),
                Err(_) => return None,
            }
        } else {
            out.push_str(&to_json(&Answer::from_json(
                &policy.inner.policy,
                raw,
                None,
            )));
        }
    }
    out.push(']');
    Some(out)
}

/// Point every success's `warnings: null` at the policy's one frozen array, in one call.
pub(crate) fn share_warnings(answers: &JsValue, warnings: &JsValue) {
    let _ = SHARE.with(|f| f.call2(&JsValue::NULL, answers, warnings));
}
