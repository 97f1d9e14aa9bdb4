//! `evaluateMany`'s batch path (issue 18): the whole array crosses the boundary as one JSON
//! text and the answers come back as one, instead of one `JSON.stringify` and one string copy
//! per incident.
//!
//! `glue.js` stringifies the batch, refusing exactly the values the per-incident path reports;
//! when it refuses, throws (a cycle, a throwing getter) or the text is not an array of JSON
//! values, the caller uses the per-incident path, which names the offending key. Each
//! element's text is evaluated exactly as `evaluate` evaluates JSON text, so both paths give
//! the same answers.

use crate::envelope::to_json;
use crate::glue;
use haven_core::api::Answer;
use haven_core::{Limits, Policy};
use js_sys::Array;
use serde_json::value::RawValue;

/// The answers to every incident of `list` as one JSON array text, or `None` when the batch
/// cannot take this path (the caller then converts incident by incident).
pub(crate) fn answers(policy: &Policy, list: &Array) -> Option<String> {
    let text = glue::record(list, Limits::default().max_incident_depth + 1, true).as_string()?;
    let items: Vec<&RawValue> = serde_json::from_str(&text).ok()?;
    if u32::try_from(items.len()).ok()? != list.length() {
        return None;
    }
    let mut out = String::with_capacity(items.len() * 512 + 2);
    for item in items {
        out.push(if out.is_empty() { '[' } else { ',' });
        // An element given as JSON text: evaluate the text it holds.
        let inner: String;
        let text = match item.get() {
            raw if raw.starts_with('"') => {
                inner = serde_json::from_str(raw).ok()?;
                &inner
            }
            raw => raw,
        };
        out.push_str(&to_json(&Answer::from_json(policy, text, None)));
    }
    if out.is_empty() {
        out.push('[');
    }
    out.push(']');
    Some(out)
}
