//! The `due` time of each action with a deadline, when the record carries `reported_at`: a
//! post-pass over a finished decision, on the policy's school calendar. The rule for each
//! deadline token lives in `haven-calendar` (shared with `haven audit`) and is written out
//! in `docs/calendar.md`.

use crate::decision::Decision;
use crate::incident::Incident;
use haven_calendar::{Calendar, NOTE_WITHOUT_CALENDAR};
use std::borrow::Cow;

/// Give every action of `d` its due time from the record's `reported_at` (nothing when the
/// record has none). Without a calendar, weekends and bank holidays are still known and the
/// decision says in a note that term dates are not.
pub(crate) fn annotate(d: &mut Decision<'_>, incident: &Incident, calendar: Option<&Calendar>) {
    let Some(reported) = incident.reported_at else {
        return;
    };
    let fallback;
    let cal = match calendar {
        Some(c) => c,
        None => {
            fallback = Calendar::default();
            &fallback
        }
    };
    let due: Vec<_> = d
        .actions()
        .map(|a| haven_calendar::due(a.deadline(), reported, cal))
        .collect();
    if calendar.is_none() && due.iter().any(Option::is_some) {
        d.notes.push(Cow::Borrowed(NOTE_WITHOUT_CALENDAR));
    }
    d.due = Some(due);
}
