//! Scenario tests (`scenarios.toml`): incidents with expected decisions, each citing the
//! sentence of the policy it checks. One format for the CLI's `haven test` and the test suite.
//!
//! ```toml
//! [[scenario]]
//! name = "year 6 phone in a lesson is not allowed"
//! cites = "kenilworth-primary-2022 §4: \"In lesson times all such devices must be switched off\""
//! incident = { activity = "use", actor = { role = "pupil", year_group = 6 }, device = { kind = "phone", owner = "personal" }, time = "lesson" }
//! expect = { permission = "not_allowed", must = ["store_device locker"] }
//! ```
//!
//! Expectations: `status` (`complete`/`incomplete`), `breach` (`true`, `false` or
//! `"unknown"`), `permission` (a verdict or `"undecided"`), `must`/`must_not`/`should`/
//! `should_not`/`may` (each listed action must be present: the action token, then targets,
//! then optionally a deadline or `by:role`), `absent` (`"must refer police"`: no such action),
//! `questions` (the exact set of fact paths asked about), `asks` (fact paths that must be among
//! the questions), `notes` (substrings that must appear in some note), `rules` (rule ids that
//! must have applied), `error` (the incident is rejected with this error code).

use crate::decision::{Decision, Status};
use crate::syntax::ast::Modality;
use crate::Policy;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    #[serde(default)]
    scenario: Vec<Scenario>,
}

/// One scenario as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What it checks, in words.
    pub name: String,
    /// The policy sentence it checks.
    pub cites: String,
    /// The incident record.
    pub incident: toml::Value,
    /// What the decision must look like.
    #[serde(default)]
    pub expect: Expect,
}

/// Expected features of a decision.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `complete` or `incomplete`.
    pub status: Option<String>,
    /// `true`, `false` or `"unknown"`.
    pub breach: Option<toml::Value>,
    /// `allowed`, `allowed_if`, `not_allowed` or `undecided`.
    pub permission: Option<String>,
    /// Actions that must be required.
    #[serde(default)]
    pub must: Vec<String>,
    /// Actions that must be forbidden.
    #[serde(default)]
    pub must_not: Vec<String>,
    /// Actions that must be recommended.
    #[serde(default)]
    pub should: Vec<String>,
    /// Actions that must be advised against.
    #[serde(default)]
    pub should_not: Vec<String>,
    /// Actions that must be allowed.
    #[serde(default)]
    pub may: Vec<String>,
    /// `"modality action targets..."` that must not appear.
    #[serde(default)]
    pub absent: Vec<String>,
    /// The exact set of fact paths asked about.
    pub questions: Option<Vec<String>>,
    /// Fact paths that must be among the questions.
    #[serde(default)]
    pub asks: Vec<String>,
    /// Substrings that must appear in some note.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Rule ids that must have applied.
    #[serde(default)]
    pub rules: Vec<String>,
    /// The incident must be rejected with this error code.
    pub error: Option<String>,
}

/// The outcome of one scenario.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// Its name.
    pub name: String,
    /// What it cites.
    pub cites: String,
    /// Why it failed (empty if it passed).
    pub failures: Vec<String>,
    /// Rules and rows that applied or may apply (for coverage).
    pub exercised: Vec<String>,
}

impl ScenarioResult {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Parse a scenario file.
pub fn parse_scenarios(text: &str) -> Result<Vec<Scenario>, String> {
    let file: ScenarioFile = toml::from_str(text).map_err(|e| e.to_string())?;
    for (i, s) in file.scenario.iter().enumerate() {
        if s.cites.trim().is_empty() {
            return Err(format!(
                "scenario {} (`{}`) cites nothing: every scenario cites the sentence it checks",
                i + 1,
                s.name
            ));
        }
    }
    Ok(file.scenario)
}

/// Parse a scenario file and run every scenario against `policy`, in file order.
pub fn run_scenarios(policy: &Policy, text: &str) -> Result<Vec<ScenarioResult>, String> {
    let scenarios = parse_scenarios(text)?;
    Ok(scenarios.iter().map(|s| run_scenario(policy, s)).collect())
}

/// A TOML incident table as incident JSON.
pub fn to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            serde_json::Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// Run one scenario.
pub fn run_scenario(policy: &Policy, s: &Scenario) -> ScenarioResult {
    let mut failures = Vec::new();
    let mut exercised = Vec::new();
    let json = to_json(&s.incident);
    match policy.incident_from_value_all(&json) {
        Err(errors) => {
            let all = errors
                .iter()
                .map(|e| format!("`{}`: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            match &s.expect.error {
                Some(code) if errors.iter().any(|e| e.code == code.as_str()) => {}
                Some(code) => failures.push(format!("expected error `{code}`, got {all}")),
                None => failures.push(format!("incident rejected: {all}")),
            }
        }
        Ok(incident) => {
            if let Some(code) = &s.expect.error {
                failures.push(format!(
                    "expected the incident to be rejected with `{code}`"
                ));
            }
            let d = policy.evaluate(&incident);
            exercised.extend(d.fired_rules().map(str::to_owned));
            exercised.extend(d.possible_rules().map(str::to_owned));
            check_expect(&d, &s.expect, &mut failures);
        }
    }
    ScenarioResult {
        name: s.name.clone(),
        cites: s.cites.clone(),
        failures,
        exercised,
    }
}

fn check_expect(d: &Decision<'_>, e: &Expect, failures: &mut Vec<String>) {
    if let Some(status) = &e.status {
        let actual = match d.status() {
            Status::Complete => "complete",
            Status::Incomplete => "incomplete",
        };
        if status != actual {
            failures.push(format!("status: expected {status}, got {actual}"));
        }
    }
    if let Some(breach) = &e.breach {
        let want = match breach {
            toml::Value::Boolean(b) => Some(*b),
            _ => None,
        };
        if want != d.breach() {
            let show = |b: Option<bool>| b.map_or("unknown".to_owned(), |b| b.to_string());
            failures.push(format!(
                "breach: expected {}, got {}",
                show(want),
                show(d.breach())
            ));
        }
    }
    if let Some(p) = &e.permission {
        let actual = d.permission().unwrap_or("undecided");
        let actual = if d.permission.is_none() {
            "none"
        } else {
            actual
        };
        if p != actual {
            failures.push(format!("permission: expected {p}, got {actual}"));
        }
    }
    let lists = [
        (Modality::Must, &e.must),
        (Modality::MustNot, &e.must_not),
        (Modality::Should, &e.should),
        (Modality::ShouldNot, &e.should_not),
        (Modality::May, &e.may),
    ];
    for (modality, wanted) in lists {
        for w in wanted {
            if !d
                .actions()
                .any(|a| a.modality() == modality && a.matches(w))
            {
                failures.push(format!(
                    "expected `{} {w}`; actions were: {}",
                    modality.keyword(),
                    summary(d)
                ));
            }
        }
    }
    for a in &e.absent {
        let (modality, rest) = a.split_once(' ').unwrap_or((a.as_str(), ""));
        let found = d
            .actions()
            .any(|x| x.modality().keyword() == modality && x.matches(rest));
        if found {
            failures.push(format!("expected no `{a}`, but it is there"));
        }
    }
    let asked: Vec<&str> = d.questions().iter().map(|q| q.fact.as_str()).collect();
    if let Some(qs) = &e.questions {
        let mut want: Vec<&str> = qs.iter().map(String::as_str).collect();
        let mut got = asked.clone();
        want.sort_unstable();
        got.sort_unstable();
        if want != got {
            failures.push(format!("questions: expected {want:?}, got {got:?}"));
        }
    }
    for q in &e.asks {
        if !asked.contains(&q.as_str()) {
            failures.push(format!("expected a question about `{q}`; asked {asked:?}"));
        }
    }
    for n in &e.notes {
        if !d.notes().any(|x| x.contains(n.as_str())) {
            failures.push(format!("expected a note containing {n:?}"));
        }
    }
    for r in &e.rules {
        if !d.fired_rules().any(|x| x == r) {
            failures.push(format!("expected rule `{r}` to apply"));
        }
    }
}

fn summary(d: &Decision<'_>) -> String {
    let items: Vec<String> = d
        .actions()
        .map(|a| {
            let mut s = format!("{} {}", a.modality().keyword(), a.action());
            for t in a.targets() {
                s.push(' ');
                s.push_str(t);
            }
            if let Some(dl) = a.deadline() {
                s.push(' ');
                s.push_str(dl);
            }
            s
        })
        .collect();
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}
