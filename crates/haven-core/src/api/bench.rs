//! Core's own stages of a binding's benchmark, timed here so that the binding's script can set
//! its own cost (reading host values, making host objects) beside core's on the same record.

use super::usage;
use crate::Policy;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The time of `n` runs of `stage` on the incident JSON `text`: `"json"` (text → decision
/// JSON text, what `haven eval --format json` does per record), `"value"` (read a parsed
/// `serde_json` value, then evaluate) or `"evaluate"` (the engine alone, the record read
/// once beforehand). `Err` names an unknown stage or the record's first error.
pub fn time(policy: &Policy, text: &str, stage: &str, n: usize) -> Result<Duration, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let incident = policy.incident_from_value_all(&value);
    let incident = incident.map_err(|e| e.first().map(ToString::to_string).unwrap_or_default())?;
    let run: &dyn Fn() = match stage {
        "json" => &|| drop(black_box(policy.evaluate_json_to_string(text))),
        "value" => &|| {
            let read = policy.incident_from_value_all(black_box(&value));
            drop(black_box(read.map(|i| policy.evaluate(&i))));
        },
        "evaluate" => &|| drop(black_box(policy.evaluate(black_box(&incident)))),
        other => return Err(usage::not_a("a bench stage", other)),
    };
    let start = Instant::now();
    (0..n).for_each(|_| run());
    Ok(start.elapsed())
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, NoModules, Policy};

    const POLICY: &str = r#"policy t "bench stages" {
  version "1"
  source "t.txt"
}
category bullying
action log_incident
rule r {
  cites "§1": "Log it."
  when category is bullying
  must log_incident
}
"#;

    #[test]
    fn stages_run_and_unknown_ones_are_named() {
        let policy = Policy::compile("t", POLICY, &NoModules, &CheckOptions::default())
            .unwrap_or_else(|e| panic!("{}", e.render()));
        let record = r#"{"category": "bullying"}"#;
        for stage in ["json", "value", "evaluate"] {
            assert!(super::time(&policy, record, stage, 3).is_ok(), "{stage}");
        }
        let unknown = super::time(&policy, record, "nope", 1);
        assert_eq!(unknown, Err("not a bench stage: nope".to_owned()));
        let invalid = super::time(&policy, r#"{"category": "csam"}"#, "json", 1);
        assert!(
            invalid.as_ref().is_err_and(|e| e.contains("csam")),
            "{invalid:?}"
        );
        assert!(super::time(&policy, "{", "json", 1).is_err());
    }
}
