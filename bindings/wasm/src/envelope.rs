//! The native part of the binding (no `JsValue`, so `cargo test` covers it): JSON text of
//! core's answers, and the bundled policies for the playground's picker.

use haven_modules::Bundled;
use serde::Serialize;

/// JSON text of core's serde data. Serialising it cannot fail; `null` if it ever does.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// One bundled policy for the picker.
#[derive(Serialize)]
pub struct BundledPolicy {
    id: &'static str,
    title: Option<String>,
    name: &'static str,
    text: &'static str,
}

/// Every bundled policy (not the `std` modules): schools first, then `baseline`, then the
/// rest, each group by id.
pub fn bundled() -> Vec<BundledPolicy> {
    let mut ids = Bundled::policies();
    ids.sort_by_key(|id| {
        (
            usize::from(*id == "baseline") + 2 * usize::from(*id == "example"),
            *id,
        )
    });
    let policy = |id: &'static str| {
        let (name, text) = Bundled::policy(id).ok()?;
        let (file, _) =
            haven_core::syntax::parse(haven_core::SourceId(0), text, &Default::default());
        let title = file.and_then(|f| f.header.title.map(|t| t.node));
        Some(BundledPolicy {
            id,
            title,
            name,
            text,
        })
    };
    ids.into_iter().filter_map(policy).collect()
}
