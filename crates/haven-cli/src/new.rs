//! `haven new <id>`: a new school policy that extends the national baseline, with one named
//! person, one rule, its scenarios and encoding notes. It checks and tests clean as written,
//! so an author starts from green and changes one thing at a time.

use crate::Exit;
use haven_core::Date;
use std::path::{Path, PathBuf};

/// Whether `id` can be a policy id (a haven name).
pub(crate) fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The three files of a new policy, for `today` (adopted today, review in a year).
pub(crate) fn scaffold(id: &str, title: &str, today: Date) -> [(&'static str, String); 3] {
    let adopted = Date { day: None, ..today };
    let review = Date {
        year: today.year.saturating_add(1),
        day: None,
        ..today
    };
    let title = title.replace(['"', '\\'], "");
    let policy = format!(
        r#"// {title}: the online-safety policy as code. Keep this file beside the policy document and
// give every rule the sentence it encodes (`cites "§Section": "sentence"`).
// Check it with `haven check {id}`, test it with `haven test {id} --coverage`.

policy {id} "{title}" {{
  version "0.1"
  adopted {adopted}
  review_by {review}
  extends baseline
  use std/vocabulary
}}

// ------------------------------------------------------------------ named people
// Who holds each role, as the document names them. Decisions name the holder of a notified role.

person "Alex Example" holds dsl
  cites "§Responsibilities": "The designated safeguarding lead is Alex Example."

// ------------------------------------------------------------------ rules
// One rule per duty sentence. The baseline (national guidance) fills what this policy is
// silent on; a rule here adds to it, and `replaces` stands in for a baseline rule.

rule breaches_reported_to_dsl {{
  cites "§Reporting incidents": "All breaches of this policy must be reported to the designated safeguarding lead."
  when category is any
  must notify dsl
}}
"#
    );
    let scenarios = format!(
        r#"# Scenarios for {title}. Each scenario cites the sentence of the policy it checks.
# Run: haven test {id} --coverage

[[scenario]]
name = "a breach of the policy is reported to the designated safeguarding lead"
cites = "{id} §Reporting incidents: \"All breaches of this policy must be reported to the designated safeguarding lead.\""
incident = {{ category = "cyberbullying", actor = {{ role = "pupil", age = 12 }} }}
expect = {{ must = ["notify dsl"], rules = ["breaches_reported_to_dsl"] }}

[[scenario]]
name = "the report holds whatever the category, even one the baseline says nothing about"
cites = "{id} §Reporting incidents: \"All breaches of this policy must be reported to the designated safeguarding lead.\""
incident = {{ category = "copyright_breach" }}
expect = {{ must = ["notify dsl"], rules = ["breaches_reported_to_dsl"] }}
"#
    );
    let notes = format!(
        r#"# {title} (`{id}`): encoding notes

Made by `haven new {id}`. Files: `policy.haven` (the policy), `scenarios.toml` (scenario tests,
each citing the sentence it checks), this file (decisions an author should know about).

```
haven check {id}                # every error and warning, located and underlined
haven test  {id} --coverage     # the scenarios; lists rules no scenario exercises
haven render {id} --format html # the readable document, each rule with its citation
```

## Next steps

1. Replace "Alex Example" and the placeholder sentences with the names and sentences of your
   policy document; set `version`, `adopted` and `review_by` from its front page.
2. Add one rule per duty sentence. `haven draft <document.txt> --id {id}` drafts a skeleton
   from the document's text, one `when todo` rule per sentence it finds.
3. Add a scenario for each rule (`haven test {id} --coverage` lists the ones without).
4. Record here every sentence you read differently from its plain words, and why.

## Layers

`extends baseline` brings in national guidance (UKCIS, KCSIE, DfE). Where this policy is
silent, the baseline decides (decisions mark those actions `source: baseline`); statutory
baseline rules cannot be weakened.
"#
    );
    [
        ("policy.haven", policy),
        ("scenarios.toml", scenarios),
        ("NOTES.md", notes),
    ]
}

/// `haven new`: write the scaffold into `out` (default `./<id>`), which must not hold a policy.
pub(crate) fn new(id: &str, title: Option<&str>, out: Option<&Path>) -> Exit {
    if !valid_id(id) {
        eprintln!(
            "error: `{id}` is not a policy id (letters, digits and `_`, starting with a letter)"
        );
        return Exit::Usage;
    }
    let dir = out.map_or_else(|| PathBuf::from(id), Path::to_path_buf);
    let files = scaffold(
        id,
        title.unwrap_or("Online Safety Policy"),
        crate::options().today.unwrap_or(Date {
            year: 2026,
            month: 1,
            day: None,
        }),
    );
    if let Some((name, _)) = files.iter().find(|(name, _)| dir.join(name).exists()) {
        eprintln!(
            "error: `{}` exists: `haven new` never overwrites (choose another id or --out)",
            dir.join(name).display()
        );
        return Exit::Usage;
    }
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        files
            .iter()
            .try_for_each(|(name, text)| std::fs::write(dir.join(name), text))
    });
    if let Err(e) = written {
        eprintln!("error: cannot write into `{}`: {e}", dir.display());
        return Exit::Io;
    }
    let shown = dir.display();
    eprintln!(
        "created {shown}/policy.haven, {shown}/scenarios.toml and {shown}/NOTES.md\n\
         next: haven check {shown} && haven test {shown} --coverage"
    );
    Exit::Ok
}
