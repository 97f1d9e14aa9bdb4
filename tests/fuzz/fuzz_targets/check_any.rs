//! Check any text as a policy: every diagnostic renders; a policy that compiles evaluates a
//! few incidents and renders as a document. Never a panic, a stack overflow or a hang.
//!
//! Modules come from small stand-ins for `std/vocabulary`, `baseline` and `shared/ukcis_2024`
//! (loading the real ones would parse 30 KB per run); the seeds in `seeds/check_any/` use them.
#![no_main]

use haven_core::{CheckOptions, Date, MapLoader, Policy};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const VOCABULARY: &str = r#"module vocabulary "stand-in" {
  version "1"
}
role adult "Any adult"
role staff is adult
role pupil
role headteacher is staff
role dsl is staff
role governor is adult
agency police
agency childrens_social_care
device phone
owner personal
owner school
location classroom
time lesson
time break
activity use
category sharing_nudes
category staff_misuse_concern
action notify
action refer
action log_incident
action confiscate_device
deadline immediately
deadline same_day
fact adult_involved: bool
  ask "Is an adult involved?"
fact prior_incidents: int 0..100
fact approved_by: role
fact platform: one_of [snapchat, other]
person_fact age: int 0..120
  ask "How old is the {who}?"
"#;

const BASELINE: &str = r#"policy baseline "stand-in baseline" {
  version "1"
  use std/vocabulary
  use shared/ukcis_2024
}
statutory rule refer_adults {
  cites "§1": "Refer."
  when category is sharing_nudes and adult_involved
  must refer police due immediately by dsl
}
rule log_all {
  cites "§2"
  when category is any
  must log_incident
}
"#;

const UKCIS: &str = r#"module ukcis_2024 {
  version "1"
  use std/vocabulary
}
criteria referral "Referral" any {
  cites "§2.6"
  c1: adult_involved
  c2: any(people: age < 13)
}
"#;

const INCIDENTS: [&str; 3] = [
    r#"{"category": "sharing_nudes", "actor": {"role": "pupil", "age": 12}}"#,
    r#"{"activity": "use", "actor": {"role": "staff"}, "device": {"kind": "phone", "owner": "personal"}, "time": "lesson"}"#,
    r#"{"category": "staff_misuse_concern", "actor": {"role": "headteacher"}, "facts": {"prior_incidents": 3}}"#,
];

fn loader() -> &'static MapLoader {
    static LOADER: OnceLock<MapLoader> = OnceLock::new();
    LOADER.get_or_init(|| {
        let mut l = MapLoader::new();
        l.insert("std/vocabulary", "std/vocabulary.haven", VOCABULARY);
        l.insert("baseline", "baseline/policy.haven", BASELINE);
        l.insert("shared/ukcis_2024", "shared/ukcis_2024.haven", UKCIS);
        l
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = CheckOptions {
        today: Some(Date {
            year: 2026,
            month: 11,
            day: Some(22),
        }),
        ..CheckOptions::default()
    };
    match Policy::compile("fuzz.haven", text, loader(), &opts) {
        Ok(policy) => {
            for w in policy.warnings() {
                let _ = w.render(policy.sources());
                let _ = w.detailed(policy.sources());
            }
            for incident in INCIDENTS {
                if let Ok(decision) = policy.evaluate_json(incident) {
                    let _ = decision.to_json();
                    let _ = decision.to_text();
                }
            }
            let _ = haven_core::render::markdown(&policy);
            let _ = haven_core::render::html(&policy);
        }
        Err(err) => {
            assert!(err.errors().next().is_some(), "failed without an error");
            let _ = err.render();
            let _ = err.detailed();
            let _ = err.to_string();
        }
    }
});
