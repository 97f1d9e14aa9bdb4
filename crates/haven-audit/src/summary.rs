//! Aggregates over many audited records. Adding is order-independent and partial summaries
//! merge exactly, so a summary built in pieces (threads, Spark partitions) equals the one
//! built in a single pass.

use crate::audit::{Outcome, RecordAudit};
use crate::history::HistoryError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counts of audited actions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Required (`must`) actions.
    pub required: u64,
    /// Required and done on time (without a recorded judgement).
    pub on_time: u64,
    /// Required and done late, with no recorded judgement.
    pub late: u64,
    /// Required and not done, with no recorded judgement.
    pub not_done: u64,
    /// Forbidden and done, with no recorded judgement.
    pub forbidden: u64,
    /// Departures covered by a recorded professional judgement (reported apart).
    pub judged: u64,
    /// School days late, summed over the plain late actions.
    pub late_school_days: u64,
}

impl Counts {
    fn merge(&mut self, o: &Counts) {
        self.required += o.required;
        self.on_time += o.on_time;
        self.late += o.late;
        self.not_done += o.not_done;
        self.forbidden += o.forbidden;
        self.judged += o.judged;
        self.late_school_days += o.late_school_days;
    }

    /// Late, not done and forbidden together: the plain misses.
    pub fn misses(&self) -> u64 {
        self.late + self.not_done + self.forbidden
    }
}

/// Recorded departures from one rule (or from an action no rule required here).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgementStats {
    /// How many.
    pub count: u64,
    /// Of which the action was not taken.
    pub not_taken: u64,
    /// Of which it was taken differently.
    pub taken_differently: u64,
    /// Of which nobody has reviewed the decision yet.
    pub unreviewed: u64,
    /// How often each reason was given.
    pub reasons: BTreeMap<String, u64>,
}

impl JudgementStats {
    fn merge(&mut self, o: &JudgementStats) {
        self.count += o.count;
        self.not_taken += o.not_taken;
        self.taken_differently += o.taken_differently;
        self.unreviewed += o.unreviewed;
        for (k, v) in &o.reasons {
            *self.reasons.entry(k.clone()).or_default() += v;
        }
    }
}

/// A record that could not be audited.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rejected {
    /// The record's id (or `line N`).
    pub id: String,
    /// The key the error is about.
    pub key: String,
    /// The message.
    pub message: String,
    /// The error code.
    pub code: String,
}

/// The aggregates of an audit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Records audited.
    pub records: u64,
    /// Records with questions never answered.
    pub incomplete: u64,
    /// Every action together.
    pub totals: Counts,
    /// Per rule id (an action required by two rules counts under each).
    pub by_rule: BTreeMap<String, Counts>,
    /// Per action token.
    pub by_action: BTreeMap<String, Counts>,
    /// Per incident category (`(none)` when a record has none).
    pub by_category: BTreeMap<String, Counts>,
    /// Per school.
    pub by_school: BTreeMap<String, Counts>,
    /// Per month of report (`YYYY-MM`).
    pub by_month: BTreeMap<String, Counts>,
    /// How many records left each fact unanswered.
    pub unanswered: BTreeMap<String, u64>,
    /// Recorded professional judgements per rule (`action:<token>` when not tied to one).
    pub judgements: BTreeMap<String, JudgementStats>,
    /// Records that could not be audited, sorted.
    pub rejected: Vec<Rejected>,
}

fn count(c: &mut Counts, outcome: Outcome, judged: bool, late_days: i64) {
    if outcome != Outcome::Forbidden {
        c.required += 1;
    }
    if judged {
        c.judged += 1;
        return;
    }
    match outcome {
        Outcome::OnTime => c.on_time += 1,
        Outcome::Late => {
            c.late += 1;
            c.late_school_days += u64::try_from(late_days).unwrap_or(0);
        }
        Outcome::NotDone => c.not_done += 1,
        Outcome::Forbidden => c.forbidden += 1,
    }
}

impl Summary {
    /// Add one audited record.
    pub fn add(&mut self, r: &RecordAudit) {
        self.records += 1;
        if r.status != "complete" {
            self.incomplete += 1;
        }
        let category = r.category.as_deref().unwrap_or("(none)");
        for item in &r.items {
            let judged = item.judgement.is_some();
            let days = item.late_by_school_days.unwrap_or(0);
            let bump = |c: &mut Counts| count(c, item.outcome, judged, days);
            bump(&mut self.totals);
            for rule in &item.rules {
                bump(self.by_rule.entry(rule.clone()).or_default());
            }
            bump(self.by_action.entry(item.action.clone()).or_default());
            bump(self.by_category.entry(category.to_owned()).or_default());
            bump(self.by_school.entry(r.school.clone()).or_default());
            bump(self.by_month.entry(r.month.clone()).or_default());
            if let Some(j) = &item.judgement {
                for rule in &item.rules {
                    add_judgement(self.judgements.entry(rule.clone()).or_default(), j);
                }
            }
        }
        for j in &r.unmatched_judgements {
            add_judgement(
                self.judgements
                    .entry(format!("action:{}", j.action))
                    .or_default(),
                j,
            );
        }
        for fact in &r.unanswered {
            *self.unanswered.entry(fact.clone()).or_default() += 1;
        }
    }

    /// Record a rejected record.
    pub fn reject(&mut self, id: &str, e: &HistoryError) {
        let r = Rejected {
            id: id.to_owned(),
            key: e.key.clone(),
            message: e.message.clone(),
            code: e.code.to_owned(),
        };
        let at = self.rejected.partition_point(|x| *x < r);
        self.rejected.insert(at, r);
    }

    /// Merge another partial summary into this one.
    pub fn merge(&mut self, o: &Summary) {
        self.records += o.records;
        self.incomplete += o.incomplete;
        self.totals.merge(&o.totals);
        for (mine, theirs) in [
            (&mut self.by_rule, &o.by_rule),
            (&mut self.by_action, &o.by_action),
            (&mut self.by_category, &o.by_category),
            (&mut self.by_school, &o.by_school),
            (&mut self.by_month, &o.by_month),
        ] {
            for (k, v) in theirs {
                mine.entry(k.clone()).or_default().merge(v);
            }
        }
        for (k, v) in &o.unanswered {
            *self.unanswered.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.judgements {
            self.judgements.entry(k.clone()).or_default().merge(v);
        }
        self.rejected.extend(o.rejected.iter().cloned());
        self.rejected.sort();
    }
}

fn add_judgement(s: &mut JudgementStats, j: &crate::audit::JudgementOut) {
    s.count += 1;
    if j.departure == "not_taken" {
        s.not_taken += 1;
    } else {
        s.taken_differently += 1;
    }
    if j.reviewed_by.is_none() {
        s.unreviewed += 1;
    }
    *s.reasons.entry(j.reason.clone()).or_default() += 1;
}
