//! For any text that parses without errors: `parse(format(f)) == f` (comments included) and
//! formatting is idempotent.
#![no_main]

use haven_core::{Limits, SourceId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits::default();
    let (Some(file), diags) = haven_core::syntax::parse(SourceId(0), text, &limits) else {
        return;
    };
    if diags.iter().any(|d| d.is_error()) {
        return;
    }
    let once = haven_core::syntax::format(&file, text);
    let (again, diags) = haven_core::syntax::parse(SourceId(0), &once, &limits);
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| &d.message)
        .collect();
    assert!(
        errors.is_empty(),
        "formatted text does not parse: {errors:?}\n{once}"
    );
    let Some(again) = again else {
        panic!("formatted text gave no tree:\n{once}");
    };
    assert!(
        again == file,
        "tree changed by formatting:\n--- input ---\n{text}\n--- formatted ---\n{once}"
    );
    let twice = haven_core::syntax::format(&again, &once);
    assert_eq!(once, twice, "formatting is not idempotent");
});
