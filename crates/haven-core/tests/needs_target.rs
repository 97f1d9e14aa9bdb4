//! Which actions need a target comes from the vocabulary (`action refer needs target`), not
//! from names the engine knows.

use haven_core::{check, CheckOptions, NoModules};

fn codes(vocab: &str, outcome: &str) -> Vec<String> {
    let text = format!(
        "policy t \"T\" {{ version \"1\" }}\n{vocab}\ncategory bullying\nrole dsl\n\
         rule r {{\n  cites \"§1\": \"Staff act.\"\n  when category is bullying\n  {outcome}\n}}\n"
    );
    check("t", &text, &NoModules, &CheckOptions::default())
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.to_owned())
        .collect()
}

#[test]
fn an_action_declared_with_needs_target_must_name_one() {
    assert_eq!(
        codes("action escalate needs target", "must escalate"),
        ["haven::check::missing_target"]
    );
    assert!(codes("action escalate needs target", "must escalate dsl").is_empty());
}

#[test]
fn other_actions_need_none_whatever_their_name() {
    // `refer` is not special to the engine: without `needs target` it needs none.
    assert!(codes("action refer", "must refer").is_empty());
    assert!(codes("action escalate", "must escalate").is_empty());
}

#[test]
fn only_an_action_can_need_a_target() {
    assert_eq!(
        codes(
            "action escalate\nagency police needs target",
            "must escalate"
        ),
        ["haven::check::needs_target_not_action"]
    );
}
