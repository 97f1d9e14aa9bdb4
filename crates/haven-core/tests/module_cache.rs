//! The module cache: a module is parsed once and reused, but never served for other text,
//! and a compile through the cache answers exactly as one without it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a failed test, with its message"
)]

use haven_core::{Cached, CheckOptions, LoadError, Loader, MapLoader, ModuleCache, Policy};
use std::cell::RefCell;

const VOCAB: &str = "module vocabulary \"V\" { version \"1\" }\ncategory bullying\nrole dsl\naction notify needs target\naction log_incident\n";

fn root(extra: &str) -> String {
    format!(
        "policy school \"S\" {{ version \"1\"\n  use std/vocabulary }}\n{extra}\n\
         rule r {{\n  cites \"§1\": \"Staff tell the DSL.\"\n  when category is bullying\n  must notify dsl\n}}\n"
    )
}

fn loader(vocab: &str) -> MapLoader {
    let mut l = MapLoader::new();
    l.insert("std/vocabulary", "policies/std/vocabulary.haven", vocab);
    l
}

fn decision(policy: &Policy) -> String {
    policy
        .evaluate_json_to_string(r#"{"category":"bullying"}"#)
        .unwrap()
}

#[test]
fn a_warm_compile_answers_as_an_uncached_one() {
    let plain = loader(VOCAB);
    let cached = Cached::new(loader(VOCAB));
    let opts = CheckOptions::default();
    let expected = Policy::compile("s", &root(""), &plain, &opts).unwrap();
    assert!(cached.cache().unwrap().is_empty());
    let cold = Policy::compile("s", &root(""), &cached, &opts).unwrap();
    assert_eq!(cached.cache().unwrap().len(), 1, "the module is kept");
    let warm = Policy::compile("s", &root(""), &cached, &opts).unwrap();
    assert_eq!(
        cached.cache().unwrap().len(),
        1,
        "and reused, not added again"
    );
    for p in [&cold, &warm] {
        assert_eq!(decision(p), decision(&expected));
        assert_eq!(p.warnings().len(), expected.warnings().len());
        assert_eq!(
            p.sources().iter().count(),
            expected.sources().iter().count()
        );
    }
}

/// A loader whose vocabulary text can change between compiles, with a cache of its own.
struct Editable {
    vocab: RefCell<String>,
    cache: ModuleCache,
}

impl Loader for Editable {
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        Ok((module == "std/vocabulary").then(|| {
            (
                "policies/std/vocabulary.haven".to_owned(),
                self.vocab.borrow().clone(),
            )
        }))
    }

    fn cache(&self) -> Option<&ModuleCache> {
        Some(&self.cache)
    }
}

#[test]
fn a_module_whose_text_changed_is_parsed_again() {
    let opts = CheckOptions::default();
    let editable = Editable {
        vocab: RefCell::new(VOCAB.to_owned()),
        cache: ModuleCache::new(),
    };
    Policy::compile("s", &root(""), &editable, &opts).unwrap();
    // The same cache, now over a vocabulary without `dsl`: a stale AST would still compile.
    *editable.vocab.borrow_mut() = VOCAB.replace("role dsl\n", "");
    let err = Policy::compile("s", &root(""), &editable, &opts).unwrap_err();
    assert!(
        err.errors()
            .any(|d| d.code == "haven::check::unknown_target"),
        "{}",
        err.render()
    );
}

#[test]
fn module_errors_come_back_from_the_cache_with_their_positions() {
    let opts = CheckOptions::default();
    let broken = format!("{VOCAB}category\n");
    let plain = loader(&broken);
    let cached = Cached::new(loader(&broken));
    let expected = Policy::compile("s", &root(""), &plain, &opts)
        .unwrap_err()
        .render();
    for _ in 0..2 {
        let got = Policy::compile("s", &root(""), &cached, &opts)
            .unwrap_err()
            .render();
        assert_eq!(got, expected);
    }
}
