//! The editor grammar (`grammar/haven.tmLanguage.json`) keeps step with the language grammar
//! (`grammar/haven.pest`): every word the pest grammar reserves or expects is coloured. (The
//! VS Code extension's build tokenises a sample with VS Code's own engine; this test needs no
//! Node and fails as soon as a keyword is added to one grammar and not the other.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).unwrap()
}

/// The quoted words of the pest rules named, e.g. `keyword = @{ ("policy" | ...) }`.
fn words_of(pest: &str, rules: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for rule in rules {
        let start = pest
            .lines()
            .position(|l| l.starts_with(&format!("{rule} = ")))
            .unwrap_or_else(|| panic!("no rule `{rule}` in haven.pest"));
        let body: String = pest
            .lines()
            .skip(start)
            .take_while(|l| !l.trim().is_empty() && !l.starts_with("///"))
            .collect::<Vec<_>>()
            .join("\n");
        let body = body.split_once('=').map_or("", |(_, b)| b);
        out.extend(
            body.split('"')
                .skip(1)
                .step_by(2)
                .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic() || c == '_'))
                .filter(|w| !w.is_empty())
                .map(str::to_owned),
        );
    }
    out.sort();
    out.dedup();
    out
}

/// Every `match` / `begin` regex of the TextMate grammar, as one text.
fn patterns(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if matches!(key.as_str(), "match" | "begin") {
                    out.push_str(v.as_str().unwrap_or(""));
                    out.push('\n');
                } else {
                    patterns(v, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| patterns(v, out)),
        _ => {}
    }
}

/// Whether `word` appears in a regex as a whole alternative: `(word|`, `|word)`, `\bword\b`…
fn matched(regexes: &str, word: &str) -> bool {
    let before = ["(", "|", "\\b", "(?:"];
    let after = [")", "|", "\\b", "\\s"];
    regexes.match_indices(word).any(|(i, _)| {
        let head = &regexes[..i];
        let tail = &regexes[i + word.len()..];
        before.iter().any(|b| head.ends_with(b)) && after.iter().any(|a| tail.starts_with(a))
    })
}

#[test]
fn every_pest_keyword_is_coloured_by_the_textmate_grammar() {
    let pest = read("grammar/haven.pest");
    let words = words_of(
        &pest,
        &[
            "keyword",
            "token_kind",
            "meta_date_key",
            "meta_text_key",
            "modality",
            "verdict",
            "hit_policy",
            "perm_condition_kind",
            "type_bool",
            "type_int",
            "type_enum",
            "fact_decl",
            "person_fact_decl",
            "ask",
            "meta_extends",
            "meta_use",
        ],
    );
    // The brief's newest keywords must be among them, or this test reads the wrong rules.
    for new in [
        "default", "breach", "because", "relation", "implies", "declines", "todo", "layer",
    ] {
        assert!(
            words.contains(&new.to_owned()),
            "`{new}` not read from haven.pest"
        );
    }
    let grammar: serde_json::Value =
        serde_json::from_str(&read("grammar/haven.tmLanguage.json")).unwrap();
    assert_eq!(grammar["scopeName"], "source.haven");
    let mut regexes = String::new();
    patterns(&grammar, &mut regexes);
    let missing: Vec<&String> = words.iter().filter(|w| !matched(&regexes, w)).collect();
    assert!(
        missing.is_empty(),
        "haven.tmLanguage.json does not colour {missing:?}"
    );
}
