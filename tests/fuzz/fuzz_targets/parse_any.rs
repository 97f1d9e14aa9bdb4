//! Parse any string: a tree and diagnostics, or diagnostics alone, never a panic, a stack
//! overflow or a hang. Diagnostics must point inside the text.
#![no_main]

use haven_core::{Limits, SourceId, Sources};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (file, diags) = haven_core::syntax::parse(SourceId(0), text, &Limits::default());
    assert!(
        file.is_some() || diags.iter().any(|d| d.is_error()),
        "no tree and no error"
    );
    let mut sources = Sources::new();
    sources.add("fuzz.haven", "", text);
    for d in &diags {
        for label in &d.labels {
            assert!(label.span.end as usize <= text.len(), "label past the end");
            assert!(
                label.span.start <= label.span.end,
                "label ends before it starts"
            );
        }
        let _ = d.render(&sources);
        let _ = d.render_plain(&sources);
    }
});
