//! Evaluate any incident JSON against each seed policy: a decision or one incident error,
//! never a panic, a stack overflow or a hang. The first byte picks the policy.
#![no_main]

use haven_core::{CheckOptions, Policy};
use haven_modules::Bundled;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn policies() -> &'static [Policy] {
    static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        Bundled::policies()
            .into_iter()
            .filter_map(|id| {
                let text = Bundled::text(id)?;
                Policy::compile(id, text, &Bundled, &CheckOptions::default()).ok()
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let policies = policies();
    assert!(!policies.is_empty(), "no seed policy compiled");
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Some(policy) = policies.get(usize::from(pick) % policies.len()) else {
        return;
    };
    match policy.evaluate_json(text) {
        Ok(decision) => {
            let json = decision.to_json();
            assert!(json.is_object(), "a decision is a JSON object");
            let _ = decision.to_text();
        }
        Err(e) => {
            assert!(e.code.starts_with("haven::incident::"), "{}", e.code);
            assert!(!e.message.is_empty(), "empty message for {}", e.code);
        }
    }
});
