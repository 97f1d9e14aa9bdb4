//! One record against the policy: what was required, by when, and what was done.

use crate::history::{HistoryRecord, Judgement, Taken};
use haven_calendar::calendar::Calendar;
use haven_calendar::due;
use haven_calendar::time::LocalTime;
use haven_core::{Modality, Policy, Status, TargetMode};
use serde::{Deserialize, Serialize};

/// What happened to one required or forbidden action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Required, and done by its due time (or at all, when it has none).
    OnTime,
    /// Required, and done after its due time.
    Late,
    /// Required, and not done (for `all` targets: not done for every target).
    NotDone,
    /// Forbidden (`must not`), and done.
    Forbidden,
}

impl Outcome {
    /// The snake-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::OnTime => "on_time",
            Outcome::Late => "late",
            Outcome::NotDone => "not_done",
            Outcome::Forbidden => "forbidden",
        }
    }
}

/// A recorded judgement as it appears in the audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgementOut {
    /// The action departed from.
    pub action: String,
    /// `not_taken` or `taken_differently`.
    pub departure: String,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub decided_by: String,
    /// Who reviewed it.
    pub reviewed_by: Option<String>,
}

impl From<&Judgement> for JudgementOut {
    fn from(j: &Judgement) -> Self {
        JudgementOut {
            action: j.action.clone(),
            departure: j.departure.as_str().to_owned(),
            reason: j.reason.clone(),
            decided_by: j.decided_by.clone(),
            reviewed_by: j.reviewed_by.clone(),
        }
    }
}

/// One required (`must`) or forbidden (`must not`) action of a record and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// `must` or `must_not`.
    pub modality: String,
    /// The action token.
    pub action: String,
    /// Its targets.
    pub target: Vec<String>,
    /// `any` or `all`.
    pub target_mode: String,
    /// The deadline token, if the policy names one.
    pub deadline: Option<String>,
    /// The rules requiring or forbidding it.
    pub rules: Vec<String>,
    /// The concrete due time (UK local), when the deadline names one.
    pub due: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// When it was done (for `all`: when the last target was done).
    pub done_at: Option<String>,
    /// For late actions: school days from the due day to the day it was done.
    pub late_by_school_days: Option<i64>,
    /// For late actions: minutes after the due time.
    pub late_by_minutes: Option<i64>,
    /// A recorded professional judgement covering a departure here.
    pub judgement: Option<JudgementOut>,
}

/// The audit of one history record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordAudit {
    /// The record's id.
    pub id: String,
    /// The school, from the record (or the policy id).
    pub school: String,
    /// The incident category, if any.
    pub category: Option<String>,
    /// `YYYY-MM` of the report.
    pub month: String,
    /// When it was reported (UK local).
    pub reported_at: String,
    /// `complete`, or `incomplete` when questions were never answered.
    pub status: String,
    /// The required and forbidden actions (forbidden ones only when done). In the
    /// `findings` of a report, only the departures: late, not done, forbidden or judged.
    pub items: Vec<Item>,
    /// How many required actions were done on time.
    pub on_time: u32,
    /// Facts the policy asked about that the record never answers.
    pub unanswered: Vec<String>,
    /// Judgements about actions the policy did not require or forbid here.
    pub unmatched_judgements: Vec<JudgementOut>,
}

impl RecordAudit {
    /// Keep only the departing items (what a report's `findings` list).
    pub fn retain_departures(&mut self) {
        self.items
            .retain(|i| i.outcome != Outcome::OnTime || i.judgement.is_some());
    }

    /// Whether anything departs from the policy: an action late, not done or forbidden, a
    /// recorded judgement, or an unanswered question.
    pub fn has_findings(&self) -> bool {
        !self.unanswered.is_empty()
            || !self.unmatched_judgements.is_empty()
            || self
                .items
                .iter()
                .any(|i| i.outcome != Outcome::OnTime || i.judgement.is_some())
    }
}

fn targets_meet(wanted: &[&str], taken: &Taken) -> bool {
    wanted.is_empty() || taken.targets.iter().any(|t| wanted.contains(&t.as_str()))
}

/// Audit one validated record.
pub(crate) fn audit(policy: &Policy, cal: &Calendar, record: &HistoryRecord) -> RecordAudit {
    let decision = policy.evaluate(&record.incident);
    let reported = record.reported_at;
    let mut items = Vec::new();
    let mut used = vec![false; record.judgements.len()];
    for action in decision.actions() {
        let modality = action.modality();
        if !matches!(modality, Modality::Must | Modality::MustNot) {
            continue;
        }
        let name = action.action();
        let targets = action.targets();
        let mode = action.target_mode();
        let deadline = action.deadline();
        let matching = record
            .taken
            .iter()
            .filter(|t| t.action == name && targets_meet(&targets, t));
        let (outcome, done_at, due_at) = if modality == Modality::MustNot {
            match matching.map(|t| t.at).min() {
                None => continue,
                Some(at) => (Outcome::Forbidden, Some(at), None),
            }
        } else {
            let done_at = done_time(&record.taken, name, &targets, mode);
            let due_at = due(deadline, reported, cal);
            let outcome = match (done_at, due_at) {
                (None, _) => Outcome::NotDone,
                (Some(done), Some(due_at)) if done > due_at => Outcome::Late,
                _ => Outcome::OnTime,
            };
            (outcome, done_at, due_at)
        };
        let rules: Vec<String> = action.rules().into_iter().map(str::to_owned).collect();
        let judgement = if outcome == Outcome::OnTime {
            None
        } else {
            record
                .judgements
                .iter()
                .enumerate()
                .find(|(i, j)| {
                    !used.get(*i).copied().unwrap_or(true)
                        && j.action == name
                        && j.target.as_deref().is_none_or(|t| targets.contains(&t))
                        && j.rule.as_ref().is_none_or(|r| rules.contains(r))
                })
                .map(|(i, j)| {
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    JudgementOut::from(j)
                })
        };
        let (late_days, late_minutes) = match (outcome, done_at, due_at) {
            (Outcome::Late, Some(done), Some(due_at)) => (
                Some(cal.school_days_between(due_at.day(), done.day())),
                Some(done.0 - due_at.0),
            ),
            _ => (None, None),
        };
        items.push(Item {
            modality: modality.keyword().to_owned(),
            action: name.to_owned(),
            target: targets.iter().map(|t| (*t).to_owned()).collect(),
            target_mode: match mode {
                TargetMode::Any => "any".to_owned(),
                TargetMode::All => "all".to_owned(),
            },
            deadline: deadline.map(str::to_owned),
            rules,
            due: due_at.map(|d| d.to_string()),
            outcome,
            done_at: done_at.map(|d| d.to_string()),
            late_by_school_days: late_days,
            late_by_minutes: late_minutes,
            judgement,
        });
    }
    let unmatched_judgements = record
        .judgements
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(j, _)| JudgementOut::from(j))
        .collect();
    let on_time = items
        .iter()
        .filter(|i| i.outcome == Outcome::OnTime && i.judgement.is_none())
        .count();
    RecordAudit {
        on_time: u32::try_from(on_time).unwrap_or(u32::MAX),
        id: record.id.clone(),
        school: record
            .school
            .clone()
            .unwrap_or_else(|| policy.id().to_owned()),
        category: record.category.clone(),
        month: reported.day().month_key(),
        reported_at: reported.to_string(),
        status: match decision.status() {
            Status::Complete => "complete".into(),
            Status::Incomplete => "incomplete".into(),
        },
        items,
        unanswered: decision
            .questions()
            .iter()
            .map(|q| q.fact.clone())
            .collect(),
        unmatched_judgements,
    }
}

/// When a required action was done: for `any` (or no targets) the first matching record;
/// for `all`, when the last target was first served.
fn done_time(
    taken: &[Taken],
    action: &str,
    targets: &[&str],
    mode: TargetMode,
) -> Option<LocalTime> {
    let of = |want: &[&str]| {
        taken
            .iter()
            .filter(|t| t.action == action && targets_meet(want, t))
            .map(|t| t.at)
            .min()
    };
    if mode == TargetMode::All && targets.len() > 1 {
        let mut last = None;
        for t in targets {
            let at = of(std::slice::from_ref(t))?;
            last = last.max(Some(at));
        }
        last
    } else {
        of(targets)
    }
}
