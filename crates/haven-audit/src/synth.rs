//! Generated histories with planted departures, for tests and benchmarks: each record is
//! built, evaluated against the policy, and given `taken` entries that are on time except
//! where a late, missing or forbidden action (or a recorded judgement) is planted. The
//! planted list is what an audit must find, exactly.

use crate::audit::Outcome;
use crate::Auditor;
use haven_calendar::due;
use haven_calendar::time::{Day, LocalTime};
use haven_core::syntax::ast::TokenKind;
use haven_core::{Modality, TargetMode};
use serde_json::{json, Value};

/// A departure planted in a generated record.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Planted {
    /// The record id.
    pub id: String,
    /// The action token.
    pub action: String,
    /// Its targets as the decision lists them.
    pub target: Vec<String>,
    /// What the audit must report.
    pub outcome: Outcome,
    /// Whether a professional judgement covers it.
    pub judged: bool,
}

/// A [`Planted`] as plain parts for a binding: (record id, action, targets, outcome, judged).
pub type PlantedParts = (String, String, Vec<String>, &'static str, bool);

impl Planted {
    /// The departure as plain parts, the outcome by its name.
    pub fn into_parts(self) -> PlantedParts {
        (
            self.id,
            self.action,
            self.target,
            self.outcome.as_str(),
            self.judged,
        )
    }
}

/// Generated records (JSON Lines, without the newlines) and what was planted in them.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    /// One history record per entry.
    pub lines: Vec<String>,
    /// Every planted departure.
    pub planted: Vec<Planted>,
}

/// SplitMix64: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    fn chance(&mut self, per_thousand: u64) -> bool {
        self.below(1000) < per_thousand
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(usize::try_from(self.below(items.len() as u64)).unwrap_or(0))
    }
}

const REASONS: &[&str] = &[
    "parents already aware; informing them would put the child at risk",
    "police attended the school and took the referral directly",
    "DSL absent; deputy consulted children's social care by phone",
    "referral made by another school for the same incident",
];

const ROLES: &[&str] = &["pupil", "pupil", "pupil", "teacher", "teaching_assistant"];

/// Generate `n` records for `school` from `seed`, with roughly 4 % of required actions
/// late, 3 % not done, 3 % covered by a judgement and 5 % of forbidden actions done.
pub fn generate(auditor: &Auditor, school: &str, n: usize, seed: u64) -> Generated {
    let mut rng = Rng(seed ^ 0x5eed_0000_0000_0000);
    let policy = auditor.policy();
    let cal = auditor.calendar();
    let categories = policy.token_names(TokenKind::Category);
    let locations = policy.token_names(TokenKind::Location);
    let first = cal
        .terms
        .first()
        .map_or(Day::from_ymd(2025, 9, 1), |t| Some(t.starts))
        .unwrap_or(Day(20_332));
    let last = cal
        .terms
        .last()
        .map_or(Day::from_ymd(2026, 7, 22), |t| Some(t.ends))
        .unwrap_or(Day(20_656));
    let span = u64::try_from(last.0 - first.0 + 1).unwrap_or(1);
    let mut out = Generated::default();
    let mut made = 0usize;
    let mut attempt = 0u64;
    while made < n && attempt < (n as u64).saturating_mul(20) + 100 {
        attempt += 1;
        let id = format!("{school}-{made}");
        let day = Day(first.0 + i64::try_from(rng.below(span)).unwrap_or(0));
        let reported = LocalTime::at(
            day,
            7 * 60 + 30 + i64::try_from(rng.below(10 * 60 + 30)).unwrap_or(0),
        );
        let occurred = LocalTime(reported.0 - i64::try_from(rng.below(180)).unwrap_or(0));
        let role = rng.pick(ROLES).copied().unwrap_or("pupil");
        let age_days = if role == "pupil" {
            365 * 5 + rng.below(365 * 11)
        } else {
            365 * 22 + rng.below(365 * 40)
        };
        let born = Day(occurred.day().0 - i64::try_from(age_days).unwrap_or(0));
        let mut incident = json!({
            "category": rng.pick(&categories).cloned().unwrap_or_default(),
            "actor": {"role": role, "date_of_birth": born.to_string()},
        });
        if let (Some(obj), Some(loc)) = (incident.as_object_mut(), rng.pick(&locations)) {
            if rng.chance(500) {
                obj.insert("location".into(), json!(loc));
            }
        }
        let mut record = json!({
            "id": id,
            "school": school,
            "occurred_at": occurred.to_string(),
            "reported_at": reported.to_string(),
            "incident": incident,
        });
        let Ok(mut parsed) = auditor.parse_value(record.clone(), &id) else {
            continue;
        };
        // Answer most of the policy's questions (a record leaves about one in twenty open),
        // trying a boolean, then a number, for each fact asked about.
        for _round in 0..6 {
            let questions: Vec<String> = policy
                .evaluate(&parsed.incident)
                .questions()
                .iter()
                .map(|q| q.fact.clone())
                .collect();
            if questions.is_empty() || rng.chance(50) {
                break;
            }
            let mut changed = false;
            for fact in questions {
                let yes = rng.chance(300);
                let kind = match fact.rsplit('.').next() {
                    Some("kind") => TokenKind::Device,
                    Some("owner") => TokenKind::Owner,
                    Some("location") => TokenKind::Location,
                    Some("time") => TokenKind::Time,
                    _ => TokenKind::Role,
                };
                let token = rng
                    .pick(&policy.token_names(kind))
                    .cloned()
                    .unwrap_or_default();
                for value in [json!(yes), json!(u8::from(yes)), json!(token), json!([])] {
                    let mut candidate = record.clone();
                    if !set_path(&mut candidate, &fact, value) {
                        break;
                    }
                    if let Ok(p) = auditor.parse_value(candidate.clone(), &id) {
                        record = candidate;
                        parsed = p;
                        changed = true;
                        break;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let decision = policy.evaluate(&parsed.incident);
        let musts: Vec<_> = decision
            .actions()
            .filter(|a| a.modality() == Modality::Must)
            .collect();
        let forbids: Vec<_> = decision
            .actions()
            .filter(|a| a.modality() == Modality::MustNot)
            .collect();
        if musts.is_empty() && forbids.is_empty() && rng.chance(800) {
            // Keep most records interesting.
            continue;
        }
        let mut taken: Vec<Value> = Vec::new();
        let mut judgements: Vec<Value> = Vec::new();
        let take = |taken: &mut Vec<Value>, action: &str, target: Option<&str>, at: LocalTime| {
            let mut t = json!({"action": action, "by": "dsl", "at": at.to_string()});
            if let (Some(obj), Some(target)) = (t.as_object_mut(), target) {
                obj.insert("target".into(), json!(target));
            }
            taken.push(t);
        };
        for (i, a) in musts.iter().enumerate() {
            let targets = a.targets();
            let entangled = musts.iter().enumerate().any(|(j, b)| {
                j != i
                    && b.action() == a.action()
                    && (targets.is_empty()
                        || b.targets().is_empty()
                        || b.targets().iter().any(|t| targets.contains(t)))
            });
            let due_at = due(a.deadline(), reported, cal);
            let on_time_at = match due_at {
                Some(d) => LocalTime(
                    reported.0
                        + i64::try_from(rng.below(121))
                            .unwrap_or(0)
                            .min(d.0 - reported.0)
                            .max(0),
                ),
                None => LocalTime(reported.0 + 30),
            };
            let late_at = due_at
                .map(|d| LocalTime(d.0 + 1 + i64::try_from(rng.below(7 * 1440)).unwrap_or(0)));
            let serve = |taken: &mut Vec<Value>, at: LocalTime| {
                if targets.is_empty() {
                    take(taken, a.action(), None, at);
                } else if a.target_mode() == TargetMode::All {
                    for t in &targets {
                        take(taken, a.action(), Some(t), at);
                    }
                } else if let Some(t) = targets.first() {
                    take(taken, a.action(), Some(t), at);
                }
            };
            let roll = rng.below(1000);
            let plant = |outcome, judged| Planted {
                id: id.clone(),
                action: a.action().to_owned(),
                target: targets.iter().map(|t| (*t).to_owned()).collect(),
                outcome,
                judged,
            };
            let judgement = |departure: &str, rng: &mut Rng| {
                let mut j = json!({
                    "action": a.action(),
                    "departure": departure,
                    "reason": rng.pick(REASONS).copied().unwrap_or("reason"),
                    "decided_by": "dsl",
                });
                if let Some(obj) = j.as_object_mut() {
                    if let Some(t) = targets.first() {
                        obj.insert("target".into(), json!(t));
                    }
                    if let Some(r) = a.rules().first() {
                        obj.insert("rule".into(), json!(r));
                    }
                    if rng.chance(500) {
                        obj.insert("reviewed_by".into(), json!("headteacher"));
                    }
                }
                j
            };
            match (entangled, roll, late_at) {
                (false, 0..=39, Some(late)) => {
                    serve(&mut taken, late);
                    out.planted.push(plant(Outcome::Late, false));
                }
                (false, 40..=69, _) => out.planted.push(plant(Outcome::NotDone, false)),
                (false, 70..=84, _) => {
                    judgements.push(judgement("not_taken", &mut rng));
                    out.planted.push(plant(Outcome::NotDone, true));
                }
                (false, 85..=99, Some(late)) => {
                    serve(&mut taken, late);
                    judgements.push(judgement("taken_differently", &mut rng));
                    out.planted.push(plant(Outcome::Late, true));
                }
                _ => serve(&mut taken, on_time_at),
            }
        }
        for a in &forbids {
            let shared = musts.iter().any(|m| m.action() == a.action());
            if !shared && rng.chance(50) {
                let targets = a.targets();
                take(
                    &mut taken,
                    a.action(),
                    targets.first().copied(),
                    LocalTime(reported.0 + 10),
                );
                out.planted.push(Planted {
                    id: id.clone(),
                    action: a.action().to_owned(),
                    target: targets.iter().map(|t| (*t).to_owned()).collect(),
                    outcome: Outcome::Forbidden,
                    judged: false,
                });
            }
        }
        if let Some(obj) = record.as_object_mut() {
            obj.insert("taken".into(), Value::Array(taken));
            if !judgements.is_empty() {
                obj.insert("judgements".into(), Value::Array(judgements));
            }
        }
        out.lines.push(record.to_string());
        made += 1;
    }
    out.planted.sort();
    out
}

/// Set `incident.<path>` (dotted, e.g. `facts.adult_involved` or `actor.sen`) in a record,
/// creating objects on the way; false when the path runs through a non-object.
fn set_path(record: &mut Value, path: &str, value: Value) -> bool {
    let Some(mut at) = record.get_mut("incident") else {
        return false;
    };
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(obj) = at.as_object_mut() else {
            return false;
        };
        if parts.peek().is_none() {
            obj.insert(part.to_owned(), value);
            return true;
        }
        at = obj.entry(part.to_owned()).or_insert_with(|| json!({}));
    }
    false
}

/// The departures an audit found, in the shape of [`Planted`], sorted: what a test compares
/// with [`Generated::planted`].
pub fn found(audits: &[crate::RecordAudit]) -> Vec<Planted> {
    let mut out: Vec<Planted> = audits
        .iter()
        .flat_map(|r| {
            r.items
                .iter()
                .filter(|i| i.outcome != Outcome::OnTime || i.judgement.is_some())
                .map(|i| Planted {
                    id: r.id.clone(),
                    action: i.action.clone(),
                    target: i.target.clone(),
                    outcome: i.outcome,
                    judged: i.judgement.is_some(),
                })
        })
        .collect();
    out.sort();
    out
}
